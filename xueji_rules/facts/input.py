"""Read facts from dicts, YAML/JSON text or attrs objects into checked, flat values.

An unknown key is an error with a "did you mean"; a value of the wrong kind or
an unreadable date is an error naming its path. A fact that is simply absent is
not an error: it makes the answer undetermined and is listed as missing.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any, Mapping

import attrs
import pendulum

from ..errors import Diagnostic, FactsError, did_you_mean
from ..places import PlaceError, read_place
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


def to_date(value: Any) -> _dt.date:
    """A date in Asia/Shanghai from a date, a datetime or ISO text (YYYY-MM-DD).

    A naive datetime, or text without a zone, is taken to be in Asia/Shanghai; an
    aware datetime is converted to Asia/Shanghai first.
    """
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            try:
                value = pendulum.instance(value).in_timezone(TIMEZONE)
            except (OverflowError, ValueError):
                # 9999-12-31T23:00-05:00 is in year 10000 in Shanghai
                raise ValueError(f"{value.isoformat()} is outside the dates that can be handled") from None
        return _dt.date(value.year, value.month, value.day)
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                return _dt.date.fromisoformat(text)
            except ValueError as exc:
                raise ValueError(f"'{text}' is not a real date ({exc})") from None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ].+", text):
            try:
                dt = pendulum.parse(text, tz=TIMEZONE)
            except Exception:
                raise ValueError(f"'{text}' is not a date-time pendulum can read") from None
            return to_date(dt)
        raise ValueError(f"'{text}' is not a date; write it as YYYY-MM-DD, e.g. 2025-03-01")
    raise ValueError(f"{value!r} is not a date; write it as YYYY-MM-DD")


def _number(value: Any) -> Fraction | int:
    if isinstance(value, bool):
        raise ValueError("a number is needed, not true/false")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        f = Fraction(str(value))
    elif isinstance(value, (Fraction, Decimal)):
        f = Fraction(value)
    elif isinstance(value, str):
        from ..conditions.parse import read_number

        try:
            f = read_number(value)
        except (ValueError, ZeroDivisionError, KeyError):
            raise ValueError(f"'{value}' is not a number") from None
    else:
        raise ValueError(f"{value!r} is not a number")
    return f.numerator if f.denominator == 1 else f


def _enum(spec: FactSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not one of the allowed values")
    choices = spec.choices or {}
    if value in choices:
        return value
    for code, zh in choices.items():
        if value == zh or value == zh.split("（")[0]:
            return code
    hint = did_you_mean(value, list(choices))
    raise ValueError(
        f"'{value}' is not an allowed value" + (f"; {hint}" if hint else "")
        + " (allowed: " + ", ".join(f"{c} {z}" for c, z in choices.items()) + ")"
    )


def convert(spec: FactSpec, value: Any):
    """Check and normalise one fact value; raise ValueError saying what is wrong."""
    kind = spec.kind
    if kind == "int":
        n = _number(value)
        if not isinstance(n, int):
            raise ValueError(f"{value!r} is not a whole number")
        return n
    if kind == "number":
        n = _number(value)
        if n < 0:
            raise ValueError(f"{value!r} is negative")
        return n
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not true or false")
        return value
    if kind == "text":
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError(f"{value!r} is not text")
        return str(value)
    if kind == "date":
        return to_date(value)
    if kind == "enum":
        return _enum(spec, value)
    if kind == "division":  # one level alone; read_facts reads a whole place with read_place
        return read_place({spec.path.rsplit(".", 1)[1]: value})[spec.path.rsplit(".", 1)[1]]
    if kind == "enum_list":
        if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
            raise ValueError(f"{value!r} is not a list")
        return frozenset(_enum(spec, v) for v in value)
    raise AssertionError(kind)


def read_facts(data: Any, *, source: str | None = None, positions=None) -> FactValues:
    """Check facts given as a nested dict (or an attrs ``Facts``) and flatten them.

    Raises FactsError with one Diagnostic per problem (unknown key, wrong type,
    bad date); ``positions`` maps paths to (line, column) when the facts came
    from a YAML file, so that errors point into it.
    """
    if isinstance(data, FactValues):
        return data
    if attrs.has(type(data)):
        data = _from_attrs(data)
    if data is None:
        data = {}
    problems: list[Diagnostic] = []
    values: dict[str, Any] = {}

    def where(path: tuple):
        if positions is None:
            return None, None
        return positions.where(path) if hasattr(positions, "where") else positions.get(path, (None, None))

    def walk(node: Any, prefix: str, ypath: tuple):
        if not isinstance(node, Mapping):
            line, col = where(ypath)
            problems.append(Diagnostic(
                "facts_type", f"'{prefix or 'facts'}' must be a mapping of facts, not {type(node).__name__}",
                source, line, col, prefix, "write it as key: value lines",
            ))
            return
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            kp = ypath + (key,)
            if path in GROUPS:
                if value is not None and GROUPS[path] is Place:
                    read_place_group(value, path, kp)
                elif value is not None:
                    walk(value, path, kp)
                continue
            spec = FACTS.get(path)
            if spec is None:
                line, col = where(kp)
                siblings = [p.rsplit(".", 1)[-1] for p in list(FACTS) + list(GROUPS) if p.rsplit(".", 1)[0] == prefix and "." in p] if prefix else [g for g in GROUPS if g and "." not in g]
                hint = did_you_mean(str(key), siblings)
                problems.append(Diagnostic(
                    "unknown_fact", f"'{path}' is not a fact in the vocabulary", source, line, col, path,
                    (hint + " " if hint else "") + "known here: " + ", ".join(sorted(set(siblings))),
                ))
                continue
            if value is None:
                continue
            try:
                values[path] = convert(spec, value)
            except ValueError as exc:
                line, col = where(kp)
                problems.append(Diagnostic("facts_type", f"{path}: {exc}", source, line, col, path,
                                           f"{path} is {spec.kind}{' (' + spec.unit + ')' if spec.unit else ''}: {spec.zh}"))

    def read_place_group(value: Any, path: str, kp: tuple):
        try:
            levels = read_place(value)
        except PlaceError as exc:
            at = f"{path}.{exc.field}" if exc.field else path
            line, col = where(kp + ((exc.field,) if exc.field and isinstance(value, Mapping) else ()))
            problems.append(Diagnostic(exc.code, f"{at}: {exc.message}", source, line, col, at, exc.hint))
            return
        for level, code in levels.items():
            values[f"{path}.{level}"] = code

    walk(data, "", ())
    if problems:
        raise FactsError("the facts are not valid", tuple(problems))
    return FactValues(values)


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


def load_facts_text(text: str, source: str = "<facts>") -> FactValues:
    """Facts from YAML or JSON text (one reader for both), errors pointing at line and column."""
    from .. import _yaml

    doc, errors = _yaml.load_text(text, source, max_chars=MAX_FACTS_CHARS)
    if errors or doc is None:
        raise FactsError("the facts file cannot be read", tuple(errors))
    return read_facts(doc.value, source=source, positions=doc)
