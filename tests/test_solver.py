"""Counter-example students (docs/compliance.md §3): z3 over the compiled condition trees, checked with the engine."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sys
from pathlib import Path

import pytest
import yaml

import xueji_rules as xr
from xueji_rules.cli import main
from xueji_rules.toolkit import solver as S

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "policies"

z3 = pytest.importorskip("z3", reason="z3-solver is in the test extra: pip install -e '.[test]'")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def fixture(name):
    return xr.load_policy(path=FIXTURES / name)


def test_the_fixture_difference_is_found_at_the_edge_with_its_article():
    """counterexample_b misencodes 超过 as 以上: the one student that shows it missed exactly 210 hours."""
    c = S.counterexamples(fixture("counterexample_a"), fixture("counterexample_b"), "suspension", on="2025-03-03",
                          decided_only=True)
    assert not c.mismatches and not c.unsupported
    pairs = {s.pair for s in c.students}
    assert ("denied", "allowed_with_approval") in pairs
    s = next(s for s in c.students if s.pair == ("denied", "allowed_with_approval"))
    assert s.facts["absence"]["class_hours_missed"] == 210
    assert (s.a.rule, s.a.article, s.b.rule, s.b.article) == ("compulsory_hours", "第一条", "compulsory_hours", "第一条")
    assert s.a.failed == ("compulsory_hours",) and s.b.failed == ()
    # minimal: only the facts the difference needs (stage, grade, hours, still unable)
    assert sum(len(v) for v in s.facts.values()) == 4
    # every student is one the engine answers so, on both sides
    for s in c.students:
        assert xr.ask(fixture("counterexample_a"), "suspension", s.facts, on=s.on).outcome == s.a.outcome
        assert xr.ask(fixture("counterexample_b"), "suspension", s.facts, on=s.on).outcome == s.b.outcome
        assert s.a.outcome != s.b.outcome


def test_a_policy_against_itself_is_proved_the_same():
    a = fixture("counterexample_a")
    c = S.counterexamples(a, a, "suspension", start="2025-01-01", end="2031-12-31")
    assert c.proved_same and c.students == ()


def test_a_question_the_county_layer_does_not_touch_is_proved_unchanged():
    """Jinxiang adds nothing to graduation: no student, on any day of a school year, gets another answer."""
    c = S.counterexamples(xr.load_policy("shandong"), xr.load_policy("shandong/jinxiang"), "graduation",
                          start="2024-09-01", end="2025-08-31")
    assert c.proved_same, [s.to_dict() for s in c.students]


def test_jiangsu_more_than_210_hours_against_shandong():
    c = S.counterexamples(xr.load_policy("jiangsu"), xr.load_policy("shandong"), "suspension", on="2025-03-03",
                          decided_only=True)
    assert not c.mismatches and not c.unsupported
    by_hours = [s for s in c.students if s.a.rule == "compulsory_class_hours" and s.a.outcome == "allowed_with_approval"]
    assert by_hours, "a student allowed by 超过 210 学时 in Jiangsu and answered otherwise in Shandong"
    for s in by_hours:
        assert s.facts["absence"]["class_hours_missed"] == 211  # the smallest number 超过 210 allows
        assert s.a.article == "第一部分第十六条"
    # Shandong regulates suspension for illness only (第十七条–第十九条): 211 hours through force majeure is allowed
    # in Jiangsu and not regulated in Shandong
    assert ("allowed_with_approval", "not_regulated") in {s.pair for s in by_hours}
    assert len({s.pair for s in c.students}) == len(c.students)  # one student per pair of outcomes


def test_jinxiang_replaces_the_district_rule_only_from_its_date():
    """Before 2008-03-21 the layer is not in force and nothing differs; from then on its township rule answers."""
    c = S.counterexamples(xr.load_policy("shandong"), xr.load_policy("shandong/jinxiang"), "transfer",
                          start="2008-03-01", end="2008-04-30", decided_only=True)
    assert c.students and not c.mismatches and not c.unsupported
    assert all(s.on >= dt.date(2008, 3, 21) for s in c.students)
    rules = {s.b.rule for s in c.students} | {s.a.rule for s in c.students}
    assert "township_not_within" in rules or "compulsory_not_within_district" in rules
    before = S.counterexamples(xr.load_policy("shandong"), xr.load_policy("shandong/jinxiang"), "transfer",
                               start="2008-03-01", end="2008-03-20")
    assert before.proved_same


def _nanchang_with_window(tmp_path, weeks: int) -> Path:
    folder = tmp_path / "nanchang"
    shutil.copytree(ROOT / "policies" / "nanchang", folder, ignore=shutil.ignore_patterns("tests"))
    text = (folder / "parameters.yaml").read_text(encoding="utf-8")
    at = text.index("  transfer_window:")
    value = text.index("value: 2", at)
    (folder / "parameters.yaml").write_text(text[:value] + f"value: {weeks}" + text[value + 8:], encoding="utf-8")
    return folder


def test_an_amendment_of_nanchangs_window_changes_only_days_at_its_edge(tmp_path):
    """Two weeks → three weeks either side of a semester's end and start: the students differ on days 15-21 away."""
    old = xr.load_policy("nanchang")
    new = xr.load_policy(path=_nanchang_with_window(tmp_path, 3))
    c = S.counterexamples(old, new, "transfer", start="2025-01-01", end="2025-03-31", decided_only=True)
    assert c.students and not c.mismatches
    cal = old.calendar
    for s in c.students:
        assert s.a.rule == "transfer_in_window" and s.a.outcome == "denied_unless_exception"
        near = min(abs((s.on - cal.semester_end_near(s.on)).days), abs((s.on - cal.semester_start_near(s.on)).days))
        assert 15 <= near <= 21


