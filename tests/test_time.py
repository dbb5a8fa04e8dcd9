"""Time: school calendars, windows and their edges, working days, durations, time zone, effective dates.

Dates in the tables are chosen around real boundaries: the sample calendar's
semester ends and starts, the 2025 Spring Festival (2025-01-26 was a working
Sunday; 2025-01-28 to 2025-02-04 were holidays; 2025-02-08 was a working
Saturday), month ends and 29 February.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xueji_rules as xr
from xueji_rules import _yaml
from xueji_rules.conditions import parse as P
from xueji_rules.conditions.compile import BOOL, RUNTIME, Compiler, Scope, Type, _add_duration, _age_on, _next_weekday, _within
from xueji_rules.errors import DateError, Diagnostic
from xueji_rules.facts.input import read_facts, to_date
from xueji_rules.kernel import build_module
from xueji_rules.load import check_policy, compile_policy
from xueji_rules.school_calendar import check_and_build
from xueji_rules.workdays import add_working_days, covered_years, is_working_day, within_working_days

HERE = Path(__file__).parent
POLICIES = HERE / "policies"
TIME = xr.load_policy(POLICIES / "time_calendar")
D = dt.date
FAST = settings(max_examples=60, deadline=None)


def calendar_of(folder: Path, file: str = "policy.yaml"):
    doc, _ = _yaml.load_file(folder / file)
    calendar, problems = check_and_build(doc.value["calendar"], lambda *a: a)
    assert problems == []
    return calendar


CAL = calendar_of(POLICIES / "time_calendar")
JIANGSU_CAL = calendar_of(HERE.parent / "policies" / "jiangsu", "calendar.yaml")
FIRST, LAST = covered_years()


def failed(question: str, on, facts=None, policy=TIME) -> tuple:
    return xr.ask(policy, question, facts or {}, on=on).failed


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- windows and their edges ----------------------------------------------------------------------


class TestWindowEdges:
    # end_window: 2 周 (14 calendar days) before or after the nearest semester end, both edges included
    @pytest.mark.parametrize("on, inside", [
        # second semester 2024-2025 ends 2025-07-05: the window is 2025-06-21 .. 2025-07-19
        ("2025-06-20", False), ("2025-06-21", True), ("2025-07-05", True), ("2025-07-19", True), ("2025-07-20", False),
        # first semester 2024-2025 ends 2025-01-19: 2025-01-05 .. 2025-02-02
        ("2025-01-04", False), ("2025-01-05", True), ("2025-02-02", True), ("2025-02-03", False),
    ])
    def test_two_weeks_around_a_semester_end(self, on, inside):
        """`today 在 semester_end_near(today) 前后 2周 以内` holds from the 14th day before the end to the 14th day after."""
        assert failed("end_window", on) == (() if inside else ("near_semester_end",))

    @pytest.mark.parametrize("on, inside", [
        # 2025-2026 starts Monday 2025-09-01: 5 working days before is Monday 08-25, after is Monday 09-08
        ("2025-08-24", False), ("2025-08-25", True), ("2025-09-01", True), ("2025-09-08", True), ("2025-09-09", False),
        # second semester starts Monday 2025-02-17: 2025-02-10 .. 2025-02-24
        ("2025-02-09", False), ("2025-02-10", True), ("2025-02-24", True), ("2025-02-25", False),
    ])
    def test_five_working_days_around_the_next_semester_start(self, on, inside):
        """A window in 工作日 runs from the 5th working day before the start to the 5th after; the weekend beyond is outside."""
        assert failed("start_window", on) == (() if inside else ("near_semester_start",))

    @pytest.mark.parametrize("on, inside", [
        # from 2026-01-01 the window is 3 working days; 2026-03-01 (a Sunday) starts the second semester,
        # and Saturday 2026-02-28 is a 调休 working day: 02-26 .. 03-04
        ("2026-02-25", False), ("2026-02-26", True), ("2026-03-04", True), ("2026-03-05", False),
    ])
    def test_a_window_parameter_that_changes_value_on_a_date(self, on, inside):
        """A window's span is the parameter's value on the date asked (5 working days until 2025-12-31, 3 after)."""
        assert failed("start_window", on) == (() if inside else ("near_semester_start",))

    @pytest.mark.parametrize("on, ok", [
        ("2025-07-05", True), ("2025-07-06", False), ("2025-08-31", False), ("2025-09-01", True),
    ])
    def test_summer_holiday_edges(self, on, ok):
        """`period(today) 不是 "暑假"` fails from the first to the last day of the summer holiday."""
        assert failed("summer", on) == (() if ok else ("not_in_summer",))

    @pytest.mark.parametrize("day, anchor, n, inside", [
        # Spring Festival 2025: 2025-01-26 (Sunday) worked; 01-28 .. 02-04 holidays; 02-08 (Saturday) worked
        (D(2025, 2, 5), D(2025, 1, 27), 1, True),   # the 1st working day after Monday 01-27 is 02-05
        (D(2025, 2, 6), D(2025, 1, 27), 1, False),
        (D(2025, 1, 26), D(2025, 1, 27), 1, True),  # the working Sunday is the 1st working day before 01-27
        (D(2025, 1, 25), D(2025, 1, 27), 1, False),  # Saturday 01-25 lies before that working Sunday
        (D(2025, 2, 8), D(2025, 2, 7), 1, True),    # the working Saturday follows Friday 02-07
        (D(2025, 2, 9), D(2025, 2, 7), 1, False),   # Sunday 02-09 is past it
        (D(2025, 2, 7), D(2025, 2, 7), 0, True),    # a window of 0 is the day itself
        (D(2025, 2, 8), D(2025, 2, 7), 0, False),
    ])
    def test_working_day_windows_through_the_spring_festival(self, day, anchor, n, inside):
        """A working-day window counts 调休 working weekends and skips the Spring Festival holidays."""
        assert _within(day, anchor, n, "工作日") is inside
        assert within_working_days(day, anchor, n) is inside

    @pytest.mark.parametrize("unit, span, days", [("日", 14, 14), ("周", 2, 14), ("周", 1, 7), ("日", 0, 0)])
    def test_calendar_day_windows_include_both_edges(self, unit, span, days):
        """A window in 日 or 周 holds at exactly span days away and not one day further, on either side."""
        anchor = D(2025, 7, 5)
        for sign in (1, -1):
            assert _within(anchor + sign * dt.timedelta(days=days), anchor, span, unit) is True
            assert _within(anchor + sign * dt.timedelta(days=days + 1), anchor, span, unit) is False


# --- the calendar ----------------------------------------------------------------------------------


class TestCalendarLookups:
    @pytest.mark.parametrize("day, name, year", [
        ("2024-09-01", "first_semester", 2024), ("2025-01-19", "first_semester", 2024),
        ("2025-01-20", "winter_holiday", 2024), ("2025-02-16", "winter_holiday", 2024),
        ("2025-02-17", "second_semester", 2024), ("2025-07-05", "second_semester", 2024),
        ("2025-07-06", "summer_holiday", 2024), ("2025-08-31", "summer_holiday", 2024),
        ("2025-09-01", "first_semester", 2025), ("2026-08-31", "summer_holiday", 2025),
    ])
    def test_period_and_school_year_on_boundaries(self, day, name, year):
        """Each period's first and last day belong to it; 31 August ends a school year and 1 September starts one."""
        period = CAL.period(d(day))
        assert (period.name, period.school_year, CAL.school_year(d(day))) == (name, year, year)

    @pytest.mark.parametrize("day, start", [
        ("2024-09-01", "2024-09-01"), ("2024-11-24", "2024-09-01"),
        ("2025-05-26", "2025-02-17"),  # 98 days from both starts: a tie goes to the earlier
        ("2025-05-27", "2025-09-01"),
        ("2026-08-20", "2026-09-01"),  # the next school year always starts on 1 September
    ])
    def test_semester_start_near(self, day, start):
        """semester_start_near gives the nearest semester start, the earlier on a tie, and knows the next 1 September."""
        assert CAL.semester_start_near(d(day)) == d(start)

    @pytest.mark.parametrize("day, end", [
        ("2025-01-19", "2025-01-19"), ("2025-04-12", "2025-01-19"), ("2025-04-13", "2025-07-05"),
        ("2025-07-20", "2025-07-05"), ("2026-07-20", "2026-07-04"),
    ])
    def test_semester_end_near(self, day, end):
        """semester_end_near gives the last day of the semester whose end is nearest."""
        assert CAL.semester_end_near(d(day)) == d(end)

    @pytest.mark.parametrize("call, day, missing", [
        ("period", "2024-08-31", "2023-2024"), ("period", "2026-09-01", "2026-2027"),
        ("semester_end_near", "2024-09-05", "2023-2024"),  # the end of 2023-2024's second semester is nearer
        ("semester_end_near", "2026-08-20", "2026-2027"),  # a semester end in 2026-2027 could be nearer
        ("semester_end_near", "2024-10-15", "2023-2024"),
    ])
    def test_near_the_edges_the_missing_school_year_is_named(self, call, day, missing):
        """A look-up that would need a school year the calendar lacks is a DateError naming that year, never a guess."""
        with pytest.raises(DateError) as info:
            getattr(CAL, call)(d(day))
        assert info.value.code == "bad_date"
        assert missing in str(info.value)

    @pytest.mark.parametrize("on, missing", [("2026-09-01", "2026-2027"), ("2024-08-31", "2023-2024")])
    def test_a_question_outside_the_calendar_names_the_missing_school_year(self, on, missing):
        """Asking a question that needs the calendar on a date it does not cover raises DateError naming the school year."""
        with pytest.raises(DateError) as info:
            xr.ask(TIME, "summer", {}, on=on)
        assert missing in str(info.value)
        with pytest.raises(DateError):
            xr.decider(TIME, "summer", on=on)({})

    def test_the_jiangsu_calendar_is_a_marked_sample_from_before_the_regulation(self):
        """policies/jiangsu/calendar.yaml is a sample covering 2007-2008 (the school year before the regulation's
        assumed first day, 2008-09-01) to 2027-2028, 1 September to 31 August."""
        assert JIANGSU_CAL.sample is True
        assert JIANGSU_CAL.school_years() == tuple(range(2007, 2028))
        assert (JIANGSU_CAL.first_day, JIANGSU_CAL.last_day) == (D(2007, 9, 1), D(2028, 8, 31))


