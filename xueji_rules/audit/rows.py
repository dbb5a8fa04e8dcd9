"""The row backend: each student's flat columns → nested facts → the library's kernel, one row at a time.

A backend is any object made as ``Backend(policy, question, on, *, calendar=None, readings=None)``
whose ``run(frame)`` takes a chunk of students (a ``polars.DataFrame`` with one column per
fact path, typed as ``read.typed`` makes them, other columns ignored) and returns, row for row:

- ``outcome``, ``norm``, ``status`` (text), as in the Decision;
- ``failed:<rule id>`` (Boolean) for every rule of the question, in policy order;
- ``error``: null when the row was answered, else the error code (``facts_type``,
  ``facts_range``, ``contradictory_facts``, ``facts_value``, ``bad_date`` …), never a value;
  and, optionally, ``error_path``: the fact the error is about.

This one is the reference: it reads each row's facts with ``read_facts`` (every check the
library makes on one student's facts) and answers with ``evaluate.answerer``: the question's
generated kernel and the same settling of norm and status as ``xueji_rules.ask``, without the
explanation, so its answers are the library's by construction.
``xueji_rules.columns.ColumnBackend`` answers the same from column expressions.
"""

from __future__ import annotations

from ..errors import DateError, FactsError, XuejiError
from ..evaluate import answerer
from ..facts.vocabulary import FACTS


def nest(paths: list[str], values) -> dict:
    """{'absence': {'class_hours_missed': 230}} from paths and one row's values; nulls left out."""
    facts: dict = {}
    for path, value in zip(paths, values):
        if value is None:
            continue
        node = facts
        *parents, leaf = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return facts


def _plain_int(value):
    """A number fact's text as an int when it is plain ASCII digits (what read_facts makes of it, sooner)."""
    if type(value) is str and len(value) <= 15 and value.isascii() and value.isdigit():
        return int(value)
    return value


def converters(paths: list[str]) -> list:
    """Per path, a function making a cell ready for read_facts, or None to pass it as it is."""
    return [_plain_int if FACTS[p].kind == "number" else None for p in paths]


def nest_row(paths: list[str], convert: list, values) -> dict:
    """``nest`` with each cell converted first (see ``converters``)."""
    return nest(paths, [v if f is None or v is None else f(v) for f, v in zip(convert, values)])


def error_of(exc: XuejiError) -> tuple[str, str | None]:
    """(code, fact path) of an error about one row's facts: its first diagnostic's, else the error's own."""
    if exc.diagnostics:
        d = exc.diagnostics[0]
        return d.code, (d.path or None)
    return exc.code, None


def fact_paths(frame) -> list[str]:
    return [c for c in frame.columns if c in FACTS]


class RowBackend:
    """Answers a question row by row with the compiled kernel (see the module's docstring)."""

    name = "rows"

    def __init__(self, policy, question, on, *, calendar=None, readings=None):
        self.question = policy.question(question) if isinstance(question, str) else question
        self.answer = answerer(policy, self.question, on, calendar, readings)
        self.rule_ids = [r.id for r in self.question.rules]
        #: rules with deadlines: an ``applies:<rule>`` column says where one held or is unknown (a deadline's date
        #: is computed only then), so that the driver builds the full Decision only for those rows
        self.deadline_rules = [i for i, r in enumerate(self.question.rules) if r.deadlines]

    def run(self, frame):
        import polars as pl

        paths = fact_paths(frame)
        n = frame.height
        outcomes, norms, statuses = [None] * n, [None] * n, [None] * n
        errors, where = [None] * n, [None] * n
        flags = {rid: [None] * n for rid in self.rule_ids}
        applies = {k: [None] * n for k in self.deadline_rules}
        answer = self.answer
        convert = converters(paths)
        for i, row in enumerate(frame.select(paths).iter_rows()):
            try:
                outcome, norm, status, failed, codes = answer(nest_row(paths, convert, row))
            except (FactsError, DateError) as exc:
                errors[i], where[i] = error_of(exc)
                continue
            outcomes[i], norms[i], statuses[i] = outcome, norm, status
            failed = set(failed)
            for rid, column in flags.items():
                column[i] = rid in failed
            for k, column in applies.items():
                column[i] = codes[k] in (1, 3)  # held or unknown
        data = {"outcome": outcomes, "norm": norms, "status": statuses}
        data.update({f"failed:{rid}": column for rid, column in flags.items()})
        data.update({f"applies:{self.rule_ids[k]}": column for k, column in applies.items()})
        data["error"] = errors
        data["error_path"] = where
        schema = {"outcome": pl.String, "norm": pl.String, "status": pl.String,
                  **{f"failed:{rid}": pl.Boolean for rid in self.rule_ids},
                  **{f"applies:{self.rule_ids[k]}": pl.Boolean for k in self.deadline_rules},
                  "error": pl.String, "error_path": pl.String}
        return pl.DataFrame(data, schema=schema)

