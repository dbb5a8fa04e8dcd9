"""Properties over many generated facts: determinism, JSON round trip, monotone thresholds, errors, threads."""

from __future__ import annotations

import datetime as dt
import json
import threading
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import xueji_rules as xr
from xueji_rules import Decision, FactsError, XuejiError
from xueji_rules.load import Registry

from strategies import any_facts, dates_between, facts_for, junk_facts

POLICIES = Path(__file__).parent / "policies"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TINY = xr.load_policy(POLICIES / "tiny")
GRAD = xr.load_policy(POLICIES / "tiny_graduation")
#: A second, independent compilation of the same folders.
TINY_AGAIN = Registry().get(POLICIES / "tiny")


def _suspension_policies() -> list[str]:
    """The policies the suspension properties run on: tiny, and jiangsu once it exists."""
    names = ["tiny"]
    if "jiangsu" in xr.regions():
        names.append("jiangsu")
    return names


def _policy(name: str):
    return TINY if name == "tiny" else xr.load_policy(name)


def _last_day(policy) -> dt.date:
    end = dt.date(2035, 12, 31)
    if policy.effective_until is not None:
        end = min(end, policy.effective_until - dt.timedelta(days=1))
    return end


def _calendar_span(policy) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the policy's school calendar, if it has one (a date outside it is a DateError)."""
    from xueji_rules import _yaml
    from xueji_rules.school_calendar import check_and_build

    path = Path(policy.folder) / "calendar.yaml"
    if not path.is_file():
        return None
    doc, _ = _yaml.load_file(path)
    calendar, _ = check_and_build(doc.value["calendar"], lambda *a: a)
    return calendar.first_day, calendar.last_day


def days_in_force(policy) -> st.SearchStrategy:
    first, last = policy.effective_from, _last_day(policy)
    span = _calendar_span(policy)
    if span is not None:  # questions about dates the calendar does not cover are errors, tested in test_time.py
        first, last = max(first, span[0]), min(last, span[1])
    return dates_between(first, last)


#: Policies by name, so that a failing example prints as a name, not a whole Policy.
BY_NAME = {"tiny": TINY, "tiny_graduation": GRAD}
QUESTIONS = [(name, q) for name, p in BY_NAME.items() for q in p.questions]


@st.composite
def asked(draw):
    """A (policy name, question, facts, date) over the test policies, facts limited to what the question reads."""
    name, question = draw(st.sampled_from(QUESTIONS))
    policy = BY_NAME[name]
    facts = draw(facts_for(policy.question(question).facts))
    return name, question, facts, draw(days_in_force(policy))


def answer(case):
    """The Decision for a case, or the codes of the FactsError it raises (a share of 0 students …)."""
    name, question, facts, on = case
    try:
        return xr.ask(BY_NAME[name], question, facts, on)
    except FactsError as exc:
        return tuple(d.code for d in exc.diagnostics)


def decision(case) -> Decision:
    """The Decision for a case; cases whose facts cannot be computed with are skipped."""
    result = answer(case)
    assume(isinstance(result, Decision))
    return result


class TestDeterminism:
    @FAST
    @given(asked())
    def test_same_question_same_decision(self, case):
        """Asking the same question about the same facts on the same day twice gives equal decisions and equal JSON."""
        first, second = answer(case), answer(case)
        assert first == second
        if isinstance(first, Decision):
            assert first.to_json() == second.to_json()

    @FAST
    @given(facts_for(TINY.question("suspension").facts), days_in_force(TINY))
    def test_independent_compilations_agree(self, facts, on):
        """Two separate compilations of the same policy folder give the same decision."""
        assert xr.ask(TINY, "suspension", facts, on) == xr.ask(TINY_AGAIN, "suspension", facts, on)


