"""Procedural words: approval, consent, review and filing, and where each stands for a student.

The meaning of each kind is written here once, as ``statute.py`` does for 超过/以上:

* **批准 approval** — an authority's decision that allows the act (批准、核准、审批, and 同意
  when an authority says it). Until given the act waits; a refusal stops it.
* **同意 consent** — a party's agreement the act needs (双方学校同意, 家长同意): given,
  refused, or not yet given, exactly like an approval, but by a party rather than an
  authority.
* **审核 review** — a check or stamp (审核、审查、盖章). Whether it can refuse, and so works
  as an approval, is a named reading of the region's (``options: {批准: …, 步骤: …}``):
  read as 批准 it is a gate like an approval; read as 步骤 it is a step that cannot refuse.
* **备案 filing** — informing an authority (备案、报…备案). Never a condition and never an
  approval: it is listed, it never makes an answer wait.

A gate (an approval, a consent, or a review read as an approval) attached to a rule is
cleared by the fact ``approvals.<party>: given``, stops the rule with ``refused``, and
otherwise (``pending`` or absent) leaves the answer waiting for that party. A gate marked
``for: 例外`` grants the exception of a 原则上不 rule, once ``approvals.exception_requested``
says the exception was applied for.
"""

from __future__ import annotations

import attrs

#: kind -> (English name, whether it can be a gate)
KINDS = {
    "批准": ("approval", True),
    "同意": ("consent", True),
    "审核": ("review", None),  # a gate or a step, as the region's reading chooses
    "备案": ("filing", False),
}
#: approver level -> English name
LEVELS = {"本校": "school", "上级": "authority", "当事人": "party"}
#: the two options a review reading chooses between
REVIEW_OPTIONS = ("批准", "步骤")

GIVEN, REFUSED, PENDING = "given", "refused", "pending"

#: the clerk's status, derived from the normative answer and the approvals
STATUSES = {
    "proceed": "可以办理",
    "await_approval": "待审批",
    "refused": "不予办理",
    "ask_for_facts": "需补充事实",
    "not_regulated": "本规定未作规定",
}
#: the normative answer, before approvals are counted
NORMS = {
    "allowed": "允许",
    "required": "应当办理",
    "denied_unless_exception": "原则上不允许（可申请例外）",
    "denied": "不允许",
    "undetermined": "无法判断（缺少事实）",
    "not_regulated": "本规定未作规定",
}
#: Decision format 1's outcome names, as the normative answer and approvals map to them
#: (the one place the old names are defined; docs/decision-json.md repeats this table)
LEGACY_OUTCOME = {
    ("allowed", False): "allowed",
    ("allowed", True): "allowed_with_approval",  # a gate applies, whatever its state
    ("required", False): "required",
    ("required", True): "required",
    ("denied_unless_exception", False): "denied_unless_exception",
    ("denied_unless_exception", True): "denied_unless_exception",
    ("denied", False): "denied",
    ("denied", True): "denied",
    ("undetermined", False): "undetermined",
    ("undetermined", True): "undetermined",
    ("not_regulated", False): "not_regulated",
    ("not_regulated", True): "not_regulated",
}


@attrs.frozen
class ProcedureItem:
    """One procedural word of a rule's article: who approves, consents, reviews or is told."""

    kind: str  # 批准 | 同意 | 审核 | 备案
    by: str
    level: str  # 本校 | 上级 | 当事人
    words: str  # the article's words, verbatim
    party: str | None = None  # the approvals.<party> fact; "a|b" when any one of the parties suffices
    reading: str | None = None  # for 审核: the reading that chose 批准 or 步骤
    for_exception: bool = False
    gate: bool = False  # an approval, a consent, or a review read as one
    en: str | None = None
    #: computed once: the approvals.<party> facts, and the fact a switched reading is asked under
    facts: tuple = attrs.field(init=False, eq=False, repr=False, default=attrs.Factory(
        lambda self: tuple(f"approvals.{p}" for p in self.party.split("|")) if self.party else (), takes_self=True))
    reading_key: str | None = attrs.field(init=False, eq=False, repr=False, default=attrs.Factory(
        lambda self: f"reading.{self.reading}" if self.kind == "审核" and self.reading and self.party else None,
        takes_self=True))
    #: the Approval / Filing values a Decision lists, one per (rule id, state), built once
    _made: dict = attrs.field(init=False, eq=False, repr=False, factory=dict)

    def approval(self, rule_id: str, article: str, state: str, for_exception: bool = False) -> "Approval":
        key = (rule_id, state, for_exception)
        made = self._made.get(key)
        if made is None:  # two threads making it at once make equal values
            made = self._made[key] = Approval(rule_id, article, self.kind, self.by, self.level, self.party, self.words,
                                              state, self.reading, for_exception)
        return made

    def filing(self, rule_id: str, article: str) -> "Filing":
        key = (rule_id, None, None)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = Filing(rule_id, article, self.kind, self.by, self.level, self.words, self.reading)
        return made


