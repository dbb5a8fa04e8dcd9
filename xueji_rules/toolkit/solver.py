"""Counter-example students: where two policies (two regions, a region and its layer, two versions) differ.

For one question, :func:`counterexamples` translates both policies' compiled condition trees
(``Rule.when_tree`` / ``require_tree``, ``Policy.definition_trees``) and the question's outcome
precedence (``kernel.generate``) into z3, over one shared student, and asks for a student on
whom the two answer differently — once for each distinct pair of outcomes, each made minimal
(fewest facts given, then the smallest whole numbers, then the earliest date) and then run
through the real engine (``evaluate``) on both sides. When no student differs the result says
so: z3's *unsat* over the whole modelled domain is a proof that the two policies give the same
outcome to every student in it.

The model, and what it leaves out (each restriction is listed in ``Comparison.bounds``):

* a fact is "given" or not, explicitly: every value carries a *known* flag, and logic is
  Kleene's three-valued logic exactly as the kernel computes it;
* numbers are exact (z3 integers and rationals; whole-number facts are integers), never
  negative; dates are day numbers with their year, month and day (so ``+ 1年`` clamps at the
  month's end as the engine does); date facts lie between 1980 and 2040;
* enums are their codes; a text fact is one of the texts the policies compare it with, or
  one other text; a list fact is a set of its allowed values;
* places are codes with the hierarchy as constraints (one county lies in one city, one city
  in one province; a township or school district in one county; a place names its coarser
  levels whenever it names a finer one); a concrete student gets real GB/T 2260 codes, the
  policies' own jurisdiction first; township names (as against 9-digit codes) are not tried;
* the school calendar (``period``, ``school_year``, ``semester_start_near``,
  ``semester_end_near``) and official working days are tabulated from the policy's own
  calendar and the engine's working-day data over the dates searched (plus a margin): a date
  those functions read must lie there (outside it the engine answers with a DateError);
* the question's date lies in the range asked for (``on``, or ``start`` … ``end``), split at
  every date a parameter of either side changes;
* students whose facts the question declares contradictory (a facts error, not an answer),
  and students who divide by a fact that is 0, are left out; an exception asked for
  (``approvals.exception_requested``) is not tried.

Needs ``z3-solver`` (``pip install 'xueji_rules[toolkit]'``).
"""

from __future__ import annotations

import datetime as _dt
import random
from fractions import Fraction
from typing import Any

import attrs

from .. import places as _places
from ..conditions import parse as P
from ..conditions.compile import CONVERSIONS, PLACE_FUNCTIONS
from ..errors import DateError, XuejiError
from ..facts.vocabulary import FACTS, GROUPS, Place
from ..policy import OUTCOMES, Policy
from ..statute import operator_of

__all__ = ["SolverUnavailable", "Student", "Comparison", "counterexamples", "random_differences",
           "INSTALL_HINT", "policy_at_revision"]

INSTALL_HINT = "pip install 'xueji_rules[toolkit]'  (or: pip install z3-solver)"
OUTCOME_CODES = tuple(OUTCOMES)  # allowed, allowed_with_approval, required, denied_unless_exception, denied, undetermined, not_regulated
DATE_FACT_YEARS = (1980, 2040)
#: days around the searched dates over which calendar and working-day functions are tabulated
MARGIN_DAYS = 400


#: the ranges the vocabulary states for whole-number facts (by path, or by unit); others are at least 0
RANGES = {"年级": (1, 12), "student.semester": (1, 2), "request.enrolment.entry_year": DATE_FACT_YEARS}


class SolverUnavailable(XuejiError):
    """z3 is not installed."""


def _z3():
    try:
        import z3
    except ImportError:
        raise SolverUnavailable(
            "counter-example students need the z3 solver, which is not installed: " + INSTALL_HINT) from None
    return z3


# -- values ---------------------------------------------------------------------------------------


@attrs.frozen
class B:
    """A three-valued condition: ``t`` it holds, ``f`` it fails (neither: unknown)."""

    t: Any
    f: Any


@attrs.frozen
class V:
    """A value: ``kind`` num | date | id (enum or text code) | set | items | place; ``k`` it is known."""

    kind: str
    v: Any
    k: Any
    unit: str | None = None
    choices: Any = None  # an enum's choices (code -> Chinese name)


@attrs.frozen
class DateV:
    o: Any  # day number (date.toordinal())
    ymd: tuple | None  # (year, month, day) z3 terms, when known
    const: _dt.date | None = None


class Unsupported(XuejiError):
    """A condition the solver cannot translate (the comparison then says which)."""


# -- the shared student ---------------------------------------------------------------------------


