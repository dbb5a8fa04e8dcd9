"""`xueji audit`: a file of students in, one answer per student and question out, as `xueji_rules.ask` gives it."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

pl = pytest.importorskip("polars")
pytest.importorskip("pyarrow")

import xueji_rules as xr  # noqa: E402
from xueji_rules import cli  # noqa: E402
from xueji_rules.audit.columns import ColumnMap  # noqa: E402
from xueji_rules.audit.read import StudentsFile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ON = "2025-03-03"

from engines import make_students, nested  # noqa: E402  (the generator script, loaded once)


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def students(region, questions, n, seed=1, **kw):
    return make_students.make(region, questions, n, seed, **kw)


def write(frame, path: Path) -> Path:
    make_students.write(frame, str(path))
    return path


def read_out(path: Path):
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    return pl.read_ndjson(path)


def expected(region, question, frame):
    """What `xueji_rules.ask` says for each row: the audit's columns, from the Decision."""
    policy = xr.load_policy(region)
    out = []
    for row in frame.iter_rows(named=True):
        d = xr.ask(policy, question, nested(row), ON)
        dated = [x for x in d.deadlines if x.date is not None]
        first = min(dated, key=lambda x: x.date) if dated else None
        out.append({"student_id": row["student_id"], "outcome": d.outcome, "norm": d.norm, "status": d.status,
                    "failed_rules": list(d.failed), "outstanding_approvals": [a.by for a in d.awaiting],
                    "earliest_deadline": first.date if first else None,
                    "earliest_deadline_title": first.title if first else None,
                    "missing_facts": list(d.missing_facts)})
    return out


COLUMNS = ["student_id", "outcome", "norm", "status", "failed_rules", "outstanding_approvals", "earliest_deadline",
           "earliest_deadline_title", "missing_facts"]


@pytest.mark.parametrize("region,question", [
    ("jiangsu", "suspension"), ("jiangsu", "graduation"), ("jiangsu", "transfer"), ("nanchang", "suspension"),
    ("shandong/jinxiang", "withdrawal"), ("shandong", "resumption"),
])
def test_answers_agree_with_ask_row_for_row(tmp_path, region, question):
    """Every column of the audit is what `ask` says for the same student: outcome, norm, status, failed rules,
    outstanding approvals, earliest deadline and missing facts."""
    frame = students(region, [question], 300, seed=5)
    src = write(frame, tmp_path / "s.parquet")
    out = tmp_path / "a.parquet"
    code, _, err = run("audit", region, question, "--students", src, "--on", ON, "--out", out, "--chunk-size", 70)
    assert code == 0, err
    got = read_out(out).select(COLUMNS).to_dicts()
    assert got == expected(region, question, frame)


@pytest.mark.parametrize("source", ["csv", "jsonl", "parquet"])
@pytest.mark.parametrize("target", ["csv", "jsonl", "parquet"])
def test_every_format_in_and_out_gives_the_same_answers(tmp_path, source, target):
    frame = students("jiangsu", ["suspension"], 120, seed=2)
    src = write(frame, tmp_path / f"s.{source}")
    out = tmp_path / f"a.{target}"
    code, _, err = run("audit", "jiangsu", "suspension", "--students", src, "--on", ON, "--out", out)
    assert code == 0, err
    got = read_out(out)
    want = expected("jiangsu", "suspension", frame)
    assert got["outcome"].to_list() == [w["outcome"] for w in want]
    assert got["row"].cast(pl.Int64).to_list() == list(range(1, 121))
    if target == "csv":  # lists are `;`-joined text in a CSV
        assert got["failed_rules"].fill_null("").to_list() == [";".join(w["failed_rules"]) for w in want]
        assert got["earliest_deadline"].to_list() == [w["earliest_deadline"] and w["earliest_deadline"].isoformat()
                                                      for w in want]
    else:  # and lists in Parquet and JSON Lines
        assert got["failed_rules"].to_list() == [w["failed_rules"] for w in want]
        assert got["missing_facts"].to_list() == [w["missing_facts"] for w in want]


def test_without_out_json_lines_go_to_stdout(tmp_path):
    frame = students("jiangsu", ["suspension"], 30)
    src = write(frame, tmp_path / "s.csv")
    code, out, err = run("audit", "jiangsu", "suspension", "--students", src, "--on", ON)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [x["outcome"] for x in lines] == [w["outcome"] for w in expected("jiangsu", "suspension", frame)]
    assert lines[0]["student_id"] == "0000000001" and lines[0]["question"] == "suspension"


