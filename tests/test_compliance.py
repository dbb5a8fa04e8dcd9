"""Compliance cases: reading case files, running them, article coverage, and the pytest plugin."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xueji_rules import load_policy
from xueji_rules.compliance import (
    check_case_file,
    is_case_file,
    load_case_file,
    policy_folder_of,
    run_case,
    run_suite,
)
from xueji_rules.compliance.cases import deep_merge
from xueji_rules.errors import CaseFileError

HERE = Path(__file__).parent
TINY = HERE / "policies" / "tiny"
CASES = HERE / "cases"
FAILING = CASES / "failing" / "suspension.yaml"
ROOT = HERE.parent


@pytest.fixture(scope="module")
def tiny():
    return load_policy(TINY)


# -- reading case files ---------------------------------------------------------------


def test_case_file_becomes_cases_with_positions(tiny):
    """Each case keeps its file, line, note, question, date and merged facts."""
    cases = load_case_file(TINY / "tests" / "suspension.yaml", tiny)
    assert len(cases) == 8
    first = cases[0]
    assert first.question == "suspension" and first.on == dt.date(2025, 3, 3)
    assert first.line == 7 and first.file.endswith("suspension.yaml")
    assert first.facts["student"] == {"stage": "junior", "grade": 8}
    assert first.facts["absence"]["class_hours_missed"] == 211


def test_a_case_date_overrides_the_file_date(tiny):
    """A case's own `on` wins over the file's (YAML's `on` key is read as a key, not as true)."""
    cases = load_case_file(TINY / "tests" / "suspension.yaml", tiny)
    assert {c.on for c in cases} == {dt.date(2025, 3, 3), dt.date(2030, 3, 1)}


def test_base_facts_merge_under_case_facts():
    """Mappings merge key by key, the case wins, and lists replace."""
    base = {"student": {"stage": "junior", "grade": 8}, "evidence": {"documents": ["a", "b"]}}
    over = {"student": {"grade": 9}, "evidence": {"documents": ["c"]}}
    assert deep_merge(base, over) == {"student": {"stage": "junior", "grade": 9}, "evidence": {"documents": ["c"]}}
    assert base["student"]["grade"] == 8


@pytest.mark.parametrize("name, code, path, line", [
    ("empty_want", "empty_want", "cases[0].want", 6),
    ("unknown_rule", "unknown_rule", "cases[0].want.failed[0]", 8),
    ("unknown_key", "unknown_key", "cases[0].fatcs", 5),
    ("unknown_outcome", "bad_value", "cases[0].want.outcome", 6),
    ("unknown_question", "unknown_question", "question", 1),
    ("no_date", "missing_date", "cases[0]", 3),
    ("bad_yaml", "yaml_syntax", "", 4),
])
def test_invalid_case_files(tiny, name, code, path, line):
    """Each malformed case file is a CaseFileError whose diagnostic has the code, path and line."""
    file = CASES / "invalid" / f"{name}.yaml"
    with pytest.raises(CaseFileError) as exc:
        load_case_file(file, tiny)
    (d,) = exc.value.diagnostics
    assert (d.code, d.path, d.line) == (code, path, line)
    assert d.file == str(file) and d.column is not None


def test_all_problems_of_a_file_are_reported(tmp_path, tiny):
    """Every problem in a case file is reported at once, not only the first."""
    f = tmp_path / "many.yaml"
    f.write_text(
        "question: suspension\non: 2025-03-03\nextra: 1\n"
        "cases:\n"
        "  - note: a\n    want: {outcome: allowed, held: [nope]}\n"
        "  - note: a\n    want: {outcome: allowed, certificate: diplom}\n"
        "  - note: c\n    want: {error: unknown_fact, outcome: denied}\n"
        "  - note: d\n    want: {held: [compulsory_hours]}\n"
        "  - note: e\n    on: 2025-02-30\n    want: {outcome: allowed, missing: [absence.hours]}\n",
        encoding="utf-8",
    )
    _, diags = check_case_file(f, tiny)
    assert [(d.code, d.path) for d in diags] == [
        ("unknown_key", "extra"),
        ("unknown_rule", "cases[0].want.held[0]"),
        ("duplicate_note", "cases[1].note"),
        ("bad_value", "cases[1].want.certificate"),
        ("conflicting_want", "cases[2].want.outcome"),
        ("missing_key", "cases[3].want"),
        ("bad_date", "cases[4].on"),
        ("unknown_fact", "cases[4].want.missing[0]"),
    ]


def test_without_a_policy_only_the_shape_is_checked():
    """Without a policy, question and rule ids are not checked, the rest is."""
    cases = load_case_file(CASES / "invalid" / "unknown_rule.yaml")
    assert cases[0].want.failed == frozenset({"compulsory_hour"})


def test_which_yaml_files_are_case_files():
    """Only YAML files under a `tests` folder of a policy folder are case files."""
    assert is_case_file(TINY / "tests" / "suspension.yaml")
    assert policy_folder_of(TINY / "tests" / "suspension.yaml") == TINY.absolute()
    assert not is_case_file(FAILING)
    assert not is_case_file(TINY / "policy.yaml")
    assert not is_case_file(TINY / "questions" / "suspension.yaml")


# -- running -----------------------------------------------------------------------------


def test_passing_suite_and_its_coverage():
    """The tiny policy's cases all pass, and coverage reports every article."""
    suite = run_suite(TINY)
    assert (suite.passed, suite.failed, suite.ok) == (8, 0, True)
    cov = {c.article: c for c in suite.coverage}
    assert list(cov) == ["第一条", "第二条", "第三条", "第四条"]
    assert cov["第一条"].covered and cov["第一条"].rules == ("suspension.compulsory_hours",)
    assert cov["第三条"].held >= 1 and cov["第三条"].failed >= 1
    assert not cov["第四条"].encoded and not cov["第四条"].covered and cov["第四条"].status == "not encoded"


def test_a_region_name_or_a_single_file_runs_too(tiny):
    """A case file inside a policy's tests/ finds its policy; a loaded Policy may be passed."""
    suite = run_suite(TINY / "tests" / "suspension.yaml")
    assert suite.passed == 8 and suite.policy.id == "tiny"
    assert run_suite(TINY / "tests", policy=tiny).passed == 8


def test_failing_cases_say_what_differed(tiny):
    """Each deliberately failing case reports which expectation it missed."""
    results = {r.case.note: r for r in (run_case(tiny, c) for c in load_case_file(FAILING, tiny))}
    assert {note: r.mismatches for note, r in results.items()} == {
        "wrong outcome": ("outcome",),
        "wrong failed list": ("failed",),
        "rule expected to hold does not": ("held",),
        "an error where an answer was expected": ("error",),
        "an answer where an error was expected": ("error",),
        "this one passes": (),
    }
    assert results["this one passes"].passed
    wrong = results["wrong outcome"]
    assert not wrong.passed and wrong.decision.outcome == "allowed_with_approval"
    assert any("compulsory_hours" in m for m in wrong.messages)  # the decision's held ids are shown
    assert results["an error where an answer was expected"].error.code == "facts_invalid"


def test_facts_errors_point_into_the_case_file(tiny):
    """A bad fact in a case is reported at its line in the case file."""
    case = next(c for c in load_case_file(FAILING, tiny) if c.note == "an error where an answer was expected")
    err = run_case(tiny, case).error
    (d,) = err.diagnostics
    assert (d.code, d.file, d.line, d.path) == ("unknown_fact", str(FAILING), case.line + 2, "absence.reasn")


def test_coverage_counts_only_passing_cases():
    """Failing cases do not count toward coverage."""
    suite = run_suite(FAILING, policy=TINY)
    assert (suite.passed, suite.failed) == (1, 5)
    cov = {c.article: c for c in suite.coverage}
    assert (cov["第一条"].held, cov["第一条"].failed) == (1, 0)
    assert not any(c.covered for c in suite.coverage)


def test_invalid_case_files_count_as_failures():
    """A case file that does not load is one failure, with its diagnostics, and others still run."""
    suite = run_suite(CASES / "invalid", policy=TINY)
    assert suite.passed == 0 and suite.failed == len(suite.problems) == 7
    assert {p.diagnostics[0].code for p in suite.problems} >= {"empty_want", "unknown_rule", "unknown_key"}


def test_an_invalid_policy_is_a_problem_not_a_crash(tmp_path):
    """A policy that does not load is reported as one problem with its diagnostics."""
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    q = broken / "questions" / "suspension.yaml"
    q.write_text(q.read_text(encoding="utf-8").replace("article: 第三条", "article: 第九条"), encoding="utf-8")
    suite = run_suite(broken)
    assert suite.policy is None and suite.failed == 1
    (problem,) = suite.problems
    assert problem.error.code == "policy_invalid"
    assert [d.code for d in problem.diagnostics] == ["unknown_article"]


def test_a_case_file_outside_a_policy_needs_one():
    """Running a loose case file without naming its policy raises CaseFileError `no_policy`."""
    with pytest.raises(CaseFileError) as exc:
        run_suite(FAILING)
    assert exc.value.diagnostics[0].code == "no_policy"


# -- the pytest plugin ------------------------------------------------------------------------


def test_pytest_plugin_collects_cases_and_reports_failures(tmp_path):
    """The plugin makes one item per case, skips fixture YAML, and shows file:line and mismatches."""
    policy = tmp_path / "policies" / "tiny"
    shutil.copytree(TINY, policy)
    shutil.copy(FAILING, policy / "tests" / "failing.yaml")
    fixtures = tmp_path / "tests" / "fixtures"
    fixtures.mkdir(parents=True)
    shutil.copy(FAILING, fixtures / "not_a_case_file.yaml")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xueji_rules.compliance.pytest_plugin", "-p", "no:cacheprovider",
         "-q", "-rN", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "5 failed, 9 passed" in out
    assert "failing.yaml:8: wrong outcome" in out
    assert "outcome: expected denied, got allowed_with_approval" in out
    assert "Traceback" not in out and "def runtest" not in out
