"""xueji_rules.spark on a local Spark (local[2]): the same answers as the row kernel, and `xueji audit --engine spark`.

One Spark session for the module (its start costs most of this file's time); small Arrow
batches so that each partition is answered in several batches by the cached backends.
"""

from __future__ import annotations

import io
import os
import shutil
import sys

import pytest

pytest.importorskip("pyspark")
pl = pytest.importorskip("polars")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("PySpark needs Java (17): no java on PATH and no JAVA_HOME", allow_module_level=True)

from engines import ON, QUESTIONS, answers_of, assert_same, population, row_kernel  # noqa: E402

from engines import write_csv  # noqa: E402

from xueji_rules import cli  # noqa: E402
from xueji_rules.partitions import Job, PolicyMismatchError, compiled  # noqa: E402

#: PySpark's own notice about pandas 3; the engine here passes Arrow batches, not pandas frames
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("xueji tests")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.default.parallelism", "2")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "700")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def populations(tmp_path_factory):
    """Per region: (the frame, its Parquet file, the row kernel's answers); Jiangsu with a spoiled cell every 97 rows."""
    folder = tmp_path_factory.mktemp("spark")
    out = {}
    for region in QUESTIONS:
        frame = population(region, bad_every=97 if region == "jiangsu" else 0)
        path = folder / f"{region}.parquet"
        frame.write_parquet(path)
        out[region] = (frame, path, row_kernel(region, frame))
    return out


@pytest.mark.parametrize("region", list(QUESTIONS))
def test_spark_answers_as_the_row_kernel(spark, populations, region):
    from xueji_rules.spark import audit_spark

    frame, path, want = populations[region]
    df = spark.read.parquet(str(path)).repartition(3)
    answers = audit_spark(df, region, QUESTIONS[region], ON)
    assert [f.name for f in answers.schema.fields] == ["student_id", "question", "outcome", "norm", "status",
                                                        "failed_rules", "error", "error_path"]
    assert answers.schema["failed_rules"].dataType.simpleString() == "array<string>"
    got = answers_of(r.asDict() for r in answers.collect())
    assert_same(got, want, "spark")
    if region == "jiangsu":  # the spoiled cells are errors with their code and fact, never their value
        errors = {(v[3]) for v in got.values()}
        assert "facts_type" in errors


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_xueji_audit_engine_spark_end_to_end(spark, populations, tmp_path):
    """A CSV read by Spark's reader, answers written by its writer as Parquet part files, the summary, the exit code."""
    frame, _, want = populations["jiangsu"]
    students = write_csv(frame, tmp_path / "students.csv")
    out = tmp_path / "answers.parquet"
    code, _, err = run("audit", "jiangsu", *QUESTIONS["jiangsu"], "--students", students, "--on", ON.isoformat(),
                       "--engine", "spark", "--master", "local[2]", "--out", out)
    assert code == 1, err  # some rows are in error
    result = pl.read_parquet(out / "*.parquet")
    assert {"outstanding_approvals", "earliest_deadline", "missing_facts"} <= set(result.columns)
    assert_same(answers_of(result.to_dicts()), want, "xueji audit --engine spark")
    assert f"{len(frame):,} students read" in err and "facts_type" in err
    # what the full Decision adds is the local audit's, row for row
    local = tmp_path / "local.parquet"
    assert run("audit", "jiangsu", *QUESTIONS["jiangsu"], "--students", students, "--on", ON.isoformat(),
               "--out", local)[0] == 1
    details = ["student_id", "question", "outstanding_approvals", "earliest_deadline", "earliest_deadline_title",
               "missing_facts"]
    mine = result.filter(pl.col("error").is_null()).select(details).sort("student_id", "question")
    theirs = pl.read_parquet(local).select(details).sort("student_id", "question")
    assert mine.height == theirs.height and mine.equals(theirs)


def test_a_worker_with_another_policy_stops():
    job = Job(region="jiangsu", content_hash="0" * 64, questions=("suspension",), on=ON)
    with pytest.raises(PolicyMismatchError, match="not the driver's"):
        compiled(job)
