"""Date arithmetic in conditions follows pendulum's month-end rules."""

import datetime as dt

import pendulum
from hypothesis import given, settings
from hypothesis import strategies as st

from xueji_rules.conditions.compile import _add_duration

_UNITS = {"年": "years", "月": "months", "周": "weeks", "日": "days"}


@settings(max_examples=300, deadline=None)
@given(
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.integers(min_value=-40, max_value=40),
    st.sampled_from(sorted(_UNITS)),
)
def test_adding_a_duration_matches_pendulum(day, n, unit):
    """Moving a date by whole years, months, weeks or days gives pendulum's answer."""
    expected = pendulum.date(day.year, day.month, day.day).add(**{_UNITS[unit]: n})
    assert _add_duration(day, n, unit) == dt.date(expected.year, expected.month, expected.day)


def test_month_ends_and_leap_days_clamp():
    """31 January plus one month is the last day of February; 29 February plus a year is 28 February."""
    assert _add_duration(dt.date(2025, 1, 31), 1, "月") == dt.date(2025, 2, 28)
    assert _add_duration(dt.date(2024, 1, 31), 1, "月") == dt.date(2024, 2, 29)
    assert _add_duration(dt.date(2024, 2, 29), 1, "年") == dt.date(2025, 2, 28)
    assert _add_duration(dt.date(2024, 2, 29), 4, "年") == dt.date(2028, 2, 29)
