"""Read facts from dicts, YAML/JSON text or attrs objects into checked, flat values.

An unknown key is an error with a "did you mean"; a value of the wrong kind, a number
outside its range or an unreadable date is an error naming its path, what was expected
and the kind of value given, never the value (facts are personal data; see privacy.py).
A fact that is simply absent is not an error: it makes the answer undetermined and is
listed as missing.

Two readers apply the same checks: converters made once from the vocabulary read plain
dicts of the usual types in a couple of microseconds; anything unusual, and every
problem, goes to the general reader, which collects every diagnostic with positions.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

import attrs
import pendulum

from ..errors import Diagnostic, FactsError, did_you_mean
from ..places import PlaceError, read_place
from .privacy import ENV, SHOWN_CHARS, kind_of, printable, shown, values_shown
from .vocabulary import FACTS, GROUPS, FactSpec, Place

TIMEZONE = "Asia/Shanghai"


@attrs.frozen
class FactValues:
    """Checked facts as ``{dotted path: value}``; only the facts given are present."""

    values: Mapping[str, Any]

    def get(self, path: str, default=None):
        return self.values.get(path, default)

    def to_dict(self) -> dict:
        """The nested, JSON-ready form (dates as ISO text, lists sorted)."""
        out: dict = {}
        for path, value in self.values.items():
            node = out
            *parents, leaf = path.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = jsonable(value)
        return out


def jsonable(value):
    """A value as JSON holds it: exact numbers as whole numbers or "n/d" text, dates as
    ISO text, sets as sorted lists, tuples as lists. The one conversion every output uses."""
    if isinstance(value, frozenset):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return value


#: The longest text fact (a school's or township's name, a district id), in characters.
MAX_TEXT_CHARS = 200
#: The most items a list of codes may hold (each code counts once; the lists have at most 32).
MAX_LIST_ITEMS = 100
#: The longest text read as a date or date-time.
MAX_DATE_CHARS = 40
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ].+")
#: Control characters and lone surrogates, which no text fact may hold.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def to_date(value: Any) -> _dt.date:
    """A date in Asia/Shanghai from a date, a datetime or ISO text (YYYY-MM-DD).

    A naive datetime, or text without a zone, is taken to be in Asia/Shanghai; an
    aware datetime is converted to Asia/Shanghai first. Raises ValueError quoting the
    text: this is for the date a question is asked on; facts are read by the reader,
    whose errors quote a date only when values are shown.
    """
    return _read_date(value, True)


def _read_date(value: Any, quote: bool) -> _dt.date:
    """to_date's work; ``quote``: whether the messages quote the value (the facts reader: when values are shown)."""
    def got(what: str, text: Any) -> str:
        """``'text' is …`` when quoting, ``got … that is …`` (no value) otherwise."""
        if quote:
            said = printable(repr(text.isoformat() if isinstance(text, _dt.datetime) else text))
            return f"{said if len(said) <= SHOWN_CHARS else said[:SHOWN_CHARS - 1] + '…'} is {what}"
        return f"got {kind_of(text)} that is {what}"

    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            try:
                value = pendulum.instance(value).in_timezone(TIMEZONE)
            except (OverflowError, ValueError):
                # 9999-12-31T23:00-05:00 is in year 10000 in Shanghai
                raise ValueError(got("outside the dates that can be handled", value)) from None
        return _dt.date(value.year, value.month, value.day)
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= MAX_DATE_CHARS and _DATE.fullmatch(text):
            try:
                return _dt.date.fromisoformat(text)
            except ValueError:
                raise ValueError(got("not a real date (no such day)", text)) from None
        if len(text) <= MAX_DATE_CHARS and _DATE_TIME.fullmatch(text):
            try:
                dt = pendulum.parse(text, tz=TIMEZONE)
            except Exception:
                dt = None
            if not isinstance(dt, _dt.datetime):
                raise ValueError(got("not a date-time that can be read", text))
            return _read_date(dt, quote)
        raise ValueError(got("not a date; write it as YYYY-MM-DD, e.g. 2025-03-01", value))
    raise ValueError(got("not a date; write it as YYYY-MM-DD", value))


def _bounds(spec: FactSpec) -> str:
    unit = f" {spec.unit}" if spec.unit else ""
    return f"from {spec.minimum} to {spec.maximum}{unit}"


