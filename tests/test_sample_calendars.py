"""The bundled sample calendars: written by tools/sample_calendars.py's named pattern, and reaching back far
enough that every region's questions can be asked on its regulation's first day."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

import xueji_rules as xr
from xueji_rules.compliance.cases import case_files, load_case_file
from xueji_rules.errors import DateError
from xueji_rules.facts.input import read_facts

ROOT = Path(__file__).resolve().parent.parent
REGIONS = ("jiangsu", "shandong", "shandong/jinxiang", "nanchang")


def _tool():
    spec = importlib.util.spec_from_file_location("sample_calendars", ROOT / "tools" / "sample_calendars.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_sample_calendars_are_as_the_generator_writes_them():
    """Each calendar.yaml is exactly what tools/sample_calendars.py writes: no date edited by hand."""
    assert _tool().main(["--check"]) == 0


def test_the_spring_festival_table_agrees_with_the_official_holidays():
    """Each Spring Festival in the generator's table is a day of that year's official 春节 holiday."""
    import chinese_calendar

    from xueji_rules.workdays import covered_years

    first, last = covered_years()
    checked = 0
    for year, day in _tool().SPRING_FESTIVAL.items():
        if first <= year <= last:
            assert chinese_calendar.get_holiday_detail(day) == (True, chinese_calendar.Holiday.spring_festival.value), year
            checked += 1
    assert checked >= 15


def test_every_sample_period_follows_the_pattern():
    """Semesters start on 1 September and on a Monday; holidays start on a Sunday; school years follow one another."""
    for region in ("jiangsu", "shandong", "nanchang"):
        cal = xr.load_calendar(ROOT / "policies" / region / "calendar.yaml")
        assert cal.sample
        years = cal.school_years()
        assert years == tuple(range(years[0], years[-1] + 1))
        for p in cal.periods:
            if p.name == "first_semester":
                assert p.start == dt.date(p.school_year, 9, 1)
            elif p.name == "second_semester":
                assert p.start.isoweekday() == 1 and p.end.isoweekday() == 6 and p.end.month == 7
            else:
                assert p.start.isoweekday() == 7, (region, p)


@pytest.mark.parametrize("region", REGIONS)
def test_the_calendar_answers_on_the_regulations_first_day(region):
    """period, school year and the nearest semester start and end are known on the regulation's effective date."""
    policy = xr.load_policy(region)
    for day in {layer.effective_from for layer in policy.layers}:  # Jinxiang: its own date and Shandong's
        assert policy.calendar.period(day)
        assert policy.calendar.semester_start_near(day) and policy.calendar.semester_end_near(day)


@pytest.mark.parametrize("region", REGIONS)
def test_every_case_asked_on_the_regulations_first_day_needs_no_missing_school_year(region):
    """Every compliance case of the region, asked again on its regulation's first day, gets an answer or an
    error that is not the calendar's: the sample calendar covers that day and the 'nearest' look-ups around it."""
    policy = xr.load_policy(region)
    asked = 0
    for f in case_files(Path(policy.folder) / "tests"):
        for case in load_case_file(f, policy):
            if case.question not in policy.questions:
                continue
            for day in {layer.effective_from for layer in policy.layers}:
                try:
                    xr.evaluate(policy, case.question, read_facts(case.facts), day)
                except DateError as exc:
                    assert "school calendar" not in str(exc), (case.note, str(exc))
                except xr.XuejiError:
                    pass
                asked += 1
    assert asked > 10