class Domain:
    """The one student both policies are asked about: a z3 variable per fact, with its domain."""

    def __init__(self, z3, lo: _dt.date, hi: _dt.date):
        self.z3 = z3
        self.lo, self.hi = lo, hi
        self.constraints: list = []
        self.facts: dict[str, tuple] = {}  # path -> (given, value)
        self.places: dict[str, dict] = {}  # group -> level -> (given, value)
        self.place_literals: dict[str, set] = {}  # level -> codes written in the policies
        self._ids: dict[str, int] = {}
        self._texts: dict[str, set] = {}  # text fact -> literals compared with it
        self._tables: dict = {}
        self._ymd: dict = {}  # day number term id -> (year, month, day)
        self.notes: set = set()
        self.T = self._date_var("today", lo, hi)

    # strings (enum codes, texts) as integers
    def sid(self, text: str) -> int:
        if text not in self._ids:
            self._ids[text] = len(self._ids) + 1
        return self._ids[text]

    def text_of(self, n: int) -> str | None:
        return next((t for t, i in self._ids.items() if i == n), None)

    # dates
    def ordinal(self, y, m, d):
        z3 = self.z3
        y1 = y - 1
        cum = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
        before = z3.IntVal(cum[11])
        for month in range(11, 0, -1):
            before = z3.If(m == month, z3.IntVal(cum[month - 1]), before)
        return 365 * y1 + y1 / 4 - y1 / 100 + y1 / 400 + before + z3.If(z3.And(m > 2, self.leap(y)), 1, 0) + d

    def leap(self, y):
        z3 = self.z3
        return z3.Or(z3.And(y % 4 == 0, y % 100 != 0), y % 400 == 0)

    def month_days(self, y, m):
        z3 = self.z3
        return z3.If(m == 2, z3.If(self.leap(y), 29, 28), z3.If(z3.Or(m == 4, m == 6, m == 9, m == 11), 30, 31))

    def valid(self, y, m, d):
        z3 = self.z3
        return z3.And(m >= 1, m <= 12, d >= 1, d <= self.month_days(y, m))

    def _date_var(self, name: str, lo: _dt.date, hi: _dt.date) -> DateV:
        """A date as its day number only: its year, month and day are added when a condition needs them
        (``components``), so comparisons of dates stay plain integer comparisons."""
        o = self.z3.Int(f"{name}.o")
        self.constraints += [o >= lo.toordinal(), o <= hi.toordinal()]
        return DateV(o, None)

    def components(self, date: DateV, known) -> tuple:
        """(year, month, day) of a date, introducing them (tied to its day number) when only the number is known."""
        if date.ymd is not None:
            return date.ymd
        z3 = self.z3
        key = date.o.get_id()
        if key not in self._ymd:
            n = len(self._ymd)
            self._ymd[key] = tuple(z3.Int(f"_ymd{n}.{p}") for p in "ymd")
        y, m, d = self._ymd[key]
        # tied wherever a condition reads them (each use under its own guard)
        self.constraints.append(z3.Implies(known, z3.And(self.valid(y, m, d), self.ordinal(y, m, d) == date.o)))
        return y, m, d

    def const_date(self, day: _dt.date) -> DateV:
        z3 = self.z3
        return DateV(z3.IntVal(day.toordinal()), (z3.IntVal(day.year), z3.IntVal(day.month), z3.IntVal(day.day)), day)

    # facts
    def fact(self, path: str):
        """(given, value) of a fact, created on first use with its domain."""
        if path in self.facts:
            return self.facts[path]
        z3 = self.z3
        spec = FACTS[path]
        group = path.rsplit(".", 1)[0]
        if spec.kind == "division" or GROUPS.get(group) is Place:
            self.place(group)
            return self.facts[path]
        given = z3.Bool(f"given:{path}")
        kind = spec.kind
        if kind == "int":
            value = z3.Int(path)
            low, high = RANGES.get(path) or RANGES.get(spec.unit) or (0, None)
            self.constraints.append(value >= low)
            if high is not None:
                self.constraints.append(value <= high)
        elif kind == "number":
            value = z3.Real(path)
            self.constraints.append(value >= 0)
        elif kind == "bool":
            value = z3.Bool(path)
        elif kind == "date":
            lo, hi = _dt.date(DATE_FACT_YEARS[0], 1, 1), _dt.date(DATE_FACT_YEARS[1], 12, 31)
            value = self._date_var(path, lo, hi)
        elif kind == "enum":
            value = z3.Int(path)
            self.constraints.append(z3.Or([value == self.sid(c) for c in spec.choices]))
        elif kind == "text":
            value = z3.Int(path)
            self._texts.setdefault(path, set())
        elif kind == "enum_list":
            value = {c: z3.Bool(f"{path}∋{c}") for c in spec.choices}
        else:  # pragma: no cover - the vocabulary has no other kinds
            raise Unsupported(f"facts of kind {kind}")
        self.facts[path] = (given, value)
        return given, value

    def text_literal(self, path: str, text: str) -> None:
        self._texts.setdefault(path, set()).add(text)

    def place(self, group: str) -> dict:
        """The five levels of a place group: (given, value) each, with what giving a finer level implies."""
        if group in self.places:
            return self.places[group]
        z3 = self.z3
        levels = {}
        for level in _places.LEVELS:
            path = f"{group}.{level}"
            levels[level] = (z3.Bool(f"given:{path}"), z3.Int(path))
            self.facts[path] = levels[level]
        g = {k: v[0] for k, v in levels.items()}
        self.constraints += [z3.Implies(g["city"], g["province"]), z3.Implies(g["county"], g["city"]),
                             z3.Implies(g["township"], g["county"]), z3.Implies(g["school_district"], g["county"])]
        self.places[group] = levels
        return levels

    def place_literal(self, level: str, code: str) -> int:
        """A code written in a policy, with the coarser codes it lies in (a place at them may be those codes)."""
        self.place_literals.setdefault(level, set()).add(code)
        implied = _places._levels_of(_places.table()[code])
        for coarser in _places.CHAINS.get(level, ())[:-1]:
            if coarser in implied:
                self.place_literals.setdefault(coarser, set()).add(implied[coarser])
        return int(code)

    def finish(self) -> None:
        """The constraints that need every fact: text domains and the place hierarchy."""
        z3 = self.z3
        for path, literals in self._texts.items():
            given, value = self.facts[path]
            ids = [self.sid(t) for t in sorted(literals)] + [-1]  # -1: some other text
            self.constraints.append(z3.Or([value == i for i in ids]))
        # the place hierarchy: each value at one level lies in one value at the coarser levels
        nodes = {level: [] for level in _places.LEVELS}  # level -> [(given, value, coarser {level: (given, value)})]
        for levels in self.places.values():
            for level in _places.LEVELS:
                coarser = {k: levels[k] for k in _places.CHAINS[level][:-1]} if level in _places.CHAINS else {}
                nodes[level].append((levels[level][0], levels[level][1], coarser))
        for level, codes in self.place_literals.items():
            for code in codes:
                d = _places.table()[code]
                implied = _places._levels_of(d)
                coarser = {k: (z3.BoolVal(True), z3.IntVal(int(implied[k]))) for k in _places.CHAINS[level][:-1] if k in implied}
                nodes[level].append((z3.BoolVal(True), z3.IntVal(int(code)), coarser))
        for level, items in nodes.items():
            for i, (g1, v1, c1) in enumerate(items):
                for g2, v2, c2 in items[i + 1:]:
                    same_up = [z3.Implies(z3.And(c1[k][0], c2[k][0]), c1[k][1] == c2[k][1]) for k in c1 if k in c2]
                    if same_up:
                        self.constraints.append(z3.Implies(z3.And(g1, g2, v1 == v2), z3.And(same_up)))
        # a value that is not one of the policies' own codes is none of them (fresh codes are found later)
        for level in ("province", "city", "county"):
            lits = self.place_literals.get(level, ())
            for levels in self.places.values():
                given, value = levels[level]
                self.constraints.append(z3.Or([value == int(c) for c in lits] + [value < 0]))
        for levels in self.places.values():
            for level in ("township", "school_district"):
                self.constraints.append(levels[level][1] < 0)

    # tabulated functions of a day ----------------------------------------------------------------
    def table(self, key, fn):
        """A z3 function of a day number, exact over the searched dates ± MARGIN_DAYS: (value(x), defined(x)).

        ``fn(date)`` gives the engine's value (an int, a date, or a text turned into its id); a day on which
        it raises DateError is undefined. Built as a balanced tree of ``If`` over runs of equal or
        consecutive values, so a question reads a calendar in a few comparisons.
        """
        if key in self._tables:
            return self._tables[key]
        lo = self.lo - _dt.timedelta(days=MARGIN_DAYS)
        hi = self.hi + _dt.timedelta(days=MARGIN_DAYS)
        values = []
        day = lo
        while day <= hi:
            try:
                v = fn(day)
            except XuejiError:  # a day outside the calendar or the working-day data
                v = None
            if isinstance(v, _dt.date):
                v = v.toordinal()
            elif isinstance(v, str):
                v = self.sid(v)
            values.append(v)
            day += _dt.timedelta(days=1)
        self._tables[key] = _piecewise(values, lo.toordinal())
        return self._tables[key]

    def apply(self, key, fn, x):
        z3 = self.z3
        segs = self.table(key, fn)
        return _build(z3, segs, x)


def _piecewise(values: list, x0: int) -> list:
    """Runs (start, end, base, slope) of the defined values (slope 0: equal, 1: consecutive); None runs are gaps."""
    segs: list = []
    for i, v in enumerate(values):
        x = x0 + i
        if segs and segs[-1][3] is not None and v is not None and segs[-1][1] == x - 1:
            start, end, base, slope = segs[-1]
            expect0, expect1 = base, base + (x - start)
            if slope == 0 and v == expect0:
                segs[-1] = (start, x, base, 0)
                continue
            if slope == 1 and v == expect1:
                segs[-1] = (start, x, base, 1)
                continue
            if slope is None or (start == end and v == base + 1):
                segs[-1] = (start, x, base, 1)
                continue
        if v is None:
            if segs and segs[-1][3] is None and segs[-1][1] == x - 1:
                segs[-1] = (segs[-1][0], x, None, None)
            else:
                segs.append((x, x, None, None))
        else:
            segs.append((x, x, v, 0))
    return segs


def _build(z3, segs: list, x):
    """(value, defined) of the runs at ``x``."""
    lo, hi = segs[0][0], segs[-1][1]

    def tree(part):
        if len(part) == 1:
            start, end, base, slope = part[0]
            if base is None:
                return z3.IntVal(0), z3.BoolVal(False)
            value = z3.IntVal(base) if slope == 0 else base + (x - start)
            return value, z3.BoolVal(True)
        mid = len(part) // 2
        lv, ld = tree(part[:mid])
        rv, rd = tree(part[mid:])
        cut = part[mid][0]
        return z3.If(x < cut, lv, rv), z3.If(x < cut, ld, rd)

    value, defined = tree(segs)
    return value, z3.And(x >= lo, x <= hi, defined)


# -- one policy's question in z3 -----------------------------------------------------------------


