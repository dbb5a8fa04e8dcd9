"""Regions side by side: the thresholds that differ, and each region's answer for the same facts.

>>> import xueji_rules as xr
>>> from xueji_rules.compare import compare_parameters, compare_decisions, load_regions
>>> policies = load_regions(["jiangsu", "tests/policies/tiny"])
>>> table = compare_parameters(policies, on="2025-03-03")          # doctest: +SKIP
>>> rows = compare_decisions(policies, "suspension", facts, on="2025-03-03")   # doctest: +SKIP

Parameters are matched across regions by their ``compare:`` key (a name shared by
parameters of the same meaning, e.g. ``suspension_class_hours``) or, failing that,
by their name. A row *differs* unless every region has the parameter with the same
value and unit; rows matched by name alone are shown only when at least two regions
have them (a parameter only one region has is no comparison), rows with an explicit
``compare`` key always (that one region has no such threshold is the difference).

Each region's decision carries the *deciding article* (``deciding_rule``): the
article of the first failed rule that gives the outcome (a 不得 or 须经批准 rule for
``denied``, a 原则上不 rule for ``denied_unless_exception``), else — for an answer
that allows — of the first held ground (可以, 应当), else of the first held rule;
for ``undetermined`` the first rule left unknown. ``None`` when no rule decides
(``not_regulated``, or ``denied`` because no ground applies at all).

Output as a terminal table (columns aligned by display width), Markdown, or a
self-contained HTML page in which every text is escaped.
"""

from __future__ import annotations

import datetime as _dt
import html
from pathlib import Path
from typing import Any, Iterable

import attrs

from ._width import table as _text_table
from .errors import DateError, PolicyError, UnknownRegionError, XuejiError
from .facts.input import jsonable
from .policy import GROUNDS, OUTCOMES, Policy
from .render import value_text

__all__ = [
    "ParamCell", "ParamRow", "ParameterTable", "DecisionRow", "RegionRef",
    "load_regions", "compare_parameters", "compare_decisions", "deciding_rule",
    "comparison_word", "render_text", "render_markdown", "render_html",
]

#: Words of comparison as the texts use them, longest first: (word, meaning).
COMPARISON_WORDS = (
    ("不得多于", "≤"), ("不多于", "≤"), ("不超过", "≤"), ("不少于", "≥"), ("不低于", "≥"), ("达不到", "<"),
    ("未达到", "<"), ("超过", ">"), ("多于", ">"), ("以上", "≥"), ("以下", "≤"), ("以内", "≤"), ("不满", "<"),
    ("少于", "<"), ("达到", "≥"), ("至少", "≥"), ("年满", "≥"), ("最多", "≤"),
)


POSTPOSED = ("以上", "以下", "以内")


def comparison_word(quote: str | None) -> tuple[str, str] | None:
    """The first word of comparison in a quotation and what it means (超过 → '>'), or None."""
    if not quote:
        return None
    best = None
    for word, meaning in COMPARISON_WORDS:
        at = quote.find(word)
        if at >= 0 and (best is None or at < best[0] or at == best[0] and len(word) > len(best[1])):
            best = (at, word, meaning)
    return (best[1], best[2]) if best else None






# -- loading ------------------------------------------------------------------------------


@attrs.frozen
class RegionRef:
    """The region a column stands for."""

    name: str  # as asked for (``jiangsu``, ``tests/policies/tiny``)
    id: str
    jurisdiction: str
    title: str

    def to_dict(self) -> dict:
        return attrs.asdict(self)


def _ref(name: str, p: Policy) -> RegionRef:
    return RegionRef(name, p.id, p.jurisdiction_name, p.title)


def load_regions(names: Iterable[str], registry=None) -> list[Policy]:
    """The compiled policy of each region, or one XuejiError saying plainly which is not ready and why.

    A region whose folder exists but has no ``policy.yaml`` yet, or whose policy does
    not validate, is reported as *not ready* with the command that shows its problems.
    """
    from .load import load_policy
    from .locate import policy_roots

    policies = []
    for name in names:
        try:
            policies.append(load_policy(name, registry=registry))
        except UnknownRegionError:
            folder = Path(name) if not isinstance(name, str) else next(
                (root / name for root, _ in policy_roots() if (root / name).is_dir()), Path(name))
            if folder.is_dir() and not (folder / "policy.yaml").is_file():
                raise UnknownRegionError(
                    f"{name} is not ready: {folder} has no policy.yaml yet (its policy is still being written)"
                ) from None
            raise
        except PolicyError as exc:
            first = exc.diagnostics[0] if exc.diagnostics else None
            n = len(exc.diagnostics)
            raise PolicyError(
                f"{name} is not ready: its policy does not validate ({n} problem{'s' if n != 1 else ''}"
                + (f"; first: {first.where()}: {first.code}: {first.message}" if first else "")
                + f"); run `xueji validate {name}`"
            ) from exc  # the message names the first problem; the PolicyError it comes from holds them all
    return policies