def _with_calendar(tmp_path: Path, edit) -> list:
    folder = tmp_path / "time_calendar"
    shutil.copytree(POLICIES / "time_calendar", folder)
    text = (folder / "policy.yaml").read_text(encoding="utf-8")
    (folder / "policy.yaml").write_text(edit(text), encoding="utf-8")
    return [(x.code, x.path) for x in check_policy(folder)]


class TestCalendarValidation:
    @pytest.mark.parametrize("old, new, where", [
        # a gap: the winter holiday starts a day late
        ("winter_holiday: {start: 2025-01-20", "winter_holiday: {start: 2025-01-21",
         "calendar.school_years.2024-2025.winter_holiday.start"),
        # an overlap: the second semester starts on the winter holiday's last day
        ("second_semester: {start: 2025-02-17", "second_semester: {start: 2025-02-16",
         "calendar.school_years.2024-2025.second_semester.start"),
        # the first semester must start on 1 September
        ("first_semester: {start: 2025-09-01", "first_semester: {start: 2025-09-02",
         "calendar.school_years.2025-2026.first_semester.start"),
        # the summer holiday must end on 31 August
        ("summer_holiday: {start: 2026-07-05, end: 2026-08-31}", "summer_holiday: {start: 2026-07-05, end: 2026-08-30}",
         "calendar.school_years.2025-2026.summer_holiday.end"),
    ])
    def test_gaps_and_overlaps_are_calendar_gap_at_the_period(self, tmp_path, old, new, where):
        """A period that does not start the day after the previous one ends is calendar_gap at that period."""
        assert _with_calendar(tmp_path, lambda t: t.replace(old, new)) == [("calendar_gap", where)]

    def test_a_missing_school_year_in_between_is_a_gap(self, tmp_path):
        """School years must follow one another: 2024-2025 then 2026-2027 is calendar_gap at the later one."""
        year_2025 = '    "2025-2026":\n' + "".join(f"      {line}\n" for line in (
            "first_semester: {start: 2025-09-01, end: 2026-01-25}", "winter_holiday: {start: 2026-01-26, end: 2026-02-28}",
            "second_semester: {start: 2026-03-01, end: 2026-07-04}", "summer_holiday: {start: 2026-07-05, end: 2026-08-31}"))
        year_2026 = '    "2026-2027":\n' + "".join(f"      {line}\n" for line in (
            "first_semester: {start: 2026-09-01, end: 2027-01-24}", "winter_holiday: {start: 2027-01-25, end: 2027-02-21}",
            "second_semester: {start: 2027-02-22, end: 2027-07-03}", "summer_holiday: {start: 2027-07-04, end: 2027-08-31}"))

        def skip_a_year(text):
            assert year_2025 in text
            return text.replace(year_2025, year_2026)

        assert _with_calendar(tmp_path, skip_a_year) == [("calendar_gap", "calendar.school_years.2026-2027")]

    def test_an_end_before_the_start_is_calendar_period(self, tmp_path):
        """A period ending before it starts is calendar_period at that period."""
        problems = _with_calendar(tmp_path, lambda t: t.replace("winter_holiday: {start: 2025-01-20, end: 2025-02-16}",
                                                                "winter_holiday: {start: 2025-01-20, end: 2025-01-10}"))
        assert ("calendar_period", "calendar.school_years.2024-2025.winter_holiday") in problems

    def test_calendar_functions_need_a_calendar(self, tmp_path):
        """A policy that uses period() without a calendar does not load: no_calendar."""
        def drop(text):
            return text[: text.index("calendar:")]
        problems = _with_calendar(tmp_path, drop)
        assert {code for code, _ in problems} == {"no_calendar"}


