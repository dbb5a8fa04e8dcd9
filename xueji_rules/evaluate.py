"""Evaluate a question: a pure function of (policy, facts, date[, school calendar]).

``decide`` is the fast path (outcome and failed rule ids, straight from the
question's generated kernel); ``evaluate`` adds the explanation: each rule's
status with its article, the fact and parameter values it read, documents,
steps, deadlines, readings and the policy's content hash.

A school calendar given at ask time (``calendar=``: a path, a mapping or a
loaded SchoolCalendar) takes the place of the policy's: it is passed to the
generated functions as their last argument, so nothing is recompiled and
nothing shared is changed; the Decision records which calendar answered.
"""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Any, NamedTuple

import attrs

from .decision import (
    CalendarRef,
    Decision,
    DeadlineItem,
    ParameterValue,
    PolicyRef,
    ReadingItem,
    RuleResult,
    StepItem,
)
from collections.abc import Mapping

from .errors import DateError, Diagnostic, FactsError
from .facts.input import FactValues, jsonable, read_facts, to_date
from .policy import STATUS_NAMES, Policy, Question
from .procedure import exception_may_change, settle, status as status_of
from .school_calendar import SchoolCalendar, load_calendar


def day_of(on, what: str = "date") -> _dt.date:
    """The day asked about: ``on`` as a date in Asia/Shanghai, today's there when None; DateError if unreadable."""
    if on is None:
        import pendulum

        return pendulum.today("Asia/Shanghai").date()
    try:
        return to_date(on)
    except ValueError as exc:
        raise DateError(f"bad {what}: {exc}") from None


_date = day_of


def _question(policy: Policy, question) -> Question:
    """The question asked, by name or as a Question of this policy; UnknownQuestionError otherwise."""
    if isinstance(question, Question):
        return question
    if not isinstance(question, str):
        from .errors import UnknownQuestionError

        raise UnknownQuestionError(f"a question is named by text, not {type(question).__name__} "
                                   f"(questions: {', '.join(policy.questions)})")
    return policy.question(question)


def _check_contradictions(q: Question, era: int, F, params, day, cal=None) -> None:
    """FactsError (contradictory_facts) when the facts hold one of the question's contradictions."""
    fn = q.by_era[era]["contradiction"]
    try:
        found = fn(F, params, day) if cal is None else fn(F, params, day, cal)
    except (ArithmeticError, ValueError):
        return  # the rules report what cannot be computed
    if found is None:
        return
    x = next(c for c in q.contradictions if c.id == found)
    raise FactsError("the facts contradict each other", (Diagnostic(
        "contradictory_facts", f"{x.message_zh}" + (f" / {x.message_en}" if x.message_en else ""),
        path=", ".join(x.facts), hint="correct one of: " + ", ".join(x.facts)),))


def with_readings(policy: Policy, F, readings) -> dict:
    """The facts with the readings asked for (``{"one_year_inclusive": "exclusive"}``) added, checked.

    A reading named must be one with alternatives (``options:``) and the option one of them;
    anything else is a FactsError (``unknown_reading``, ``bad_choice``).
    """
    if policy.switched:
        readings = {**policy.switched, **(readings or {})}
    if not readings:
        return F
    if not isinstance(readings, Mapping):
        raise FactsError("readings are given as {reading id: option}", (Diagnostic(
            "bad_choice", "readings must be a mapping of reading ids to options", path="readings"),))
    from .readings import problems

    found = problems(policy, readings)
    if found:
        raise FactsError("the readings asked for are not valid", tuple(
            Diagnostic(code, message, path=f"readings.{rid}", hint=hint) for rid, code, message, hint in found))
    extra = {"reading." + rid: option for rid, option in readings.items()}
    return {**F, **extra}


def given_calendar(calendar) -> SchoolCalendar | None:
    """The calendar given at ask time, loaded and validated (CalendarError), or None."""
    if calendar is None or type(calendar) is SchoolCalendar:
        return calendar
    return load_calendar(calendar)


