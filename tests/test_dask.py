"""xueji_rules.dask on Dask's local cluster: the same answers as the row kernel, and `xueji audit --engine dask`.

One local cluster for the module: two workers in this process (threads; ``processes=False``
keeps the start short), reached by the CLI through ``--scheduler`` as a remote one would be.
"""

from __future__ import annotations

import io

import pytest

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pl = pytest.importorskip("polars")

from engines import ON, QUESTIONS, answers_of, assert_same, population, row_kernel, write_csv  # noqa: E402

from xueji_rules import cli  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    # in-process workers talk over Dask's inproc transport: no socket at all
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as local, \
            Client(local) as client:
        yield local, client


@pytest.fixture(scope="module")
def populations():
    out = {}
    for region in QUESTIONS:
        frame = population(region, seed=5, bad_every=89 if region == "jiangsu" else 0)
        out[region] = (frame, row_kernel(region, frame))
    return out


@pytest.mark.parametrize("region", list(QUESTIONS))
def test_dask_answers_as_the_row_kernel(cluster, populations, region, tmp_path):
    import dask.dataframe as dd

    from xueji_rules.dask import audit_dask

    frame, want = populations[region]
    for i, start in enumerate(range(0, len(frame), 700)):  # a folder of four Parquet files: four partitions
        frame.slice(start, 700).write_parquet(tmp_path / f"part-{i}.parquet")
    ddf = dd.read_parquet(str(tmp_path))
    assert ddf.npartitions == 4
    answers = audit_dask(ddf, region, QUESTIONS[region], ON)
    assert list(answers.columns) == ["student_id", "question", "outcome", "norm", "status", "failed_rules", "error",
                                     "error_path"]
    result = answers.compute()
    assert list(result.dtypes) == list(answers.dtypes)  # the declared meta is what the partitions give
    got = answers_of(pl.from_pandas(result).to_dicts())
    assert_same(got, want, "dask")
    if region == "jiangsu":
        assert "facts_type" in {v[3] for v in got.values()}


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_xueji_audit_engine_dask_end_to_end(cluster, populations, tmp_path, suffix):
    """A CSV read by Dask's reader, answered on the cluster at --scheduler, written as part files; summary, exit code."""
    local, _ = cluster
    frame, want = populations["jiangsu"]
    students = write_csv(frame, tmp_path / "students.csv")
    out = tmp_path / f"answers{suffix}"
    code, _, err = run("audit", "jiangsu", *QUESTIONS["jiangsu"], "--students", students, "--on", ON.isoformat(),
                       "--engine", "dask", "--scheduler", local.scheduler_address, "--out", out)
    assert code == 1, err  # some rows are in error
    if suffix == ".csv":
        result = pl.read_csv(out / "part-*.csv", infer_schema=False).with_columns(
            pl.col("failed_rules").str.split(";").list.filter(pl.element() != ""))
    else:
        result = pl.read_ndjson(list(out.glob("part-*.jsonl")), infer_schema_length=None)
    assert_same(answers_of(result.to_dicts()), want, "xueji audit --engine dask")
    assert f"{len(frame):,} students read" in err and "facts_type" in err


def test_engine_dask_needs_an_output_folder(cluster, tmp_path):
    local, _ = cluster
    frame, _ = population("jiangsu", n=10), None
    students = write_csv(frame, tmp_path / "s.csv")
    code, _, err = run("audit", "jiangsu", "suspension", "--students", students, "--on", ON.isoformat(),
                       "--engine", "dask", "--scheduler", local.scheduler_address)
    assert code == 2 and "--out" in err