def expected(spec: FactSpec) -> str:
    """What a fact's value must be, in words: ``a whole number from 1 to 12 年级``."""
    kind = spec.kind
    if kind == "int":
        return f"a whole number {_bounds(spec)}"
    if kind == "number":
        return f"a number {_bounds(spec)} (exact: 230, 0.5, \"1/3\", \"5%\")"
    if kind == "bool":
        return "true or false"
    if kind == "text":
        return f"text of at most {MAX_TEXT_CHARS} characters, without control characters"
    if kind == "date":
        return "a date YYYY-MM-DD"
    if kind == "enum":
        return "one of the allowed codes"
    if kind == "enum_list":
        return f"a list of at most {MAX_LIST_ITEMS} allowed codes"
    if kind == "division":
        return "a GB/T 2260 division code"
    raise AssertionError(kind)


def _number(value: Any) -> Fraction | int:
    """An exact number from an int, a float, a Decimal, a Fraction or text; ValueError (no value quoted) otherwise.

    Floats, Decimals and text are held to read_number's bounds (at most MAX_INTEGER_DIGITS
    digits and MAX_DECIMAL_DIGITS decimals), so no value, however written, costs more than
    a few digits to read: 1e999999999 and Decimal('Infinity') are refused, never computed.
    """
    from ..conditions.parse import MAX_DECIMAL_DIGITS, MAX_INTEGER_DIGITS, read_number

    if isinstance(value, bool):
        raise ValueError("got true or false")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"got {kind_of(value)}")
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"got {kind_of(value)}")
        sign, digits, exponent = value.as_tuple()
        digits = list(digits)
        while digits and digits[-1] == 0 and exponent < 0:  # 0.50 is 0.5
            digits.pop()
            exponent += 1
        if exponent < -MAX_DECIMAL_DIGITS:
            raise ValueError(f"got a number with more than {MAX_DECIMAL_DIGITS} decimals")
        if len(digits) + exponent > MAX_INTEGER_DIGITS and any(digits):
            raise ValueError(f"got a number of more than {MAX_INTEGER_DIGITS} digits")
        f = Fraction(value)
    elif isinstance(value, Fraction):
        if value.denominator > 10**MAX_INTEGER_DIGITS:
            raise ValueError(f"got a fraction whose denominator has more than {MAX_INTEGER_DIGITS} digits")
        f = value
    elif isinstance(value, str):
        try:
            f = read_number(value)
        except (ValueError, ZeroDivisionError, KeyError, OverflowError):
            raise ValueError(f"got {shown(value)}, which is not a number of at most {MAX_INTEGER_DIGITS} digits "
                             f"and {MAX_DECIMAL_DIGITS} decimals") from None
    else:
        raise ValueError(f"got {shown(value)}")
    return f.numerator if f.denominator == 1 else f


def _enum(spec: FactSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"got {shown(value)}")
    choices = spec.choices or {}
    if value in choices:
        return str(value)
    code = _names(spec).get(value)
    if code is not None:
        return code
    hint = did_you_mean(value, list(choices)) if len(value) <= 64 else None
    raise ValueError(
        f"got {shown(value)}, which is not an allowed value" + (f"; {hint}" if hint else "")
        + " (allowed: " + ", ".join(f"{c} {z}" for c, z in choices.items()) + ")"
    )


_NAMES: dict[str, dict[str, str]] = {}


def _names(spec: FactSpec) -> dict[str, str]:
    """Each allowed code's Chinese name, with and without its bracketed part, mapped to the code."""
    names = _NAMES.get(spec.path)
    if names is None:
        names = {}
        for code, zh in reversed(list((spec.choices or {}).items())):  # the first code wins a shared name
            names[zh.split("（")[0]] = code
            names[zh] = code
        _NAMES[spec.path] = names
    return names


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"got {shown(value)}")
    if isinstance(value, int):
        if value.bit_length() > 64:
            raise ValueError(f"got {kind_of(value)}")
        value = str(value)
    if len(value) > MAX_TEXT_CHARS:
        raise ValueError(f"got {kind_of(value)}")
    if _UNPRINTABLE.search(value):
        raise ValueError(f"got text with a control character or half a surrogate pair{': ' + shown(value) if values_shown() else ''}")
    return str(value)