def test_the_solver_finds_every_difference_random_students_find():
    """The random search is only a cross-check: what it finds, z3 must have found too (and more)."""
    a, b = xr.load_policy("jiangsu"), xr.load_policy("nanchang")
    for question in ("suspension", "graduation"):
        found = {s.pair for s in S.counterexamples(a, b, question, on="2025-03-03").students}
        seen = S.random_differences(a, b, question, "2025-03-03", n=400)
        assert seen and seen <= found, (question, seen - found)


def test_cli_prints_the_table_and_writes_cases_a_tester_keeps(tmp_path):
    code, out, err = run("compare", "counterexample_a", "counterexample_b", "--policies", str(FIXTURES),
                         "--question", "suspension", "--students", "--on", "2025-03-03", "--decided",
                         "--cases", str(tmp_path))
    assert code == 0, err
    assert "absence.class_hours_missed=210" in out and "compulsory_hours" in out and "第一条" in out
    files = list((tmp_path / "cross_region").glob("*.yaml"))
    assert len(files) == 1
    doc = yaml.safe_load(files[0].read_text(encoding="utf-8"))
    wants = [case["want"] for case in doc["cases"]]
    assert all(len(w) == 2 for w in wants) and all("why" in side for w in wants for side in w.values())
    code, out, err = run("test", str(files[0]))  # the cases pass as written: want is each side's own answer
    assert code == 0, out + err


def test_cli_json_and_a_proof(tmp_path):
    import json

    code, out, _ = run("compare", "counterexample_a", "counterexample_a", "--policies", str(FIXTURES),
                       "--question", "suspension", "--students", "--on", "2025-03-03", "--format", "json")
    assert code == 0 and json.loads(out)["proved_same"] is True
    code, out, _ = run("compare", "counterexample_a", "counterexample_a", "--policies", str(FIXTURES),
                       "--question", "suspension", "--students", "--on", "2025-03-03")
    assert "no student gets a different answer — proved" in out