# --- working days ----------------------------------------------------------------------------------


class TestWorkingDays:
    @pytest.mark.parametrize("day, working", [
        ("2025-01-24", True), ("2025-01-25", False), ("2025-01-26", True),  # Sunday 01-26 worked (调休)
        ("2025-01-27", True), ("2025-01-28", False), ("2025-02-04", False), ("2025-02-05", True),
        ("2025-02-08", True), ("2025-02-09", False),  # Saturday 02-08 worked
    ])
    def test_spring_festival_2025(self, day, working):
        """Official working days include the 调休 weekend days and exclude the Spring Festival holidays."""
        assert is_working_day(d(day)) is working

    @pytest.mark.parametrize("start, n, end", [
        ("2025-01-24", 1, "2025-01-26"),   # Friday + 1 working day = the working Sunday
        ("2025-01-26", 1, "2025-01-27"),
        ("2025-01-27", 1, "2025-02-05"),   # across the holidays
        ("2025-01-24", 3, "2025-02-05"),
        ("2025-01-25", 1, "2025-01-26"),   # a start on a day off: the start is not counted either
        ("2025-02-05", -1, "2025-01-27"),
        ("2025-02-05", 0, "2025-02-05"),
        ("2025-09-26", 10, "2025-10-16"),  # National Day 2025: 10-01..10-08 off, 09-28 and 10-11 worked
    ])
    def test_adding_working_days(self, start, n, end):
        """`D + N 工作日` is the N-th working day after D, D itself not counted."""
        assert add_working_days(d(start), n) == d(end)

    @pytest.mark.parametrize("day, year", [(D(LAST + 1, 1, 5), LAST + 1), (D(LAST, 12, 31), LAST + 1),
                                           (D(FIRST - 1, 12, 31), FIRST - 1)])
    def test_a_year_without_data_is_a_date_error_naming_it(self, day, year):
        """A working-day count that needs a year chinesecalendar does not cover raises DateError naming that year."""
        with pytest.raises(DateError) as info:
            add_working_days(day, 1) if day.year >= FIRST else is_working_day(day)
        assert str(year) in str(info.value)

    def test_a_deadline_that_cannot_be_computed_carries_a_problem(self):
        """A working-day deadline past the data has date None and a problem naming the year; the others are computed."""
        on = D(LAST, 12, 28)
        decision = xr.ask(TIME, "deadlines", {"request": {"transfer": {"date": f"{LAST}-11-02"}}}, on=on)
        by_title = {x.title: x for x in decision.deadlines}
        late = by_title["十个工作日内办结（自提问之日）"]
        assert late.date is None and str(LAST + 1) in late.problem
        assert by_title["十个工作日内办结（自申请之日）"].date is not None
        assert by_title["审批日（下一个周三）"].date == _next_weekday(on, 3)
        as_json = json.loads(decision.to_json())["deadlines"]
        assert [x["date"] for x in as_json if x["title"].endswith("（自提问之日）")] == [None]

    def test_deadlines_are_iso_dates_in_json(self):
        """Deadlines in a Decision's JSON are ISO dates."""
        decision = xr.ask(TIME, "deadlines", {"request": {"transfer": {"date": "2025-01-24"}}}, on="2025-01-27")
        dates = {x["title"]: x["date"] for x in json.loads(decision.to_json())["deadlines"]}
        assert dates == {"十个工作日内办结（自提问之日）": "2025-02-17", "十个工作日内办结（自申请之日）": "2025-02-13",
                         "审批日（下一个周三）": "2025-01-29"}


