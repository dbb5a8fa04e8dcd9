"""`xueji due`: what falls due between two dates, derived from each policy's deadlines, time limits and windows.

The range is inclusive at both ends: an item dated on --from or on --to is listed, the day
before --from and the day after --to are not.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

import xueji_rules as xr
from xueji_rules import cli
from xueji_rules.due import DueError, _students, due

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "students-due.jsonl"

D = dt.date.fromisoformat

JUNIOR = {"stage": "junior", "grade": 8}
JIANGSU_ILL = {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True}
JIANGSU_DOCS = {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"], "hospital_level": "county"}


def jiangsu_suspended(start: str) -> dict:
    return {"student": dict(JUNIOR), "absence": {**JIANGSU_ILL, "start_date": start}, "evidence": dict(JIANGSU_DOCS)}


def nanchang_suspended(approved: str) -> dict:
    return {"student": dict(JUNIOR), "request": {"suspension": {"reason": "illness", "approval_date": approved}},
            "evidence": {"documents": ["medical_record"], "hospital_level": "county"}}


def resuming(start: str, stage: str = "junior", grade: int = 8) -> dict:
    return {"student": {"stage": stage, "grade": grade}, "request": {"resumption": {"suspension_start": start}}}


def listed(region: str, students: dict, start: str, end: str, **kw):
    """(items, errors) for students given as {id: facts}."""
    rows = [(n, sid, facts) for n, (sid, facts) in enumerate(students.items(), 1)]
    result = due(xr.load_policy(region), rows, start, end, **kw)
    return result.items, result.errors


def dates(items, student=None, kind=None, rule=None) -> list:
    return [i.date.isoformat() for i in items
            if (student is None or i.student == student) and (kind is None or i.kind == kind)
            and (rule is None or i.rule == rule)]


# -- each region: one student inside the range, one outside ---------------------------------------


def test_jiangsu_suspension_year_ending_inside_and_outside():
    items, errors = listed("jiangsu", {"in": jiangsu_suspended("2025-03-05"), "out": jiangsu_suspended("2025-06-05")},
                           "2026-03-01", "2026-03-31")
    assert not errors
    # the year from the first day of absence ends 2026-03-05; the last day to ask for an extension is the day before
    assert [(i.date.isoformat(), i.title) for i in items if i.student == "in"] == [
        ("2026-03-04", "最迟申请续办休学之日（休学期最后一日）"),
        ("2026-03-05", "休学期满（自缺课开始之日起一年），自该日起复学")]
    assert {i.article for i in items} == {"第一部分第十六条"}
    assert dates(items, "out") == []  # 2026-06-05: after the range


def test_shandong_return_and_automatic_withdrawal():
    items, errors = listed("shandong", {"junior": resuming("2025-03-05"), "senior": resuming("2025-03-05", "senior", 11),
                                        "later": resuming("2025-09-01")}, "2026-03-01", "2026-04-30")
    assert not errors
    assert dates(items, "junior") == ["2026-03-05"]
    # a senior who does not reply within a month of the due return is withdrawn (第二十一条)
    assert dates(items, "senior") == ["2026-03-05", "2026-04-05", "2026-04-05"]
    assert {i.rule for i in items if i.student == "senior"} == {"after_term", "senior_no_reply_withdrawn", "senior_no_reply"}
    assert dates(items, "later") == []


def test_shandong_school_report_is_listed_once_for_the_school():
    """第三十四条: a report within a month of the semester's start reads no fact: one item, no student."""
    items, _ = listed("shandong", {"a": resuming("2025-03-05"), "b": resuming("2025-09-01")}, "2026-03-01", "2026-04-30")
    school = [i for i in items if i.student is None]
    assert [(i.date.isoformat(), i.rule, i.article) for i in school] == [("2026-04-09", "report_within_month", "第三十四条")]