class Side:
    """One policy's question translated over the shared student, for dates within one era of parameters."""

    def __init__(self, dom: Domain, policy: Policy, question: str, day: _dt.date, calendar=None):
        self.z3, self.dom, self.policy = dom.z3, dom, policy
        self.q = policy.question(question)
        self.params = policy.parameters_on(day)
        self.types = policy.compile_context[1].parameters
        self.calendar = calendar if calendar is not None else policy.calendar
        self._defs: dict = {}
        self.statuses: list = []

    # conditions
    def cond(self, node) -> B:
        out = self.expr(node)
        if not isinstance(out, B):
            raise Unsupported("a condition that is not true or false")
        return out

    def expr(self, node):
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    def _num(self, node: P.Num):
        return V("num", _numval(self.z3, node.value), self.z3.BoolVal(True), node.unit)

    def _str(self, node: P.Str):
        return V("str", node.value, self.z3.BoolVal(True))

    def _bool(self, node: P.Bool):
        z3 = self.z3
        return B(z3.BoolVal(node.value), z3.BoolVal(not node.value))

    def _today(self, node):
        return V("date", self.dom.T, self.z3.BoolVal(True))

    def _name(self, node: P.Name):
        name = node.name
        z3 = self.z3
        if name.startswith("reading."):
            # a switchable reading: the student is compared under each policy's chosen option
            reading = self.policy.readings.get(name[len("reading."):])
            if reading is None or not reading.chosen:
                raise Unsupported(f"the reading {name}")
            return V("id", z3.IntVal(self.dom.sid(reading.chosen)), z3.BoolVal(True), None, dict(reading.options))
        if "." in name:
            spec = FACTS[name]
            given, value = self.dom.fact(name)
            if spec.kind == "bool":
                return B(z3.And(given, value), z3.And(given, z3.Not(value)))
            kind = {"int": "num", "number": "num", "date": "date", "enum": "id", "text": "id",
                    "enum_list": "set", "division": "place"}[spec.kind]
            v = V(kind, value, given, spec.unit if kind == "num" else (name.rsplit(".", 1)[1] if kind == "place" else None),
                  spec.choices)
            return attrs.evolve(v, choices=("text", name)) if spec.kind == "text" else v
        if name in self.types:
            return self._param(name)
        if name in self.policy.definition_trees:
            if name not in self._defs:
                tree = self.policy.definition_trees[name]
                if tree is None or isinstance(tree, XuejiError):
                    raise Unsupported(f"definition {name}")
                self._defs[name] = self.expr(tree)
            return self._defs[name]
        raise Unsupported(f"the name {name}")

    def _param(self, name: str):
        z3 = self.z3
        t = self.types[name]
        value = self.params.get(name)
        true = z3.BoolVal(True)
        if value is None:
            self.dom.notes.add(f"{self.policy.id}: parameter {name} has no value on some dates searched; read as unknown")
            return V("num", z3.IntVal(0), z3.BoolVal(False), t.unit)
        if isinstance(value, bool):
            return B(z3.BoolVal(value), z3.BoolVal(not value))
        if isinstance(value, (int, Fraction)):
            return V("num", _numval(z3, value), true, t.unit)
        if isinstance(value, _dt.date):
            return V("date", self.dom.const_date(value), true)
        if isinstance(value, str):
            return V("str", value, true)
        if isinstance(value, (frozenset, set, list, tuple)):
            return V("const_set", frozenset(value), true)
        raise Unsupported(f"parameter {name} of type {type(value).__name__}")

    def _listof(self, node: P.ListOf):
        items = [self.expr(i) for i in node.items]
        if all(isinstance(i, V) and i.kind in ("num", "str") and _is_const(self.z3, i) for i in items):
            return V("const_set", frozenset(_py(self.z3, i) for i in items), self.z3.BoolVal(True))
        return V("items", tuple(items), self.z3.BoolVal(True))

    def _logic(self, node: P.Logic) -> B:
        z3 = self.z3
        items = [self.cond(i) for i in node.items]
        if node.op == "and":
            return B(z3.And([i.t for i in items]), z3.Or([i.f for i in items]))
        return B(z3.Or([i.t for i in items]), z3.And([i.f for i in items]))

    def _not(self, node: P.Not) -> B:
        inner = self.cond(node.item)
        return B(inner.f, inner.t)

    def _compare(self, node: P.Compare) -> B:
        z3 = self.z3
        op = operator_of(node.word)
        left, right = self.expr(node.left), self.expr(node.right)
        if isinstance(left, B) or isinstance(right, B):
            if not (isinstance(left, B) and isinstance(right, B)) or op not in ("==", "!="):
                raise Unsupported("a comparison of a condition with a value")
            known = z3.And(z3.Or(left.t, left.f), z3.Or(right.t, right.f))
            eq = left.t == right.t
            res = eq if op == "==" else z3.Not(eq)
            return B(z3.And(known, res), z3.And(known, z3.Not(res)))
        left, right = self._coerce(left, node.left, right), self._coerce(right, node.right, left)
        known = z3.And(left.k, right.k)
        if left.kind == "num" and right.kind == "num":
            a, b = self._units(left, right)
        elif left.kind == "date" and right.kind == "date":
            a, b = left.v.o, right.v.o
        elif left.kind in ("id", "place") and right.kind in ("id", "place"):
            a, b = left.v, right.v
        else:
            raise Unsupported(f"comparing {left.kind} with {right.kind}")
        res = {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
               ">": lambda: a > b, ">=": lambda: a >= b}[op]()
        return B(z3.And(known, res), z3.And(known, z3.Not(res)))

    def _units(self, left: V, right: V):
        a, b = left.v, right.v
        if left.unit and right.unit and left.unit != right.unit:
            if (left.unit, right.unit) in CONVERSIONS:
                a = a * CONVERSIONS[(left.unit, right.unit)]
            elif (right.unit, left.unit) in CONVERSIONS:
                b = b * CONVERSIONS[(right.unit, left.unit)]
        return a, b

    def _coerce(self, side, node, other):
        """A quoted text beside an enum, a text fact or a place becomes that value's id or code."""
        z3 = self.z3
        if not (isinstance(side, V) and side.kind == "str") or not isinstance(other, V):
            return side
        if other.kind == "place":
            code = _places.code_at(side.v, other.unit)
            return V("place", z3.IntVal(self.dom.place_literal(other.unit, code)), z3.BoolVal(True))
        if other.kind == "id":
            return V("id", z3.IntVal(self._id(side.v, other)), z3.BoolVal(True))
        return side

    def _id(self, text: str, enum: V) -> int:
        choices = enum.choices
        if isinstance(choices, tuple) and choices and choices[0] == "text":
            self.dom.text_literal(choices[1], text)
            return self.dom.sid(text)
        if choices and text not in choices:
            for code, zh in choices.items():
                if text == zh or text == zh.split("（")[0]:
                    return self.dom.sid(code)
        return self.dom.sid(text)

    def _member_of(self, item: V, coll: V):
        """(item is in coll, known): the kernel's ``item in coll``."""
        z3 = self.z3
        if coll.kind == "const_set":
            if item.kind in ("id",):
                ids = [self._id(c, item) for c in coll.v]
                return z3.Or([item.v == i for i in ids]) if ids else z3.BoolVal(False)
            if item.kind == "num":
                return z3.Or([item.v == _numval(z3, c) for c in coll.v]) if coll.v else z3.BoolVal(False)
            raise Unsupported(f"membership of {item.kind} in a list")
        if coll.kind == "set":
            if item.kind == "id":
                return z3.Or([z3.And(item.v == self.dom.sid(c), bit) for c, bit in coll.v.items()])
            if item.kind == "str":
                bit = coll.v.get(self._code(item.v, coll.choices))
                return bit if bit is not None else z3.BoolVal(False)
            raise Unsupported(f"membership of {item.kind} in a list fact")
        if coll.kind == "items":
            out = []
            for other in coll.v:
                other = self._coerce(other, None, item)
                item2 = self._coerce(item, None, other)
                if item2.kind == "num" and other.kind == "num":
                    a, b = self._units(item2, other)
                elif item2.kind == "date":
                    a, b = item2.v.o, other.v.o
                else:
                    a, b = item2.v, other.v
                out.append(z3.And(other.k, a == b))
            return z3.Or(out) if out else z3.BoolVal(False)
        raise Unsupported(f"membership in {coll.kind}")

    @staticmethod
    def _code(text: str, choices) -> str:
        if choices and text not in choices:
            for code, zh in choices.items():
                if text == zh or text == zh.split("（")[0]:
                    return code
        return text

    def _member(self, node: P.Member) -> B:
        z3 = self.z3
        item, coll = self.expr(node.item), self.expr(node.collection)
        inside = self._member_of(item, coll)
        known = z3.And(item.k, coll.k)
        res = z3.Not(inside) if node.negated else inside
        return B(z3.And(known, res), z3.And(known, z3.Not(res)))

    def _contains(self, node: P.Contains) -> B:
        z3 = self.z3
        coll, item = self.expr(node.collection), self.expr(node.item)
        if isinstance(node.item, P.ListOf):
            members = [self._member_of(self._coerce(V("str", v, z3.BoolVal(True)), None, coll) if isinstance(v, str) else
                                       V("num", _numval(z3, v), z3.BoolVal(True)), coll)
                       for v in (item.v if item.kind == "const_set" else ())]
            if item.kind != "const_set":
                raise Unsupported("包含 a list that is not written out")
            res, known = z3.And(members) if members else z3.BoolVal(True), coll.k
        else:
            res, known = self._member_of(item, coll), z3.And(coll.k, item.k)
        return B(z3.And(known, res), z3.And(known, z3.Not(res)))

    def _window(self, node: P.Window) -> B:
        z3 = self.z3
        day, anchor, span = self.expr(node.item), self.expr(node.anchor), self.expr(node.span)
        known = z3.And(day.k, anchor.k, span.k)
        if span.unit == "工作日":
            lo = z3.If(day.v.o < anchor.v.o, day.v.o, anchor.v.o)
            hi = z3.If(day.v.o < anchor.v.o, anchor.v.o, day.v.o)
            c_hi, d1 = self._wdc(hi - 1)
            c_lo, d2 = self._wdc(lo)
            self._needs(known, z3.And(d1, d2))
            res = z3.Or(day.v.o == anchor.v.o, z3.And(span.v > 0, c_hi - c_lo < span.v))
        else:
            factor = 7 if span.unit == "周" else 1
            diff = day.v.o - anchor.v.o
            res = z3.If(diff >= 0, diff, -diff) <= span.v * factor
        return B(z3.And(known, res), z3.And(known, z3.Not(res)))

    def _needs(self, known, defined) -> None:
        """Where the value is computed, the function it reads must be defined (else the engine raises)."""
        self.dom.constraints.append(self.z3.Implies(known, defined))

    def _wdc(self, x):
        from .. import workdays

        days, first, last = workdays._index()

        def count(day):
            if not first <= day.year <= last:
                raise DateError("uncovered")
            import bisect
            return bisect.bisect_right(days, day)

        return self.dom.apply("wdc", count, x)

    def _arith(self, node: P.Arith):
        z3 = self.z3
        left, right = self.expr(node.left), self.expr(node.right)
        known = z3.And(left.k, right.k)
        if left.kind == "date" and right.kind == "num":
            return V("date", self._move(left.v, right, node.op, known), known)
        if left.kind != "num" or right.kind != "num":
            raise Unsupported(f"arithmetic on {left.kind} and {right.kind}")
        a, b = left.v, right.v
        if node.op == "+":
            return V("num", a + b, known, left.unit or right.unit)
        if node.op == "-":
            return V("num", a - b, known, left.unit or right.unit)
        if node.op == "*":
            return V("num", a * b, known, left.unit or right.unit)
        if not _is_const(z3, right):
            self._needs(known, b != 0)
            self.dom.notes.add("students who divide by a fact that is 0 are left out (the engine reports them as facts errors)")
        unit = left.unit if not right.unit else None
        return V("num", z3.ToReal(a) / b if z3.is_int(a) else a / b, known, unit)

    def _move(self, date: DateV, amount: V, op: str, known) -> DateV:
        z3 = self.z3
        n = amount.v if op == "+" else -amount.v
        if not z3.is_int(n):
            n = _as_int(z3, n, self.dom, known)
        unit = amount.unit
        if unit == "日":
            return DateV(date.o + n, None)
        if unit == "周":
            return DateV(date.o + 7 * n, None)
        if unit == "工作日":
            return DateV(self._add_working_days(date, n, known), None)
        months = n * 12 if unit == "年" else n
        y, m, d = self.dom.components(date, known)
        total = y * 12 + (m - 1) + months
        y2, m2 = total / 12, total % 12 + 1
        dim = self.dom.month_days(y2, m2)
        d2 = z3.If(d < dim, d, dim)
        return DateV(self.dom.ordinal(y2, m2, d2), (y2, m2, d2))

    def _add_working_days(self, date: DateV, n, known):
        from .. import workdays
        import bisect

        z3 = self.z3
        days, first, last = workdays._index()
        n_const = z3.simplify(n)
        if not z3.is_int_value(n_const):
            raise Unsupported("a number of working days that is not a constant")
        n = n_const.as_long()
        if n == 0:
            return date.o
        count, d1 = self._wdc(date.o if n > 0 else date.o - 1)

        # the n-th working day after: the (count + n)-th working day; tabulate k -> day over the counts in range
        key = "wd_at"
        if key not in self.dom._tables:
            lo = self.dom.lo - _dt.timedelta(days=MARGIN_DAYS)
            hi = self.dom.hi + _dt.timedelta(days=MARGIN_DAYS)
            k0 = bisect.bisect_right(days, lo)
            k1 = bisect.bisect_right(days, hi) + abs(n) + 30
            values = [days[k - 1].toordinal() if 1 <= k <= len(days) else None for k in range(k0, k1 + 1)]
            self.dom._tables[key] = _piecewise(values, k0)
        k = count + n if n > 0 else count + n + 1
        value, d2 = _build(z3, self.dom._tables[key], k)
        self._needs(known, z3.And(d1, d2))
        return value

    def _call(self, node: P.Call):
        z3 = self.z3
        fn = node.function
        if fn in PLACE_FUNCTIONS:
            return self._same_place(node, PLACE_FUNCTIONS[fn])
        if fn == "given":
            arg = node.args[0]
            if isinstance(arg, P.Name) and "." in arg.name:
                given, _ = self.dom.fact(arg.name)
                return B(given, z3.Not(given))
            val = self.expr(arg)
            k = z3.Or(val.t, val.f) if isinstance(val, B) else val.k
            return B(k, z3.Not(k))
        args = [self.expr(a) for a in node.args]
        known = z3.And([a.k for a in args]) if args else z3.BoolVal(True)
        if fn == "count":
            a = args[0]
            if a.kind == "set":
                return V("num", z3.Sum([z3.If(b, 1, 0) for b in a.v.values()]), known)
            if a.kind == "const_set":
                return V("num", z3.IntVal(len(a.v)), known)
            raise Unsupported("count of this list")
        if fn == "count_in":
            a, among = args
            if a.kind == "set" and among.kind == "const_set":
                codes = {self._code(x, a.choices) for x in among.v}
                return V("num", z3.Sum([z3.If(b, 1, 0) for c, b in a.v.items() if c in codes] or [z3.IntVal(0)]), known)
            raise Unsupported("count_in of these lists")
        if fn == "age_on":
            b, on = args
            by, bm, bd = self.dom.components(b.v, known)
            oy, om, od = self.dom.components(on.v, known)
            before = z3.Or(om < bm, z3.And(om == bm, od < bd))
            return V("num", oy - by - z3.If(before, 1, 0), known, "周岁")
        if fn == "date_in":
            year, md = args
            if md.kind != "str":
                raise Unsupported("date_in with a month and day that is not written out")
            month, day = (int(x) for x in md.v.split("-"))
            y = year.v if z3.is_int(year.v) else _as_int(z3, year.v, self.dom, known)
            self._needs(known, self.dom.valid(y, z3.IntVal(month), z3.IntVal(day)))
            return V("date", DateV(self.dom.ordinal(y, month, day), (y, z3.IntVal(month), z3.IntVal(day))), known)
        if fn == "days_between":
            a, b = args
            return V("num", b.v.o - a.v.o, known, "日")
        if fn == "next_weekday":
            date, n = args
            iso = (date.v.o - 1) % 7 + 1
            return V("date", DateV(date.v.o + (n.v - iso) % 7, None), known)
        if fn in ("period", "school_year", "semester_start_near", "semester_end_near"):
            cal = self.calendar
            if cal is None:
                raise Unsupported(f"{fn}() without a school calendar")
            get = {"period": lambda d: cal.period(d).name, "school_year": lambda d: cal.period(d).school_year,
                   "semester_start_near": cal.semester_start_near, "semester_end_near": cal.semester_end_near}[fn]
            value, defined = self.dom.apply((fn, cal.content_hash), get, args[0].v.o)
            self._needs(known, defined)
            if fn == "period":
                from ..school_calendar import PERIODS
                return V("id", value, known, None, PERIODS)
            if fn == "school_year":
                return V("num", value, known)
            return V("date", DateV(value, None), known)
        raise Unsupported(f"the function {fn}")

    def _same_place(self, node: P.Call, level: str) -> B:
        z3 = self.z3
        sides = []
        for a in node.args:
            sides.append(self.dom.place(a.name))
        chain = _places.CHAINS[level]
        differ = z3.Or([z3.And(sides[0][k][0], sides[1][k][0], sides[0][k][1] != sides[1][k][1]) for k in chain])
        all_known = z3.And([z3.And(sides[0][k][0], sides[1][k][0]) for k in chain])
        return B(z3.And(z3.Not(differ), all_known), differ)

    # rules and the outcome -------------------------------------------------------------------------
    def rule(self, rule) -> tuple:
        """(not applicable, held, failed, unknown) of one rule, as the kernel computes them (kernel._rule_code)."""
        z3 = self.z3
        T = self.dom.T.o
        start, end = rule.in_force
        dates = z3.And(([T >= start.toordinal()] if start else []) + ([T < end.toordinal()] if end else []))
        has_dates = bool(start or end)
        when = self.cond(rule.when_tree) if rule.when_tree is not None else None
        if has_dates:
            when = B(dates, z3.Not(dates)) if when is None else B(z3.And(dates, when.t), z3.Or(z3.Not(dates), when.f))
        req = self.cond(rule.require_tree) if rule.require_tree is not None else B(z3.BoolVal(True), z3.BoolVal(False))
        # a review's gate follows the option its reading takes on this policy (a switched copy included)
        gates = [i for i in rule.procedure if not i.for_exception and i.party and (
            (self.policy.readings[i.reading].chosen == "批准") if i.reading_key else i.gate)]
        if gates:
            tests = []
            for item in gates:
                alternatives = []
                for f in item.facts:
                    given, value = self.dom.fact(f)
                    alternatives.append(z3.Not(z3.And(given, value == self.dom.sid("refused"))))
                tests.append(z3.Or(alternatives))
            test = z3.And(tests)
            req = B(z3.And(test, req.t), z3.Or(z3.Not(test), req.f))
        ground = rule.strength in ("可以", "应当")
        if when is None:
            held, failed = req.t, req.f
            na = z3.BoolVal(False)
        else:
            na = when.f
            if ground:
                failed = z3.And(z3.Not(na), req.f)
                held = z3.And(z3.Not(na), req.t, when.t)
            elif rule.strength == "须经批准":
                held = z3.And(when.t, req.t)
                failed = z3.And(when.t, req.f)
            else:
                held = z3.And(z3.Not(na), req.t)
                failed = z3.And(z3.Not(na), req.f, when.t)
        unknown = z3.And(z3.Not(na), z3.Not(held), z3.Not(failed))
        return na, held, failed, unknown

    def outcome(self):
        """The question's outcome as a z3 integer (an index of OUTCOME_CODES), and each rule's status."""
        z3 = self.z3
        rules = self.q.rules
        self.statuses = [self.rule(r) for r in rules]
        st = self.statuses
        grounds = [i for i, r in enumerate(rules) if r.strength in ("可以", "应当")]
        Or = lambda xs: z3.Or(xs) if xs else z3.BoolVal(False)  # noqa: E731
        den = Or([st[i][2] for i, r in enumerate(rules) if r.strength in ("不得", "须经批准")])
        anything = Or([z3.Not(s[0]) for s in st])
        gh = Or([st[i][1] for i in grounds])
        gu = Or([st[i][3] for i in grounds])
        ga = Or([z3.Not(st[i][0]) for i in grounds])
        unk = Or([s[3] for s in st])
        pri = Or([st[i][2] for i, r in enumerate(rules) if r.strength == "原则上不"])
        req = Or([st[i][1] for i, r in enumerate(rules) if r.strength == "应当"])
        app = Or([st[i][1] for i, r in enumerate(rules)
                  if r.approver and (r.strength in ("可以", "应当", "须经批准"))])
        code = OUTCOME_CODES.index
        o = z3.If(pri, code("denied_unless_exception"), z3.If(req, code("required"),
                  z3.If(app, code("allowed_with_approval"), code("allowed"))))
        o = z3.If(unk, code("undetermined"), o)
        if grounds:
            # as kernel.generate: a silent text (not_regulated) is said only when no rule is unknown
            silent = (z3.If(unk, code("undetermined"), code("not_regulated")) if self.q.when_no_ground == "not_regulated"
                      else code(self.q.when_no_ground))
            o = z3.If(z3.Not(gh), z3.If(gu, code("undetermined"), z3.If(ga, code("denied"), silent)), o)
        o = z3.If(z3.Not(anything), code("not_regulated"), o)
        return z3.If(den, code("denied"), o)

    def contradictions(self):
        """Conditions under which the question refuses the facts (a facts error): each known to hold."""
        return [self.cond(c.tree).t for c in self.q.contradictions if c.tree is not None]