# --- durations, month ends, leap years ----------------------------------------------------------


class TestDurations:
    @pytest.mark.parametrize("start, n, unit, end", [
        ("2025-01-31", 1, "月", "2025-02-28"), ("2024-01-31", 1, "月", "2024-02-29"),
        ("2025-03-31", -1, "月", "2025-02-28"), ("2024-08-31", 6, "月", "2025-02-28"),
        ("2023-12-31", 2, "月", "2024-02-29"), ("2025-01-31", 12, "月", "2026-01-31"),
        ("2024-02-29", 1, "年", "2025-02-28"), ("2024-02-29", 4, "年", "2028-02-29"),
        ("2024-02-29", -1, "年", "2023-02-28"), ("2025-02-28", 1, "年", "2026-02-28"),
        ("2025-12-25", 2, "周", "2026-01-08"), ("2024-02-28", 1, "日", "2024-02-29"),
    ])
    def test_month_ends_and_leap_days_clamp(self, start, n, unit, end):
        """Adding 年/月 keeps the day of the month, or takes the month's last day when it has none."""
        assert _add_duration(d(start), n, unit) == d(end)

    @pytest.mark.parametrize("birth, on, age", [
        ("2008-02-29", "2024-02-28", 15), ("2008-02-29", "2024-02-29", 16),
        ("2008-02-29", "2025-02-28", 16), ("2008-02-29", "2025-03-01", 17),
        ("2019-08-31", "2025-08-31", 6), ("2019-09-01", "2025-08-31", 5),
    ])
    def test_full_years_with_a_29_february_birthday(self, birth, on, age):
        """age_on counts full years; born 29 February, one is a year older on 1 March in a common year."""
        assert _age_on(d(birth), d(on)) == age

    @pytest.mark.parametrize("start, weekday, end", [
        ("2025-03-05", 3, "2025-03-05"), ("2025-03-06", 3, "2025-03-12"), ("2025-03-09", 7, "2025-03-09"),
        ("2025-03-10", 7, "2025-03-16"), ("2025-12-31", 1, "2026-01-05"),
    ])
    def test_next_weekday(self, start, weekday, end):
        """next_weekday(d, n) is d itself when it is weekday n (1 Monday … 7 Sunday), else the next one."""
        assert _next_weekday(d(start), weekday) == d(end)