def _day(on) -> _dt.date:
    from .facts.input import to_date

    if on is None:
        import pendulum

        return pendulum.today("Asia/Shanghai").date()
    if isinstance(on, _dt.date) and not isinstance(on, _dt.datetime):
        return on
    try:
        return to_date(on)
    except ValueError as exc:
        raise DateError(f"bad date: {exc}") from None


# -- parameters -----------------------------------------------------------------------------


@attrs.frozen
class ParamCell:
    """One region's parameter in a row: its value on the date, unit and citation."""

    name: str
    title: str
    value: Any
    unit: str | None
    article: str
    quote: str | None  # the parameter's words of its article, else the article's text
    layer: str | None = None
    word_from: str | None = None  # the quotation its word of comparison is read from

    @property
    def word(self) -> tuple[str, str] | None:
        return comparison_word(self.word_from)

    @property
    def value_text(self) -> str:
        """``超过 210 学时``: the quote's word of comparison, the value and the unit."""
        w = self.word
        unit = self.unit or ""
        text = value_text(self.value) + (f" {unit}" if unit else "")
        if not w:
            return text
        # 以上, 以下, 以内 follow the number (一年以上); the other words come before it (超过210)
        return f"{text}{w[0]}" if w[0] in POSTPOSED else f"{w[0]} {text}"

    @property
    def same_as_key(self) -> tuple:
        return (value_text(self.value), self.unit or "", self.word[1] if self.word else None)

    def to_dict(self) -> dict:
        w = self.word
        return {"name": self.name, "title": self.title, "value": jsonable(self.value), "unit": self.unit,
                "word": w[0] if w else None, "meaning": w[1] if w else None, "text": self.value_text,
                "article": self.article, "quote": self.quote, "layer": self.layer}


@attrs.frozen
class ParamRow:
    """One compared threshold: its key and each region's parameters (a tuple per region, maybe empty)."""

    key: str
    explicit: bool  # matched by a `compare:` key, not only by name
    title: str
    cells: tuple  # one tuple of ParamCell per region, in the order the regions were given

    @property
    def present(self) -> int:
        return sum(1 for c in self.cells if c)

    @property
    def same(self) -> bool:
        """Every region has it, with the same values."""
        keys = [frozenset(x.same_as_key for x in c) if c else None for c in self.cells]
        return all(k is not None for k in keys) and len(set(keys)) == 1

    @property
    def differs(self) -> bool:
        """Worth showing: with a `compare` key, unless every region has the same; matched by
        name only, when at least two regions have it with different values."""
        if self.explicit:
            return not self.same
        keys = {frozenset(x.same_as_key for x in c) for c in self.cells if c}
        return len(keys) >= 2

    def to_dict(self) -> dict:
        return {"key": self.key, "explicit": self.explicit, "title": self.title, "same": self.same,
                "differs": self.differs, "cells": [[x.to_dict() for x in c] for c in self.cells]}


@attrs.frozen
class ParameterTable:
    on: _dt.date
    regions: tuple  # RegionRef
    rows: tuple  # ParamRow, every key; see .differing

    @property
    def differing(self) -> tuple:
        return tuple(r for r in self.rows if r.differs)

    def to_dict(self, all_rows: bool = False) -> dict:
        return {"on": self.on.isoformat(), "regions": [r.to_dict() for r in self.regions],
                "parameters": [r.to_dict() for r in (self.rows if all_rows else self.differing)]}