def _run(q: Question, era: int, F, params, day, cal=None):
    """Run the question's kernel; arithmetic the facts make impossible is a facts error.

    A total of 0 class hours divided by, or a date moved past year 9999 or by half
    a year, cannot be computed; the facts are then reported, never a bare
    ZeroDivisionError or OverflowError.
    """
    if q.contradictions:
        _check_contradictions(q, era, F, params, day, cal)
    try:
        if cal is None:
            return q.by_era[era]["decide"](F, params, day)
        return q.by_era[era]["decide"](F, params, day, True, cal)
    except DateError:
        raise  # a date outside the school calendar or the working-day data: said as such
    except (ArithmeticError, ValueError) as exc:
        raise FactsError("the facts cannot be computed with", (Diagnostic(
            "facts_value", f"a rule of {q.id} cannot compute with these facts ({type(exc).__name__})", path=q.id,
            hint="check totals (they cannot be 0), dates and durations (whole 年/月/周/日)"),)) from None


def decide(policy: Policy, question: str | Question, facts: Any, on=None, calendar=None,
           readings=None) -> tuple[str, tuple]:
    """(outcome, failed rule ids) with no explanation: the fast path."""
    q = _question(policy, question)
    day = _date(on)
    policy.in_force(day)
    cal = None if calendar is None else given_calendar(calendar)
    fv = facts if isinstance(facts, FactValues) else read_facts(facts)
    F = with_readings(policy, fv.values, readings)
    era = policy.era(day)
    outcome, failed, statuses = _run(q, era, F, policy.parameters_on(day), day, cal)
    if readings or exception_may_change(outcome, F, q):
        outcome = settle(q.rules, statuses, F, outcome)[1]
    return outcome, failed


_SIMPLE = (int, str, bool, type(None))


def _resolved(policy: Policy, question, on, calendar) -> tuple:
    """(question, day, parameters, era, calendar) for asking many students one question on one day."""
    q = _question(policy, question)
    day = _date(on)
    policy.in_force(day)
    return q, day, policy.parameters_on(day), policy.era(day), given_calendar(calendar)


def decider(policy: Policy, question: str | Question, on=None, calendar=None, readings=None):
    """A function ``facts -> (outcome, failed rule ids)`` for one question on one date.

    Parameters (and a calendar given) are resolved for the date once, ahead of
    evaluation, so a registry system checking many students on the same day pays
    only for the rules. (``answerer`` adds the norm and the status.)
    """
    q, day, params, era, cal = _resolved(policy, question, on, calendar)
    kernel = q.by_era[era]["decide"]
    if cal is not None:
        kernel = functools.partial(kernel, _cal=cal)
    checks = bool(q.contradictions)
    chosen = with_readings(policy, {}, readings)  # checked once
    # only a question with a `for: 例外` gate can change a denied_unless_exception answer
    exceptions = any(i.for_exception for r in q.rules for i in r.procedure)

    def run(facts) -> tuple[str, tuple]:
        try:
            F = facts.values if type(facts) is FactValues else read_facts(facts).values
            if checks:
                _check_contradictions(q, era, F, params, day, cal)
            if chosen:
                F = {**F, **chosen}
                outcome, failed, statuses = kernel(F, params, day)
                return settle(q.rules, statuses, F, outcome)[1], failed
            answer = kernel(F, params, day, False)
            if exceptions and answer[0] == "denied_unless_exception" and F.get("approvals.exception_requested") is True:
                outcome, failed, statuses = kernel(F, params, day)
                return settle(q.rules, statuses, F, outcome)[1], failed
            return answer
        except (ArithmeticError, ValueError):
            values = facts.values if type(facts) is FactValues else read_facts(facts).values
            _run(q, era, values, params, day, cal)  # raises the FactsError that explains it
            raise

    which = f" with the calendar {cal.title or cal.content_hash[:12]}" if cal is not None else ""
    run.__doc__ = f"{policy.id} {q.id} on {day.isoformat()}{which}: facts -> (outcome, failed rule ids)"
    return run


def settled(q: Question, outcome: str, statuses, F) -> tuple:
    """(norm, outcome, status, approvals, filings) from the kernel's outcome and the rules' statuses.

    The one place they are derived: the full Decision and the audit's row backend both use it.
    """
    if static_has_procedure(q):
        norm, outcome, approvals, filings = settle(q.rules, statuses, F, outcome)
    else:
        norm, approvals, filings = ("allowed" if outcome == "allowed_with_approval" else outcome), (), ()
    status = "await_approval" if outcome == "allowed_with_approval" and not approvals else status_of(norm, approvals)
    return norm, outcome, status, approvals, filings


