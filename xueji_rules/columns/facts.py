"""Checking a frame's fact columns as the row path checks each fact, and typing them for the expressions.

Every column named by a fact path is checked, as ``read_facts`` checks a nested dict: each
distinct value of the column is read once by the row path's own ``convert`` (or, for a place,
``read_place``), so a value is accepted, normalised or refused exactly as it would be one row at
a time, and the answer is mapped back onto the rows with one vector replace. A refused value
leaves its row with the error's code (``facts_type``, ``facts_range``, ``place_*``), never the value.
Text of codes is checked by one cast to the fact's Enum (a value that is no code falls back to
the reader); the casts and the distinct values of all columns are one parallel Polars query.

A column already of its fact's type is read as it is, with no pass over text: integers (their
range checked), booleans, dates, an Enum whose categories are all codes of the fact, a
List(Enum) of such codes. An Enum or Categorical holding anything else is read as its text.

The checked columns are typed for the expressions (``compile.py``):

* int and number facts: Int64; a number column that holds fractions (``"3/2"``) has a second
  Int64 column, its positive denominator (``path#d``), so fractions stay exact;
* bool: Boolean; enum: Polars Enum of the fact's codes; text and division codes: String;
  dates: Date;
* enum_list: List(String) of the codes, or the List(Enum) given (``ColumnBackend.run`` casts it
  to text where an expression reads the list itself), and, for a vocabulary of up to 62 codes,
  an Int64 of bits (``path#m``; a code given twice counts once, as in the row path's frozenset:
  ``count`` and ``count_in`` take distinct items).

A column not named by a fact path or a place group is not read (an audit may carry a student
number beside the facts).
"""

from __future__ import annotations


import polars as pl

from ..facts.input import MAX_LIST_ITEMS, OutOfRange, convert
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


def _mask(series: pl.Series, spec) -> pl.Series | None:
    """Each list's codes as one Int64 of bits, from a List(Enum) whose categories are all codes; None when
    an item is null (the row path refuses the list: it is read there).

    The items' bits are summed by one cumulative sum over the flat items (NumPy, on the Arrow
    buffers, no copy); a sum whose count of 1 bits is not the list's length had a code twice,
    and those few lists are ORed again item by item.
    """
    import numpy as np

    codes = list(spec.choices or ())
    arrow = series.rechunk().to_arrow()
    items = arrow.values
    offsets = arrow.offsets.to_numpy()
    if items.null_count:
        return None
    table = np.array([1 << codes.index(c) for c in items.dictionary.to_pylist()] or [0], dtype=np.uint64)
    bits = table[items.indices.to_numpy(zero_copy_only=False)]
    sums = np.zeros(len(bits) + 1, dtype=np.uint64)
    np.cumsum(bits, out=sums[1:])
    out = sums[offsets[1:]] - sums[offsets[:-1]]
    twice = np.flatnonzero(np.bitwise_count(out) != np.diff(offsets))
    for i in twice:  # a code given twice counts once (the row path's frozenset)
        out[i] = np.bitwise_or.reduce(bits[offsets[i]:offsets[i + 1]])
    return pl.select(pl.when(pl.lit(series.is_not_null())).then(pl.lit(pl.Series(out.view(np.int64))))).to_series()


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




def _number_parts(value, spec):
    n = convert(spec, value)
    return {"n": n, "d": 1} if type(n) is int else {"n": n.numerator, "d": n.denominator}


def _is_list_of_codes(dtype, codes) -> bool:
    """A List(Enum) whose categories are all codes of the fact (a subset, in any order)."""
    return isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Enum) and set(dtype.inner.categories) <= set(codes)


