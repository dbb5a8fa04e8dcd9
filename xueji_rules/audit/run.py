"""The audit's driver: read a chunk, type it, answer each question, add what the full Decision says, write.

Per chunk of at most ``chunk_rows`` students:

1. the raw columns are typed (``read.typed``); a cell that cannot be read as its fact's kind
   makes its row an error (``facts_type``) and keeps it from the backend;
2. the backend (``rows`` or ``columns``) answers every question: outcome, norm, status,
   ``failed:<rule>`` flags, and an error code per row it could not answer;
3. the further columns come from the full Decision (``xueji_rules.evaluate``), computed here
   for the rows that need one, whichever backend answered: outstanding approvals only exist
   when the status is ``await_approval``, missing facts only when the outcome is
   ``undetermined``, and a deadline is dated only by a rule with deadlines that held or is
   unknown. A backend that knows which rules held may say so in ``applies:<rule>`` columns
   (held or unknown) for the rules with deadlines, as the row backend does; without them,
   every row where such a rule did not fail gets its Decision. Rows that need none get
   empty lists and no deadline; ``--explain`` needs the Decision of every row. (The
   backends stay the fast path; a Decision costs several times a row's answer, and is paid
   only where it adds something.)
4. answers go to the output, errors to the error file, counts to the summary.

Memory: one chunk is answered at a time (two per worker with ``jobs``): its raw text
columns, their typed copy and the answers, about ``chunk_rows × (fact columns + rules + 10)``
cells, plus Polars' read-ahead, which levels off at a few hundred MB whatever the file's
size (docs/scale.md gives the measured peaks).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import DateError, FactsError
from .columns import AuditError
from .read import ROW, UNREADABLE, StudentsFile, format_of, typed
from .rows import RowBackend, converters, error_of, fact_paths, nest_row
from .summary import Summary

def backend_class(name: str):
    if name == "rows":
        return RowBackend
    if name == "columns":
        try:
            from ..columns import ColumnBackend
        except ImportError as exc:
            missing = getattr(exc, "name", None) or ""
            if missing.startswith("xueji_rules"):
                raise AuditError("the columns backend (xueji_rules.columns.ColumnBackend) is not in this install yet; "
                                 "use --backend rows") from None
            raise AuditError(f"the columns backend needs {missing or 'a package that is missing'}: "
                             "pip install 'xueji_rules[audit]'") from None
        return ColumnBackend
    raise AuditError(f"unknown backend '{name}' (rows or columns)")


def output_schema(id_column: str | None, explain: bool) -> dict:
    import polars as pl

    schema = {}
    if id_column is not None:
        schema[id_column] = pl.String
    schema.update({
        "row": pl.Int64, "question": pl.String, "outcome": pl.String, "norm": pl.String, "status": pl.String,
        "failed_rules": pl.List(pl.String), "outstanding_approvals": pl.List(pl.String),
        "earliest_deadline": pl.Date, "earliest_deadline_title": pl.String, "missing_facts": pl.List(pl.String),
    })
    if explain:
        schema["decision"] = pl.String
    return schema


ERROR_SCHEMA = ("row", "question", "error", "fact")


class Writer:
    """Appends chunks to a Parquet, CSV or JSON Lines file (by its extension), or JSON Lines to a stream."""

    def __init__(self, path: str | None, stream, schema: dict):
        self.path, self.stream, self.schema = path, stream, schema
        self.format = format_of(path, "--out") if path else "jsonl"
        self._parquet = None
        self._fh = None
        if path and self.format != "parquet":
            try:
                self._fh = open(path, "w", encoding="utf-8", newline="")
            except OSError as exc:
                raise AuditError(f"cannot write {path}: {exc.strerror}") from None
        self._header = True

    def write(self, frame) -> None:
        import polars as pl

        frame = frame.select([pl.col(c).cast(t) for c, t in self.schema.items()])
        if self.format == "parquet":
            table = frame.to_arrow()
            if self._parquet is None:
                import pyarrow.parquet as pq

                try:
                    self._parquet = pq.ParquetWriter(self.path, table.schema)
                except OSError as exc:
                    raise AuditError(f"cannot write {self.path}: {exc}") from None
            self._parquet.write_table(table)
        elif self.format == "csv":
            lists = [c for c, t in self.schema.items() if isinstance(t, pl.List)]
            frame = frame.with_columns([pl.col(c).list.join(";") for c in lists])
            self._fh.write(frame.write_csv(include_header=self._header))
        else:
            text = frame.write_ndjson() if frame.height else ""
            (self._fh or self.stream).write(text if not text or text.endswith("\n") else text + "\n")
        self._header = False

    def close(self) -> None:
        if self.format == "parquet":
            if self._parquet is None:  # no rows: an empty file with the columns
                import polars as pl

                pl.DataFrame(schema=self.schema).write_parquet(self.path)
            else:
                self._parquet.close()
        if self._fh is not None:
            self._fh.close()


class ErrorFile:
    """The rows in error: row number, question, error code and the fact it is about; never a value."""

    def __init__(self, path: str, always: bool):
        self.path = path
        self._fh = None
        self.count = 0
        if always:
            self._open()

    def _open(self):
        try:
            self._fh = open(self.path, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise AuditError(f"cannot write the error file {self.path}: {exc.strerror}") from None
        self._fh.write(",".join(ERROR_SCHEMA) + "\n")

    def write(self, records) -> None:
        if not records:
            return
        if self._fh is None:
            self._open()
        for row, question, code, fact in records:
            self._fh.write(f"{row},{question},{code},{fact or ''}\n")
        self.count += len(records)

    def close(self):
        if self._fh is not None:
            self._fh.close()


def default_errors_path(out: str | None) -> str:
    if out is None:
        return "xueji-audit.errors.csv"
    p = Path(out)
    return str(p.with_name(p.stem + ".errors.csv"))


class Progress:
    """A rich progress bar on a terminal; plain lines every ``every`` seconds otherwise."""

    def __init__(self, stream, total: int | None, every: float = 10.0):
        self.stream, self.total, self.every = stream, total, every
        self.done = 0
        self.start = time.perf_counter()
        self.last = self.start
        self._rich = None
        if getattr(stream, "isatty", lambda: False)():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, ProgressColumn, TextColumn, \
                TimeRemainingColumn
            from rich.text import Text

            class Rate(ProgressColumn):
                def render(self, task):
                    return Text(f"{task.speed:,.0f} rows/s" if task.speed else "– rows/s")

            self._rich = Bar(TextColumn("xueji audit"), BarColumn(), MofNCompleteColumn(), Rate(),
                             TimeRemainingColumn(), console=Console(file=stream), transient=False)
            self._rich.start()
            self._task = self._rich.add_task("audit", total=total)

    def advance(self, n: int) -> None:
        self.done += n
        if self._rich is not None:
            self._rich.update(self._task, advance=n)
            return
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush() if hasattr(self.stream, "flush") else None

    def line(self, now: float) -> str:
        rate = self.done / (now - self.start) if now > self.start else 0
        text = f"xueji audit: {self.done:,}"
        if self.total:
            text += f" of {self.total:,} rows ({100 * self.done / self.total:.0f}%)"
        else:
            text += " rows"
        text += f", {rate:,.0f} rows/s"
        if self.total and rate:
            text += f", about {max(0, self.total - self.done) / rate:,.0f} s left"
        return text

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()


def _extras(policy, question, on, calendar, readings, frame, answers, explain: bool):
    """The columns that come from the full Decision, for the rows that need one (see the module's docstring)."""
    import polars as pl

    from ..evaluate import evaluate

    q = policy.question(question)
    deadline_rules = [r.id for r in q.rules if r.deadlines]
    ok = pl.col("error").is_null()
    need = ok & ((pl.col("status") == "await_approval") | (pl.col("outcome") == "undetermined"))
    for rid in deadline_rules:  # a deadline is dated only for a rule that held or is unknown
        applies = f"applies:{rid}"
        need = need | (ok & (pl.col(applies) if applies in answers.columns else ~pl.col(f"failed:{rid}")))
    if explain:
        need = ok
    index = answers.select(need.fill_null(False).alias("need"))["need"]
    n = frame.height
    # a row without a Decision has none of these: no approval outstanding, no deadline, no fact missing
    approvals, missing = [[] for _ in range(n)], [[] for _ in range(n)]
    deadline, deadline_title, decisions = [None] * n, [None] * n, [None] * n
    failures: dict[int, tuple] = {}
    paths = fact_paths(frame)
    positions = [i for i, flag in enumerate(index) if flag]
    if positions:
        rows = frame.select(paths)[positions].iter_rows()
        convert = converters(paths)
        for i, row in zip(positions, rows):
            try:
                d = evaluate(policy, q, nest_row(paths, convert, row), on, calendar, readings)
            except (FactsError, DateError) as exc:  # a backend that let a bad row through: the error is the library's
                failures[i] = error_of(exc)
                continue
            approvals[i] = [a.by for a in d.awaiting]
            dated = [x for x in d.deadlines if x.date is not None]
            if dated:
                first = min(dated, key=lambda x: x.date)
                deadline[i], deadline_title[i] = first.date, first.title
            missing[i] = list(d.missing_facts)
            if explain:
                decisions[i] = d.to_json(indent=None)
    columns = {"outstanding_approvals": pl.Series(approvals, dtype=pl.List(pl.String)),
               "earliest_deadline": pl.Series(deadline, dtype=pl.Date),
               "earliest_deadline_title": pl.Series(deadline_title, dtype=pl.String),
               "missing_facts": pl.Series(missing, dtype=pl.List(pl.String))}
    if explain:
        columns["decision"] = pl.Series(decisions, dtype=pl.String)
    return pl.DataFrame(columns), failures


class Chunks:
    """Answers one chunk of students for every question: what a worker process does (``--jobs``)."""

    def __init__(self, policy, questions, on, backend, calendar, readings, fact_columns, id_column, explain):
        self.policy, self.questions, self.on = policy, questions, on
        self.calendar, self.readings = calendar, readings
        self.fact_columns, self.id_column, self.explain = fact_columns, id_column, explain
        cls = backend_class(backend)
        self.backends = {q: cls(policy, q, on, calendar=calendar, readings=readings) for q in questions}

    def answer(self, raw):
        """(one output frame per question, error records (row, question, code, fact), counts for the summary)."""
        import polars as pl

        frame, masks = typed(raw, self.fact_columns)
        bad = pl.Series("bad", [False] * frame.height)
        records = []
        rows = frame[ROW]
        if UNREADABLE in frame.columns:  # JSON lines that could not be read: their code, for every question
            unreadable = frame[UNREADABLE].is_not_null()
            for r, code in frame.filter(unreadable).select(ROW, UNREADABLE).iter_rows():
                records.extend((r, q, code, None) for q in self.questions)
            bad = bad | unreadable
        for path, mask in masks.items():
            for r in rows.filter(mask & ~bad):
                records.extend((r, q, "facts_type", path) for q in self.questions)
            bad = bad | mask
        clean = frame.filter(~bad)
        outputs, counts = [], Summary(self.policy, self.questions)
        for q in self.questions:
            answers = self.backends[q].run(clean)
            if "error_path" not in answers.columns:
                answers = answers.with_columns(pl.lit(None, pl.String).alias("error_path"))
            extras, failures = _extras(self.policy, q, self.on, self.calendar, self.readings, clean, answers,
                                       self.explain)
            if failures:  # rows the backend answered but the library refuses: errors, as the library says
                codes = [failures.get(i, (None, None)) for i in range(answers.height)]
                answers = answers.with_columns(
                    pl.Series("error", [c for c, _ in codes], dtype=pl.String).fill_null(pl.col("error")),
                    pl.Series("error_path", [p for _, p in codes], dtype=pl.String).fill_null(pl.col("error_path")))
            counts.add_answers(q, answers)
            rule_ids = [c.split(":", 1)[1] for c in answers.columns if c.startswith("failed:")]
            failed = pl.concat_list([pl.when(pl.col(f"failed:{rid}")).then(pl.lit(rid)) for rid in rule_ids]
                                    ).list.drop_nulls() if rule_ids else pl.lit([], pl.List(pl.String))
            both = pl.concat([clean.select([ROW] + ([self.id_column] if self.id_column else [])), answers, extras],
                             how="horizontal")
            in_error = both.filter(pl.col("error").is_not_null())
            records.extend((r, q, code, path) for r, code, path in
                           in_error.select(ROW, "error", "error_path").iter_rows())
            outputs.append(both.filter(pl.col("error").is_null()).with_columns(
                pl.col(ROW).alias("row"), pl.lit(q).alias("question"), failed.alias("failed_rules")))
        records.sort(key=lambda r: r[0])
        counts.add_errors(code for _, _, code, _ in records)
        counts.add_rows(frame.height, len({r[0] for r in records}))
        counts.policy = None  # the parent has it; a worker sends only the counts back
        return outputs, records, counts


_WORKER: Chunks | None = None


def _start_worker(folder, given, args):
    """A worker's one-time set-up: the policy compiled again from its folder (with the parent's --policies roots)."""
    global _WORKER
    from ..load import load_policy
    from ..locate import policy_roots_given

    with policy_roots_given(*given):
        _WORKER = Chunks(load_policy(path=folder), *args)


def _work(raw):
    return _WORKER.answer(raw)


def audit(policy, questions: list[str], students: str, on, *, out: str | None = None, stream=None,
          columns=None, explain: bool = False, backend: str = "rows", errors: str | None = None,
          calendar=None, readings=None, chunk_rows: int | None = None, progress_stream=None,
          progress_every: float = 10.0, jobs: int = 1) -> Summary:
    """Audit every student of ``students`` for each question; write the answers; return the summary.

    With ``jobs`` > 1, chunks are answered by that many worker processes (each loads the
    policy once), at most two chunks per worker in flight, written in the file's order.
    """
    from collections import deque

    from .columns import ColumnMap
    from .read import CHUNK_ROWS

    for q in questions:
        policy.question(q)  # UnknownQuestionError before any reading
    if out is not None:
        format_of(out, "--out")
    source = StudentsFile(students, columns or ColumnMap(), chunk_rows or CHUNK_ROWS)
    args = (questions, on, backend, calendar, readings, source.fact_columns, source.id_column, explain)
    here = Chunks(policy, *args)  # the backends made here first: a bad backend, reading or calendar stops the run now
    summary = Summary(policy, questions)
    err = progress_stream if progress_stream is not None else sys.stderr
    if source.ignored:
        shown = ", ".join(source.ignored[:8]) + (" …" if len(source.ignored) > 8 else "")
        err.write(f"xueji audit: columns ignored (neither a fact path nor in the column map): {shown}\n")
    given = set(source.paths)
    for q in questions:
        absent = [p for p in policy.question(q).facts if p not in given]
        if absent and len(absent) < len(policy.question(q).facts):
            err.write(f"xueji audit: {q}: no column for {len(absent)} of its facts (they are not given for any "
                      f"student): {', '.join(absent[:6])}{' …' if len(absent) > 6 else ''}\n")
        elif absent:
            err.write(f"xueji audit: {q}: no column holds any of its facts: every answer will be undetermined\n")
    schema = output_schema(source.id_column, explain)
    writer = Writer(out, stream or sys.stdout, schema)
    error_file = ErrorFile(errors or default_errors_path(out), always=errors is not None or out is not None)
    bar = Progress(err, source.count_rows(), progress_every)
    started = time.perf_counter()
    pool = None

    def take(result):
        outputs, records, counts = result
        for frame in outputs:
            writer.write(frame)
        error_file.write(records)
        summary.merge(counts)
        bar.advance(counts.rows)

    try:
        if jobs > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            from ..locate import policy_roots

            given_roots = [str(root) for root, where in policy_roots() if where == "--policies"]

            pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_start_worker, initargs=(policy.folder, given_roots, args))
            pending = deque()
            for raw in source.chunks():
                pending.append(pool.submit(_work, raw))
                if len(pending) >= 2 * jobs:
                    take(pending.popleft().result())
            while pending:
                take(pending.popleft().result())
        else:
            for raw in source.chunks():
                take(here.answer(raw))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        summary.seconds = time.perf_counter() - started
        bar.close()
        writer.close()
        error_file.close()
    summary.error_file = error_file.path if error_file.count or errors or out else None
    return summary
