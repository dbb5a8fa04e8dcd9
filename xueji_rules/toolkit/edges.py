"""``xueji cases REGION QUESTION --edges``: a case file of students on every edge, for staff to check.

For each rule of the question, every threshold its conditions compare a number with
(a parameter, a literal, or a fraction of another fact, computed exactly) gives three
students: one unit below, at, and one unit above it; every date a condition compares
with (a window, a date moved by a term, a school-calendar period) and every deadline
gives four days: the day before, the first day, the last day and the day after. Each
student starts from a compliance case in which the rule is decided (else from the facts
given with ``--facts``), and each case's ``want`` is the engine's current answer, with a
``# check against 第…条`` comment: a skeleton to confirm or correct, never a judgement.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
from fractions import Fraction
from pathlib import Path

import attrs

from ..conditions import parse as P
from ..conditions.compile import _add_duration, _add_working_days, _sub_duration
from ..errors import FactsError, XuejiError
from ..facts.input import jsonable
from ..facts.vocabulary import FACTS
from .ranges import Ranges

#: the whole-year class hours used when a fraction of them is a threshold and no case gives them
#: (34 weeks of 30 hours): divisible by 3, 4, 5 and 6, so a third or a quarter is a whole number
YEAR_HOURS = 1020


@attrs.frozen
class Edge:
    """One student on one edge: what is varied, the facts, the date, the rule and its article."""

    note: str
    facts: dict
    on: _dt.date
    rule: str
    article: str
    condition: str
    deadline: str | None = None


def _atoms(ranges: Ranges, node, seen: set):
    """The comparisons, memberships and windows of a condition, definitions followed."""
    node = ranges.inline(node)
    if node is None:
        return
    if isinstance(node, (P.Compare, P.Member, P.Window)):
        yield node
        return
    if isinstance(node, P.Name) and node.name in ranges.defs:
        return
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        for item in (value if isinstance(value, tuple) else (value,)):
            if isinstance(item, P.Node):
                yield from _atoms(ranges, item, seen)


def _get(facts: dict, path: str):
    node = facts
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _set(facts: dict, path: str, value) -> dict:
    out = copy.deepcopy(facts)
    node = out
    *parents, leaf = path.split(".")
    for part in parents:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[leaf] = jsonable(value)
    return out


def _number(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Fraction(str(value)) if not isinstance(value, (int, Fraction)) else Fraction(value)
    except (ValueError, ZeroDivisionError):
        return None


def _day(value):
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        return None


class _Builder:
    def __init__(self, policy, question, on, base):
        self.policy, self.question, self.on, self.base = policy, question, on, base
        self.ranges = Ranges(policy, policy.parameters_on(on))

    def starts(self, rule) -> list:
        """(facts, date) to start from: a compliance case deciding the rule (held or failed), else the base facts."""
        if self.base is not None:
            return [(self.base, self.on)]
        from ..compliance import load_case_file
        from ..evaluate import evaluate

        for path in sorted((Path(self.policy.folder) / "tests").rglob("*.yaml")):
            if "calendars" in path.parts:
                continue
            try:
                cases = load_case_file(path, self.policy)
            except XuejiError:
                continue
            for case in cases:
                if getattr(case, "question", None) != self.question.id or case.calendar is not None:
                    continue
                try:
                    d = evaluate(self.policy, self.question, case.facts, case.on)
                except XuejiError:
                    continue
                if any(r.id == rule.id and r.status in ("held", "failed") for r in d.rules):
                    return [(case.facts, case.on)]
        return [({}, self.on)]

    # -- values of expressions for one student ---------------------------------------------------

    def value(self, node, facts: dict, on: _dt.date):
        node = self.ranges.inline(node)
        if isinstance(node, P.Today):
            return on
        if isinstance(node, P.Name):
            if node.name in FACTS:
                v = _get(facts, node.name)
                return _day(v) if FACTS[node.name].kind == "date" else _number(v)
            if node.name in self.ranges.params:
                v = self.ranges.params[node.name]
                return v if isinstance(v, _dt.date) else _number(v)
            return None
        if isinstance(node, P.Num):
            return node.value
        if isinstance(node, P.Call) and node.function == "date_in" and len(node.args) == 2:
            year, md = self.value(node.args[0], facts, on), self.ranges.const(node.args[1])
            try:
                month, day = (int(x) for x in str(md).split("-"))
                return _dt.date(int(year), month, day)
            except (TypeError, ValueError):
                return None
        if isinstance(node, P.Arith):
            a, b = self.value(node.left, facts, on), self.value(node.right, facts, on)
            if a is None or b is None:
                return None
            if isinstance(a, _dt.date) and isinstance(b, Fraction) and node.op in "+-":
                unit = self.ranges.unit_of(node.right) or "日"
                try:
                    if unit == "工作日":
                        return _add_working_days(a, b if node.op == "+" else -b)
                    return (_add_duration if node.op == "+" else _sub_duration)(a, b, unit)
                except (ValueError, XuejiError, OverflowError):
                    return None
            if isinstance(a, Fraction) and isinstance(b, Fraction):
                return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else None}[node.op]
        return None

    # -- edges ------------------------------------------------------------------------------------

    def edges(self, rule) -> list[Edge]:
        out = []
        texts = [t for t in (rule.when, rule.require) if t is not None]
        atoms = [a for t in texts for a in _atoms(self.ranges, self.policy.trees.get(str(t)), set())]
        for facts, on in self.starts(rule):
            for atom in atoms:
                out += self.numeric(rule, atom, facts, on)
                out += self.dates(rule, atom, facts, on)
            out += self.deadlines(rule, facts, on)
        return out

    def _edge(self, rule, note, facts, on, atom, deadline=None):
        return Edge(note, facts, on, rule.id, rule.article.id, P.to_text(atom) if atom is not None else "", deadline)

    def numeric(self, rule, atom, facts, on) -> list[Edge]:
        """Below, at and above a number a fact is compared with."""
        if isinstance(atom, P.Window):
            return []
        left = atom.item if isinstance(atom, P.Member) else atom.left
        right = atom.collection if isinstance(atom, P.Member) else atom.right
        for fact_side, other in ((left, right), (right, left)):
            lin = self.ranges.linear(fact_side)
            if not lin or FACTS[lin[0]].kind not in ("int", "number"):
                continue
            path, a, b = lin
            const = self.ranges.const(other)
            if isinstance(const, frozenset):
                targets = sorted(v for v in const if isinstance(v, Fraction))
            elif isinstance(const, Fraction):
                targets = [const]
            else:  # a fraction of another fact: that fact from the student, else a whole year's hours
                other_lin = self.ranges.linear(other)
                if not other_lin or FACTS[other_lin[0]].kind not in ("int", "number"):
                    continue
                opath, oa, ob = other_lin
                given = _number(_get(facts, opath))
                if given is None:
                    given = Fraction(YEAR_HOURS if FACTS[opath].unit == "学时" else 100)
                    facts = _set(facts, opath, given)
                targets = [oa * given + ob]
            out = []
            unit = FACTS[path].unit or ""
            for t in targets:
                at = (t - b) / a
                for label, v in (("下一单位", at - 1), ("恰好", at), ("上一单位", at + 1)):
                    lo, hi = _range(path)
                    if (lo is not None and v < lo) or (hi is not None and v > hi):
                        continue
                    if FACTS[path].kind == "int" and v.denominator != 1:
                        continue
                    note = f"{rule.id}：{path} = {_show(v)}{unit}（界值 {_show(at)}{unit}，{label}）"
                    out.append(self._edge(rule, note, _set(facts, path, v), on, atom))
            return out
        return []

    def dates(self, rule, atom, facts, on) -> list[Edge]:
        """The day before, the first or last day, and the day after a date a condition compares with."""
        if isinstance(atom, P.Window):
            anchor, span = self.value(atom.anchor, facts, on), self.value(atom.span, facts, on)
            unit = self.ranges.unit_of(atom.span) or "日"
            if not isinstance(anchor, _dt.date) or not isinstance(span, Fraction):
                return []
            try:
                if unit == "工作日":
                    first, last = _add_working_days(anchor, -span), _add_working_days(anchor, span)
                else:
                    first, last = _sub_duration(anchor, span, unit), _add_duration(anchor, span, unit)
            except (ValueError, XuejiError):
                return []
            days = [("窗口前一日", first - _dt.timedelta(1)), ("窗口首日", first), ("窗口末日", last),
                    ("窗口后一日", last + _dt.timedelta(1))]
            return self._vary_day(rule, atom, atom.item, days, facts, on)
        if not isinstance(atom, P.Compare):
            return []
        for day_side, other in ((atom.left, atom.right), (atom.right, atom.left)):
            inner = self.ranges.inline(day_side)
            if not (isinstance(inner, P.Today) or (isinstance(inner, P.Name) and inner.name in FACTS
                                                    and FACTS[inner.name].kind == "date")):
                continue
            if isinstance(self.ranges.inline(other), P.Today) and isinstance(inner, P.Name):
                continue  # fact vs today: vary the date asked, from the today side
            edge = self.value(other, facts, on)
            if isinstance(self.ranges.inline(other), P.Call) and self.ranges.inline(other).function == "period":
                return []
            if not isinstance(edge, _dt.date):
                continue
            days = [("前一日", edge - _dt.timedelta(1)), ("当日", edge), ("后一日", edge + _dt.timedelta(1))]
            return self._vary_day(rule, atom, day_side, days, facts, on)
        # a school-calendar period: its first and last day
        for side, other in ((atom.left, atom.right), (atom.right, atom.left)):
            inner = self.ranges.inline(side)
            if isinstance(inner, P.Call) and inner.function == "period" and self.policy.calendar is not None:
                name = self.ranges.const(other)
                day = self.value(inner.args[0], facts, on) if inner.args else None
                if not isinstance(day, _dt.date):
                    return []
                periods = [p for p in self.policy.calendar.periods if p.name == name]
                if not periods:
                    return []
                p = min(periods, key=lambda p: abs((p.start - day).days))
                days = [("学期段前一日", p.start - _dt.timedelta(1)), ("学期段首日", p.start),
                        ("学期段末日", p.end), ("学期段后一日", p.end + _dt.timedelta(1))]
                return self._vary_day(rule, atom, inner.args[0], days, facts, on)
        return []

    def _vary_day(self, rule, atom, day_side, days, facts, on) -> list[Edge]:
        inner = self.ranges.inline(day_side)
        out = []
        for label, d in days:
            if isinstance(inner, P.Today):
                note = f"{rule.id}：提问日 {d.isoformat()}（{label}）"
                out.append(self._edge(rule, note, facts, d, atom))
            elif isinstance(inner, P.Name) and inner.name in FACTS:
                note = f"{rule.id}：{inner.name} = {d.isoformat()}（{label}）"
                out.append(self._edge(rule, note, _set(facts, inner.name, d), on, atom))
        return out

    def deadlines(self, rule, facts, on) -> list[Edge]:
        """The day before, the last day and the day after each deadline, asked on each."""
        from ..evaluate import evaluate

        if not rule.deadlines:
            return []
        try:
            d = evaluate(self.policy, self.question, facts, on)
        except XuejiError:
            return []
        out = []
        for item in d.deadlines:
            if item.rule != rule.id or item.date is None:
                continue
            for label, day in (("期限前一日", item.date - _dt.timedelta(1)), ("期限末日", item.date),
                               ("期限后一日", item.date + _dt.timedelta(1))):
                note = f"{rule.id}：「{item.title}」{item.date.isoformat()}，提问日 {day.isoformat()}（{label}）"
                out.append(self._edge(rule, note, facts, day, None, item.title))
        return out


def _range(path):
    from .ranges import fact_range

    return fact_range(path)


def _show(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def edge_cases(policy, question: str, on: _dt.date, base: dict | None = None) -> list[tuple[Edge, dict]]:
    """Every edge of ``question``'s rules, each with the engine's current answer as a ``want``."""
    from ..evaluate import evaluate

    q = policy.question(question)
    builder = _Builder(policy, q, on, base)
    seen, out = set(), []
    for rule in q.rules:
        for edge in builder.edges(rule):
            key = (json.dumps(edge.facts, sort_keys=True, ensure_ascii=False, default=str), edge.on, edge.deadline)
            if key in seen:
                continue
            seen.add(key)
            try:
                d = evaluate(policy, q, edge.facts, edge.on)
            except FactsError as exc:
                code = getattr(exc, "code", None)
                codes = {code} | {x.code for x in getattr(exc, "diagnostics", ())}
                from ..compliance.cases import ERROR_CODES

                known = sorted(c for c in codes if c in ERROR_CODES)
                if known:
                    out.append((edge, {"error": known[0]}))
                continue
            except XuejiError:
                continue  # e.g. a date with no regulation in force: not an edge of this policy
            want = {"outcome": d.outcome, "failed": sorted(d.failed)}
            if edge.deadline:
                item = next((x for x in d.deadlines if x.title == edge.deadline and x.rule == edge.rule), None)
                if item is not None and item.date is not None:
                    want["deadlines"] = {edge.deadline: item.date}
            out.append((edge, want))
    return out


def _flow(value) -> str:
    """A value in YAML flow style (JSON is YAML), dates as ISO text."""
    return json.dumps(jsonable(value), ensure_ascii=False, default=str)


def render(policy, question: str, on: _dt.date, cases) -> str:
    """The case file's text: one case per edge, each with a comment naming the article to check it against."""
    lines = [
        f"# 边界用例（xueji cases {policy.id} {question} --edges）：want 是引擎当前的答案，请对照条文逐条确认或改正。",
        "# Boundary cases: each want is the engine's current answer, proposed for staff to confirm or correct",
        "# against the article named above it.",
        f"question: {question}",
        f"on: {on.isoformat()}",
        "cases:",
    ]
    for edge, want in cases:
        text = policy.articles[edge.article].text if edge.article in policy.articles else ""
        what = f" — {edge.condition}" if edge.condition else (f" — 期限「{edge.deadline}」" if edge.deadline else "")
        lines.append(f"  # check against {edge.article}{what}")
        if text:
            lines.append(f"  #   「{' '.join(text.split())[:120]}{'…' if len(text) > 120 else ''}」")
        lines.append(f"  - note: {_flow(edge.note)}")
        lines.append(f"    on: {edge.on.isoformat()}")
        lines.append(f"    facts: {_flow(edge.facts)}")
        lines.append(f"    want: {_flow(want)}")
    return "\n".join(lines) + "\n"