class Answer(NamedTuple):
    """A Decision's answer without its explanation: what an audit of many students needs per row."""

    outcome: str
    norm: str
    status: str
    failed: tuple
    #: each rule's status, in policy order: 0 not applicable, 1 held, 2 failed, 3 unknown
    statuses: tuple


def answerer(policy: Policy, question: str | Question, on=None, calendar=None, readings=None):
    """A function ``facts -> Answer`` (outcome, norm, status, failed rule ids, rule statuses) for one question on one date.

    Between ``decider`` (outcome and failed rules only) and ``evaluate`` (the full Decision):
    the policy, date, calendar and readings are resolved once; each call reads the facts with
    every check (FactsError, DateError as ``evaluate`` raises them) and gives the same
    outcome, norm, status and failed rules as the Decision for the same facts.
    """
    q, day, params, era, cal = _resolved(policy, question, on, calendar)
    with_readings(policy, {}, readings)  # a bad reading is refused once, before any student

    def run(facts) -> Answer:
        fv = facts if type(facts) is FactValues else read_facts(facts)
        F = with_readings(policy, fv.values, readings)
        outcome, failed, statuses = _run(q, era, F, params, day, cal)
        norm, outcome, status, _, _ = settled(q, outcome, statuses, F)
        return Answer(outcome, norm, status, failed, tuple(statuses))

    run.__doc__ = f"{policy.id} {q.id} on {day.isoformat()}: facts -> Answer(outcome, norm, status, failed, statuses)"
    return run


def _value(v):
    if type(v) in _SIMPLE:
        return v
    p = jsonable(v)
    return tuple(p) if isinstance(p, list) else p


def evaluate(policy: Policy, question: str | Question, facts: Any, on=None, calendar=None,
             readings=None) -> Decision:
    """The full Decision for one question about one student on one date.

    ``facts`` is a nested dict, an attrs ``Facts`` or checked FactValues; ``on``
    a date, ISO text or None for today in Asia/Shanghai; ``calendar`` the
    school's own calendar (a path, a mapping or a SchoolCalendar), in place of
    the policy's sample. Raises FactsError for malformed facts, DateError for a
    bad date or one with no regulation in force (or outside the calendar),
    CalendarError for a calendar that does not validate, UnknownQuestionError
    for a question the policy lacks.
    """
    q = _question(policy, question)
    day = _date(on)
    policy.in_force(day)
    cal = None if calendar is None else given_calendar(calendar)
    fv = facts if isinstance(facts, FactValues) else read_facts(facts)
    F = with_readings(policy, fv.values, readings)
    params = policy.parameters_on(day)
    era = policy.era(day)
    functions = q.by_era[era]
    outcome, failed, statuses = _run(q, era, F, params, day, cal)

    certificate = None
    certify = functions.get("certify")
    if certify is not None:
        granted = True if outcome in ("allowed", "allowed_with_approval", "required") else (
            None if outcome == "undetermined" else False)
        try:
            certificate = certify(F, params, day, granted) if cal is None else certify(F, params, day, granted, cal)
        except DateError:
            raise  # a date outside the school calendar or the working-day data: said, never hidden
        except (ArithmeticError, ValueError):
            certificate = None

    norm, outcome, status, approvals, filings = settled(q, outcome, statuses, F)
    static = _static(policy, q, params)
    missing, approvers, exceptions, documents, readings = {}, {}, {}, {}, {}
    steps, deadlines = [], []
    # each fact the question reads, made JSON-ready once
    shown = {path: (v if type(v) in _SIMPLE else _value(v)) for path in static.fact_paths for v in (F.get(path),)}
    results = [
        RuleResult(rule.id, STATUS_NAMES[code], rule.info, tuple([(path, shown[path]) for path in rule.facts]), pairs)
        for rule, code, pairs in zip(q.rules, statuses, static.rule_params)
    ]
    for code, rule, plan in zip(statuses, q.rules, static.explain):
        if code == 0:
            continue
        rule_readings, approver, exception_by, docs, step_items = plan
        for r in rule_readings:
            readings[r] = None
        if code == 2:
            if exception_by:
                exceptions[exception_by] = None
            continue
        if code == 3:
            for path in rule.required_facts:
                if path not in F:
                    missing[path] = None
        elif approver:
            approvers[approver] = None
        for doc in docs:
            documents[doc] = None
        steps.extend(step_items)
        for dl in rule.deadlines:
            problem = None
            try:
                fn = functions[dl.function]
                date = fn(F, params, day) if cal is None else fn(F, params, day, cal)
            except DateError as exc:  # e.g. a year with no working-day data yet
                date, problem = None, str(exc)
            except (ValueError, ArithmeticError):  # OverflowError, ZeroDivisionError
                date, problem = None, "the date cannot be computed from these facts (it falls outside the years a calendar can hold)"
            if date is not None or problem is not None:
                deadlines.append(DeadlineItem(dl.title, date, rule.id, dl.en, problem))
    results = tuple(results)
    # a denial with no failed rule: no ground of the question applies, and the question says its grounds are exhaustive
    no_ground = outcome == "denied" and not failed
    if no_ground:
        for r in q.no_ground_readings:
            readings[r] = None
    if outcome != "undetermined":
        missing = {}
    return Decision(
        region=policy.id,
        question=q.id,
        question_title=q.title,
        on=day,
        outcome=outcome,
        failed=failed,
        rules=tuple(results),
        certificate=certificate,
        approvers=tuple(approvers) if outcome in ("allowed_with_approval", "required") else (),
        exception_by=tuple(exceptions) if outcome == "denied_unless_exception" else (),
        missing_facts=tuple(missing),
        documents=tuple(documents),
        steps=tuple(steps),
        deadlines=tuple(deadlines),
        readings=tuple([static.readings[r] for r in readings] if F is fv.values else [
            attrs.evolve(static.readings[r], option=F["reading." + r]) if "reading." + r in F else static.readings[r]
            for r in readings]),  # the option asked for, where one was
        no_ground=no_ground,
        parameters=static.parameters,
        policy=static.policy_ref,
        norm=norm,
        status=status,
        approvals=approvals,
        filings=filings,
        calendar=static.calendar_ref if cal is None else CalendarRef("given", cal.title, cal.sample, cal.content_hash),
    )