def test_jinxiang_adds_its_own_deadlines_to_the_province():
    items, errors = listed("shandong/jinxiang", {"in": resuming("2025-03-05"), "out": resuming("2025-10-05")},
                           "2026-03-01", "2026-04-30")
    assert not errors
    assert "2026-03-05" in dates(items, "in", rule="after_term")
    assert dates(items, "out") == []
    # 金乡 二(二)2: the county bureau approves changes on Wednesdays, the same for every student: the school's
    approval = [i for i in items if i.title.startswith("县教育局集中审批日")]
    assert {i.student for i in approval} == {None}
    assert [i.date for i in approval] == [D("2026-03-04") + dt.timedelta(weeks=n) for n in range(9)]  # to 04-29


def test_nanchang_suspension_year_and_overdue_return():
    items, errors = listed("nanchang", {"susp": nanchang_suspended("2024-03-10"), "back": resuming("2024-02-20"),
                                        "later": nanchang_suspended("2024-09-01")}, "2025-01-01", "2025-03-31")
    assert not errors
    assert [(i.date.isoformat(), i.kind) for i in items if i.student == "susp"] == [("2025-03-10", "deadline")]
    # the term ends 2025-02-20; from the next day the absence is truancy and the school must urge the return
    back = [(i.date.isoformat(), i.kind, i.rule) for i in items if i.student == "back"]
    assert back == [("2025-02-20", "deadline", "overdue_truancy"), ("2025-02-21", "overdue", "overdue_truancy"),
                    ("2025-02-21", "overdue", "compulsory_urge_return")]
    assert dates(items, "later") == []


def test_a_student_who_returned_on_time_is_not_overdue():
    returned = resuming("2024-02-20")
    returned["request"]["resumption"]["date"] = "2025-02-20"
    items, _ = listed("nanchang", {"s": returned}, "2025-01-01", "2025-03-31")
    assert "overdue" not in {i.kind for i in items}


# -- the range, the order, working days ------------------------------------------------------------


@pytest.mark.parametrize("start,end,seen", [
    ("2025-03-10", "2025-03-10", True),   # a one-day range: the day itself
    ("2025-03-10", "2025-04-30", True),   # on --from
    ("2025-02-01", "2025-03-10", True),   # on --to
    ("2025-03-11", "2025-04-30", False),  # the day after: before --from
    ("2025-02-01", "2025-03-09", False),  # the day before: after --to
])
def test_the_range_includes_both_ends(start, end, seen):
    items, _ = listed("nanchang", {"s": nanchang_suspended("2024-03-10")}, start, end)
    assert (dates(items, "s", rule="suspension_ground") == ["2025-03-10"]) is seen


def test_a_range_that_ends_before_it_starts_is_an_error():
    with pytest.raises(xr.DateError):
        listed("nanchang", {}, "2025-03-10", "2025-03-09")


def test_items_are_ordered_by_date_then_by_row():
    students = {"c": nanchang_suspended("2024-03-20"), "a": nanchang_suspended("2024-03-10"),
                "b": nanchang_suspended("2024-03-10")}
    items, _ = listed("nanchang", students, "2025-03-01", "2025-03-31")
    assert [(i.date.isoformat(), i.student) for i in items] == [
        ("2025-03-10", "a"), ("2025-03-10", "b"), ("2025-03-20", "c")]


def test_working_day_deadline_across_the_spring_festival():
    """Died Friday 2025-01-24: Sunday 01-26 was worked, 01-28 … 02-04 off; the 10th working day is 2025-02-13."""
    dead = {"student": dict(JUNIOR), "request": {"cancellation": {"ground": "death", "death_date": "2025-01-24"}},
            "evidence": {"documents": ["death_certificate"]}}
    items, _ = listed("nanchang", {"d": dead}, "2025-01-01", "2025-03-31")
    [item] = [i for i in items if i.rule == "death_report"]
    assert item.date == D("2025-02-13")  # 20 calendar days: ten calendar days would be 2025-02-03
    assert item.working_days.startswith("death_report_working_days = 10 工作日")
    assert "that day not counted" in item.working_days
    assert item.basis == "request.cancellation.death_date + death_report_working_days (death_report_working_days = 10工作日)"


