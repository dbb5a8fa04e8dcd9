"""Checking a frame's fact columns as the row path checks each fact, and typing them for the expressions.

Every column named by a fact path is checked, as ``read_facts`` checks a nested dict: each
distinct value of the column is read once by the row path's own ``convert`` (or, for a place,
``read_place``), so a value is accepted, normalised or refused exactly as it would be one row at
a time, and the answer is mapped back onto the rows with one vector replace. A refused value
leaves its row with the error's code (``facts_type``, ``facts_range``, ``place_*``), never the value.

The checked columns are typed for the expressions (``compile.py``):

* int and number facts: Int64; a number column that holds fractions (``"3/2"``) has a second
  Int64 column, its positive denominator (``path#d``), so fractions stay exact;
* bool: Boolean; enum: Polars Enum of the fact's codes; text and division codes: String;
  dates: Date;
* enum_list: List(String) of the codes (a code given twice counts once, as in the row path's
  frozenset: ``count`` and ``count_in`` take distinct items).

A column not named by a fact path or a place group is not read (an audit may carry a student
number beside the facts).
"""

from __future__ import annotations

import datetime as _dt
from fractions import Fraction

import polars as pl

from ..facts.input import MAX_LIST_ITEMS, OutOfRange, convert, _names
from ..facts.vocabulary import FACTS, GROUPS, Place
from ..places import PlaceError, read_place

_INTEGERS = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32)
LEVELS = ("province", "city", "county", "township", "school_district")
#: the Python type → Polars type of a checked fact
DTYPES = {"int": pl.Int64, "number": pl.Int64, "bool": pl.Boolean, "text": pl.String, "enum": pl.String,
          "date": pl.Date, "division": pl.String, "enum_list": pl.List(pl.String)}


def den(path: str) -> str:
    """The column of a number fact's denominator."""
    return path + "#d"


def _nulls(n: int, dtype=pl.String) -> pl.Series:
    return pl.Series("", [], dtype=dtype).extend_constant(None, n)


def mask(path: str) -> str:
    """The column of an enum_list fact's codes as bits (bit i: the i-th code of the vocabulary is listed)."""
    return path + "#m"


def _mask(series: pl.Series, spec, flat: pl.Series | None = None) -> pl.Series:
    """Each list's codes as one Int64 of bits: one pass over the flat items (NumPy), not one per test."""
    import numpy as np

    codes = list(spec.choices or ())
    lengths = series.list.len().fill_null(0).cast(pl.Int64).to_numpy()
    # every item is a code here (checked, or read by the row path's reader)
    if flat is None:
        flat = series.cast(pl.List(pl.Enum(codes))).explode(empty_as_null=False, keep_nulls=False)
    phys = flat.to_physical().cast(pl.Int64).to_numpy()
    bits = np.left_shift(np.ones(len(phys), dtype=np.int64), phys)
    out = np.zeros(len(series), dtype=np.int64)
    full = lengths > 0
    if full.any():
        starts = np.concatenate((np.zeros(1, dtype=np.int64), np.cumsum(lengths)[:-1]))[full]
        out[full] = np.bitwise_or.reduceat(bits, starts)
    return pl.Series(out).zip_with(series.is_not_null(), pl.Series([None], dtype=pl.Int64).extend_constant(None, len(series) - 1))


def place_group(path: str) -> str | None:
    """The place group a path is, or is a level of (``student.school.place``), else None."""
    if GROUPS.get(path) is Place:
        return path
    parent = path.rpartition(".")[0]
    return parent if GROUPS.get(parent) is Place else None


def _code(exc: Exception) -> str:
    if isinstance(exc, PlaceError):
        return exc.code
    return "facts_range" if isinstance(exc, OutOfRange) else "facts_type"




