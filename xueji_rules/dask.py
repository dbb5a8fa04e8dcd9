"""A policy applied to a Dask DataFrame of students: ``map_partitions`` with the column backend.

>>> import dask.dataframe as dd                                                   # doctest: +SKIP
>>> from xueji_rules.dask import audit_dask
>>> answers = audit_dask(dd.read_parquet("students.parquet"), "jiangsu", "suspension", "2025-03-03")
>>> answers.groupby("outcome").size().compute()

Each pandas partition becomes a Polars frame (``polars.from_pandas``), is answered by the
backend (``xueji_rules.partitions.answer``: the same reading and typing of cells as
``xueji audit``) and goes back to pandas with Arrow-backed columns (``ArrowDtype``: strings,
lists of strings and dates as Arrow holds them); ``meta`` declares those types. The task
graph carries a small ``Job`` (region name, policy content hash, questions, date, …), not
the compiled policy; each worker process compiles the policy once and keeps the backends in
a module-level cache shared by its threads (``partitions.compiled``; why: see
``xueji_rules.partitions``).

Needs the ``dask`` extra (``pip install 'xueji_rules[dask]'``: dask[dataframe], distributed,
pyarrow, Polars) on the client and every worker (docs/scale.md, "Spark and Dask").
"""

from __future__ import annotations

from .partitions import answer, make_job, output_schema

__all__ = ["audit_dask", "meta_of"]


def meta_of(job):
    """The empty pandas frame with the answers' columns and types (``map_partitions``' ``meta``)."""
    return _to_pandas(_empty(job))


def _empty(job):
    import polars as pl

    return pl.DataFrame(schema=output_schema(job))


def _to_pandas(frame):
    """Arrow-backed text and date columns; lists of rule ids as object columns of Python lists (a list ArrowDtype
    is written into Parquet's pandas metadata under a name pandas cannot read back)."""
    import polars as pl

    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    pdf = frame.drop(lists).to_pandas(use_pyarrow_extension_array=True)
    for c in lists:
        pdf[c] = pd_object(frame[c].to_list())
    return pdf[frame.columns]


def pd_object(values):
    import pandas as pd

    return pd.Series(values, dtype=object)


def _answer_partition(pdf, job):
    import polars as pl

    frame = pl.from_pandas(pdf, include_index=False)
    return _to_pandas(answer(frame, job))


def audit_dask(ddf, region, question, on, *, backend: str = "columns", calendar=None, readings=None,
               columns=None, id_column: str | None = None, details: bool = False, lists_as_text: bool = False):
    """The answers of every student of ``ddf`` to ``question`` (a question id or a list of them) on ``on``.

    The same columns as ``xueji_rules.spark.audit_spark`` (see there): the id column, ``question``,
    ``outcome``, ``norm``, ``status``, ``failed_rules`` (a list of rule ids), ``error``, ``error_path``
    (and the ``details``). Lazy, as Dask is: ``.compute()``, ``.to_parquet()`` … run it. The
    region, questions, date and readings are checked here, on the client.
    """
    job = make_job(region, question, on, backend=backend, calendar=calendar, readings=readings, columns=columns,
                   id_column=id_column, header=list(ddf.columns), details=details, lists_as_text=lists_as_text)
    return ddf.map_partitions(_answer_partition, job, meta=meta_of(job), enforce_metadata=False,
                              align_dataframes=False)


# --- xueji audit --engine dask --------------------------------------------------------------------------------

def client(scheduler: str | None = None, workers: int = 2):
    """(client, local cluster or None): the scheduler at ``scheduler``, or a local cluster of ``workers`` processes.

    Close both when done (``close``): a client does not close a cluster it was handed.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           host="127.0.0.1")
    return Client(cluster), cluster


def close(client, cluster) -> None:
    client.close()
    if cluster is not None:
        cluster.close()


def read(path: str, blocksize: str = "64MB"):
    """A students file (or a glob of them) by Dask's own readers: CSV (all text), JSON Lines, Parquet."""
    import dask.dataframe as dd

    from .audit.read import format_of

    fmt = format_of(path.replace("*", "x"))
    if fmt == "csv":
        return dd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], blocksize=blocksize)
    if fmt == "jsonl":
        return dd.read_json(path, lines=True, blocksize=blocksize, dtype=False, convert_dates=False)
    return dd.read_parquet(path)


def write(answers, path: str) -> None:
    """The answers to a folder of part files, by Dask's own writers (format by the name's extension)."""
    import os

    from .audit.read import format_of

    fmt = format_of(path, "--out")
    if fmt == "parquet":
        import pyarrow as pa

        # the schema given whole: Dask would infer it from a sample of the meta, where a list column holds no list
        schema = pa.schema([(c, pa.list_(pa.string()) if t == object else t.pyarrow_dtype)
                            for c, t in answers.dtypes.items()])
        answers.to_parquet(path, write_index=False, overwrite=True, schema=schema)
        return
    os.makedirs(path, exist_ok=True)
    for old in os.listdir(path):
        if old.startswith("part-"):
            os.remove(os.path.join(path, old))
    if fmt == "csv":
        answers.to_csv(os.path.join(path, "part-*.csv"), index=False)
    else:
        answers.to_json(os.path.join(path, "part-*.jsonl"), orient="records", lines=True, date_format="iso",
                        force_ascii=False)



def counts(path: str, fmt: str) -> dict:
    """The summary's counts, read back from the written part files with Polars' streaming engine.

    (Dask's own readers would do, but its JSON reader turns the lists of rule ids back into their
    text; the part files are on a file system the client reads, as it wrote them.)
    """
    import os

    import polars as pl

    if fmt == "parquet":
        lf = pl.scan_parquet(os.path.join(path, "*.parquet"))
        failed = pl.col("failed_rules")
    elif fmt == "csv":
        lf = pl.scan_csv(os.path.join(path, "part-*.csv"), infer_schema=False)
        failed = pl.col("failed_rules").str.split(";")
    else:
        lf = pl.scan_ndjson(os.path.join(path, "part-*.jsonl"), schema_overrides={
            "question": pl.String, "outcome": pl.String, "failed_rules": pl.List(pl.String), "error": pl.String})
        failed = pl.col("failed_rules")
    lf = lf.select("question", "outcome", failed.alias("failed_rules"), "error")
    ok = lf.filter(pl.col("error").is_null())
    outcomes = ok.group_by("question", "outcome").len().collect().rows()
    rules = (ok.select("question", pl.col("failed_rules").alias("rule")).explode("rule")
             .filter(pl.col("rule").is_not_null() & (pl.col("rule") != "")).group_by("question", "rule").len()
             .collect().rows())
    errors = lf.filter(pl.col("error").is_not_null()).group_by("error").len().collect().rows()
    by_question = lf.group_by("question").agg(pl.len().alias("rows"), pl.col("error").is_not_null().sum()
                                              .alias("bad")).collect()
    rows = int(by_question["rows"].max() or 0) if by_question.height else 0
    error_rows = int(by_question["bad"].max() or 0) if by_question.height else 0
    return {"outcomes": outcomes, "rules": rules, "errors": errors, "rows": rows, "error_rows": error_rows}
