"""Turn a checked condition tree into Polars expressions: the same tree the row kernel compiles, a second way.

Each node is first compiled by the row compiler (``conditions.compile``), which checks it and
gives its type, its facts and its Python code; this module then writes the same meaning as
column expressions:

* a part that reads no fact (a parameter, ``today``, ``period(today)``, a reading) is computed
  once, in Python, by the row kernel's own code, and becomes a literal;
* logic is Kleene's, which is Polars' own: a null is unknown, ``null 且 false`` is false,
  ``null 或 true`` true, and any other operation on a null is null, as the row kernel's None;
* numbers are exact: a number is a pair of Int64 columns (numerator, positive denominator),
  so ``a / b 超过 1/3`` is compared as ``a * 3 > b * 1``, never in floats;
* dates move by 日/周 as durations and by 月/年 with Polars' month arithmetic, which clamps to the
  month's end as the row kernel does (2024-02-29 + 1年 = 2025-02-28); ages, day counts, windows
  in 日/周 and weekdays are column arithmetic;
* anything else that reads facts (place relations, working days, the school calendar on a
  fact's date, ``date_in`` of a fact) is a *look-up*: the row kernel's own code is run once per
  distinct combination of the facts it reads, and the answers joined back (``Lookup``).

What the row kernel could refuse (a division by 0, a date moved past year 9999 or by half a
month, a date outside the calendar) marks its row *suspect*: the plan answers those rows with the
row path itself, so an error is reported exactly when, and as, the row path reports it.
"""

from __future__ import annotations

import datetime as _dt
import re
from fractions import Fraction

import attrs
import polars as pl

from ..conditions import parse as P
from ..conditions.compile import RUNTIME, Compiled, Compiler, Scope, _converted
from ..statute import operator_of
from .facts import DTYPES, den, mask

_NO = object()
_FACT = re.compile(r"F\.get\('([A-Za-z0-9_.]+)'\)")
_DEF = re.compile(r"__d_([A-Za-z0-9_]+)__")


@attrs.frozen
class V:
    """A compiled value: its row type, its expression (the numerator, for a number), a denominator, a constant."""

    kind: str  # bool, number, date, text, enum, enum_list, list, division, any
    e: pl.Expr | None
    d: pl.Expr | None = None  # a number's denominator (positive); None is 1
    const: object = _NO
    unit: str | None = None
    #: the codes of an enum fact's column (a Polars Enum), so constants are compared in its type
    cats: tuple | None = None
    #: an enum_list fact's codes as bits (facts.mask), and its codes in bit order
    m: pl.Expr | None = None
    codes: tuple | None = None

    def bits(self, values) -> int | None:
        """The bits of constant codes in this list's mask, or None when one is not a code (or no mask)."""
        if self.m is None or any(v not in self.codes for v in values):
            return None
        return sum(1 << self.codes.index(v) for v in values)

    @property
    def is_const(self) -> bool:
        return self.const is not _NO


@attrs.define
class Lookup:
    """A part computed by the row kernel's code once per distinct combination of the facts it reads."""

    name: str
    code: object  # compiled Python code of the part
    facts: tuple  # fact paths it reads
    kind: str


class Unsupported(Exception):
    pass


def _lit_of(kind: str, value) -> V:
    if value is None:
        dtype = {"bool": pl.Boolean, "number": pl.Int64, "date": pl.Date}.get(kind, pl.String)
        return V(kind, pl.lit(None, dtype), pl.lit(None, pl.Int64) if kind == "number" else None, None)
    if kind == "number" or (type(value) in (int, Fraction) and type(value) is not bool):
        f = Fraction(value)
        return V("number", pl.lit(f.numerator, pl.Int64), None if f.denominator == 1 else pl.lit(f.denominator, pl.Int64), value)
    if isinstance(value, bool):
        return V("bool", pl.lit(value, pl.Boolean), None, value)
    if isinstance(value, _dt.date):
        return V("date", pl.lit(value, pl.Date), None, value)
    if isinstance(value, str):
        return V(kind if kind in ("enum", "text", "division") else "text", pl.lit(value, pl.String), None, value)
    if isinstance(value, (frozenset, set, list, tuple)):
        return V("list", None, None, frozenset(value))
    raise Unsupported(type(value).__name__)