@attrs.frozen
class Approval:
    """A gate of a rule in play for this student, and where it stands."""

    rule: str
    article: str
    kind: str
    by: str
    level: str
    party: str | None
    words: str
    state: str  # given | refused | pending
    reading: str | None = None
    for_exception: bool = False


@attrs.frozen
class Filing:
    """A filing (备案), or a review read as a step: listed, never waited for."""

    rule: str
    article: str
    kind: str
    by: str
    level: str
    words: str
    reading: str | None = None


def is_gate(item: ProcedureItem, F) -> bool:
    """Whether the item waits (and can refuse): a review by the option of its reading asked for, else as loaded."""
    if item.reading_key is not None:
        option = F.get(item.reading_key)
        if option is not None:
            return option == "批准"
    return item.gate


def state_of(F, item: ProcedureItem) -> str:
    """given when a party (any one, for alternatives) has given it; refused when every party has refused."""
    facts = item.facts
    if len(facts) == 1:
        value = F.get(facts[0])
        return value if value == GIVEN or value == REFUSED else PENDING
    states = [F.get(f) for f in facts]
    if GIVEN in states:
        return GIVEN
    if states and all(s == REFUSED for s in states):
        return REFUSED
    return PENDING


def settle(rules, statuses, F, outcome: str):
    """(norm, legacy outcome, approvals, filings) from the kernel's outcome and the rules' statuses.

    ``rules`` are the question's Rule objects and ``statuses`` their kernel codes
    (0 not applicable, 1 held, 2 failed, 3 unknown).
    """
    norm = "allowed" if outcome == "allowed_with_approval" else outcome
    approvals, filings = [], []
    exception_asked = F.get("approvals.exception_requested") is True
    exceptions = []  # (rule, items) of failed 原则上不 rules
    for rule, code in zip(rules, statuses):
        if not rule.procedure or code == 0:
            continue
        article = rule.article.id
        for item in rule.procedure:
            if not is_gate(item, F):
                if code in (1, 3):
                    filings.append(item.filing(rule.id, article))
                continue
            if item.for_exception:
                continue
            state = state_of(F, item)
            if code == 1 or (code == 2 and state == REFUSED):
                approvals.append(item.approval(rule.id, article, state))
        if code == 2 and rule.strength == "原则上不":
            exceptions.append(rule)
    if outcome == "denied_unless_exception" and exception_asked and exceptions:
        granted = True
        for rule in exceptions:
            items = [i for i in rule.procedure if i.for_exception]
            if not items:
                granted = False  # no party can be asked: the exception stays to be sought
                continue
            for item in items:
                state = state_of(F, item)
                approvals.append(item.approval(rule.id, rule.article.id, state, True))
                if state == REFUSED:
                    norm = "denied"
                granted = granted and state == GIVEN
        if norm != "denied" and granted:
            # the exception is granted: the answer is what it would be without the 原则上不 rules
            required = any(code == 1 and rule.strength == "应当" for rule, code in zip(rules, statuses))
            norm = "required" if required else "allowed"
    # the old name: allowed with an approval in play (given or pending, an exception's included), or with a
    # rule that names its approver only as text; the same answer the kernel gives when no reading is switched
    gated = any(a.state != REFUSED or a.for_exception for a in approvals) or any(
        code == 1 and rule.approver and not rule.procedure for rule, code in zip(rules, statuses))
    legacy = LEGACY_OUTCOME[(norm, gated)]
    return norm, legacy, tuple(approvals), tuple(filings)


def status(norm: str, approvals) -> str:
    """What a clerk does next: proceed, await an approval, refuse, ask for facts (or: not regulated)."""
    if norm == "undetermined":
        return "ask_for_facts"
    if norm == "not_regulated":
        return "not_regulated"
    if norm == "denied":
        return "refused"
    if norm == "denied_unless_exception":
        # only an exception applied for can make it wait; otherwise the answer is no (for now)
        return "await_approval" if any(a.state == PENDING and a.for_exception for a in approvals) else "refused"
    pending = any(a.state == PENDING for a in approvals)
    return "await_approval" if pending else "proceed"


def exception_may_change(outcome: str, F, question) -> bool:
    """Whether an exception applied for may change a fast-path answer (so it must be settled)."""
    return (outcome == "denied_unless_exception" and F.get("approvals.exception_requested") is True
            and any(i.for_exception for r in question.rules for i in r.procedure))
