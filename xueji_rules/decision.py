"""A Decision: the answer to one question, with everything needed to explain and audit it.

Decisions are frozen; ``to_dict``/``to_json`` give the stable, documented JSON
form (``docs/decision-json.md``) and ``from_dict``/``from_json`` read it back to
an equal Decision.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any, NamedTuple

import attrs

from .facts.personal import redact as _redact
from .procedure import Approval, Filing, status as status_of

try:  # Decision.to_json_bytes writes with orjson when it is installed (the service extra)
    import orjson
except ImportError:  # pragma: no cover - the base install
    orjson = None

FORMAT = "xueji-decision/2"
#: the earlier form, still read by from_dict (norm and status derived from its outcome)
FORMAT_1 = "xueji-decision/1"


@attrs.frozen
class ParameterValue:
    name: str
    value: Any  # JSON-ready
    unit: str | None = None
    title: str | None = None


@attrs.frozen
class RuleInfo:
    """What a rule says and rests on: the same in every decision, built once at load."""

    id: str
    title: str
    strength: str
    article: str
    article_text: str
    quote: str
    message_zh: str
    message_en: str | None = None
    readings: tuple = ()
    approver: str | None = None
    exception_by: str | None = None
    #: the rule's JSON in ``Decision.to_json_bytes`` around its facts and parameters, by status: written once
    json_parts: dict = attrs.field(init=False, eq=False, repr=False, factory=dict)


class RuleResult(NamedTuple):
    """How one rule came out: its status and the fact and parameter values it read.

    ``facts`` is a tuple of (path, value) pairs, ``parameters`` of (name, value)
    pairs; values are JSON-ready (dates as ISO text, lists as tuples), None when
    a fact was not given. The rule's citation and message are in ``info``.
    A NamedTuple rather than an attrs class: one is built for every rule of every
    decision, and a tuple is built in half the time.
    """

    id: str
    status: str  # held | failed | not_applicable | unknown
    info: RuleInfo
    facts: tuple = ()
    parameters: tuple = ()

    title = property(lambda self: self.info.title)
    strength = property(lambda self: self.info.strength)
    article = property(lambda self: self.info.article)
    article_text = property(lambda self: self.info.article_text)
    quote = property(lambda self: self.info.quote)
    message_zh = property(lambda self: self.info.message_zh)
    message_en = property(lambda self: self.info.message_en)
    readings = property(lambda self: self.info.readings)
    approver = property(lambda self: self.info.approver)
    exception_by = property(lambda self: self.info.exception_by)


@attrs.frozen
class StepItem:
    by: str
    do: str
    rule: str


@attrs.frozen
class DeadlineItem:
    title: str
    date: _dt.date | None
    rule: str
    en: str | None = None
    problem: str | None = None  # why the date cannot be given (e.g. no working-day data for that year)


@attrs.frozen
class ReadingItem:
    id: str
    title: str
    text: str
    option: str | None = None  # for a reading with alternatives: the option that answered (asked for, or chosen)


@attrs.frozen
class PolicyRef:
    """Which policy answered: enough to reproduce the decision later."""

    id: str
    jurisdiction: str
    title: str
    document_number: str | None
    version: str
    content_hash: str


@attrs.frozen
class CalendarRef:
    """Which school calendar answered: the policy's own (a sample for the bundled regions) or one given at ask time."""

    source: str  # "policy" | "given"
    title: str | None
    sample: bool
    content_hash: str  # sha256 of the calendar's canonical content (school_calendar.canonical)