def condition(text: str, params: dict[str, tuple[Type, object]] | None = None):
    """A compiled condition as a function of (facts, date), with the time fixture's calendar."""
    params = params or {}
    tree = P.parse(text)
    assert not isinstance(tree, Diagnostic), tree
    compiler = Compiler()
    compiled = compiler.compile(tree, Scope({n: t for n, (t, _) in params.items()}, {}), BOOL)
    fn = build_module(f"def f(F, P, T):\n    return {compiled.code}\n",
                      {**RUNTIME, **compiler.constants, "_cal": CAL}, "<test>")["f"]
    values = {n: v for n, (_, v) in params.items()}
    return lambda facts, on=D(2025, 3, 3): fn(read_facts(facts).values, values, on)


class TestUnits:
    @pytest.mark.parametrize("days, ok", [(13, True), (14, True), (15, False)])
    def test_weeks_against_days(self, days, ok):
        """A fact in 日 compared with a parameter in 周 converts 1 周 to 7 日 exactly (14 日 is within 2 周)."""
        assert failed("reporting", "2025-03-03", {"request": {"enrolment": {"days_late": days}}}) == (
            () if ok else ("report_within_two_weeks",))

    @pytest.mark.parametrize("text, value", [
        ("request.enrolment.days_late 不超过 2周", True), ("request.enrolment.days_late 超过 2周", False),
        ("request.enrolment.days_late 少于 2周", False), ("request.enrolment.days_late 是 14日", True),
    ])
    def test_literal_weeks_convert(self, text, value):
        """Literal quantities convert too: 14 日 is exactly 2 周."""
        assert condition(text)({"request": {"enrolment": {"days_late": 14}}}) is value

    def test_years_against_months(self):
        """年 converts to 月: 1.5 年 is 18 个月."""
        check = condition("student.years_of_study 不超过 18个月")
        assert check({"student": {"years_of_study": "1.5"}}) is True
        assert check({"student": {"years_of_study": "1.6"}}) is False

    @pytest.mark.parametrize("text", ["today 早于 today + 1工作日", "today 在 semester_end_near(today) 前后 3工作日 以内"])
    def test_working_days_and_calendar_in_conditions(self, text):
        """Working days and the calendar compile into conditions and answer on a covered date."""
        assert condition(text)({}, D(2025, 7, 3)) is True