def test_several_questions_give_a_row_per_student_and_question(tmp_path):
    frame = students("jiangsu", ["suspension", "graduation"], 40)
    src = write(frame, tmp_path / "s.parquet")
    out = tmp_path / "a.jsonl"
    code, _, err = run("audit", "jiangsu", "suspension", "graduation", "--students", src, "--on", ON, "--out", out)
    assert code == 0, err
    got = read_out(out)
    for q in ("suspension", "graduation"):
        mine = got.filter(pl.col("question") == q)
        assert mine["outcome"].to_list() == [w["outcome"] for w in expected("jiangsu", q, frame)]
    assert "suspension:" in err and "graduation:" in err


def test_lists_in_a_csv_cell(tmp_path):
    """evidence.documents in a CSV: codes joined by ';', a JSON list, [] for none, an empty cell for not given."""
    base = "student.stage,student.grade,absence.reason,absence.class_hours_missed,absence.still_unable_to_attend,"
    head = base + "approvals.bureau,evidence.documents\n"
    cells = ["hospital_diagnosis;inpatient_record;medical_receipts", '"[""hospital_diagnosis"", ""inpatient_record"", '
             '""medical_receipts""]"', "[]", "", " hospital_diagnosis ; inpatient_record "]
    f = tmp_path / "s.csv"
    f.write_text(head + "".join(f"junior,8,illness,230,true,given,{c}\n" for c in cells), encoding="utf-8")
    code, out, err = run("audit", "jiangsu", "suspension", "--students", f, "--on", ON)
    assert code == 0, err
    got = [json.loads(line) for line in out.splitlines()]
    facts = {"student": {"stage": "junior", "grade": 8}, "approvals": {"bureau": "given"},
             "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True}}
    docs = [["hospital_diagnosis", "inpatient_record", "medical_receipts"]] * 2 + [[], None,
                                                                                   ["hospital_diagnosis", "inpatient_record"]]
    for answer, d in zip(got, docs):
        want = xr.ask("jiangsu", "suspension", {**facts, "evidence": {"documents": d}} if d is not None else facts, ON)
        assert (answer["outcome"], answer["failed_rules"]) == (want.outcome, list(want.failed))
    # the three readings are not all the same answer: the test can tell a list from none
    assert len({(a["outcome"], tuple(a["failed_rules"])) for a in got}) > 1


def test_nested_json_lines_are_read_as_fact_paths(tmp_path):
    facts = {"student": {"stage": "junior", "grade": 8}, "approvals": {"bureau": "given"},
             "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True},
             "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"]}}
    f = tmp_path / "s.jsonl"
    f.write_text(json.dumps({"id": "A1", **facts}) + "\n", encoding="utf-8")
    code, out, err = run("audit", "jiangsu", "suspension", "--students", f, "--on", ON)
    assert code == 0, err
    got = json.loads(out)
    assert got["id"] == "A1" and got["outcome"] == xr.ask("jiangsu", "suspension", facts, ON).outcome


def test_column_map_reads_a_registry_export_as_it_is(tmp_path):
    """The same students under the registry's own column names, with --columns, give the same answers."""
    frame = students("jiangsu", ["suspension"], 80, seed=3)
    names = {"student_id": "学籍号", "student.stage": "学段", "absence.class_hours_missed": "缺课课时",
             "evidence.documents": "证明材料"}
    src = write(frame.rename(names), tmp_path / "export.csv")
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("id: 学籍号\ncolumns:\n  学段: student.stage\n  缺课课时: absence.class_hours_missed\n"
                       "  证明材料: evidence.documents\n", encoding="utf-8")
    out = tmp_path / "a.parquet"
    code, _, err = run("audit", "jiangsu", "suspension", "--students", src, "--columns", mapping, "--on", ON,
                       "--out", out)
    assert code == 0, err
    got = read_out(out)
    want = expected("jiangsu", "suspension", frame)
    assert got["学籍号"].to_list() == [w["student_id"] for w in want]
    assert got["outcome"].to_list() == [w["outcome"] for w in want]


def test_the_bundled_export_example_runs(tmp_path):
    code, out, err = run("audit", "jiangsu", "suspension", "--students", ROOT / "examples/audit/export.csv",
                         "--columns", ROOT / "examples/audit/columns.yaml", "--on", ON)
    assert code == 0, err
    assert "学籍号" in json.loads(out.splitlines()[0])


