"""Type-check a condition tree and turn it into Python source for the question's kernel.

The source is generated from the validated tree only: identifiers come from the
grammar's NAME token, text is embedded with ``repr``, numbers and lists become
named constants. Unknown facts are ``None`` and logic is three-valued (Kleene),
so a missing fact makes an answer unknown instead of wrong.
"""

from __future__ import annotations

import calendar
import re
import datetime as _dt
from fractions import Fraction

import attrs

from .. import places as _places
from .. import workdays as _workdays
from ..errors import did_you_mean
from ..facts.vocabulary import FACTS, GROUPS, Place
from ..statute import operator_of
from . import parse as P


@attrs.frozen
class Type:
    kind: str  # number, bool, text, date, enum, enum_list, list, division, any
    unit: str | None = None
    choices: dict | None = attrs.field(default=None, eq=False, hash=False)
    item: "Type | None" = None
    #: the values of a list parameter, so they can be checked against an enum's choices
    literals: frozenset | None = attrs.field(default=None, eq=False, hash=False)

    def describe(self) -> str:
        if self.kind == "number" and self.unit:
            return f"number ({self.unit})"
        if self.kind == "list" and self.item is not None:
            return f"list of {self.item.describe()}"
        return self.kind


BOOL = Type("bool")
NUMBER = Type("number")
DATE = Type("date")
TEXT = Type("text")
ANY = Type("any")
DURATION_UNITS = {"年": "years", "月": "months", "周": "weeks", "日": "days"}
#: units that convert into one another: (unit, into, factor)
CONVERSIONS = {("周", "日"): 7, ("年", "月"): 12}


def _converted(code: str, unit: str, into: str) -> str | None:
    """``code`` in ``unit`` expressed in ``into``, or None when they do not convert."""
    if unit == into:
        return code
    factor = CONVERSIONS.get((unit, into))
    return f"({code} * {factor})" if factor else None


def fact_type(kind: str, unit: str | None, choices: dict | None, level: str | None = None) -> Type:
    if kind in ("int", "number"):
        return Type("number", unit)
    if kind == "enum":
        return Type("enum", None, choices)
    if kind == "enum_list":
        return Type("enum_list", None, choices)
    if kind == "division":
        return Type("division", level)
    return Type(kind)


@attrs.frozen
class Compiled:
    """A compiled expression: its type, Python source, whether it can be unknown, and what it reads.

    ``facts`` holds fact paths; a path written ``?path`` is only probed with
    ``given()``, so its absence does not make the expression unknown.
    """

    type: Type
    code: str
    nullable: bool
    facts: frozenset = frozenset()
    params: frozenset = frozenset()


