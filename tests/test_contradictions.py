"""Facts that contradict each other are an error, not an answer (issue 7 §5)."""

from __future__ import annotations

import pytest

import xueji_rules as xr

BOTH = {"student": {"stage": "senior", "grade": 12, "years_of_study": 3},
        "results": {"completed_term": True, "left_school": True, "graduation_credits_met": False}}


@pytest.mark.parametrize("how", ["ask", "decide", "decider"])
def test_completed_term_and_left_midway_is_a_facts_error_on_every_path(how):
    """Shandong 第二十八条/第二十九条: a full-term student cannot also have left midway — no 肄业 certificate, an error."""
    with pytest.raises(xr.FactsError) as info:
        if how == "ask":
            xr.ask("shandong", "graduation", BOTH, on="2025-06-20")
        elif how == "decide":
            xr.decide("shandong", "graduation", BOTH, on="2025-06-20")
        else:
            xr.decider("shandong", "graduation", on="2025-06-20")(BOTH)
    (d,) = info.value.diagnostics
    assert d.code == "contradictory_facts"
    assert "results.completed_term" in d.path and "results.left_school" in d.path


def test_either_fact_alone_is_answered():
    """Each fact alone is no contradiction: the question answers."""
    for results in ({"completed_term": True, "left_school": False}, {"completed_term": False, "left_school": True}):
        facts = {**BOTH, "results": {**BOTH["results"], **results}}
        assert xr.ask("shandong", "graduation", facts, on="2025-06-20").outcome in ("denied", "undetermined")


def test_an_unknown_fact_contradicts_nothing():
    facts = {**BOTH, "results": {"left_school": True, "graduation_credits_met": False}}
    xr.ask("shandong", "graduation", facts, on="2025-06-20")  # no error
