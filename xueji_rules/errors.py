"""Errors that say where and why: every problem is a Diagnostic with a stable code.

A Diagnostic names the file, line and column, the path in the document
(``questions.transfer.rules[3].when``), what is wrong, and what would be valid.
The exceptions carry a tuple of them in file order, so callers can show the first
message or all of them; tests assert codes and paths, never wording.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class Diagnostic:
    """One problem found in a policy file, a facts document or a test case."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""
    hint: str | None = None

    def where(self) -> str:
        """``file:line:col`` as far as known."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = f"{self.where()}: {self.code}: {self.message}"
        if self.path:
            text += f" (at {self.path})"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_dict(self) -> dict:
        return attrs.asdict(self)


def _sort_key(d: Diagnostic):
    return (d.file or "", d.line or 0, d.column or 0, d.code)


class XuejiError(Exception):
    """Base of every error the library raises on purpose."""

    code = "xueji_error"

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()):
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(sorted(diagnostics, key=_sort_key))

    def __str__(self) -> str:
        if not self.diagnostics:
            return self.message
        first = str(self.diagnostics[0])
        more = len(self.diagnostics) - 1
        return first + (f"\n… and {more} more" if more else "")

    def report(self) -> str:
        """Every diagnostic, one per paragraph, in file order."""
        if not self.diagnostics:
            return self.message
        return "\n".join(str(d) for d in self.diagnostics)


class PolicyError(XuejiError):
    """A policy folder failed to load or validate; nothing of it was loaded."""

    code = "policy_invalid"


class FactsError(XuejiError, ValueError):
    """The facts given for a question are malformed: unknown key, wrong type, bad date."""

    code = "facts_invalid"


class UnknownRegionError(XuejiError, LookupError):
    """No policy folder has that name."""

    code = "unknown_region"


class UnknownQuestionError(XuejiError, LookupError):
    """The region's policy has no such question."""

    code = "unknown_question"


class DateError(XuejiError, ValueError):
    """A date could not be read, or no regulation is in force on it."""

    code = "bad_date"


class CalendarError(XuejiError):
    """A school calendar given at ask time does not validate (each problem at its file position)."""

    code = "calendar_invalid"


class CaseFileError(XuejiError):
    """A compliance test file is malformed."""

    code = "case_invalid"


def did_you_mean(word: str, choices, n: int = 3) -> str | None:
    """A short 'did you mean …' suggestion, or None when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + ", ".join(f"'{c}'" for c in close) + "?"
