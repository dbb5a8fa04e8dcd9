"""``answerer`` (the batch endpoint's and the audit's path) gives the full Decision's outcome, status and failed rules.

Over generated facts for every question of every bundled region, approvals included (they
decide between await_approval, proceed and refused), on dates the policy answers for.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xueji_rules as xr
from xueji_rules import XuejiError
from xueji_rules.evaluate import answerer, evaluate

from strategies import dates_between, facts_for
from test_denials import _span

CASES = [(r, q) for r in xr.regions() for q in xr.load_policy(r).questions]


@pytest.mark.parametrize("region,question", CASES, ids=[f"{r}:{q}" for r, q in CASES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_status_on_the_fast_path_is_the_decisions(region, question, data):
    policy = xr.load_policy(region)
    q = policy.question(question)
    paths = tuple(q.facts) + tuple(p for p in ("approvals.exception_requested",) if p not in q.facts)
    facts = data.draw(facts_for(paths))
    first, last = _span(policy)
    day = data.draw(dates_between(first, last))
    try:
        full = evaluate(policy, q, facts, day)
    except XuejiError as exc:
        with pytest.raises(type(exc)):
            answerer(policy, q, day)(facts)
        return
    a = answerer(policy, q, day)(facts)
    assert (a.outcome, a.norm, a.status, a.failed) == (full.outcome, full.norm, full.status, full.failed)