def test_since_a_git_revision_shows_what_the_amendment_changes(tmp_path):
    """A policy committed, then amended in the working copy: --since HEAD finds the students the amendment affects."""
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    roots = tmp_path / "policies"
    shutil.copytree(FIXTURES / "counterexample_a", roots / "cx")
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "policy"], check=True)
    argv = ("compare", "cx", "--policies", str(roots), "--since", "HEAD", "--question", "suspension", "--students",
            "--on", "2025-03-03", "--decided")
    code, out, err = run(*argv)
    assert code == 0 and "cx@HEAD" in out and "proved" in out, err  # nothing amended yet
    amended = tmp_path.parent / (tmp_path.name + "-amended")  # another folder: compiled policies are cached by folder
    shutil.copytree(tmp_path, amended)
    questions = amended / "policies" / "cx" / "questions" / "suspension.yaml"
    questions.write_text(questions.read_text(encoding="utf-8").replace("超过 hours", "在 hours 以上"), encoding="utf-8")
    code, out, err = run(*(a if a != str(roots) else str(amended / "policies") for a in argv))
    assert code == 0, err
    assert "absence.class_hours_missed=210" in out and "compulsory_hours" in out


def test_before_a_folder_is_the_earlier_version(tmp_path):
    folder = _nanchang_with_window(tmp_path, 3)
    code, out, err = run("compare", "nanchang", "--before", str(folder), "--question", "transfer", "--students",
                         "--on", "2025-02-02", "--decided")
    assert code == 0, err
    assert "transfer_in_window" in out


def test_usage_errors():
    assert run("compare", "jiangsu", "--question", "suspension", "--students")[0] == 2
    assert run("compare", "jiangsu", "shandong", "--students")[0] == 2
    assert run("compare", "jiangsu", "shandong", "nanchang", "--question", "suspension", "--students")[0] == 2
    code, _, err = run("compare", "jiangsu", "--since", "no-such-revision-xyz", "--question", "suspension",
                       "--students", "--on", "2025-03-03")
    assert code == 2 and "git revision" in err


def test_without_z3_the_library_and_the_cli_say_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "z3", None)  # import z3 now fails as when it is not installed
    with pytest.raises(S.SolverUnavailable, match=r"xueji_rules\[toolkit\]"):
        S.counterexamples(fixture("counterexample_a"), fixture("counterexample_b"), "suspension", on="2025-03-03")
    code, _, err = run("compare", "counterexample_a", "counterexample_b", "--policies", str(FIXTURES),
                       "--question", "suspension", "--students", "--on", "2025-03-03")
    assert code == 2 and "pip install 'xueji_rules[toolkit]'" in err


def test_piecewise_tables_are_exact():
    values = [5, 5, 5, 7, 8, 9, None, None, 3, 3]
    segs = S._piecewise(values, 100)
    x = z3.Int("x")
    value, defined = S._build(z3, segs, x)
    for i, v in enumerate(values):
        got_v = z3.simplify(z3.substitute(value, (x, z3.IntVal(100 + i))))
        got_d = z3.simplify(z3.substitute(defined, (x, z3.IntVal(100 + i))))
        assert z3.is_true(got_d) == (v is not None)
        if v is not None:
            assert got_v.as_long() == v
    assert z3.is_false(z3.simplify(z3.substitute(defined, (x, z3.IntVal(99)))))


def test_a_window_in_working_days_against_one_in_weeks(tmp_path):
    """Working days are tabulated from the engine's own data: every student found agrees with the engine."""
    weeks = tmp_path / "weeks"
    shutil.copytree(ROOT / "benchmarks" / "policies" / "timed", weeks)
    workdays = tmp_path / "workdays"
    shutil.copytree(weeks, workdays)
    text = (workdays / "policy.yaml").read_text(encoding="utf-8")
    old = "    unit: 周\n    article: 第三条\n    quote: 两周\n    value: 2"
    assert old in text
    text = text.replace(old, "    unit: 工作日\n    article: 第四条\n    quote: 十个工作日\n    value: 10")
    (workdays / "policy.yaml").write_text(text, encoding="utf-8")
    a, b = xr.load_policy(path=weeks), xr.load_policy(path=workdays)
    c = S.counterexamples(a, b, "transfer", start="2024-12-01", end="2025-03-31")
    assert c.students and not c.mismatches and not c.unsupported
    from xueji_rules import workdays as W

    cal = a.calendar
    for s in c.students:
        end = cal.semester_end_near(s.on)
        in_weeks = abs((s.on - end).days) <= 14
        assert in_weeks != W.within_working_days(s.on, end, 10)  # the two windows disagree on that day
