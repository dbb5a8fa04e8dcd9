"""What tests/test_spark.py and tests/test_dask.py share: a generated population and the row kernel's answers to it."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import xueji_rules as xr
from xueji_rules import XuejiError
from xueji_rules.facts.input import nest_paths

ROOT = Path(__file__).resolve().parent.parent
ON = dt.date(2025, 3, 3)
#: several questions of two regions, answered over one population each
QUESTIONS = {"jiangsu": ["suspension", "graduation", "withdrawal"], "shandong": ["suspension", "resumption"]}
N = 2_500  # students per region

_spec = importlib.util.spec_from_file_location("make_students", ROOT / "scripts" / "make_students.py")
make_students = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_students)


def population(region: str, n: int = N, seed: int = 3, bad_every: int = 0):
    """A generated Polars frame of students: realistic values, one in ten cells empty, ids in ``student_id``."""
    return make_students.make(region, QUESTIONS[region], n, seed, ON, bad_every)


def nested(row: dict) -> dict:
    """One generated row (fact-path keys) as the nested facts `ask` takes: nulls left out, dates as text."""
    return nest_paths((path, value.isoformat() if isinstance(value, dt.date) else value)
                      for path, value in row.items() if path != "student_id")


def row_kernel(region: str, frame) -> dict:
    """{(student id, question): (outcome, status, failed rule ids, error code)} by the row kernel, one student at a time.

    ``xueji_rules.decider`` gives the outcome and the failed rules, ``xueji_rules.evaluate`` the
    status; a student whose facts the library refuses gets its error's code.
    """
    policy = xr.load_policy(region)
    want = {}
    for question in QUESTIONS[region]:
        decide = xr.decider(policy, question, ON)
        for row in frame.iter_rows(named=True):
            facts = nested(row)
            try:
                outcome, failed = decide(facts)
                status = xr.evaluate(policy, question, facts, ON).status
                want[row["student_id"], question] = (outcome, status, tuple(failed), None)
            except XuejiError as exc:
                diags = getattr(exc, "diagnostics", None) or ()
                want[row["student_id"], question] = (None, None, (), diags[0].code if diags else exc.code)
    return want


def answers_of(records) -> dict:
    """The same shape from an engine's rows (dicts with student_id, question, outcome, status, failed_rules, error)."""
    return {(r["student_id"], r["question"]): (r["outcome"], r["status"], tuple(r["failed_rules"] or ()), r["error"])
            for r in records}


def assert_same(got: dict, want: dict, engine: str) -> None:
    assert got.keys() == want.keys(), f"{engine}: not one answer per student and question"
    wrong = [k for k in want if got[k] != want[k]]
    assert not wrong, (f"{engine}: {len(wrong)} of {len(want)} answers differ from the row kernel's, e.g. "
                       f"{wrong[0]}: {got[wrong[0]]} against {want[wrong[0]]}")


def write_csv(frame, path: Path) -> Path:
    """The frame as a registry's CSV export (lists as codes joined by ';')."""
    make_students.write(frame, str(path))
    return path
