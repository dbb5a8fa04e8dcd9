"""Readings with alternatives: switched per ask, in the fast path, in case files and on the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import xueji_rules as xr
from xueji_rules import cli

PROCEDURE = Path(__file__).parent / "policies" / "procedure"
MOVE = {"student": {"stage": "junior", "grade": 8}, "request": {"transfer": {"reason": "family_move"}}}
ABROAD = {"student": {"stage": "junior", "grade": 8, "guardian": {"situations": ["abroad_on_duty"], "years_abroad": 1}},
          "request": {"borrowing": {"reason": "guardian_situation", "to_school": {"ownership": "public"}}}}
ON = "2025-03-03"


def test_a_reading_in_a_condition_switches_the_edge():
    """一年以上: exactly one year qualifies as the policy reads it, and not when the other option is asked for."""
    assert xr.may_borrow("jiangsu", ABROAD, on=ON).failed == ()
    d = xr.may_borrow("jiangsu", ABROAD, on=ON, readings={"one_year_inclusive": "不含本数"})
    assert (d.outcome, d.failed) == ("denied", ("compulsory_guardian_situation",))
    assert [(r.id, r.option) for r in d.readings if r.id == "one_year_inclusive"] == [("one_year_inclusive", "不含本数")]


def test_every_path_gives_the_same_answer_under_a_reading():
    asked = {"one_year_inclusive": "不含本数"}
    d = xr.may_borrow("jiangsu", ABROAD, on=ON, readings=asked)
    assert xr.decide("jiangsu", "borrowing", ABROAD, on=ON, readings=asked) == (d.outcome, d.failed)
    assert xr.decider("jiangsu", "borrowing", on=ON, readings=asked)(ABROAD) == (d.outcome, d.failed)


def test_a_review_read_as_a_step_at_ask_time_waits_for_nobody():
    """The same switch as editing `chosen:`, without touching the policy: the review is listed, not waited for."""
    policy = xr.load_policy(PROCEDURE)
    facts = {**MOVE, "approvals": {"to_bureau": "given", "to_school": "refused"}}
    assert xr.ask(policy, "transfer", facts, on=ON).status == "refused"
    d = xr.ask(policy, "transfer", facts, on=ON, readings={"review_is_approval": "步骤"})
    assert (d.status, d.failed) == ("proceed", ())
    assert [f.kind for f in d.filings] == ["审核"]
    assert xr.decide(policy, "transfer", facts, on=ON, readings={"review_is_approval": "步骤"})[0] == d.outcome


@pytest.mark.parametrize("asked, code", [({"no_such_reading": "x"}, "unknown_reading"),
                                         ({"one_year_inclusive": "sometimes"}, "bad_choice"),
                                         ({"exceeds_excludes_the_number": "x"}, "unknown_reading")])
def test_a_reading_that_cannot_be_switched_is_a_clear_error(asked, code):
    with pytest.raises(xr.FactsError) as info:
        xr.may_borrow("jiangsu", ABROAD, on=ON, readings=asked)
    assert [d.code for d in info.value.diagnostics] == [code]


def test_the_command_line_switches_a_reading_and_lists_them(tmp_path):
    path = tmp_path / "f.json"
    path.write_text(json.dumps(ABROAD), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["ask", "jiangsu", "borrowing", "--facts", str(path), "--on", ON, "--format", "json",
                     "--reading", "one_year_inclusive=不含本数"], stdout=out, stderr=err, stdin=io.StringIO())
    assert code == 0, err.getvalue()
    assert json.loads(out.getvalue())["outcome"] == "denied"
    out = io.StringIO()
    assert cli.main(["readings", "jiangsu", "--format", "json"], stdout=out, stderr=io.StringIO(), stdin=io.StringIO()) == 0
    report = {r["id"]: r for r in json.loads(out.getvalue())}
    assert report["one_year_inclusive"]["chosen"] == "包括本数"
    other = next(o for o in report["one_year_inclusive"]["options"] if o["option"] == "不含本数")
    assert any("恰好一年" in c["note"] for c in other["cases_changed"])


def test_a_case_file_reading_must_exist(tmp_path):
    from xueji_rules.compliance import check_case_file

    path = tmp_path / "c.yaml"
    path.write_text("question: borrowing\non: 2025-03-03\nreadings: {one_year_inclusve: 不含本数}\n"
                    "cases:\n  - note: x\n    want: {outcome: denied}\n", encoding="utf-8")
    _, diags = check_case_file(path, xr.load_policy("jiangsu"))
    assert [d.code for d in diags] == ["unknown_reading"]


def test_the_kinds_of_students_a_reading_changes_are_found_by_the_solver():
    """z3 finds the student the other option of 一年以上 answers differently: a guardian abroad exactly a year."""
    pytest.importorskip("z3")
    from xueji_rules.readings import students_changed, variant

    policy = xr.load_policy("jiangsu")
    found = students_changed(policy, "one_year_inclusive", "不含本数", on=ON)
    borrowing = [s for s in found if s["question"] == "borrowing" and s["pair"]]
    assert borrowing and all(s["mismatch"] is None for s in borrowing)
    assert any(s["facts"]["student"]["guardian"].get("years_abroad") == 1 for s in borrowing)
    other = variant(policy, "one_year_inclusive", "不含本数")
    assert xr.ask(other, "borrowing", ABROAD, on=ON).outcome == "denied"  # every path asks the switched option
    assert xr.decider(other, "borrowing", on=ON)(ABROAD)[0] == "denied"
