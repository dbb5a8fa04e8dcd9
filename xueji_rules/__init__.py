"""xueji_rules: China's student-registry (学籍) regulations as data, answered with reasons.

>>> import xueji_rules as xr
>>> d = xr.may_suspend("jiangsu", {"student": {"stage": "junior", "grade": 8},
...     "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True}},
...     on="2025-03-03")
>>> d.outcome
'allowed_with_approval'
"""

from __future__ import annotations

from typing import Any

from .decision import Decision, RuleResult
from .errors import (
    CalendarError,
    CaseFileError,
    DateError,
    Diagnostic,
    FactsError,
    PolicyError,
    UnknownQuestionError,
    UnknownRegionError,
    XuejiError,
)
from .evaluate import decide as _decide, decider as _decider, evaluate
from .facts.input import FactValues, read_facts
from .facts.privacy import show_values
from .facts.vocabulary import Facts
from .load import Registry, check_policy, load_policy
from .locate import regions
from .policy import OUTCOMES, Policy
from .school_calendar import SchoolCalendar, load_calendar
from .student_id import StudentId

__all__ = [
    "ask", "decide", "decider", "evaluate", "load_policy", "check_policy", "regions", "read_facts", "Registry",
    "may_transfer", "may_borrow", "may_suspend", "may_resume", "withdrawal_status", "may_change_grade",
    "graduation_outcome", "may_discipline", "registry_cancellation", "enrolment_eligibility",
    "class_capacity", "parse_student_id", "condition_parts", "load_calendar",
    "Decision", "RuleResult", "Facts", "FactValues", "Policy", "StudentId", "SchoolCalendar", "OUTCOMES",
    "XuejiError", "PolicyError", "FactsError", "DateError", "UnknownRegionError", "UnknownQuestionError",
    "CaseFileError", "CalendarError", "Diagnostic",
    "show_values",
]


def _policy(region) -> Policy:
    return region if isinstance(region, Policy) else load_policy(region)


def ask(region: str | Policy, question: str, facts: Any, on=None, *, calendar=None, readings=None) -> Decision:
    """Answer ``question`` for a student in ``region`` on date ``on`` (default: today, Asia/Shanghai).

    ``facts`` is a nested dict, YAML/JSON already parsed, or an attrs ``Facts``.
    ``calendar`` is the school's own calendar (a file path, a mapping, or one
    ``load_calendar`` read), used instead of the policy's sample calendar; the
    Decision's ``calendar`` says which one answered. ``readings`` switches readings that
    have alternatives (``{"transfer_review_is_approval": "步骤"}``; `xueji readings REGION`
    lists them); the Decision's ``readings`` say which option answered.
    Raises UnknownRegionError, UnknownQuestionError, FactsError, DateError or CalendarError.
    """
    return evaluate(_policy(region), question, facts, on, calendar, readings)


def decide(region: str | Policy, question: str, facts: Any, on=None, *, calendar=None,
           readings=None) -> tuple[str, tuple]:
    """(outcome, failed rule ids) only, without building the explanation."""
    return _decide(_policy(region), question, facts, on, calendar, readings)


def decider(region: str | Policy, question: str, on=None, *, calendar=None, readings=None):
    """A function ``facts -> (outcome, failed rule ids)`` for one question on one date.

    The policy, question, date and calendar are resolved once, ahead of
    evaluation: the fastest way to check many students of a school on the same day.
    """
    return _decider(_policy(region), question, on, calendar, readings)


def _question(name: str, doc: str):
    def helper(region: str | Policy, facts: Any, on=None, *, calendar=None, readings=None) -> Decision:
        return ask(region, name, facts, on, calendar=calendar, readings=readings)

    helper.__name__ = helper.__qualname__ = {
        "transfer": "may_transfer", "borrowing": "may_borrow", "suspension": "may_suspend",
        "resumption": "may_resume", "withdrawal": "withdrawal_status", "grade_change": "may_change_grade",
        "graduation": "graduation_outcome", "discipline": "may_discipline",
        "registry_cancellation": "registry_cancellation", "enrolment": "enrolment_eligibility",
        "class_capacity": "class_capacity",
    }[name]
    helper.__doc__ = f"{doc} Same as ``ask(region, {name!r}, facts, on, calendar=calendar)``."
    return helper


may_transfer = _question("transfer", "May this transfer (转学) proceed?")
may_borrow = _question("borrowing", "May this student study at another school as a guest (借读)?")
may_suspend = _question("suspension", "May this student suspend studies (休学)?")
may_resume = _question("resumption", "May this student come back from suspension (复学), and to which grade?")
withdrawal_status = _question("withdrawal", "May (or must) this student withdraw (退学)?")
may_change_grade = _question("grade_change", "May this student repeat or skip a grade (留级、跳级)?")
graduation_outcome = _question("graduation", "Is this student graduable, and with which certificate (毕业/修业/结业/肄业)?")
may_discipline = _question("discipline", "May the school take this disciplinary step (处分)?")
registry_cancellation = _question("registry_cancellation", "May this registry be cancelled (注销学籍)?")
enrolment_eligibility = _question("enrolment", "May this child be enrolled (新生入学)?")
class_capacity = _question("class_capacity", "Does this class or school have room under the caps (班额、借读比例)?")


def condition_parts(region: str | Policy, question: str, facts: Any, on=None, *, calendar=None) -> dict:
    """Each rule's condition parts and their values, ``{rule id: (Part, …)}``: which part held or failed."""
    from .explain import condition_parts as _parts

    return _parts(_policy(region), question, facts, on, calendar)


def parse_student_id(region: str | Policy, number: str, stage: str | None = None) -> StudentId:
    """Validate and decode a student ID (学籍号) by the region's layouts."""
    from .student_id import parse_student_id as _parse

    return _parse(_policy(region), number, stage)