def test_a_column_map_to_an_unknown_fact_is_refused_with_did_you_mean(tmp_path):
    src = write(students("jiangsu", ["suspension"], 5), tmp_path / "s.csv")
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("columns:\n  课时: absence.class_hour_missed\n", encoding="utf-8")
    code, _, err = run("audit", "jiangsu", "suspension", "--students", src, "--columns", mapping, "--on", ON)
    assert code == 2 and "did you mean 'absence.class_hours_missed'" in err and "Traceback" not in err


def test_a_misspelt_fact_path_header_is_refused_not_ignored(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("student.stage,absence.class_hour_missed\njunior,230\n", encoding="utf-8")
    code, _, err = run("audit", "jiangsu", "suspension", "--students", f, "--on", ON)
    assert code == 2 and "absence.class_hours_missed" in err


def test_a_bad_row_in_the_middle_goes_to_the_error_file_and_the_run_goes_on(tmp_path):
    frame = students("jiangsu", ["suspension"], 100, seed=4)
    secret = "张伟320102200503071234"
    frame = frame.with_columns(pl.col("absence.class_hours_missed").cast(pl.String))
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 49).then(pl.lit(secret))
                               .otherwise(pl.col("absence.class_hours_missed")).alias("absence.class_hours_missed"),
                               pl.when(pl.int_range(pl.len()) == 60).then(pl.lit("-5"))
                               .otherwise(pl.col("absence.year_total_class_hours").cast(pl.String))
                               .alias("absence.year_total_class_hours"))
    src = write(frame, tmp_path / "s.csv")
    out = tmp_path / "a.csv"
    code, _, err = run("audit", "jiangsu", "suspension", "--students", src, "--on", ON, "--out", out,
                       "--chunk-size", 30)
    assert code == 1
    errors = (tmp_path / "a.errors.csv").read_text(encoding="utf-8")
    assert errors.splitlines() == ["row,question,error,fact",
                                   "50,suspension,facts_type,absence.class_hours_missed",
                                   "61,suspension,facts_range,absence.year_total_class_hours"]
    got = read_out(out)
    assert got.height == 98 and 50 not in got["row"].cast(pl.Int64).to_list()
    assert secret not in err and secret not in errors and "-5" not in errors
    assert "Traceback" not in err and "2 in error" in err


def test_errors_file_can_be_named(tmp_path):
    frame = students("jiangsu", ["suspension"], 20, bad_every=10)
    src = write(frame, tmp_path / "s.parquet")
    code, out, err = run("audit", "jiangsu", "suspension", "--students", src, "--on", ON,
                         "--errors", tmp_path / "bad.csv")
    assert code == 1
    assert (tmp_path / "bad.csv").read_text().splitlines()[1:] == [
        "6,suspension,facts_type,absence.class_hours_missed", "16,suspension,facts_type,absence.class_hours_missed"]
    assert len(out.splitlines()) == 18


def test_summary_counts_outcomes_failed_rules_and_errors(tmp_path):
    frame = students("jiangsu", ["suspension"], 200, seed=6, bad_every=50)
    src = write(frame, tmp_path / "s.jsonl")
    out = tmp_path / "a.parquet"
    report = tmp_path / "summary.json"
    code, _, err = run("audit", "jiangsu", "suspension", "--students", src, "--on", ON, "--out", out,
                       "--summary", report)
    assert code == 1
    got = read_out(out)
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["rows"] == 200 and summary["rows_in_error"] == 4 and summary["errors"] == {"facts_type": 4}
    counts = dict(got.group_by("outcome").len().iter_rows())
    assert summary["questions"]["suspension"]["outcomes"] == counts
    failed = got.explode("failed_rules").drop_nulls("failed_rules").group_by("failed_rules").len()
    top = summary["questions"]["suspension"]["failed_rules"][0]
    assert top["rows"] == failed["len"].max() and top["article"].startswith("第")
    assert f"{counts['denied']:,}" in err and top["rule"] in err and top["article"] in err


