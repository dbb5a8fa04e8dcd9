"""One partition of students answered by a backend: what ``xueji_rules.spark`` and ``xueji_rules.dask`` run on workers.

A Spark or Dask worker gets a ``Job`` (a few hundred bytes: the region's name, its policy's
content hash, the policy roots, the questions, the date, the backend's name, the calendar's
path, the readings, the column map) and a partition of students as a Polars frame, whatever
types the engine read them with; ``answer`` gives back the audit columns, row for row and
question by question.

Why a Job and not the compiled policy: a compiled policy holds generated code (its kernel's
functions are made with ``exec``), which ``pickle`` refuses and ``cloudpickle`` copies by value
into about 750 kB per task. Each worker process instead compiles the policy once from its own
installed copy (``load_policy`` caches it) and keeps the backends in ``_CACHE``, keyed by
everything that makes them (``Job.key``): later partitions and later tasks in the same process
reuse them. The policy's content hash travels with the job and is checked against the one the
worker compiled, so a worker holding another version of the policy stops with an error instead
of answering by other rules.

The cells are read exactly as ``xueji audit`` reads a file (``xueji_rules.audit.read``): every
column first as text (an empty text cell is a fact not given), then typed by its fact's kind; a
cell that cannot be read as its kind makes its row an error ``facts_type``. Rows in error stay
in the output, with a null outcome, the error's code in ``error`` and the fact in
``error_path`` (never a value).
"""

from __future__ import annotations

import datetime as dt
import threading

import attrs

from .errors import XuejiError

#: the audit columns, after the id column (when the input has one)
CORE = ("question", "outcome", "norm", "status", "failed_rules", "error", "error_path")
#: with ``details``: what the full Decision adds (as in ``xueji audit``'s output)
DETAILS = ("outstanding_approvals", "earliest_deadline", "earliest_deadline_title", "missing_facts")


class PolicyMismatchError(XuejiError):
    """A worker compiled another version of the policy than the driver."""

    code = "policy_mismatch"


@attrs.frozen
class Job:
    """What a worker needs to answer a partition; small, and picklable by plain ``pickle``."""

    region: str
    content_hash: str
    questions: tuple
    on: dt.date
    backend: str = "columns"
    roots: tuple = ()
    calendar: str | None = None
    readings: tuple | None = None  # ((reading id, option), ...)
    columns: object = None  # an audit ColumnMap, or None: columns named by fact paths
    id_column: str | None = None
    details: bool = False
    lists_as_text: bool = False  # list columns joined by ';' (for CSV output)

    def key(self) -> tuple:
        return (self.region, self.content_hash, self.roots, self.on, self.backend, self.calendar, self.readings)

    def column_map(self):
        from .audit.columns import ColumnMap

        return self.columns if self.columns is not None else ColumnMap()


def make_job(region: str, questions, on, *, backend: str = "columns", calendar=None, readings=None, columns=None,
             id_column: str | None = None, header=None, details: bool = False, lists_as_text: bool = False) -> Job:
    """The Job for a run, checked on the driver: region, questions, date, readings, calendar and backend.

    The backends are built here once, so that every user error is raised before any worker starts
    (and, on a local master, the driver's process already holds them).
    """
    from .evaluate import day_of
    from .load import load_policy
    from .locate import policy_roots

    if isinstance(questions, str):
        questions = (questions,)
    if calendar is not None and not isinstance(calendar, (str, bytes)) and not hasattr(calendar, "__fspath__"):
        raise XuejiError("on Spark and Dask the calendar is given as the path of its file (each worker loads it)")
    policy = load_policy(region)
    roots = tuple(str(r) for r, where in policy_roots() if where != "bundled")
    job = Job(region=str(region), content_hash=policy.content_hash, questions=tuple(questions), on=day_of(on),
              backend=backend, roots=roots, calendar=None if calendar is None else str(calendar),
              readings=tuple(sorted(readings.items())) if readings else None, columns=columns,
              details=details, lists_as_text=lists_as_text)
    if header is not None:
        job = attrs.evolve(job, id_column=job.column_map().id_column(list(header)) if id_column is None else id_column)
        if id_column is not None and id_column not in header:
            from .audit.columns import AuditError

            raise AuditError(f"the id column '{id_column}' is not in the students data")
    compiled(job)
    return job


_CACHE: dict = {}
_LOCK = threading.Lock()


def compiled(job: Job):
    """(policy, {question: backend}) for the job, built once per process (Dask's threads share it)."""
    key = job.key()
    got = _CACHE.get(key)
    if got is not None and all(q in got[1] for q in job.questions):
        return got
    with _LOCK:
        got = _CACHE.get(key)
        if got is None or not all(q in got[1] for q in job.questions):
            from .audit.run import backend_class
            from .load import load_policy
            from .locate import policy_roots_given

            with policy_roots_given(*job.roots):
                policy = load_policy(job.region)
            if policy.content_hash != job.content_hash:
                raise PolicyMismatchError(
                    f"this worker's policy '{job.region}' is not the driver's (content hash "
                    f"{policy.content_hash[:12]} here, {job.content_hash[:12]} on the driver): install the same "
                    "version of xueji_rules and its policies on every worker")
            cls = backend_class(job.backend)
            readings = dict(job.readings) if job.readings else None
            backends = dict(got[1]) if got is not None else {}
            for q in job.questions:
                if q not in backends:
                    backends[q] = cls(policy, q, job.on, calendar=job.calendar, readings=readings)
            got = _CACHE[key] = (policy, backends)
    return got


