"""Whole frames: the row kernel against the column backend against hand-written NumPy (Jiangsu suspension).

    python benchmarks/columns.py [--rows 1000000] [--threads N]   # one section of benchmarks/run.py

A frame of generated students, drawn as ``run.py``'s ``suspension_facts`` draws one student,
is answered three ways, each giving the outcome and one failed flag per rule:

- the row kernel (``xueji_rules.decider``) over each student's checked facts, on one core;
- the column backend (``xueji_rules.columns.ColumnBackend.run``), with every input check, on
  the frame as a registry export gives it (strings, integers, booleans, a list of documents),
  and on the same frame typed as a warehouse or a Parquet file gives it (``typed_frame``: each
  enum a ``pl.Enum`` of its fact's codes, the documents a ``List(Enum)``, the dates ``Date``);
- a hand-written NumPy version of the same rules on the same columns (the physical limit:
  no checks, the enums already codes, the document list already three flags).

All are first checked to agree on every row of a sample. Rates are student-decisions a
second. ``--threads`` sets Polars' threads (POLARS_MAX_THREADS, read when Polars loads), so
run.py measures one core and both cores in two child processes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ON = "2025-03-03"
ILLNESS_DOCS = ("hospital_diagnosis", "inpatient_record", "medical_receipts")
DOCS = sorted(set(ILLNESS_DOCS) | {"authority_certificate", "passport_and_visa", "written_application"})


def make_frame(n: int, seed: int = 2026):
    """n students as run.py's suspension_facts draws them, as columns (None: the fact is left out)."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    stage = rng.choice(np.array(["primary", "junior", "senior"]), n)
    grade = np.where(stage == "primary", rng.integers(1, 7, n), np.where(stage == "junior", rng.integers(7, 10, n),
                                                                       rng.integers(10, 13, n)))
    reason = rng.choice(np.array(["illness", "illness", "infectious_disease", "force_majeure", "going_abroad", "other"]), n)
    hours = rng.choice(np.array([150, 210, 211, 320, 321, 340, 341, 500]), n)
    total = rng.choice(np.array([1020, 1020, 960]), n)

    def maybe(share, values, dtype):
        keep = rng.random(n) < share
        return pl.Series(values, dtype=dtype).zip_with(pl.Series(keep), pl.Series([None] * n, dtype=dtype))

    # a pool of document lists, as sample(docs, 0..6) draws them; each row takes one, or none
    import random as _random

    r = _random.Random(seed)
    pool = [sorted(r.sample(DOCS, r.randint(0, 6))) for _ in range(512)]
    docs_idx = rng.integers(0, len(pool), n)
    docs = pl.Series("evidence.documents", [pool[i] for i in docs_idx], dtype=pl.List(pl.String))
    states = np.array([None, "given", "pending", "refused"], dtype=object)
    weights = np.array([30, 52, 13, 5]) / 100
    requested = rng.random(n) < 0.3
    frame = pl.DataFrame({
        "student.stage": stage, "student.grade": grade,
        "absence.reason": reason, "absence.class_hours_missed": hours, "absence.year_total_class_hours": total,
        "absence.still_unable_to_attend": rng.random(n) < 0.8,
        "absence.unbroken_spell": maybe(0.4, rng.random(n) < 0.6, pl.Boolean),
        "absence.start_date": ["2025-01-06"] * n,
        "evidence.documents": docs.zip_with(pl.Series(rng.random(n) < 0.7), pl.Series([None] * n, dtype=pl.List(pl.String))),
        "evidence.hospital_level": maybe(0.7, rng.choice(np.array(["township", "county", "city", "province"]), n), pl.String),
        "request.suspension.is_extension": maybe(0.5, rng.random(n) < 0.6, pl.Boolean),
        "request.suspension.years_suspended_before": rng.choice(np.array([0, 1, 2]), n),
        "request.suspension.approval_date": ["2025-02-01"] * n,
        "approvals.bureau": pl.Series(rng.choice(states, n, p=weights).tolist(), dtype=pl.String),
        "approvals.school": pl.Series(rng.choice(states, n, p=weights).tolist(), dtype=pl.String),
        "approvals.exception_requested": pl.Series(np.where(requested, rng.random(n) < 0.8, False)).zip_with(
            pl.Series(requested), pl.Series([None] * n, dtype=pl.Boolean)),
    })
    return frame


def typed_frame(frame):
    """The same students typed as a warehouse gives them: enums as ``pl.Enum`` of the fact's codes,
    lists of codes as ``List(Enum)``, dates as ``Date`` (integers and booleans are typed already)."""
    import polars as pl

    from xueji_rules.facts.vocabulary import FACTS

    typed = []
    for name in frame.columns:
        spec = FACTS[name]
        if spec.kind == "enum":
            typed.append(pl.col(name).cast(pl.Enum(list(spec.choices))))
        elif spec.kind == "enum_list":
            typed.append(pl.col(name).cast(pl.List(pl.Enum(list(spec.choices)))))
        elif spec.kind == "date":
            typed.append(pl.col(name).str.to_date("%Y-%m-%d"))
    return frame.with_columns(typed)


