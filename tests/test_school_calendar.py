"""A school's own calendar given at ask time: validated like a policy's, taking precedence over the
policy's sample, passed to the compiled rules without recompiling or shared state, and named in the Decision."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import threading
from pathlib import Path

import pytest

import xueji_rules as xr
from xueji_rules import cli
from xueji_rules.compliance.cases import case_files, check_case_file, is_case_file, load_case_file
from xueji_rules.errors import CalendarError, CaseFileError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
POLICIES = HERE / "policies"

# a junior pupil absent through illness: Jiangsu may let him suspend, unless it is his graduating year
F9 = {
    "student": {"stage": "junior", "grade": 9},
    "absence": {"reason": "illness", "class_hours_missed": 211, "still_unable_to_attend": True,
                "start_date": "2025-06-02"},
    "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"], "hospital_level": "county"},
}
F8 = {**F9, "student": {"stage": "junior", "grade": 8}}

EARLY_SUMMER = """\
# a school whose summer holiday starts on 2025-06-28 (the Jiangsu sample's on 2025-07-06)
calendar:
  title: 某初级中学校历
  school_years:
    "2024-2025":
      first_semester: {start: 2024-09-01, end: 2025-01-17}
      winter_holiday: {start: 2025-01-18, end: 2025-02-09}
      second_semester: {start: 2025-02-10, end: 2025-06-27}
      summer_holiday: {start: 2025-06-28, end: 2025-08-31}
