"""Mainland China's official working days (工作日), with the State Council's 调休.

The data comes from the maintained ``chinesecalendar`` package (import name
``chinese_calendar``), which publishes each year's holidays and the weekend days
made into working days. It is indexed once per process into a sorted list, so a
deadline is a bisect, not a scan. A date in a year the package does not cover is
a clear DateError naming the year: never a guess.

Counting convention (a reading every policy relies on, documented in
docs/time.md): "within N working days from D" ends on the N-th working day
after D; D itself is not counted, whether or not it is a working day.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import functools

from .errors import DateError


@functools.cache
def _index() -> tuple[tuple[_dt.date, ...], int, int]:
    import chinese_calendar

    first, last = _covered_years(chinese_calendar)
    start, end = _dt.date(first, 1, 1), _dt.date(last, 12, 31)
    days = tuple(
        d
        for d in (start + _dt.timedelta(days=i) for i in range((end - start).days + 1))
        if chinese_calendar.is_workday(d)
    )
    return days, first, last


def _covered_years(chinese_calendar) -> tuple[int, int]:
    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    return years[0], years[-1]


def covered_years() -> tuple[int, int]:
    """The first and last year with official working-day data."""
    _, first, last = _index()
    return first, last


def _uncovered(day: _dt.date, first: int, last: int) -> DateError:
    return DateError(
        f"no official working-day data for {day.year}: the installed chinesecalendar covers {first}–{last}; "
        "upgrade it once the State Council has published that year's holidays"
    )


def is_working_day(day: _dt.date) -> bool:
    """Whether ``day`` is an official working day (a weekday that is no holiday, or a 调休 weekend day)."""
    days, first, last = _index()
    if not first <= day.year <= last:
        raise _uncovered(day, first, last)
    i = bisect.bisect_left(days, day)
    return i < len(days) and days[i] == day


def add_working_days(day: _dt.date, n: int) -> _dt.date:
    """The ``n``-th working day after ``day`` (``n`` > 0), or before it (``n`` < 0); ``day`` itself is not counted."""
    days, first, last = _index()
    if not first <= day.year <= last:
        raise _uncovered(day, first, last)
    if n >= 0:
        i = bisect.bisect_right(days, day) + n - 1
        if n == 0:
            return day
        if i >= len(days):
            raise _uncovered(_dt.date(last + 1, 1, 1), first, last)
    else:
        i = bisect.bisect_left(days, day) + n
        if i < 0:
            raise _uncovered(_dt.date(first - 1, 12, 31), first, last)
    return days[i]


def within_working_days(day: _dt.date, anchor: _dt.date, n: int) -> bool:
    """Whether ``day`` lies within ``n`` working days before or after ``anchor``, both edges included.

    The window runs from the ``n``-th working day before ``anchor`` to the ``n``-th
    working day after it (the same counting as ``add_working_days``), so a day off
    just past either edge is outside. Equivalently: fewer than ``n`` working days
    lie strictly between ``day`` and ``anchor``; this is symmetric in the two dates.
    """
    days, first, last = _index()
    for d in (day, anchor):
        if not first <= d.year <= last:
            raise _uncovered(d, first, last)
    if n <= 0 or day == anchor:
        return day == anchor or n > 0
    lo, hi = (day, anchor) if day < anchor else (anchor, day)
    return bisect.bisect_left(days, hi) - bisect.bisect_right(days, lo) < n


def working_days_between(start: _dt.date, end: _dt.date) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (negative if ``end`` is earlier)."""
    days, first, last = _index()
    for d in (start, end):
        if not first <= d.year <= last:
            raise _uncovered(d, first, last)
    if end >= start:
        return bisect.bisect_right(days, end) - bisect.bisect_right(days, start)
    return -working_days_between(end, start)