@attrs.frozen
class Decision:
    region: str
    question: str
    question_title: str
    on: _dt.date
    outcome: str
    failed: tuple = ()
    rules: tuple = ()  # RuleResult, in policy order
    certificate: str | None = None
    approvers: tuple = ()
    exception_by: tuple = ()
    missing_facts: tuple = ()
    documents: tuple = ()
    steps: tuple = ()  # StepItem
    deadlines: tuple = ()  # DeadlineItem
    readings: tuple = ()  # ReadingItem
    parameters: tuple = ()  # ParameterValue, those the rules read
    policy: PolicyRef | None = None
    calendar: CalendarRef | None = None  # None when the policy has no calendar and none was given
    #: the normative answer: allowed, required, denied_unless_exception, denied, undetermined, not_regulated
    norm: str | None = None
    #: what the clerk does next: proceed, await_approval, refused, ask_for_facts, not_regulated
    status: str | None = None
    #: denied because no ground of the question applies (its grounds are exhaustive; `readings` says why)
    no_ground: bool = False
    approvals: tuple = ()  # procedure.Approval: each gate in play, with its state
    filings: tuple = ()  # procedure.Filing: filings and reviews that are steps, never waited for

    @property
    def awaiting(self) -> tuple:
        """The approvals still pending (who must still approve or consent), in policy order.

        Empty unless the status is ``await_approval``: a refused request waits for nobody.
        """
        if self.status != "await_approval":
            return ()
        return tuple(a for a in self.approvals if a.state == "pending")

    @property
    def allowed(self) -> bool | None:
        """True when the step may (or must) be taken, False when not, None when undetermined."""
        if self.outcome in ("allowed", "allowed_with_approval", "required"):
            return True
        if self.outcome == "undetermined":
            return None
        return False

    @property
    def held(self) -> tuple:
        return tuple(r.id for r in self.rules if r.status == "held")

    def rule(self, rule_id: str) -> RuleResult:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    # -- JSON -------------------------------------------------------------------

    def to_dict(self, redact: bool = False, redact_key: bytes | None = None) -> dict:
        """The stable JSON form (docs/decision-json.md).

        With ``redact=True`` the facts that identify a student (birth date, home and hukou
        places: ``facts.personal``) are replaced by a hash (keyed with ``redact_key`` when
        given) and names are dropped; the document then says ``"redacted": true``.
        """
        return self._document(_rule_dicts, redact, redact_key)

    def to_json_bytes(self, redact: bool = False, redact_key: bytes | None = None) -> bytes:
        """``to_dict`` as compact UTF-8 JSON, as ``orjson.dumps(self.to_dict())`` writes it (orjson: the service extra).

        What a rule says (title, article text, quote, message...) is the same in every
        decision: each rule's JSON around its facts and parameters is written once per
        compiled policy and reused, which takes about a quarter less time than writing
        ``to_dict`` (the service's single asks). Without orjson, the standard library writes ``to_dict``.
        """
        if orjson is None:
            return json.dumps(self.to_dict(redact, redact_key), ensure_ascii=False, separators=(",", ":")).encode()
        return orjson.dumps(self._document(_rule_fragments, redact, redact_key))

    def _document(self, rules, redact: bool, redact_key: bytes | None) -> dict:
        d = {
            "format": FORMAT,
            "region": self.region,
            "question": self.question,
            "question_title": self.question_title,
            "on": self.on.isoformat(),
            "outcome": self.outcome,
            "norm": self.norm,
            "status": self.status,
            "no_ground": self.no_ground,
            "approvals": [
                {"rule": a.rule, "article": a.article, "kind": a.kind, "by": a.by, "level": a.level, "party": a.party,
                 "words": a.words, "state": a.state, "reading": a.reading, "for_exception": a.for_exception}
                for a in self.approvals
            ],
            "filings": [
                {"rule": f.rule, "article": f.article, "kind": f.kind, "by": f.by, "level": f.level, "words": f.words,
                 "reading": f.reading}
                for f in self.filings
            ],
            "certificate": self.certificate,
            "failed": list(self.failed),
            "approvers": list(self.approvers),
            "exception_by": list(self.exception_by),
            "missing_facts": list(self.missing_facts),
            "rules": rules(self.rules, redact, redact_key),
            "documents": list(self.documents),
            "steps": [{"by": s.by, "do": s.do, "rule": s.rule} for s in self.steps],
            "deadlines": [
                {"title": d.title, "en": d.en, "date": d.date.isoformat() if d.date else None, "rule": d.rule,
                 "problem": d.problem}
                for d in self.deadlines
            ],
            "readings": [{"id": r.id, "title": r.title, "text": r.text, "option": r.option} for r in self.readings],
            "parameters": {p.name: {"value": _json(p.value), "unit": p.unit, "title": p.title} for p in self.parameters},
            "policy": _policy_dict(self.policy) if self.policy else None,
            "calendar": _calendar_dict(self.calendar) if self.calendar else None,
        }
        if redact:
            d["redacted"] = True
        return d

    def to_json(self, indent: int | None = 2, redact: bool = False, redact_key: bytes | None = None) -> str:
        return json.dumps(self.to_dict(redact=redact, redact_key=redact_key), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, d: dict) -> "Decision":
        if d.get("format") not in (FORMAT, FORMAT_1):
            raise ValueError(f"not a {FORMAT} (or {FORMAT_1}) document")
        if d["format"] == FORMAT_1:
            # format 1 had only the outcome: its norm and status are as procedure.LEGACY_OUTCOME maps them
            norm = {"allowed_with_approval": "allowed"}.get(d["outcome"], d["outcome"])
            d = {**d, "norm": norm, "approvals": [], "filings": [],
                 "status": "await_approval" if d["outcome"] == "allowed_with_approval" else status_of(norm, ())}
        return cls(
            region=d["region"],
            question=d["question"],
            question_title=d["question_title"],
            on=_dt.date.fromisoformat(d["on"]),
            outcome=d["outcome"],
            certificate=d["certificate"],
            failed=tuple(d["failed"]),
            approvers=tuple(d["approvers"]),
            exception_by=tuple(d["exception_by"]),
            missing_facts=tuple(d["missing_facts"]),
            rules=tuple(
                RuleResult(
                    id=r["id"], status=r["status"],
                    info=RuleInfo(
                        id=r["id"], title=r["title"], strength=r["strength"],
                        article=r["article"], article_text=r["article_text"], quote=r["quote"],
                        message_zh=r["message"]["zh"], message_en=r["message"]["en"],
                        readings=tuple(r["readings"]), approver=r["approver"], exception_by=r["exception_by"],
                    ),
                    facts=tuple((k, _freeze(v)) for k, v in r["facts"].items()),
                    parameters=tuple((k, _freeze(v)) for k, v in r["parameters"].items()),
                )
                for r in d["rules"]
            ),
            documents=tuple(d["documents"]),
            steps=tuple(StepItem(s["by"], s["do"], s["rule"]) for s in d["steps"]),
            deadlines=tuple(
                DeadlineItem(x["title"], _dt.date.fromisoformat(x["date"]) if x["date"] else None, x["rule"], x["en"],
                             x.get("problem"))
                for x in d["deadlines"]
            ),
            readings=tuple(ReadingItem(r["id"], r["title"], r["text"], r.get("option")) for r in d["readings"]),
            parameters=tuple(ParameterValue(k, _freeze(v["value"]), v["unit"], v["title"]) for k, v in d["parameters"].items()),
            policy=PolicyRef(**d["policy"]) if d["policy"] else None,
            norm=d["norm"],
            status=d["status"],
            no_ground=d.get("no_ground", False),
            approvals=tuple(Approval(**a) for a in d["approvals"]),
            filings=tuple(Filing(**f) for f in d["filings"]),
            calendar=CalendarRef(**d["calendar"]) if d.get("calendar") else None,
        )

    @classmethod
    def from_json(cls, text: str) -> "Decision":
        return cls.from_dict(json.loads(text))

    def render(self, color: bool = False, english: bool = True) -> str:
        from .render import render_decision

        return render_decision(self, color=color, english=english)

    def __str__(self) -> str:
        return self.render()