"""
LATE_SUMMER = EARLY_SUMMER.replace("某初级中学校历", "另一所学校的校历").replace(
    "2025-06-27}", "2025-07-11}").replace("2025-06-28", "2025-07-12")


def _year(start_summer: str, end_second: str) -> dict:
    return {"2024-2025": {
        "first_semester": {"start": "2024-09-01", "end": "2025-01-17"},
        "winter_holiday": {"start": "2025-01-18", "end": "2025-02-09"},
        "second_semester": {"start": "2025-02-10", "end": end_second},
        "summer_holiday": {"start": start_summer, "end": "2025-08-31"},
    }}


@pytest.fixture
def early(tmp_path) -> Path:
    path = tmp_path / "early.yaml"
    path.write_text(EARLY_SUMMER, encoding="utf-8")
    return path


# -- reading and validating --------------------------------------------------------------------------


def test_a_calendar_file_and_its_mapping_are_the_same_calendar(early):
    """A file, its `calendar:` mapping and the bare section read to equal calendars with the same hash."""
    from_file = xr.load_calendar(early)
    section = {"title": "某初级中学校历", "school_years": _year("2025-06-28", "2025-06-27")}
    for other in (xr.load_calendar(section), xr.load_calendar({"calendar": section})):
        assert other == from_file
        assert other.content_hash == from_file.content_hash
    assert from_file.title == "某初级中学校历" and from_file.sample is False
    assert xr.load_calendar(from_file) is from_file
    as_dates = {"title": "某初级中学校历", "school_years": {"2024-2025": {
        name: {k: dt.date.fromisoformat(v) for k, v in span.items()}
        for name, span in _year("2025-06-28", "2025-06-27")["2024-2025"].items()}}}
    assert xr.load_calendar(as_dates).content_hash == from_file.content_hash


def test_the_content_hash_ignores_layout_and_follows_content(early, tmp_path):
    """Comments, key order and quoting do not change the content hash; a date or the title does."""
    base = xr.load_calendar(early).content_hash
    relaid = tmp_path / "relaid.yaml"
    relaid.write_text("# another comment\n" + EARLY_SUMMER.replace('"2024-2025"', "'2024-2025'"), encoding="utf-8")
    assert xr.load_calendar(relaid).content_hash == base
    assert xr.load_calendar({"title": "某初级中学校历", "school_years": _year("2025-06-29", "2025-06-28")}).content_hash != base
    assert xr.load_calendar({"title": "别的名字", "school_years": _year("2025-06-28", "2025-06-27")}).content_hash != base


def test_a_bundled_calendar_file_reads_as_the_policys_calendar():
    """load_calendar(policies/jiangsu/calendar.yaml) is the calendar the policy loaded, same hash."""
    policy = xr.load_policy("jiangsu")
    given = xr.load_calendar(ROOT / "policies" / "jiangsu" / "calendar.yaml")
    assert given == policy.calendar and given.content_hash == policy.calendar.content_hash


@pytest.mark.parametrize("old, new, code, path, line, column", [
    # a gap: the same check, code and path as in a policy's calendar.yaml
    ("summer_holiday: {start: 2025-06-28", "summer_holiday: {start: 2025-06-29", "calendar_gap",
     "calendar.school_years.2024-2025.summer_holiday.start", 9, 31),
    ("end: 2025-01-17}", "end: 2025-01-10}", "calendar_gap",
     "calendar.school_years.2024-2025.winter_holiday.start", 7, 31),
    ("end: 2025-01-17}", "end: 2024-08-17}", "calendar_period",
     "calendar.school_years.2024-2025.first_semester", 6, 23),
    ("  title:", "  titel:", "unknown_key", "calendar.titel", 3, 10),
    ('"2024-2025":', '"2024-2026":', "bad_value", "calendar.school_years.2024-2026", 6, 7),
    ("start: 2025-02-10", "start: 2025-02-30", "bad_value",
     "calendar.school_years.2024-2025.second_semester.start", 8, 32),
])
def test_a_bad_calendar_file_is_a_calendar_error_at_its_position(tmp_path, old, new, code, path, line, column):
    """Each problem of a calendar file is a CalendarError whose diagnostic has the code, path, line and column."""
    bad = tmp_path / "bad.yaml"
    assert old in EARLY_SUMMER
    bad.write_text(EARLY_SUMMER.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CalendarError) as info:
        xr.load_calendar(bad)
    assert info.value.code == "calendar_invalid"
    assert [(d.code, d.path, d.file, d.line, d.column) for d in info.value.diagnostics][:1] == [
        (code, path, str(bad), line, column)]


def test_the_same_problem_is_reported_alike_in_a_policy_and_in_a_given_calendar(tmp_path):
    """A gap in a policy's calendar.yaml and in the same calendar given at ask time: same code and path."""
    folder = tmp_path / "time_calendar"
    shutil.copytree(POLICIES / "time_calendar", folder)
    text = (folder / "policy.yaml").read_text(encoding="utf-8").replace(
        "winter_holiday: {start: 2025-01-20", "winter_holiday: {start: 2025-01-21")
    (folder / "policy.yaml").write_text(text, encoding="utf-8")
    in_policy = [(d.code, d.path) for d in xr.check_policy(folder)]
    doc = __import__("yaml").safe_load(text)
    given = tmp_path / "given.yaml"
    given.write_text(json.dumps({"calendar": doc["calendar"]}, default=str, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CalendarError) as info:
        xr.load_calendar(given)
    assert [(d.code, d.path) for d in info.value.diagnostics] == in_policy == [
        ("calendar_gap", "calendar.school_years.2024-2025.winter_holiday.start")]


def test_a_file_without_a_calendar_or_with_other_sections_is_refused(tmp_path):
    """A calendar file holds `calendar:` only: none is missing_key, another section unknown_key."""
    none = tmp_path / "none.yaml"
    none.write_text("school_years: {}\n", encoding="utf-8")
    more = tmp_path / "more.yaml"
    more.write_text(EARLY_SUMMER + "parameters: {}\n", encoding="utf-8")
    for path, code in ((none, "missing_key"), (more, "unknown_key")):
        with pytest.raises(CalendarError) as info:
            xr.load_calendar(path)
        assert [d.code for d in info.value.diagnostics] == [code]
    with pytest.raises(CalendarError):
        xr.load_calendar(tmp_path / "absent.yaml")
    with pytest.raises(CalendarError):
        xr.load_calendar(42)


# -- precedence and the Decision ---------------------------------------------------------------------


def test_a_given_calendar_decides_the_graduating_year_instead_of_the_sample(early):
    """On 2025-07-01 the sample is still in the second semester (grade 9: graduating year), the school is on
    summer holiday (grade 9 finished, grade 8 about to enter it): the given calendar decides."""
    on = "2025-07-01"
    assert xr.may_suspend("jiangsu", F9, on).outcome == "denied_unless_exception"
    assert xr.may_suspend("jiangsu", F9, on, calendar=early).outcome == "allowed_with_approval"
    assert xr.may_suspend("jiangsu", F8, on).outcome == "allowed_with_approval"
    assert xr.may_suspend("jiangsu", F8, on, calendar=early).outcome == "denied_unless_exception"
    assert xr.decide("jiangsu", "suspension", F9, on, calendar=early) == ("allowed_with_approval", ())
    parts = xr.condition_parts("jiangsu", "suspension", F9, on, calendar=early)
    assert all(p.value is not False for p in parts["compulsory_not_in_graduating_year"])


def test_the_decision_says_which_calendar_answered(early):
    """Decision.calendar: the policy's sample, or the given one, by title and content hash; in JSON too."""
    policy = xr.load_policy("jiangsu")
    own = xr.ask(policy, "suspension", F9, "2025-07-01").calendar
    assert (own.source, own.title, own.sample, own.content_hash) == (
        "policy", policy.calendar.title, True, policy.calendar.content_hash)
    d = xr.ask(policy, "suspension", F9, "2025-07-01", calendar=early)
    assert (d.calendar.source, d.calendar.title, d.calendar.sample) == ("given", "某初级中学校历", False)
    assert d.calendar.content_hash == xr.load_calendar(early).content_hash
    data = d.to_dict()
    assert data["calendar"] == {"source": "given", "title": "某初级中学校历", "sample": False,
                                "content_hash": d.calendar.content_hash}
    assert xr.Decision.from_dict(data) == d
    from jsonschema import Draft202012Validator
    from importlib import resources

    schema = json.loads(resources.files("xueji_rules").joinpath("schema/decision.schema.json").read_text("utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(json.loads(d.to_json()))) == []
    assert "某初级中学校历" in d.render()
    assert xr.ask(POLICIES / "tiny", "suspension", {}, "2025-03-03").calendar is None


def test_a_file_without_a_title_is_named_by_its_file(tmp_path):
    """A calendar file with no `title:` is named in the Decision by its file name."""
    path = tmp_path / "一中校历.yaml"
    path.write_text(EARLY_SUMMER.replace("  title: 某初级中学校历\n", ""), encoding="utf-8")
    assert xr.ask("jiangsu", "suspension", F9, "2025-07-01", calendar=path).calendar.title == "一中校历.yaml"


def test_a_date_outside_the_given_calendar_names_it_and_the_missing_year(early):
    """The given calendar is the only one asked: a date it does not cover is a DateError naming it."""
    with pytest.raises(xr.DateError) as info:
        xr.may_suspend("jiangsu", F9, "2025-09-10", calendar=early)
    assert "某初级中学校历" in str(info.value) and "2025-2026" in str(info.value)
    assert xr.may_suspend("jiangsu", F9, "2025-09-10").outcome  # the sample covers it


def test_decider_binds_the_calendar_once(early):
    """decider(…, calendar=) reads the calendar once and answers every student with it."""
    with_school = xr.decider("jiangsu", "suspension", "2025-07-01", calendar=early)
    with_sample = xr.decider("jiangsu", "suspension", "2025-07-01")
    assert with_school(F9) == ("allowed_with_approval", ())
    assert with_school(F8) == ("denied_unless_exception", ("compulsory_not_in_graduating_year",))
    assert with_sample(F9) == ("denied_unless_exception", ("compulsory_not_in_graduating_year",))
    assert "某初级中学校历" in with_school.__doc__
    with pytest.raises(CalendarError):
        xr.decider("jiangsu", "suspension", "2025-07-01", calendar={"school_years": {}})


def test_deadlines_and_certificates_read_the_given_calendar():
    """A deadline counted from the nearest semester start (Jinxiang: report within three weeks of the start)
    moves with the school's calendar."""
    facts = {"student": {"stage": "junior", "grade": 8},
             "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True}}
    base = xr.ask("shandong/jinxiang", "suspension", facts, "2025-03-03")
    shifted = {"school_years": _year("2025-06-28", "2025-06-27")}
    shifted["school_years"]["2024-2025"]["winter_holiday"]["end"] = "2025-02-23"
    shifted["school_years"]["2024-2025"]["second_semester"]["start"] = "2025-02-24"
    given = xr.ask("shandong/jinxiang", "suspension", facts, "2025-03-03", calendar=shifted)
    report = [[d.date.isoformat() for d in dec.deadlines if "异动" in d.title] for dec in (base, given)]
    # the sample's second semester starts on 2025-02-17, the school's on 2025-02-24: three weeks after each
    assert report == [["2025-03-10"], ["2025-03-17"]]


def test_asking_with_a_calendar_recompiles_nothing_and_changes_nothing_shared(early):
    """The compiled kernels and the policy's calendar are the same objects after asking with another calendar."""
    policy = xr.load_policy("jiangsu")
    kernels = {name: tuple(e["decide"] for e in q.by_era) for name, q in policy.questions.items()}
    own = policy.calendar
    xr.ask(policy, "suspension", F9, "2025-07-01", calendar=early)
    xr.decider(policy, "suspension", "2025-07-01", calendar=early)(F9)
    assert policy.calendar is own
    assert {name: tuple(e["decide"] for e in q.by_era) for name, q in policy.questions.items()} == kernels
    assert xr.decide(policy, "suspension", F9, "2025-07-01")[0] == "denied_unless_exception"


def test_two_threads_with_two_calendars_get_their_own_answers(tmp_path):
    """Asked at once from two threads with two calendars, each thread gets its calendar's answers."""
    early = xr.load_calendar({"school_years": _year("2025-06-28", "2025-06-27")})
    late = xr.load_calendar({"school_years": _year("2025-07-12", "2025-07-11")})
    policy = xr.load_policy("jiangsu")
    want = {id(early): ("allowed_with_approval", "allowed_with_approval"),
            id(late): ("denied_unless_exception", "denied_unless_exception")}
    wrong: list = []
    barrier = threading.Barrier(2)

    def work(cal):
        barrier.wait()
        for _ in range(300):
            got = (xr.ask(policy, "suspension", F9, "2025-07-01", calendar=cal).outcome,
                   xr.decide(policy, "suspension", F9, "2025-07-01", calendar=cal)[0])
            if got != want[id(cal)]:
                wrong.append(got)

    threads = [threading.Thread(target=work, args=(c,)) for c in (early, late)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


# -- the command -------------------------------------------------------------------------------------


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err, stdin=io.StringIO(""))
    return code, out.getvalue(), err.getvalue()


def test_cli_ask_with_a_calendar_file(tmp_path, early):
    """`xueji ask … --calendar FILE` answers by the school's calendar and says so."""
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(F9), encoding="utf-8")
    code, out, _ = run("ask", "jiangsu", "suspension", "--facts", facts, "--on", "2025-07-01", "--format", "json")
    assert code == 0 and json.loads(out)["outcome"] == "denied_unless_exception"
    assert json.loads(out)["calendar"]["source"] == "policy"
    code, out, _ = run("ask", "jiangsu", "suspension", "--facts", facts, "--on", "2025-07-01", "--format", "json",
                       "--calendar", early)
    data = json.loads(out)
    assert code == 0 and data["outcome"] == "allowed_with_approval"
    assert (data["calendar"]["source"], data["calendar"]["title"]) == ("given", "某初级中学校历")
    code, out, _ = run("ask", "jiangsu", "suspension", "--facts", facts, "--on", "2025-07-01", "--why",
                       "--calendar", early)
    assert code == 0 and "某初级中学校历" in out


def test_cli_a_bad_calendar_file_is_one_user_error_with_its_position(tmp_path):
    """A calendar file that does not validate exits 2 with one message at file:line:col, facts unread."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(EARLY_SUMMER.replace("summer_holiday: {start: 2025-06-28", "summer_holiday: {start: 2025-06-29"),
                   encoding="utf-8")
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(F9), encoding="utf-8")
    code, out, err = run("ask", "jiangsu", "suspension", "--facts", facts, "--on", "2025-07-01", "--calendar", bad)
    assert code == 2 and out == ""
    assert err.startswith(f"xueji: error: {bad}:9:31: calendar_gap: ")
    assert "Traceback" not in err


def test_cli_ask_help_mentions_the_calendar():
    code, out, _ = run("ask", "--help")
    assert code == 0 and "--calendar FILE" in out and "sample" in out


# -- case files ----------------------------------------------------------------------------------------


def _case_file(tmp_path: Path, calendar_key: str, case_key: str = "") -> Path:
    tests = tmp_path / "region" / "tests"
    shutil.copytree(ROOT / "policies" / "jiangsu", tmp_path / "region", ignore=shutil.ignore_patterns("tests"))
    (tests / "calendars").mkdir(parents=True)
    (tests / "calendars" / "early.yaml").write_text(EARLY_SUMMER, encoding="utf-8")
    (tests / "calendars" / "late.yaml").write_text(LATE_SUMMER, encoding="utf-8")
    path = tests / "cases.yaml"
    path.write_text(
        "question: suspension\non: 2025-07-01\n" + calendar_key
        + "facts: " + json.dumps(F9, ensure_ascii=False) + "\n"
        + "cases:\n  - note: a\n    want: {outcome: allowed_with_approval}\n" + case_key,
        encoding="utf-8")
    return path


def test_case_files_give_a_calendar_per_file_and_per_case(tmp_path):
    """`calendar:` at the top of a case file applies to every case; a case's own wins."""
    path = _case_file(tmp_path, "calendar: calendars/early.yaml\n",
                      "  - note: b\n    calendar: calendars/late.yaml\n    want: {outcome: denied_unless_exception}\n")
    from xueji_rules.compliance.runner import run_suite

    result = run_suite(path)
    assert result.ok, [r.messages for r in result.results]
    assert [r.decision.calendar.title for r in result.results] == ["某初级中学校历", "另一所学校的校历"]
    assert [f.name for f in case_files(path.parent)] == ["cases.yaml"]
    assert not is_case_file(path.parent / "calendars" / "early.yaml") and is_case_file(path)


def test_a_bad_calendar_in_a_case_file_points_into_the_calendar_file(tmp_path):
    """A calendar file that does not validate makes the case file invalid: the problem at its line in the
    calendar file, and the `calendar:` key of the case file that names it."""
    path = _case_file(tmp_path, "calendar: calendars/early.yaml\n")
    early = path.parent / "calendars" / "early.yaml"
    early.write_text(EARLY_SUMMER.replace("start: 2025-06-28", "start: 2025-06-29"), encoding="utf-8")
    with pytest.raises(CaseFileError) as info:
        load_case_file(path)
    found = {(Path(d.file).name, d.code, d.path, d.line) for d in info.value.diagnostics}
    assert found == {("cases.yaml", "calendar_invalid", "calendar", 3),
                     ("early.yaml", "calendar_gap", "calendar.school_years.2024-2025.summer_holiday.start", 9)}


def test_an_inline_calendar_is_checked_at_its_place_in_the_case_file(tmp_path):
    """An inline calendar's problems are at their line in the case file, under the case's path."""
    inline = ("    calendar:\n      school_years:\n        \"2024-2025\":\n"
              "          first_semester: {start: 2024-09-02, end: 2025-01-17}\n"
              "          winter_holiday: {start: 2025-01-18, end: 2025-02-09}\n"
              "          second_semester: {start: 2025-02-10, end: 2025-06-27}\n"
              "          summer_holiday: {start: 2025-06-28, end: 2025-08-31}\n")
    path = _case_file(tmp_path, "", "  - note: b\n" + inline + "    want: {outcome: allowed}\n")
    _, diags = check_case_file(path)
    assert [(d.code, d.path, d.line) for d in diags] == [
        ("calendar_gap", "cases[1].calendar.school_years.2024-2025.first_semester.start", 11)]


def test_a_missing_calendar_file_is_reported_at_the_key(tmp_path):
    path = _case_file(tmp_path, "calendar: calendars/nowhere.yaml\n")
    _, diags = check_case_file(path)
    assert [(d.code, d.path, d.line) for d in diags] == [("calendar_missing", "calendar", 3)]
    path = _case_file(tmp_path / "2", "calendar: 12\n")
    _, diags = check_case_file(path)
    assert [(d.code, d.path) for d in diags] == [("bad_type", "calendar")]