def test_nanchang_transfer_windows_open_and_close_by_the_calendar():
    """第十二条: two weeks either side of a semester's end and start (sample calendar: 2025-01-18 and 02-17)."""
    move = {"student": {**JUNIOR, "school": {"ownership": "public", "place": "360102"}},
            "request": {"transfer": {"reason": "demolition_or_sale", "residence_moved": True,
                                     "to_school": {"ownership": "public", "place": "360113"}}}}
    items, errors = listed("nanchang", {"move": move, "none": {"student": dict(JUNIOR)}}, "2025-01-01", "2025-03-31")
    assert not errors
    windows = [(i.date.isoformat(), i.kind) for i in items if i.rule == "transfer_in_window"]
    assert windows == [("2025-01-04", "window_opens"), ("2025-02-01", "window_closes"),
                       ("2025-02-03", "window_opens"), ("2025-03-03", "window_closes")]
    assert {i.student for i in items if i.rule == "transfer_in_window"} == {"move"}  # not a pupil with no transfer


def test_due_dates_are_the_decisions_deadlines():
    """Every deadline listed is one the Decision asked on that day lists, on the same date (one engine)."""
    students = {"j": ("jiangsu", jiangsu_suspended("2025-03-05")), "n": ("nanchang", nanchang_suspended("2024-03-10"))}
    for sid, (region, facts) in students.items():
        items, _ = listed(region, {sid: facts}, "2025-01-01", "2026-12-31")
        deadlines = [i for i in items if i.kind == "deadline"]
        assert deadlines
        for item in deadlines:
            decision = xr.ask(region, item.question, facts, on=item.date)
            assert (item.title, item.date) in {(d.title, d.date) for d in decision.deadlines}


# -- bad students, the file, the command -----------------------------------------------------------


def test_a_bad_student_is_an_error_with_its_row_and_code_and_the_run_goes_on():
    secret = "320102200503071234"
    bad = {"student": {"stage": "junior", "grade": secret}}
    items, errors = listed("nanchang", {"ok1": nanchang_suspended("2024-03-10"), "bad": bad,
                                        "ok2": nanchang_suspended("2024-03-11")}, "2025-03-01", "2025-03-31")
    assert dates(items, "ok1") == ["2025-03-10"] and dates(items, "ok2") == ["2025-03-11"]
    [e] = errors
    assert (e.row, e.student, e.path) == (2, "bad", "student.grade") and e.code
    assert secret not in str(e)


def test_students_file_reads_json_lines_and_lists(tmp_path):
    lines = tmp_path / "s.jsonl"
    lines.write_text('{"id": "a", "student.stage": "junior", "student.grade": 8}\n\n{not json\n[1]\n{"sid": 1}\n',
                     encoding="utf-8")
    rows = list(_students(lines))
    assert rows[0] == (1, "a", {"student": {"stage": "junior", "grade": 8}})  # dotted columns made nested
    assert [(r[0], r[2].code) for r in rows[1:]] == [(3, "yaml_syntax"), (4, "bad_row"), (5, "missing_id")]
    assert all(isinstance(r[2], DueError) for r in rows[1:])
    listing = tmp_path / "s.yaml"
    listing.write_text("- {no: 7, student: {stage: junior, grade: 8}}\n", encoding="utf-8")
    assert list(_students(listing, "no")) == [(1, "7", {"student": {"stage": "junior", "grade": 8}})]
    with pytest.raises(xr.FactsError):
        list(_students(tmp_path / "s.xlsx"))


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err, stdin=io.StringIO(""))
    return code, out.getvalue(), err.getvalue()