def _freeze(v):
    return tuple(v) if isinstance(v, list) else v


def _json(v):
    return list(v) if isinstance(v, tuple) else v


def _rule_fragments(rules, redact: bool, redact_key: bytes | None) -> list:
    """The rules of ``to_json_bytes``: each ``_rule_dict`` as orjson writes it (a Fragment), all but its facts and
    parameters written once per rule and status and kept on its RuleInfo (shared by every decision of the policy)."""
    dumps, fragment = orjson.dumps, orjson.Fragment
    out = []
    for r in rules:
        i = r.info
        if r.id != i.id:  # not as evaluate builds a rule: written whole
            out.append(fragment(dumps(_rule_dict(r, i, redact, redact_key))))
            continue
        parts = i.json_parts.get(r.status)
        if parts is None:
            parts = i.json_parts[r.status] = _rule_parts(r, i)
        facts = {path: _redact(path, value, redact_key) for path, value in r.facts} if redact else dict(r.facts)
        if r.parameters:
            out.append(fragment(b"".join((parts[0], dumps(facts), parts[1], dumps(dict(r.parameters)), parts[2]))))
        else:
            out.append(fragment(parts[0] + dumps(facts) + parts[3]))
    return out


def _rule_parts(r: RuleResult, i: RuleInfo) -> tuple:
    """A rule's JSON before its facts, between facts and parameters, after them, and after no parameters."""
    items = list(_rule_dict(r._replace(facts=(), parameters=()), i, False, None).items())
    at = [k for k, _ in items].index("facts")
    assert items[at + 1][0] == "parameters"
    head, tail = orjson.dumps(dict(items[:at])), orjson.dumps(dict(items[at + 2:]))
    return head[:-1] + b',"facts":', b',"parameters":', b"," + tail[1:], b',"parameters":{},' + tail[1:]


def _policy_dict(p: PolicyRef) -> dict:  # attrs.asdict, in a fifth of the time
    return {"id": p.id, "jurisdiction": p.jurisdiction, "title": p.title, "document_number": p.document_number,
            "version": p.version, "content_hash": p.content_hash}


def _calendar_dict(c: CalendarRef) -> dict:
    return {"source": c.source, "title": c.title, "sample": c.sample, "content_hash": c.content_hash}


def _rule_dicts(rules, redact: bool, redact_key: bytes | None) -> list:
    return [_rule_dict(r, r.info, redact, redact_key) for r in rules]


def _rule_dict(r: RuleResult, i: RuleInfo, redact: bool, redact_key: bytes | None) -> dict:
    """One rule of ``Decision.to_dict``: read from its RuleInfo directly (one is written per rule of every answer)."""
    if redact:
        facts = {path: _json(_redact(path, value, redact_key)) for path, value in r.facts}
    else:
        facts = {path: list(value) if isinstance(value, tuple) else value for path, value in r.facts}
    return {
        "id": r.id,
        "title": i.title,
        "status": r.status,
        "strength": i.strength,
        "article": i.article,
        "article_text": i.article_text,
        "quote": i.quote,
        "message": {"zh": i.message_zh, "en": i.message_en},
        "facts": facts,
        "parameters": {name: list(value) if isinstance(value, tuple) else value for name, value in r.parameters},
        "readings": list(i.readings),
        "approver": i.approver,
        "exception_by": i.exception_by,
    }