def convert(spec: FactSpec, value: Any):
    """Check and normalise one fact value; raise ValueError saying what is wrong (the value quoted only when shown).

    A number outside its range raises :class:`OutOfRange` (a ValueError).
    """
    kind = spec.kind
    if kind in ("int", "number"):
        n = _number(value)
        if kind == "int" and not isinstance(n, int):
            raise ValueError(f"got {shown(value)}, which is not a whole number")
        if not spec.minimum <= n <= spec.maximum:
            side = "below the minimum" if n < spec.minimum else "above the maximum"
            raise OutOfRange(f"got {shown(value) if values_shown() else 'a number'} {side}")
        return n
    if kind == "bool":
        if value is True or value is False:
            return value
        raise ValueError(f"got {shown(value)}")
    if kind == "text":
        return _text(value)
    if kind == "date":
        return _read_date(value, values_shown())
    if kind == "enum":
        return _enum(spec, value)
    if kind == "division":  # one level alone; read_facts reads a whole place with read_place
        level = spec.path.rsplit(".", 1)[1]
        try:
            return read_place({level: value})[level]
        except PlaceError as exc:
            raise ValueError(exc.detail if values_shown() else exc.message) from None
    if kind == "enum_list":
        if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
            raise ValueError(f"got {shown(value)}")
        if len(value) > MAX_LIST_ITEMS:
            raise ValueError(f"got {kind_of(value)}")
        return frozenset(_enum(spec, v) for v in value)
    raise AssertionError(kind)


class OutOfRange(ValueError):
    """A number outside its fact's range (diagnostic ``facts_range``)."""


# -- the fast path: one converter per fact, made once from the vocabulary -----------------


class _Unusual(Exception):
    """Anything the fast path does not take on trust: the general reader then reads it all again."""


def _fast_converter(spec: FactSpec):
    """A function value -> checked value for one fact: the common exact types at once, the rest by convert()."""
    kind = spec.kind

    def general(value, spec=spec):
        return convert(spec, value)

    if kind in ("int", "number"):
        low, high = spec.minimum, spec.maximum

        def number(value, low=low, high=high, general=general):
            if type(value) is int and low <= value <= high:
                return value
            return general(value)

        return number
    if kind == "bool":
        def boolean(value, general=general):
            if value is True or value is False:
                return value
            return general(value)

        return boolean
    if kind == "enum":
        codes = frozenset(spec.choices or ())

        def enum(value, codes=codes, general=general):
            if type(value) is str and value in codes:
                return value
            return general(value)

        return enum
    if kind == "enum_list":
        codes = frozenset(spec.choices or ())

        def enum_list(value, codes=codes, general=general):
            if (type(value) is list or type(value) is tuple) and len(value) <= MAX_LIST_ITEMS:
                for item in value:
                    if type(item) is not str or item not in codes:
                        return general(value)
                return frozenset(value)
            return general(value)

        return enum_list
    if kind == "date":
        dates: dict[str, _dt.date] = {}

        def date(value, dates=dates, general=general):
            if type(value) is str:
                day = dates.get(value)
                if day is None:
                    day = general(value)
                    if len(dates) < 4096:  # the same few dates come again and again
                        dates[value] = day
                return day
            if type(value) is _dt.date:
                return value
            return general(value)

        return date
    if kind == "text":
        def text(value, general=general):
            if type(value) is str and len(value) <= MAX_TEXT_CHARS and value.isprintable():
                return value
            return general(value)

        return text
    return general


def _fast_place(path: str):
    """A function value -> {path.level: code} for one place group, remembering the places it has read.

    Only a code, or a mapping of text levels, is remembered: {county: 320106.0} equals
    {county: 320106} as a key, and is left to the general reader, which refuses the float.
    """
    paths = {level: f"{path}.{level}" for level in ("province", "city", "county", "township", "school_district")}
    seen: dict = {}

    def place(value, paths=paths, seen=seen):
        if type(value) is str:
            key = value
        elif type(value) is dict:
            key = tuple(value.items())
            for _, v in key:
                if type(v) is not str:
                    raise _Unusual
        else:
            raise _Unusual
        out = seen.get(key)
        if out is None:
            # a PlaceError goes to the general reader, which reports it
            out = {paths[level]: code for level, code in read_place(value).items()}
            if len(seen) < 4096:  # a registry's students live in a few hundred places
                seen[key] = out
        return out

    return place


