"""Compliance cases as data: read and check ``policies/<region>/tests/*.yaml``.

A case file names one question and lists cases, each with facts, a date and
what the answer must be::

    question: suspension
    on: 2025-03-03            # default date for the cases in this file
    facts:                    # base facts, deep-merged under each case's facts
      student: {stage: junior, grade: 8}
    cases:
      - note: 初中因病缺课211学时，超过210，可以休学
        facts: {absence: {reason: illness, class_hours_missed: 211, still_unable_to_attend: true}}
        want:
          outcome: allowed_with_approval
          held: [compulsory_hours]

A school's own calendar may be given with ``calendar:``, for the whole file or
for one case (the case's wins): a path to a calendar file, relative to the case
file, or the calendar written inline (as under ``calendar:`` in a policy's
calendar.yaml). It takes precedence over the policy's sample calendar and is
validated like it, every problem at its file position::

    calendar: calendars/一中.yaml      # or: calendar: {title: …, school_years: {…}}

Calendar files kept beside the cases go in a ``calendars/`` folder under
``tests/``: YAML files there are calendars, not case files.

``want`` keys: ``outcome`` (required unless ``error``), ``failed`` (exactly these
rule ids fail, order-free), ``held`` (at least these hold), ``certificate``
(``null`` = none), ``missing`` (at least these facts reported missing),
``approvers`` (at least these), ``norm`` and ``status`` (the normative answer and
what the clerk does next, ``docs/procedure.md``), ``awaiting`` (exactly these parties'
approvals are pending), ``why`` (the article the answer rests on: the
first failed rule's, else the first held ground's — see ``compare.deciding_rule``;
``null`` = no rule decides), ``error`` (instead of an answer, an error with this
code, e.g. ``unknown_fact``).

Student-ID cases (``question: student_id``) give a ``number`` (text, in quotes),
an optional ``stage``, and ``want: {layout: …, parts: {name: value}}`` or
``want: {error: student_id_length}``; no date is needed::

    question: student_id
    cases:
      - note: 19 位义务教育学籍号
        number: "3212020101220190001"
        want: {layout: compulsory, parts: {entry_year: "2019"}}

Cross-region case files (``cross_region.py``) use the same ``want`` per region.

Every problem in a file is a Diagnostic with file, line, column and path; a
file with any problem raises CaseFileError and none of its cases run.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

import attrs

from .. import _yaml
from ..errors import CaseFileError, Diagnostic, did_you_mean
from ..facts.input import to_date
from ..facts.vocabulary import CERTIFICATES, FACTS, PARTIES
from ..policy import OUTCOMES
from ..procedure import NORMS, STATUSES

FILE_KEYS = ("question", "on", "facts", "calendar", "readings", "cases")
CASE_KEYS = ("note", "facts", "on", "calendar", "readings", "want")
WANT_KEYS = ("outcome", "norm", "status", "awaiting", "failed", "held", "certificate", "missing", "approvers", "why",
             "deadlines", "error")
ID_CASE_KEYS = ("note", "number", "stage", "want")
ID_WANT_KEYS = ("layout", "parts", "error")
STUDENT_ID = "student_id"

#: Error codes a student-ID case may expect.
ID_ERROR_CODES = {
    "student_id_length": "the number has a length no layout has",
    "student_id_format": "the number has a character that is not a digit",
    "facts_invalid": "any reason (e.g. no layout for the stage)",
}

#: Error codes a case may expect under ``want.error``: the error's own code or one of its diagnostics'.
ERROR_CODES = {
    "facts_invalid": "the facts are not valid (any reason)",
    "unknown_fact": "a fact that is not in the vocabulary",
    "facts_type": "a fact value of the wrong kind, or a date that does not exist",
    "facts_range": "a number outside the range the vocabulary gives it (docs/facts.md)",
    "bad_date": "the date cannot be read, or no regulation is in force on it",
    "place_unknown": "a division code or place name that matches no division in force",
    "place_retired": "a division code that is no longer in force",
    "place_ambiguous": "a place name that matches several divisions (鼓楼区 alone)",
    "place_mismatch": "levels of one place that disagree",
    "place_level": "a division code of the wrong level (a county code given as the city)",
    "place_incomplete": "a township name or school district without its county",
    "contradictory_facts": "facts the question declares cannot hold together (contradictions:)",
}

YAML_SUFFIXES = (".yaml", ".yml")


@attrs.frozen
class Want:
    """What a case expects; ``None`` means "not checked"."""

    outcome: str | None = None
    failed: frozenset | None = None
    held: tuple | None = None
    certificate: str | None = None
    check_certificate: bool = False
    missing: tuple | None = None
    approvers: tuple | None = None
    norm: str | None = None
    status: str | None = None
    #: exactly these parties' approvals are pending (approvals.<party> names), order-free
    awaiting: frozenset | None = None
    error: str | None = None
    why: str | None = None
    check_why: bool = False
    #: (title or rule id, date or None for "cannot be given") pairs the decision's deadlines must include
    deadlines: tuple | None = None


@attrs.frozen
class IdWant:
    """What a student-ID case expects: a layout and parts, or an error."""

    layout: str | None = None
    parts: tuple = ()  # (name, value) pairs that must match
    error: str | None = None


@attrs.frozen
class IdCase:
    """One student-ID case: a number (and stage) and how it must decode."""

    file: str
    line: int | None
    index: int
    note: str
    number: str
    stage: str | None
    want: IdWant
    question: str = STUDENT_ID
    on: _dt.date | None = None
    region: str | None = None

    @property
    def name(self) -> str:
        return self.note

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@attrs.frozen
class Case:
    """One compliance case: a question, facts, a date and the expected answer."""

    file: str
    line: int | None
    index: int
    note: str
    question: str
    on: _dt.date
    facts: dict = attrs.field(hash=False)
    want: Want
    #: maps a fact path to its (line, column) in the case file, for error messages
    positions: Any = attrs.field(default=None, eq=False, repr=False, hash=False)
    #: in a cross-region file, the region this copy of the case is for
    region: str | None = None
    #: the school's own calendar (a SchoolCalendar) given by the case or its file; None: the policy's
    calendar: Any = attrs.field(default=None, eq=False, repr=False, hash=False)
    #: readings switched for this case ({reading id: option}), the file's merged under the case's
    readings: dict = attrs.field(factory=dict, eq=False, repr=False, hash=False)

    @property
    def name(self) -> str:
        return self.note

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class _FactPositions:
    """Positions of merged facts: a case's own facts first, then the file's base facts."""

    def __init__(self, doc: _yaml.Document, case_prefix: tuple, base_prefix: tuple):
        self.doc = doc
        self.prefixes = (case_prefix, base_prefix)

    def where(self, path: tuple):
        path = tuple(path)
        while path:
            for prefix in self.prefixes:
                pos = self.doc.positions.get(prefix + path)
                if pos:
                    return pos
            path = path[:-1]
        return self.doc.where(self.prefixes[0])


# -- discovery ------------------------------------------------------------------


def policy_folder_of(path: str | os.PathLike) -> Path | None:
    """The policy folder a case file belongs to: the parent of its nearest ``tests`` folder with a policy.yaml."""
    p = Path(path).absolute()
    for parent in p.parents:
        if parent.name == "tests" and (parent.parent / "policy.yaml").is_file():
            return parent.parent
    return None


CALENDARS = "calendars"  # a folder of school calendars beside the cases: not case files


def is_case_file(path: str | os.PathLike) -> bool:
    """True for a YAML file under a ``tests`` folder that sits in a policy folder (not in its ``calendars/``)."""
    p = Path(path)
    folder = policy_folder_of(p) if p.suffix in YAML_SUFFIXES and p.is_file() else None
    return folder is not None and CALENDARS not in p.absolute().relative_to(folder / "tests").parts[:-1]


def case_files(folder: str | os.PathLike) -> list[Path]:
    """Every YAML file under ``folder`` (a policy's ``tests`` folder, or any folder of cases), sorted;
    not those in a ``calendars/`` folder (school calendars the cases give)."""
    root = Path(folder)
    return sorted(f for f in root.rglob("*") if f.suffix in YAML_SUFFIXES and f.is_file()
                  and CALENDARS not in f.relative_to(root).parts[:-1])


# -- reading ------------------------------------------------------------------------


class _IdReader:
    """Reading mixin for student-ID case files."""

    def read_ids(self, top: dict) -> list:
        doc = self.doc
        self.keys(top, ("question", "cases"), ())
        raw_cases = self.case_list(top)
        if raw_cases is None:
            return []
        layouts = self.policy.student_ids if self.policy is not None else None
        cases, notes = [], {}
        for i, raw in enumerate(raw_cases):
            path = ("cases", i)
            if not isinstance(raw, dict):
                self.diag("bad_type", "a case must be a mapping with note, number and want", path)
                continue
            before = len(self.diags)
            self.keys(raw, ID_CASE_KEYS, path)
            note = self.case_note(raw, path, notes)
            number = raw.get("number")
            if "number" not in raw:
                self.diag("missing_key", "'number' is required here", path, 'write the student ID in quotes: number: "3212…"')
            elif not isinstance(number, str):
                self.diag("bad_type", "write the number in quotes, as text", path + ("number",),
                          "YAML reads an unquoted number as an integer and drops leading zeros")
            stage = raw.get("stage")
            if stage is not None and stage not in ("primary", "junior", "senior"):
                hint = did_you_mean(str(stage), ("primary", "junior", "senior"))
                self.diag("bad_value", f"{stage!r} is not a stage", path + ("stage",),
                          ((hint + " ") if hint else "") + "write primary, junior or senior")
            want = self.id_want(raw, path, layouts)
            if len(self.diags) > before or want is None:
                continue
            line, _ = doc.where(path)
            cases.append(IdCase(doc.file, line, i, note, number, stage, want))
        return cases

    def id_want(self, raw: dict, path: tuple, layouts: dict | None) -> IdWant | None:
        wpath = path + ("want",)
        w = raw.get("want")
        if "want" not in raw:
            self.diag("missing_key", "'want' is required here", path, "write `want: {layout: …}` or `want: {error: …}`")
            return None
        if not isinstance(w, dict) or not w:
            self.diag("empty_want" if not w else "bad_type", "want must be {layout: …, parts: {…}} or {error: …}", wpath)
            return None
        self.keys(w, ID_WANT_KEYS, wpath)
        if "error" in w:
            if w["error"] not in ID_ERROR_CODES:
                hint = did_you_mean(str(w["error"]), ID_ERROR_CODES)
                self.diag("bad_value", f"{w['error']!r} is not an error a student-ID case can expect", wpath + ("error",),
                          ((hint + " ") if hint else "") + "write one of: " + ", ".join(ID_ERROR_CODES))
            others = [k for k in w if k != "error" and k in ID_WANT_KEYS]
            if others:
                self.diag("conflicting_want", f"a case that expects an error cannot also expect {', '.join(others)}",
                          wpath + (others[0],), "keep `error:` alone, or drop it")
            return IdWant(error=w["error"])
        if "layout" not in w:
            self.diag("missing_key", "'layout' is required here", wpath, "name the layout the number decodes by, or `error:`")
            return None
        layout = w["layout"]
        if layouts is not None and layout not in layouts:
            hint = did_you_mean(str(layout), layouts)
            self.diag("bad_value", f"{self.policy.id} has no student-ID layout {layout!r}", wpath + ("layout",),
                      ((hint + " ") if hint else "") + "layouts: " + ", ".join(layouts))
            return None
        parts = w.get("parts") or {}
        if not isinstance(parts, dict):
            self.diag("bad_type", "parts must be a mapping of part name to its digits", wpath + ("parts",))
            return None
        fields = {f.name for f in layouts[layout].fields} if layouts is not None else None
        for name, value in parts.items():
            if fields is not None and name not in fields:
                hint = did_you_mean(str(name), fields)
                self.diag("bad_value", f"layout {layout} has no part {name!r}", wpath + ("parts", name),
                          ((hint + " ") if hint else "") + "parts: " + ", ".join(sorted(fields)))
            if not isinstance(value, str):
                self.diag("bad_type", "write the part's digits in quotes, as text", wpath + ("parts", name))
        return IdWant(layout=layout, parts=tuple((str(k), str(v)) for k, v in parts.items()))


class _Reader(_IdReader):
    def __init__(self, doc: _yaml.Document, policy=None):
        self.doc = doc
        self.policy = policy
        self.diags: list[Diagnostic] = []
        self.calendar_files: dict = {}  # resolved path -> SchoolCalendar or None (invalid), each read once

    def calendar(self, node: dict, path: tuple):
        """The calendar under ``calendar:`` of ``node`` (at ``path``): (present, SchoolCalendar or None if invalid)."""
        from ..errors import CalendarError
        from ..school_calendar import check_calendar_at, load_calendar

        if "calendar" not in node:
            return False, None
        value, cpath = node["calendar"], path + ("calendar",)
        if isinstance(value, dict):
            calendar, problems = check_calendar_at(self.doc, cpath)
            self.diags.extend(problems)
            return True, calendar
        if not isinstance(value, str) or not value.strip():
            self.diag("bad_type", "calendar must be a file path (relative to this file) or the calendar itself",
                      cpath, "write e.g. `calendar: calendars/school.yaml`, or the school years inline (docs/time.md)")
            return True, None
        target = (Path(self.doc.file).parent / value).resolve()
        if target not in self.calendar_files:
            if not target.is_file():
                self.diag("calendar_missing", f"there is no calendar file {value}", cpath,
                          "the path is relative to this case file")
                self.calendar_files[target] = None
                return True, None
            try:
                self.calendar_files[target] = load_calendar(target)
            except CalendarError as err:
                self.diag("calendar_invalid", f"the calendar file {value} is not valid", cpath,
                          "see the problems reported in that file")
                self.diags.extend(err.diagnostics)
                self.calendar_files[target] = None
        return True, self.calendar_files[target]

    def diag(self, code: str, message: str, path: tuple = (), hint: str | None = None) -> None:
        self.diags.append(self.doc.diagnostic(code, message, path, hint))

    def keys(self, node: dict, allowed: tuple, path: tuple) -> None:
        for key in node:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                self.diag("unknown_key", f"'{key}' is not a key here", path + (key,),
                          ((hint + " ") if hint else "") + "allowed keys: " + ", ".join(allowed))

    def case_list(self, top: dict) -> list | None:
        """The file's `cases:` list (problems reported), or None when there is none to read."""
        raw_cases = top.get("cases")
        if raw_cases is None:
            self.diag("missing_key", "'cases' is required here", (), "list the cases under `cases:`")
            return None
        if not isinstance(raw_cases, list):
            self.diag("bad_type", "cases must be a list", ("cases",))
            return None
        if not raw_cases:
            self.diag("no_cases", "the file has no cases", ("cases",), "add at least one case, or delete the file")
        return raw_cases

    def case_note(self, raw: dict, path: tuple, notes: dict) -> str | None:
        """A case's note: required, text, and unique in its file (it names the test)."""
        note = raw.get("note")
        if note is None:
            self.diag("missing_key", "'note' is required here", path, "say in a sentence what the case checks")
            return None
        if not isinstance(note, (str, int)) or isinstance(note, bool):
            self.diag("bad_type", "note must be text", path + ("note",))
            return None
        note = str(note).strip()
        if note in notes:
            line, _ = self.doc.where(("cases", notes[note]))
            self.diag("duplicate_note", f"the note is also used by the case at line {line}", path + ("note",),
                      "give each case its own note: it names the test")
        notes[note] = path[-1]
        return note

    def case_date(self, raw: dict, path: tuple, top: dict, default_on):
        """The case's date, or the file's."""
        on = self.date(raw["on"], path + ("on",)) if "on" in raw else default_on
        if "on" not in raw and "on" not in top:
            self.diag("missing_date", "the case has no date", path,
                      "add `on: YYYY-MM-DD` to the case, or once at the top of the file")
        return on

    def date(self, value, path: tuple) -> _dt.date | None:
        if value is None:
            self.diag("bad_date", "the date is empty", path, "write it as YYYY-MM-DD, e.g. 2025-03-03")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, _dt.date)):
            self.diag("bad_date", f"{value!r} is not a date", path, "write it as YYYY-MM-DD, e.g. 2025-03-03")
            return None
        try:
            return to_date(value)
        except ValueError as exc:
            self.diag("bad_date", str(exc), path, "write it as YYYY-MM-DD, e.g. 2025-03-03")
            return None

    def facts(self, value, path: tuple) -> dict | None:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.diag("bad_type", "facts must be a mapping (student: …, absence: …)", path)
            return None
        return value

    def id_list(self, value, path: tuple, what: str) -> tuple | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.diag("bad_type", f"{what} must be a list of text, e.g. [a, b]", path)
            return None
        return tuple(value)

    def file_header(self, what: str, keys: tuple) -> tuple[dict | None, str | None]:
        """The file's top mapping (None if it is not one) and its question (None if missing or not text)."""
        top = self.doc.value
        if not isinstance(top, dict):
            self.diag("bad_type", f"{what} must be a mapping with `question:` and `cases:`", ())
            return None, None
        self.keys(top, keys, ())
        question = top.get("question")
        if question is None:
            self.diag("missing_key", "'question' is required here", (), "name the question, e.g. `question: suspension`")
        elif not isinstance(question, str):
            self.diag("bad_type", "question must be text", ("question",))
            question = None
        return top, question

    def read(self) -> list[Case]:
        doc = self.doc
        top, question = self.file_header("a case file", FILE_KEYS)
        if top is None:
            return []
        if question == STUDENT_ID:
            return self.read_ids(top)
        rules: dict | None = None
        if question is not None and self.policy is not None:
            q = self.policy.questions.get(question)
            if q is None:
                hint = did_you_mean(question, self.policy.questions)
                self.diag("unknown_question", f"{self.policy.id} has no question '{question}'", ("question",),
                          ((hint + " ") if hint else "") + "questions: " + ", ".join(self.policy.questions))
            else:
                rules = {r.id: r for r in q.rules}

        default_on = self.date(top["on"], ("on",)) if "on" in top else None
        base = self.facts(top.get("facts"), ("facts",))
        file_has_calendar, file_calendar = self.calendar(top, ())
        file_readings = self.readings(top, ())

        raw_cases = self.case_list(top)
        if raw_cases is None:
            return []

        cases: list[Case] = []
        notes: dict[str, int] = {}
        for i, raw in enumerate(raw_cases):
            path = ("cases", i)
            if not isinstance(raw, dict):
                self.diag("bad_type", "a case must be a mapping with note, facts and want", path)
                continue
            raw = doc.value["cases"][i]
            self.keys(raw, CASE_KEYS, path)

            note = self.case_note(raw, path, notes)
            on = self.case_date(raw, path, top, default_on)

            facts = self.facts(raw.get("facts"), path + ("facts",))
            want = self.want(raw, path, rules)
            case_readings = {**file_readings, **self.readings(raw, path)}
            has_calendar, calendar = self.calendar(raw, path)
            if not has_calendar:
                has_calendar, calendar = file_has_calendar, file_calendar

            if None in (note, question, on, facts, base, want) or "on" in top and default_on is None:
                continue
            if has_calendar and calendar is None:
                continue
            line, _ = doc.where(path)
            cases.append(Case(
                file=doc.file, line=line, index=i, note=note, question=question, on=on,
                facts=deep_merge(base, facts), want=want,
                positions=_FactPositions(doc, path + ("facts",), ("facts",)), calendar=calendar,
                readings=case_readings,
            ))
        return cases

    def readings(self, node: dict, path: tuple) -> dict:
        """The readings switched under ``readings:`` ({id: option}); checked against the policy when there is one."""
        value = node.get("readings")
        if value is None:
            return {}
        rpath = path + ("readings",)
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            self.diag("bad_type", "readings maps a reading's id to the option taken", rpath,
                      "write e.g. `readings: {transfer_review_is_approval: 步骤}` (see `xueji readings REGION`)")
            return {}
        if self.policy is not None:
            from ..readings import problems

            for rid, code, message, hint in problems(self.policy, value):
                self.diag(code, message, rpath + (rid,), hint)
        return dict(value)

    def want(self, raw: dict, path: tuple, rules: dict | None) -> Want | None:
        wpath = path + ("want",)
        if "want" not in raw:
            self.diag("missing_key", "'want' is required here", path, "say what the answer must be, e.g. `want: {outcome: allowed}`")
            return None
        return self.want_body(raw["want"], wpath, rules, self.policy)

    def want_body(self, w, wpath: tuple, rules: dict | None, policy=None) -> Want | None:
        """One ``want`` mapping (a case's, or one region's in a cross-region case)."""
        if w is None or w == {}:
            self.diag("empty_want", "the case expects nothing, so it can never fail", wpath,
                      "give at least `outcome:` (or `error:`)")
            return None
        if not isinstance(w, dict):
            self.diag("bad_type", "want must be a mapping, e.g. {outcome: allowed}", wpath)
            return None
        before = len(self.diags)
        self.keys(w, WANT_KEYS, wpath)
        out: dict = {}

        if "error" in w:
            err = w["error"]
            if err not in ERROR_CODES:
                hint = did_you_mean(str(err), ERROR_CODES)
                self.diag("bad_value", f"{err!r} is not an error code a case can expect", wpath + ("error",),
                          ((hint + " ") if hint else "") + "write one of: " + ", ".join(ERROR_CODES))
            others = [k for k in w if k != "error" and k in WANT_KEYS]
            if others:
                self.diag("conflicting_want", f"a case that expects an error cannot also expect {', '.join(others)}",
                          wpath + (others[0],), "keep `error:` alone, or drop it")
            out["error"] = err
        elif "outcome" not in w and "status" not in w:
            self.diag("missing_key", "'outcome' (or 'status') is required here", wpath,
                      "write the expected outcome (" + ", ".join(OUTCOMES) + "), or `error:`")

        if "outcome" in w:
            outcome = w["outcome"]
            if outcome not in OUTCOMES:
                hint = did_you_mean(str(outcome), OUTCOMES)
                self.diag("bad_value", f"{outcome!r} is not an outcome", wpath + ("outcome",),
                          ((hint + " ") if hint else "") + "write one of: " + ", ".join(OUTCOMES))
            out["outcome"] = outcome

        for key, allowed in (("norm", NORMS), ("status", STATUSES)):
            if key in w:
                if w[key] not in allowed:
                    hint = did_you_mean(str(w[key]), allowed)
                    self.diag("bad_value", f"{w[key]!r} is not a {key}", wpath + (key,),
                              ((hint + " ") if hint else "") + "write one of: " + ", ".join(allowed))
                out[key] = w[key]
        if "awaiting" in w:
            parties = self.id_list(w["awaiting"], wpath + ("awaiting",), "awaiting")
            if parties is not None:
                for j, party in enumerate(parties):
                    if not all(p in PARTIES for p in str(party).split("|")):
                        hint = did_you_mean(str(party), PARTIES)
                        self.diag("bad_value", f"{party!r} is not a party", wpath + ("awaiting", j),
                                  ((hint + " ") if hint else "") + "write one of: " + ", ".join(PARTIES))
                out["awaiting"] = frozenset(parties)

        for key in ("failed", "held"):
            if key in w:
                ids = self.id_list(w[key], wpath + (key,), key)
                if ids is not None and rules is not None:
                    for j, rid in enumerate(ids):
                        if rid not in rules:
                            hint = did_you_mean(rid, rules)
                            self.diag("unknown_rule", f"the question has no rule '{rid}'", wpath + (key, j),
                                      ((hint + " ") if hint else "") + "rules: " + ", ".join(rules))
                if ids is not None:
                    out[key] = frozenset(ids) if key == "failed" else ids

        if "certificate" in w:
            cert = w["certificate"]
            if cert is not None and cert not in CERTIFICATES:
                hint = did_you_mean(str(cert), CERTIFICATES)
                self.diag("bad_value", f"{cert!r} is not a certificate", wpath + ("certificate",),
                          ((hint + " ") if hint else "") + "write one of: " + ", ".join(CERTIFICATES) + ", or null for none")
            out["certificate"] = cert
            out["check_certificate"] = True

        if "missing" in w:
            paths = self.id_list(w["missing"], wpath + ("missing",), "missing")
            if paths is not None:
                for j, p in enumerate(paths):
                    if p not in FACTS:
                        hint = did_you_mean(p, FACTS)
                        self.diag("unknown_fact", f"'{p}' is not a fact in the vocabulary", wpath + ("missing", j),
                                  hint or "write a dotted fact path, e.g. absence.class_hours_missed")
                out["missing"] = paths

        if "approvers" in w:
            approvers = self.id_list(w["approvers"], wpath + ("approvers",), "approvers")
            if approvers is not None:
                out["approvers"] = approvers

        if "deadlines" in w:
            raw = w["deadlines"]
            if not isinstance(raw, dict) or not raw:
                self.diag("bad_type", "deadlines maps a deadline's title (or its rule's id) to its date",
                          wpath + ("deadlines",), "write e.g. deadlines: {compulsory_class_hours: 2026-01-06}")
            else:
                pairs = []
                for key, value in raw.items():
                    if value is None:
                        pairs.append((str(key), None))
                        continue
                    try:
                        pairs.append((str(key), to_date(value)))
                    except ValueError as exc:
                        self.diag("bad_date", f"deadline {key}: {exc}", wpath + ("deadlines", key),
                                  "write the date as YYYY-MM-DD, or null for a deadline that cannot be given")
                out["deadlines"] = tuple(pairs)

        if "why" in w:
            why = w["why"]
            if why is not None and not isinstance(why, str):
                self.diag("bad_type", "why must be an article id (text), or null when no rule decides", wpath + ("why",))
            elif why is not None and policy is not None and why not in policy.articles:
                hint = did_you_mean(why, policy.articles)
                self.diag("unknown_article", f"{policy.id} has no article '{why}'", wpath + ("why",),
                          hint or "write the id of an article under `articles:`")
            out["why"] = why
            out["check_why"] = True

        if len(self.diags) > before:
            return None
        return Want(**out)


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base``: mappings merge key by key, anything else (lists too) replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def check_case_file(path: str | os.PathLike, policy=None) -> tuple[list[Case], list[Diagnostic]]:
    """The cases of a file and every problem found in it (cases are only valid when there is none).

    With ``policy`` the question and the rule ids are checked against it too.
    """
    doc, errors = _yaml.load_file(path)
    if doc is None:
        return [], list(errors)
    # a file the YAML reader could build (a repeated key keeps its first value) is still read
    # through, so that every problem is reported in one pass, not in rounds
    reader = _Reader(doc, policy)
    cases = reader.read()
    diags = list(errors) + list(reader.diags)
    if errors:
        cases = []
    return cases, sorted(diags, key=lambda d: (d.line or 0, d.column or 0, d.code))


def load_case_file(path: str | os.PathLike, policy=None) -> tuple[Case, ...]:
    """The cases of a file, or CaseFileError with every problem (file, line, column, path)."""
    cases, diags = check_case_file(path, policy)
    if diags:
        raise CaseFileError(f"the case file {path} is not valid", tuple(diags))
    return tuple(cases)