def output_schema(job: Job) -> dict:
    """The Polars schema of ``answer``'s frame (Spark's and Dask's declared schema are made from it)."""
    import polars as pl

    text_list = pl.String if job.lists_as_text else pl.List(pl.String)
    schema = {}
    if job.id_column is not None:
        schema[job.id_column] = pl.String
    schema.update({"question": pl.String, "outcome": pl.String, "norm": pl.String, "status": pl.String,
                   "failed_rules": text_list, "error": pl.String, "error_path": pl.String})
    if job.details:
        schema.update({"outstanding_approvals": text_list, "earliest_deadline": pl.Date,
                       "earliest_deadline_title": pl.String, "missing_facts": text_list})
    return schema


def _native(raw, fact_columns: dict) -> dict:
    """{column: type} of the fact columns already of their fact's type (integers, booleans, dates, lists of text).

    The reader's text round trip (``read.typed``) is for text cells; a Parquet or JSON column
    the engine typed already is passed as it is (the column backend checks every value, as
    the row path does).
    """
    import polars as pl

    from .facts.vocabulary import FACTS

    out = {}
    for column, path in fact_columns.items():
        if column not in raw.columns:  # a struct's field: through the reader
            continue
        kind, dtype = FACTS[path].kind, raw.schema[column]
        if kind in ("int", "number") and dtype.is_integer():
            out[column] = pl.Int64
        elif (kind, dtype) in (("bool", pl.Boolean), ("date", pl.Date)):
            out[column] = dtype
        elif kind == "enum_list" and dtype == pl.List(pl.String):
            out[column] = dtype
    return out


def failed_lists(answers):
    """``failed_rules``: the failed rule ids of each row, in rule order, from the ``failed:<rule>`` flags.

    The flags are packed into one integer per row and each distinct integer's list is built
    once (a question's students fail a few dozen distinct sets of rules), then joined back:
    about thirty times faster than concatenating one list column per rule.
    """
    import polars as pl

    rule_ids = [c.split(":", 1)[1] for c in answers.columns if c.startswith("failed:")]
    if not rule_ids:
        return answers.select(pl.lit([], pl.List(pl.String)).alias("failed_rules"))
    if len(rule_ids) > 63:
        failed = pl.concat_list([pl.when(pl.col(f"failed:{r}")).then(pl.lit(r)) for r in rule_ids]).list.drop_nulls()
        return answers.select(failed.alias("failed_rules"))
    bits = pl.sum_horizontal([pl.col(f"failed:{r}").fill_null(False).cast(pl.UInt64) * (1 << i)
                              for i, r in enumerate(rule_ids)]).alias("m")
    words = answers.select(bits)
    distinct = words["m"].unique()
    table = pl.DataFrame({"m": distinct, "failed_rules": pl.Series(
        [[r for i, r in enumerate(rule_ids) if (w >> i) & 1] for w in distinct.to_list()], dtype=pl.List(pl.String))})
    return words.join(table, on="m", how="left", maintain_order="left").select("failed_rules")