def test_command_end_to_end_with_the_example_file(tmp_path):
    code, out, err = run("due", "nanchang", "--students", EXAMPLE, "--from", "2025-01-01", "--to", "2025-03-31")
    assert code == 1  # the example has one bad row, on purpose
    assert "row 5 (N2025005): facts_range at student.grade" in err and "Traceback" not in err
    assert "2025-02-13  N2025001" in out and "第二十四条" in out
    lines = [line[:10] for line in out.splitlines()[3:]]
    assert lines == sorted(lines)  # ordered by date

    target = tmp_path / "due.csv"
    code, out, _ = run("due", "nanchang", "--students", EXAMPLE, "--from", "2025-02-13", "--to", "2025-02-21",
                       "--out", target)
    assert code == 1 and "written to" in out
    rows = target.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "date,student,kind,question,rule,article,title,en,basis,working_days"
    assert [r.split(",")[:3] for r in rows[1:]] == [
        ["2025-02-13", "N2025001", "deadline"], ["2025-02-20", "N2025003", "deadline"],
        ["2025-02-21", "N2025003", "overdue"], ["2025-02-21", "N2025003", "overdue"]]

    code, out, _ = run("due", "nanchang", "--students", EXAMPLE, "--from", "2025-02-13", "--to", "2025-02-13",
                       "--format", "json", "--question", "registry_cancellation")
    doc = json.loads(out)
    assert (doc["from"], doc["to"], doc["inclusive"]) == ("2025-02-13", "2025-02-13", True)
    assert [(i["date"], i["student"], i["rule"], i["article"], i["title"], i["en"]) for i in doc["items"]] == [
        ("2025-02-13", "N2025001", "death_report", "第二十四条", "报注销期限（死亡之日起10个工作日）",
         "reporting deadline (10 working days from the death)")]
    assert doc["errors"] == [{"row": 5, "student": "N2025005", "code": "facts_range", "message": doc["errors"][0]["message"],
                              "path": "student.grade", "question": None, "rule": None}]


def test_command_user_errors_exit_2_without_a_traceback(tmp_path):
    for argv in (["--from", "2025-13-01", "--to", "2025-03-31"],  # bad date
                 ["--from", "2025-03-31", "--to", "2025-03-01"],  # reversed range
                 ["--from", "2025-01-01", "--to", "2025-03-31", "--question", "transfr"]):  # unknown question
        code, _, err = run("due", "nanchang", "--students", EXAMPLE, *argv)
        assert code == 2 and err.startswith("xueji: error:") and "Traceback" not in err
    code, _, err = run("due", "nanchang", "--students", tmp_path / "missing.jsonl", "--from", "2025-01-01", "--to", "2025-01-02")
    assert code == 2 and "cannot read the students file" in err
    good = tmp_path / "ok.jsonl"
    good.write_text(json.dumps({"id": "x", **nanchang_suspended("2024-03-10")}) + "\n", encoding="utf-8")
    code, out, err = run("due", "nanchang", "--students", good, "--from", "2025-03-01", "--to", "2025-03-31")
    assert (code, err) == (0, "") and "2025-03-10  x" in out


def test_a_school_calendar_given_moves_the_windows():
    """The school's own calendar (second semester ends 2025-06-27, not the sample's 07-05) moves the summer window."""
    move = {"student": {**JUNIOR, "school": {"ownership": "public", "place": "360102"}},
            "request": {"transfer": {"reason": "demolition_or_sale", "residence_moved": True,
                                     "to_school": {"ownership": "public", "place": "360113"}}}}
    window = "window_opens"
    sample, _ = listed("nanchang", {"m": move}, "2025-06-01", "2025-07-31")
    school, _ = listed("nanchang", {"m": move}, "2025-06-01", "2025-07-31",
                       calendar=ROOT / "policies" / "nanchang" / "tests" / "calendars" / "early_summer.yaml")
    assert dates(sample, kind=window) == ["2025-06-21"] and dates(school, kind=window) == ["2025-06-13"]
    assert dates(sample, kind="window_closes") == ["2025-07-19"] and dates(school, kind="window_closes") == ["2025-07-11"]


