"""Write a file of N generated students for a region's question(s): CSV, JSON Lines or Parquet (by extension).

    python scripts/make_students.py jiangsu suspension 3000000 /tmp/students.parquet
    python scripts/make_students.py jiangsu suspension graduation 100000 students.csv --seed 7

One column per fact the questions read (named by its fact path) and a ``student_id``.
The facts a deadline is counted from (``absence.start_date``) are
included, so that deadlines are dated. Values are drawn per column, vectorised (Polars ``sample`` with a seed: the same seed gives
the same file), from realistic choices: grades 1–12 with their stage, class hours around
the thresholds (210 hours; a third of the year), the documents a registry receives, Jiangsu
division codes, approvals mostly given, sometimes pending or refused; about one value in
ten is left empty (a fact not given), as in a real export. Lists (``evidence.documents``)
are ``;``-joined in a CSV (``[]`` for an empty one), lists in JSON Lines and Parquet. ``--bad-every K`` spoils one cell
in every K rows (a class-hour count written as text) to exercise the error file.
Needs the audit extra (Polars).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from xueji_rules.facts.vocabulary import FACTS  # noqa: E402
from xueji_rules.load import load_policy  # noqa: E402

#: realistic values of the facts that decide most answers (anything else: by the fact's kind)
CHOICES = {
    "absence.class_hours_missed": [0, 40, 150, 209, 210, 211, 260, 320, 340, 341, 400, 520],
    "absence.year_total_class_hours": [960, 1020, 1020, 1020],
    "absence.reason": ["illness", "illness", "illness", "infectious_disease", "force_majeure", "going_abroad", "other"],
    "absence.treatment_months": [1, 2, 3, 4, 6, 8, 12],
    "request.suspension.years_suspended_before": [0, 0, 0, 1, 1, 2],
    "results.compulsory_credits": [110, 115, 116, 120, 120, 120],
    "results.elective_ii_credits": [4, 5, 6, 8, 8],
    "results.total_credits": [140, 143, 144, 150, 150, 150],
    "results.fitness_score": [45, 55, 60, 70, 80, 90],
    "evidence.hospital_level": ["township", "county", "city", "city", "province"],
}
COUNTIES = ["321202", "321203", "321282", "321002", "320106", "320205"]
EMPTY = 0.1  # share of cells left empty (a fact not given)
BAD = "unknown"  # the text --bad-every writes where a number belongs


def _dates(on: dt.date) -> list[str]:
    return [(on - dt.timedelta(days=d)).isoformat() for d in range(0, 800, 7)]


def _pool(spec, rng: random.Random, on: dt.date) -> list:
    """The values one column is drawn from (repeats weight them)."""
    if spec.path in CHOICES:
        return CHOICES[spec.path]
    kind = spec.kind
    if kind == "bool":
        return [True] * 6 + [False] * 3
    if kind in ("int", "number"):
        low = spec.minimum if spec.minimum is not None else 0
        high = min(spec.maximum if spec.maximum is not None else 10, low + 10)
        return list(range(low, high + 1))
    if kind == "enum":
        choices = list(spec.choices)
        if spec.path.startswith("approvals."):
            return ["given"] * 6 + ["pending"] * 2 + ["refused"]
        return choices
    if kind == "enum_list":
        codes = list(spec.choices)
        return [";".join(sorted(rng.sample(codes, rng.randint(0, min(4, len(codes)))))) for _ in range(40)]
    if kind == "date":
        return _dates(on)
    if kind == "division":
        level = spec.path.rsplit(".", 1)[1]
        return [{"province": c[:2] + "0000", "city": c[:4] + "00", "county": c}[level] for c in COUNTIES]
    return ["第一中学", "实验小学", "城东学区"]  # text: school names, townships, districts


def make(region: str, questions: list[str], n: int, seed: int = 1, on: dt.date = dt.date(2025, 3, 3),
         bad_every: int = 0) -> pl.DataFrame:
    policy = load_policy(region)
    paths: list[str] = []
    for q in questions:
        question = policy.question(q)
        # the facts its rules read, and those its deadlines are counted from (absence.start_date …)
        dated = [p for r in question.rules for d in r.deadlines for p in re.findall(r"[a-z_]+(?:\.[a-z_]+)+", d.expression)]
        for p in [*question.facts, *dated]:
            if p not in paths and p in FACTS:
                paths.append(p)
    rng = random.Random(seed)
    cols = {"student_id": pl.int_range(1, n + 1, eager=True).cast(pl.String).str.zfill(10).alias("student_id")}
    grade = pl.Series("student.grade", list(range(1, 13))).sample(n, with_replacement=True, seed=seed)
    places = {}  # a place's prefix -> its county codes, one per student: its levels agree (and are empty together)
    for i, path in enumerate(paths):
        parent, _, level = path.rpartition(".")
        if FACTS[path].kind == "division" or (level in ("township", "school_district") and f"{parent}.county" in FACTS):
            if parent not in places:
                county = pl.Series(COUNTIES).sample(n, with_replacement=True, seed=seed * 31 + len(places))
                empty = pl.Series([True] + [False] * 9).sample(n, with_replacement=True, seed=seed * 37 + len(places))
                places[parent] = pl.select(pl.when(empty).then(None).otherwise(county)).to_series()
            county = places[parent]
            s = {"province": county.str.slice(0, 2) + "0000", "city": county.str.slice(0, 4) + "00", "county": county,
                 "township": county + "001"}.get(level)
            if s is not None:
                cols[path] = s.alias(path)
            continue
        if path == "student.grade":
            s = grade
        elif path == "student.stage":
            s = pl.select(pl.when(grade <= 6).then(pl.lit("primary")).when(grade <= 9).then(pl.lit("junior"))
                          .otherwise(pl.lit("senior")).alias(path)).to_series()
        else:
            pool = _pool(FACTS[path], rng, on)
            s = pl.Series(path, pool).sample(n, with_replacement=True, seed=seed * 1000 + i)
            if FACTS[path].kind == "enum_list":
                s = s.str.split(";").list.filter(pl.element() != "")
        empty = pl.Series([True] * int(EMPTY * 100) + [False] * (100 - int(EMPTY * 100))).sample(
            n, with_replacement=True, seed=seed * 7919 + i)
        if path not in ("student.stage", "student.grade"):
            s = pl.select(pl.when(empty).then(None).otherwise(s).alias(path)).to_series()
        cols[path] = s.alias(path)
    frame = pl.DataFrame(list(cols.values()))
    if bad_every and "absence.class_hours_missed" in frame.columns:
        col = "absence.class_hours_missed"
        frame = frame.with_columns(pl.when(pl.int_range(pl.len()) % bad_every == bad_every // 2)
                                   .then(pl.lit(BAD)).otherwise(pl.col(col).cast(pl.String)).alias(col))
    return frame


def csv_lists(frame: pl.DataFrame) -> pl.DataFrame:
    """Lists as a CSV cell holds them: codes joined by ';', ``[]`` for the empty list (an empty cell is "not given")."""
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns([pl.when(pl.col(c).list.len() == 0).then(pl.lit("[]")).otherwise(pl.col(c).list.join(";"))
                               .alias(c) for c in lists])


def write(frame: pl.DataFrame, out: str) -> None:
    suffix = Path(out).suffix.lower()
    if suffix == ".parquet":
        frame.write_parquet(out)
    elif suffix in (".jsonl", ".ndjson"):
        frame.write_ndjson(out)
    elif suffix == ".csv":
        csv_lists(frame).write_csv(out)
    else:
        raise SystemExit(f"make_students: name the output .csv, .jsonl or .parquet, not {out}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("region")
    ap.add_argument("args", nargs="+", metavar="QUESTION... N OUT")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--on", default="2025-03-03", help="dates are drawn in the two years before this day")
    ap.add_argument("--bad-every", type=int, default=0, metavar="K", help="spoil one cell in every K rows")
    ap.add_argument("--batch", type=int, default=1_000_000, help="rows generated at a time (bounds memory)")
    a = ap.parse_args(argv)
    if len(a.args) < 3:
        ap.error("give QUESTION [QUESTION ...] N OUT")
    *questions, n, out = a.args
    n = int(n)
    on = dt.date.fromisoformat(a.on)
    if n <= a.batch:
        write(make(a.region, questions, n, a.seed, on, a.bad_every), out)
        return 0
    # in batches, so that tens of millions of rows never sit in memory at once (Parquet: one row group each)
    import pyarrow.parquet as pq

    suffix = Path(out).suffix.lower()
    writer = None
    with open(out, "wb") as fh:
        for k, start in enumerate(range(0, n, a.batch)):
            frame = make(a.region, questions, min(a.batch, n - start), a.seed + k, on, a.bad_every)
            frame = frame.with_columns((pl.col("student_id").cast(pl.Int64) + start).cast(pl.String).str.zfill(10))
            if suffix == ".parquet":
                table = frame.to_arrow()
                writer = writer or pq.ParquetWriter(fh, table.schema)
                writer.write_table(table)
            elif suffix in (".jsonl", ".ndjson"):
                frame.write_ndjson(fh)
            else:
                csv_lists(frame).write_csv(fh, include_header=k == 0)
        if writer is not None:
            writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