# --- time zone -----------------------------------------------------------------------------------


class TestTimeZone:
    @pytest.mark.parametrize("value, day", [
        ("2025-03-02", D(2025, 3, 2)),
        ("2025-03-02T23:30:00", D(2025, 3, 2)),         # no zone: Asia/Shanghai
        ("2025-03-02T16:30:00Z", D(2025, 3, 3)),        # 00:30 in Shanghai
        ("2025-03-02T20:00:00-05:00", D(2025, 3, 3)),   # 09:00 in Shanghai
        (dt.datetime(2025, 3, 2, 23, 30), D(2025, 3, 2)),
        (dt.datetime(2025, 3, 2, 16, 30, tzinfo=dt.timezone.utc), D(2025, 3, 3)),
    ])
    def test_dates_are_taken_in_shanghai(self, value, day):
        """A naive datetime or zone-less text is Asia/Shanghai; an aware datetime is converted to it."""
        assert to_date(value) == day

    def test_the_date_asked_is_converted_too(self):
        """`on` given as an aware datetime is the Shanghai date, which decides the calendar period."""
        late_utc = dt.datetime(2025, 7, 5, 16, 30, tzinfo=dt.timezone.utc)  # 2025-07-06 00:30 in Shanghai
        decision = xr.ask(TIME, "summer", {}, on=late_utc)
        assert (decision.on, decision.failed) == (D(2025, 7, 6), ("not_in_summer",))


# --- effective dates -----------------------------------------------------------------------------


