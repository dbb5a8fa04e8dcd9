"""The generated kernel: sections, and definitions and calls computed once at first use, change how fast it answers, never what."""

from __future__ import annotations

import contextlib
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xueji_rules as xr
from xueji_rules import kernel
from xueji_rules.facts.input import read_facts
from xueji_rules.load import compile_policy
from xueji_rules.locate import resolve

from strategies import facts_for

ON = dt.date(2025, 3, 3)  # inside every bundled policy and sample calendar


@contextlib.contextmanager
def plain_kernel():
    """Generate kernels without sections, with every shared definition computed ahead and every call where it is written."""
    saved = kernel._lead, kernel._costly, kernel._calls_once
    kernel._lead = lambda key: None
    kernel._costly = lambda code: False
    kernel._calls_once = lambda text: text
    try:
        yield
    finally:
        kernel._lead, kernel._costly, kernel._calls_once = saved


REGIONS = xr.regions()
FAST = {r: compile_policy(resolve(r)) for r in REGIONS}
with plain_kernel():
    PLAIN = {r: compile_policy(resolve(r)) for r in REGIONS}
QUESTIONS = [(r, q) for r in REGIONS for q in FAST[r].questions]


def _run(policy, question, facts):
    """(outcome, failed ids, statuses) of the question's kernel, or the kind of error it raises."""
    q = policy.questions[question]
    try:
        return q.by_era[policy.era(ON)]["decide"](read_facts(facts).values, policy.parameters_on(ON), ON)
    except Exception as exc:  # noqa: BLE001 - the same facts must fail the same way in both
        return type(exc).__name__


@st.composite
def asked(draw):
    region, question = draw(st.sampled_from(QUESTIONS))
    facts = draw(facts_for(FAST[region].questions[question].facts))
    return region, question, facts


class TestSectionsAndFirstUse:
    def test_the_bundled_policies_use_both(self):
        """The Jiangsu transfer kernel tests the stage once per section and compares places only when reached."""
        source = FAST["jiangsu"].questions["transfer"].source
        assert "    if __d_senior__ is False:" in source
        assert "__d_same_county_transfer__ = _PENDING" in source
        assert "_PENDING" not in PLAIN["jiangsu"].questions["transfer"].source

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(asked())
    def test_same_answers_and_statuses_as_the_plain_kernel(self, case):
        region, question, facts = case
        try:
            read_facts(facts)
        except xr.XuejiError:
            return  # not facts a kernel is given
        assert _run(FAST[region], question, facts) == _run(PLAIN[region], question, facts)

    def test_place_relations_are_computed_only_where_a_rule_reaches_them(self):
        """A primary transfer never asks whether the two schools share a county; a senior one never compares provinces."""
        policy = compile_policy(resolve("jiangsu"))
        decide = policy.questions["transfer"].by_era[policy.era(ON)]["decide"]
        relation = decide.__globals__["_same_place"]
        calls = []

        def counted(a, b):
            calls.append(len(a))  # levels compared: 1 province, 3 county
            return relation(a, b)

        decide.__globals__["_same_place"] = counted
        school = {"place": {"province": "320000", "city": "321200", "county": "321202"}}
        to_school = {"place": {"province": "320000", "city": "321200", "county": "321203"}}
        for stage, grade, want in [("primary", 4, [1]), ("junior", 8, [3, 1]), ("senior", 11, [3])]:
            calls.clear()
            facts = {"student": {"stage": stage, "grade": grade, "school": school},
                     "request": {"transfer": {"reason": "guardian_job_change", "to_school": to_school}}}
            decide(read_facts(facts).values, policy.parameters_on(ON), ON)
            assert calls == want, stage

    def test_a_call_written_in_two_rules_is_made_once(self):
        """Jiangsu graduation counts the failed core subjects for two rules (core, and all minus core): once."""
        policy = compile_policy(resolve("jiangsu"))
        decide = policy.questions["graduation"].by_era[policy.era(ON)]["decide"]
        count_in = decide.__globals__["_count_in"]
        calls = []

        def counted(items, among):
            calls.append(among)
            return count_in(items, among)

        decide.__globals__["_count_in"] = counted
        facts = {"student": {"stage": "junior", "grade": 9},
                 "results": {"failed_subjects": ["physics", "history"], "completed_term": True,
                             "conduct": "pass", "physical_education": "pass"}}
        outcome, failed, _ = decide(read_facts(facts).values, policy.parameters_on(ON), ON)
        assert (outcome, failed) == ("denied", ("compulsory_other_subjects",))
        assert len(calls) == 1