def _numval(z3, value):
    value = Fraction(value)
    return z3.IntVal(value.numerator) if value.denominator == 1 else z3.RealVal(f"{value.numerator}/{value.denominator}")


def _is_const(z3, v: V) -> bool:
    return v.kind == "str" or (v.kind == "num" and z3.is_rational_value(z3.simplify(v.v)) and z3.is_true(z3.simplify(v.k)))


def _py(z3, v: V):
    if v.kind == "str":
        return v.v
    value = z3.simplify(v.v).as_fraction()
    return int(value) if value.denominator == 1 else value


def _as_int(z3, n, dom: Domain, known):
    i = z3.Int(f"_int{len(dom.constraints)}")
    dom.constraints.append(z3.Implies(known, z3.ToReal(i) == n))
    return i


# -- results --------------------------------------------------------------------------------------


@attrs.frozen
class SideAnswer:
    outcome: str
    rule: str | None
    article: str | None
    quote: str | None
    failed: tuple = ()
    predicted: str | None = None  # what the solver's model said

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "outcome_zh": OUTCOMES.get(self.outcome, ""), "rule": self.rule,
                "article": self.article, "quote": self.quote, "failed": list(self.failed)}


@attrs.frozen
class Student:
    """One concrete student on one date on whom the two policies answer differently."""

    facts: dict
    on: _dt.date
    a: SideAnswer
    b: SideAnswer
    mismatch: str | None = None  # the engine disagreed with the solver's model: a bug, said here

    @property
    def pair(self) -> tuple:
        return (self.a.predicted, self.b.predicted)

    def to_dict(self) -> dict:
        return {"on": self.on.isoformat(), "facts": self.facts, "a": self.a.to_dict(), "b": self.b.to_dict(),
                "mismatch": self.mismatch}


