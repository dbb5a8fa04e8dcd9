"""The standing fuzz suite: random and adversarial facts to every question of every bundled region.

Each call gives a Decision or one of the library's documented errors (XuejiError), within a
time bound, and no error ever echoes a fact value. benchmarks/fuzz.py runs the same checks
over a million calls or more, outside CI.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xueji_rules as xr
from xueji_rules import Decision, XuejiError
from xueji_rules.facts.privacy import ENV

from leaks import echoed as _echoed, error_corpus
from strategies import adversarial_facts, junk_facts

#: No single call may take longer (the issue's "1e999999999" took over ten minutes).
SECONDS_PER_CALL = 1.0
REGIONS = xr.regions()
#: A day every bundled region is in force and its calendar covers.
ON = dt.date(2025, 3, 3)


CORPUS = error_corpus(REGIONS)


def echoed(facts, error: XuejiError) -> list[str]:
    return _echoed(facts, error, CORPUS)


def check(region: str, facts) -> None:
    """Every question of the region, the full Decision and the fast path: a Decision or a documented error, in time."""
    policy = xr.load_policy(region)
    for question in policy.questions:
        run = xr.decider(policy, question, ON)
        for call in (lambda: xr.ask(policy, question, facts, ON), lambda: run(facts)):
            started = time.perf_counter()
            try:
                answer = call()
            except XuejiError as exc:
                assert not echoed(facts, exc), f"{region} {question}: the error quotes {echoed(facts, exc)}: {exc.report()}"
            else:
                assert isinstance(answer, (Decision, tuple))
            took = time.perf_counter() - started
            assert took < SECONDS_PER_CALL, f"{region} {question}: {took:.2f} s for one call"


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(autouse=True)
def _values_hidden(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


@pytest.mark.parametrize("region", REGIONS)
@FUZZ
@given(facts=adversarial_facts())
def test_adversarial_facts_give_a_decision_or_a_documented_error(region, facts):
    check(region, facts)


@pytest.mark.parametrize("region", REGIONS)
@settings(FUZZ, max_examples=80)
@given(facts=junk_facts())
def test_junk_gives_a_decision_or_a_documented_error(region, facts):
    check(region, facts)


@settings(FUZZ, max_examples=30)
@given(st.sampled_from(REGIONS), st.integers(1, 100_000))
def test_deep_nesting_is_an_error_not_a_crash(region, depth):
    """Nesting as deep as Python allows, under a real group or as a fact's value."""
    node: object = "张伟 320102200503071234"
    for _ in range(depth):
        node = {"student": node}
    check(region, node)
    check(region, {"absence": {"class_hours_missed": node}})


def test_the_echo_check_can_fail():
    """The check above would catch an error quoting a value (so the suite cannot pass vacuously)."""
    facts = {"student": {"grade": "张伟 320102200503071234"}}
    error = xr.FactsError("x", (xr.errors.Diagnostic("facts_type", "student.grade: '张伟 320102200503071234' is no number"),))
    assert "张伟 320102200503071234" in echoed(facts, error)


def test_the_fuzz_script_runs(tmp_path):
    """benchmarks/fuzz.py, the long run, works (a few hundred calls here)."""
    import runpy
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "fuzz.py"
    if not script.is_file():
        pytest.skip("benchmarks/ is in a checkout only")
    argv, sys.argv = sys.argv, [str(script), "--calls", "300", "--seed", "7"]
    try:
        with pytest.raises(SystemExit) as info:
            runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = argv
    assert info.value.code == 0