def _when(cond: pl.Expr, then, otherwise=None) -> pl.Expr:
    return pl.when(cond).then(then).otherwise(otherwise)


class ColumnCompiler:
    """Compiles condition trees of one policy, on one date, against the fact columns a frame gives."""

    def __init__(self, policy, day: _dt.date, params: dict, F: dict, cal, available: frozenset):
        compiler, scope, _ = policy.compile_context
        self.row = compiler.fork()
        self.scope: Scope = scope
        self.policy = policy
        self.day, self.params, self.F, self.cal = day, params, F, cal
        self.available = available  # fact columns the frame gives, checked and typed
        self.lookups: list[Lookup] = []
        self.suspects: list[pl.Expr] = []  # rows whose answer the row path gives
        self._defs: dict[str, V] = {}
        self._lookup_ids: dict = {}

    # -- the row compiler's view of a node, and running its code --------------------------------

    def typed(self, node) -> Compiled:
        return self.row._visit(node, self.scope)

    def expand(self, code: str) -> str:
        defs = self.row.definition_code
        while True:
            new = _DEF.sub(lambda m: defs[m.group(1)], code)
            if new == code:
                return code
            code = new

    def python(self, code: str):
        source = self.expand(code)
        return compile(source, "<column part>", "eval"), source

    def run_python(self, code_obj, F: dict):
        ns = {**RUNTIME, **self.row.constants, "F": F, "P": self.params, "T": self.day, "_cal": self.cal}
        return eval(code_obj, ns)  # noqa: S307 - code generated by the row compiler from the checked tree

    def constant(self, c: Compiled) -> V:
        code, _ = self.python(c.code)
        try:
            value = self.run_python(code, dict(self.F))
        except Exception:
            # a part of no fact that cannot be computed (a date outside the calendar): every row the row path answers
            self.suspects.append(pl.lit(True))
            return _lit_of(c.type.kind, None)
        return _lit_of(c.type.kind, value)

    # -- entry --------------------------------------------------------------------------------

    def value(self, node, c: Compiled | None = None) -> V:
        c = c or self.typed(node)
        if not c.facts:
            return self.constant(c)
        method = getattr(self, "_" + type(node).__name__.lower(), None)
        try:
            if method is None:
                raise Unsupported(type(node).__name__)
            out = method(node, c)
        except Unsupported:
            return self.lookup(c)
        return out

    def condition(self, node) -> pl.Expr:
        v = self.value(node)
        if v.kind not in ("bool", "any"):
            raise Unsupported("not a condition")
        return v.e

    # -- leaves ------------------------------------------------------------------------------

    def _name(self, node: P.Name, c: Compiled) -> V:
        name = node.name
        if name in self.scope.definitions:
            if name not in self._defs:
                tree = self.policy.definition_trees.get(name)
                if tree is None:
                    raise Unsupported(name)
                self._defs[name] = self.value(tree)
            return self._defs[name]
        m = re.fullmatch(r"F\.get\('([A-Za-z0-9_.]+)'\)", c.code)
        if m:
            path = m.group(1)
            if path not in self.available and c.type.kind not in ("enum_list", "list"):
                e, d = self._fact_parts(path, c.type.kind)
                return V(c.type.kind, e, d, None, unit=c.type.unit)
            cats = tuple(c.type.choices or ()) if c.type.kind == "enum" and path in self.available else None
            if mask(path) in self.available:
                return V(c.type.kind, *self._fact_parts(path, c.type.kind), unit=c.type.unit,
                         m=pl.col(mask(path)), codes=tuple(c.type.choices or ()))
            return V(c.type.kind, *self._fact_parts(path, c.type.kind), unit=c.type.unit, cats=cats)
        raise Unsupported(name)

    def _fact_parts(self, path, kind):
        from ..facts.vocabulary import FACTS

        spec = FACTS[path]
        if path not in self.available:
            if kind == "enum_list":
                return pl.lit(None, pl.List(pl.String)), None
            dtype = DTYPES.get(spec.kind, pl.String)
            return pl.lit(None, dtype), (pl.lit(None, pl.Int64) if spec.kind == "number" else None)
        return pl.col(path), (pl.col(den(path)) if den(path) in self.available else None)

    # -- logic -------------------------------------------------------------------------------

    def _logic(self, node: P.Logic, c) -> V:
        items = [self.value(i) for i in node.items]
        out = items[0].e
        for v in items[1:]:
            out = (out & v.e) if node.op == "and" else (out | v.e)
        return V("bool", out)

    def _not(self, node: P.Not, c) -> V:
        return V("bool", ~self.value(node.item).e)

    # -- comparisons ---------------------------------------------------------------------------

    def _side(self, node, c: Compiled) -> V:
        """A side as the row compiler left it (coerced to an enum's code, a place's code, converted units)."""
        if not c.facts:
            return self.constant(c)
        return self.value(node, None)

    def _compare(self, node: P.Compare, c) -> V:
        r = self.row
        left, right = r._visit(node.left, self.scope), r._visit(node.right, self.scope)
        op = operator_of(node.word)
        label = node.left.name if isinstance(node.left, P.Name) else "the value"
        right = r._coerce_enum_operand(left, node.right, right, label)
        if isinstance(node.left, P.Str) and isinstance(node.right, P.Name):
            left = r._coerce_enum_operand(right, node.left, left, node.right.name)
        left, right = r._place_operands(node, left, right, op)
        lv, rv = self._side(node.left, left), self._side(node.right, right)
        lt, rt = left.type, right.type
        lfac = rfac = 1
        if lt.kind == rt.kind == "number" and lt.unit and rt.unit and lt.unit != rt.unit:
            if _converted("x", lt.unit, rt.unit) is not None:
                lfac = 7 if (lt.unit, rt.unit) == ("周", "日") else 12
            else:
                rfac = 7 if (rt.unit, lt.unit) == ("周", "日") else 12
        if lv.kind == "number" or rv.kind == "number":
            if lv.kind != "number" or rv.kind != "number":
                raise Unsupported("number with another kind")
            a = lv.e * lfac if lfac != 1 else lv.e
            b = rv.e * rfac if rfac != 1 else rv.e
            if rv.d is not None:
                a = a * rv.d
            if lv.d is not None:
                b = b * lv.d
            return V("bool", _op(a, b, op))
        if lv.kind in ("list", "enum_list") or rv.kind in ("list", "enum_list"):
            raise Unsupported("list comparison")
        return V("bool", _op(_text(lv, rv), _text(rv, lv), op))

    def _member(self, node: P.Member, c) -> V:
        r = self.row
        item, coll = r._visit(node.item, self.scope), r._visit(node.collection, self.scope)
        label = node.item.name if isinstance(node.item, P.Name) else "the value"
        coll = r._coerce_enum_operand(item, node.collection, coll, label)
        iv, cv = self._side(node.item, item), self._side(node.collection, coll)
        if cv.is_const and cv.const is not None:
            test = _in(iv, cv.const)
        elif cv.kind == "enum_list" and iv.kind != "number":
            test = cv.e.list.contains(_string(iv))
            test = _when(iv.e.is_null() | cv.e.is_null(), None, test)
        else:
            raise Unsupported("member")
        return V("bool", ~test if node.negated else test)

    def _contains(self, node: P.Contains, c) -> V:
        r = self.row
        coll, item = r._visit(node.collection, self.scope), r._visit(node.item, self.scope)
        label = node.collection.name if isinstance(node.collection, P.Name) else "the list"
        item = r._coerce_enum_operand(coll, node.item, item, label)
        cv, iv = self._side(node.collection, coll), self._side(node.item, item)
        if cv.kind != "enum_list" or cv.is_const:
            raise Unsupported("contains")
        if iv.is_const and isinstance(iv.const, (frozenset, str)) and cv.bits(
                iv.const if isinstance(iv.const, frozenset) else [iv.const]) is not None:
            want = cv.bits(iv.const if isinstance(iv.const, frozenset) else [iv.const])
            return V("bool", (cv.m & want) == want)  # a null list stays unknown
        if iv.is_const and isinstance(iv.const, frozenset):
            if not iv.const:
                test = cv.e.is_not_null()
            else:
                test = None
                for x in sorted(iv.const):
                    t = cv.e.list.contains(pl.lit(x, pl.String))
                    test = t if test is None else test & t
        elif iv.kind in ("text", "enum"):
            test = cv.e.list.contains(_string(iv))
        else:
            raise Unsupported("contains")
        return V("bool", _when(cv.e.is_null() | (iv.e.is_null() if iv.e is not None else pl.lit(False)), None, test))

    # -- arithmetic ----------------------------------------------------------------------------

    def _arith(self, node: P.Arith, c) -> V:
        left = self.value(node.left)
        right = self.value(node.right)
        if left.kind == "date" and right.kind == "number":
            unit = self.typed(node.right).type.unit
            if unit not in ("日", "周", "月", "年"):
                raise Unsupported(unit)
            n = right.e if node.op == "+" else -right.e
            if right.d is not None:  # half a 月 cannot move a date: the row path says so
                self.suspects.append((right.d != 1).fill_null(False))
                n = _when(right.d == 1, n, None)
            if unit in ("日", "周"):
                moved = left.e + pl.duration(days=n * (7 if unit == "周" else 1))
            else:
                months = n * 12 if unit == "年" else n
                moved = left.e.dt.offset_by(pl.format("{}mo", months))
            self.suspects.append(((moved.dt.year() > 9999) | (moved.dt.year() < 1)).fill_null(False))
            return V("date", _when((moved.dt.year() > 9999) | (moved.dt.year() < 1), None, moved))
        if left.kind != "number" or right.kind != "number":
            raise Unsupported("arith")
        unit = c.type.unit
        ln, ld, rn, rd = left.e, left.d, right.e, right.d
        if node.op in "+-":
            if ld is None and rd is None:
                return V("number", ln + rn if node.op == "+" else ln - rn, None, unit=unit)
            ld1, rd1 = ld if ld is not None else pl.lit(1, pl.Int64), rd if rd is not None else pl.lit(1, pl.Int64)
            num = ln * rd1 + rn * ld1 if node.op == "+" else ln * rd1 - rn * ld1
            return V("number", num, ld1 * rd1, unit=unit)
        if node.op == "*":
            d = ld if rd is None else (rd if ld is None else ld * rd)
            return V("number", ln * rn, d, unit=unit)
        # a / b: exact; b = 0 is the row path's error
        self.suspects.append((rn == 0).fill_null(False))
        num = ln * rd if rd is not None else ln
        d = ld * rn if ld is not None else rn
        num = _when(d < 0, -num, num)
        d = _when(d < 0, -d, _when(d == 0, None, d))
        return V("number", num, d, unit=unit)

    # -- functions ---------------------------------------------------------------------------

    def _call(self, node: P.Call, c) -> V:
        fn = node.function
        if fn == "given":
            arg = self.value(node.args[0])
            return V("bool", arg.e.is_not_null() if arg.e is not None else pl.lit(arg.const is not None))
        if fn == "count":
            arg = self.value(node.args[0])
            if arg.kind != "enum_list" or arg.is_const:
                raise Unsupported(fn)
            if arg.m is not None:
                return V("number", arg.m.bitwise_count_ones().cast(pl.Int64))
            return V("number", arg.e.list.n_unique().cast(pl.Int64))
        if fn == "count_in":
            r = self.row
            a, b = r._visit(node.args[0], self.scope), r._visit(node.args[1], self.scope)
            label = node.args[0].name if isinstance(node.args[0], P.Name) else "the list"
            b = r._coerce_enum_operand(a, node.args[1], b, label)
            av, bv = self._side(node.args[0], a), self._side(node.args[1], b)
            if av.kind != "enum_list" or av.is_const or not bv.is_const or not isinstance(bv.const, frozenset):
                raise Unsupported(fn)
            among = sorted(str(x) for x in bv.const)
            known = [x for x in among if av.codes and x in av.codes]
            if av.m is not None:  # items not among the codes are never listed
                return V("number", (av.m & (av.bits(known) or 0)).bitwise_count_ones().cast(pl.Int64))
            return V("number", av.e.list.unique().list.eval(pl.element().is_in(among)).list.sum().cast(pl.Int64))
        if fn == "age_on":
            birth, on = self.value(node.args[0]), self.value(node.args[1])
            b, o = birth.e, on.e
            before = (o.dt.month().cast(pl.Int32) * 100 + o.dt.day().cast(pl.Int32)) < (
                b.dt.month().cast(pl.Int32) * 100 + b.dt.day().cast(pl.Int32))
            years = o.dt.year().cast(pl.Int64) - b.dt.year().cast(pl.Int64) - before.cast(pl.Int64)
            return V("number", years, unit="周岁")
        if fn == "days_between":
            a, b = self.value(node.args[0]), self.value(node.args[1])
            return V("number", (b.e - a.e).dt.total_days().cast(pl.Int64), unit="日")
        if fn == "next_weekday":
            day, wd = self.value(node.args[0]), self.value(node.args[1])
            if wd.d is not None:
                raise Unsupported(fn)
            shift = (wd.e - day.e.dt.weekday().cast(pl.Int64)) % 7
            return V("date", day.e + pl.duration(days=shift))
        raise Unsupported(fn)

    def _window(self, node: P.Window, c) -> V:
        span_c = self.typed(node.span)
        unit = span_c.type.unit
        if unit not in ("日", "周"):
            raise Unsupported("working-day window")
        day, anchor, span = self.value(node.item), self.value(node.anchor), self.value(node.span)
        days = (day.e - anchor.e).dt.total_days().cast(pl.Int64).abs()
        lhs = days * span.d if span.d is not None else days
        return V("bool", lhs <= span.e * (7 if unit == "周" else 1))

    # -- look-ups ------------------------------------------------------------------------------

    def lookup(self, c: Compiled) -> V:
        code, source = self.python(c.code)
        facts = tuple(dict.fromkeys(p for p in _FACT.findall(source) if not p.startswith("reading.")))
        key = (source,)
        name = self._lookup_ids.get(key)
        kind = c.type.kind
        if name is None:
            name = f"__lookup{len(self._lookup_ids)}"
            self._lookup_ids[key] = name
            self.lookups.append(Lookup(name, code, facts, kind))
            self.suspects.append(pl.col(name + "#err"))
        if kind == "number":
            return V("number", pl.col(name), pl.col(name + "#d"), unit=c.type.unit)
        if kind in ("list", "enum_list"):
            raise Unsupported("a list computed from facts")
        return V(kind, pl.col(name), unit=c.type.unit)