@attrs.frozen
class Comparison:
    """Where two policies differ on one question: a minimal student per pair of outcomes, or a proof of none."""

    question: str
    names: tuple  # the two sides' names
    start: _dt.date
    end: _dt.date
    students: tuple
    bounds: tuple  # what the search assumed (docs/compliance.md §3)
    unsupported: tuple = ()  # what could not be translated: then no proof is claimed

    @property
    def differ(self) -> bool:
        return bool(self.students)

    @property
    def proved_same(self) -> bool:
        """No student in the modelled domain gets different outcomes (z3 found none: unsat)."""
        return not self.students and not self.unsupported

    @property
    def mismatches(self) -> tuple:
        return tuple(s for s in self.students if s.mismatch)

    def to_dict(self) -> dict:
        return {"question": self.question, "a": self.names[0], "b": self.names[1], "from": self.start.isoformat(),
                "to": self.end.isoformat(), "proved_same": self.proved_same,
                "students": [s.to_dict() for s in self.students], "bounds": list(self.bounds),
                "unsupported": list(self.unsupported)}


BOUNDS = (
    "facts: each given or not; numbers exact and not negative; date facts in 1980–2040",
    "places: codes with the hierarchy as constraints; township names (not codes) not tried",
    "calendar and working-day functions: exact over the dates searched ± 400 days, from each policy's own calendar",
    "students whose facts a question declares contradictory, or who divide by 0, are left out; no exception asked for",
)


def _segments(a: Policy, b: Policy, start: _dt.date, end: _dt.date) -> list:
    """The spans of [start, end] in which neither side's parameters change."""
    cuts = sorted({d for p in (a, b) for d in p._eras if start < d <= end})
    bounds = [start] + cuts
    return [(s, (cuts[i] - _dt.timedelta(days=1)) if i < len(cuts) else end) for i, s in enumerate(bounds)]