class TestJson:
    @FAST
    @given(asked())
    def test_round_trip(self, case):
        """A Decision survives the JSON round trip: Decision.from_json(d.to_json()) == d."""
        d = decision(case)
        assert Decision.from_json(d.to_json()) == d

    @FAST
    @given(asked(), st.booleans())
    def test_json_bytes_are_the_dicts_json(self, case, redact):
        """Decision.to_json_bytes (each rule's own part cached) is what orjson writes of to_dict."""
        orjson = pytest.importorskip("orjson")
        d = decision(case)
        assert d.to_json_bytes(redact=redact) == orjson.dumps(d.to_dict(redact=redact))

    @FAST
    @given(asked())
    def test_json_matches_the_decision_schema(self, case):
        """Every decision's JSON is valid under decision.schema.json."""
        schema = json.loads(resources.files("xueji_rules").joinpath("schema/decision.schema.json").read_text("utf-8"))
        errors = jsonschema.Draft202012Validator(schema).iter_errors(json.loads(decision(case).to_json()))
        assert [e.message for e in errors] == []

    @FAST
    @given(any_facts())
    def test_generated_facts_match_the_facts_schema(self, facts):
        """Valid facts from anywhere in the vocabulary are valid under facts.schema.json, and read."""
        schema = json.loads(resources.files("xueji_rules").joinpath("schema/facts.schema.json").read_text("utf-8"))
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        assert [e.message for e in validator.iter_errors(facts)] == []
        xr.read_facts(facts)


ALLOWED = {"allowed", "allowed_with_approval"}


@pytest.mark.parametrize("name", _suspension_policies())
class TestMonotoneHours:
    def test_more_missed_hours_never_denies_an_allowed_suspension(self, name):
        """If a suspension is allowed with h hours missed, it is not denied with more hours and all else equal."""
        policy = _policy(name)
        paths = [p for p in policy.question("suspension").facts if p != "absence.class_hours_missed"]

        @FAST
        @given(facts_for(paths), st.integers(0, 1500), st.integers(1, 500), days_in_force(policy))
        def check(facts, hours, more, on):
            def with_hours(h):
                return {**facts, "absence": {**facts.get("absence", {}), "class_hours_missed": h}}

            try:
                before = xr.ask(policy, "suspension", with_hours(hours), on)
                after = xr.ask(policy, "suspension", with_hours(hours + more), on)
            except FactsError:  # facts that cannot be computed with (a total of 0 hours …)
                assume(False)
            if before.outcome in ALLOWED:
                assert after.outcome != "denied", (before.outcome, after.failed)

        check()


class TestOnlyOwnErrors:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(QUESTIONS), junk_facts(), st.one_of(st.none(), st.dates().map(str), st.text(max_size=12), st.dates()))
    def test_ask_raises_only_xueji_errors(self, policy_question, facts, on):
        """Whatever is passed as facts or date, ask returns a Decision or raises a XuejiError subclass."""
        name, question = policy_question
        policy = BY_NAME[name]
        try:
            result = xr.ask(policy, question, facts, on)
        except XuejiError:
            return
        assert isinstance(result, Decision)


class TestThreads:
    @settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(asked(), min_size=20, max_size=40))
    def test_eight_threads_agree_with_one(self, cases):
        """The same questions answered from 8 threads at once give the same decisions as from one thread."""
        expected = [answer(c) for c in cases]
        results: list = [None] * 8
        barrier = threading.Barrier(8)

        def work(i):
            barrier.wait()
            results[i] = [answer(c) for c in (cases if i % 2 else list(reversed(cases)))]

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, got in enumerate(results):
            assert got == (expected if i % 2 else list(reversed(expected)))

    def test_concurrent_first_loads_share_one_policy(self):
        """8 threads loading the same folder from a fresh registry get one and the same Policy."""
        registry = Registry()
        got: list = [None] * 8
        barrier = threading.Barrier(8)

        def work(i):
            barrier.wait()
            got[i] = registry.get(POLICIES / "tiny_graduation")

        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(p is got[0] for p in got)