RULES = ("compulsory_class_hours", "compulsory_not_in_graduating_year", "compulsory_illness_documents",
         "compulsory_force_majeure_documents", "compulsory_going_abroad", "compulsory_extension_approval",
         "compulsory_extension", "compulsory_abroad_no_extension", "senior_class_hours", "senior_not_in_graduating_year",
         "senior_procedure", "senior_going_abroad", "senior_abroad_no_extension", "senior_extension")
OUTCOMES = ("allowed", "allowed_with_approval", "required", "denied_unless_exception", "denied")


def numpy_columns(frame):
    """What the NumPy version reads: the frame's columns as arrays, the document list as three flags."""
    import numpy as np
    import polars as pl

    docs = frame.get_column("evidence.documents")
    return {
        "stage": frame.get_column("student.stage").to_numpy().astype("U7"),
        "grade": frame.get_column("student.grade").to_numpy(),
        "reason": frame.get_column("absence.reason").to_numpy().astype("U18"),
        "hours": frame.get_column("absence.class_hours_missed").to_numpy(),
        "total": frame.get_column("absence.year_total_class_hours").to_numpy(),
        "unable": frame.get_column("absence.still_unable_to_attend").to_numpy(),
        "spell_false": (frame.get_column("absence.unbroken_spell") == False).fill_null(False).to_numpy(),  # noqa: E712
        "docs_none": docs.is_null().to_numpy(),
        "docs_illness": docs.list.eval(pl.element().is_in(list(ILLNESS_DOCS))).list.sum().fill_null(0).to_numpy() == 3,
        "docs_authority": docs.list.contains("authority_certificate").fill_null(False).to_numpy(),
        "docs_passport": docs.list.contains("passport_and_visa").fill_null(False).to_numpy(),
        "level": frame.get_column("evidence.hospital_level").fill_null("").to_numpy().astype("U8"),
        "extension": frame.get_column("request.suspension.is_extension").fill_null(False).to_numpy(),
        "before": frame.get_column("request.suspension.years_suspended_before").to_numpy(),
        "bureau": frame.get_column("approvals.bureau").fill_null("").to_numpy().astype("U7"),
        "requested": frame.get_column("approvals.exception_requested").fill_null(False).to_numpy(),
    }


def numpy_suspension(c):
    """run.py's hand_suspension, vectorised: (outcome codes into OUTCOMES, {rule: failed flags})."""
    import numpy as np

    comp = (c["stage"] == "primary") | (c["stage"] == "junior")
    sen = ~comp
    ext = c["extension"]
    illness = (c["reason"] == "illness") | (c["reason"] == "infectious_disease")
    fm = c["reason"] == "force_majeure"
    abroad = c["reason"] == "going_abroad"
    refused = c["bureau"] == "refused"
    one_spell = ~c["spell_false"]
    g = c["grade"]
    graduating = (g == 6) | (g == 9) | (g == 12)
    level = c["level"]
    level_ok = (level == "") | (level == "county") | (level == "city") | (level == "province")
    papers = (c["docs_none"] | c["docs_illness"]) & level_ok
    unable = c["unable"]
    new = ~ext
    f = {}
    cn, ce, sn, se = comp & new, comp & ext, sen & new, sen & ext
    hours_ok = (c["hours"] > 210) & unable & one_spell
    f["compulsory_class_hours"] = cn & (illness | fm) & ~hours_ok
    f["compulsory_not_in_graduating_year"] = cn & graduating
    f["compulsory_illness_documents"] = cn & illness & (refused | ~papers)
    f["compulsory_force_majeure_documents"] = cn & fm & (refused | (~c["docs_none"] & ~c["docs_authority"]))
    abroad_bad = refused | (~c["docs_none"] & ~c["docs_passport"])
    f["compulsory_going_abroad"] = cn & abroad & abroad_bad
    f["compulsory_extension_approval"] = ce & refused
    f["compulsory_extension"] = ce & (illness | fm) & (refused | ~unable)
    f["compulsory_abroad_no_extension"] = ce & abroad
    f["senior_class_hours"] = sn & ~abroad & ~((c["hours"] * 3 > c["total"]) & unable & one_spell)
    f["senior_not_in_graduating_year"] = sn & graduating
    f["senior_procedure"] = sn & ~abroad & (refused | (illness & ~papers))
    f["senior_going_abroad"] = sn & abroad & abroad_bad
    f["senior_abroad_no_extension"] = se & abroad
    ext_ok = ~refused & (c["before"] + 1 <= 2)
    f["senior_extension"] = se & ~abroad & ~ext_ok
    held = (cn & (illness | fm) & hours_ok) | (cn & abroad & ~abroad_bad) | (ce & (illness | fm) & ~refused & unable) \
        | (sn & ~abroad & (c["hours"] * 3 > c["total"]) & unable & one_spell) | (sn & abroad & ~abroad_bad) \
        | (se & ~abroad & ext_ok)
    denied = (f["compulsory_illness_documents"] | f["compulsory_force_majeure_documents"] | f["compulsory_extension_approval"]
              | f["compulsory_abroad_no_extension"] | f["senior_procedure"] | f["senior_abroad_no_extension"])
    principle = f["compulsory_not_in_graduating_year"] | f["senior_not_in_graduating_year"]
    required = (cn & abroad & ~abroad_bad) | (sn & abroad & ~abroad_bad)
    approval = (cn & ((illness & ~f["compulsory_illness_documents"]) | (fm & ~f["compulsory_force_majeure_documents"])
                      | (abroad & ~abroad_bad))) | (ce & ~refused) | (sn & ~abroad & ~f["senior_procedure"]) \
        | (sn & abroad & ~abroad_bad) | (se & ~abroad & ext_ok)
    bureau = c["bureau"]
    exc = principle & c["requested"]
    out = np.select(
        [denied | ~held, principle & ~c["requested"], exc & (bureau == "refused"), exc & (bureau != "given"),
         principle & required, principle, required, approval],
        [4, 3, 4, 3, 2, 1, 2, 1], default=0)
    return out, f