def compare_parameters(policies: list[Policy], on=None, names: list[str] | None = None) -> ParameterTable:
    """Every parameter of the regions, matched by ``compare`` key or name, with its value on ``on``.

    ``ParameterTable.differing`` holds the rows worth showing; ``rows`` all of them,
    ordered by first appearance (the first region's order, then the next's new keys).
    """
    day = _day(on)
    names = names or [p.id for p in policies]
    for p in policies:
        p.in_force(day)
    order: list[str] = []
    by_key: dict[str, list[list[ParamCell]]] = {}
    explicit: dict[str, bool] = {}
    titles: dict[str, str] = {}
    for i, p in enumerate(policies):
        for prm in p.parameters.values():
            key = prm.compare or prm.name
            if key not in by_key:
                by_key[key] = [[] for _ in policies]
                order.append(key)
                titles[key] = prm.title
            explicit[key] = explicit.get(key, False) or prm.compare is not None
            try:
                value = prm.value_on(day)
            except DateError:
                continue
            src = prm.sources[-1] if prm.sources else None
            art = p.articles.get(prm.article)
            # a layer that only changes the value keeps the parent's word (超过 stays 超过)
            word_from = next((x.quote for x in reversed(prm.sources) if x.quote), prm.quote)
            by_key[key][i].append(ParamCell(prm.name, prm.title, value, prm.unit, prm.article,
                                            prm.quote or (art.text if art else None), src.layer if src else None,
                                            word_from))
    rows = tuple(ParamRow(k, explicit[k], titles[k], tuple(tuple(c) for c in by_key[k])) for k in order)
    return ParameterTable(day, tuple(_ref(n, p) for n, p in zip(names, policies)), rows)


# -- decisions ----------------------------------------------------------------------------------


def deciding_rule(decision):
    """The rule the answer rests on (a RuleResult), or None when no rule decides.

    The first failed rule whose failure gives the outcome — for ``denied`` a failed
    不得 or 须经批准 rule, else a failed ground (none held); for
    ``denied_unless_exception`` a failed 原则上不 rule; for ``undetermined`` the first
    rule left unknown; for an answer that allows, the first held ground (应当 first when
    the step is ``required``), else the first held 须经批准 rule, else the first held
    rule. ``None`` for ``not_regulated``, and for ``denied`` when no ground applies at all.
    """
    rules = decision.rules
    outcome = decision.outcome

    def first(status, strengths=None):
        return next((r for r in rules if r.status == status and (strengths is None or r.strength in strengths)), None)

    if outcome == "denied":
        return first("failed", ("不得", "须经批准")) or first("failed", GROUNDS)
    if outcome == "denied_unless_exception":
        return first("failed", ("原则上不",)) or first("failed")
    if outcome == "undetermined":
        return first("unknown") or first("failed")
    if outcome == "not_regulated":
        return None
    if outcome == "required":
        return first("held", ("应当",)) or first("held", GROUNDS) or first("held")
    return first("held", GROUNDS) or first("held", ("须经批准",)) or first("held")


@attrs.frozen
class DecisionRow:
    """One region's answer for the facts."""

    region: RegionRef
    outcome: str | None
    failed: tuple = ()  # (rule id, article) of each failed rule
    article: str | None = None  # the deciding article
    rule: str | None = None  # the deciding rule's id
    quote: str | None = None  # the deciding rule's words of the article
    certificate: str | None = None
    missing: tuple = ()
    approvers: tuple = ()
    exception_by: tuple = ()
    error: str | None = None  # when the region cannot answer (no such question, not in force)
    decision: Any = attrs.field(default=None, eq=False, repr=False)

    @property
    def outcome_zh(self) -> str:
        return OUTCOMES.get(self.outcome, "") if self.outcome else ""

    def to_dict(self) -> dict:
        return {"region": self.region.to_dict(), "outcome": self.outcome, "outcome_zh": self.outcome_zh,
                "failed": [{"rule": r, "article": a} for r, a in self.failed], "article": self.article,
                "rule": self.rule, "quote": self.quote, "certificate": self.certificate,
                "missing_facts": list(self.missing), "approvers": list(self.approvers),
                "exception_by": list(self.exception_by), "error": self.error}


def compare_decisions(policies: list[Policy], question: str, facts, on=None,
                      names: list[str] | None = None) -> tuple:
    """Each region's decision on ``question`` for the same ``facts`` on the same date.

    Facts that are not valid raise FactsError (they are the same for every region);
    a region that cannot answer (it has no such question, or no regulation in force on
    the date) gets a row with ``error`` instead of an outcome.
    """
    from .evaluate import evaluate
    from .facts.input import FactValues, read_facts

    day = _day(on)
    names = names or [p.id for p in policies]
    values = facts if isinstance(facts, FactValues) else read_facts(facts)
    rows = []
    for name, p in zip(names, policies):
        ref = _ref(name, p)
        if question not in p.questions:
            rows.append(DecisionRow(ref, None, error=f"{p.id} has no question '{question}'"))
            continue
        try:
            d = evaluate(p, question, values, day)
        except XuejiError as exc:
            rows.append(DecisionRow(ref, None, error=str(exc).split("\n")[0]))
            continue
        decisive = deciding_rule(d)
        failed = tuple((r.id, r.article) for r in d.rules if r.status == "failed")
        rows.append(DecisionRow(
            ref, d.outcome, failed, decisive.article if decisive else None, decisive.id if decisive else None,
            decisive.quote if decisive else None, d.certificate, tuple(d.missing_facts), tuple(d.approvers),
            tuple(d.exception_by), None, d,
        ))
    return tuple(rows)


