"""The numbers a quotation states, so that a parameter's value can be checked against its own quote.

「超过210个学时」 states 210; 「两周内」 states 2 (and 14, in days); 「三分之一」 1/3; 「5%」 5/100.
A parameter whose value the quote does not state must name a reading that explains why
(``parameters.<name>.reading``): a threshold changed in the YAML while its quote still
says the old number is an error at load, not a silent change of the law.
"""

from __future__ import annotations

import re
from fractions import Fraction

from .conditions.parse import chinese_number

_CN = "零〇一二两三四五六七八九十百千"
_ARABIC = re.compile(r"(\d+(?:\.\d+)?)\s*(%|％)?")
_CN_FRACTION = re.compile(rf"(百|[{_CN}]+)分之([{_CN}]+)")
_CN_NUMBER = re.compile(rf"[{_CN}]+")
#: a number followed by one of these also states the same span in the smaller unit
_SPANS = {"周": 7, "星期": 7, "年": 12}


def chinese_int(text: str) -> int | None:
    """一 → 1, 十六 → 16, 二十一 → 21, 一百 → 100, 两 → 2; None for text that is no numeral."""
    try:
        return chinese_number(text)
    except KeyError:
        return None


def numbers_in(text: str) -> set:
    """Every number the text states, as exact fractions, with spans also in their smaller unit."""
    found: set = set()

    def add(value, after: str) -> None:
        found.add(Fraction(value))
        after = after.lstrip("个")
        for unit, factor in _SPANS.items():
            if after.startswith(unit) and not after.startswith("周岁"):
                found.add(Fraction(value) * factor)

    for m in _CN_FRACTION.finditer(text):
        whole = 100 if m.group(1) == "百" else chinese_int(m.group(1))
        part = chinese_int(m.group(2))
        if whole and part is not None:
            found.add(Fraction(part, whole))
            if m.group(1) == "百":
                found.add(Fraction(part))
    rest = _CN_FRACTION.sub(" ", text)
    for m in _ARABIC.finditer(rest):
        value = Fraction(m.group(1))
        if m.group(2):
            found.update({value, value / 100})
        else:
            add(value, rest[m.end():])
    for m in _CN_NUMBER.finditer(rest):
        n = chinese_int(m.group(0))
        if n is not None:
            add(n, rest[m.end():])
    return found