# -- the command ---------------------------------------------------------------------------------------


def add_parser(sub, common, parser_class):
    """``xueji cases``."""
    import argparse

    p = sub.add_parser(
        "cases", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="write a case-file skeleton: students on every threshold and date edge of a question",
        description="With --edges: a compliance case file with a student one unit below, at and one unit\n"
                    "above every threshold the question's rules compare with, and the day before, the first\n"
                    "day, the last day and the day after every window and deadline. Each case's want is the\n"
                    "engine's current answer, with a `# check against 第…条` comment for staff to confirm or\n"
                    "correct. Each student starts from a compliance case in which the rule is decided, or\n"
                    "from --facts.",
        epilog="examples:\n"
               "  xueji cases jiangsu suspension --edges --on 2025-03-03\n"
               "  xueji cases nanchang suspension --edges --on 2025-03-03 --output suspension_edges.yaml\n"
               "  xueji cases jiangsu suspension --edges --facts examples/suspension-illness-230h.yaml --on 2025-03-03\n\n"
               "The file loads as it is written (`xueji test FILE --policy REGION` passes, since the wants\n"
               "are today's answers); keep the cases once checked, in policies/<region>/tests/.",
    )
    p.add_argument("region", metavar="REGION", help="region name, e.g. jiangsu (see `xueji regions`)")
    p.add_argument("question", metavar="QUESTION", help="question id, e.g. suspension (see `xueji questions REGION`)")
    p.add_argument("--edges", action="store_true", required=True, help="write the boundary cases (the one kind for now)")
    p.add_argument("--on", metavar="DATE", help="date of the cases and of the parameters (default: today in Asia/Shanghai)")
    p.add_argument("--facts", "-f", metavar="FILE", help="start every student from these facts instead of the compliance cases")
    p.add_argument("--output", "-o", metavar="FILE", help="write the case file here (default: standard output)")


def run(args, out, err, stdin) -> int:
    from ..cli import _day, _read_facts
    from ..load import load_policy

    policy = load_policy(args.region)
    policy.question(args.question)
    day = _day(args.on)
    policy.in_force(day)
    base = _read_facts(args.facts, stdin).to_dict() if args.facts else None
    cases = edge_cases(policy, args.question, day, base)
    if not cases:  # a case file needs a case: say so instead of writing one that does not load
        err.write(f"{policy.id} {args.question}: no rule compares a number or a date, and none has a deadline "
                  f"that can be computed: no boundary cases to write\n")
        return 0
    text = render(policy, args.question, day, cases)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        err.write(f"wrote {text.count('- note:')} cases to {args.output}\n")
    else:
        out.write(text)
    return 0