class TestEffectiveDates:
    @pytest.mark.parametrize("on, status", [
        ("2025-02-28", "not_applicable"), ("2025-03-01", "held"), ("2025-12-31", "held"), ("2026-01-01", "not_applicable"),
    ])
    def test_a_rule_in_force_between_two_dates(self, on, status):
        """A rule's in_force runs from its `from` (included) to its `until` (excluded)."""
        assert xr.ask(TIME, "reporting", {}, on=on).rule("online_trial").status == status

    def test_before_the_regulation_there_is_no_answer(self):
        """A date before effective_from is a DateError (no regulation in force), not an answer."""
        with pytest.raises(DateError):
            xr.ask(TIME, "summer", {}, on="2019-12-31")

    def test_effective_until_ends_the_regulation(self, tmp_path):
        """From effective_until on, the regulation no longer answers."""
        folder = tmp_path / "tiny"
        shutil.copytree(POLICIES / "tiny", folder)
        text = (folder / "policy.yaml").read_text(encoding="utf-8")
        (folder / "policy.yaml").write_text(text.replace("effective_from: 2010-01-01",
                                                         "effective_from: 2010-01-01\n    effective_until: 2026-01-01"),
                                            encoding="utf-8")
        policy = compile_policy(folder)
        assert xr.ask(policy, "suspension", {}, on="2025-12-31").outcome
        with pytest.raises(DateError):
            xr.ask(policy, "suspension", {}, on="2026-01-01")

    @pytest.mark.parametrize("on, hours", [("2029-12-31", 210), ("2030-01-01", 200)])
    def test_a_parameter_changes_value_on_its_date(self, on, hours):
        """A parameter's dated values: the value in force on the date asked is used."""
        tiny = xr.load_policy(POLICIES / "tiny")
        assert tiny.parameters_on(d(on))["hours"] == hours

    @pytest.mark.parametrize("on, hours", [("2020-02-29", 210), ("2020-03-01", 200)])
    def test_a_layer_takes_effect_on_its_own_date(self, on, hours):
        """A layer's overriding value applies from the layer's effective_from, the parent's before it."""
        layer = xr.load_policy(POLICIES / "tiny_layer")
        assert layer.parameters_on(d(on))["hours"] == hours

    @pytest.mark.parametrize("on, status", [("2025-05-31", {"held", "failed", "unknown"}), ("2025-06-01", {"not_applicable"})])
    def test_a_repealed_rule_stops_applying_on_the_repeal_date(self, on, status):
        """A rule repealed by a layer applies up to the day before the repeal and never from it."""
        layer = xr.load_policy(POLICIES / "tiny_layer")
        facts = {"student": {"stage": "senior", "grade": 11},
                 "absence": {"reason": "illness", "class_hours_missed": 400, "year_total_class_hours": 1020}}
        assert xr.ask(layer, "suspension", facts, on=on).rule("senior_third").status in status


# --- Jiangsu's deadlines ------------------------------------------------------------------------


JIANGSU_ILL = {
    "student": {"stage": "junior", "grade": 8},
    "absence": {"reason": "illness", "class_hours_missed": 211, "still_unable_to_attend": True},
    "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"], "hospital_level": "county"},
}


class TestJiangsuDeadlines:
    @pytest.mark.parametrize("start, expiry, last_day", [
        ("2025-01-06", "2026-01-06", "2026-01-05"),
        ("2024-02-29", "2025-02-28", "2025-02-27"),  # a leap-day start: the anniversary is 28 February
        ("2025-01-31", "2026-01-31", "2026-01-30"),
    ])
    def test_suspension_expiry_and_last_day_to_ask_for_an_extension(self, start, expiry, last_day):
        """An illness suspension lists its expiry (one year from the first day of absence) and the day before it."""
        facts = {**JIANGSU_ILL, "absence": {**JIANGSU_ILL["absence"], "start_date": start}}
        got = [(x.rule, x.date) for x in xr.ask("jiangsu", "suspension", facts, on="2025-03-03").deadlines]
        assert got == [("compulsory_class_hours", d(expiry)), ("compulsory_class_hours", d(last_day))]

    def test_going_abroad_counts_from_the_approval(self):
        """A suspension for going abroad expires one year from its approval date."""
        facts = {"student": {"stage": "senior", "grade": 10}, "absence": {"reason": "going_abroad"},
                 "evidence": {"documents": ["passport_and_visa"]}, "request": {"suspension": {"approval_date": "2025-01-31"}}}
        got = [(x.rule, x.date) for x in xr.ask("jiangsu", "suspension", facts, on="2025-03-03").deadlines]
        assert got == [("senior_going_abroad", D(2026, 1, 31))]

    def test_probation_of_one_month_from_31_january_ends_28_february(self):
        """31 January + 1 month is 28 February: the probation's end listed when sending a pupil to a reform school."""
        facts = {"student": {"stage": "junior", "grade": 8},
                 "request": {"discipline": {"action": "send_to_reform_school", "sanction": "probation",
                                            "reform_school_basis": "unreformed_on_probation",
                                            "probation_start": "2025-01-31", "probation_months": 1}}}
        facts["approvals"] = {"guardian": "given"}
        decision = xr.ask("jiangsu", "discipline", facts, on="2025-02-27")
        assert [x.date for x in decision.deadlines] == [D(2025, 2, 28)]

    def test_senior_reporting_deadline(self):
        """A new senior student's last day to report is the notice date plus two weeks."""
        facts = {"student": {"stage": "senior"},
                 "request": {"enrolment": {"grade": 10, "admitted": True, "notice_date": "2025-08-20"}}}
        decision = xr.ask("jiangsu", "enrolment", facts, on="2025-08-25")
        assert [(x.rule, x.date) for x in decision.deadlines] == [("senior_report_within_two_weeks", D(2025, 9, 3))]