def _mapped(series: pl.Series, fn, dtype) -> tuple[pl.Series, pl.Series]:
    """(checked values, error codes) of a column: ``fn`` once per distinct value, then replaced row for row."""
    uniq = series.drop_nulls().unique()
    olds, news, errs = [], [], []
    for v in uniq.to_list():
        olds.append(v)
        try:
            news.append(fn(v))
            errs.append(None)
        except Exception as exc:  # the row path's reader says what is wrong: only its code is kept
            news.append(None)
            errs.append(_code(exc))
    if not olds:
        return _nulls(len(series), dtype).alias(series.name), _nulls(len(series))
    old = pl.Series(olds, dtype=series.dtype)
    value = series.replace_strict(old, pl.Series(news, dtype=dtype), default=None, return_dtype=dtype)
    error = series.replace_strict(old, pl.Series(errs, dtype=pl.String), default=None, return_dtype=pl.String)
    return value.alias(series.name), error


def _number_parts(value, spec):
    n = convert(spec, value)
    return {"n": n, "d": 1} if type(n) is int else {"n": n.numerator, "d": n.denominator}


def check(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series, list[str]]:
    """(the typed fact columns, the first error code of each row or null, the fact paths given).

    Errors are taken in the frame's column order, as the row path reports the first problem of a
    nested dict built from the row in that order.
    """
    out: dict[str, pl.Series] = {}
    errors: list[pl.Series] = []
    given: list[str] = []
    places: dict[str, list[str]] = {}
    for name in frame.columns:
        group = place_group(name)
        if group is not None:
            places.setdefault(group, []).append(name)
            continue
        spec = FACTS.get(name)
        if spec is None:
            continue
        series = frame.get_column(name)
        if series.dtype == pl.Null:
            continue
        given.append(name)
        kind = spec.kind
        if kind == "enum_list":
            value, error, flat = _enum_list(series, spec)
            if len(spec.choices or ()) <= 62:
                out[mask(name)] = _mask(value, spec, flat).alias(mask(name))
                given.append(mask(name))
        elif kind in ("int", "number") and series.dtype in _INTEGERS:
            # whole numbers already: only the range to check, no denominator (the compiler reads it as 1)
            bad = ((series < spec.minimum) | (series > spec.maximum)).fill_null(False)
            value = series.cast(pl.Int64)
            error = _nulls(len(series)) if not bad.any() else pl.select(
                pl.when(pl.lit(bad)).then(pl.lit("facts_range")).otherwise(None)).to_series()
        elif kind in ("int", "number"):
            parts, error = _mapped(series, lambda v, spec=spec: _number_parts(v, spec),
                                   pl.Struct({"n": pl.Int64, "d": pl.Int64}))
            value = parts.struct.field("n").alias(name)
            if kind == "number":
                out[den(name)] = parts.struct.field("d").alias(den(name))
                given.append(den(name))
        else:
            dtype = DTYPES[kind]
            if kind == "enum" and series.dtype in (pl.String, pl.Categorical) or isinstance(series.dtype, pl.Enum):
                value, error = _enum(series.cast(pl.String) if series.dtype != pl.String else series, spec)
            elif kind == "enum":
                value, error = _mapped(series, lambda v, spec=spec: convert(spec, v), pl.String)
                value = value.cast(enum_type(spec))
            elif kind == "date" and series.dtype == pl.Date:
                value, error = series, _nulls(len(series))
            elif kind == "bool" and series.dtype == pl.Boolean:
                value, error = series, _nulls(len(series))
            else:
                value, error = _mapped(series, lambda v, spec=spec: convert(spec, v), dtype)
        out[name] = value.alias(name)
        errors.append(error)
    for group, names in places.items():
        value_cols, error = _place(frame, group, names)
        for col in value_cols:
            out[col.name] = col
            given.append(col.name)
        errors.append(error)
    typed = pl.DataFrame(list(out.values())) if out else pl.DataFrame({"__rows": pl.repeat(0, len(frame), eager=True)})
    first = (pl.DataFrame(errors, schema=[f"e{i}" for i in range(len(errors))]).select(pl.coalesce(pl.all())).to_series()
             if errors else _nulls(len(frame)))
    return typed, first.alias("error"), given


