"""The compiled policy: immutable values that many threads may share.

A Policy is built once by :func:`xueji_rules.load.load_policy` and never
changes; evaluation reads it and keeps its own state on the stack.
"""

from __future__ import annotations

import bisect
import datetime as _dt
from typing import Any

import attrs

from .errors import DateError

class ReadOnlyDict(dict):
    """A dict that refuses changes: a compiled policy is shared by every thread and every later ask."""

    def _refuse(self, *a, **k):
        raise TypeError("a compiled policy is read-only; load another policy to change it")

    __setitem__ = __delitem__ = __ior__ = update = pop = popitem = clear = setdefault = _refuse

    def __reduce__(self):  # pickles (for worker processes) as what it is
        return (type(self), (dict(self),))

    def __copy__(self):
        return self


def read_only(value) -> ReadOnlyDict:
    return value if isinstance(value, ReadOnlyDict) else ReadOnlyDict(value)


HELD, FAILED, NOT_APPLICABLE, UNKNOWN = "held", "failed", "not_applicable", "unknown"
#: Status codes used inside kernels (index into STATUS_NAMES).
STATUS_NAMES = (NOT_APPLICABLE, HELD, FAILED, UNKNOWN)

STRENGTHS = {
    "不得": "forbidden",
    "原则上不": "forbidden_in_principle",
    "须经批准": "approval_required",
    "可以": "permitted",
    "应当": "obligatory",
}
CONSTRAINTS = {"不得", "原则上不", "须经批准"}
GROUNDS = {"可以", "应当"}

OUTCOMES = {
    "allowed": "允许",
    "allowed_with_approval": "经批准后允许",
    "required": "应当办理",
    "denied_unless_exception": "原则上不允许（可申请例外）",
    "denied": "不允许",
    "undetermined": "无法判断（缺少事实）",
    "not_regulated": "本规定未作规定",
}


@attrs.frozen
class Article:
    id: str
    text: str
    title: str | None = None
    layer: str | None = None  # the policy whose text it is


@attrs.frozen
class Reading:
    id: str
    title: str
    text: str
    en: str | None = None
    options: tuple = ()  # (option, what it means) pairs, for a reading that chooses between alternatives
    chosen: str | None = None  # the option this policy takes


@attrs.frozen
class ParameterSource:
    """One layer's setting of a parameter: where it is written and the dated values it gives."""

    layer: str  # the policy (layer) id
    file: str
    line: int | None
    article: str
    quote: str | None
    values: tuple  # (from_date, display value) as this layer wrote them
    overrides: bool = False


@attrs.frozen
class LayerInfo:
    """One policy in a chain of layers (the province first, the policy asked for last)."""

    id: str
    title: str
    document_number: str | None
    issued_by: str
    effective_from: _dt.date
    effective_until: _dt.date | None
    folder: str
    jurisdiction_name: str = ""
    jurisdiction_code: str = ""
    extends: str | None = None  # as written in its policy.yaml
    source: str = ""
    #: (article id, its text) of every article of the source in text order, when the policy
    #: declares ``article_heading`` (articles.sections); empty otherwise
    sections: tuple = ()


@attrs.frozen
class Parameter:
    """A named threshold with its dated values; ``values`` are (from_date, value), oldest first."""

    name: str
    title: str
    unit: str | None
    article: str
    quote: str | None
    values: tuple
    en: str | None = None
    rounding: str | None = None
    readings: tuple = ()
    origin: tuple = ()  # "layer: file" of each policy that set it, the extended one first
    sources: tuple = ()  # ParameterSource of each policy that set it, the extended one first
    compare: str | None = None  # key matching this parameter with other regions' (xueji compare)

    def source_of(self, start: _dt.date) -> ParameterSource | None:
        """The layer whose value takes effect on ``start`` (a date of ``values``)."""
        for src in reversed(self.sources):
            if any(d == start for d, _ in src.values):
                return src
        return self.sources[-1] if self.sources else None

    def value_on(self, on: _dt.date) -> Any:
        starts = [d for d, _ in self.values]
        i = bisect.bisect_right(starts, on) - 1
        if i < 0:
            raise DateError(f"parameter {self.name} has no value before {self.values[0][0].isoformat()}")
        return self.values[i][1]


