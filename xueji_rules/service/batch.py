"""The batch endpoint: JSON Lines in, JSON Lines out, a block of lines at a time.

Lines are read from the streamed body and answered in blocks of up to ``BLOCK`` lines (a
block is also answered as soon as the sender pauses for ``PAUSE`` seconds, so a slow sender
still gets its answers as it goes). Without explanations, a block is answered by the column
backend (``xueji_rules.columns``) when the ``columns`` and ``audit`` libraries are there:

1. the block's lines are parsed together by Arrow's JSON reader, which refuses a key given
   twice, a value whose kind changes between lines and anything that is not JSON;
2. the parsed keys must be exactly what the row path accepts: ``id``, ``facts`` and ``on``
   at the top, groups and facts of the vocabulary below ``facts``; dates stay text (Arrow's
   guess of a timestamp is read again as text, so the library's own date reader sees them);
3. the column backend answers the block, one vector pass per date asked about.

Anything the block cannot settle that way goes to the row path, which answers it exactly
as it answers one line: the whole block when the reader refuses it or meets a key the
vocabulary lacks, and single lines that are not a JSON object, whose ``facts`` is null,
whose date is not one the policy answers for, or whose facts the column backend finds
wrong (the row path then says what, with the error line's code and diagnostics). The
answers are the same either way (tests/test_service_batch.py checks them line for line);
only the speed differs.
"""

from __future__ import annotations

import asyncio
import io
import logging

from ..errors import XuejiError
from ..evaluate import answerer, evaluate
from ..facts.input import too_deep
from .problems import Problem, from_library

log = logging.getLogger("xueji.serve")

#: the most lines answered together (the column backend's cost per call is then spread thin), and their most bytes
BLOCK = 32768
BLOCK_BYTES = 16 * 1024 * 1024
#: fewer lines than this are answered by rows (the column backend's fixed cost would dominate)
MIN_COLUMNS = 64
#: seconds without new data after which the lines read so far are answered
PAUSE = 0.05
#: the row path yields to the event loop this often (lines)
ROW_SLICE = 256
#: column backends kept per process, by (policy content, question, date)
BACKENDS_KEPT = 32
BATCH_KEYS = ("id", "facts", "on")


class LineReader:
    """The lines of a streamed body, in blocks; ``n`` is the number of the last line read.

    A line longer than ``max_batch_line`` is given as None (its error line says so); the body
    as a whole is bounded by ``max_batch_body`` and by ``request_timeout`` between two pieces.
    """

    def __init__(self, request, config):
        self.request = request
        self.config = config
        self.n = 0

    async def blocks(self):
        config = self.config
        stream = self.request.stream().__aiter__()
        buf, total, too_long = b"", 0, False
        block: list = []
        size = 0  # the bytes of the block's lines
        pending = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(stream))
                done, _ = await asyncio.wait({pending}, timeout=PAUSE if block else config.request_timeout)
                if not done:
                    if block:  # the sender paused: answer what has come
                        yield block
                        block, size = [], 0
                        continue
                    raise Problem(408, "request_timeout", f"no data for {config.request_timeout:g} s")
                task, pending = pending, None
                try:
                    chunk = task.result()
                except StopAsyncIteration:
                    break
                total += len(chunk)
                if total > config.max_batch_body:
                    raise Problem(413, "body_too_large", f"the batch is larger than {config.max_batch_body} bytes")
                buf += chunk
                if b"\n" in chunk:
                    *lines, buf = buf.split(b"\n")
                    for line in lines:
                        self.n += 1
                        block.append((self.n, None if too_long else line))
                        size += len(line)
                        too_long = False
                if len(buf) > config.max_batch_line:
                    buf, too_long = b"", True
                if len(block) >= BLOCK or size >= BLOCK_BYTES:
                    yield block
                    block, size = [], 0
            if buf.strip() or too_long:
                self.n += 1
                block.append((self.n, None if too_long else buf))
            if block:
                yield block
        finally:
            if pending is not None:
                pending.cancel()


