"""Interval reasoning over condition trees: can a condition hold (or fail) for any student at all?

A small abstract interpreter, not a solver. A condition is split into alternatives
(boxes); each box keeps, per term, what it may still be: a numeric interval with
excluded points (for numbers and dates, within the vocabulary's ranges), a set of
values (enums, booleans, text), the relations still possible between two terms
(``<``, ``=``, ``>``), and the truth of every atom it cannot look inside (``given(x)``,
``same_county(a, b)`` …, keyed by their text so that ``x`` and ``非 x`` still
contradict). Everything it cannot read is left open, so the answer errs towards
"possible": ``satisfiable`` is False only when the condition can never come out
that way. Used by ``xueji lint`` (``lint.py``) and the boundary cases (``edges.py``).
"""

from __future__ import annotations

import datetime as _dt
import math
from fractions import Fraction

import attrs

from ..conditions import parse as P
from ..conditions.compile import CONVERSIONS
from ..facts.vocabulary import FACTS
from ..statute import operator_of

#: Ranges used when the vocabulary does not give one (FactSpec ``minimum``/``maximum``): counts are not negative,
#: grades run 1-12 across stages, semesters are 1 or 2.
FALLBACK_RANGES = {"年级": (1, 12), "星": (1, 5)}
FALLBACK_BY_PATH = {"student.semester": (1, 2)}
#: Grades of each stage, counted 1-12 across stages (the regions' readings graduating_grade_is_6_9_12 and
#: starting_grade_is_1_7_10): a rule about a grade outside its stage can never hold.
STAGE_GRADES = {"primary": (1, 6), "junior": (7, 9), "senior": (10, 12)}
MAX_BOXES = 512

_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_RELS = {"<": frozenset("<"), "<=": frozenset("<="), ">": frozenset(">"), ">=": frozenset(">="),
         "==": frozenset("="), "!=": frozenset("<>")}
_ALL = frozenset("<=>")
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


def fact_range(path: str) -> tuple:
    """(minimum, maximum) of a number fact: the vocabulary's, else the fallback table (None is open)."""
    spec = FACTS[path]
    lo, hi = getattr(spec, "minimum", None), getattr(spec, "maximum", None)
    if lo is None and hi is None:
        lo, hi = FALLBACK_BY_PATH.get(path) or FALLBACK_RANGES.get(spec.unit or "", (0, None))
    return (None if lo is None else Fraction(lo), None if hi is None else Fraction(hi))


@attrs.frozen
class Num:
    """A numeric domain: lo..hi (None open), each end included or not, minus some points; integers only if ``whole``."""

    lo: Fraction | None = None
    hi: Fraction | None = None
    lo_in: bool = True
    hi_in: bool = True
    out: frozenset = frozenset()
    whole: bool = False

    def tighten(self, op: str, v: Fraction) -> "Num":
        lo, hi, lo_in, hi_in, out = self.lo, self.hi, self.lo_in, self.hi_in, self.out
        if op in (">", ">="):
            inc = op == ">="
            if lo is None or v > lo or (v == lo and not inc):
                lo, lo_in = v, inc
        elif op in ("<", "<="):
            inc = op == "<="
            if hi is None or v < hi or (v == hi and not inc):
                hi, hi_in = v, inc
        elif op == "==":
            return attrs.evolve(self.tighten(">=", v).tighten("<=", v))
        elif op == "!=":
            out = out | {v}
        n = Num(lo, hi, lo_in, hi_in, out, self.whole)
        return n._normal()

    def _normal(self) -> "Num":
        if not self.whole:
            return self
        lo = None if self.lo is None else Fraction(math.ceil(self.lo) if self.lo_in else math.floor(self.lo) + 1)
        hi = None if self.hi is None else Fraction(math.floor(self.hi) if self.hi_in else math.ceil(self.hi) - 1)
        return Num(lo, hi, True, True, self.out, True)

    def empty(self) -> bool:
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None:
            if lo > hi or (lo == hi and not (self.lo_in and self.hi_in)):
                return True
            if self.whole:
                count = int(hi - lo) + 1
                return count <= sum(1 for p in self.out if p.denominator == 1 and lo <= p <= hi)
            if lo == hi:
                return lo in self.out
        return False

    def contains(self, v: Fraction) -> bool:
        return not self.tighten("==", v).empty()


@attrs.frozen
class Box:
    """One alternative: what each term may still be."""

    nums: tuple = ()  # ((term, Num), …)
    sets: tuple = ()  # ((term, frozenset of allowed values | None for any, frozenset excluded), …)
    rels: tuple = ()  # (((a, b), frozenset of "<=>"), …)
    atoms: tuple = ()  # ((text, bool), …)

    def get(self, field: str, key):
        for k, v in getattr(self, field):
            if k == key:
                return v
        return None

    def put(self, field: str, key, value) -> "Box":
        items = tuple((k, v) for k, v in getattr(self, field) if k != key) + ((key, value),)
        return attrs.evolve(self, **{field: items})