@attrs.frozen
class Step:
    by: str
    do: str
    en: str | None = None


@attrs.frozen
class Deadline:
    title: str
    en: str | None
    expression: str
    function: str  # name of its generated function in the question's module
    facts: tuple = ()  # the facts its date is computed from (absence.start_date), in vocabulary order


@attrs.frozen
class Rule:
    id: str
    title: str
    strength: str
    article: Article
    quote: str
    message_zh: str
    message_en: str | None
    when: str | None = None
    require: str | None = None
    en: str | None = None
    readings: tuple = ()
    approver: str | None = None
    exception_by: str | None = None
    documents: tuple = ()
    steps: tuple = ()
    deadlines: tuple = ()
    procedure: tuple = ()  # procedure.ProcedureItem: approvals, consents, reviews and filings its article names
    facts: tuple = ()  # fact paths the rule reads, in vocabulary order
    required_facts: tuple = ()  # those whose absence leaves the rule unknown (not only probed by given())
    parameters: tuple = ()  # parameter names the rule reads
    file: str | None = None
    line: int | None = None
    layer: str | None = None  # the policy (layer) whose file holds the rule
    in_force: tuple = (None, None)  # (from, until): until excluded; None is open
    note: str | None = None  # e.g. replaced or repealed by a layer, from a date
    replaces: str | None = None  # the extended policy's rule it takes the place of
    repealed_by: tuple = ()  # (layer, article, from date) when a layer repeals it
    info: Any = attrs.field(default=None, eq=False, repr=False)  # decision.RuleInfo, built at load
    #: the parsed condition trees of ``when`` and ``require`` (conditions.parse nodes; None when absent), for analysis tools
    when_tree: Any = attrs.field(default=None, eq=False, repr=False)
    require_tree: Any = attrs.field(default=None, eq=False, repr=False)

    @property
    def is_ground(self) -> bool:
        return self.strength in GROUNDS

    @property
    def gates(self) -> tuple:
        """The approvals and consents (and reviews read as approvals) the rule waits for, exceptions aside."""
        return tuple(i for i in self.procedure if i.gate and not i.for_exception)


@attrs.frozen
class Definition:
    """A named condition (``definitions:``) as written, and where."""

    name: str
    condition: str
    title: str | None = None
    file: str | None = None
    line: int | None = None
    layer: str | None = None


@attrs.frozen
class Certificate:
    certificate: str
    when: str
    note: str | None = None


@attrs.frozen
class Contradiction:
    """Facts that cannot hold together: asked with them, the question answers with a facts error."""

    id: str
    when: str
    facts: tuple  # the facts the condition reads, named in the error (never their values)
    message_zh: str
    message_en: str | None = None
    readings: tuple = ()
    tree: Any = attrs.field(default=None, eq=False, repr=False)  # the parsed ``when``, for analysis tools


@attrs.frozen
class Question:
    """A question, its rules, and its generated functions for each parameter era.

    ``by_era[i]`` holds ``decide(F, P, T) -> (outcome, failed ids, statuses)``
    (``decide(F, P, T, False) -> (outcome, failed ids)`` for the fast path),
    ``certify`` when the question chooses certificates, and one function per
    deadline, with era ``i``'s parameter values compiled in as constants. Each
    takes the school calendar as a last argument ``_cal``, the policy's by default.
    """

    id: str
    title: str
    en: str | None
    rules: tuple
    certificates: tuple
    by_era: tuple = attrs.field(eq=False, repr=False, default=(),
                                converter=lambda eras: tuple(read_only(ns) for ns in eras))
    source: str = attrs.field(eq=False, repr=False, default="")
    #: facts that cannot hold together (checked before answering; ``contradiction`` in each era's functions)
    contradictions: tuple = ()
    #: the answer when grounds exist and none applies (denied: they are exhaustive; not_regulated), and why
    when_no_ground: str = "denied"
    no_ground_readings: tuple = ()
    #: explanation parts that depend only on the era's parameters (see evaluate._static): private,
    #: filled idempotently (two threads filling one key store equal values)
    _explain_cache: dict = attrs.field(eq=False, repr=False, factory=dict, alias="_explain_cache")

    @property
    def facts(self) -> tuple:
        seen: dict = {}
        for r in self.rules:
            for f in r.facts:
                seen[f] = None
        return tuple(seen)


