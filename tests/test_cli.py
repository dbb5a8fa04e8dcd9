"""The `xueji` command, run in-process: exit codes, output shapes, and one-line user errors."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xueji_rules import cli

HERE = Path(__file__).parent
TINY = HERE / "policies" / "tiny"
IDS = HERE / "cases" / "ids"
FAILING = HERE / "cases" / "failing"
ROOT = HERE.parent

FACTS = """\
student: {stage: junior, grade: 8}
absence: {reason: illness, class_hours_missed: 230, still_unable_to_attend: true, start_date: 2025-01-06}
"""


class _Stream(io.StringIO):
    def __init__(self, tty: bool = False):
        super().__init__()
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def run(*argv, stdin: str = "", tty: bool = False):
    """Run the command; return (exit code, stdout text, stderr text)."""
    out, err = _Stream(tty), _Stream()
    code = cli.main([str(a) for a in argv], stdout=out, stderr=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def facts_file(tmp_path):
    path = tmp_path / "facts.yaml"
    path.write_text(FACTS, encoding="utf-8")
    return path


@pytest.fixture
def bundled(tmp_path, monkeypatch):
    """A bundled-policies root holding a copy of tiny (with its cases) and of the ID fixture."""
    root = tmp_path / "bundled"
    root.mkdir()
    shutil.copytree(TINY, root / "tiny")
    shutil.copytree(IDS, root / "ids")
    monkeypatch.setenv("XUEJI_POLICIES", str(root))
    return root


def assert_one_user_error(code: int, out: str, err: str) -> None:
    assert code == 2
    assert err.startswith("xueji: error: ")
    assert sum(1 for line in err.splitlines() if line.startswith("xueji:")) == 1
    assert "Traceback" not in err
    assert out == ""


# -- ask -------------------------------------------------------------------------


def test_ask_prints_the_decision_as_text(facts_file):
    """`ask` prints the rendered decision and exits 0."""
    code, out, err = run("ask", TINY, "suspension", "--facts", facts_file, "--on", "2025-03-03")
    assert code == 0 and err == ""
    assert "(allowed_with_approval)" in out
    assert "\033[" not in out


def test_ask_json_is_the_decision_document(facts_file):
    """`ask --format json` prints the Decision's JSON form."""
    code, out, _ = run("ask", TINY, "suspension", "--facts", facts_file, "--on", "2025-03-03", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["format"] == "xueji-decision/1"
    assert doc["outcome"] == "allowed_with_approval"
    assert doc["on"] == "2025-03-03"
    assert [r["id"] for r in doc["rules"]] == ["compulsory_hours", "senior_third", "not_graduating"]


def test_a_denied_answer_still_exits_zero(tmp_path):
    """A denial is an answer, not an error: exit 0."""
    f = tmp_path / "f.yaml"
    f.write_text("student: {stage: junior, grade: 8}\n"
                 "absence: {reason: illness, class_hours_missed: 210, still_unable_to_attend: true}\n")
    code, out, _ = run("ask", TINY, "suspension", "--facts", f, "--on", "2025-03-03", "--format", "json")
    assert code == 0 and json.loads(out)["outcome"] == "denied"


def test_ask_reads_json_facts_from_stdin():
    """`--facts -` reads JSON (even tab-indented) from standard input."""
    facts = '{\n\t"student": {"stage": "junior", "grade": 8},\n\t"absence": {"reason": "illness", ' \
            '"class_hours_missed": 230, "still_unable_to_attend": true}\n}\n'
    code, out, _ = run("ask", TINY, "suspension", "--facts", "-", "--on", "2025-03-03", "--format", "json", stdin=facts)
    assert code == 0 and json.loads(out)["outcome"] == "allowed_with_approval"


def test_colour_follows_the_terminal_and_no_color(facts_file, monkeypatch):
    """Text is coloured on a terminal unless NO_COLOR is set; --color/--no-color override."""
    args = ("ask", TINY, "suspension", "--facts", facts_file, "--on", "2025-03-03")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\033[" in run(*args, tty=True)[1]
    assert "\033[" not in run(*args, "--no-color", tty=True)[1]
    assert "\033[" in run(*args, "--color", tty=False)[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run(*args, tty=True)[1]


def test_ask_defaults_to_today(facts_file):
    """Without --on the question is asked for today in Asia/Shanghai."""
    import pendulum

    code, out, _ = run("ask", TINY, "suspension", "--facts", facts_file, "--format", "json")
    assert code == 0
    assert json.loads(out)["on"] in {pendulum.today("Asia/Shanghai").date().isoformat(),
                                     pendulum.yesterday("Asia/Shanghai").date().isoformat()}


def test_unknown_fact_is_one_error_with_a_suggestion(tmp_path):
    """A misspelt fact key exits 2 with one message naming the position and suggesting the right key."""
    f = tmp_path / "f.yaml"
    f.write_text("student: {stage: junior}\nabsence: {reasn: illness}\n")
    code, out, err = run("ask", TINY, "suspension", "--facts", f, "--on", "2025-03-03")
    assert_one_user_error(code, out, err)
    assert f"{f}:2:" in err and "unknown_fact" in err and "'reason'" in err


@pytest.mark.parametrize("argv, code_in_err", [
    (("ask", "no_such_region", "suspension"), "no policy"),
    (("ask", TINY, "suspensoin"), "suspension"),
    (("ask", TINY, "suspension", "--on", "2025-02-30"), "2025-02-30"),
    (("ask", TINY, "suspension", "--on", "2005-01-01"), "2005-01-01"),
    (("ask", TINY, "suspension", "--on", "next tuesday"), "next tuesday"),
], ids=["unknown region", "unknown question", "impossible date", "date before the regulation", "unreadable date"])
def test_user_errors_exit_2_with_one_message(argv, code_in_err, facts_file):
    """Unknown regions and questions and bad dates are one error line, exit 2, no traceback."""
    code, out, err = run(*argv, "--facts", facts_file)
    assert_one_user_error(code, out, err)
    assert code_in_err in err


def test_unreadable_facts_file(tmp_path):
    """A facts file that does not exist is a user error."""
    code, out, err = run("ask", TINY, "suspension", "--facts", tmp_path / "missing.yaml", "--on", "2025-03-03")
    assert_one_user_error(code, out, err)
    assert "missing.yaml" in err


def test_facts_file_not_utf8(tmp_path):
    """A facts file that is not UTF-8 is a user error, not a crash."""
    f = tmp_path / "f.yaml"
    f.write_bytes("student: {stage: 初中}\n".encode("gbk"))
    assert_one_user_error(*run("ask", TINY, "suspension", "--facts", f, "--on", "2025-03-03"))


def test_malformed_yaml_facts_point_at_the_line():
    """Facts that are not valid YAML give the position of the problem."""
    code, out, err = run("ask", TINY, "suspension", "--facts", "-", "--on", "2025-03-03",
                         stdin="student: {stage: junior\nabsence: {reason: illness}\n")
    assert_one_user_error(code, out, err)
    assert "<stdin>:" in err and "yaml_syntax" in err


def test_impossible_date_inside_facts(tmp_path):
    """An impossible date in the facts is a user error naming its fact."""
    f = tmp_path / "f.yaml"
    f.write_text("absence: {start_date: 2025-02-30}\n")
    code, out, err = run("ask", TINY, "suspension", "--facts", f, "--on", "2025-03-03")
    assert_one_user_error(code, out, err)
    assert "absence.start_date" in err


def test_invalid_policy_when_asking_is_a_user_error(tmp_path, facts_file):
    """Asking a policy that does not load exits 2 with its first problem."""
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    q = broken / "questions" / "suspension.yaml"
    q.write_text(q.read_text(encoding="utf-8").replace("article: 第三条", "article: 第九条"), encoding="utf-8")
    code, out, err = run("ask", broken, "suspension", "--facts", facts_file, "--on", "2025-03-03")
    assert_one_user_error(code, out, err)
    assert "unknown_article" in err


def test_usage_errors_exit_2():
    """Missing arguments and unknown commands are usage errors (exit 2)."""
    assert run("ask", TINY)[0] == 2
    assert run("frobnicate")[0] == 2
    assert run()[0] == 2


# -- validate ---------------------------------------------------------------------------


def test_validate_a_valid_policy():
    """A valid policy validates with exit 0 and a summary."""
    code, out, _ = run("validate", TINY)
    assert code == 0
    assert "no problems" in out.splitlines()[-1]


def _broken_copy(tmp_path) -> Path:
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    q = broken / "questions" / "suspension.yaml"
    text = q.read_text(encoding="utf-8")
    text = text.replace("article: 第三条", "article: 第九条").replace("when: compulsory\n", "when: compulsary\n")
    q.write_text(text, encoding="utf-8")
    return broken


def test_validate_reports_each_problem_as_file_line_col(tmp_path):
    """Problems print sorted as file:line:col: code: message, and exit 1."""
    code, out, _ = run("validate", _broken_copy(tmp_path))
    assert code == 1
    problems = [line for line in out.splitlines() if re.match(r"^\S+:\d+:\d+: [a-z_]+: ", line)]
    assert len(problems) == 2
    assert problems == sorted(problems, key=lambda l: int(l.split(":")[1]))
    assert "2 problems" in out.splitlines()[-1]


def test_validate_json_is_a_list_of_diagnostics(tmp_path):
    """`validate --format json` gives one object per diagnostic."""
    code, out, _ = run("validate", _broken_copy(tmp_path), "--format", "json")
    assert code == 1
    diags = json.loads(out)
    assert all({"code", "message", "file", "line", "column", "path", "hint"} <= set(d) for d in diags)
    assert {d["path"] for d in diags} == {"questions.suspension.rules[0].when", "questions.suspension.rules[1].article"}
    assert "unknown_article" in {d["code"] for d in diags}


def test_validate_defaults_to_every_bundled_region(bundled):
    """With no path, every bundled region is checked."""
    code, out, _ = run("validate")
    assert code == 0
    assert out.splitlines()[-1].startswith("2 policies checked")


def test_validate_unknown_region_is_a_user_error():
    """Validating a name that is no region and no folder exits 2."""
    assert_one_user_error(*run("validate", "no_such_region"))


# -- questions, params, id, regions ------------------------------------------------------------


def test_questions_lists_facts_with_their_meaning():
    """`questions` names each question and the facts its rules read, in Chinese."""
    code, out, _ = run("questions", TINY)
    assert code == 0
    assert out.startswith("suspension  休学")
    assert re.search(r"absence\.class_hours_missed\s+连续缺课累计学时", out)


def test_questions_json():
    """`questions --format json` gives ids, rules and facts."""
    code, out, _ = run("questions", TINY, "--format", "json")
    (q,) = json.loads(out)
    assert q["id"] == "suspension" and q["rules"] == ["compulsory_hours", "senior_third", "not_graduating"]
    paths = {f["path"]: f for f in q["facts"]}
    assert paths["absence.class_hours_missed"]["unit"] == "学时"
    assert paths["student.stage"]["choices"]["junior"] == "初中"


def test_params_shows_the_value_in_force_on_the_date():
    """`params` shows each threshold's value on the date asked."""
    code, out, _ = run("params", TINY, "--on", "2025-03-03")
    assert code == 0
    assert re.search(r"^hours\s+缺课学时\s+210\s+学时\s+第一条$", out, re.M)
    code, out, _ = run("params", TINY, "--on", "2031-01-01", "--format", "json")
    params = {p["name"]: p for p in json.loads(out)["parameters"]}
    assert params["hours"]["value"] == 200 and params["fraction"]["value"] == "1/3"
    assert set(params["term"]) == {"name", "title", "value", "unit", "article"}


def test_params_bad_date_is_a_user_error():
    """`params --on` with an impossible date exits 2."""
    assert_one_user_error(*run("params", TINY, "--on", "2025-02-30"))


def test_id_decodes_a_student_id():
    """`id` shows each part of a valid student ID."""
    code, out, _ = run("id", IDS, "3212020101200512345", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["layout"] == "national" and doc["parts"]["serial"]["value"] == "12345"
    code, out, _ = run("id", IDS, "3212020101200512345")
    assert code == 0 and "行政区划代码" in out


def test_a_bad_student_id_is_not_echoed():
    """A student ID of the wrong length is a user error that does not repeat the number."""
    code, out, err = run("id", IDS, "321202010120051234")
    assert_one_user_error(code, out, err)
    assert "321202010120051234" not in err and "student_id_length" in err


def test_regions_lists_the_bundled_policies(bundled):
    """`regions` lists every bundled policy folder with its regulation."""
    code, out, _ = run("regions")
    assert code == 0 and out.splitlines() == ["ids  测试地区《测试规定（学籍号）》", "tiny  测试地区《测试规定》"]
    code, out, _ = run("regions", "--format", "json")
    assert [r["name"] for r in json.loads(out)] == ["ids", "tiny"]


# -- test -------------------------------------------------------------------------------------


def test_test_passing_cases():
    """`test` on a policy whose cases all pass exits 0 and ends with the counts."""
    code, out, _ = run("test", TINY)
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == "8 passed, 0 failed"
    assert re.search(r"^第一条\s+\d+\s+\d+\s+yes$", out, re.M)
    assert re.search(r"^第四条\s+0\s+0\s+not encoded$", out, re.M)


def test_test_failing_cases_exit_1_with_file_and_line():
    """Failing cases are listed with file:line and the run exits 1."""
    code, out, _ = run("test", FAILING, "--policy", TINY)
    assert code == 1
    fails = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert len(fails) == 5
    assert fails[0].endswith("suspension.yaml:8: wrong outcome")
    assert out.splitlines()[-1] == "1 passed, 5 failed"


def test_test_json_shape():
    """`test --format json` gives the totals, each case and the coverage."""
    code, out, _ = run("test", FAILING / "suspension.yaml", "--policy", TINY, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert (doc["passed"], doc["failed"]) == (1, 5)
    (suite,) = doc["suites"]
    assert suite["policy"] == "tiny"
    assert {c["note"]: c["mismatches"] for c in suite["cases"]}["wrong failed list"] == ["failed"]
    assert {c["article"] for c in suite["coverage"]} == {"第一条", "第二条", "第三条", "第四条"}


def test_test_case_file_outside_a_policy_needs_policy():
    """A case file outside any policy's tests/ folder, without --policy, is a user error."""
    assert_one_user_error(*run("test", FAILING / "suspension.yaml"))


def test_test_defaults_to_every_bundled_region(bundled):
    """With no path, `test` runs the cases of every bundled region."""
    code, out, _ = run("test")
    assert code == 0 and out.splitlines()[-1] == "8 passed, 0 failed"


# -- help, version, internal errors --------------------------------------------------------------


@pytest.mark.parametrize("command", [None, "ask", "validate", "questions", "params", "test", "id", "regions"])
def test_help_has_examples(command):
    """Every command's --help exits 0 and shows examples."""
    code, out, _ = run(*([command] if command else []), "--help")
    assert code == 0 and "examples:" in out
    if command is None:
        assert "exit codes:" in out


def test_version():
    """--version prints the version and exits 0."""
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("xueji ")


def test_internal_errors_exit_3_without_traceback(monkeypatch):
    """A bug prints a short message and exits 3; --debug adds the traceback."""
    def boom(*_):
        raise RuntimeError("kaboom")

    monkeypatch.setitem(cli.COMMANDS, "regions", boom)
    code, out, err = run("regions")
    assert code == 3 and "kaboom" in err and "Traceback" not in err
    code, out, err = run("--debug", "regions")
    assert code == 3 and "Traceback" in err


@pytest.mark.parametrize("module", ["xueji_rules", "xueji_rules.cli"])
def test_runs_as_a_module(module):
    """`python -m xueji_rules` and `python -m xueji_rules.cli` run the command."""
    proc = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("xueji ")