def counterexamples(a: Policy, b: Policy, question: str, *, on=None, start=None, end=None, names=None,
                    decided_only: bool = False, timeout_ms: int = 60000) -> Comparison:
    """For each pair of different outcomes, a minimal student on whom ``a`` and ``b`` answer ``question`` so.

    ``on`` fixes the date; otherwise the date lies in ``start`` … ``end`` (default: the school year,
    1 September to 31 August, that contains today, within both regulations' force). With
    ``decided_only`` neither answer may be ``undetermined`` (a student who gave every fact read).
    Every student is run through the engine on both sides; a disagreement with the solver is
    kept in ``Student.mismatch`` (a bug in the engine or in this translation).
    """
    z3 = _z3()
    from ..evaluate import day_of

    names = tuple(names or (a.id, b.id))
    if on is not None:
        start = end = day_of(on)
    else:
        today = day_of(None)
        sy = _dt.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        start = day_of(start) if start is not None else sy
        end = day_of(end) if end is not None else _dt.date(sy.year + 1, 8, 31)
    lo = max(start, a.effective_from, b.effective_from)
    hi = min([end] + [p.effective_until - _dt.timedelta(days=1) for p in (a, b) if p.effective_until])
    if lo > hi:
        raise DateError(f"no date from {start.isoformat()} to {end.isoformat()} on which both regulations are in force")
    for p in (a, b):
        p.question(question)
    students: list[Student] = []
    found: set = set()
    unsupported: list = []
    notes: set = set()
    for seg_lo, seg_hi in _segments(a, b, lo, hi):
        dom = Domain(z3, seg_lo, seg_hi)
        try:
            sa, sb = Side(dom, a, question, seg_lo), Side(dom, b, question, seg_lo)
            oa, ob = sa.outcome(), sb.outcome()
            excluded = sa.contradictions() + sb.contradictions()
        except Unsupported as exc:
            unsupported.append(str(exc))
            continue
        dom.finish()
        notes |= dom.notes
        base = list(dom.constraints) + [z3.Not(x) for x in excluded]
        if decided_only:
            und = OUTCOME_CODES.index("undetermined")
            base += [oa != und, ob != und]
        solver = z3.Solver()
        solver.set("timeout", timeout_ms)
        solver.add(base)
        solver.add(oa != ob)
        solver.add([z3.Not(z3.And(oa == OUTCOME_CODES.index(x), ob == OUTCOME_CODES.index(y))) for x, y in found])
        while True:
            result = solver.check()
            if result == z3.unknown:
                unsupported.append(f"the solver gave up ({solver.reason_unknown()}) from {seg_lo.isoformat()}")
                break
            if result != z3.sat:
                break
            m = solver.model()
            pair = (OUTCOME_CODES[m.eval(oa).as_long()], OUTCOME_CODES[m.eval(ob).as_long()])
            found.add(pair)
            solver.add(z3.Not(z3.And(oa == OUTCOME_CODES.index(pair[0]), ob == OUTCOME_CODES.index(pair[1]))))
            model = _minimal(z3, dom, base + [oa == OUTCOME_CODES.index(pair[0]), ob == OUTCOME_CODES.index(pair[1])],
                             timeout_ms) or m
            students.append(_student(dom, model, a, b, question, pair, sa, sb))
    order = {o: i for i, o in enumerate(OUTCOME_CODES)}
    students.sort(key=lambda s: ("undetermined" in s.pair, order[s.pair[0]], order[s.pair[1]]))
    return Comparison(question, names, lo, hi, tuple(students), BOUNDS + tuple(sorted(notes)), tuple(unsupported))


def _minimal(z3, dom: Domain, constraints: list, timeout_ms: int):
    """The model with the fewest facts given, then whole numbers where they will do, then the
    smallest numbers, then the earliest date: each a binary search with the plain solver (z3's
    Optimize is far slower on these formulas), fixing each minimum before the next."""
    s = z3.Solver()
    s.set("timeout", timeout_ms)
    s.add(constraints)
    if s.check() != z3.sat:
        return None
    model = s.model()
    given, ints, reals = [], [], []
    for path, (g, v) in dom.facts.items():
        given.append(z3.If(g, 1, 0))
        kind = FACTS[path].kind
        if kind == "int":
            ints.append(z3.If(g, v, 0))
        elif kind == "number":
            reals.append((g, v))

    def value(term):
        return model.eval(term, model_completion=True).as_long()

    def descend(term, lo: int):
        nonlocal model
        best = value(term)
        while lo < best:
            mid = (lo + best) // 2
            s.push()
            s.add(term <= mid)
            if s.check() == z3.sat:
                model = s.model()
                best = value(term)
                s.pop()
            else:
                s.pop()
                lo = mid + 1
        s.add(term == best)

    descend(z3.Sum(given) if given else z3.IntVal(0), 0)
    numbers = list(ints)
    if reals:  # 211 rather than 421/2 where a whole number will do
        s.push()
        s.add([z3.Implies(g, z3.IsInt(v)) for g, v in reals])
        if s.check() == z3.sat:
            model = s.model()
            numbers += [z3.If(g, z3.ToInt(v), 0) for g, v in reals]
        else:
            s.pop()
    if numbers:
        descend(z3.Sum(numbers), 0)
    descend(dom.T.o, dom.lo.toordinal())
    return model


# -- from a model to a student --------------------------------------------------------------------


def _student(dom: Domain, m, a: Policy, b: Policy, question: str, pair: tuple, sa: Side, sb: Side) -> Student:
    z3 = dom.z3
    on = _dt.date.fromordinal(m.eval(dom.T.o, model_completion=True).as_long())
    flat: dict[str, Any] = {}
    place_groups = set(dom.places)
    for path, (g, v) in dom.facts.items():
        group = path.rsplit(".", 1)[0]
        if group in place_groups:
            continue
        if not z3.is_true(m.eval(g, model_completion=True)):
            continue
        spec = FACTS[path]
        if spec.kind == "bool":
            flat[path] = z3.is_true(m.eval(v, model_completion=True))
        elif spec.kind in ("int", "number"):
            x = m.eval(v, model_completion=True)
            frac = x.as_fraction() if z3.is_rational_value(x) else Fraction(x.as_long())
            flat[path] = int(frac) if frac.denominator == 1 else f"{frac.numerator}/{frac.denominator}"
        elif spec.kind == "date":
            flat[path] = _dt.date.fromordinal(m.eval(v.o, model_completion=True).as_long()).isoformat()
        elif spec.kind == "enum":
            flat[path] = dom.text_of(m.eval(v, model_completion=True).as_long())
        elif spec.kind == "text":
            n = m.eval(v, model_completion=True).as_long()
            flat[path] = dom.text_of(n) if n > 0 else "其他"
        elif spec.kind == "enum_list":
            flat[path] = [c for c, bit in v.items() if z3.is_true(m.eval(bit, model_completion=True))]
    try:
        for group, place in _places_of(dom, m, (a, b)).items():
            flat[group] = place
    except _places.PlaceError as exc:
        mismatch = f"no real place fits the solver's model: {exc.message}"
        return Student(_nest(flat), on, SideAnswer(pair[0], None, None, None, predicted=pair[0]),
                       SideAnswer(pair[1], None, None, None, predicted=pair[1]), mismatch)
    facts = _nest(flat)
    answers = [_answer(p, question, facts, on, predicted) for p, predicted in zip((a, b), pair)]
    mismatch = None
    wrong = [f"{side}: the engine answers {ans.outcome}, the solver predicted {ans.predicted}"
             for side, ans in zip(("a", "b"), answers) if ans.outcome != ans.predicted]
    if wrong:
        mismatch = "; ".join(wrong)
    return Student(facts, on, answers[0], answers[1], mismatch)


def _answer(policy: Policy, question: str, facts: dict, on: _dt.date, predicted: str) -> SideAnswer:
    from ..compare import deciding_rule
    from ..evaluate import evaluate

    try:
        d = evaluate(policy, question, facts, on)
    except XuejiError as exc:
        return SideAnswer(f"error: {str(exc).splitlines()[0]}", None, None, None, predicted=predicted)
    r = deciding_rule(d)
    return SideAnswer(d.outcome, r.id if r else None, r.article if r else None, r.quote if r else None,
                      tuple(x.id for x in d.rules if x.status == "failed"), predicted)


def _nest(flat: dict) -> dict:
    out: dict = {}
    for path in sorted(flat, key=lambda p: list(FACTS).index(p) if p in FACTS else -1):
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = flat[path]
    return out


