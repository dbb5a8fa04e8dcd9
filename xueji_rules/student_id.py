"""Validate and decode a student ID (学籍号) by the layouts a policy declares."""

from __future__ import annotations

import attrs

from .errors import FactsError, Diagnostic
from .policy import Policy


@attrs.frozen
class IdPart:
    name: str
    title: str
    positions: str
    value: str


@attrs.frozen
class StudentId:
    """A decoded student ID: which layout, its parts, and the article that defines it."""

    number: str
    layout: str
    title: str
    parts: tuple
    article: str
    quote: str

    def __getitem__(self, name: str) -> str:
        for p in self.parts:
            if p.name == name:
                return p.value
        raise KeyError(name)

    def to_dict(self) -> dict:
        return {
            "number": self.number,
            "layout": self.layout,
            "title": self.title,
            "parts": {p.name: {"title": p.title, "positions": p.positions, "value": p.value} for p in self.parts},
            "article": self.article,
            "quote": self.quote,
        }


def parse_student_id(policy: Policy, number: str, stage: str | None = None) -> StudentId:
    """Decode ``number`` with the layout of its length (or of ``stage``); FactsError if it fits none."""
    text = str(number).strip()
    layouts = list(policy.student_ids.values())
    if stage is not None:
        layouts = [l for l in layouts if stage in l.stages]
    if not layouts:
        raise FactsError(f"{policy.id} declares no student-ID layout" + (f" for stage {stage}" if stage else ""))
    if not text.isdigit() or not text.isascii():
        raise FactsError("a student ID is digits only", (Diagnostic(
            "student_id_format",
            "the student ID is empty" if not text else
            f"the student ID has a character that is not a digit at position "
            f"{next(i for i, ch in enumerate(text, 1) if not (ch.isascii() and ch.isdigit()))}",
            path="student_id",
            hint="layouts: " + "; ".join(f"{l.title} {l.length} 位" for l in layouts)),))
    for layout in layouts:
        if len(text) == layout.length:
            parts = tuple(
                IdPart(f.name, f.title, f"{f.start}-{f.end}" if f.start != f.end else str(f.start), text[f.start - 1:f.end])
                for f in layout.fields
            )
            return StudentId(text, layout.name, layout.title, parts, layout.article.id, layout.quote)
    raise FactsError("the student ID has the wrong length", (Diagnostic(
        "student_id_length", f"the student ID has {len(text)} digits", path="student_id",
        hint="expected " + " or ".join(f"{l.length} digits ({l.title})" for l in layouts)),))


# --- 居民身份证号 (GB 11643-1999) ------------------------------------------------------------
#: ISO 7064 MOD 11-2 weights of the first 17 characters, and the check character of each remainder
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
#: the first two digits of a GB/T 2260 division code: the provinces, autonomous regions,
#: municipalities and special administrative regions
_PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split())


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits of a 居民身份证号."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("the check character is computed from exactly 17 digits")
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def check_resident_id(number: str) -> str:
    """Check an 18-character 居民身份证号 (GB 11643): 6-digit division code, a real birth date
    (positions 7-14, YYYYMMDD), a 3-digit sequence, and its check character (0-9 or X, MOD 11-2).

    Returns the number with a lower-case x made upper-case. Raises FactsError whose
    Diagnostic codes are ``resident_id_format``, ``resident_id_division``,
    ``resident_id_birth_date`` or ``resident_id_check``; messages never repeat the number.
    """
    import datetime as _dt

    def fail(code: str, message: str, hint: str = "") -> FactsError:
        return FactsError("the 居民身份证号 is not valid", (Diagnostic(code, message, path="resident_id", hint=hint),))

    text = str(number).strip().upper()
    if len(text) != 18:
        raise fail("resident_id_format", f"a 居民身份证号 has 18 characters, this one {len(text)}")
    body, check = text[:17], text[17]
    if not (body.isascii() and body.isdigit()) or not (check == "X" or (check.isascii() and check.isdigit())):
        raise fail("resident_id_format", "a 居民身份证号 is 17 digits and a check character 0-9 or X")
    if body[:2] not in _PROVINCE_PREFIXES:
        raise fail("resident_id_division", "positions 1-2 are not a province-level division code (GB/T 2260)")
    try:
        born = _dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise fail("resident_id_birth_date", "positions 7-14 are not a real date (YYYYMMDD)") from None
    if born.year < 1900:
        raise fail("resident_id_birth_date", "positions 7-14 give a birth year before 1900")
    if resident_id_check_char(body) != check:
        raise fail("resident_id_check", "the check character (position 18) does not match positions 1-17",
                   "GB 11643: ISO 7064 MOD 11-2 over the first 17 digits")
    return text
