"""A region's school calendar: school years, semesters and holidays, indexed once.

Each policy folder holds ``calendar.yaml`` (replaceable each year by the
bureau's official calendar). Its periods tile every school year from 1 September
to 31 August: first semester, winter holiday, second semester, summer holiday.
A date is looked up by bisect over the period starts; a date outside every
school year is a DateError naming the school year that is missing.
"""

from __future__ import annotations

import bisect
import datetime as _dt

import attrs

from .errors import DateError

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
    _starts: tuple = attrs.field(default=(), repr=False, eq=False)
    _semester_starts: tuple = attrs.field(default=(), repr=False, eq=False)
    _semester_ends: tuple = attrs.field(default=(), repr=False, eq=False)

    @classmethod
    def build(cls, periods: list[Period], sample: bool = False, note: str | None = None) -> "SchoolCalendar":
        periods = sorted(periods, key=lambda p: p.start)
        return cls(
            tuple(periods), sample, note,
            tuple(p.start for p in periods),
            tuple(p.start for p in periods if p.name in SEMESTERS),
            tuple(p.end for p in periods if p.name in SEMESTERS),
        )

    def _missing(self, day: _dt.date) -> DateError:
        year = day.year if day.month >= 9 else day.year - 1
        covered = ""
        if self.periods:
            covered = f" (it covers {self.periods[0].school_year}-{self.periods[0].school_year + 1} to " \
                      f"{self.periods[-1].school_year}-{self.periods[-1].school_year + 1})"
        return DateError(
            f"the school calendar has no school year {year}-{year + 1} for {day.isoformat()}{covered}; "
            "add it to the policy's calendar.yaml"
        )

    def period(self, day: _dt.date) -> Period:
        """The period (semester or holiday) that contains ``day``."""
        i = bisect.bisect_right(self._starts, day) - 1
        if i < 0 or day > self.periods[i].end:
            raise self._missing(day)
        return self.periods[i]

    def nearest(self, day: _dt.date, boundaries: tuple) -> _dt.date:
        self.period(day)  # a date outside the calendar is an error, not a guess
        i = bisect.bisect_left(boundaries, day)
        candidates = [boundaries[j] for j in (i - 1, i) if 0 <= j < len(boundaries)]
        # the nearer one; on a tie, the earlier
        return min(candidates, key=lambda b: (abs((b - day).days), b))

    def semester_start_near(self, day: _dt.date) -> _dt.date:
        """The first day of the semester whose first day is nearest to ``day``."""
        return self.nearest(day, self._semester_starts)

    def semester_end_near(self, day: _dt.date) -> _dt.date:
        """The last day of the semester whose last day is nearest to ``day``."""
        return self.nearest(day, self._semester_ends)


def check_and_build(body: dict, where) -> tuple[SchoolCalendar | None, list]:
    """Build a calendar from the ``calendar:`` section; report gaps, overlaps and misnamed years.

    ``where(path, code, message, hint)`` makes a Diagnostic at a path of the section.
    """
    problems = []
    periods: list[Period] = []
    for label, year in (body.get("school_years") or {}).items():
        first, _, second = str(label).partition("-")
        if not (first.isdigit() and second.isdigit() and int(second) == int(first) + 1):
            problems.append(where(("calendar", "school_years", label), "bad_value",
                                  f"'{label}' is not a school year", "write it as \"2024-2025\""))
            continue
        y = int(first)
        expected = _dt.date(y, 9, 1)
        for name in PERIODS:
            span = year.get(name)
            start, end = _date(span.get("start")), _date(span.get("end"))
            path = ("calendar", "school_years", label, name)
            if start is None or end is None or end < start:
                problems.append(where(path, "calendar_period", f"{label} {PERIODS[name]} has no valid start and end",
                                      "give start and end as YYYY-MM-DD, end not before start"))
                continue
            if start != expected:
                problems.append(where(path + ("start",), "calendar_gap",
                                      f"{label} {PERIODS[name]} starts {start.isoformat()}, but the previous period "
                                      f"ends the day before {expected.isoformat()}",
                                      f"periods tile the school year from {y}-09-01 to {y + 1}-08-31: start it on {expected.isoformat()}"))
            periods.append(Period(y, name, start, end))
            expected = end + _dt.timedelta(days=1)
        if expected != _dt.date(y + 1, 9, 1) and not problems:
            problems.append(where(("calendar", "school_years", label, "summer_holiday", "end"), "calendar_gap",
                                  f"{label} ends {(expected - _dt.timedelta(days=1)).isoformat()}, not {y + 1}-08-31",
                                  "the summer holiday ends on 31 August"))
    if problems:
        return None, problems
    return SchoolCalendar.build(periods, bool(body.get("sample")), body.get("note")), []


def _date(value):
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        return None