class _Static:
    """What a question's explanation needs that depends only on the policy and the era's parameters."""

    __slots__ = ("rule_params", "parameters", "readings", "policy_ref", "calendar_ref", "fact_paths", "explain")

    def __init__(self, policy: Policy, q: Question, params: dict):
        self.fact_paths = q.facts
        # per rule: readings, the approver it adds when held, who may grant the exception when
        # it fails, documents and steps (held or unknown rules only)
        self.explain = [
            (
                r.readings,
                r.approver if r.approver and (r.strength == "须经批准" or r.is_ground) else None,
                r.exception_by if r.strength == "原则上不" else None,
                r.documents,
                tuple(StepItem(st.by, st.do, r.id) for st in r.steps),
            )
            for r in q.rules
        ]
        self.rule_params = [tuple((n, _value(params[n])) for n in r.parameters) for r in q.rules]
        used: dict = {}
        for r in q.rules:
            for n in r.parameters:
                p = policy.parameters[n]
                used[n] = ParameterValue(n, _value(params[n]), p.unit, p.title)
        self.parameters = tuple(used.values())
        self.readings = {
            rid: ReadingItem(rid, policy.readings[rid].title, policy.readings[rid].text, policy.readings[rid].chosen)
            for rid in policy.readings
        }
        self.policy_ref = PolicyRef(policy.id, policy.jurisdiction_name, policy.title, policy.document_number,
                                    policy.version, policy.content_hash)
        cal = policy.calendar
        self.calendar_ref = None if cal is None else CalendarRef("policy", cal.title, cal.sample, cal.content_hash)


def static_has_procedure(q: Question) -> bool:
    """Whether any rule of the question names a procedure (cached on the question)."""
    flag = q._explain_cache.get("procedure")
    if flag is None:
        flag = q._explain_cache["procedure"] = any(r.procedure for r in q.rules)
    return flag


def _static(policy: Policy, q: Question, params: dict) -> _Static:
    # Keyed by the era's parameter dict, which lives as long as the policy; filling the
    # cache twice from two threads is harmless (both values are equal).
    cache = q._explain_cache
    key = id(params)
    static = cache.get(key)
    if static is None:
        static = cache[key] = _Static(policy, q, params)
    return static
