"""Read a students file (CSV, JSON Lines or Parquet) in bounded chunks, as typed fact columns.

How it reads: ``polars.scan_csv`` / ``scan_parquet`` and
``LazyFrame.collect_batches(chunk_size=N)``, Polars' streaming engine, which holds one
chunk (and the reader's own buffers) at a time, whatever the file's size
(``benchmarks/audit_read.py`` compares it with pyarrow's streaming readers; docs/scale.md
has the figures). JSON Lines are read a chunk of lines at a time by ``JsonLines``, so a
line that cannot be read is that row's error and the others go on.

Every column is first read as text (CSV: no type guessing; JSON Lines and Parquet: each
value cast to text, lists to lists of text), then typed the same way whatever the format,
so a value is read the same in a CSV, a JSON Lines or a Parquet file:

=========  ===========================================================================
kind       column type in the frame a backend receives; what is accepted
=========  ===========================================================================
int        Int64: a whole number (``230``; ``230.0`` as a float column writes it too)
number     String: the exact decimal or fraction text (``12.5``, ``25/2``), checked by
           the backend exactly as facts are (no float ever)
bool       Boolean: ``true``/``false``, ``1``/``0``, ``yes``/``no``, ``是``/``否`` (any case)
date       Date: ``YYYY-MM-DD``
enum_list  List(String): in a CSV cell the codes joined by ``;`` (``hospital_diagnosis;
           inpatient_record``), or a JSON list (``["hospital_diagnosis"]``); ``[]`` is the
           empty list (stated: none), an empty cell is "not given"
others     String (enum codes or their Chinese names, text, division codes)
=========  ===========================================================================

An empty cell (or JSON null) is a fact not given. A value that cannot be read as its kind
(``abc`` for class hours) makes the row an error ``facts_type`` for that column; its value is
never reported.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..facts.input import too_deep
from ..facts.vocabulary import FACTS
from .columns import AuditError, ColumnMap

#: the students of one chunk: at most this many rows are in memory at a time (``--chunk-size``)
CHUNK_ROWS = 50_000
ROW = "_row"  # the 1-based number of the student in the file (the header not counted)

FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}

TRUE = ("true", "1", "yes", "y", "是", "t")
FALSE = ("false", "0", "no", "n", "否", "f")


def format_of(path: str | Path, what: str = "--students") -> str:
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise AuditError(f"{what} {path}: unknown format; name it .csv, .jsonl (or .ndjson) or .parquet")
    return fmt


def _scan(path: str, fmt: str):
    """The file as a lazy frame (CSV, Parquet), or for JSON Lines its text schema (the lines are read by JsonLines)."""
    import polars as pl

    if fmt == "csv":
        return pl.scan_csv(path, infer_schema=False, encoding="utf8")
    if fmt == "jsonl":
        return JsonLines(path)
    return pl.scan_parquet(path)


#: a JSON line longer than this (bytes) is that row's error (``line_too_long``), not read
MAX_LINE = 1024 * 1024
#: the column of a JSON Lines chunk naming why a line could not be read (null: it was read)
UNREADABLE = "_unreadable"


class JsonLines:
    """A JSON Lines file read a chunk of lines at a time, a line that cannot be read being that row's error.

    Each chunk's lines are parsed together by Polars with the file's schema, every leaf as text;
    when Polars refuses a chunk (a line that is not JSON, or not an object), the chunk is halved
    until the lines it refuses are found, and those rows carry a code in ``_unreadable``
    (``bad_json``, ``too_deep``, ``line_too_long``) instead of facts. Blank lines are skipped; a
    row is the student's number in the file. The schema is guessed from the first readable
    lines (10,000), so a value of another kind further on is that row's ``facts_type``.
    """

    def __init__(self, path: str, infer_lines: int = 10_000):
        import polars as pl

        self.path = path
        sample = []
        for _, line, problem in self._lines():
            if problem is None and len(sample) < infer_lines:
                sample.append(line)
            if len(sample) >= infer_lines:
                break
        good = self._readable(sample)
        inferred = pl.read_ndjson(io.BytesIO(b"".join(good)), infer_schema_length=None).schema if good else {}
        self.schema = {name: _textual(dtype) for name, dtype in inferred.items()}

    def _lines(self):
        """(student number, line, None or the code of why it cannot be read), blank lines skipped."""
        n = 0
        with open(self.path, "rb") as fh:
            while True:
                line = fh.readline(MAX_LINE + 1)
                if not line:
                    return
                problem = None
                if len(line) > MAX_LINE and not line.endswith(b"\n"):
                    while True:  # the rest of the over-long line is skipped, a bounded piece at a time
                        rest = fh.readline(MAX_LINE)
                        if not rest or rest.endswith(b"\n"):
                            break
                    problem = "line_too_long"
                elif not line.strip():
                    continue
                elif too_deep(line):
                    problem = "too_deep"
                n += 1
                yield n, (line if line.endswith(b"\n") else line + b"\n"), problem

    def _readable(self, lines: list) -> list:
        """The lines Polars reads on their own (for the schema): a line that is not a JSON object is left out."""
        import polars as pl

        try:
            pl.read_ndjson(io.BytesIO(b"".join(lines)), infer_schema_length=None)
            return lines
        except Exception:  # noqa: BLE001 - a line Polars refuses: found by halving
            if len(lines) <= 1:
                return []
            half = len(lines) // 2
            return self._readable(lines[:half]) + self._readable(lines[half:])

    def frames(self, chunk_rows: int):
        """Each chunk as a frame: ``_row``, ``_unreadable`` and the file's columns (text leaves)."""
        chunk = []
        for item in self._lines():
            chunk.append(item)
            if len(chunk) >= chunk_rows:
                yield self._frame(chunk)
                chunk = []
        if chunk:
            yield self._frame(chunk)

    def _frame(self, chunk: list):
        import polars as pl

        problems = [p for _, _, p in chunk]
        parts = self._parse([(i, line) for i, (_, line, p) in enumerate(chunk) if p is None], problems)
        index = pl.DataFrame({"__i": pl.Series(range(len(chunk)), dtype=pl.Int64)})
        if parts:
            full = index.join(pl.concat(parts, how="vertical"), on="__i", how="left", maintain_order="left")
        else:
            full = index.with_columns([pl.lit(None, dtype).alias(name) for name, dtype in self.schema.items()])
        return full.drop("__i").with_columns(pl.Series(ROW, [n for n, _, _ in chunk], dtype=pl.Int64),
                                             pl.Series(UNREADABLE, problems, dtype=pl.String))

    def _parse(self, items: list, problems: list) -> list:
        """Frames (with ``__i``, the line's place in the chunk) of the lines Polars reads; the others noted in problems."""
        import polars as pl

        if not items:
            return []
        try:
            frame = pl.read_ndjson(io.BytesIO(b"".join(line for _, line in items)), schema=self.schema)
        except Exception:  # noqa: BLE001 - a line Polars refuses: found by halving
            if len(items) == 1:
                problems[items[0][0]] = "bad_json"
                return []
            half = len(items) // 2
            return self._parse(items[:half], problems) + self._parse(items[half:], problems)
        if frame.height != len(items):  # more or fewer rows than lines: read them one by one
            if len(items) == 1:
                problems[items[0][0]] = "bad_json"
                return []
            half = len(items) // 2
            return self._parse(items[:half], problems) + self._parse(items[half:], problems)
        return [frame.with_columns(pl.Series("__i", [i for i, _ in items], dtype=pl.Int64))]