@attrs.frozen
class IdField:
    name: str
    title: str
    start: int  # 1-based, inclusive
    end: int
    en: str | None = None


@attrs.frozen
class StudentIdLayout:
    name: str
    title: str
    stages: tuple
    length: int
    article: Article
    quote: str
    fields: tuple
    en: str | None = None


@attrs.frozen
class Policy:
    """One jurisdiction's policy, compiled and immutable."""

    id: str
    jurisdiction_code: str
    jurisdiction_name: str
    title: str
    document_number: str | None
    issued_by: str
    effective_from: _dt.date
    effective_until: _dt.date | None
    source: str
    version: str
    content_hash: str
    articles: dict = attrs.field(eq=False, repr=False, converter=read_only)
    readings: dict = attrs.field(eq=False, repr=False, converter=read_only)
    parameters: dict = attrs.field(eq=False, repr=False, converter=read_only)
    questions: dict = attrs.field(eq=False, repr=False, converter=read_only)
    student_ids: dict = attrs.field(eq=False, repr=False, converter=read_only)
    #: articles.Omission of every article (or item) no rule encodes, with its reason
    omitted: tuple = attrs.field(eq=False, repr=False, default=())
    folder: str = attrs.field(eq=False, repr=False, default="")
    #: readings switched on this copy of the policy ({id: option}; readings.variant), asked on every path
    switched: dict = attrs.field(eq=False, repr=False, factory=dict, converter=read_only)
    #: LayerInfo of every policy in the chain, the one extended first and this one last
    layers: tuple = attrs.field(eq=False, repr=False, default=())
    _eras: tuple = attrs.field(eq=False, repr=False, default=())
    _era_values: tuple = attrs.field(eq=False, repr=False, default=())
    #: (compiler, scope, calendar) as the policy was compiled: read-only, for explain.py
    compile_context: tuple | None = attrs.field(eq=False, repr=False, default=None)
    #: for analysis tools (xueji_rules/toolkit): every named condition, the tree of every condition text
    #: as parsed once at load, and the (file, line) of each entry by (section, name): articles, readings,
    #: definitions, parameters, questions, and ("omitted", article)
    definitions: dict = attrs.field(eq=False, repr=False, factory=dict, converter=read_only)
    trees: dict = attrs.field(eq=False, repr=False, factory=dict, converter=read_only)
    positions: dict = attrs.field(eq=False, repr=False, factory=dict, converter=read_only)
    #: each definition's parsed condition tree (conditions.parse nodes), for analysis tools
    definition_trees: dict = attrs.field(eq=False, repr=False, converter=read_only, factory=dict)

    @property
    def calendar(self):
        """The policy's own school calendar (a sample for the bundled regions), or None."""
        return self.compile_context[2] if self.compile_context else None

    def in_force(self, on: _dt.date) -> None:
        """Raise DateError unless the regulation is in force on ``on``."""
        if on < self.effective_from or (self.effective_until and on >= self.effective_until):
            until = f"，{self.effective_until.isoformat()} 废止" if self.effective_until else ""
            raise DateError(
                f"no regulation in force for {self.id} on {on.isoformat()}: "
                f"《{self.title}》 takes effect {self.effective_from.isoformat()}{until}"
            )

    def era(self, on: _dt.date) -> int:
        """Index of the span of dates, on ``on``, in which no parameter changes value."""
        i = bisect.bisect_right(self._eras, on) - 1
        if i < 0:
            raise DateError(f"no parameter values in force for {self.id} on {on.isoformat()}")
        return i

    def parameters_on(self, on: _dt.date) -> dict:
        """Every parameter's value on ``on``: a shared read-only dict, resolved once per era."""
        i = bisect.bisect_right(self._eras, on) - 1
        if i < 0:
            raise DateError(f"no parameter values in force for {self.id} on {on.isoformat()}")
        return self._era_values[i]

    def question(self, name: str) -> Question:
        from .errors import UnknownQuestionError, did_you_mean

        try:
            return self.questions[name]
        except KeyError:
            hint = did_you_mean(name, self.questions)
            raise UnknownQuestionError(
                f"{self.id} has no question '{name}'"
                + (f"; {hint}" if hint else "")
                + f" (questions: {', '.join(self.questions)})"
            ) from None