def enum_type(spec) -> pl.Enum:
    """The Polars type of an enum fact's checked column: its codes, in the vocabulary's order."""
    return pl.Enum(list(spec.choices or ()))


def _enum(series: pl.Series, spec) -> tuple[pl.Series, pl.Series]:
    """Codes as they are (a cast to the fact's Enum type), Chinese names to their codes; anything else an error."""
    value = series.cast(enum_type(spec), strict=False)
    bad = value.is_null() & series.is_not_null()
    if not bad.any():
        return value, _nulls(len(series))
    # names, or a value that is no code and no name: the row path's reader says which (text of another kind, …)
    value, error = _mapped(series, lambda v: convert(spec, v), pl.String)
    return value.cast(enum_type(spec)), error


def _enum_list(series: pl.Series, spec) -> tuple[pl.Series, pl.Series, pl.Series | None]:
    """(the lists of codes, the error codes, the flat items as the codes' Enum when already cast, else None)."""
    if series.dtype == pl.List(pl.String):
        codes = list(spec.choices or ())
        # one cast to the codes' Enum: an item that is no code becomes null
        flat = series.cast(pl.List(pl.Enum(codes)), strict=False).explode(empty_as_null=False, keep_nulls=False)
        if not flat.null_count() and not (series.list.len() > MAX_LIST_ITEMS).any():
            # every item a code (the usual export); a code given twice counts once where it matters (compile.py)
            return series, _nulls(len(series)), flat
    # Chinese names, a wrong item, or lists of other things: each distinct list read by the row path's reader
    vals, errs, seen = [], [], {}
    for v in series.to_list():
        if v is None:
            vals.append(None), errs.append(None)
            continue
        try:
            key = tuple(v) if isinstance(v, list) else v
            got = seen.get(key)
        except TypeError:  # an item that cannot be a key: read alone
            key, got = None, None
        if got is None:
            try:
                got = (sorted(convert(spec, v)), None)
            except Exception as exc:  # the row path's reader says what is wrong: only its code is kept
                got = (None, _code(exc))
            if key is not None:
                seen[key] = got
        vals.append(got[0]), errs.append(got[1])
    return pl.Series(series.name, vals, dtype=pl.List(pl.String)), pl.Series(errs, dtype=pl.String), None


def _place(frame: pl.DataFrame, group: str, names: list[str]) -> tuple[list[pl.Series], pl.Series]:
    """A place given as one column (a code or a name) or as columns of its levels, read by read_place."""
    n = len(frame)
    keys = frame.select(names)
    uniq = keys.unique()
    rows = uniq.to_dicts()
    results, errs = [], []
    for row in rows:
        if group in row and row[group] is not None:
            value = row[group]
        else:
            value = {k.rsplit(".", 1)[1]: v for k, v in row.items() if k != group and v is not None}
        if not value and value != 0:
            results.append({})
            errs.append(None)
            continue
        try:
            levels = read_place(value)
            results.append(levels)
            errs.append(None)
        except Exception as exc:  # a place that cannot be read: its code only
            results.append({})
            errs.append(exc.code if isinstance(exc, PlaceError) else "facts_type")
    if not rows:
        return [], _nulls(n)
    renamed = {c: f"__k{i}" for i, c in enumerate(names)}
    lookup = uniq.rename(renamed).with_columns(
        *[pl.Series(f"{group}.{lv}", [r.get(lv) for r in results], dtype=pl.String) for lv in LEVELS],
        pl.Series("__err", errs, dtype=pl.String),
    )
    joined = keys.rename(renamed).join(lookup, on=list(renamed.values()), how="left", nulls_equal=True,
                                       maintain_order="left")
    cols = [joined.get_column(f"{group}.{lv}") for lv in LEVELS if f"{group}.{lv}" in FACTS]
    return cols, joined.get_column("__err")