def _textual(dtype):
    """The same shape with text leaves: a struct of text, a list of text, or text."""
    import polars as pl

    if isinstance(dtype, pl.Struct):
        return pl.Struct({f.name: _textual(f.dtype) for f in dtype.fields})
    if isinstance(dtype, (pl.List, pl.Array)):
        return pl.List(pl.String)
    return pl.String


def _as_text(expr, dtype):
    """Any column as text (lists as lists of text, structs left to be flattened)."""
    import polars as pl

    if isinstance(dtype, (pl.List, pl.Array)):
        return expr.cast(pl.List(pl.String), strict=False)
    if dtype == pl.String:
        return expr
    if dtype == pl.Boolean:
        return pl.when(expr).then(pl.lit("true")).when(~expr).then(pl.lit("false")).otherwise(None)
    return expr.cast(pl.String, strict=False)


def _flat(schema) -> list:
    """(name, expression) for every leaf column, struct fields flattened to dotted names."""
    import polars as pl

    out = []

    def walk(name, expr, dtype):
        if isinstance(dtype, pl.Struct):
            for field in dtype.fields:
                walk(f"{name}.{field.name}", expr.struct.field(field.name), field.dtype)
        else:
            out.append((name, _as_text(expr, dtype).alias(name)))

    for name, dtype in schema.items():
        walk(name, pl.col(name), dtype)
    return out