def _tables() -> dict[str, dict]:
    """For each group path, key -> (fact path, converter, sub-table or None); places get a place reader."""
    tables: dict[str, dict] = {g: {} for g in GROUPS}
    for path, spec in FACTS.items():
        parent, _, key = path.rpartition(".")
        if GROUPS.get(parent) is not Place:
            tables[parent][key] = (path, _fast_converter(spec), None)
    for path, cls in GROUPS.items():
        if not path:
            continue
        parent, _, key = path.rpartition(".")
        if cls is Place:
            tables[parent][key] = (path, _fast_place(path), True)
        else:
            tables[parent][key] = (path, None, tables[path])
    return tables


_TABLES = _tables()


def _read_fast(node: dict, table: dict, out: dict) -> None:
    for key, value in node.items():
        entry = table.get(key)
        if entry is None:
            raise _Unusual
        if value is None:
            continue
        path, conv, sub = entry
        if sub is None:
            out[path] = conv(value)
        elif conv is None:
            if type(value) is not dict:
                raise _Unusual
            _read_fast(value, sub, out)
        else:
            out.update(conv(value))


_new_values = object.__new__
_set = object.__setattr__


def nest_paths(items) -> dict:
    """Nested facts from ``(dotted path, value)`` pairs, as a table's columns give them.

    ``[("absence.class_hours_missed", 230)]`` → ``{"absence": {"class_hours_missed": 230}}``.
    A None value is a fact not given and is left out; a path under one that already holds a
    value is left out too (the reader then reports the value that is there).
    """
    out: dict = {}
    for path, value in items:
        if value is None:
            continue
        node = out
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if type(node) is not dict:
                break
        else:
            node[leaf] = value
    return out


def read_facts(data: Any, *, source: str | None = None, positions=None) -> FactValues:
    """Check facts given as a nested dict (or an attrs ``Facts``) and flatten them.

    Raises FactsError with one Diagnostic per problem: ``unknown_fact`` (with a "did you
    mean"), ``facts_type`` (a value of the wrong kind, or a date that does not exist),
    ``facts_range`` (a number outside its range), ``place_*``; messages name the path,
    what was expected and the kind of value given, never the value unless values are
    shown (:func:`xueji_rules.facts.privacy.show_values`, ``XUEJI_SHOW_VALUES=1``).
    ``positions`` maps paths to (line, column) when the facts came from a YAML file, so
    that errors point into it.

    Plain dicts of the usual types are read by converters made once from the vocabulary;
    anything else, and every problem, by the general reader below, so both apply the
    same checks.
    """
    if type(data) is FactValues:
        return data
    if type(data) is dict:
        values: dict[str, Any] = {}
        try:
            _read_fast(data, _TABLES[""], values)
        except Exception:  # anything unusual or wrong: the general reader says what
            pass
        else:
            fv = _new_values(FactValues)
            _set(fv, "values", values)
            return fv
    return _read_general(data, source, positions)


