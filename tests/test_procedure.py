"""Approvals, consents, reviews and filings: where each stands, and what the clerk does next."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import xueji_rules as xr
from xueji_rules import Decision
from xueji_rules.load import compile_policy
from xueji_rules.procedure import LEGACY_OUTCOME, NORMS, STATUSES

POLICY = Path(__file__).parent / "policies" / "procedure"
MOVE = {"student": {"stage": "junior", "grade": 8}, "request": {"transfer": {"reason": "family_move"}}}
ON = "2025-03-03"


@pytest.fixture(scope="module")
def policy():
    return xr.load_policy(POLICY)


def test_pending_approvals_name_who_must_still_approve(policy):
    """With nothing given, the answer is allowed in norm and waits for each gate, naming party, level and words."""
    d = xr.ask(policy, "transfer", MOVE, on=ON)
    assert (d.norm, d.status, d.outcome) == ("allowed", "await_approval", "allowed_with_approval")
    assert [(a.party, a.level, a.kind, a.state) for a in d.awaiting] == [
        ("to_bureau", "上级", "批准", "pending"), ("to_school", "当事人", "审核", "pending")]
    assert d.awaiting[1].reading == "review_is_approval"
    assert "review_is_approval" in [r.id for r in d.readings]


def test_a_refusal_fails_the_rule_it_gates(policy):
    """A refused review denies with that rule failed; the approval says refused."""
    d = xr.ask(policy, "transfer", {**MOVE, "approvals": {"to_school": "refused"}}, on=ON)
    assert (d.norm, d.status, d.failed) == ("denied", "refused", ("receiving_school_review",))
    assert [a.state for a in d.approvals if a.party == "to_school"] == ["refused"]
    assert xr.decide(policy, "transfer", {**MOVE, "approvals": {"to_school": "refused"}}, on=ON) == (
        "denied", ("receiving_school_review",))


def test_an_approval_fact_is_never_asked_for(policy):
    """Absent approvals are pending, never missing facts."""
    d = xr.ask(policy, "transfer", {"student": {"stage": "junior", "grade": 8}, "request": {"transfer": {}}}, on=ON)
    assert d.status == "ask_for_facts"
    assert not [f for f in d.missing_facts if f.startswith("approvals.")]


def test_required_and_awaiting_approval_are_both_said(policy):
    """经批准后，应当注销: the norm is required, and the clerk waits for the approval; the filing never waits."""
    facts = {"request": {"cancellation": {"ground": "death"}}}
    d = xr.ask(policy, "registry_cancellation", facts, on=ON)
    assert (d.norm, d.status, [a.party for a in d.awaiting]) == ("required", "await_approval", ["bureau"])
    assert [(f.kind, f.by) for f in d.filings] == [("备案", "市教育局")]
    d = xr.ask(policy, "registry_cancellation", {**facts, "approvals": {"bureau": "given"}}, on=ON)
    assert (d.norm, d.status) == ("required", "proceed")


def test_an_exception_applied_for_waits_for_its_grantor(policy):
    """原则上不 with an exception applied for: await the grantor; granted, allowed; refused, denied — fast path too."""
    grade9 = {**MOVE, "student": {"stage": "junior", "grade": 9}}
    assert xr.ask(policy, "transfer", grade9, on=ON).status == "refused"
    asked = {**grade9, "approvals": {"exception_requested": True, "to_bureau": "given", "to_school": "given"}}
    d = xr.ask(policy, "transfer", asked, on=ON)
    assert (d.norm, d.status, [a.party for a in d.awaiting]) == ("denied_unless_exception", "await_approval", ["bureau"])
    assert d.awaiting[0].for_exception
    granted = {**grade9, "approvals": {**asked["approvals"], "bureau": "given"}}
    d = xr.ask(policy, "transfer", granted, on=ON)
    assert (d.norm, d.status, d.outcome) == ("allowed", "proceed", "allowed_with_approval")
    assert xr.decide(policy, "transfer", granted, on=ON)[0] == "allowed_with_approval"
    assert xr.decider(policy, "transfer", on=ON)(granted)[0] == "allowed_with_approval"
    refused = {**grade9, "approvals": {"exception_requested": True, "bureau": "refused"}}
    assert (xr.ask(policy, "transfer", refused, on=ON).status, xr.decide(policy, "transfer", refused, on=ON)[0]) == (
        "refused", "denied")


def test_a_review_read_as_a_step_never_waits(tmp_path):
    """Switching the region's reading to 步骤 turns the review into a listed step: nothing else changes."""
    folder = tmp_path / "procedure"
    shutil.copytree(POLICY, folder)
    text = (folder / "policy.yaml").read_text(encoding="utf-8").replace("    chosen: 批准", "    chosen: 步骤")
    (folder / "policy.yaml").write_text(text, encoding="utf-8")
    policy = compile_policy(folder)
    d = xr.ask(policy, "transfer", {**MOVE, "approvals": {"to_bureau": "given", "to_school": "refused"}}, on=ON)
    assert (d.status, d.failed) == ("proceed", ())
    assert [(f.kind, f.by, f.reading) for f in d.filings] == [("审核", "转入学校", "review_is_approval")]


def test_legacy_outcome_table_covers_every_norm():
    """Every normative answer, with or without a gate, maps to one format-1 outcome name."""
    assert {n for n, _ in LEGACY_OUTCOME} == set(NORMS)
    assert all((n, g) in LEGACY_OUTCOME for n in NORMS for g in (False, True))


def test_a_format_1_document_is_read_with_norm_and_status_derived(policy):
    """Existing callers' stored decisions still read: allowed_with_approval is allowed, awaiting approval."""
    doc = xr.ask(policy, "transfer", MOVE, on=ON).to_dict()
    doc.update(format="xueji-decision/1")
    for key in ("norm", "status", "approvals", "filings"):
        del doc[key]
    d = Decision.from_dict(doc)
    assert (d.norm, d.status, d.approvals) == ("allowed", "await_approval", ())


STATE = st.sampled_from([None, "given", "refused", "pending"])


@settings(max_examples=150, deadline=None)
@given(to_bureau=STATE, to_school=STATE, bureau=STATE, grade=st.sampled_from([8, 9]), asked=st.booleans())
def test_status_follows_the_approvals(policy, to_bureau, to_school, bureau, grade, asked):
    """Any refusal refuses; all given proceeds; otherwise await — and the JSON round trip keeps it all."""
    approvals = {k: v for k, v in (("to_bureau", to_bureau), ("to_school", to_school), ("bureau", bureau)) if v}
    approvals["exception_requested"] = asked
    facts = {**MOVE, "student": {"stage": "junior", "grade": grade}, "approvals": approvals}
    d = xr.ask(policy, "transfer", facts, on=ON)
    assert d.status in STATUSES and d.norm in NORMS
    assert Decision.from_json(d.to_json()) == d
    assert xr.decide(policy, "transfer", facts, on=ON)[0] == d.outcome
    own = [to_bureau, to_school]
    if "refused" in own:
        assert d.status == "refused"
    elif grade == 9 and (not asked or bureau == "refused"):
        assert d.status == "refused"
    elif all(s == "given" for s in own) and (grade == 8 or bureau == "given"):
        assert d.status == "proceed"
    else:
        assert d.status == "await_approval"