class CompileError(Exception):
    """One problem in a condition, positioned inside the condition text."""

    def __init__(self, code: str, message: str, node: P.Node | None, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.node, self.hint = code, message, node, hint


# --- runtime helpers, put in the namespace of the generated code -------------


def _whole(amount, what: str) -> int:
    if type(amount) is int:
        return amount
    n = Fraction(amount)
    if n.denominator != 1:
        raise ValueError(f"{what} must be whole numbers")
    return int(n)


def _add_duration(date, amount, unit):
    """Move a date by whole 年/月/周/日, clamping to the month's end as pendulum does
    (2024-02-29 + 1年 = 2025-02-28; 01-31 + 1月 = 02-28 or 02-29). Tested against pendulum."""
    n = _whole(amount, "durations")
    if unit == "日":
        return date + _dt.timedelta(days=n)
    if unit == "周":
        return date + _dt.timedelta(weeks=n)
    months = n * 12 if unit == "年" else n
    y, m = divmod(date.month - 1 + months, 12)
    year, month = date.year + y, m + 1
    return _dt.date(year, month, min(date.day, calendar.monthrange(year, month)[1]))


def _sub_duration(date, amount, unit):
    return _add_duration(date, -amount, unit)


def _age_on(birth, on):
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def _date_in(year, month_day):
    month, day = (int(x) for x in str(month_day).split("-"))
    return _dt.date(int(year), month, day)


def _count_in(items, among):
    if type(items) is frozenset and type(among) is frozenset:
        return len(items & among)
    return sum(1 for x in items if x in among)


def _add_working_days(date, amount):
    return _workdays.add_working_days(date, _whole(amount, "working days"))


def _next_weekday(date, weekday):
    return date + _dt.timedelta(days=(int(weekday) - date.isoweekday()) % 7)


def _within(day, anchor, span, unit):
    """``day`` is at most ``span`` before or after ``anchor``, both edges included (以内 includes the number).

    In 日 or 周: |day − anchor| ≤ span calendar days. In 工作日: from the span-th working
    day before ``anchor`` to the span-th working day after it, the same counting as a
    ``+ N 工作日`` deadline (so a weekend just past the last working day is outside).
    """
    if unit == "工作日":
        return _workdays.within_working_days(day, anchor, _whole(span, "working days"))
    return abs((day - anchor).days) <= span * (7 if unit == "周" else 1)


RUNTIME = {
    "_add_duration": _add_duration,
    "_sub_duration": _sub_duration,
    "_age_on": _age_on,
    "_date_in": _date_in,
    "_count_in": _count_in,
    "_add_working_days": _add_working_days,
    "_next_weekday": _next_weekday,
    "_within": _within,
    "_same_place": _places.same,
    "Fraction": Fraction,
}

FUNCTIONS = {
    "count": "count(list): how many items",
    "count_in": "count_in(list, among): how many items of list are in among",
    "age_on": "age_on(birth_date, date): full years (周岁) on that date",
    "date_in": 'date_in(year, "08-31"): that day of that year',
    "given": "given(fact): the fact is provided",
    "days_between": "days_between(a, b): b − a in 日",
    "next_weekday": "next_weekday(date, n): the first date on or after it with ISO weekday n (1 Monday … 7 Sunday)",
    "period": 'period(date): "first_semester", "winter_holiday", "second_semester" or "summer_holiday" (校历)',
    "school_year": "school_year(date): the year its school year starts in (2024 for 2024-2025)",
    "semester_start_near": "semester_start_near(date): the first day of the semester whose first day is nearest",
    "semester_end_near": "semester_end_near(date): the last day of the semester whose last day is nearest",
    "same_province": "same_province(place, place): both places are in one province (省)",
    "same_city": "same_city(place, place): both places are in one city (地级; a municipality is one city)",
    "same_county": "same_county(place, place): both places are in one county-level unit (县、县级市、市辖区)",
    "same_township": "same_township(place, place): both places are in one township or subdistrict (乡镇、街道)",
    "same_school_district": "same_school_district(place, place): both places are in one school district of one county",
}
#: the place relations and the level each compares (places.CHAINS)
PLACE_FUNCTIONS = {"same_province": "province", "same_city": "city", "same_county": "county",
                   "same_township": "township", "same_school_district": "school_district"}
CALENDAR_FUNCTIONS = {"period", "school_year", "semester_start_near", "semester_end_near"}


_SIMPLE_READ = re.compile(r"F\.get\('[A-Za-z0-9_.]+'\)|__d_[A-Za-z0-9_]+__")


def may_fail(code: str) -> bool:
    """Generated code that may raise on odd facts or dates: division, date arithmetic,
    working days and school-calendar look-ups (a date outside their data is a DateError).

    A definition whose code may fail is written inline where a rule needs it
    (kernel.hoist), never computed ahead for every question.
    """
    return ("Fraction(" in code or "_add_duration" in code or "_sub_duration" in code or "_date_in" in code
            or "_add_working_days" in code or "_within(" in code or "_cal." in code)


#: A condition names a reading's chosen option as ``reading.<id>`` (a switchable reading, docs/policy-language.md).
READING_PREFIX = "reading."


class Scope:
    """What bare names mean where a condition is compiled: parameters, definitions, extras."""

    def __init__(self, parameters: dict[str, Type], definitions: dict[str, Compiled],
                 extras: dict[str, Compiled] | None = None, has_calendar: bool = True,
                 zero_parameters: frozenset = frozenset(), readings: dict | None = None):
        self.parameters = parameters
        self.definitions = definitions
        self.extras = extras or {}
        self.has_calendar = has_calendar
        #: parameters one of whose dated values is 0: a condition may not divide by them
        self.zero_parameters = zero_parameters
        #: readings with alternatives: id -> (options, the one the policy chose); `reading.<id>` in a condition
        self.readings = readings or {}


#: The deepest bracket nesting a condition's generated code may have (Python's own limit is 200).
MAX_CODE_NESTING = 120


def _nesting(code: str) -> int:
    """The deepest nesting of brackets in generated code (string constants are bound by name, never inline)."""
    depth = deepest = 0
    for ch in code:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    return deepest


class Compiler:
    """Compiles condition trees against the vocabulary; collects constants for the generated module."""

    def __init__(self):
        #: code of each definition by name, in the order compiled (dependencies first)
        self.definition_code: dict[str, str] = {}
        self.constants: dict[str, object] = {}
        self._texts: dict[str, str] = {}  # repr()'d text in generated code -> the text
        self._const_ids: dict = {}
        self._tmp = 0

    def fork(self) -> "Compiler":
        """A compiler that continues from this one's constants and definitions without changing it."""
        other = Compiler()
        other.definition_code = dict(self.definition_code)
        other.constants = dict(self.constants)
        other._texts = dict(self._texts)
        other._const_ids = dict(self._const_ids)
        other._tmp = self._tmp
        return other

    def const(self, value) -> str:
        key = (type(value).__name__, value if not isinstance(value, (set, frozenset)) else tuple(sorted(map(str, value))))
        name = self._const_ids.get(key)
        if name is None:
            name = f"_c{len(self.constants)}"
            self.constants[name] = value
            self._const_ids[key] = name
        return name

    def tmp(self) -> str:
        self._tmp += 1
        return f"_t{self._tmp}"

    # -- entry -----------------------------------------------------------------

    def compile(self, node: P.Node, scope: Scope, want: Type | None = None) -> Compiled:
        out = self._visit(node, scope)
        if want is not None and want.kind == "bool" and out.type.kind not in ("bool", "any"):
            raise CompileError(
                "condition_type", f"a condition must be true or false, but this is a {out.type.describe()}", node,
                "compare it with something, e.g. `… 超过 parameter_name`",
            )
        if want is not None and want.kind == "date" and out.type.kind not in ("date", "any"):
            raise CompileError("condition_type", f"a date is needed here, but this is a {out.type.describe()}", node)
        if _nesting(out.code) > MAX_CODE_NESTING:
            # Python's parser stops at 200 nested brackets; a kernel wraps a condition in a few more
            raise CompileError("condition_too_complex", "the condition joins too many parts for one rule", node,
                               "split it into named definitions (definitions.yaml), each a few parts")
        return out

    # -- nodes -----------------------------------------------------------------

    def _visit(self, node: P.Node, scope: Scope) -> Compiled:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node, scope)

    def _num(self, node: P.Num, scope) -> Compiled:
        value = node.value
        v = value.numerator if value.denominator == 1 else value
        return Compiled(Type("number", node.unit), self.const(v), False)

    def _str(self, node: P.Str, scope) -> Compiled:
        code = repr(node.value)
        self._texts[code] = node.value
        return Compiled(TEXT, code, False)

    def _bool(self, node: P.Bool, scope) -> Compiled:
        return Compiled(BOOL, repr(node.value), False)

    def _today(self, node, scope) -> Compiled:
        return Compiled(DATE, "T", False)

    def _name(self, node: P.Name, scope: Scope) -> Compiled:
        name = node.name
        if name.startswith(READING_PREFIX):
            rid = name[len(READING_PREFIX):]
            if rid not in scope.readings:
                raise CompileError(
                    "unknown_reading", f"'{rid}' is not a reading with alternatives (`options:`)", node,
                    did_you_mean(rid, scope.readings) or "give the reading `options:` and `chosen:` in policy.yaml")
            options, chosen = scope.readings[rid]
            # the option asked for (ask(…, readings={…})) travels with the facts; else the policy's choice
            return Compiled(fact_type("enum", None, dict(options)), f"(F.get({name!r}) or {chosen!r})", False, frozenset())
        if "." in name:
            spec = FACTS.get(name)
            if spec is None:
                if name in GROUPS:
                    leaves = [p for p in FACTS if p.startswith(name + ".")]
                    raise CompileError(
                        "fact_is_group", f"'{name}' is a group of facts, not one fact", node,
                        "name one of: " + ", ".join(leaves[:8]),
                    )
                raise CompileError(
                    "unknown_fact", f"there is no fact '{name}' in the vocabulary", node,
                    did_you_mean(name, FACTS) or "see docs/facts.md for the fact names",
                )
            level = name.rsplit(".", 1)[1] if spec.kind == "division" else None
            return Compiled(
                fact_type(spec.kind, spec.unit, spec.choices, level), f"F.get({name!r})", True, frozenset([name])
            )
        if name in scope.extras:
            return scope.extras[name]
        if name in scope.parameters:
            return Compiled(scope.parameters[name], f"P[{name!r}]", False, frozenset(), frozenset([name]))
        if name in scope.definitions:
            return scope.definitions[name]
        known = list(scope.parameters) + list(scope.definitions) + list(scope.extras)
        raise CompileError(
            "unknown_name", f"'{name}' is neither a parameter nor a definition of this policy", node,
            did_you_mean(name, known) or "declare it under `parameters:` or `definitions:`, or write a fact path like student.stage",
        )

    def _listof(self, node: P.ListOf, scope) -> Compiled:
        items = [self._visit(i, scope) for i in node.items]
        kinds = {i.type.kind for i in items}
        if len(kinds) > 1:
            raise CompileError("condition_type", "a list must hold values of one kind", node)
        item_type = items[0].type if items else ANY
        if all(not i.nullable and (i.code.startswith("_c") or i.code[:1] in "'\"" or i.code in ("True", "False")) for i in items):
            values = [self._literal_value(i) for i in items]
            return Compiled(Type("list", None, None, item_type), self.const(frozenset(values)), False, frozenset(), frozenset())
        code = "frozenset((" + ", ".join(i.code for i in items) + ",))"
        return Compiled(
            Type("list", None, None, item_type), code, any(i.nullable for i in items),
            frozenset().union(*(i.facts for i in items)), frozenset().union(*(i.params for i in items)),
        )

    def _literal_value(self, c: Compiled):
        if c.code.startswith("_c"):
            return self.constants[c.code]
        if c.code in ("True", "False"):
            return c.code == "True"
        if c.code in self._texts:
            return self._texts[c.code]
        import ast

        return ast.literal_eval(c.code)  # a repr()'d str we generated ourselves

    def _enum_value(self, enum_type: Type, text_node: P.Node, text: Compiled, path_hint: str) -> Compiled:
        """Map a quoted value onto an enum's code, accepting the code or its Chinese name."""
        value = self._literal_value(text)
        choices = enum_type.choices or {}
        if value in choices:
            return text
        for code, zh in choices.items():
            if value == zh or value == zh.split("（")[0]:
                return Compiled(TEXT, repr(code), False)
        allowed = ", ".join(f"{c} ({zh})" for c, zh in choices.items())
        raise CompileError(
            "unknown_value", f"'{value}' is not a value of {path_hint}", text_node,
            (did_you_mean(value, list(choices) + list(choices.values())) or "") + f" allowed: {allowed}",
        )

    def _coerce_enum_operand(self, enum_side: Compiled, other_node: P.Node, other: Compiled, label: str) -> Compiled:
        if enum_side.type.kind in ("enum", "enum_list") and isinstance(other_node, P.Str):
            return self._enum_value(enum_side.type, other_node, other, label)
        if enum_side.type.kind in ("enum", "enum_list") and isinstance(other_node, P.ListOf):
            fixed = [self._enum_value(enum_side.type, n, self._visit(n, None), label) if isinstance(n, P.Str) else None for n in other_node.items]
            if all(f is not None for f in fixed):
                values = [self._literal_value(f) for f in fixed]
                return Compiled(Type("list", None, None, TEXT), self.const(frozenset(values)), False)
        return other

    def _check_literals(self, enum_side: Compiled, list_side: Compiled, node: P.Node, label: str) -> None:
        """A list parameter compared with an enum fact must hold only that enum's codes."""
        choices = enum_side.type.choices
        literals = list_side.type.literals
        if not choices or not literals:
            return
        bad = sorted(str(v) for v in literals if v not in choices)
        if bad:
            name = node.name if isinstance(node, P.Name) else "the list"
            raise CompileError(
                "unknown_value", f"{name} holds {', '.join(repr(b) for b in bad)}, not a value of {label}", node,
                (did_you_mean(bad[0], choices) or "") + " allowed: " + ", ".join(f"{c} ({z})" for c, z in choices.items()),
            )

    def _inlined(self, code: str) -> bool:
        """A definition read that kernel.hoist writes inline (its code may fail): using it twice computes it twice."""
        if not code.startswith("__d_"):
            return False
        return may_fail(self.definition_code.get(code[4:-2], ""))

    def _null_guard(self, parts: list[Compiled], body) -> tuple[str, bool]:
        """Wrap ``body(names)`` so that any unknown operand gives None."""
        names, checks = [], []
        for p in parts:
            if p.nullable and _SIMPLE_READ.fullmatch(p.code) and not self._inlined(p.code):
                # a fact or definition read: kernel.hoist makes it a local, so no temporary is needed
                names.append(p.code)
                checks.append(f"{p.code} is None")
            elif p.nullable:
                t = self.tmp()
                names.append(t)
                checks.append(f"({t} := {p.code}) is None")
            else:
                names.append(p.code)
        if not checks:
            return body(names), False
        return f"(None if {' or '.join(checks)} else {body(names)})", True

    def _compare(self, node: P.Compare, scope) -> Compiled:
        left = self._visit(node.left, scope)
        right = self._visit(node.right, scope)
        op = operator_of(node.word)
        label = node.left.name if isinstance(node.left, P.Name) else "the value"
        right = self._coerce_enum_operand(left, node.right, right, label)
        if isinstance(node.left, P.Str) and isinstance(node.right, P.Name):
            left = self._coerce_enum_operand(right, node.left, left, node.right.name)
        left, right = self._place_operands(node, left, right, op)
        lt, rt = left.type, right.type
        if op in ("==", "!=") :
            if lt.kind in ("enum",) and rt.kind not in ("text", "enum", "any"):
                raise CompileError("condition_type", f"cannot compare {lt.describe()} with {rt.describe()}", node)
        else:
            ok = (lt.kind == rt.kind == "number") or (lt.kind == rt.kind == "date") or "any" in (lt.kind, rt.kind)
            if not ok:
                raise CompileError(
                    "condition_type",
                    f"'{node.word}' compares numbers or dates, not {lt.describe()} with {rt.describe()}", node,
                )
        if lt.kind == rt.kind == "number" and lt.unit and rt.unit and lt.unit != rt.unit:
            # 周 → 日 and 年 → 月 convert exactly; anything else is a mistake
            lc, rc = _converted(left.code, lt.unit, rt.unit), _converted(right.code, rt.unit, lt.unit)
            if lc is not None:
                left = Compiled(Type("number", rt.unit), lc, left.nullable, left.facts, left.params)
            elif rc is not None:
                right = Compiled(Type("number", lt.unit), rc, right.nullable, right.facts, right.params)
            else:
                raise CompileError(
                    "unit_mismatch", f"cannot compare {lt.unit} with {rt.unit}", node,
                    "both sides must be in the same unit (周 converts to 日, 年 to 月); check the parameter's `unit:`",
                )
        if lt.kind != rt.kind and "any" not in (lt.kind, rt.kind) and {lt.kind, rt.kind} - {"enum", "text"}:
            raise CompileError("condition_type", f"cannot compare {lt.describe()} with {rt.describe()}", node)
        code, nullable = self._null_guard([left, right], lambda n: f"{n[0]} {op} {n[1]}")
        return Compiled(BOOL, code, nullable, left.facts | right.facts, left.params | right.params)

    def _place_operands(self, node: P.Compare, left: Compiled, right: Compiled, op: str) -> tuple[Compiled, Compiled]:
        """Division codes compare only for equality, with a code of the same level or a place
        written in the policy (a name or code, resolved to its code when the policy loads).
        Township names and district ids are unique only in their county: compare them with
        same_township() / same_school_district()."""
        for n in (node.left, node.right):
            if isinstance(n, P.Name) and n.name.rsplit(".", 1)[-1] in ("township", "school_district") \
                    and GROUPS.get(n.name.rsplit(".", 1)[0]) is Place:
                raise CompileError("condition_type", f"'{n.name}' is unique only inside its county", n,
                                   "compare townships with same_township(a, b), districts with same_school_district(a, b)")
        if "division" not in (left.type.kind, right.type.kind):
            return left, right
        if op not in ("==", "!="):
            raise CompileError("condition_type", f"'{node.word}' does not compare places", node, "use 是 or 不是")

        def fix(side: Compiled, side_node: P.Node, other: Compiled) -> Compiled:
            if side.type.kind == "division":
                return side
            if isinstance(side_node, P.Str):
                level = other.type.unit
                try:
                    code = _places.code_at(side_node.value, level)
                except _places.PlaceError as exc:
                    raise CompileError("unknown_place", exc.message, side_node, exc.hint) from None
                return Compiled(Type("division", level), repr(code), False)
            raise CompileError("condition_type", f"cannot compare a place with {side.type.describe()}", node,
                               'compare it with the same level of another place, or with a quoted name or code, e.g. "南昌市"')

        left, right = fix(left, node.left, right), fix(right, node.right, left)
        if left.type.unit != right.type.unit:
            raise CompileError("condition_type", f"cannot compare a {left.type.unit} with a {right.type.unit}", node,
                               "compare the same level of both places, or use same_city(a, b) and the like")
        return left, right

    def _window(self, node: P.Window, scope) -> Compiled:
        day = self._visit(node.item, scope)
        anchor = self._visit(node.anchor, scope)
        span = self._visit(node.span, scope)
        if day.type.kind != "date" or anchor.type.kind != "date":
            raise CompileError("condition_type", "'在 … 前后 … 以内' compares a date with a date", node,
                               "write: 日期 在 基准日期 前后 期限 以内, e.g. today 在 semester_end_near(today) 前后 transfer_window 以内")
        if span.type.kind != "number" or span.type.unit not in ("日", "周", "工作日"):
            raise CompileError("unit_mismatch", f"the span of a window is in 日, 周 or 工作日, not {span.type.describe()}",
                               node.span, "give the parameter `unit: 周` (or 日/工作日)")
        if node.word != "以内":
            raise CompileError("condition_syntax", f"a window ends with 以内 (edges included), not {node.word}", node,
                               "write 以内; for the outside of a window write 非 (… 以内)")
        unit = span.type.unit
        if unit == "工作日":
            body = lambda n: f"_within({n[0]}, {n[1]}, {n[2]}, {unit!r})"  # noqa: E731
        else:  # calendar days: the same test as _within, written inline
            factor = " * 7" if unit == "周" else ""
            body = lambda n: f"(abs(({n[0]} - {n[1]}).days) <= {n[2]}{factor})"  # noqa: E731
        code, nullable = self._null_guard([day, anchor, span], body)
        return Compiled(BOOL, code, nullable, day.facts | anchor.facts | span.facts, day.params | anchor.params | span.params)

    def _logic(self, node: P.Logic, scope) -> Compiled:
        items = [self._visit(i, scope) for i in node.items]
        for i, c in zip(node.items, items):
            if c.type.kind not in ("bool", "any"):
                raise CompileError("condition_type", f"'{node.op}' joins conditions, but this is a {c.type.describe()}", i)
        facts = frozenset().union(*(c.facts for c in items))
        # `given(x) 且 … x …` and `非 given(x) 或 … x …`: when x is absent the guard decides,
        # so x is only probed here, never needed
        guarded = set()
        for item in node.items:
            target = item.item if (node.op == "or" and isinstance(item, P.Not)) else (item if node.op == "and" else None)
            if isinstance(target, P.Call) and target.function == "given" and len(target.args) == 1 and isinstance(target.args[0], P.Name):
                guarded.add(target.args[0].name)
        if guarded:
            facts = frozenset("?" + f if f in guarded else f for f in facts)
        params = frozenset().union(*(c.params for c in items))
        if not any(c.nullable for c in items):
            code = "(" + f" {node.op} ".join(c.code for c in items) + ")"
            return Compiled(BOOL, code, False, facts, params)
        stop = "False" if node.op == "and" else "True"
        code = self._kleene(items, stop)
        return Compiled(BOOL, code, True, facts, params)

    def _kleene(self, items: list[Compiled], stop: str) -> str:
        """Three-valued and/or: ``stop`` decides at once; otherwise unknown if any is unknown.

        Items that can never be unknown need no None check, and a fact or definition
        read (a local after kernel.hoist) needs no temporary.
        """
        names = []
        for c in items:
            if not c.nullable or (_SIMPLE_READ.fullmatch(c.code) and not self._inlined(c.code)):
                names.append(None)
            else:
                names.append(self.tmp())
        unknowns = [t if t else c.code for c, t in zip(items, names) if c.nullable]
        rest = "True" if stop == "False" else "False"
        tail = f"(None if {' or '.join(f'{u} is None' for u in unknowns)} else {rest})" if unknowns else rest
        for c, t in zip(reversed(items), reversed(names)):
            value = f"({t} := {c.code})" if t else f"({c.code})"
            tail = f"({stop} if {value} is {stop} else {tail})"
        return tail

    def _not(self, node: P.Not, scope) -> Compiled:
        inner = self._visit(node.item, scope)
        if inner.type.kind not in ("bool", "any"):
            raise CompileError("condition_type", f"'not' needs a condition, not a {inner.type.describe()}", node)
        code, nullable = self._null_guard([inner], lambda n: f"(not {n[0]})")
        return Compiled(BOOL, code, nullable, inner.facts, inner.params)

    def _member(self, node: P.Member, scope) -> Compiled:
        item = self._visit(node.item, scope)
        coll = self._visit(node.collection, scope)
        label = node.item.name if isinstance(node.item, P.Name) else "the value"
        coll = self._coerce_enum_operand(item, node.collection, coll, label)
        if coll.type.kind not in ("list", "enum_list", "any"):
            raise CompileError("condition_type", f"'属于' needs a list on its right, not a {coll.type.describe()}", node.collection)
        self._check_literals(item, coll, node.collection, label)
        op = "not in" if node.negated else "in"
        code, nullable = self._null_guard([item, coll], lambda n: f"({n[0]} {op} {n[1]})")
        return Compiled(BOOL, code, nullable, item.facts | coll.facts, item.params | coll.params)

    def _contains(self, node: P.Contains, scope) -> Compiled:
        coll = self._visit(node.collection, scope)
        item = self._visit(node.item, scope)
        if coll.type.kind not in ("list", "enum_list", "any"):
            raise CompileError("condition_type", f"'包含' needs a list on its left, not a {coll.type.describe()}", node.collection)
        label = node.collection.name if isinstance(node.collection, P.Name) else "the list"
        item = self._coerce_enum_operand(coll, node.item, item, label)
        if isinstance(node.item, P.ListOf):  # 包含 [a, b]: contains all of them
            code, nullable = self._null_guard([coll, item], lambda n: f"({n[1]} <= {n[0]})")
        else:
            code, nullable = self._null_guard([coll, item], lambda n: f"({n[1]} in {n[0]})")
        return Compiled(BOOL, code, nullable, item.facts | coll.facts, item.params | coll.params)

    def _arith(self, node: P.Arith, scope) -> Compiled:
        left = self._visit(node.left, scope)
        right = self._visit(node.right, scope)
        lt, rt = left.type, right.type
        facts, params = left.facts | right.facts, left.params | right.params
        if lt.kind == "date" and rt.kind == "number" and node.op in "+-" and rt.unit == "工作日":
            sign = "" if node.op == "+" else "-"
            code, nullable = self._null_guard([left, right], lambda n: f"_add_working_days({n[0]}, {sign}{n[1]})")
            return Compiled(DATE, code, nullable, facts, params)
        if lt.kind == "date" and rt.kind == "number" and node.op in "+-":
            if rt.unit not in DURATION_UNITS:
                raise CompileError(
                    "unit_mismatch", f"a date moves by 年, 月, 周, 日 or 工作日, not by {rt.describe()}", node.right,
                    "give the parameter `unit: 年` (or 月/周/日/工作日)",
                )
            fn = "_add_duration" if node.op == "+" else "_sub_duration"
            unit = rt.unit
            code, nullable = self._null_guard([left, right], lambda n: f"{fn}({n[0]}, {n[1]}, {unit!r})")
            return Compiled(DATE, code, nullable, facts, params)
        if lt.kind != "number" or rt.kind != "number":
            raise CompileError("condition_type", f"cannot compute {lt.describe()} {node.op} {rt.describe()}", node)
        if node.op in "+-":
            if lt.unit and rt.unit and lt.unit != rt.unit:
                raise CompileError("unit_mismatch", f"cannot add {lt.unit} and {rt.unit}", node)
            unit = lt.unit or rt.unit
            code, nullable = self._null_guard([left, right], lambda n: f"({n[0]} {node.op} {n[1]})")
        elif node.op == "*":
            if lt.unit and rt.unit:
                raise CompileError("unit_mismatch", f"cannot multiply {lt.unit} by {rt.unit}", node, "one side must be a plain number or fraction")
            unit = lt.unit or rt.unit
            code, nullable = self._null_guard([left, right], lambda n: f"({n[0]} * {n[1]})")
        else:
            unit = lt.unit if not rt.unit else (None if lt.unit == rt.unit else "?")
            if unit == "?":
                raise CompileError("unit_mismatch", f"cannot divide {lt.unit} by {rt.unit}", node)
            if isinstance(node.right, P.Num) and node.right.value == 0:
                raise CompileError("division_by_zero", "this divides by 0", node.right,
                                   "divide by a number that is not 0")
            if right.params & scope.zero_parameters and right.code.startswith("P["):
                name = next(iter(right.params & scope.zero_parameters))
                raise CompileError("division_by_zero", f"the parameter {name} is 0 on some date, and this divides by it",
                                   node.right, "a divisor must never be 0: check the parameter's values")
            code, nullable = self._null_guard([left, right], lambda n: f"(Fraction({n[0]}) / {n[1]})")
        return Compiled(Type("number", unit), code, nullable, facts, params)

    def _call(self, node: P.Call, scope) -> Compiled:
        fn = node.function
        if fn not in FUNCTIONS:
            raise CompileError(
                "unknown_function", f"there is no function '{fn}'", node,
                (did_you_mean(fn, FUNCTIONS) or "") + " functions: " + "; ".join(FUNCTIONS.values()),
            )
        if fn in PLACE_FUNCTIONS:
            return self._place_relation(node, PLACE_FUNCTIONS[fn])
        args = [self._visit(a, scope) for a in node.args]
        facts = frozenset().union(*(a.facts for a in args)) if args else frozenset()
        params = frozenset().union(*(a.params for a in args)) if args else frozenset()

        def need(n, kinds):
            if len(args) != n:
                raise CompileError("function_arguments", f"{FUNCTIONS[fn]} takes {n} argument(s), not {len(args)}", node)
            # ``kinds`` are the kinds every argument may have (not one kind per argument)
            for a, an in zip(args, node.args):
                if a.type.kind not in kinds + ("any",):
                    raise CompileError("condition_type", f"{fn}: expected {' or '.join(kinds)}, got {a.type.describe()}", an)

        if fn == "given":
            need(1, ("number", "bool", "text", "date", "enum", "enum_list", "list", "division"))
            # a fact only probed by given() is optional: its absence is an answer, not a gap
            probed = frozenset(f if f.startswith("?") else "?" + f for f in facts)
            return Compiled(BOOL, f"({args[0].code} is not None)", False, probed, params)
        if fn == "count":
            need(1, ("list", "enum_list"))
            code, nullable = self._null_guard(args, lambda n: f"len({n[0]})")
            return Compiled(NUMBER, code, nullable, facts, params)
        if fn == "count_in":
            need(2, ("list", "enum_list"))
            for a, b, bn in ((args[0], args[1], node.args[1]), (args[1], args[0], node.args[0])):
                label = node.args[0].name if isinstance(node.args[0], P.Name) else "the list"
                self._check_literals(a, b, bn, label)
            # codes may be written by their Chinese names here too, as with 属于
            label = node.args[0].name if isinstance(node.args[0], P.Name) else "the list"
            args[1] = self._coerce_enum_operand(args[0], node.args[1], args[1], label)
            code, nullable = self._null_guard(args, lambda n: f"_count_in({n[0]}, {n[1]})")
            return Compiled(NUMBER, code, nullable, facts, params)
        if fn == "age_on":
            need(2, ("date",))
            code, nullable = self._null_guard(args, lambda n: f"_age_on({n[0]}, {n[1]})")
            return Compiled(Type("number", "周岁"), code, nullable, facts, params)
        if fn == "date_in":
            need(2, ("number", "text"))
            code, nullable = self._null_guard(args, lambda n: f"_date_in({n[0]}, {n[1]})")
            return Compiled(DATE, code, nullable, facts, params)
        if fn in CALENDAR_FUNCTIONS:
            if not getattr(scope, "has_calendar", True):
                raise CompileError(
                    "no_calendar", f"{fn}() needs the school calendar, and this policy has none", node,
                    "add calendar.yaml with the school years (see docs/time.md)",
                )
            need(1, ("date",))
            from ..school_calendar import PERIODS

            method = {"period": "period({}).name", "school_year": "period({}).school_year",
                      "semester_start_near": "semester_start_near({})", "semester_end_near": "semester_end_near({})"}[fn]
            code, nullable = self._null_guard(args, lambda n: "_cal." + method.format(n[0]))
            kind = {"period": Type("enum", None, PERIODS), "school_year": NUMBER}.get(fn, DATE)
            return Compiled(kind, code, nullable, facts, params)
        if fn == "days_between":
            need(2, ("date",))
            code, nullable = self._null_guard(args, lambda n: f"({n[1]} - {n[0]}).days")
            return Compiled(Type("number", "日"), code, nullable, facts, params)
        if fn == "next_weekday":
            need(2, ("date", "number"))
            code, nullable = self._null_guard(args, lambda n: f"_next_weekday({n[0]}, {n[1]})")
            return Compiled(DATE, code, nullable, facts, params)
        raise AssertionError(fn)

    def _place_relation(self, node: P.Call, level: str) -> Compiled:
        """same_county(a, b) and the like: a and b name places (groups of the Place kind)."""
        fn = node.function
        if len(node.args) != 2:
            raise CompileError("function_arguments", f"{FUNCTIONS[fn]} takes 2 argument(s), not {len(node.args)}", node)
        chain = _places.CHAINS[level]
        sides, facts = [], set()
        for a in node.args:
            if not isinstance(a, P.Name) or GROUPS.get(a.name) is not Place:
                places = sorted(p for p, cls in GROUPS.items() if cls is Place)
                raise CompileError("condition_type", f"{fn}: expected a place, e.g. student.school.place", a,
                                   "places: " + ", ".join(places))
            sides.append("(" + "".join(f"F.get({a.name + '.' + k!r}), " for k in chain) + ")")
            # the finest level is what the relation needs; coarser ones only settle it early
            facts.add(f"{a.name}.{chain[-1]}")
            facts.update(f"?{a.name}.{k}" for k in chain[:-1])
        return Compiled(BOOL, f"_same_place({sides[0]}, {sides[1]})", True, frozenset(facts))