class Batch:
    """One batch request: the policy, question and options, and what its lines share."""

    def __init__(self, svc, policy, region: str, q, default_on, explain: bool, redact: bool):
        from .app import _on  # the service's date reader (a Problem for a bad date)

        self.svc, self.policy, self.region, self.q = svc, policy, region, q
        self.explain, self.redact = explain, redact
        self.read_on = _on
        self.default_on = default_on or _on(None, "date")
        self.deciders: dict = {}
        self.counts: dict = {}
        self.errors = 0
        self.columns = None if explain else _columns_reader()

    # -- the row path: one line as the library answers it ---------------------------

    def row(self, n: int, raw: bytes | None) -> dict:
        from .app import _facts_of, _object_with, parse_json

        svc, config = self.svc, self.svc.config
        ident = None
        try:
            if raw is None:
                raise Problem(413, "line_too_long", f"the line is longer than {config.max_batch_line} bytes")
            doc = _object_with(parse_json(raw, "the line"), BATCH_KEYS, "the line")
            ident = doc.get("id")
            if ident is not None and not isinstance(ident, (str, int)):
                ident = None
                raise Problem(422, "bad_id", "`id` is a string or a whole number")
            facts = _facts_of(doc)
            on = doc.get("on")
            day = self.read_on(on, "date `on`") if on is not None else self.default_on
            if self.explain:
                decision = evaluate(self.policy, self.q, facts, day)
                item = {"line": n, "id": ident, "outcome": decision.outcome, "status": decision.status,
                        "failed": list(decision.failed), "decision": decision.to_dict(redact=self.redact)}
                if svc.decision_log is not None:
                    svc.decision_log.record(decision, None, source="batch")
            else:
                run = self.deciders.get(day)
                if run is None:
                    run = self.deciders[day] = answerer(self.policy, self.q, day)
                answer = run(facts)
                item = {"line": n, "id": ident, "outcome": answer.outcome, "status": answer.status,
                        "failed": list(answer.failed)}
                if svc.decision_log is not None:
                    svc.decision_log.record_short(self.region, self.q.id, day, answer.outcome, answer.status,
                                                  answer.failed, self.policy.content_hash)
            self.counts[item["outcome"]] = self.counts.get(item["outcome"], 0) + 1
        except Problem as p:
            item = {"line": n, "id": ident, "error": {"code": p.code, "title": p.detail, "status": p.status}}
            self.errors += 1
        except XuejiError as exc:
            p = from_library(exc)
            item = {"line": n, "id": ident, "error": {"code": p.code, "title": p.detail, "status": p.status,
                                                       "errors": [svc.diag(d) for d in exc.diagnostics]}}
            self.errors += 1
        return item

    async def rows(self, block: list):
        """The row path over a block, yielding its answer lines every ROW_SLICE lines."""
        from .app import _dumps

        out: list = []
        for n, raw in block:
            if raw is not None and not raw.strip():
                continue
            out.append(_dumps(self.row(n, raw)))
            if len(out) >= ROW_SLICE:
                yield b"\n".join(out) + b"\n"
                out = []
                await asyncio.sleep(0)
        if out:
            yield b"\n".join(out) + b"\n"

    # -- a block ----------------------------------------------------------------------

    async def answer(self, block: list):
        """The answer lines of a block, in line order."""
        if self.columns is not None and len(block) >= MIN_COLUMNS:
            try:  # off the event loop, so single asks to this worker are answered meanwhile
                text = await asyncio.get_running_loop().run_in_executor(_executor(), self.by_columns, block)
            except Exception:  # never an answer lost: a block the column path cannot take goes by rows
                log.exception("batch: a block went to the row path after an unexpected error")
                text = None
            if text is not None:
                if text:
                    yield text
                return
        async for chunk in self.rows(block):
            yield chunk

    def by_columns(self, block: list) -> bytes | None:
        """The answer lines of a block by the column backend (and the row path for the lines it leaves), or None."""
        from .app import _dumps

        pl, reader = self.columns
        slow: list = []
        raws = [raw for _, raw in block]
        data = b"\n".join(raws) if None not in raws else b""
        if (data[:1] == b"{" and data.count(b"\n{") == len(raws) - 1  # every line an object (the usual file)
                and not any(too_deep(raw) for raw in raws)):
            numbers = pl.int_range(block[0][0], block[-1][0] + 1, dtype=pl.Int64, eager=True).alias("__line")
            rows = len(raws)
        else:
            fast = []
            for n, raw in block:
                if raw is not None and raw[:1] == b"{" and not too_deep(raw):
                    fast.append((n, raw))
                elif raw is None or raw.strip():
                    slow.append(n)
            data = b"\n".join([raw for _, raw in fast])
            numbers = pl.Series("__line", [n for n, _ in fast], dtype=pl.Int64)
            rows = len(fast)
        parsed = reader.read(data, rows) if rows else None
        if rows and parsed is None:
            return None  # the reader refused the block, or met a key the row path would refuse
        answered: list = []  # frames of (line, id, outcome, status, failed)
        if rows:
            frame, ids, ons, facts_null = parsed
            frame = frame.with_columns(numbers, ids.alias("__id"))
            if facts_null is not None and facts_null.any():
                slow.extend(numbers.filter(facts_null).to_list())
                frame = frame.filter(~facts_null)
                ons = ons.filter(~facts_null) if ons is not None else None
            for day, part in self._by_day(frame, ons, slow):
                backend = self._backend(day)
                if backend is None:
                    slow.extend(part.get_column("__line").to_list())
                    continue
                result = backend.run(part)
                bad = result.get_column("error").is_not_null()
                if bad.any():
                    slow.extend(part.get_column("__line").filter(bad).to_list())
                    keep = ~bad
                    result, part = result.filter(keep), part.filter(keep)
                answered.append(pl.DataFrame([
                    part.get_column("__line").alias("line"), part.get_column("__id").alias("id"),
                    result.get_column("outcome").cast(pl.String), result.get_column("status").cast(pl.String),
                    backend.failed_lists(result).alias("failed")]))
                self._note(day, result, backend)
        text = b""
        if answered:
            table = pl.concat(answered, how="vertical_relaxed") if len(answered) > 1 else answered[0]
            if len(answered) > 1 or slow:
                table = table.sort("line")
            buffer = io.BytesIO()
            table.write_ndjson(buffer)
            text = buffer.getvalue()
        if not slow:
            return text
        raws = dict(block)
        out = [(n, _dumps(self.row(n, raws[n]))) for n in sorted(set(slow))]
        if text:
            out += zip(table.get_column("line").to_list(), text.rstrip(b"\n").split(b"\n"))
            out.sort(key=lambda p: p[0])
        return b"\n".join([line for _, line in out]) + b"\n"

    def _by_day(self, frame, ons, slow: list):
        """(date, rows) for each date the rows ask about; a date the service refuses sends its rows to ``slow``."""
        if ons is None or ons.null_count() == len(ons):
            yield self.default_on, frame
            return
        pl = self.columns[0]
        ons = ons.cast(pl.String)
        for value in ons.unique().to_list():
            rows = frame.filter(ons.is_null() if value is None else (ons == value))
            if value is None:
                yield self.default_on, rows
                continue
            try:
                day = self.read_on(value, "date `on`")
            except Problem:
                slow.extend(rows.get_column("__line").to_list())
                continue
            yield day, rows

    def _backend(self, day):
        """The column backend for a date (cached per process), or None where the date is not answered."""
        from ..columns import ColumnBackend

        cache = self.svc.column_backends
        key = (self.policy.content_hash, self.region, self.q.id, day)
        backend = cache.get(key)
        if backend is None:
            try:
                backend = ColumnBackend(self.policy, self.q, day)
            except XuejiError:  # a date with no regulation in force: the row path says so, line by line
                return None
            cache[key] = backend
            while len(cache) > BACKENDS_KEPT:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key)
        return backend

    def _note(self, day, result, backend) -> None:
        """Counts for the metrics, and the decision log's lines."""
        for outcome, k in result.get_column("outcome").cast(self.columns[0].String).value_counts().iter_rows():
            self.counts[outcome] = self.counts.get(outcome, 0) + k
        log_ = self.svc.decision_log
        if log_ is not None:
            failed = backend.failed_lists(result).to_list()
            for outcome, status, f in zip(result.get_column("outcome").to_list(), result.get_column("status").to_list(),
                                          failed):
                log_.record_short(self.region, self.q.id, day, outcome, status, f, self.policy.content_hash)