def test_explain_adds_the_decision_json(tmp_path):
    frame = students("jiangsu", ["suspension"], 10)
    src = write(frame, tmp_path / "s.parquet")
    code, out, err = run("audit", "jiangsu", "suspension", "--students", src, "--on", ON, "--explain")
    assert code == 0, err
    for line, row in zip(out.splitlines(), frame.iter_rows(named=True)):
        got = json.loads(json.loads(line)["decision"])
        assert got == xr.ask("jiangsu", "suspension", nested(row), ON).to_dict()


@pytest.mark.parametrize("args,words", [
    (["jiangsu", "suspend"], "suspension"),  # unknown question, with its suggestion
    (["nowhere", "suspension"], "nowhere"),
    (["jiangsu", "suspension", "--on", "2025-02-30"], "bad date"),
    (["jiangsu", "suspension", "--out", "a.xlsx"], ".parquet"),
    (["jiangsu", "suspension", "--backend", "columns"], "columns backend"),
])
def test_usage_errors_exit_2_without_a_traceback(tmp_path, args, words, monkeypatch):
    import builtins

    src = write(students("jiangsu", ["suspension"], 5), tmp_path / "s.csv")
    real = builtins.__import__

    def no_columns(name, *a, **k):  # the columns backend comes from another branch: absent here, as in a user's install
        if name in ("xueji_rules.columns", "columns") and a and a[2] and "ColumnBackend" in a[2]:
            raise ImportError("No module named 'xueji_rules.columns'", name="xueji_rules.columns")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_columns)
    monkeypatch.chdir(tmp_path)
    argv = ["audit", *args, "--students", src] + ([] if "--on" in args else ["--on", ON])
    code, _, err = run(*argv)
    assert code == 2 and words in err and "Traceback" not in err


def test_a_missing_students_file_is_a_usage_error(tmp_path):
    code, _, err = run("audit", "jiangsu", "suspension", "--students", tmp_path / "none.csv", "--on", ON)
    assert code == 2 and "none.csv" in err


def test_chunks_hold_at_most_the_chunk_size(tmp_path):
    """The memory bound: whatever the format, no chunk holds more than --chunk-size students."""
    frame = students("jiangsu", ["suspension"], 1000)
    for fmt in ("csv", "jsonl", "parquet"):
        src = write(frame, tmp_path / f"s.{fmt}")
        f = StudentsFile(str(src), ColumnMap(), chunk_rows=128)
        sizes = [c.height for c in f.chunks()]
        assert max(sizes) <= 128 and sum(sizes) == 1000 and f.count_rows() == 1000


def test_plain_progress_lines_when_not_a_terminal(tmp_path):
    from xueji_rules.audit.run import audit

    src = write(students("jiangsu", ["suspension"], 300), tmp_path / "s.parquet")
    err = io.StringIO()
    audit(xr.load_policy("jiangsu"), ["suspension"], str(src), dt.date(2025, 3, 3), stream=io.StringIO(),
          chunk_rows=100, progress_stream=err, progress_every=0)
    lines = [x for x in err.getvalue().splitlines() if x.startswith("xueji audit: ") and "rows/s" in x]
    assert lines[-1].startswith("xueji audit: 300 of 300 rows (100%)") and "\x1b" not in err.getvalue()


def test_generator_is_deterministic_with_a_seed():
    assert students("jiangsu", ["suspension"], 50, seed=9).equals(students("jiangsu", ["suspension"], 50, seed=9))
    assert not students("jiangsu", ["suspension"], 50, seed=9).equals(students("jiangsu", ["suspension"], 50, seed=8))


@pytest.mark.parametrize("region,question", [("jiangsu", "suspension"), ("jiangsu", "transfer"), ("nanchang", "resumption")])
def test_answerer_gives_the_decisions_outcome_norm_status_and_failed_rules(region, question):
    """evaluate.answerer, the row backend's core: the Decision's answer without its explanation."""
    from xueji_rules.evaluate import answerer

    policy = xr.load_policy(region)
    answer = answerer(policy, question, ON)
    for row in students(region, [question], 200, seed=11).iter_rows(named=True):
        d = xr.ask(policy, question, nested(row), ON)
        a = answer(nested(row))
        assert (a.outcome, a.norm, a.status, a.failed) == (d.outcome, d.norm, d.status, d.failed)
        assert [{0: "not_applicable", 1: "held", 2: "failed", 3: "unknown"}[c] for c in a.statuses] == \
               [r.status for r in d.rules]