def test_contradictory_facts_stop_one_question_not_the_student():
    """Shandong graduation: completing the term and leaving midway contradict; the return date is still listed."""
    facts = {"student": {"stage": "senior", "grade": 12},
             "results": {"completed_term": True, "left_school": True, "jieye_date": "2023-07-01"},
             "request": {"resumption": {"suspension_start": "2024-07-01"}}}
    items, errors = listed("shandong", {"c": facts}, "2025-06-01", "2025-07-31")
    assert [(i.date.isoformat(), i.rule) for i in items if i.student] == [("2025-07-01", "after_term")]
    assert [(e.row, e.code, e.question, e.rule) for e in errors] == [(1, "contradictory_facts", "graduation", None)]


def test_a_deadline_beyond_the_working_day_data_is_an_error_not_a_guess():
    """A transfer on 2026-12-24: its 10th working day is in 2027, whose holidays are not published yet."""
    late = {"student": dict(JUNIOR), "request": {"transfer": {"date": "2026-12-24"}}}
    items, errors = listed("nanchang", {"w": late, "ok": nanchang_suspended("2025-12-10")}, "2026-12-01", "2026-12-31")
    assert [(i.student, i.date.isoformat()) for i in items] == [("ok", "2026-12-10")]
    assert {(e.row, e.code, e.rule) for e in errors} == {(1, "bad_date", "handover_duty"), (1, "bad_date", "online_application")}


def _flat(doc: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in doc.items():
        path = f"{prefix}.{key}" if prefix else key
        out.update(_flat(value, path) if isinstance(value, dict) else {path: value})
    return out


def test_csv_and_parquet_files_give_the_same_list_as_json_lines(tmp_path):
    pl = pytest.importorskip("polars")
    records = [_flat(json.loads(line)) for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    columns = sorted({k for r in records for k in r})
    as_text = [{c: (";".join(r[c]) if isinstance(r.get(c), list) else r.get(c)) for c in columns} for r in records]
    frame = pl.DataFrame(as_text, schema={c: pl.String for c in columns})
    frame.write_csv(tmp_path / "roll.csv")
    frame.with_columns(pl.col("evidence.documents").str.split(";")).write_parquet(tmp_path / "roll.parquet")
    want = run("due", "nanchang", "--students", EXAMPLE, "--from", "2025-01-01", "--to", "2025-03-31",
               "--format", "json")
    assert want[0] == 1 and json.loads(want[1])["items"]
    for name in ("roll.csv", "roll.parquet"):
        got = run("due", "nanchang", "--students", tmp_path / name, "--from", "2025-01-01", "--to", "2025-03-31",
                  "--format", "json")
        assert got[0] == 1 and json.loads(got[1])["items"] == json.loads(want[1])["items"], name
        assert "row 5 (N2025005): facts_range at student.grade" in got[2]


def test_a_registrys_own_column_names_are_mapped_and_a_bad_cell_is_its_rows_error(tmp_path):
    pytest.importorskip("polars")
    (tmp_path / "roll.csv").write_text(
        "学籍号,学段,年级,休学原因,批准日期\n"
        "G1,junior,8,illness,2024-03-10\n"
        "G2,junior,abc,illness,2024-03-10\n"
        ",junior,8,illness,2024-03-10\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text(
        "id: 学籍号\ncolumns:\n  学段: student.stage\n  年级: student.grade\n  休学原因: request.suspension.reason\n"
        "  批准日期: request.suspension.approval_date\n", encoding="utf-8")
    code, out, err = run("due", "nanchang", "--students", tmp_path / "roll.csv", "--columns", tmp_path / "map.yaml",
                         "--from", "2025-01-01", "--to", "2025-03-31", "--format", "json")
    assert code == 1 and "Traceback" not in err
    doc = json.loads(out)
    assert doc["items"] and {i["student"] for i in doc["items"] if i["student"]} == {"G1"}
    assert "row 2 (G2): facts_type at student.grade" in err and "abc" not in err
    assert "row 3: missing_id" in err
    (tmp_path / "nameless.csv").write_text("student.stage,student.grade\njunior,8\n", encoding="utf-8")
    code, out, err = run("due", "nanchang", "--students", tmp_path / "nameless.csv", "--from", "2025-01-01",
                         "--to", "2025-03-31")
    assert code == 2 and "no id column" in err and "Traceback" not in err