class BlockReader:
    """A block of JSON lines as a frame of fact columns, read by Arrow, or None where the row path must read it."""

    def __init__(self, pl, pa, pj):
        self.pl, self.pa, self.pj = pl, pa, pj
        self.schema = None  # the last block's schema, timestamps read as text: the next block is read with it

    def read(self, data: bytes, rows: int):
        """(fact columns, ids, dates asked or None, facts given as null or None) for ``rows`` lines, or None."""
        pa, pj = self.pa, self.pj
        table = None
        if self.schema is not None:
            table = self._parse(data, self.schema)
        if table is None:
            table = self._parse(data, None)
            if table is None:
                return None
        if _has_timestamp(pa, table.schema):
            self.schema = _as_text(pa, table.schema)
            table = self._parse(data, self.schema)
            if table is None or _has_timestamp(pa, table.schema):
                return None
        elif self.schema is None or table.schema != self.schema:
            self.schema = table.schema
        if table.num_rows != rows or not _known(pa, table.schema):
            return None
        pl = self.pl
        names = table.schema.names
        ids = _column(pl, table, "id", rows)
        if ids is None:
            return None
        ons = None
        if "on" in names:
            ons = pl.from_arrow(table.column("on"))
            if ons.dtype not in (pl.String, pl.Null):
                return None
        facts_null = None
        if "facts" in names:
            column = table.column("facts")
            if column.null_count:
                facts_null = pl.from_arrow(column.is_null())
            flat = table.select(["facts"])
            while any(pa.types.is_struct(f.type) for f in flat.schema):
                flat = flat.flatten()
            frame = pl.from_arrow(flat) if flat.num_columns else pl.DataFrame()
            frame = frame.rename(lambda c: c.removeprefix("facts."))
            frame = frame.select([c for c in frame.columns if frame.schema[c] != pl.Null])
            if not frame.width:
                frame = pl.DataFrame({"__rows": pl.repeat(0, rows, eager=True)})
        else:
            frame = pl.DataFrame({"__rows": pl.repeat(0, rows, eager=True)})
        return frame, ids, ons, facts_null

    def _parse(self, data: bytes, schema):
        pj = self.pj
        options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer") if schema else None
        try:
            return pj.read_json(io.BytesIO(data), parse_options=options,
                                read_options=pj.ReadOptions(block_size=max(1 << 20, len(data) // 2 + 1)))
        except Exception:  # noqa: BLE001 - not JSON, a key twice, a kind that changes: the row path says which line
            return None


def _column(pl, table, name: str, rows: int):
    """The ``id`` column as Polars (a string or a whole number per line), or None when a line's id is of another kind."""
    if name not in table.schema.names:
        return pl.Series(name, [None] * rows, dtype=pl.Null)
    series = pl.from_arrow(table.column(name))
    if series.dtype in (pl.String, pl.Int64, pl.Null):
        return series
    return None


def _has_timestamp(pa, schema) -> bool:
    def walk(t) -> bool:
        if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t):
            return True
        if pa.types.is_struct(t):
            return any(walk(t.field(i).type) for i in range(t.num_fields))
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return walk(t.value_type)
        return False

    return any(walk(f.type) for f in schema)


def _as_text(pa, schema):
    """The schema with every timestamp, date or time as text (the library reads dates itself)."""
    def conv(t):
        if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t):
            return pa.string()
        if pa.types.is_struct(t):
            return pa.struct([pa.field(t.field(i).name, conv(t.field(i).type)) for i in range(t.num_fields)])
        if pa.types.is_list(t):
            return pa.list_(conv(t.value_type))
        return t

    return pa.schema([pa.field(f.name, conv(f.type)) for f in schema])


def _known(pa, schema) -> bool:
    """Every key is one the row path accepts: id, facts and on at the top, the vocabulary's groups and facts below."""
    from ..facts.vocabulary import FACTS, GROUPS, Place

    scalar = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_string, pa.types.is_null)

    def leaf(t) -> bool:
        if any(test(t) for test in scalar):
            return True
        return pa.types.is_list(t) and any(test(t.value_type) for test in scalar)

    def walk(t, path: str) -> bool:
        if pa.types.is_struct(t):
            if path not in GROUPS:
                return False
            place = GROUPS[path] is Place
            for i in range(t.num_fields):
                f = t.field(i)
                child = f"{path}.{f.name}" if path else f.name
                if place:
                    if child not in FACTS or not any(test(f.type) for test in scalar):
                        return False
                elif not walk(f.type, child):
                    return False
            return True
        if path in GROUPS:
            return GROUPS[path] is Place and any(test(t) for test in scalar)  # a place as one code or name
        return path in FACTS and leaf(t)

    for f in schema:
        if f.name not in BATCH_KEYS:
            return False
        if f.name == "facts" and not (pa.types.is_null(f.type) or walk(f.type, "")):
            return False
    return True