def test_answerer_refuses_bad_facts_as_ask_does():
    from xueji_rules.evaluate import answerer

    facts = {"student": {"stage": "junior", "grade": 8}, "absence": {"class_hours_missed": -5}}
    with pytest.raises(xr.FactsError) as want:
        xr.ask("jiangsu", "suspension", facts, ON)
    with pytest.raises(xr.FactsError) as got:
        answerer(xr.load_policy("jiangsu"), "suspension", ON)(facts)
    assert [d.code for d in got.value.diagnostics] == [d.code for d in want.value.diagnostics] == ["facts_range"]


def test_jobs_give_the_same_file_in_the_same_order(tmp_path):
    """--jobs 2: chunks answered in worker processes (a county layer loaded there too), written in the file's order."""
    frame = students("shandong/jinxiang", ["withdrawal"], 400, seed=12)
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) % 150 == 7).then(pl.lit("x"))
                               .otherwise(pl.col("request.suspension.years_suspended_before").cast(pl.String))
                               .alias("request.suspension.years_suspended_before"))
    src = write(frame, tmp_path / "s.csv")
    got = {}
    for jobs in (1, 2):
        out = tmp_path / f"a{jobs}.parquet"
        code, _, err = run("audit", "shandong/jinxiang", "withdrawal", "--students", src, "--on", ON, "--out", out,
                           "--chunk-size", 64, "--jobs", jobs)
        assert code == 1, err
        got[jobs] = (read_out(out), (tmp_path / f"a{jobs}.errors.csv").read_text(), err.split("students read")[1].split("rows in error:")[0])
    assert got[1][0].equals(got[2][0]) and got[1][1] == got[2][1]
    assert got[1][2].split("\n", 1)[1] == got[2][2].split("\n", 1)[1]  # the summary, but for the time taken


def test_a_value_of_another_kind_late_in_json_lines_is_that_rows_error(tmp_path):
    """The JSON Lines schema is guessed from the first lines; a text where numbers were, further on, is one row's
    error (facts_type), not a reason to stop."""
    f = tmp_path / "s.jsonl"
    row = {"student": {"stage": "junior", "grade": 8},
           "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True}}
    lines = [json.dumps(row)] * 10_500
    lines[10_200] = json.dumps({**row, "absence": {**row["absence"], "class_hours_missed": "abc"}})
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "a.parquet"
    code, _, err = run("audit", "jiangsu", "suspension", "--students", f, "--on", ON, "--out", out)
    assert code == 1, err
    assert (tmp_path / "a.errors.csv").read_text().splitlines()[1:] == [
        "10201,suspension,facts_type,absence.class_hours_missed"]
    assert read_out(out).height == 10_499


def test_a_json_line_that_cannot_be_read_is_that_rows_error_and_the_run_goes_on(tmp_path):
    """Not JSON, not an object, nested past any facts, or longer than a line may be: each is its row's error."""
    row = json.dumps({"id": "s", "student": {"stage": "junior", "grade": 8},
                      "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True}})
    lines = [row] * 300
    lines[0] = "{not json"                                     # in the lines the schema is guessed from
    lines[5] = "[1]"
    lines[7] = "null"
    lines[150] = '{"student": ' + '{"a": ' * 5000 + "1" + "}" * 5001  # a parser would recurse 5,000 deep
    lines[200] = '{"id": "' + "x" * (2 * 1024 * 1024) + '"}'   # over the line limit (1 MiB)
    lines[299] = '{"student": {"stage": "junior"}'              # cut short
    f = tmp_path / "s.jsonl"
    f.write_text("\n".join(lines[:100]) + "\n\n" + "\n".join(lines[100:]) + "\n", encoding="utf-8")  # a blank line too
    out = tmp_path / "a.jsonl"
    code, _, err = run("audit", "jiangsu", "suspension", "--students", f, "--on", ON, "--out", out,
                       "--chunk-size", 64)
    assert code == 1, err
    assert "Traceback" not in err and "xxxx" not in err
    errors = (tmp_path / "a.errors.csv").read_text().splitlines()[1:]
    assert errors == ["1,suspension,bad_json,", "6,suspension,bad_json,", "8,suspension,bad_json,",
                      "151,suspension,too_deep,", "201,suspension,line_too_long,", "300,suspension,bad_json,"]
    answers = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(answers) == 294 and {a["outcome"] for a in answers} == {"allowed_with_approval"}
    assert [a["row"] for a in answers][:3] == [2, 3, 4]
