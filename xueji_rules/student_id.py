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