_EXECUTOR = None


def _executor():
    """The one thread a process answers column blocks in: blocks of concurrent batches take turns.

    Polars and Arrow do their work outside the GIL, so the event loop goes on answering
    while a block is computed; one thread keeps the column backends' caches single-threaded.
    """
    global _EXECUTOR
    if _EXECUTOR is None:
        from concurrent.futures import ThreadPoolExecutor

        _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xueji-batch")
    return _EXECUTOR


def _columns_reader():
    """(polars, BlockReader) when the column backend's libraries are installed, else None (rows only)."""
    try:
        import polars as pl
        import pyarrow as pa
        import pyarrow.json as pj

        from .. import columns  # noqa: F401 - the backend itself
    except ImportError:
        return None
    return pl, BlockReader(pl, pa, pj)


async def batch_lines(svc, policy, region: str, q, request, default_on, explain: bool, redact: bool):
    """The answer lines of a batch request, streamed as its lines are read."""
    from .app import _dumps

    batch = Batch(svc, policy, region, q, default_on, explain, redact)
    reader = LineReader(request, svc.config)
    tail = b""
    try:
        async for block in reader.blocks():
            async for chunk in batch.answer(block):
                yield chunk
    except Problem as p:  # the body itself failed (too big, too slow): a last line says so
        tail = _dumps({"line": reader.n + 1, "error": {"code": p.code, "title": p.detail, "status": p.status}}) + b"\n"
    finally:
        for outcome, k in batch.counts.items():
            svc.metrics.decision(region, q.id, outcome, k)
        svc.metrics.batch_lines.labels("decision").inc(sum(batch.counts.values()))
        if batch.errors:
            svc.metrics.batch_lines.labels("error").inc(batch.errors)
    if tail:
        yield tail