def answer(raw, job: Job):
    """The audit columns of a partition of students (a Polars frame), one row per student and question."""
    import polars as pl

    from .audit.read import ROW, _flat, typed
    from .audit.run import _extras

    policy, backends = compiled(job)
    schema = output_schema(job)
    if raw.height == 0:
        return pl.DataFrame(schema=schema)
    leaves = _flat(raw.schema)
    header = [name for name, _ in leaves]
    fact_columns = job.column_map().fact_columns(header)
    native = _native(raw, fact_columns)
    keep = [expr for name, expr in leaves if (name in fact_columns and name not in native) or name == job.id_column]
    text = raw.select(keep) if keep else pl.DataFrame()
    # an empty text cell is a fact not given (Polars' CSV reader makes it null; Spark's and Dask's may not)
    text = text.with_columns([pl.when(pl.col(c).str.len_chars() > 0).then(pl.col(c)).alias(c)
                              for c, t in text.schema.items() if t == pl.String and c != job.id_column])
    text = text.with_columns(pl.int_range(raw.height, dtype=pl.Int64).alias(ROW)) if text.width else \
        pl.DataFrame({ROW: pl.int_range(raw.height, eager=True, dtype=pl.Int64)})
    frame, masks = typed(text, {c: p for c, p in fact_columns.items() if c not in native})
    if native:  # columns the engine already read as their fact's type: taken as they are, checked by the backend
        frame = pl.concat([frame, raw.select([pl.col(c).cast(t).alias(fact_columns[c]) for c, t in native.items()])],
                          how="horizontal")
    bad = pl.Series("bad", [False] * frame.height)
    bad_path = pl.Series("bad_path", [None] * frame.height, dtype=pl.String)
    for path, mask in masks.items():
        bad_path = pl.select(pl.when(mask & ~bad).then(pl.lit(path)).otherwise(bad_path)).to_series()
        bad = bad | mask
    clean = frame.filter(~bad)
    ids = [job.id_column] if job.id_column is not None else []
    parts = []
    for q, backend in backends.items():
        if q not in job.questions:
            continue
        answers = backend.run(clean)
        if "error_path" not in answers.columns:
            answers = answers.with_columns(pl.lit(None, pl.String).alias("error_path"))
        pieces = [clean.select([ROW, *ids]), answers.select("outcome", "norm", "status", "error", "error_path"),
                  failed_lists(answers)]
        if job.details:
            extras, failures = _extras(policy, q, job.on, backend.calendar, backend.readings, clean, answers, False)
            pieces.append(extras)
        part = pl.concat(pieces, how="horizontal")
        if job.details and failures:  # rows the backend answered but the library refuses: errors, as it says
            codes = [failures.get(i, (None, None)) for i in range(part.height)]
            part = part.with_columns(
                pl.Series("error", [c for c, _ in codes], dtype=pl.String).fill_null(pl.col("error")),
                pl.Series("error_path", [p for _, p in codes], dtype=pl.String).fill_null(pl.col("error_path")))
        parts.append(part.with_columns(pl.lit(q).alias("question")))
        if bad.any():
            refused = frame.filter(bad).select([ROW, *ids]).with_columns(
                bad_path.filter(bad).alias("error_path"), pl.lit("facts_type").alias("error"),
                pl.lit(q).alias("question"))
            parts.append(refused)
    out = pl.concat(parts, how="diagonal_relaxed").sort([ROW, "question"], maintain_order=True)
    lists = [c for c in ("failed_rules", "outstanding_approvals", "missing_facts") if c in out.columns]
    # a row in error has no answer: its lists are null, not empty
    out = out.with_columns([pl.when(pl.col("error").is_null()).then(pl.col(c)).alias(c) for c in lists])
    if job.lists_as_text:
        out = out.with_columns([pl.col(c).list.join(";").alias(c) for c in lists])
    return out.select([pl.col(c).cast(t) if c in out.columns else pl.lit(None, t).alias(c) for c, t in schema.items()])


# --- xueji audit --engine spark|dask ---------------------------------------------------------------------------

def audit_with_engine(engine: str, policy, questions, students: str, on, *, out: str | None, columns=None,
                      backend: str = "columns", calendar=None, readings=None, master: str = "local[2]",
                      scheduler: str | None = None, explain: bool = False, progress_stream=None):
    """``xueji audit --engine spark|dask``: read with the engine's reader, answer, write with its writer; the Summary.

    The output is a folder of part files (``--out answers.parquet/``), rows in error included
    (``error``, ``error_path``); the summary's counts are read back from it.
    """
    import time

    from .audit.columns import AuditError
    from .audit.read import format_of
    from .audit.summary import Summary

    if out is None:
        raise AuditError(f"--engine {engine} writes a folder of part files: give it with --out (answers.parquet, "
                         "answers.csv or answers.jsonl)")
    if explain:
        raise AuditError(f"--explain is not available with --engine {engine}: audit the rows you want explained "
                         "with the local engine")
    fmt = format_of(out, "--out")
    format_of(students.replace("*", "x"))
    for q in questions:
        policy.question(q)
    err = progress_stream
    started = time.perf_counter()
    kwargs = dict(backend=backend, calendar=calendar, readings=readings, columns=columns, details=True,
                  lists_as_text=fmt == "csv")
    if engine == "spark":
        from . import spark as engine_module

        session = engine_module.session(master)
        data = engine_module.read(session, students)
        answers = engine_module.audit_spark(data, policy.id,
                                            list(questions), on, **kwargs)
        if err is not None:
            err.write(f"xueji audit: Spark {session.version} on {master}, {data.rdd.getNumPartitions()} partitions\n")
        engine_module.write(answers, out)
        counts = engine_module.counts(session, out, fmt)
    elif engine == "dask":
        from . import dask as engine_module

        client, cluster = engine_module.client(scheduler)
        try:
            data = engine_module.read(students)
            answers = engine_module.audit_dask(data, policy.id, list(questions), on, **kwargs)
            if err is not None:
                err.write(f"xueji audit: Dask on {client.scheduler.address}, {data.npartitions} partitions\n")
            engine_module.write(answers, out)
            counts = engine_module.counts(out, fmt)
        finally:
            engine_module.close(client, cluster)
    else:
        raise AuditError(f"unknown engine '{engine}' (local, spark or dask)")
    summary = Summary(policy, list(questions))
    for q, outcome, n in counts["outcomes"]:
        if q in summary.outcomes:
            summary.outcomes[q][outcome] += n
    for q, rule, n in counts["rules"]:
        if q in summary.failed:
            summary.failed[q][rule] += n
    for code, n in counts["errors"]:
        summary.errors[code] += n
    summary.rows, summary.error_rows = counts["rows"], counts["error_rows"]
    summary.seconds = time.perf_counter() - started
    summary.error_file = None
    return summary