def _places_of(dom: Domain, m, policies) -> dict:
    """Real GB/T 2260 codes for the solver's abstract places: equal values the same code, different ones different codes."""
    z3 = dom.z3
    table = _places.table()
    preferred = []  # the policies' own jurisdictions, the nearest layer first
    for p in policies:
        for layer in reversed(p.layers):
            code = layer.jurisdiction_code
            if code in table and table[code].current and code not in preferred:
                preferred.append(code)
    chosen: dict = {}  # (level, abstract value) -> code
    used: set = set()
    for codes in dom.place_literals.values():
        used |= set(codes)

    def children(level: str, parent: str | None) -> list:
        rows = [d for d in table.values() if d.current and _places._at_level(d, level)]
        if level == "province":
            rows = [d for d in rows if d.code[:2] not in ("11", "12", "31", "50", "71", "81", "82")]
        elif level == "city":
            rows = [d for d in rows if d.province == parent and d.code != d.province
                    and d.kind not in ("不设区的地级市",) and not d.code[2:4] == "90"]
        else:
            rows = [d for d in rows if _places._levels_of(d).get("city") == parent and d.level == 3]
        rank = {c: i for i, c in enumerate(preferred)}

        def key(d):
            hits = [rank[c] for c in rank if c.startswith(d.code[:{"province": 2, "city": 4, "county": 6}[level]])]
            return (min(hits) if hits else len(rank), d.code)

        return [d.code for d in sorted(rows, key=key)]

    def code_for(level: str, value: int, parent: str | None) -> str:
        if value >= 0:
            return f"{value:06d}"
        key = (level, value)
        if key not in chosen:
            pick = next((c for c in children(level, parent) if c not in used), None)
            if pick is None:
                raise _places.PlaceError("place_unknown", f"no {level} left to stand for a place of the model")
            chosen[key] = pick
            used.add(pick)
        return chosen[key]

    out = {}
    sub: dict = {}
    for group, levels in sorted(dom.places.items()):
        place: dict = {}
        given = {k: z3.is_true(m.eval(g, model_completion=True)) for k, (g, v) in levels.items()}
        value = {k: m.eval(v, model_completion=True).as_long() for k, (g, v) in levels.items()}
        if not any(given.values()):
            continue
        parent = None
        for level in _places.DIVISION_LEVELS:
            if given[level]:
                code = code_for(level, value[level], parent)
                implied = _places._levels_of(_places.division(code))
                parent = implied.get(level, code)
                place[level] = code
        for level in ("township", "school_district"):
            if given[level]:
                key = (place["county"], level, value[level])
                if key not in sub:
                    n = 1 + sum(1 for k in sub if k[:2] == key[:2])
                    sub[key] = f"{place['county']}{n:03d}" if level == "township" else f"学区{n}"
                place[level] = sub[key]
        finest = next(k for k in ("county", "city", "province") if k in place)
        if "school_district" in place:
            out[group] = {"county": place["county"], "school_district": place["school_district"]}
            if "township" in place:  # a 9-digit township code names its county
                out[group] = {"township": place["township"], "school_district": place["school_district"]}
        elif "township" in place:
            out[group] = place["township"]  # a 9-digit township code names its county, city and province
        else:
            out[group] = place[finest]  # one code names the coarser levels too
    return out


# -- a cross-check without the solver --------------------------------------------------------------


def random_differences(a: Policy, b: Policy, question: str, on, n: int = 2000, seed: int = 0) -> set:
    """Pairs of outcomes found by running both sides on random students (a cross-check of the solver, not a proof).

    Facts are drawn from the values the two questions compare them with (each threshold, one
    below and one above), enums from their codes, and left out half of the time.
    """
    from ..evaluate import evaluate

    rng = random.Random(seed)
    day = on if isinstance(on, _dt.date) else _dt.date.fromisoformat(str(on))
    paths: set = set()
    for p in (a, b):
        q = p.question(question)
        paths |= {f for r in q.rules for f in r.facts}
    numbers = sorted({Fraction(v) for p in (a, b) for v in p.parameters_on(day).values()
                      if isinstance(v, (int, Fraction)) and not isinstance(v, bool)})
    candidates = sorted({max(0, int(x) + d) for x in numbers for d in (-1, 0, 1)} | {0, 1, 2, 6, 9, 12})
    places = _sample_places((a, b))
    groups = sorted({p.rsplit(".", 1)[0] for p in paths if FACTS[p].kind == "division"})
    pairs = set()
    for _ in range(n):
        flat: dict = {}
        for group in groups:
            if rng.random() < 0.7:
                flat[group] = rng.choice(places)
        for path in sorted(paths):
            spec = FACTS[path]
            if rng.random() < 0.5 or spec.kind in ("division", "text"):
                continue
            if spec.kind == "bool":
                flat[path] = rng.random() < 0.5
            elif spec.kind in ("int", "number"):
                flat[path] = rng.choice(candidates)
            elif spec.kind == "enum":
                flat[path] = rng.choice(sorted(spec.choices))
            elif spec.kind == "enum_list":
                flat[path] = [c for c in sorted(spec.choices) if rng.random() < 0.5]
            elif spec.kind == "date":
                flat[path] = (day - _dt.timedelta(days=rng.choice((0, 1, 30, 200, 365, 366, 3000, 5000)))).isoformat()
        facts = _nest(flat)
        try:
            oa = evaluate(a, question, facts, day).outcome
            ob = evaluate(b, question, facts, day).outcome
        except XuejiError:
            continue
        if oa != ob:
            pairs.add((oa, ob))
    return pairs


def _sample_places(policies) -> list:
    """Places near the policies' jurisdictions: each jurisdiction, its province, counties of its city, a
    neighbouring city, another province, and townships and school districts inside one county."""
    table = _places.table()
    out: list = []
    for p in policies:
        for layer in p.layers:
            code = layer.jurisdiction_code
            d = table.get(code)
            if d is None or not d.current:
                continue
            levels = _places._levels_of(d)
            out += [levels["province"], code]
            city = levels.get("city", code)
            counties = sorted(c for c, r in table.items() if r.current and r.level == 3
                              and _places._levels_of(r).get("city") == city)[:2]
            cities = sorted(c for c, r in table.items() if r.current and r.level == 2 and r.province == levels["province"]
                            and c != city)[:1]
            out += counties + cities
            if counties:
                out += [counties[0] + "001", counties[0] + "002", {"county": counties[0], "school_district": "学区1"},
                        {"county": counties[0], "school_district": "学区2"}]
    out += ["130000", "130102"]
    unique = []
    for x in out:
        if x not in unique:
            unique.append(x)
    return unique


# -- an earlier version from git ------------------------------------------------------------------