def _read_general(data: Any, source: str | None, positions) -> FactValues:
    if isinstance(data, FactValues):
        return data
    if attrs.has(type(data)):
        data = _from_attrs(data)
        if type(data) is dict:
            return read_facts(data, source=source, positions=positions)
    if data is None:
        data = {}
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}
    show = values_shown()

    def where(path: tuple):
        if positions is None:
            return None, None
        return positions.where(path) if hasattr(positions, "where") else positions.get(path, (None, None))

    def walk(node: Any, prefix: str, ypath: tuple):
        if not isinstance(node, Mapping):
            line, col = where(ypath)
            problems.append(Diagnostic(
                "facts_type", f"{prefix or 'facts'}: expected a mapping of facts, got {kind_of(node)}",
                source, line, col, prefix, "write it as key: value lines",
            ))
            return
        for key, value in node.items():
            name = _key_text(key)
            path = f"{prefix}.{name}" if prefix else name
            kp = ypath + (key,)
            if isinstance(key, str) and path in GROUPS:
                if value is not None and GROUPS[path] is Place:
                    read_place_group(value, path, kp)
                elif value is not None:
                    walk(value, path, kp)
                continue
            spec = FACTS.get(path) if isinstance(key, str) else None
            if spec is None:
                line, col = where(kp)
                siblings = _SIBLINGS.get(prefix, [])
                hint = did_you_mean(name, siblings) if len(name) <= 64 else None
                problems.append(Diagnostic(
                    "unknown_fact", f"'{path}' is not a fact in the vocabulary", source, line, col, path,
                    (hint + " " if hint else "") + "known here: " + ", ".join(siblings),
                ))
                continue
            if value is None:
                continue
            try:
                values[path] = convert(spec, value)
            except Exception as exc:  # ValueError says what; anything else is described, never raised on
                line, col = where(kp)
                code = "facts_range" if isinstance(exc, OutOfRange) else "facts_type"
                said = str(exc) if isinstance(exc, ValueError) else f"got {kind_of(value)}"
                hint = f"{path} is {spec.kind}{' (' + spec.unit + ')' if spec.unit else ''}: {spec.zh}"
                if not show:
                    hint += f"; to see the value, set {ENV}=1 (or xueji … --show-values)"
                problems.append(Diagnostic(code, f"{path}: expected {expected(spec)}, {said}", source, line, col,
                                           path, hint))

    def read_place_group(value: Any, path: str, kp: tuple):
        try:
            levels = read_place(value)
        except PlaceError as exc:
            field = _key_text(exc.field) if exc.field else None
            at = f"{path}.{field}" if field else path
            line, col = where(kp + ((exc.field,) if exc.field and isinstance(value, Mapping) else ()))
            message = exc.detail if show else exc.message
            problems.append(Diagnostic(exc.code, f"{at}: {message}", source, line, col, at, exc.hint))
            return
        except Exception:  # a place that cannot even be looked at
            line, col = where(kp)
            problems.append(Diagnostic("facts_type", f"{path}: expected a division code or a mapping of levels, "
                                       f"got {kind_of(value)}", source, line, col, path))
            return
        for level, code in levels.items():
            values[f"{path}.{level}"] = code

    try:
        walk(data, "", ())
    except Exception:  # a mapping that cannot even be iterated: said as such, never raised on
        problems.append(Diagnostic("facts_type", f"facts: cannot read {kind_of(data)} as facts", source, path=""))
    if problems:
        raise FactsError("the facts are not valid", tuple(problems))
    return FactValues(values)


def _key_text(key: Any) -> str:
    """A key as a path segment: printable, and cut short when absurdly long."""
    text = key if isinstance(key, str) else str(key) if isinstance(key, (int, float, bool)) or key is None else type(key).__name__
    text = printable(text)
    return text if len(text) <= 64 else text[:63] + "…"


def _siblings() -> dict[str, list[str]]:
    """The keys allowed in each group, sorted, for unknown_fact's hint."""
    out: dict[str, set] = {g: set() for g in GROUPS}
    for p in list(FACTS) + [g for g in GROUPS if g]:
        parent, _, key = p.rpartition(".")
        out[parent].add(key)
    return {g: sorted(keys) for g, keys in out.items()}


_SIBLINGS = _siblings()


def _from_attrs(obj) -> dict:
    out = {}
    for a in attrs.fields(type(obj)):
        v = getattr(obj, a.name)
        if v is None:
            continue
        out[a.name] = _from_attrs(v) if attrs.has(type(v)) else v
    return out


#: The largest facts document read, in characters: one student's facts are a few hundred.
MAX_FACTS_CHARS = 256 * 1024
#: a JSON line of facts with more opening brackets than this is refused unread (facts nest a few levels)
MAX_JSON_BRACKETS = 256


def too_deep(line: bytes) -> bool:
    """More brackets than facts ever need: the line is refused before any JSON parser sees it.

    Arrow's JSON reader recurses without a bound and crashes the process on a line nested
    some twenty thousand deep (within the line limits); a line's depth is at most its
    opening brackets, so counting them is a safe, cheap bound.
    """
    return line.count(b"{") + line.count(b"[") > MAX_JSON_BRACKETS


def load_facts_text(text: str, source: str = "<facts>") -> FactValues:
    """Facts from YAML or JSON text (one reader for both), errors pointing at line and column."""
    from .. import _yaml

    doc, errors = _yaml.load_text(text, source, max_chars=MAX_FACTS_CHARS)
    if errors or doc is None:
        raise FactsError("the facts file cannot be read", tuple(errors))
    return read_facts(doc.value, source=source, positions=doc)
