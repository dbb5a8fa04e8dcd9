"""The standing fuzz suite: random and adversarial facts to every question of every bundled region.

Each call gives a Decision or one of the library's documented errors (XuejiError), within a
time bound, and no error ever echoes a fact value. benchmarks/fuzz.py runs the same checks
over a million calls or more, outside CI.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xueji_rules as xr
from xueji_rules import Decision, XuejiError
from xueji_rules.facts.privacy import ENV, printable

from strategies import adversarial_facts, junk_facts

#: No single call may take longer (the issue's "1e999999999" took over ten minutes).
SECONDS_PER_CALL = 1.0
REGIONS = xr.regions()
#: A day every bundled region is in force and its calendar covers.
ON = dt.date(2025, 3, 3)


def _corpus() -> str:
    """Text an error may contain without echoing a value: the vocabulary, the schema and the messages' own words."""
    package = resources.files("xueji_rules")
    parts = [package.joinpath("schema/facts.schema.json").read_text("utf-8")]
    for name in ("facts/input.py", "facts/privacy.py", "facts/vocabulary.py", "places.py", "errors.py", "evaluate.py",
                 "conditions/parse.py"):
        parts.append(package.joinpath(name).read_text("utf-8"))
    for region in REGIONS:
        policy = xr.load_policy(region)
        parts.append(region)
        parts.extend(policy.questions)
        parts.extend(r.id for q in policy.questions.values() for r in q.rules)
    parts.append("null true false None")  # JSON and Python words a diagnostic holds
    # the vocabulary's keys and codes as "did you mean 'name'?" quotes them
    from xueji_rules.facts.vocabulary import FACTS as _facts, GROUPS as _groups

    words = {w for p in list(_facts) + list(_groups) for w in p.split(".")}
    words |= {c for spec in _facts.values() for c in (spec.choices or {})}
    parts.extend(f"'{w}'" for w in sorted(words))
    return "\n".join(parts)


CORPUS = _corpus()


def _leaves(node, keys: list, depth: int = 0):
    """Every value in a facts document (keys collected apart: a key is not a value)."""
    if depth > 50:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            keys.append(k)
            yield from _leaves(v, keys, depth + 1)
    elif isinstance(node, (list, tuple, set, frozenset)):
        for v in node:
            yield from _leaves(v, keys, depth + 1)
    else:
        yield node


def _forms(value) -> list[str]:
    """How a value could appear in a message: as written, repr'd, escaped."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int) and value.bit_length() > 64:
        return []
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        return []
    return [t for t in {text, text.strip(), repr(value), printable(text)} if len(t.strip()) >= 4]


def echoed(facts, error: XuejiError) -> list[str]:
    """The values of ``facts`` that ``error`` quotes (none may be, unless values are shown)."""
    said = str(error) + "\n" + error.report() + "\n" + json.dumps(
        [d.to_dict() for d in error.diagnostics], ensure_ascii=False)
    keys: list = []
    values = list(_leaves(facts, keys))
    allowed = CORPUS + "\n".join(f"{printable(str(k))}\n{printable(repr(str(k)))}" for k in keys)  # keys are not values
    return [form for v in values for form in _forms(v) if form in said and form not in allowed]


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