def policy_at_revision(region: str, rev: str):
    """(Policy, temporary folder) of ``region``'s policy as committed at git revision ``rev``.

    The policy roots' folder holding the region is read from git (``git archive``) into a
    temporary folder, so a layer's parent is read at the same revision. The caller removes
    the folder (``shutil.rmtree``) when done.
    """
    import io
    import subprocess
    import tarfile
    import tempfile
    from pathlib import Path

    from ..load import Registry
    from ..locate import find, policy_roots_given

    found = find(region)
    if found is None:
        raise XuejiError(f"no policy '{region}' in the policy roots")
    root = found[0]
    for _ in region.split("/"):
        root = root.parent
    try:
        top = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, check=True).stdout.strip()
        rel = root.relative_to(Path(top).resolve())
        data = subprocess.run(["git", "-C", top, "archive", "--format=tar", rev, "--", str(rel) or "."],
                              capture_output=True, check=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError, ValueError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        detail = detail.decode("utf-8", "replace").strip().splitlines()[:1] if isinstance(detail, bytes) else [str(detail)]
        raise XuejiError(f"cannot read {region} at git revision {rev!r}"
                         + (f": {detail[0]}" if detail and detail[0] else "")
                         + " (the policy folder must be in a git working copy)") from None
    tmp = Path(tempfile.mkdtemp(prefix="xueji-since-"))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(tmp, filter="data")
    old_root = tmp / rel
    if not (old_root / region / "policy.yaml").is_file():
        raise XuejiError(f"{region} has no policy.yaml at git revision {rev!r}")
    with policy_roots_given(str(old_root)):
        policy = Registry().get(old_root / region)
    return policy, tmp


# -- output ---------------------------------------------------------------------------------------


def facts_text(facts: dict, prefix: str = "") -> str:
    """``student.stage=junior; absence.class_hours_missed=211`` — a student on one line."""
    parts = []
    for key, value in facts.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and not (GROUPS.get(path) is Place):
            parts.append(facts_text(value, path + "."))
        elif isinstance(value, list):
            parts.append(f"{path}=[{', '.join(map(str, value))}]")
        elif isinstance(value, dict):
            parts.append(f"{path}={{{', '.join(f'{k}: {v}' for k, v in value.items())}}}")
        else:
            parts.append(f"{path}={str(value).lower() if isinstance(value, bool) else value}")
    return "; ".join(p for p in parts if p)


def _side_cell(ans: SideAnswer) -> str:
    head = f"{ans.outcome} {OUTCOMES.get(ans.outcome, '')}".strip()
    if ans.rule:
        head += f"\n{ans.rule}\n{ans.article}"
    return head


def render_text(c: Comparison, width: int = 40) -> str:
    from .._width import table

    lines = [f"{c.question}: {c.names[0]} ⟷ {c.names[1]}, "
             + (f"on {c.start.isoformat()}" if c.start == c.end else f"{c.start.isoformat()} … {c.end.isoformat()}")]
    if c.unsupported:
        lines.append("not searched (so nothing is proved): " + "; ".join(c.unsupported))
    if not c.students:
        lines.append("no student gets a different answer"
                     + (" — proved by z3 over the modelled domain (xueji compare --help: what it assumes)"
                        if c.proved_same else ""))
        return "\n".join(lines) + "\n"
    rows = [[str(i), s.on.isoformat(), facts_text(s.facts).replace("; ", "\n"), _side_cell(s.a), _side_cell(s.b)]
            for i, s in enumerate(c.students, 1)]
    lines.append(table(["#", "date", "student (facts given; all others not given)", c.names[0], c.names[1]], rows,
                       max_width=max(width, 44)))
    for i, s in enumerate(c.students, 1):
        if s.mismatch:
            lines.append(f"BUG in student {i}: {s.mismatch}")
    lines.append(f"{len(c.students)} kinds of students get different answers; each is minimal (fewest facts, "
                 "smallest numbers, earliest date) and was checked with the engine on both sides")
    return "\n".join(lines) + "\n"


def render_markdown(c: Comparison) -> str:
    def md(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", "<br>")

    out = [f"### {c.question}: {md(c.names[0])} ⟷ {md(c.names[1])}", ""]
    if not c.students:
        out.append("No student gets a different answer" + (" (proved by z3 over the modelled domain)." if c.proved_same else "."))
        return "\n".join(out) + "\n"
    out += [f"| # | date | student | {md(c.names[0])} | {md(c.names[1])} |", "| --- | --- | --- | --- | --- |"]
    for i, s in enumerate(c.students, 1):
        out.append(f"| {i} | {s.on.isoformat()} | {md(facts_text(s.facts))} | {md(_side_cell(s.a))} | {md(_side_cell(s.b))} |")
    return "\n".join(out) + "\n"


def case_file(c: Comparison, regions: tuple, case_dir) -> str:
    """A cross-region case file (tests/cross_region format) with a case per student, ``want`` from each side's answer.

    ``regions`` are the keys for the two sides as a case file names them (a bundled region name, or a
    folder relative to the case file); None for a side that cannot be named (an earlier git revision):
    its answer is then only said in the note.
    """
    import yaml

    cases = []
    for s in c.students:
        note = (f"{c.names[0]}: {s.a.outcome}（{s.a.article or '无条文'}） / "
                f"{c.names[1]}: {s.b.outcome}（{s.b.article or '无条文'}）")
        want = {}
        for key, ans in zip(regions, (s.a, s.b)):
            if key is not None:
                want[key] = {"outcome": ans.outcome, "failed": list(ans.failed), "why": ans.article}
        cases.append({"note": note, "on": s.on, "facts": s.facts, "want": want})
    doc = {"question": c.question, "regions": [r for r in regions if r is not None], "cases": cases}
    head = (f"# 反例学生 (counter-example students): {c.names[0]} ⟷ {c.names[1]}, {c.question}\n"
            "# written by `xueji compare --students`: each case is a minimal student on whom the two answer\n"
            "# differently; `want` is each side's answer as the engine gave it. Check each against its article.\n")
    return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, default_flow_style=None, width=120)


def _case_key(policy: Policy, case_dir) -> str:
    """How a case file names a policy: its region name when it is a bundled one, else its folder relative to the file."""
    import os
    from pathlib import Path

    from ..locate import bundled_root

    folder = Path(policy.folder).resolve()
    root = bundled_root().resolve()
    if folder.is_relative_to(root):
        return folder.relative_to(root).as_posix()
    return os.path.relpath(folder, Path(case_dir).resolve())


# -- the command line: `xueji compare A B --question Q --students` ------------------------------------


EXAMPLES = (
    "  xueji compare jiangsu shandong --question suspension --students --on 2025-03-03\n"
    "  xueji compare shandong shandong/jinxiang --question transfer --students --on 2025-03-03 --decided\n"
    "  xueji compare nanchang --since HEAD --question transfer --students --from 2024-09-01 --to 2025-08-31\n"
    "  xueji compare jiangsu --before old/jiangsu/ --question suspension --students --cases my-cases/\n"
)


def add_compare_arguments(parser) -> None:
    """The flags of `xueji compare` for counter-example students (docs/compliance.md §3)."""
    g = parser.add_argument_group(
        "counter-example students (§3; needs z3: " + INSTALL_HINT + ")",
        "For two regions (or one region and --since/--before) and --question: a minimal student for each\n"
        "pair of different outcomes, with the rule and article deciding each side, checked with the engine;\n"
        "or a proof (z3) that no student gets a different answer. Assumed: facts given or not, numbers exact\n"
        "and not negative, date facts in 1980-2040, places as codes in their hierarchy, the school calendar\n"
        "and working days exact over the dates searched, no contradictory facts, no exception asked for.")
    g.add_argument("--students", action="store_true", help="find the students on whom the two answer differently")
    g.add_argument("--since", metavar="GIT-REV", help="compare the region with its policy as committed at GIT-REV")
    g.add_argument("--before", metavar="DIR", help="compare the region with an earlier version in the policy folder DIR")
    g.add_argument("--from", dest="start", metavar="DATE", help="search dates from DATE (default: 1 September of this school year)")
    g.add_argument("--to", dest="end", metavar="DATE", help="search dates up to DATE (default: 31 August next)")
    g.add_argument("--decided", action="store_true", help="leave out students on whom either side is undetermined")
    g.add_argument("--cases", metavar="DIR", help="write the students as a cross-region case file under DIR/cross_region/")


def run_students(args, out, err, stdin) -> int:
    """`xueji compare … --students`: the counter-example table (or JSON, Markdown), and case files."""
    import json
    import shutil
    from pathlib import Path

    from ..cli import UsageError
    from ..compare import load_regions
    from ..evaluate import day_of
    from ..load import Registry

    if not args.question:
        raise UsageError("--students needs --question: which question to compare")
    if args.facts:
        raise UsageError("--students finds the facts itself; leave out --facts")
    versions = bool(args.since) + bool(args.before)
    if versions > 1:
        raise UsageError("give --since or --before, not both")
    if versions and len(args.regions) != 1:
        raise UsageError("--since/--before compare one region with its earlier version: name one region")
    if not versions and len(args.regions) != 2:
        raise UsageError("--students compares two regions (or one region with --since or --before)")
    if args.on and (args.start or args.end):
        raise UsageError("give --on, or --from/--to, not both")
    _z3()
    tmp = None
    try:
        if versions:
            (new,) = load_regions(args.regions)
            name = args.regions[0]
            if args.since:
                old, tmp = policy_at_revision(name, args.since)
                names = (f"{name}@{args.since}", name)
            else:
                folder = Path(args.before)
                if not (folder / "policy.yaml").is_file():
                    raise UsageError(f"--before: {folder} holds no policy.yaml")
                old = Registry().get(folder)
                names = (f"{name} ({folder})", name)
            a, b = old, new
        else:
            a, b = load_regions(args.regions)
            names = tuple(args.regions)
        c = counterexamples(a, b, args.question, on=day_of(args.on) if args.on else None,
                            start=args.start, end=args.end, names=names, decided_only=args.decided)
        if args.cases:
            case_dir = Path(args.cases)
            if case_dir.name != "cross_region":
                case_dir = case_dir / "cross_region"
            case_dir.mkdir(parents=True, exist_ok=True)
            keys = (None if args.since else _case_key(a, case_dir), _case_key(b, case_dir))
            stem = "-".join(p.id.replace("/", "_") for p in (a, b)) if not versions else f"{b.id.replace('/', '_')}-amendment"
            target = case_dir / f"{stem}-{args.question}.yaml"
            target.write_text(case_file(c, keys, case_dir), encoding="utf-8")
            err.write(f"wrote {target} ({len(c.students)} cases)\n")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.format == "json":
        out.write(json.dumps(c.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n")
    elif args.format == "markdown":
        out.write(render_markdown(c))
    else:
        out.write(render_text(c, width=max(8, args.width)))
    return 3 if c.mismatches else 0
