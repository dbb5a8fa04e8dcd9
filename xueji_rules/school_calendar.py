"""A region's school calendar: school years, semesters and holidays, indexed once.

Each policy folder holds ``calendar.yaml`` (replaceable each year by the
bureau's official calendar). Its periods tile every school year from 1 September
to 31 August: first semester, winter holiday, second semester, summer holiday.
A date is looked up by bisect over the period starts (and remembered, so a
date asked again is one dict look-up); a date outside every school year is a
DateError naming the school year that is missing.

"Nearest" semester boundaries never guess across the calendar's edges: near its
first or last school year, when a boundary in the school year that is missing
could be nearer than every boundary the calendar holds, the answer is a
DateError naming that school year. The next school year's first semester always
starts on 1 September (periods tile the year), so that one start is known.
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
    #: answers already given, by date: a question asked for the same day again is one dict look-up
    _periods_by_day: dict = attrs.field(factory=dict, repr=False, eq=False)
    _starts_by_day: dict = attrs.field(factory=dict, repr=False, eq=False)
    _ends_by_day: dict = attrs.field(factory=dict, repr=False, eq=False)

    @classmethod
    def build(cls, periods: list[Period], sample: bool = False, note: str | None = None) -> "SchoolCalendar":
        periods = sorted(periods, key=lambda p: p.start)
        return cls(
            tuple(periods), sample, note,
            tuple(p.start for p in periods),
            tuple(p.start for p in periods if p.name in SEMESTERS),
            tuple(p.end for p in periods if p.name in SEMESTERS),
        )

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
            f"the school calendar has no school year {year}-{year + 1} for {day.isoformat()}{covered}; "
            "add it to the policy's calendar.yaml"
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


def check_and_build(body: dict, where) -> tuple[SchoolCalendar | None, list]:
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
