"""Places as GB/T 2260 division codes: reading them from facts, and how two places relate.

A place is read into five levels, each a fact: ``province``, ``city`` and ``county`` hold
6-digit division codes (GB/T 2260: 2 digits province, 2 prefecture, 2 county), ``township``
a 9-digit township code of the statistics bureau (乡镇、街道) or a township's name, and
``school_district`` a school district id (学区、施教区). Township names and district ids are
only unique inside their county, so they are always read together with it.

Codes are looked up in the bundled table ``data/divisions.tsv`` (its header names the
sources and the date; ``scripts/make_divisions.py`` regenerates it). Names are accepted
and resolved to codes; a name that matches no division, or several (鼓楼区 alone), is an
error, as is an unknown or retired code.

The levels follow the administrative hierarchy with three conventions, one rule each:

* a municipality (北京 11, 天津 12, 上海 31, 重庆 50) is its own city: its districts and
  counties are all in the city ``110000`` (and so on), whatever their 3rd-4th digits;
* a county-level unit directly under a province (省直辖县级行政单位: 4190xx 济源, 4290xx
  仙桃 …, 4690xx, 6590xx) is its own city: 仙桃 and 潜江 are in one province, not one city;
* a unit with no level below it is its own lower level: a prefecture-level city without
  counties (东莞 441900, 中山 442000, 儋州 460400, 嘉峪关 620200) is its own county, and
  香港、澳门、台湾 are their own city and county.

Relations (:func:`same`) are three-valued: ``True``, ``False``, or ``None`` when the
levels needed are not known. Two places in different provinces are in different
cities, counties and townships even when the finer levels are not given.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any, Mapping

import attrs

#: The levels of a place, coarsest first; ``school_district`` sits beside ``township``.
LEVELS = ("province", "city", "county", "township", "school_district")
DIVISION_LEVELS = ("province", "city", "county")
#: The levels each relation compares, coarsest first.
CHAINS = {
    "province": ("province",),
    "city": ("province", "city"),
    "county": ("province", "city", "county"),
    "township": ("province", "city", "county", "township"),
    "school_district": ("province", "city", "county", "school_district"),
}
LEVEL_ZH = {"province": "省", "city": "市", "county": "县", "township": "乡镇", "school_district": "学区"}
_CODE = re.compile(r"\d{6}")
_TOWNSHIP_CODE = re.compile(r"\d{9}")


@attrs.frozen
class Division:
    """One row of the division table."""

    code: str
    name: str
    level: int  # 1 province, 2 prefecture, 3 county; 0 when retired
    city: str  # the city-level unit "same city" compares ("" for a province with cities)
    kind: str
    current: bool

    @property
    def province(self) -> str:
        return self.code[:2] + "0000"

    @property
    def county(self) -> str | None:
        """The county-level unit, when the division is one or has no level below it."""
        if self.level == 3 or self.kind in ("不设区的地级市", "省级，无下级区划"):
            return self.code
        return None


class PlaceError(ValueError):
    """A place that cannot be read: ``code`` is the diagnostic code, ``field`` the level at fault.

    ``message`` never quotes the codes or names given (a student's place is personal data);
    ``detail`` is the same message with them, for when values may be shown.
    """

    def __init__(self, code: str, message: str, field: str | None = None, hint: str | None = None,
                 detail: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field, self.hint = code, message, field, hint
        self.detail = detail or message


#: The longest name or code read for one level of a place.
MAX_LEVEL_CHARS = 64


@functools.cache
def table() -> dict[str, Division]:
    """Every division by code, current and retired, from the bundled table."""
    text = resources.files("xueji_rules").joinpath("data/divisions.tsv").read_text("utf-8")
    rows: dict[str, Division] = {}
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    for line in lines[1:]:
        code, name, level, city, kind, status = line.split("\t")
        rows[code] = Division(code, name, int(level or 0), city, kind, status == "current")
    return rows


def source() -> str:
    """The table's header: sources, licence and the date of the data."""
    text = resources.files("xueji_rules").joinpath("data/divisions.tsv").read_text("utf-8")
    return "\n".join(line[2:] for line in text.splitlines() if line.startswith("# "))


@functools.cache
def _by_name() -> dict[str, tuple[Division, ...]]:
    out: dict[str, list[Division]] = {}
    for d in table().values():
        if d.current:
            out.setdefault(d.name, []).append(d)
    return {k: tuple(v) for k, v in out.items()}


def division(code: str) -> Division:
    """The division in force with this 6-digit code; PlaceError ``place_retired`` or ``place_unknown``."""
    d = table().get(code)
    if d is None:
        raise PlaceError("place_unknown", "the code is not a GB/T 2260 division code",
                         hint="give the 6-digit code in force (GB/T 2260), e.g. 320106",
                         detail=f"{code} is not a GB/T 2260 division code")
    if not d.current:
        raise PlaceError("place_retired", "the code is a retired division code",
                         hint="give the code in force today for the place", detail=f"{code} is a retired division code")
    return d


def _levels_of(d: Division) -> dict[str, str]:
    """The province, city and county codes a division determines."""
    out = {"province": d.province}
    if d.city:
        out["city"] = d.city
    if d.county:
        out["county"] = d.county
    return out


def _at_level(d: Division, level: str) -> bool:
    """Whether ``d`` can stand at ``level`` of a place (a municipality is a city, 仙桃 a city and a county …)."""
    return _levels_of(d).get(level) == d.code


def code_at(value: str, level: str) -> str:
    """The code of a name or code at one level (``"南昌市"``, ``"city"`` → ``"360100"``).

    Used for places written in policies; raises PlaceError when it matches none or several.
    """
    return _resolve(str(value), level, {})


def _resolve(value: str, level: str, known: Mapping[str, str]) -> str:
    """One level's code from a code or a name, within the coarser levels already ``known``."""
    if _CODE.fullmatch(value):
        d = division(value)
        if not _at_level(d, level):
            raise PlaceError("place_level", f"the code is not a {level}-level code", level,
                             f"give the {level} ({LEVEL_ZH[level]}) here, or the whole place as one code",
                             f"{value} is not a {level}-level code")
        return value
    matches = [d for d in _by_name().get(value, ()) if _at_level(d, level)
               and all(_levels_of(d).get(k) == v for k, v in known.items())]
    if not matches:
        raise PlaceError("place_unknown", f"the {level} name does not match a division in force", level,
                         "give the GB/T 2260 code, or the name as the official list writes it (e.g. 南京市)")
    if len(matches) > 1:
        codes = ", ".join(d.code for d in matches)
        raise PlaceError("place_ambiguous", f"the {level} name matches {len(matches)} divisions", level,
                         "give the code, or the province and city as well",
                         f"the {level} name matches several divisions ({codes})")
    return matches[0].code


def read_place(value: Any) -> dict[str, str]:
    """Read a place given as a code (``"320106"``, ``"320106001"``) or a mapping of levels.

    A mapping may give ``province``, ``city`` and ``county`` as codes or names, ``township``
    as a 9-digit code or a name, and ``school_district`` as an id; coarser levels are
    filled in from the finest one. Returns the levels known, as codes (township names and
    district ids as given). Raises PlaceError naming the level at fault.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, Mapping)) or not _short(value):
        raise PlaceError("facts_type", "a place is a division code or a mapping of province, city, county …")
    if not isinstance(value, Mapping):
        text = str(value).strip()
        if _TOWNSHIP_CODE.fullmatch(text):
            value = {"township": text}
        elif _CODE.fullmatch(text):
            d = division(text)
            return _levels_of(d)
        else:
            raise PlaceError("facts_type", "a place given as text must be a 6-digit division code or a 9-digit township code",
                             hint="write names as a mapping: {province: 江苏省, city: 南京市, county: 鼓楼区}")
    unknown = [k for k in value if not isinstance(k, str) or k not in LEVELS]
    if unknown:
        raise PlaceError("unknown_fact", "not a level of a place", str(unknown[0]),
                         "known here: " + ", ".join(LEVELS))
    for k, v in value.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, (str, int)) or not _short(v)):
            raise PlaceError("facts_type", f"a level of a place is a code or a name of at most {MAX_LEVEL_CHARS} characters", k)
    given = {k: str(v).strip() for k, v in value.items() if v is not None}
    try:
        return _read_levels(given)
    except PlaceError as exc:
        if exc.field is None:
            exc.field = next((k for k in LEVELS if k in given), None)
        raise


def _short(value: Any) -> bool:
    """Whether a code or name is short enough to read (a mapping is checked level by level)."""
    if isinstance(value, str):
        return len(value) <= MAX_LEVEL_CHARS
    if isinstance(value, int):
        return value.bit_length() <= 64
    return True


def _read_levels(given: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for level in DIVISION_LEVELS:
        if level not in given:
            continue
        try:
            code = _resolve(given[level], level, {k: v for k, v in out.items() if k in DIVISION_LEVELS})
        except PlaceError as exc:
            exc.field = exc.field or level
            raise
        implied = _levels_of(division(code))
        for k, v in implied.items():
            if k in out and out[k] != v:
                raise PlaceError("place_mismatch", f"the {level} is not in the {k} given", level,
                                 "the levels of one place must agree", f"{level} {code} is not in {k} {out[k]}")
        out.update(implied)
    township = given.get("township")
    if township is not None:
        if _TOWNSHIP_CODE.fullmatch(township):
            county = township[:6]
            d = table().get(county)
            if d is not None and not d.current:
                raise PlaceError("place_retired", "the township code is in a retired county code", "township",
                                 "give the code in force today for the place",
                                 f"{township} is in a retired county code ({county})")
            if d is None or d.county != county:
                raise PlaceError("place_unknown", "the township code is not in a county in force", "township",
                                 "a township code is the county's 6 digits and 3 more",
                                 f"{township} is not in a county in force ({county})")
            if "county" in out and out["county"] != county:
                raise PlaceError("place_mismatch", "the township is not in the county given", "township",
                                 "the levels of one place must agree", f"township {township} is not in county {out['county']}")
            out.update(_levels_of(d))
        elif "county" not in out:
            raise PlaceError("place_incomplete", "a township name needs the county it is in", "township",
                             "give the county as well, or the township's 9-digit code")
        out["township"] = township
    district = given.get("school_district")
    if district is not None:
        if "county" not in out:
            raise PlaceError("place_incomplete", "a school district needs the county it is in", "school_district",
                             "give the county as well: district ids are unique only inside a county")
        out["school_district"] = district
    return out


def same(a: tuple, b: tuple):
    """Whether two places agree on every level of a chain (coarsest first): True, False or None.

    ``a`` and ``b`` hold one value per level of the chain, None where unknown. A level known
    on both sides and different decides False at once: codes are unique nationwide, and a
    finer level is only compared when the coarser ones agree. A township code and a township
    name cannot be compared, so they leave the answer unknown.
    """
    unknown = False
    for x, y in zip(a, b):
        if x is None or y is None:
            unknown = True
        elif x != y:
            if x.isdigit() != y.isdigit():
                unknown = True
            else:
                return False
    return None if unknown else True


def describe(code: str) -> str:
    """A code with its full name, for explanations: ``320106（江苏省南京市鼓楼区）``."""
    d = table().get(code)
    if d is None:
        return code
    names = []
    for c in (d.province, d.code[:4] + "00", d.code):
        row = table().get(c)
        if row is not None and row.name not in names:
            names.append(row.name)
    return f"{code}（{''.join(names)}）"
