"""Spark local[2] and Dask's local cluster against one process, on a generated frame of students.

    python benchmarks/scale.py                     # 1,000,000 Jiangsu students, suspension; prints a Markdown table
    python benchmarks/scale.py --rows 5000000      # bigger
    python benchmarks/scale.py --quick             # 200,000 rows, a smoke test

The students (``scripts/make_students.py``: realistic values, one cell in ten empty) are written
as eight Parquet files, so that every engine reads eight partitions. Each engine then does the
same work per student: read the columns, type them as ``xueji audit`` does, answer with the
column backend, build the list of failed rules (``xueji_rules.partitions.answer``):

- one process: ``answer`` over each file in turn (Polars on its own threads, two here);
- Spark ``local[2]``: ``audit_spark`` over ``spark.read.parquet``, run into Spark's ``noop``
  sink (everything computed, nothing written);
- Dask: ``audit_dask`` over ``dd.read_parquet`` on a ``LocalCluster`` of two worker processes,
  one thread each, the partitions' lengths brought back.

Session and cluster start are not counted, and each engine runs once before it is timed (its
workers compile the policy on their first partition: that is counted separately, as "first
run"). Rates are student-decisions a second, and per core (two cores here). The machine is
small and shared: the load average is printed beside the figures; compare within one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REGION, QUESTIONS, ON = "jiangsu", ["suspension"], "2025-03-03"
FILES = 8
CPU_RATE = None  # one process's student-decisions per CPU-second (all its threads), whatever the machine's load


def make(rows: int, folder: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_students", ROOT / "scripts" / "make_students.py")
    make_students = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_students)
    per = -(-rows // FILES)
    for i in range(FILES):
        n = min(per, rows - i * per)
        frame = make_students.make(REGION, QUESTIONS, n, seed=11 + i)
        frame.write_parquet(folder / f"part-{i}.parquet")


def one_process(folder: Path) -> tuple[float, float]:
    import polars as pl

    from xueji_rules.partitions import answer, make_job

    files = sorted(folder.glob("*.parquet"))
    header = pl.read_parquet_schema(files[0]).keys()
    job = make_job(REGION, QUESTIONS, ON, header=list(header))
    frames = [pl.read_parquet(f) for f in files]  # read before the clock: the engines' reading is theirs
    t = time.perf_counter()
    first = answer(frames[0], job)
    first_s = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    n = sum(answer(f, job).height for f in frames)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    global CPU_RATE
    CPU_RATE = n / cpu
    return n / wall, first_s


def spark(folder: Path) -> tuple[float, float, int]:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from xueji_rules.spark import audit_spark, session

    s = session("local[2]", "xueji benchmark")
    s.sparkContext.setLogLevel("ERROR")
    df = s.read.parquet(str(folder))
    parts = df.rdd.getNumPartitions()
    rows = df.count()
    times = []
    for _ in range(2):
        t = time.perf_counter()
        audit_spark(df, REGION, QUESTIONS, ON).write.format("noop").mode("overwrite").save()
        times.append(time.perf_counter() - t)
    s.stop()
    return rows * len(QUESTIONS) / times[1], times[0], parts


def dask(folder: Path) -> tuple[float, float, int]:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from xueji_rules.dask import audit_dask

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster, Client(cluster):
        ddf = dd.read_parquet(str(folder))
        times, n = [], 0
        for _ in range(2):
            t = time.perf_counter()
            n = int(audit_dask(ddf, REGION, QUESTIONS, ON).map_partitions(len).compute().sum())
            times.append(time.perf_counter() - t)
        return n / times[1], times[0], ddf.npartitions


def section(rows: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="xueji-scale-") as tmp:
        folder = Path(tmp)
        make(rows, folder)
        results = [("one process: column backend (Polars threads)", *one_process(folder), FILES)]
        try:
            import pyspark  # noqa: F401
            results.append(("Spark local[2]: mapInArrow, column backend", *spark(folder)))
        except ImportError:
            results.append(("Spark: skipped (pip install -e '.[spark]')", None, None, None))
        try:
            import distributed  # noqa: F401
            results.append(("Dask LocalCluster (2 processes × 1 thread)", *dask(folder)))
        except ImportError:
            results.append(("Dask: skipped (pip install -e '.[dask]')", None, None, None))
    load = os.getloadavg()[0]
    lines = [f"\nSpark and Dask: Jiangsu suspension, {rows:,} generated students in {FILES} Parquet files, read, typed, "
             f"answered and failed-rule lists built (benchmarks/scale.py; load average {load:.1f} on "
             f"{os.cpu_count()} cores)\n",
             "| engine | partitions | student-decisions a second | per core | first run (policy compiled), s |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for label, rate, first, parts in results:
        if rate is None:
            lines.append(f"| {label} | | | | |")
        else:
            lines.append(f"| {label} | {parts} | {rate:,.0f} | {rate / 2:,.0f} | {first:.1f} |")
    if CPU_RATE:
        lines.append(f"\nOne process, per CPU-second it used (what a core gives when it is not shared): {CPU_RATE:,.0f}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--quick", action="store_true", help="200,000 rows")
    args = ap.parse_args(argv)
    print("\n".join(section(200_000 if args.quick else args.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