def _is_number(path: str) -> bool:
    from ..facts.vocabulary import FACTS

    return FACTS[path].kind == "number"


def _op(a: pl.Expr, b: pl.Expr, op: str) -> pl.Expr:
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b, "==": a == b, "!=": a != b}[op]


def _in(item: V, values: frozenset) -> pl.Expr:
    """``item 属于 [constants]``: null when the item is unknown."""
    if item.is_const and item.const is None:  # a fact the frame does not give
        return pl.lit(None, pl.Boolean)
    if item.kind == "number":
        nums = [Fraction(v) for v in values if type(v) in (int, Fraction)]
        if item.d is None:
            whole = [int(v) for v in nums if v.denominator == 1]
            return item.e.is_in(whole)
        test = pl.lit(False)
        for v in nums:
            test = test | ((item.e * v.denominator) == (item.d * v.numerator))
        return _when(item.e.is_null(), None, test)
    if item.kind == "bool":
        return _when(item.e.is_null(), None, item.e.is_in([v for v in values if isinstance(v, bool)]))
    if item.kind == "date":
        return item.e.is_in([v for v in values if isinstance(v, _dt.date)])
    strings = [v for v in values if isinstance(v, str)]
    if item.cats is not None:  # an Enum column: its codes among the values, in its own type
        return item.e.is_in([v for v in strings if v in item.cats])
    return item.e.is_in(strings)


def _string(v: V) -> pl.Expr:
    """A text value as String (an Enum column cast)."""
    return v.e.cast(pl.String) if v.cats is not None else v.e


def _text(v: V, other: V) -> pl.Expr:
    """One side of an equality in a type the other side shares: an Enum column meets a constant in its own
    type when the constant is one of its codes, and as String otherwise."""
    if v.cats is None:
        if other.cats is not None and v.is_const and isinstance(v.const, str) and v.const in other.cats:
            return pl.lit(v.const, pl.Enum(list(other.cats)))
        return v.e
    if other.cats == v.cats or (other.is_const and isinstance(other.const, str) and other.const in v.cats):
        return v.e
    return v.e.cast(pl.String)