def rate(fn, rows: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return rows / best


def measure(rows: int, sample: int = 20_000) -> dict:
    import numpy as np

    import xueji_rules as xr
    from xueji_rules.columns import ColumnBackend
    from xueji_rules.facts.input import nest_paths, read_facts

    policy = xr.load_policy("jiangsu")
    frame = make_frame(rows)
    backend = ColumnBackend(policy, "suspension", ON)
    decide = xr.decider(policy, "suspension", ON)

    # equal work: the four agree on every row of a sample
    part = frame.head(sample)
    facts = [read_facts(nest_paths(r.items())) for r in part.to_dicts()]
    want = [decide(f) for f in facts]
    for name, given in (("columns", part), ("columns on the typed frame", typed_frame(part))):
        got = backend.run(given)
        lists = backend.failed_lists(got).to_list()
        for i, (w, o, fl) in enumerate(zip(want, got["outcome"].to_list(), lists)):
            if (o, tuple(fl)) != (w[0], tuple(w[1])):
                raise SystemExit(f"{name} disagree with the row kernel on row {i}: {(o, fl)} != {w}")
    cols = numpy_columns(part)
    codes, flags = numpy_suspension(cols)
    for i, w in enumerate(want):
        failed = tuple(r for r in backend.rule_ids if r in RULES and flags[r][i])
        if (OUTCOMES[codes[i]], failed) != (w[0], tuple(w[1])):
            raise SystemExit(f"NumPy disagrees with the row kernel on row {i}: {(OUTCOMES[codes[i]], failed)} != {w}")

    row_rate = rate(lambda: [decide(f) for f in facts], len(facts))
    col_rate = rate(lambda: backend.run(frame), rows)
    typed = typed_frame(frame)
    typed_rate = rate(lambda: backend.run(typed), rows)
    full = numpy_columns(frame)
    np_rate = rate(lambda: numpy_suspension(full), rows)
    return {"rows": rows, "row_kernel": row_rate, "columns": col_rate, "columns_typed": typed_rate, "numpy": np_rate,
            "rules": len(backend.rule_ids)}


def section(rows: int = 1_000_000) -> list[str]:
    """The Markdown lines of run.py's section: one child process per thread count."""
    results = {}
    for threads in (1, 2):
        env = {**os.environ, "POLARS_MAX_THREADS": str(threads)}
        out = subprocess.run([sys.executable, __file__, "--rows", str(rows), "--json"], env=env,
                             capture_output=True, text=True, check=True)
        results[threads] = json.loads(out.stdout.strip().splitlines()[-1])
    one = results[1]
    lines = [f"\nWhole frames: Jiangsu suspension, {rows:,} generated students, outcome + {one['rules']} failed-rule "
             "flags each (benchmarks/columns.py; the engines checked to agree first)\n",
             "| engine | cores | student-decisions a second |", "| --- | ---: | ---: |",
             f"| row kernel (decider, checked facts) | 1 | {one['row_kernel']:,.0f} |"]
    for key, what in (("columns", "registry export: text, every input check"),
                      ("columns_typed", "typed frame: Enum codes, List(Enum), Date; every input check")):
        for threads, got in results.items():
            cores = "1" if threads == 1 else f"{threads} (Polars threads)"
            lines.append(f"| column backend ({what}) | {cores} | {got[key]:,.0f} |")
    lines.append(f"| hand-written NumPy (no checks, enums already codes; the limit) | 1 | {one['numpy']:,.0f} |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--json", action="store_true", help="print the measurement as JSON (for run.py)")
    args = ap.parse_args(argv)
    if args.json:
        print(json.dumps(measure(args.rows)))
    else:
        print("\n".join(section(args.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