# -- rendering -----------------------------------------------------------------------------------------


def _region_head(r: RegionRef) -> str:
    """The policy id, and on a second line the folder it was asked for by when that is not the id."""
    return r.id if r.name == r.id else f"{r.id}\n({r.name})"


def _cell_lines(cells: tuple, titled: bool = False) -> str:
    """One region's cell: the value with its word, (the parameter's title,) the article and its words."""
    if not cells:
        return "—"
    parts = []
    for c in cells:
        title = f"\n{c.title}" if titled or len(cells) > 1 else ""
        parts.append(c.value_text + title + "\n" + c.article + ("\n「" + c.quote + "」" if c.quote else ""))
    return "\n".join(parts)


def _row_head(row: ParamRow) -> str:
    """A row matched by name shows the name and title; one matched by a compare key, the key
    (each region's cell then shows its own parameter's title)."""
    return row.key if row.explicit else f"{row.key}\n{row.title}"


def _decision_cells(row: DecisionRow) -> list[str]:
    if row.error:
        return [_region_head(row.region), "—", row.error, "", ""]
    outcome = f"{row.outcome}\n{row.outcome_zh}"
    if row.certificate:
        outcome += f"\n证书: {row.certificate}"
    failed = "\n".join(f"{r}\n（{a}）" for r, a in row.failed) or "—"
    if row.missing:
        failed += "\n缺少: " + ", ".join(row.missing)
    why = (row.article or "—") + (f"\n{row.rule}" if row.rule else "") + (f"\n「{row.quote}」" if row.quote else "")
    approvers = ", ".join(row.approvers) or ("例外: " + ", ".join(row.exception_by) if row.exception_by else "")
    return [_region_head(row.region), outcome, failed, why, approvers]


DECISION_HEADERS = ["region", "outcome", "failed rules", "deciding article", "approvers"]


def render_text(table: ParameterTable | None, rows: tuple | None = None, *, question: str | None = None,
                all_rows: bool = False, width: int = 30) -> str:
    """Terminal tables: cells wrapped to ``width`` columns and padded by display width."""
    out = []
    if table is not None:
        regions = table.regions
        out.append(f"parameters on {table.on.isoformat()}: " + " | ".join(
            f"{_region_head(r).replace(chr(10), ' ')} {r.jurisdiction}《{r.title}》" for r in regions))
        shown = table.rows if all_rows else table.differing
        if shown:
            key_width = max(width, min(40, max(len(r.key) for r in shown)))
            out.append(_text_table(["parameter"] + [_region_head(r) for r in regions],
                                   [[_row_head(r)] + [_cell_lines(c, r.explicit) for c in r.cells] for r in shown],
                                   max_width=[key_width] + [width] * len(regions)))
        else:
            out.append("no parameters differ" if not all_rows else "no parameters")
    if rows is not None:
        if out:
            out.append("")
        day = rows[0].decision.on.isoformat() if rows and rows[0].decision is not None else ""
        out.append(f"decisions: {question or ''} {day}".rstrip())
        ids = [len(x) for r in rows for x in ([rid for rid, _ in r.failed] + [r.rule or ""])]
        id_width = max([width] + ids)
        out.append(_text_table(DECISION_HEADERS, [_decision_cells(r) for r in rows],
                               max_width=[None, None, id_width, id_width, width]))
    return "\n".join(out) + "\n"


def _md(text) -> str:
    """A Markdown table cell: pipes, HTML and line breaks escaped."""
    s = html.escape("" if text is None else str(text), quote=False)
    s = s.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("`", "\\`")
    return s.replace("\r", "").replace("\n", "<br>")


