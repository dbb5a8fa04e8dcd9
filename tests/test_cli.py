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
    code, out, err = run("ask", "tiny", "--policies", TINY, "suspension", "--facts", facts_file, "--on", "2025-03-03")
    assert code == 0 and err == ""
    assert "(allowed_with_approval)" in out
    assert "\033[" not in out


def test_ask_json_is_the_decision_document(facts_file):
    """`ask --format json` prints the Decision's JSON form."""
    code, out, _ = run("ask", "tiny", "--policies", TINY, "suspension", "--facts", facts_file, "--on", "2025-03-03", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["format"] == "xueji-decision/2"
    assert doc["outcome"] == "allowed_with_approval"
    assert doc["on"] == "2025-03-03"
    assert [r["id"] for r in doc["rules"]] == ["compulsory_hours", "senior_third", "not_graduating"]


def test_a_denied_answer_still_exits_zero(tmp_path):
    """A denial is an answer, not an error: exit 0."""
    f = tmp_path / "f.yaml"
    f.write_text("student: {stage: junior, grade: 8}\n"
                 "absence: {reason: illness, class_hours_missed: 210, still_unable_to_attend: true}\n")
    code, out, _ = run("ask", "tiny", "--policies", TINY, "suspension", "--facts", f, "--on", "2025-03-03", "--format", "json")
    assert code == 0 and json.loads(out)["outcome"] == "denied"


def test_ask_reads_json_facts_from_stdin():
    """`--facts -` reads JSON (even tab-indented) from standard input."""
    facts = '{\n\t"student": {"stage": "junior", "grade": 8},\n\t"absence": {"reason": "illness", ' \
            '"class_hours_missed": 230, "still_unable_to_attend": true}\n}\n'
    code, out, _ = run("ask", "tiny", "--policies", TINY, "suspension", "--facts", "-", "--on", "2025-03-03", "--format", "json", stdin=facts)
    assert code == 0 and json.loads(out)["outcome"] == "allowed_with_approval"


def test_colour_follows_the_terminal_and_no_color(facts_file, monkeypatch):
    """Text is coloured on a terminal unless NO_COLOR is set; --color/--no-color override."""
    args = ("ask", "tiny", "--policies", TINY, "suspension", "--facts", facts_file, "--on", "2025-03-03")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\033[" in run(*args, tty=True)[1]
    assert "\033[" not in run(*args, "--no-color", tty=True)[1]
    assert "\033[" in run(*args, "--color", tty=False)[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run(*args, tty=True)[1]


def test_ask_defaults_to_today(facts_file):
    """Without --on the question is asked for today in Asia/Shanghai."""
    import pendulum

    code, out, _ = run("ask", "tiny", "--policies", TINY, "suspension", "--facts", facts_file, "--format", "json")
    assert code == 0
    assert json.loads(out)["on"] in {pendulum.today("Asia/Shanghai").date().isoformat(),
                                     pendulum.yesterday("Asia/Shanghai").date().isoformat()}


def test_unknown_fact_is_one_error_with_a_suggestion(tmp_path):
    """A misspelt fact key exits 2 with one message naming the position and suggesting the right key."""
    f = tmp_path / "f.yaml"
    f.write_text("student: {stage: junior}\nabsence: {reasn: illness}\n")
    code, out, err = run("ask", "tiny", "--policies", TINY, "suspension", "--facts", f, "--on", "2025-03-03")
    assert_one_user_error(code, out, err)
    assert f"{f}:2:" in err and "unknown_fact" in err and "'reason'" in err


@pytest.mark.parametrize("argv, code_in_err", [
    (("ask", "no_such_region", "suspension"), "no policy"),
    (("ask", "tiny", "--policies", TINY, "suspensoin"), "suspension"),
    (("ask", "tiny", "--policies", TINY, "suspension", "--on", "2025-02-30"), "2025-02-30"),
    (("ask", "tiny", "--policies", TINY, "suspension", "--on", "2005-01-01"), "2005-01-01"),
    (("ask", "tiny", "--policies", TINY, "suspension", "--on", "next tuesday"), "next tuesday"),
], ids=["unknown region", "unknown question", "impossible date", "date before the regulation", "unreadable date"])
def test_user_errors_exit_2_with_one_message(argv, code_in_err, facts_file):
    """Unknown regions and questions and bad dates are one error line, exit 2, no traceback."""
    code, out, err = run(*argv, "--facts", facts_file)
    assert_one_user_error(code, out, err)
    assert code_in_err in err


def test_unreadable_facts_file(tmp_path):
    """A facts file that does not exist is a user error."""
    code, out, err = run("ask", "tiny", "--policies", TINY, "suspension", "--facts", tmp_path / "missing.yaml", "--on", "2025-03-03")
    assert_one_user_error(code, out, err)
    assert "missing.yaml" in err


def test_facts_file_not_utf8(tmp_path):
    """A facts file that is not UTF-8 is a user error, not a crash."""
    f = tmp_path / "f.yaml"
    f.write_bytes("student: {stage: 初中}\n".encode("gbk"))
    assert_one_user_error(*run("ask", "tiny", "--policies", TINY, "suspension", "--facts", f, "--on", "2025-03-03"))


def test_malformed_yaml_facts_point_at_the_line():
    """Facts that are not valid YAML give the position of the problem."""
    code, out, err = run("ask", "tiny", "--policies", TINY, "suspension", "--facts", "-", "--on", "2025-03-03",
                         stdin="student: {stage: junior\nabsence: {reason: illness}\n")
    assert_one_user_error(code, out, err)
    assert "<stdin>:" in err and "yaml_syntax" in err


def test_impossible_date_inside_facts(tmp_path):
    """An impossible date in the facts is a user error naming its fact."""
    f = tmp_path / "f.yaml"
    f.write_text("absence: {start_date: 2025-02-30}\n")
    code, out, err = run("ask", "tiny", "--policies", TINY, "suspension", "--facts", f, "--on", "2025-03-03")
    assert_one_user_error(code, out, err)
    assert "absence.start_date" in err


def test_invalid_policy_when_asking_is_a_user_error(tmp_path, facts_file):
    """Asking a policy that does not load exits 2 with its first problem."""
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    q = broken / "questions" / "suspension.yaml"
    q.write_text(q.read_text(encoding="utf-8").replace("article: 第三条", "article: 第九条"), encoding="utf-8")
    code, out, err = run("ask", broken.name, "--policies", broken, "suspension", "--facts", facts_file, "--on", "2025-03-03")
    assert_one_user_error(code, out, err)
    assert "unknown_article" in err


def test_usage_errors_exit_2():
    """Missing arguments and unknown commands are usage errors (exit 2)."""
    assert run("ask", "tiny", "--policies", TINY)[0] == 2
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
    code, out, _ = run("questions", "tiny", "--policies", TINY)
    assert code == 0
    assert out.startswith("suspension  休学")
    assert re.search(r"absence\.class_hours_missed\s+连续缺课累计学时", out)


def test_questions_json():
    """`questions --format json` gives ids, rules and facts."""
    code, out, _ = run("questions", "tiny", "--policies", TINY, "--format", "json")
    (q,) = json.loads(out)
    assert q["id"] == "suspension" and q["rules"] == ["compulsory_hours", "senior_third", "not_graduating"]
    paths = {f["path"]: f for f in q["facts"]}
    assert paths["absence.class_hours_missed"]["unit"] == "学时"
    assert paths["student.stage"]["choices"]["junior"] == "初中"


def test_params_shows_the_value_in_force_on_the_date():
    """`params` shows each threshold's value on the date asked."""
    code, out, _ = run("params", "tiny", "--policies", TINY, "--on", "2025-03-03")
    assert code == 0
    assert re.search(r"^hours\s+缺课学时\s+210\s+学时\s+第一条$", out, re.M)
    code, out, _ = run("params", "tiny", "--policies", TINY, "--on", "2031-01-01", "--format", "json")
    params = {p["name"]: p for p in json.loads(out)["parameters"]}
    assert params["hours"]["value"] == 200 and params["fraction"]["value"] == "1/3"
    assert set(params["term"]) == {"name", "title", "value", "unit", "article"}


def test_params_bad_date_is_a_user_error():
    """`params --on` with an impossible date exits 2."""
    assert_one_user_error(*run("params", "tiny", "--policies", TINY, "--on", "2025-02-30"))


def test_id_decodes_a_student_id():
    """`id` shows each part of a valid student ID."""
    code, out, _ = run("id", "ids", "--policies", IDS, "3212020101200512345", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["layout"] == "national" and doc["parts"]["serial"]["value"] == "12345"
    code, out, _ = run("id", "ids", "--policies", IDS, "3212020101200512345")
    assert code == 0 and "行政区划代码" in out


def test_a_bad_student_id_is_not_echoed():
    """A student ID of the wrong length is a user error that does not repeat the number."""
    code, out, err = run("id", "ids", "--policies", IDS, "321202010120051234")
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


# -- show ------------------------------------------------------------------------------------------

LAYER = HERE / "policies" / "tiny_layer"
BROKEN = HERE / "policies" / "broken"
CROSS = HERE / "cases" / "cross"


def test_show_lists_layers_parameters_and_rules_with_provenance():
    """`show` prints each layer, each value with the layer and file:line it comes from, and each rule's origin."""
    code, out, err = run("show", "tiny_layer", "--policies", LAYER)
    assert code == 0 and err == ""
    assert re.search(r"^  1\. tiny  测试地区《测试规定》.*tests/policies/tiny$", out, re.M)
    assert re.search(r"^  2\. tiny_layer  测试县《测试县通知》  测字\[2020\]1号  测试县教育局  in force 2020-03-01 – …  extends ../tiny", out, re.M)
    assert re.search(r"^  hours\s+缺课学时（县）\s+210\s+学时\s+2010-01-01 – 2020-03-01\s+第一条\s+tiny \S*tests/policies/tiny/policy.yaml:\d+$", out, re.M)
    assert re.search(r"^\s+200\s+学时\s+2020-03-01 – …\s+四\s+tiny_layer \S*tests/policies/tiny_layer/policy.yaml:\d+$", out, re.M)
    assert "  2. senior_third  可以 (permitted)  高中缺课超过三分之一" in out
    assert "note:     自 2025-06-01 起由 tiny_layer 三 废止" in out
    assert re.search(r"from:     tiny_layer  \S*tests/policies/tiny_layer/questions/suspension.yaml:\d+", out)


def test_show_on_a_date_marks_what_is_in_force():
    code, out, _ = run("show", "tiny_layer", "--policies", LAYER, "--on", "2025-07-01")
    assert code == 0
    assert "[not in force] senior_third" in out and "[in force] compulsory_hours" in out
    assert re.search(r"^\s+200\s+学时.*\*$", out, re.M) and not re.search(r"^  hours\s.*\*$", out, re.M)
    code, out, _ = run("show", "tiny_layer", "--policies", LAYER, "--on", "2025-05-01")
    assert "[in force] senior_third" in out


def test_show_json_carries_every_provenance():
    code, out, _ = run("show", "tiny_layer", "--policies", LAYER, "--on", "2025-07-01", "--format", "json")
    doc = json.loads(out)
    assert [l["id"] for l in doc["layers"]] == ["tiny", "tiny_layer"]
    assert doc["layers"][1]["document_number"] == "测字[2020]1号" and doc["layers"][1]["effective_from"] == "2020-03-01"
    hours = next(p for p in doc["parameters"] if p["name"] == "hours")
    assert [(v["value"], v["layer"], v["article"], v["in_force"]) for v in hours["values"]] == [
        (210, "tiny", "第一条", False), (200, "tiny_layer", "四", True)]
    assert hours["value_on"] == 200 and [s["overrides"] for s in hours["set_by"]] == [False, True]
    rules = {r["id"]: r for r in doc["questions"][0]["rules"]}
    assert rules["senior_third"]["in_force"] == {"from": "2010-01-01", "until": "2025-06-01"}
    assert rules["senior_third"]["in_force_on"] is False and "废止" in rules["senior_third"]["note"]
    assert rules["county_hospital"]["layer"] == "tiny_layer" and rules["county_hospital"]["article_layer"] == "tiny_layer"
    assert rules["county_hospital"]["file"].endswith("tiny_layer/questions/suspension.yaml")
    assert isinstance(rules["county_hospital"]["line"], int)


def test_show_names_the_rule_that_replaces_another(tmp_path):
    """A layer's `replaces:` shows on both rules: 'replaces' on the new one, 'replaced by' and a note on the old."""
    shutil.copytree(HERE / "policies" / "tiny", tmp_path / "tiny")
    shutil.copytree(LAYER, tmp_path / "tiny_layer")
    q = tmp_path / "tiny_layer" / "questions" / "suspension.yaml"
    q.write_text(q.read_text(encoding="utf-8").replace(
        "      - id: county_hospital\n", "      - id: county_hospital\n        replaces: not_graduating\n"), encoding="utf-8")
    code, out, _ = run("show", "tiny_layer", "--policies", tmp_path / "tiny_layer", "--format", "json")
    assert code == 0, out
    rules = {r["id"]: r for r in json.loads(out)["questions"][0]["rules"]}
    assert rules["county_hospital"]["replaces"] == "not_graduating"
    assert rules["not_graduating"]["replaced_by"] == ["tiny_layer.county_hospital"]
    assert rules["not_graduating"]["in_force"]["until"] == "2020-03-01"
    assert [r for r in rules] .index("county_hospital") == [r for r in rules].index("not_graduating") + 1


def test_show_markdown():
    code, out, _ = run("show", "tiny_layer", "--policies", LAYER, "--format", "markdown", "--on", "2025-07-01")
    assert code == 0 and out.startswith("# tiny_layer: 测试县《测试县通知》")
    assert "## Layers" in out and "## Parameters" in out and "## suspension 休学" in out
    assert "| 2 | tiny_layer | 测试县《测试县通知》 | 测字[2020]1号 |" in out
    assert "fraction \\* absence.year_total_class_hours" in out  # markdown emphasis escaped


def test_show_a_bundled_region_and_the_api_behind_it():
    import xueji_rules as xr

    code, out, _ = run("show", "jiangsu", "--on", "2025-03-03")
    assert code == 0 and "第一部分第十六条" in out
    (layer,) = xr.load_policy("jiangsu").layers
    assert (layer.id, layer.issued_by, layer.effective_from.isoformat()) == ("jiangsu", "泰州市教育局", "2008-09-01")
    layers = xr.load_policy(LAYER).layers
    assert [(l.id, l.extends, l.document_number) for l in layers] == [("tiny", None, None), ("tiny_layer", "../tiny", "测字[2020]1号")]


def test_show_errors_are_user_errors():
    assert_one_user_error(*run("show", "atlantis"))
    assert_one_user_error(*run("show", "tiny", "--policies", TINY, "--on", "2025-02-30"))


# -- validate: layers ------------------------------------------------------------------------------


@pytest.mark.parametrize("case, code, line", [
    ("nothing_to_replace", "nothing_to_replace", 20),
    ("parameter_set_twice", "parameter_set_twice", 17),
    ("parameter_exists", "parameter_exists", 17),
    ("nothing_to_override", "nothing_to_override", 20),
    ("nothing_to_repeal", "nothing_to_repeal", 16),
    ("foreign_article", "foreign_article", 24),
    ("unknown_parent", "unknown_parent", 4),
])
def test_validate_reports_a_broken_layer_at_its_line(case, code, line):
    rc, out, _ = run("validate", BROKEN / case / "layer")
    assert rc == 1
    assert re.search(rf"layer/policy.yaml:{line}:\d+: {code}: ", out), out


# -- compare ----------------------------------------------------------------------------------------


@pytest.fixture
def junior_facts(tmp_path):
    path = tmp_path / "junior.yaml"
    path.write_text("student: {stage: junior, grade: 8}\n"
                    "absence: {reason: illness, class_hours_missed: 205, still_unable_to_attend: true}\n"
                    "evidence: {hospital_level: county}\n", encoding="utf-8")
    return path


def test_compare_text(junior_facts):
    code, out, err = run("compare", "tiny", "tiny_layer", "--policies", TINY, "--policies", LAYER, "--question", "suspension", "--facts", junior_facts, "--on", "2025-06-30")
    assert code == 0 and err == ""
    assert "超过 210 学时" in out and "超过 200 学时" in out
    assert re.search(r"^tiny\s+denied\s+compulsory_hours\s+第一条\s*$", out, re.M)
    assert re.search(r"^tiny_layer\s+allowed_with_approval\s+—\s+第一条\s+教育行政部门", out, re.M)


def test_compare_formats(junior_facts):
    args = ["compare", "tiny", "tiny_layer", "--policies", TINY, "--policies", LAYER, "-q", "suspension", "-f", junior_facts, "--on", "2025-06-30"]
    code, md, _ = run(*args, "--format", "markdown")
    assert code == 0 and "## Parameters on 2025-06-30" in md and "## Decisions: suspension 2025-06-30" in md
    code, page, _ = run(*args, "--format", "html")
    assert code == 0 and page.startswith("<!DOCTYPE html>") and "<script" not in page
    code, out, _ = run(*args, "--format", "json")
    doc = json.loads(out)
    assert [d["outcome"] for d in doc["decisions"]] == ["denied", "allowed_with_approval"]
    assert [p["key"] for p in doc["parameters"]] == ["hours"]
    code, out, _ = run("compare", "tiny", "tiny_layer", "--policies", TINY, "--policies", LAYER, "--on", "2025-06-30", "--all", "--format", "json")
    assert {p["key"] for p in json.loads(out)["parameters"]} == {"hours", "fraction", "term", "window", "ten_working_days"}


def test_compare_parameters_only_and_decisions_only(junior_facts):
    code, out, _ = run("compare", "tiny", "tiny_layer", "--policies", TINY, "--policies", LAYER, "--on", "2025-06-30")
    assert code == 0 and "decisions:" not in out and "超过 200 学时" in out
    code, out, _ = run("compare", "tiny", "tiny_layer", "--policies", TINY, "--policies", LAYER, "--on", "2025-06-30", "--no-parameters", "-q", "suspension", "-f", junior_facts)
    assert code == 0 and "parameters on" not in out and "decisions: suspension" in out


@pytest.mark.parametrize("extra, message", [
    (["--facts", "FACTS"], "--facts needs --question"),
    (["--question", "suspension"], "--question needs --facts"),
    (["--no-parameters"], "nothing to show"),
])
def test_compare_argument_errors(extra, message, junior_facts):
    extra = [str(junior_facts) if x == "FACTS" else x for x in extra]
    code, out, err = run("compare", "tiny", "tiny_layer", "--policies", TINY, "--policies", LAYER, *extra)
    assert_one_user_error(code, out, err)
    assert message in err


def test_compare_needs_two_regions():
    code, out, err = run("compare", "tiny", "--policies", TINY)
    assert_one_user_error(code, out, err)
    assert "at least two regions" in err


def test_compare_a_region_not_ready_is_one_clear_error(tmp_path, monkeypatch):
    """A region whose folder holds only its source text (a policy being written) is exit 2, no traceback."""
    root = tmp_path / "policies"
    (root / "nanchang" / "source").mkdir(parents=True)
    shutil.copytree(TINY, root / "tiny")
    monkeypatch.setenv("XUEJI_POLICIES", str(root))
    code, out, err = run("compare", "tiny", "nanchang")
    assert_one_user_error(code, out, err)
    assert "nanchang is not ready" in err


def test_compare_an_invalid_region_says_how_to_see_why(tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    q = broken / "questions" / "suspension.yaml"
    q.write_text(q.read_text(encoding="utf-8").replace("article: 第三条", "article: 第九条"), encoding="utf-8")
    code, out, err = run("compare", "tiny", broken.name, "--policies", TINY, "--policies", broken)
    assert_one_user_error(code, out, err)
    assert "does not validate" in err and "xueji validate" in err


def test_compare_bad_facts_and_unknown_question(junior_facts, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("absence: {reasn: illness}\n", encoding="utf-8")
    assert_one_user_error(*run("compare", "tiny", "tiny_layer", "--policies", TINY, "--policies", LAYER, "-q", "suspension", "-f", bad, "--on", "2025-06-30"))
    code, out, err = run("compare", "tiny", "tiny_layer", "--policies", TINY, "--policies", LAYER, "-q", "suspensoin", "-f", junior_facts, "--on", "2025-06-30")
    assert_one_user_error(code, out, err)
    assert "did you mean" in err


# -- the params table --------------------------------------------------------------------------------


def _column_starts(line: str, cells: list[str]) -> list[int]:
    from xueji_rules._width import display_width

    out, at = [], 0
    for cell in cells:
        i = line.index(cell, at)
        out.append(display_width(line[:i]))
        at = i + len(cell)
    return out


def test_params_columns_line_up_under_chinese_text():
    """Every row's value, unit and article start at the display column of their headers."""
    code, out, _ = run("params", "jiangsu", "--on", "2025-03-03")
    lines = out.splitlines()
    head = _column_starts(lines[1], ["name", "title", "value", "unit", "article"])
    rows = [l for l in lines[3:] if l.strip()]
    assert any("选修Ⅱ" in l for l in rows)  # an East Asian Ambiguous character among them
    for line in rows:
        name = line.split()[0]
        article = line.split()[-1]
        assert _column_starts(line, [name])[0] == head[0]
        assert _column_starts(line, [article])[0] == head[4], line


def test_params_columns_line_up_for_wide_ambiguous_terminals(monkeypatch):
    monkeypatch.setenv("XUEJI_AMBIGUOUS_WIDTH", "2")
    code, out, _ = run("params", "jiangsu", "--on", "2025-03-03")
    lines = out.splitlines()
    head = _column_starts(lines[1], ["article"])[0]
    for line in (l for l in lines[3:] if l.strip()):
        assert _column_starts(line, [line.split()[-1]])[0] == head, line


# -- test: layers, student IDs, cross-region ------------------------------------------------------


def test_test_reports_coverage_per_layer(tmp_path):
    """A layer's suite shows one coverage table for each layer's text, its own last."""
    shutil.copytree(HERE / "policies" / "tiny", tmp_path / "tiny")
    shutil.copytree(LAYER, tmp_path / "tiny_layer")
    (tmp_path / "tiny_layer" / "tests").mkdir()
    (tmp_path / "tiny_layer" / "tests" / "suspension.yaml").write_text(
        "question: suspension\non: 2025-06-30\nfacts:\n  student: {stage: junior, grade: 8}\n"
        "  absence: {reason: illness, class_hours_missed: 205, still_unable_to_attend: true}\ncases:\n"
        "  - note: 县医院证明，可以\n    facts: {evidence: {hospital_level: county}}\n"
        "    want: {outcome: allowed_with_approval, why: 第一条}\n"
        "  - note: 乡镇医院证明，不可以\n    facts: {evidence: {hospital_level: township}}\n"
        "    want: {outcome: denied, failed: [county_hospital], why: 一}\n"
        "  - note: 缺课199学时，县里的标准是超过200\n"
        "    facts: {absence: {class_hours_missed: 199}, evidence: {hospital_level: county}}\n"
        "    want: {outcome: denied, failed: [compulsory_hours], why: 第一条}\n"
        "  - note: 废止前高中缺课超过三分之一仍适用\n    on: 2025-05-01\n"
        "    facts: {student: {stage: senior, grade: 10}, absence: {reason: other, class_hours_missed: 101, year_total_class_hours: 300}}\n"
        "    want: {outcome: denied_unless_exception, held: [senior_third], failed: [in_window], why: 一}\n", encoding="utf-8")
    code, out, _ = run("test", tmp_path / "tiny_layer")
    assert code == 0, out
    blocks = re.findall(r"^coverage: (\S+) .*$", out, re.M)
    assert blocks == ["tiny", "tiny_layer"]
    assert "(as the cases of tiny_layer cover it)" in out
    assert re.search(r"^一\s+3\s+2\s+yes$", out, re.M)
    assert re.search(r"^四\s+2\s+1\s+yes$", out, re.M)  # the layer's threshold, through the rule that reads it
    assert re.search(r"^三\s+3\s+1\s+yes$", out, re.M)  # the repeal: after its date held, before it failed
    assert out.splitlines()[-1] == "4 passed, 0 failed"


def test_test_runs_student_id_cases_and_counts_their_articles():
    code, out, _ = run("test", ROOT / "policies" / "jiangsu" / "tests" / "student_id.yaml")
    assert code == 0
    assert re.search(r"^第一部分第八条第8项\s+\d+\s+\d+\s+yes$", out, re.M)
    assert re.search(r"^第二部分第二条\s+\d+\s+\d+\s+yes$", out, re.M)


def test_test_runs_cross_region_cases(tmp_path):
    folder = tmp_path / "cross_region"
    folder.mkdir()
    text = (CROSS / "tiny_vs_layer.yaml").read_text(encoding="utf-8").replace("../../policies/", str(HERE / "policies") + "/")
    (folder / "tiny_vs_layer.yaml").write_text(text, encoding="utf-8")
    code, out, _ = run("test", folder)
    assert code == 0, out
    assert "cross-region cases:" in out
    assert re.search(r"/tiny\s+3\s+0", out) and re.search(r"/tiny_layer\s+3\s+0", out)
    assert out.splitlines()[-1] == "6 passed, 0 failed"
    failing = (CROSS / "failing.yaml").read_text(encoding="utf-8").replace("../../policies/", str(HERE / "policies") + "/")
    (folder / "failing.yaml").write_text(failing, encoding="utf-8")
    code, out, _ = run("test", folder / "failing.yaml")
    assert code == 1
    assert re.search(r"^FAIL .*failing.yaml:\d+: wrong why in one region \[.*/tiny\]$", out, re.M)
    assert "why: expected the answer to rest on 第二条, it rests on 第一条" in out


def test_test_defaults_include_the_cross_region_cases_beside_the_policies(tmp_path, monkeypatch):
    root = tmp_path / "policies"
    shutil.copytree(TINY, root / "tiny")
    shutil.copytree(LAYER, root / "tiny_layer")
    (tmp_path / "tests" / "cross_region").mkdir(parents=True)
    text = (CROSS / "tiny_vs_layer.yaml").read_text(encoding="utf-8").replace("../../policies/", "")
    text = text.replace("regions: [tiny, tiny_layer]", "regions: [tiny, tiny_layer]")
    (tmp_path / "tests" / "cross_region" / "pair.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("XUEJI_POLICIES", str(root))
    code, out, _ = run("test")
    assert code == 0, out
    assert "cross-region cases:" in out and out.splitlines()[-1] == "14 passed, 0 failed"  # 8 of tiny, 6 cross


@pytest.mark.parametrize("command", ["show", "compare"])
def test_new_commands_have_help_with_examples(command):
    code, out, _ = run(command, "--help")
    assert code == 0 and "examples:" in out


def test_every_help_example_runs(monkeypatch):
    """Each example in `xueji <command> --help` works as printed, from a checkout (files it names exist)."""
    import shlex

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("XUEJI_POLICIES", raising=False)
    commands = sorted(cli.COMMANDS)
    tried = 0
    for command in commands:
        _, out, _ = run(command, "--help")
        for line in out.splitlines():
            if not line.startswith("  xueji ") or "<command>" in line or ">" in line or " --output " in line:
                continue
            argv = shlex.split(line.split("#")[0])[1:]
            if any((a.endswith((".yaml", ".json")) or a.endswith("/")) and not (ROOT / a).exists() for a in argv):
                continue  # a file the reader brings (t.yaml, school.yaml)
            if argv[:1] == ["test"] and len(argv) == 1:
                continue  # every region's cases: run by the suite itself
            if argv[:1] == ["serve"]:
                continue  # a server runs until stopped: tests/test_service.py starts it
            code, _, err = run(*argv)
            assert code in (0, 1), f"`{line.strip()}` exited {code}: {err}"
            tried += 1
    assert tried >= 20


def test_show_values_quotes_the_value_only_when_asked(tmp_path):
    """By default an error names the path and the value's kind, never the value; --show-values quotes it."""
    f = tmp_path / "f.yaml"
    f.write_text('student: {stage: junior, grade: "张伟 320102200503071234"}\n', encoding="utf-8")
    code, _, err = run("ask", "jiangsu", "suspension", "--facts", f, "--on", "2025-03-03")
    assert code == 2 and "320102200503071234" not in err and "student.grade" in err
    code, _, err = run("ask", "jiangsu", "suspension", "--facts", f, "--on", "2025-03-03", "--show-values")
    assert code == 2 and "320102200503071234" in err