class StudentsFile:
    """A students file opened for reading: its format, its columns and where the facts are."""

    def __init__(self, path: str, columns: ColumnMap, chunk_rows: int = CHUNK_ROWS):
        self.path = str(path)
        self.format = format_of(path)
        if not Path(path).is_file():
            raise AuditError(f"cannot read the students file {path}: no such file")
        self.chunk_rows = chunk_rows
        try:
            lf = _scan(self.path, self.format)
            schema = lf.schema if isinstance(lf, JsonLines) else lf.collect_schema()
        except Exception as exc:  # polars' own errors: say the file is unreadable, not the value
            raise AuditError(f"cannot read the students file {path} as {self.format}: {type(exc).__name__}") from None
        leaves = _flat(schema)
        self.header = [name for name, _ in leaves]
        self.fact_columns = columns.fact_columns(self.header)  # file column -> fact path
        self.id_column = columns.id_column(self.header)
        self._keep = [expr for name, expr in leaves if name in self.fact_columns or name == self.id_column]
        self._lines = lf if isinstance(lf, JsonLines) else None
        self._lazy = None if self._lines else (lf.select(self._keep) if self._keep else lf.select([]))
        self.ignored = [c for c in self.header if c not in self.fact_columns and c != self.id_column]

    @property
    def paths(self) -> list[str]:
        return list(self.fact_columns.values())

    def count_rows(self) -> int | None:
        """The number of students, for the progress bar: exact for Parquet, counted lines otherwise."""
        if self.format == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(self.path).metadata.num_rows
        lines = 0
        last = b"\n"
        with open(self.path, "rb") as fh:
            while block := fh.read(1 << 24):
                lines += block.count(b"\n")
                last = block[-1:]
        lines += last != b"\n"
        return max(0, lines - 1) if self.format == "csv" else lines

    def chunks(self):
        """Each chunk as a raw (text) frame with ``_row`` and the kept columns; at most chunk_rows rows each."""
        import polars as pl

        if self._lines is not None:  # JSON Lines: read line-aware, an unreadable line being its row's error
            for frame in self._lines.frames(self.chunk_rows):
                yield frame.select([pl.col(ROW), *self._keep, pl.col(UNREADABLE)])
            return
        lf = self._lazy.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
        try:
            for batch in lf.collect_batches(chunk_size=self.chunk_rows):
                # the engine may hand on larger morsels: cut them to the bound
                for start in range(0, batch.height, self.chunk_rows):
                    yield batch.slice(start, self.chunk_rows)
        except pl.exceptions.PolarsError as exc:
            raise AuditError(f"cannot read the students file {self.path} as {self.format}: "
                             f"{type(exc).__name__} (a malformed line?)") from None


def typed(raw, fact_columns: dict[str, str]):
    """(frame of typed fact columns named by path, with ``_row`` and the id; {path: error mask}).

    A mask is True where the cell holds a value that cannot be read as the fact's kind.
    """
    import polars as pl

    exprs, checks = [], []
    for column, path in fact_columns.items():
        kind = FACTS[path].kind
        src = pl.col(column)
        dtype = raw.schema[column]
        if kind == "enum_list":
            if isinstance(dtype, pl.List):
                value = src.list.eval(pl.element().str.strip_chars()).list.filter(pl.element().str.len_chars() > 0)
            else:
                text = src.str.strip_chars()
                bracketed = text.str.starts_with("[") & text.str.ends_with("]")
                inner = pl.when(bracketed).then(text.str.slice(1, text.str.len_chars() - 2)).otherwise(text)
                items = pl.when(bracketed).then(inner.str.split(",")).otherwise(inner.str.split(";"))
                value = items.list.eval(pl.element().str.strip_chars().str.strip_chars("\"'").str.strip_chars()).list.filter(
                    pl.element().str.len_chars() > 0)
        else:
            if isinstance(dtype, pl.List):  # a list where one value belongs: unreadable
                exprs.append(pl.lit(None, pl.String).alias(path))
                checks.append(pl.col(column).is_not_null().alias(path))
                continue
            text = src.str.strip_chars()
            text = pl.when(text.str.len_chars() > 0).then(text)
            if kind == "int":
                as_float = text.cast(pl.Float64, strict=False)
                whole = pl.when((as_float == as_float.floor()) & (as_float.abs() < 2**53)).then(as_float.cast(pl.Int64))
                value = pl.coalesce(text.cast(pl.Int64, strict=False), whole)
            elif kind == "bool":
                low = text.str.to_lowercase()
                value = pl.when(low.is_in(TRUE)).then(True).when(low.is_in(FALSE)).then(False).otherwise(None)
            elif kind == "date":
                value = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
                value = pl.when(text.str.len_chars() == 10).then(value)
            else:
                value = text
        exprs.append(value.alias(path))
        checks.append((pl.col(column).is_not_null() & value.is_null()).alias(path))
    frame = raw.select([pl.col(ROW), *[pl.col(c) for c in raw.columns if c not in fact_columns and c != ROW], *exprs])
    bad = raw.select(checks) if checks else None
    masks = {}
    if bad is not None:
        for path in bad.columns:
            if bad[path].any():
                masks[path] = bad[path]
    return frame, masks