class Ranges:
    """Satisfiability of conditions of one policy, with the parameter values of one era."""

    def __init__(self, policy, params: dict):
        self.policy, self.params = policy, params
        self.defs = {name: d.condition for name, d in policy.definitions.items()}

    # -- terms -----------------------------------------------------------------------------------

    def tree(self, text: str):
        return self.policy.trees.get(str(text))

    def inline(self, node):
        """A definition's tree in place of its name (once; nested names are inlined as they are met)."""
        if isinstance(node, P.Name) and node.name in self.defs and node.name not in self.params:
            return self.tree(self.defs[node.name])
        return node

    def const(self, node):
        """The value of a constant expression (number, date, text, bool, list, parameter), else None."""
        node = self.inline(node)
        if isinstance(node, P.Num):
            return node.value
        if isinstance(node, (P.Str, P.Bool)):
            return node.value
        if isinstance(node, P.ListOf):
            items = [self.const(i) for i in node.items]
            return None if any(i is None for i in items) else frozenset(items)
        if isinstance(node, P.Name) and node.name in self.params:
            v = self.params[node.name]
            if isinstance(v, int) and not isinstance(v, bool):
                return Fraction(v)
            return v
        if isinstance(node, P.Arith):
            a, b = self.const(node.left), self.const(node.right)
            if isinstance(a, Fraction) and isinstance(b, Fraction):
                if node.op == "+":
                    return a + b
                if node.op == "-":
                    return a - b
                if node.op == "*":
                    return a * b
                if node.op == "/" and b != 0:
                    return a / b
        return None

    def unit_of(self, node) -> str | None:
        node = self.inline(node)
        if isinstance(node, P.Num):
            return node.unit
        if isinstance(node, P.Name):
            if node.name in FACTS:
                return FACTS[node.name].unit
            p = self.policy.parameters.get(node.name)
            return p.unit if p else None
        return None

    def linear(self, node):
        """(fact path, a, b) when ``node`` is a·fact + b with constant a > 0 and b, else None."""
        node = self.inline(node)
        if isinstance(node, P.Name) and node.name in FACTS:
            return node.name, Fraction(1), Fraction(0)
        if isinstance(node, P.Arith) and not _has_date(node, self):
            left, right = self.linear(node.left), self.linear(node.right)
            cl, cr = self.const(node.left), self.const(node.right)
            if left and isinstance(cr, Fraction):
                f, a, b = left
                if node.op == "+":
                    return f, a, b + cr
                if node.op == "-":
                    return f, a, b - cr
                if node.op == "*" and cr > 0:
                    return f, a * cr, b * cr
                if node.op == "/" and cr > 0:
                    return f, a / cr, b / cr
            if right and isinstance(cl, Fraction):
                f, a, b = right
                if node.op == "+":
                    return f, a, b + cl
                if node.op == "*" and cl > 0:
                    return f, a * cl, b * cl
        return None

    # -- satisfiability ----------------------------------------------------------------------------

    def satisfiable(self, node, want: bool = True, box: Box | None = None) -> bool:
        """False only when ``node`` can never come out ``want`` (given the vocabulary's ranges)."""
        return bool(self.boxes(node, want, box or Box()))

    def boxes(self, node, want: bool, box: Box) -> list:
        node = self.inline(node)
        if node is None:
            return [box]
        if isinstance(node, P.Not):
            return self.boxes(node.item, not want, box)
        if isinstance(node, P.Logic):
            conj = (node.op == "and") == want  # all items must come out `want` (else any one)
            if conj:
                current = [box]
                for item in node.items:
                    current = [b2 for b in current for b2 in self.boxes(item, want, b)]
                    if not current:
                        return []
                    if len(current) > MAX_BOXES:
                        return [box]
                return current
            out = [b2 for item in node.items for b2 in self.boxes(item, want, box)]
            return [box] if len(out) > MAX_BOXES else out
        if isinstance(node, P.Bool):
            return [box] if node.value == want else []
        if isinstance(node, P.Compare):
            return self.compare(node, operator_of(node.word) if want else _NEGATE[operator_of(node.word)], box)
        if isinstance(node, P.Member):
            return self.member(node, want != node.negated, box)
        if isinstance(node, P.Name) and node.name in FACTS:  # a bool fact
            return self.restrict_set(box, node.name, {want}, want=True)
        if isinstance(node, P.Name) and node.name in self.params:
            v = self.params[node.name]
            return [box] if not isinstance(v, bool) or v == want else []
        return self.atom(P.to_text(node), want, box)

    def atom(self, key: str, want: bool, box: Box) -> list:
        known = box.get("atoms", key)
        if known is None:
            return [box.put("atoms", key, want)]
        return [box] if known == want else []

    def member(self, node, want: bool, box: Box) -> list:
        items = self.const(node.collection)
        if not isinstance(items, frozenset):
            return self.atom(P.to_text(node), want, box)
        lin = self.linear(node.item)
        if lin and FACTS[lin[0]].kind in ("int", "number"):
            f, a, b = lin
            points = {(v - b) / a for v in items if isinstance(v, Fraction)}
            if want:
                out = []
                for p in sorted(points):
                    out += self.restrict_num(box, f, "==", p)
                return out
            for p in points:
                box = (self.restrict_num(box, f, "!=", p) or [None])[0]
                if box is None:
                    return []
            return [box]
        if isinstance(self.inline(node.item), P.Name) and self.inline(node.item).name in FACTS:
            return self.restrict_set(box, self.inline(node.item).name, self._codes(self.inline(node.item).name, items), want)
        return self.atom(P.to_text(node), want, box)

    def compare(self, node, op: str, box: Box) -> list:
        left, right = self.inline(node.left), self.inline(node.right)
        cl, cr = self.const(left), self.const(right)
        if cl is not None and cr is not None:
            try:
                return [box] if _holds(cl, op, cr) else []
            except TypeError:
                return [box]
        if cl is not None and cr is None:
            left, right, cl, cr, op = right, left, cr, cl, _FLIP[op]
        if cr is not None:
            value = _ordinal(cr)
            lin = self.linear(left)
            if lin and isinstance(value, Fraction) and FACTS[lin[0]].kind in ("int", "number", "date"):
                f, a, b = lin
                value = self._convert(value, self.unit_of(right), FACTS[f].unit)
                if value is None:
                    return [box]
                return self.restrict_num(box, f, op, (value - b) / a)
            if isinstance(left, P.Name) and left.name in FACTS and op in ("==", "!="):
                return self.restrict_set(box, left.name, self._codes(left.name, {cr}), op == "==")
            if op in ("==", "!=") and not isinstance(value, Fraction):
                return self.restrict_set(box, P.to_text(left), {cr}, op == "==")
            if isinstance(value, Fraction) and not lin:
                return self.restrict_num(box, P.to_text(left), op, value)
            return [box]
        a, b = P.to_text(left), P.to_text(right)
        if b < a:
            a, b, op = b, a, _FLIP[op]
        allowed = (box.get("rels", (a, b)) or _ALL) & _RELS[op]
        return [box.put("rels", (a, b), allowed)] if allowed else []

    def _convert(self, value, unit, into):
        if unit is None or into is None or unit == into:
            return value
        if (unit, into) in CONVERSIONS:
            return value * CONVERSIONS[(unit, into)]
        if (into, unit) in CONVERSIONS:
            return value / CONVERSIONS[(into, unit)]
        return None

    def _codes(self, path: str, values) -> set:
        """Enum values as codes (a policy may write them by their Chinese names)."""
        choices = FACTS[path].choices or {}
        by_name = {zh: code for code, zh in choices.items()}
        return {by_name.get(v, v) if isinstance(v, str) else (int(v) if isinstance(v, Fraction) and v.denominator == 1 else v)
                for v in values}

    def restrict_set(self, box: Box, key: str, values, want: bool) -> list:
        current = box.get("sets", key)
        if current is None:
            allowed = None
            if key in FACTS:
                spec = FACTS[key]
                allowed = frozenset(spec.choices) if spec.kind == "enum" and spec.choices else (
                    frozenset({True, False}) if spec.kind == "bool" else None)
            current = (allowed, frozenset())
        allowed, excluded = current
        values = frozenset(values)
        if want:
            allowed = values if allowed is None else allowed & values
            allowed = allowed - excluded
        else:
            excluded = excluded | values
            if allowed is not None:
                allowed = allowed - values
        if allowed is not None and not allowed:
            return []
        box = box.put("sets", key, (allowed, excluded))
        return [box] if self.consistent(box) else []

    def restrict_num(self, box: Box, path: str, op: str, value: Fraction) -> list:
        current = box.get("nums", path)
        if current is None and path not in FACTS:
            current = Num()
        if current is None:
            spec = FACTS[path]
            current = Num(whole=spec.kind == "int")
            if spec.kind in ("int", "number"):
                lo, hi = fact_range(path)
                if lo is not None:
                    current = current.tighten(">=", lo)
                if hi is not None:
                    current = current.tighten("<=", hi)
        n = current.tighten(op, value)
        if n.empty():
            return []
        box = box.put("nums", path, n)
        return [box] if self.consistent(box) else []

    def consistent(self, box: Box) -> bool:
        """The relations between facts the vocabulary implies: a stage's grades."""
        stages, grade = box.get("sets", "student.stage"), box.get("nums", "student.grade")
        if stages is not None and stages[0] is not None and grade is not None:
            if not any(not grade.tighten(">=", Fraction(lo)).tighten("<=", Fraction(hi)).empty()
                       for s, (lo, hi) in STAGE_GRADES.items() if s in stages[0]):
                return False
        return True


def _has_date(node, ranges) -> bool:
    """Whether an arithmetic expression moves a date (its units are not plain numbers)."""
    for side in (node.left, node.right):
        side = ranges.inline(side)
        if isinstance(side, P.Name) and side.name in FACTS and FACTS[side.name].kind == "date":
            return True
        if isinstance(side, (P.Today, P.Call)) or (isinstance(side, P.Arith) and _has_date(side, ranges)):
            return True
    return False


def _ordinal(v):
    if isinstance(v, _dt.date):
        return Fraction(v.toordinal())
    return v


def _holds(a, op, b) -> bool:
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op] if op in ("<", "<=", ">", ">=") \
        else (a == b) == (op == "==")
