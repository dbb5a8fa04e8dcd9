"""Hypothesis strategies for facts: well-formed facts from the vocabulary, and arbitrary junk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

from xueji_rules.facts.vocabulary import FACTS, GROUPS, FactSpec

PLACES = ["江苏省", "泰州市", "海陵区", "姜堰区", "兴化市", "Taizhou"]
#: division codes that agree with one another at every level (江苏省泰州市 and three of its counties)
DIVISIONS = {"province": ["320000"], "city": ["321200"], "county": ["321202", "321204", "321281"]}


def fact_value(spec: FactSpec) -> st.SearchStrategy:
    """A valid value of one fact, in the plain JSON-ready form a client would send."""
    kind = spec.kind
    if kind == "int":
        return st.integers(min_value=spec.minimum, max_value=min(spec.maximum, spec.minimum + 2000))
    if kind == "number":
        top = min(spec.maximum, spec.minimum + 2000)
        whole = st.integers(min_value=spec.minimum, max_value=top)
        exact = st.fractions(min_value=spec.minimum, max_value=top, max_denominator=12).map(
            lambda f: f.numerator if f.denominator == 1 else f"{f.numerator}/{f.denominator}")
        return st.one_of(whole, exact)
    if kind == "bool":
        return st.booleans()
    if kind == "text":
        return st.sampled_from(PLACES)
    if kind == "date":
        return st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2035, 12, 31)).map(dt.date.isoformat)
    if kind == "enum":
        return st.sampled_from(sorted(spec.choices))
    if kind == "enum_list":
        return st.lists(st.sampled_from(sorted(spec.choices)), max_size=4, unique=True)
    if kind == "division":
        return st.sampled_from(DIVISIONS[spec.path.rsplit(".", 1)[1]])
    raise AssertionError(kind)


def nest(flat: dict) -> dict:
    """{"a.b": 1} -> {"a": {"b": 1}}."""
    out: dict = {}
    for path, value in flat.items():
        node = out
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return out


@st.composite
def facts_for(draw, paths, fixed: dict | None = None) -> dict:
    """A nested facts dict giving some of ``paths`` (each may be left out), plus ``fixed`` values."""
    flat = {}
    for path in paths:
        if draw(st.booleans()):
            flat[path] = draw(fact_value(FACTS[path]))
    flat.update(fixed or {})
    for path in list(flat):
        group, _, leaf = path.rpartition(".")
        if leaf in ("township", "school_district") and group + ".county" in FACTS and group + ".county" not in flat:
            flat[group + ".county"] = "321202"  # a township name or district id is read inside its county
    return nest(flat)


def any_facts(max_paths: int = 12) -> st.SearchStrategy:
    """Valid facts over the whole vocabulary: a random handful of facts with valid values."""
    return st.lists(st.sampled_from(sorted(FACTS)), max_size=max_paths, unique=True).flatmap(facts_for)


def dates_between(start: dt.date, end: dt.date) -> st.SearchStrategy:
    return st.dates(min_value=start, max_value=end)


_SEGMENTS = sorted({part for path in list(FACTS) + list(GROUPS) for part in path.split(".") if part})
_AWKWARD_TEXT = [
    "2025-02-30", "2025/03/01", "2025-03-01T20:00:00Z", "9999-12-31T23:00:00-05:00", "1/0", "5%", "%",
    "三分之一", "十分之", "初中", "junior", "-1", "1e400", "nan", "", " ", "true",
]
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(_AWKWARD_TEXT),
    st.dates().map(dt.date.isoformat),
    st.datetimes(timezones=st.just(dt.timezone(dt.timedelta(hours=-11)))),
    st.fractions(max_denominator=7).map(Fraction),
)
_KEYS = st.one_of(st.sampled_from(_SEGMENTS), st.text(max_size=8), st.integers(min_value=-2, max_value=2))


def junk_facts() -> st.SearchStrategy:
    """Anything a caller might pass as facts: nested dicts and lists of any values, real keys and not."""
    tree = st.recursive(
        _LEAVES,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=4),
        max_leaves=16,
    )
    return st.one_of(st.dictionaries(_KEYS, tree, max_size=5), tree, any_facts())


# -- adversarial facts (the fuzz suite, tests/test_fuzz.py; benchmarks/fuzz.py does the same without Hypothesis) --

#: Personal data typed where it does not belong: an error must never echo it.
CANARIES = ["张伟 320102200503071234", "李娜", "320102200503071234", "Wáng Fāng", "13912345678", "王小明（初二3班）"]
#: Numbers that are not numbers, or too big or too small to be any fact.
AWKWARD_NUMBERS = [
    Decimal("Infinity"), Decimal("-Infinity"), Decimal("NaN"), Decimal("sNaN"), Decimal("1e999999999"),
    Decimal("-1e999999999"), Decimal("1e-999999999"), Decimal("0E-999999999"), Decimal("230.000000000000000001"),
    float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 5e-324, 10**400, -(10**400), 10**18, -1, 0,
    Fraction(1, 10**30), Fraction(10**30, 7), "1e999999999", "1e5000", "9" * 16, "0." + "1" * 13, "-0", "1/0",
    "三分之零", "百百分之一", "１２３", "٣",
]
#: Text that is odd in every way a reader might trip on: controls, surrogates, zero-width, bidi, huge.
ODD_TEXT = [
    "\x00", "\x07bell", "a\nb", "\ud800", "\udfff\ud800", "\u200b", "\u202e2025-03-01", "2025-03-01\x00",
    "２０２５-０３-０１", "2025-03-01T25:00:00", "9999-12-31T23:59:59-23:59", "0000-00-00", " 230 ", "x" * 100_000,
    "初中\u3000", "{}", "[]", "null", "true", "None", "%s%n", "../../etc/passwd",
]


def _deep(depth: int, leaf):
    node = leaf
    for i in range(depth):
        node = {"a": node} if i % 2 else [node]
    return node


def wrong_value() -> st.SearchStrategy:
    """A value of any kind, mostly wrong for any fact: canaries, awkward numbers, odd text, deep nesting."""
    return st.one_of(
        st.sampled_from(CANARIES),
        st.sampled_from(AWKWARD_NUMBERS),
        st.sampled_from(ODD_TEXT),
        st.text(alphabet=st.characters(exclude_categories=()), max_size=12),
        st.integers(),
        st.floats(),
        st.decimals(),
        st.fractions(),
        st.booleans(),
        st.dates(),
        st.datetimes(timezones=st.sampled_from([None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=-11))])),
        st.lists(st.sampled_from(CANARIES + ["hospital_diagnosis", 1, None]), max_size=4),
        st.dictionaries(st.sampled_from(["province", "county", "x", "张伟"]), st.sampled_from(CANARIES + ["320106"]),
                        max_size=3),
        st.tuples(st.integers(1, 600), st.sampled_from(CANARIES)).map(lambda t: _deep(*t)),
    )


#: Keys that are not in the vocabulary, made from one that is.
_MISSPELT = [lambda k: k + "s", lambda k: k[:-1], lambda k: k.upper(), lambda k: "张伟", lambda k: "\ud800",
             lambda k: "x" * 1000, lambda k: k + "\x00", lambda k: 7]


@st.composite
def adversarial_facts(draw, max_paths: int = 6) -> dict:
    """Facts over the vocabulary's real paths with wrong kinds, awkward numbers, odd text, deep nesting and
    misspelt keys, mixed with valid values so that readers get past the first fact."""
    flat: dict = {}
    for path in draw(st.lists(st.sampled_from(sorted(FACTS)), max_size=max_paths, unique=True)):
        value = draw(st.one_of(fact_value(FACTS[path]), wrong_value()))
        if draw(st.integers(0, 9)) == 0:
            group, _, leaf = path.rpartition(".")
            key = draw(st.sampled_from(_MISSPELT))(leaf)
            path = (group, key)
        flat[path] = value
    out: dict = {}
    for path, value in flat.items():
        parts = path.split(".") if isinstance(path, str) else (path[0].split(".") if path[0] else []) + [path[1]]
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value
    if draw(st.integers(0, 7)) == 0:  # a whole group replaced by something that is not a mapping
        group = draw(st.sampled_from(sorted(g for g in GROUPS if g and "." not in g)))
        out[group] = draw(wrong_value())
    return out
