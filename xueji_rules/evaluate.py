"""Evaluate a question: a pure function of (policy, facts, date).

``decide`` is the fast path (outcome and failed rule ids, straight from the
question's generated kernel); ``evaluate`` adds the explanation: each rule's
status with its article, the fact and parameter values it read, documents,
steps, deadlines, readings and the policy's content hash.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .decision import (
    Decision,
    DeadlineItem,
    FactValue,
    ParameterValue,
    PolicyRef,
    ReadingItem,
    RuleResult,
    StepItem,
    _plain,
)
from .errors import DateError
from .facts.input import FactValues, read_facts, to_date
from .policy import STATUS_NAMES, Policy, Question


def _date(on) -> _dt.date:
    if on is None:
        import pendulum

        return pendulum.today("Asia/Shanghai").date()
    try:
        return to_date(on)
    except ValueError as exc:
        raise DateError(f"bad date for --on: {exc}") from None


def decide(policy: Policy, question: str | Question, facts: Any, on=None) -> tuple[str, tuple]:
    """(outcome, failed rule ids) with no explanation: the fast path."""
    q = policy.question(question) if isinstance(question, str) else question
    day = _date(on)
    policy.in_force(day)
    fv = facts if isinstance(facts, FactValues) else read_facts(facts)
    outcome, failed, _ = q.decide(fv.values, policy.parameters_on(day), day)
    return outcome, failed


def _value(v):
    p = _plain(v)
    return tuple(p) if isinstance(p, list) else p


def evaluate(policy: Policy, question: str | Question, facts: Any, on=None) -> Decision:
    """The full Decision for one question about one student on one date.

    ``facts`` is a nested dict, an attrs ``Facts`` or checked FactValues; ``on``
    a date, ISO text or None for today in Asia/Shanghai. Raises FactsError for
    malformed facts, DateError for a bad date or one with no regulation in force,
    UnknownQuestionError for a question the policy lacks.
    """
    q = policy.question(question) if isinstance(question, str) else question
    day = _date(on)
    policy.in_force(day)
    fv = facts if isinstance(facts, FactValues) else read_facts(facts)
    F = fv.values
    params = policy.parameters_on(day)
    outcome, failed, statuses = q.decide(F, params, day)

    certificate = None
    if q.certify is not None:
        granted = True if outcome in ("allowed", "allowed_with_approval", "required") else (
            None if outcome == "undetermined" else False)
        certificate = q.certify(F, params, day, granted)

    results, missing, approvers, exceptions = [], {}, {}, {}
    documents, steps, deadlines, readings, used_params = {}, [], [], {}, {}
    for rule, code in zip(q.rules, statuses):
        status = STATUS_NAMES[code]
        for name in rule.parameters:
            p = policy.parameters[name]
            used_params[name] = ParameterValue(name, _value(params[name]), p.unit, p.title)
        for r in rule.readings:
            readings[r] = None
        if status == "unknown":
            for path in rule.facts:
                if path not in F:
                    missing[path] = None
        if status != "not_applicable":
            if rule.approver and (rule.strength == "须经批准" or (rule.is_ground and status == "held")):
                approvers[rule.approver] = None
            if rule.strength == "原则上不" and status == "failed" and rule.exception_by:
                exceptions[rule.exception_by] = None
            if status in ("held", "unknown"):
                for doc in rule.documents:
                    documents[doc] = None
                steps.extend(StepItem(s.by, s.do, rule.id) for s in rule.steps)
                for dl in rule.deadlines:
                    try:
                        date = dl.compute(F, params, day)
                    except (ValueError, OverflowError):
                        date = None
                    deadlines.append(DeadlineItem(dl.title, date, rule.id, dl.en))
        results.append(RuleResult(
            id=rule.id, title=rule.title, status=status, strength=rule.strength,
            article=rule.article.id, article_text=rule.article.text, quote=rule.quote,
            message_zh=rule.message_zh, message_en=rule.message_en,
            facts=tuple(FactValue(path, _value(F.get(path))) for path in rule.facts),
            parameters=tuple(ParameterValue(n, _value(params[n]), policy.parameters[n].unit) for n in rule.parameters),
            readings=rule.readings, approver=rule.approver, exception_by=rule.exception_by,
        ))
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
        deadlines=tuple(d for d in deadlines if d.date is not None),
        readings=tuple(ReadingItem(r, policy.readings[r].title, policy.readings[r].text) for r in readings),
        parameters=tuple(used_params.values()),
        policy=PolicyRef(policy.id, policy.jurisdiction_name, policy.title, policy.document_number,
                         policy.version, policy.content_hash),
    )