def render_markdown(table: ParameterTable | None, rows: tuple | None = None, *, question: str | None = None,
                    all_rows: bool = False) -> str:
    out = []
    if table is not None:
        out.append(f"## Parameters on {table.on.isoformat()}\n")
        for r in table.regions:
            out.append(f"- **{_md(_region_head(r))}**: {_md(r.jurisdiction)}《{_md(r.title)}》")
        out.append("")
        shown = table.rows if all_rows else table.differing
        if shown:
            out.append("| parameter | " + " | ".join(_md(_region_head(r)) for r in table.regions) + " |")
            out.append("| --- |" + " --- |" * len(table.regions))
            for row in shown:
                out.append(f"| {_md(_row_head(row))} | " + " | ".join(_md(_cell_lines(c, row.explicit)) for c in row.cells) + " |")
        else:
            out.append("No parameters differ.")
        out.append("")
    if rows is not None:
        day = rows[0].decision.on.isoformat() if rows and rows[0].decision is not None else ""
        out.append(f"## Decisions: {_md(question or '')} {day}\n".replace("  ", " "))
        out.append("| " + " | ".join(DECISION_HEADERS) + " |")
        out.append("|" + " --- |" * len(DECISION_HEADERS))
        for r in rows:
            out.append("| " + " | ".join(_md(c) for c in _decision_cells(r)) + " |")
        out.append("")
    return "\n".join(out)


_CSS = """
body { font-family: system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0 2em; }
th, td { border: 1px solid #bbb; padding: .4em .6em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
td .v { font-weight: 600; }
td .a { color: #555; font-size: .9em; }
td .q { color: #666; font-size: .85em; }
td .t { font-size: .85em; }
.outcome-denied, .outcome-denied_unless_exception { color: #a40000; }
.outcome-allowed, .outcome-allowed_with_approval, .outcome-required { color: #0a6b00; }
.outcome-undetermined { color: #8a6d00; }
.none { color: #999; }
"""


def _h(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _html_cell(cells: tuple, titled: bool = False) -> str:
    if not cells:
        return '<span class="none">—</span>'
    parts = []
    for c in cells:
        title = f'<div class="t">{_h(c.title)}</div>' if titled or len(cells) > 1 else ""
        parts.append(f'<div class="v">{_h(c.value_text)}</div>{title}<div class="a">{_h(c.article)}</div>'
                     + (f'<div class="q">「{_h(c.quote)}」</div>' if c.quote else ""))
    return "".join(parts)


def render_html(table: ParameterTable | None, rows: tuple | None = None, *, question: str | None = None,
                all_rows: bool = False, title: str = "xueji compare") -> str:
    """One self-contained HTML page (inline style, no scripts, nothing fetched); every text escaped."""
    body = [f"<h1>{_h(title)}</h1>"]
    if table is not None:
        body.append(f"<h2>Parameters on {_h(table.on.isoformat())}</h2><ul>")
        for r in table.regions:
            body.append(f"<li><b>{_h(_region_head(r))}</b>: {_h(r.jurisdiction)}《{_h(r.title)}》</li>")
        body.append("</ul>")
        shown = table.rows if all_rows else table.differing
        if shown:
            body.append("<table><thead><tr><th>parameter</th>"
                        + "".join(f"<th>{_h(_region_head(r))}</th>" for r in table.regions) + "</tr></thead><tbody>")
            for row in shown:
                head = _h(row.key) + ("" if row.explicit else f"<br><small>{_h(row.title)}</small>")
                body.append(f"<tr><th>{head}</th>"
                            + "".join(f"<td>{_html_cell(c, row.explicit)}</td>" for c in row.cells) + "</tr>")
            body.append("</tbody></table>")
        else:
            body.append("<p>No parameters differ.</p>")
    if rows is not None:
        day = rows[0].decision.on.isoformat() if rows and rows[0].decision is not None else ""
        body.append(f"<h2>Decisions: {_h(question or '')} {_h(day)}</h2>")
        body.append("<table><thead><tr>" + "".join(f"<th>{_h(h)}</th>" for h in DECISION_HEADERS) + "</tr></thead><tbody>")
        for r in rows:
            cells = _decision_cells(r)
            cls = f"outcome-{r.outcome}" if r.outcome else "none"
            body.append(
                f"<tr><th>{_h(cells[0])}</th>"
                f'<td class="{_h(cls)}">' + "<br>".join(_h(x) for x in cells[1].split("\n")) + "</td>"
                + "".join("<td>" + "<br>".join(_h(x) for x in c.split("\n")) + "</td>" for c in cells[2:]) + "</tr>"
            )
        body.append("</tbody></table>")
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_h(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