def check(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.Series, list[str]]:
    """(the typed fact columns, the first error code of each row or null, the fact paths given).

    Errors are taken in the frame's column order, as the row path reports the first problem of a
    nested dict built from the row in that order.

    The work that reads every row (the casts of text to the codes, the distinct values of the
    columns the row path's reader reads) runs as one Polars query per step, so its columns are
    checked in parallel. A column already of its fact's type is read as it is: integers (only
    their range checked), booleans, dates, an Enum whose categories are all codes of the fact, a
    List(Enum) of such codes. An Enum or Categorical with other values, and text, are checked as
    text is, value by value, by the row path's reader.
    """
    n = len(frame)
    places: dict[str, list[str]] = {}
    facts = []
    for name in frame.columns:
        group = place_group(name)
        if group is not None:
            places.setdefault(group, []).append(name)
            continue
        spec = FACTS.get(name)
        if spec is not None and frame.schema[name] != pl.Null:
            facts.append((name, spec))
    # step 1, one parallel query: text cast to the codes; the distinct values of what the reader reads
    casts: dict[str, pl.Expr] = {}
    distinct: list[str] = []
    plan: dict[str, str] = {}
    for name, spec in facts:
        dtype, kind = frame.schema[name], spec.kind
        codes = list(spec.choices or ())
        if kind == "enum_list":
            if dtype == pl.List(pl.String):
                casts[name] = pl.col(name).cast(pl.List(pl.Enum(codes)), strict=False)
                plan[name] = "list_text"
            elif isinstance(dtype, pl.List) and isinstance(dtype.inner, (pl.Categorical, pl.Enum)) \
                    and not _is_list_of_codes(dtype, codes):  # read as the text of its items
                casts[name] = pl.col(name).cast(pl.List(pl.String)).cast(pl.List(pl.Enum(codes)), strict=False)
                plan[name] = "list_text"
            elif _is_list_of_codes(dtype, codes):
                plan[name] = "list_codes"
            else:
                plan[name] = "list_other"
        elif kind in ("int", "number") and dtype in _INTEGERS:
            plan[name] = "integers"
        elif kind == "enum" and isinstance(dtype, pl.Enum) and set(dtype.categories) <= set(codes):
            plan[name] = "codes"
        elif kind == "enum" and dtype == pl.String:
            casts[name] = pl.col(name).cast(enum_type(spec), strict=False)
            plan[name] = "enum_text"
        elif kind == "enum" and isinstance(dtype, (pl.Enum, pl.Categorical)):
            distinct.append(name)
            plan[name] = "enum_categories"
        elif (kind, dtype) in (("date", pl.Date), ("bool", pl.Boolean)):
            plan[name] = "as_is"
        else:
            distinct.append(name)
            plan[name] = "mapped"
    queries = ([frame.lazy().select(*casts.values())] if casts else []) + [
        frame.lazy().select(pl.col(c).drop_nulls().unique()) for c in distinct]
    got = pl.collect_all(queries) if queries else []
    cast = got.pop(0) if casts else pl.DataFrame()
    uniques = {c: g.to_series() for c, g in zip(distinct, got)}
    # step 2, per column: what the row path's reader says of each distinct value; step 3 maps it onto the rows
    out: dict[str, pl.Series] = {}
    errors: list = []
    mapped: dict[str, tuple] = {}
    given: list[str] = []
    for name, spec in facts:
        series, how = frame.get_column(name), plan[name]
        given.append(name)
        error = None
        if how in ("list_text", "list_codes", "list_other"):
            codes = list(spec.choices or ())
            value = cast.get_column(name) if how == "list_text" else series
            ok = how != "list_other" and not (value.list.len() > MAX_LIST_ITEMS).any()
            if ok and how == "list_text":  # an item that is no code (or null) became null
                ok = not value.rechunk().to_arrow().values.null_count
            bits = _mask(value, spec) if ok and len(codes) <= 62 else None
            if ok and (bits is not None or len(codes) > 62):
                value = series if how == "list_codes" else series.cast(pl.List(pl.String))
            else:  # names, a wrong item, lists of other things: each distinct list read by the row path's reader
                value, error = _enum_list(series, spec)
                if len(codes) <= 62:
                    bits = _mask(value.cast(pl.List(pl.Enum(codes))), spec)
            if len(codes) <= 62:
                out[mask(name)] = bits.alias(mask(name))
                given.append(mask(name))
        elif how == "integers":  # whole numbers already: only the range to check, no denominator (read as 1)
            bad = ((series < spec.minimum) | (series > spec.maximum)).fill_null(False)
            value = series.cast(pl.Int64)
            if bad.any():
                error = pl.select(pl.when(pl.lit(bad)).then(pl.lit("facts_range")).otherwise(None)).to_series()
        elif how == "codes":
            value = series.cast(enum_type(spec))
        elif how == "as_is":
            value = series
        elif how == "enum_text" and cast.get_column(name).null_count() == series.null_count():
            value = cast.get_column(name)  # every value a code
        elif how == "enum_categories" and set(uniques[name].cast(pl.String).to_list()) <= set(spec.choices or ()):
            value = series.cast(enum_type(spec))
        elif how in ("enum_text", "enum_categories"):
            # names, or a value that is no code and no name: the row path's reader says which
            text = series.cast(pl.String)
            mapped[name] = (text, *_read_each(text.drop_nulls().unique(), lambda v, spec=spec: convert(spec, v)),
                            pl.String, enum_type(spec))
            continue
        elif spec.kind in ("int", "number"):
            mapped[name] = (series, *_read_each(uniques[name], lambda v, spec=spec: _number_parts(v, spec)),
                            pl.Struct({"n": pl.Int64, "d": pl.Int64}), None)
            continue
        else:
            mapped[name] = (series, *_read_each(uniques[name], lambda v, spec=spec: convert(spec, v)),
                            DTYPES[spec.kind], enum_type(spec) if spec.kind == "enum" else None)
            continue
        out[name] = value.alias(name)
        errors.append((name, error))
    if mapped:
        exprs = []
        for name, (series, olds, news, errs, dtype, _) in mapped.items():
            old = pl.Series(olds, dtype=series.dtype)
            exprs.append(pl.lit(series).replace_strict(old, pl.Series(news, dtype=dtype), default=None,
                                                       return_dtype=dtype).alias(name))
            if any(e is not None for e in errs):
                exprs.append(pl.lit(series).replace_strict(old, pl.Series(errs, dtype=pl.String), default=None,
                                                           return_dtype=pl.String).alias("__e" + name))
        done = pl.select(exprs)
        for name, (series, _, _, _, dtype, then) in mapped.items():
            value = done.get_column(name)
            if dtype == pl.Struct({"n": pl.Int64, "d": pl.Int64}):
                if FACTS[name].kind == "number":
                    out[den(name)] = value.struct.field("d").alias(den(name))
                    given.append(den(name))
                value = value.struct.field("n")
            elif then is not None:
                value = value.cast(then)
            out[name] = value.alias(name)
            errors.append((name, done.get_column("__e" + name) if "__e" + name in done.columns else None))
    errors.sort(key=lambda e: frame.columns.index(e[0]))
    errors = [e for _, e in errors if e is not None]
    for group, names in places.items():
        value_cols, error = _place(frame, group, names)
        for col in value_cols:
            out[col.name] = col
            given.append(col.name)
        errors.append(error)
    errors = [e for e in errors if e.null_count() < n]
    typed = pl.DataFrame(list(out.values())) if out else pl.DataFrame({"__rows": pl.repeat(0, n, eager=True)})
    first = (pl.DataFrame(errors, schema=[f"e{i}" for i in range(len(errors))]).select(pl.coalesce(pl.all())).to_series()
             if errors else _nulls(n))
    return typed, first.alias("error"), given


def _read_each(values: pl.Series, fn) -> tuple[list, list, list]:
    """(the distinct values, the reader's value of each, its error code or None): ``fn`` once per value."""
    olds, news, errs = [], [], []
    for v in values.to_list():
        olds.append(v)
        try:
            news.append(fn(v))
            errs.append(None)
        except Exception as exc:  # the row path's reader says what is wrong: only its code is kept
            news.append(None)
            errs.append(_code(exc))
    return olds, news, errs


def enum_type(spec) -> pl.Enum:
    """The Polars type of an enum fact's checked column: its codes, in the vocabulary's order."""
    return pl.Enum(list(spec.choices or ()))


def _enum_list(series: pl.Series, spec) -> tuple[pl.Series, pl.Series]:
    """(the lists of codes, the error codes): each distinct list read by the row path's reader."""
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
    return pl.Series(series.name, vals, dtype=pl.List(pl.String)), pl.Series(errs, dtype=pl.String)


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