# --- properties ------------------------------------------------------------------------------------

#: far enough inside the working-day data that 60 working days either way stay in it
WORK_DATES = st.dates(min_value=D(FIRST, 4, 1), max_value=D(LAST, 8, 31))
CAL_DATES = st.dates(min_value=CAL.first_day, max_value=CAL.last_day)


class TestProperties:
    @FAST
    @given(WORK_DATES, st.integers(1, 40), st.integers(1, 20))
    def test_adding_working_days_is_monotone_and_lands_on_working_days(self, day, n, more):
        """D + n 工作日 is a working day, strictly after D, and strictly before D + (n + more) 工作日."""
        a, b = add_working_days(day, n), add_working_days(day, n + more)
        assert day < a < b
        assert is_working_day(a) and is_working_day(b)
        assert add_working_days(day, -n) < day and is_working_day(add_working_days(day, -n))

    @FAST
    @given(WORK_DATES, st.integers(0, 40), st.sampled_from(["年", "月", "周", "日"]), st.integers(0, 30))
    def test_a_deadline_is_never_before_its_start(self, day, n, unit, amount):
        """Deadlines D + N (working days, 年, 月, 周 or 日) with N ≥ 0 are never before D."""
        assert add_working_days(day, n) >= day
        assert _add_duration(day, amount, unit) >= day

    @FAST
    @given(WORK_DATES, st.integers(1, 20))
    def test_a_working_day_window_ends_on_the_deadline(self, day, n):
        """The window of n working days after D ends exactly on D + n 工作日: that day is inside, the next is not."""
        end = add_working_days(day, n)
        assert _within(end, day, n, "工作日") is True
        assert _within(end + dt.timedelta(days=1), day, n, "工作日") is False

    @FAST
    @given(CAL_DATES)
    def test_the_period_found_contains_the_date(self, day):
        """The period found for a date contains it, and its school year starts on the 1 September before it."""
        period = CAL.period(day)
        assert period.start <= day <= period.end
        assert D(period.school_year, 9, 1) <= day <= D(period.school_year + 1, 8, 31)

    @FAST
    @given(st.dates(min_value=JIANGSU_CAL.first_day, max_value=JIANGSU_CAL.last_day))
    def test_nearest_boundaries_are_nearest(self, day):
        """semester_start_near/end_near give a boundary no farther than any semester boundary the calendar holds."""
        starts = [p.start for p in JIANGSU_CAL.periods if p.name.endswith("semester")] + [JIANGSU_CAL.last_day + dt.timedelta(days=1)]
        ends = [p.end for p in JIANGSU_CAL.periods if p.name.endswith("semester")]
        for near, boundaries in ((JIANGSU_CAL.semester_start_near, starts), (JIANGSU_CAL.semester_end_near, ends)):
            try:
                got = near(day)
            except DateError:
                continue  # near an edge of the calendar: a missing school year could hold a nearer one
            assert abs((got - day).days) == min(abs((b - day).days) for b in boundaries)

    @FAST
    @given(WORK_DATES, st.integers(-40, 40), st.integers(0, 15), st.sampled_from(["日", "周", "工作日"]))
    def test_within_is_symmetric(self, day, offset, span, unit):
        """`a 在 b 前后 n 以内` holds exactly when `b 在 a 前后 n 以内` does, in every unit."""
        other = day + dt.timedelta(days=offset)
        assert _within(day, other, span, unit) == _within(other, day, span, unit)
