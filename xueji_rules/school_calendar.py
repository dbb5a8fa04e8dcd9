"""A region's school calendar: school years, semesters and holidays, indexed once.

Each policy folder holds ``calendar.yaml`` (replaceable each year by the
bureau's official calendar). Its periods tile every school year from 1 September
to 31 August: first semester, winter holiday, second semester, summer holiday.
A date is looked up by bisect over the period starts (and remembered, so a
date asked again is one dict look-up); a date outside every school year is a
DateError naming the school year that is missing.

A calendar is also a value given at ask time: the bundled calendars are
samples, and a registry office holds each school's own term dates.
``load_calendar(path or mapping)`` reads and validates one with the same
checks and file positions as a policy's ``calendar.yaml``; ``ask(…, calendar=…)``
answers with it instead of the policy's (see docs/time.md).

"Nearest" semester boundaries never guess across the calendar's edges: near its
first or last school year, when a boundary in the school year that is missing
could be nearer than every boundary the calendar holds, the answer is a
DateError naming that school year. The next school year's first semester always
starts on 1 September (periods tile the year), so that one start is known.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import hashlib
import json
import os
from collections.abc import Mapping

import attrs

from .errors import CalendarError, DateError

PERIODS = {
    "first_semester": "第一学期",
    "winter_holiday": "寒假",
    "second_semester": "第二学期",
    "summer_holiday": "暑假",
}
SEMESTERS = ("first_semester", "second_semester")


@attrs.frozen
class Period:
    school_year: int  # the year the school year starts in (2024 for 2024-2025)
    name: str  # one of PERIODS
    start: _dt.date
    end: _dt.date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.school_year}-{self.school_year + 1}学年{PERIODS[self.name]}"


@attrs.frozen
class SchoolCalendar:
    """Periods in date order, with the starts and ends of semesters kept apart for 'nearest' look-ups."""

    periods: tuple
    sample: bool = False
    note: str | None = None
    #: the calendar's name (its `title:`; for a file without one, the file's name)
    title: str | None = None
    #: sha256 of the canonical content (see ``canonical``): which calendar answered, whatever its layout
    content_hash: str = ""
    #: the file it was read from, if any (error messages name it)
    origin: str | None = attrs.field(default=None, eq=False)
    _starts: tuple = attrs.field(default=(), repr=False, eq=False)
    _semester_starts: tuple = attrs.field(default=(), repr=False, eq=False)
    _semester_ends: tuple = attrs.field(default=(), repr=False, eq=False)
    #: answers already given, by date: a question asked for the same day again is one dict look-up
    _periods_by_day: dict = attrs.field(factory=dict, repr=False, eq=False)
    _starts_by_day: dict = attrs.field(factory=dict, repr=False, eq=False)
    _ends_by_day: dict = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def build(cls, periods: list[Period], sample: bool = False, note: str | None = None,
              title: str | None = None, content_hash: str = "", origin: str | None = None) -> "SchoolCalendar":
        periods = sorted(periods, key=lambda p: p.start)
        return cls(
            tuple(periods), sample, note, title, content_hash, origin,
            tuple(p.start for p in periods),
            tuple(p.start for p in periods if p.name in SEMESTERS),
            tuple(p.end for p in periods if p.name in SEMESTERS),
        )

    def ref(self, source: str) -> dict:
        """What a Decision records of the calendar it used: source ("policy" or "given"), title, sample, hash."""
        return {"source": source, "title": self.title, "sample": self.sample, "content_hash": self.content_hash}

    @property
    def first_day(self) -> _dt.date:
        return self.periods[0].start

    @property
    def last_day(self) -> _dt.date:
        return self.periods[-1].end

    def school_years(self) -> tuple:
        """The school years covered, as the years they start in (2024 for 2024-2025)."""
        return tuple(sorted({p.school_year for p in self.periods}))

    def _missing(self, day: _dt.date) -> DateError:
        year = day.year if day.month >= 9 else day.year - 1
        covered = ""
        if self.periods:
            covered = f" (it covers {self.periods[0].school_year}-{self.periods[0].school_year + 1} to " \
                      f"{self.periods[-1].school_year}-{self.periods[-1].school_year + 1})"
        return DateError(
            f"the school calendar{f' 《{self.title}》' if self.title else ''} has no school year {year}-{year + 1} "
            f"for {day.isoformat()}{covered}; add it to {self.origin or 'the calendar'}"
        )

    def period(self, day: _dt.date) -> Period:
        """The period (semester or holiday) that contains ``day``."""
        hit = self._periods_by_day.get(day)
        if hit is not None:
            return hit
        i = bisect.bisect_right(self._starts, day) - 1
        if i < 0 or day > self.periods[i].end:
            raise self._missing(day)
        self._periods_by_day[day] = self.periods[i]
        return self.periods[i]

    def school_year(self, day: _dt.date) -> int:
        """The year the school year containing ``day`` starts in."""
        return self.period(day).school_year

    def _nearest(self, day: _dt.date, boundaries: tuple, after_last: _dt.date | None) -> _dt.date:
        """The boundary nearest to ``day`` (on a tie, the earlier), never a guess across the calendar's edges.

        ``after_last`` is the first boundary after the calendar when it is known
        (the next school year's first day); otherwise an unknown boundary beyond
        the last day may be as near as the day after it.
        """
        self.period(day)  # a date outside the calendar is an error, not a guess
        i = bisect.bisect_left(boundaries, day)
        before = boundaries[i - 1] if i > 0 else None
        after = boundaries[i] if i < len(boundaries) else after_last
        if before is None:
            # a boundary of the school year before the calendar lies before its first day
            bound = (day - self.first_day).days + 1
            if after is None or bound <= (after - day).days:
                raise self._missing(self.first_day - _dt.timedelta(days=1))
            return after
        if after is None:
            bound = (self.last_day - day).days + 1
            if bound < (day - before).days:
                raise self._missing(self.last_day + _dt.timedelta(days=1))
            return before
        return before if (day - before).days <= (after - day).days else after

    def semester_start_near(self, day: _dt.date) -> _dt.date:
        """The first day of the semester whose first day is nearest to ``day`` (on a tie, the earlier)."""
        hit = self._starts_by_day.get(day)
        if hit is None:
            # periods tile school years, so the school year after the calendar starts on 1 September
            hit = self._starts_by_day[day] = self._nearest(day, self._semester_starts, self.last_day + _dt.timedelta(days=1))
        return hit

    def semester_end_near(self, day: _dt.date) -> _dt.date:
        """The last day of the semester whose last day is nearest to ``day`` (on a tie, the earlier)."""
        hit = self._ends_by_day.get(day)
        if hit is None:
            hit = self._ends_by_day[day] = self._nearest(day, self._semester_ends, None)
        return hit


def check_and_build(body: dict, where, origin: str | None = None) -> tuple[SchoolCalendar | None, list]:
    """Build a calendar from the ``calendar:`` section; report gaps, overlaps and misnamed years.

    ``where(path, code, message, hint)`` makes a Diagnostic at a path of the section.
    """
    problems = []
    periods: list[Period] = []
    years: dict[int, str] = {}
    for label, year in (body.get("school_years") or {}).items():
        first, _, second = str(label).partition("-")
        if not (first.isdigit() and second.isdigit() and int(second) == int(first) + 1):
            problems.append(where(("calendar", "school_years", label), "bad_value",
                                  f"'{label}' is not a school year", "write it as \"2024-2025\""))
            continue
        y = int(first)
        years[y] = label
        expected = _dt.date(y, 9, 1)
        year_ok = True
        for name in PERIODS:
            span = year.get(name)
            start, end = _date(span.get("start")), _date(span.get("end"))
            path = ("calendar", "school_years", label, name)
            if start is None or end is None or end < start:
                problems.append(where(path, "calendar_period", f"{label} {PERIODS[name]} has no valid start and end",
                                      "give start and end as YYYY-MM-DD, end not before start"))
                year_ok = False
                continue
            if start != expected:
                how = "overlaps the previous period, which ends" if start < expected else "leaves a gap after the previous period, which ends"
                problems.append(where(path + ("start",), "calendar_gap",
                                      f"{label} {PERIODS[name]} starts {start.isoformat()}: it {how} "
                                      f"{(expected - _dt.timedelta(days=1)).isoformat()}",
                                      f"periods tile the school year from {y}-09-01 to {y + 1}-08-31: start it on {expected.isoformat()}"))
                year_ok = False
            periods.append(Period(y, name, start, end))
            expected = end + _dt.timedelta(days=1)
        if expected != _dt.date(y + 1, 9, 1) and year_ok:
            problems.append(where(("calendar", "school_years", label, "summer_holiday", "end"), "calendar_gap",
                                  f"{label} ends {(expected - _dt.timedelta(days=1)).isoformat()}, not {y + 1}-08-31",
                                  "the summer holiday ends on 31 August"))
    # school years follow one another: a missing year in between would make 'nearest' look-ups guess across it
    ordered = sorted(years)
    for prev, y in zip(ordered, ordered[1:]):
        if y != prev + 1:
            problems.append(where(("calendar", "school_years", years[y]), "calendar_gap",
                                  f"school years {prev + 1}-{prev + 2} to {y - 1}-{y} are missing between "
                                  f"{years[prev]} and {years[y]}",
                                  "school years must follow one another: add the missing ones"))
    if problems:
        return None, problems
    return SchoolCalendar.build(periods, bool(body.get("sample")), body.get("note"), body.get("title"),
                                hashlib.sha256(canonical(body).encode()).hexdigest(), origin), []


def canonical(body: dict) -> str:
    """The calendar's content as canonical JSON: keys sorted, dates as YYYY-MM-DD, no comments or layout.

    Two files that differ only in comments, key order, quoting or spacing have the
    same content hash; any other change (a date, the title, the note) changes it.
    """
    def norm(v):
        if isinstance(v, Mapping):
            return {str(k): norm(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        if isinstance(v, (_dt.date, _dt.datetime)):
            return _date(v).isoformat()
        return v

    return json.dumps(norm(body), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class _Within:
    """A document seen through a prefix: the calendar section at ``prefix`` of ``doc``, as if it were `calendar:`."""

    def __init__(self, doc, body, prefix: tuple):
        self.doc, self.prefix = doc, tuple(prefix)
        self.value = {"calendar": body}
        self.file = doc.file

    def path(self, path: tuple) -> tuple:
        path = tuple(path)
        return self.prefix + path[1:] if path[:1] == ("calendar",) else self.prefix + path

    def diagnostic(self, code, message, path=(), hint=None):
        return self.doc.diagnostic(code, message, self.path(path), hint)


def check_calendar_at(doc, prefix: tuple, title: str | None = None) -> tuple[SchoolCalendar | None, list]:
    """Validate the calendar section at ``prefix`` of a YAML document (a calendar file's ``("calendar",)``,
    or a case file's inline ``calendar:``): the policy schema's calendar checks, then the tiling checks,
    every problem at its file position. ``title`` names a calendar that has no `title:`."""
    from .schema_check import _schema_errors

    node = doc.value
    for key in prefix:
        node = node[key]
    if not isinstance(node, Mapping):
        return None, [doc.diagnostic("bad_type", "a calendar must be a mapping with `school_years:`", prefix,
                                     "write the calendar as in a policy's calendar.yaml (docs/time.md)")]
    view = _Within(doc, node, prefix)
    problems = _schema_errors(view)
    if problems:
        return None, problems
    calendar, problems = check_and_build(node, lambda p_, c_, m_, h_=None: view.diagnostic(c_, m_, p_, h_),
                                         doc.file if doc.file != "<calendar>" else None)
    if calendar is not None and calendar.title is None and title is not None:
        calendar = attrs.evolve(calendar, title=title)
    return calendar, problems


def load_calendar(source) -> SchoolCalendar:
    """A school calendar from a file (a path: YAML with a `calendar:` section, as a policy's calendar.yaml)
    or a mapping (the section's body, or ``{"calendar": body}``); a SchoolCalendar is returned as it is.

    Validated exactly as a policy's calendar (docs/time.md): every problem is a Diagnostic
    with file, line, column and path; any problem raises CalendarError.
    """
    from . import _yaml

    if isinstance(source, SchoolCalendar):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        doc, errors = _yaml.load_file(path)
        if errors or doc is None:
            raise CalendarError(f"the calendar file {path} cannot be read", tuple(errors))
        title = os.path.basename(path)
    elif isinstance(source, Mapping):
        from ._yaml import Document

        # dates may be given as datetime.date: checked as the YYYY-MM-DD text a file holds
        value = json.loads(canonical(source))
        value = value if set(value) == {"calendar"} else {"calendar": value}
        doc, title = Document("<calendar>", value, {}), None
    else:
        raise CalendarError(f"a calendar is a file path or a mapping, not {type(source).__name__}")
    top = doc.value
    if not isinstance(top, Mapping) or "calendar" not in top:
        raise CalendarError(f"{doc.file} has no calendar", (doc.diagnostic(
            "missing_key", "'calendar' is required here", (),
            "write the school years under `calendar:`, as in a policy's calendar.yaml (docs/time.md)"),))
    extra = [k for k in top if k != "calendar"]
    if extra:
        raise CalendarError(f"the calendar in {doc.file} is not valid", tuple(
            doc.diagnostic("unknown_key", f"'{k}' is not a key here", (k,), "a calendar file holds only `calendar:`")
            for k in extra))
    calendar, problems = check_calendar_at(doc, ("calendar",), title)
    if problems or calendar is None:
        raise CalendarError(f"the calendar in {doc.file} is not valid", tuple(problems))
    return calendar


def _date(value):
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        return None
