"""A policy applied to a Spark DataFrame of students: ``mapInArrow`` with the column backend.

>>> from xueji_rules.spark import audit_spark                                    # doctest: +SKIP
>>> answers = audit_spark(spark.read.parquet("students.parquet"), "jiangsu", "suspension", "2025-03-03")
>>> answers.groupBy("outcome").count().show()

Each Arrow record batch Spark hands a Python worker becomes a Polars frame
(``polars.from_arrow``, no copy for most columns), is answered by the backend
(``xueji_rules.partitions.answer``: the same reading and typing of cells as ``xueji audit``)
and goes back as Arrow, cast to the declared schema. What travels to the executors is a
small ``Job`` (region name, policy content hash, questions, date, …), broadcast once;
each Python worker compiles the policy from its own installed copy once and keeps the
backends in a module-level cache (``partitions.compiled``; why not the compiled policy
itself: see ``xueji_rules.partitions``). Spark reuses its Python workers between tasks
(``spark.python.worker.reuse``, on by default), so the policy is compiled once per worker
process, not per task.

Needs the ``spark`` extra (``pip install 'xueji_rules[spark]'``: PySpark, pyarrow, Polars) on the
driver, and xueji_rules installed on every executor (docs/scale.md, "Spark and Dask").
"""

from __future__ import annotations

from .partitions import answer, make_job, output_schema

__all__ = ["audit_spark", "spark_schema"]


def spark_schema(job):
    """The Spark schema of the answers (``mapInArrow`` needs it declared)."""
    import polars as pl
    from pyspark.sql import types as T

    def one(dtype):
        if isinstance(dtype, pl.List):
            return T.ArrayType(T.StringType())
        return {pl.String: T.StringType(), pl.Date: T.DateType()}[dtype]

    return T.StructType([T.StructField(name, one(dtype)) for name, dtype in output_schema(job).items()])


def _arrow_schema(job):
    import polars as pl
    import pyarrow as pa

    def one(dtype):
        if isinstance(dtype, pl.List):
            return pa.list_(pa.string())
        return {pl.String: pa.string(), pl.Date: pa.date32()}[dtype]

    return pa.schema([(name, one(dtype)) for name, dtype in output_schema(job).items()])


def _answer_batches(batches, job, header):
    """mapInArrow's function: Arrow batches in, the answers' Arrow batches out (one per batch and question set)."""
    import polars as pl
    import pyarrow as pa

    schema = _arrow_schema(job)
    for batch in batches:
        frame = pl.from_arrow(pa.Table.from_batches([batch]))
        frame.columns = list(header)
        table = answer(frame, job).to_arrow()
        table = pa.Table.from_arrays([table.column(i).cast(schema.field(i).type) for i in range(len(schema))],
                                     schema=schema)
        yield from table.to_batches()


def audit_spark(df, region, question, on, *, backend: str = "columns", calendar=None, readings=None,
                columns=None, id_column: str | None = None, details: bool = False, lists_as_text: bool = False):
    """The answers of every student of ``df`` to ``question`` (a question id or a list of them) on ``on``.

    ``df``'s columns are named by fact paths (or mapped by ``columns``, an audit ColumnMap), of
    any type Spark read them as (strings from CSV, numbers, booleans, dates, arrays, structs
    flattened to dotted names). Returns a DataFrame with the id column (``id_column``, else the
    first of id, student_id, student.id, 学籍号, 学号 present), then ``question``, ``outcome``,
    ``norm``, ``status``, ``failed_rules`` (array<string>), ``error`` and ``error_path`` (the code
    and fact of a row that could not be answered; its outcome is null); with ``details``, also
    ``outstanding_approvals``, ``earliest_deadline``, ``earliest_deadline_title`` and
    ``missing_facts``, from the full Decision where it adds something. ``calendar`` is the path of
    a school calendar file readable on every executor; ``readings`` {reading id: option}.

    Lazy, as Spark is: nothing runs until the result is written or collected. The region, the
    questions, the date and the readings are checked here, on the driver.
    """
    job = make_job(region, question, on, backend=backend, calendar=calendar, readings=readings, columns=columns,
                   id_column=id_column, header=df.columns, details=details, lists_as_text=lists_as_text)
    try:
        shared = df.sparkSession.sparkContext.broadcast(job)
    except Exception:  # Spark Connect has no SparkContext: the job (a few hundred bytes) travels in the closure
        shared = None

    header = tuple(df.columns)

    def run(batches):
        yield from _answer_batches(batches, shared.value if shared is not None else job, header)

    # Spark resolves each input column by name, and a dotted name (absence.class_hours_missed) would be read as a
    # field of a struct: the columns travel under plain names and get theirs back in the worker
    plain = df.toDF(*[f"_{i}" for i in range(len(header))])
    return plain.mapInArrow(run, spark_schema(job))


# --- xueji audit --engine spark -------------------------------------------------------------------------------

def session(master: str = "local[2]", app: str = "xueji audit"):
    """A Spark session on ``master`` (an existing active session is reused).

    On a local master the Python workers run this interpreter (``PYSPARK_PYTHON``, unless set):
    a virtual environment's packages are then the workers' too. On a cluster the executors'
    Python is the cluster's (docs/scale.md).
    """
    import os
    import sys

    from pyspark.sql import SparkSession

    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (SparkSession.builder.master(master).appName(app)
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate())


def read(spark, path: str):
    """A students file (or folder of part files) by Spark's own readers: CSV (all text), JSON Lines, Parquet."""
    from .audit.read import format_of

    fmt = format_of(path)
    if fmt == "csv":
        return spark.read.option("header", True).option("inferSchema", False).csv(path)
    if fmt == "jsonl":
        return spark.read.json(path)
    return spark.read.parquet(path)


def write(answers, path: str) -> None:
    """The answers to a folder of part files, by Spark's own writers (format by the name's extension)."""
    from .audit.read import format_of

    fmt = format_of(path, "--out")
    w = answers.write.mode("overwrite")
    if fmt == "csv":
        w.option("header", True).csv(path)
    elif fmt == "jsonl":
        w.json(path)
    else:
        w.parquet(path)


def counts(spark, path: str, fmt: str) -> dict:
    """The summary's counts, read back from the written answers: {question: {...}} and errors."""
    from pyspark.sql import functions as F

    df = read(spark, path) if fmt != "jsonl" else spark.read.json(path)
    failed = F.col("failed_rules")
    if fmt == "csv":
        failed = F.split(F.col("failed_rules"), ";")
    ok = df.filter(F.col("error").isNull())
    outcomes = [tuple(r) for r in ok.groupBy("question", "outcome").count().collect()]
    rules = [tuple(r) for r in ok.select("question", F.explode(failed).alias("rule"))
             .filter(F.col("rule") != "").groupBy("question", "rule").count().collect()]
    bad = df.filter(F.col("error").isNotNull())
    errors = [tuple(r) for r in bad.groupBy("error").count().collect()]
    by_question = df.groupBy("question").agg(F.count(F.lit(1)).alias("rows"),
                                             F.count(F.col("error")).alias("bad")).collect()
    rows = max((r["rows"] for r in by_question), default=0)
    error_rows = max((r["bad"] for r in by_question), default=0)
    return {"outcomes": outcomes, "rules": rules, "errors": errors, "rows": rows, "error_rows": error_rows}
