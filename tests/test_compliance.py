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


# -- why: the article an answer rests on ---------------------------------------------------------------


def test_why_is_checked_against_the_deciding_rule(tmp_path, tiny):
    f = tmp_path / "why.yaml"
    f.write_text(
        "question: suspension\non: 2025-03-03\nfacts:\n  student: {stage: junior, grade: 8}\ncases:\n"
        "  - note: right\n    facts: {absence: {reason: illness, class_hours_missed: 210, still_unable_to_attend: true}}\n"
        "    want: {outcome: denied, why: 第一条}\n"
        "  - note: wrong\n    facts: {absence: {reason: illness, class_hours_missed: 210, still_unable_to_attend: true}}\n"
        "    want: {outcome: denied, why: 第二条}\n"
        "  - note: nothing decides\n    facts: {student: {stage: senior, grade: 10}}\n"
        "    want: {outcome: undetermined, why: 第三条}\n", encoding="utf-8")
    results = [run_case(tiny, c) for c in load_case_file(f, tiny)]
    assert [r.passed for r in results] == [True, False, True]
    assert results[1].mismatches == ("why",)
    assert "rests on 第一条 (rule compulsory_hours, failed)" in results[1].messages[0]


def test_why_must_name_an_article_of_the_policy(tmp_path, tiny):
    f = tmp_path / "why.yaml"
    f.write_text("question: suspension\non: 2025-03-03\ncases:\n  - note: a\n    want: {outcome: denied, why: 第九条}\n",
                 encoding="utf-8")
    _, diags = check_case_file(f, tiny)
    assert [(d.code, d.path) for d in diags] == [("unknown_article", "cases[0].want.why")]


# -- student-ID cases -------------------------------------------------------------------------------------

JIANGSU_IDS = ROOT / "policies" / "jiangsu" / "tests" / "student_id.yaml"


def test_student_id_cases_decode_and_reject():
    """jiangsu's ID cases all pass; decoded numbers count as held, rejected ones as failed, for the layout's article."""
    suite = run_suite(JIANGSU_IDS)
    assert suite.failed == 0 and suite.passed >= 10
    cov = {c.article: c for c in suite.coverage}
    assert cov["第一部分第八条第8项"].covered and cov["第二部分第二条"].covered
    assert cov["第一部分第八条第8项"].rules == ("student_id.compulsory",)
    first = suite.results[0]
    assert first.case.question == "student_id" and first.case.on is None and first.to_dict()["on"] is None


def test_a_wrong_expectation_on_a_student_id_says_what_differed(tmp_path):
    from xueji_rules.compliance import IdCase

    jiangsu = load_policy("jiangsu")
    f = tmp_path / "ids.yaml"
    f.write_text('question: student_id\ncases:\n'
                 '  - note: wrong part\n    number: "3212020101220190001"\n    want: {layout: compulsory, parts: {entry_year: "2018"}}\n'
                 '  - note: wrong layout\n    number: "3212020101220190001"\n    want: {layout: senior}\n'
                 '  - note: expected an error\n    number: "3212020101220190001"\n    want: {error: student_id_length}\n'
                 '  - note: expected a layout\n    number: "32120201"\n    want: {layout: compulsory}\n', encoding="utf-8")
    cases = load_case_file(f, jiangsu)
    assert all(isinstance(c, IdCase) for c in cases)
    results = {c.note: run_case(jiangsu, c) for c in cases}
    assert {n: r.mismatches for n, r in results.items()} == {
        "wrong part": ("parts",), "wrong layout": ("layout",), "expected an error": ("error",),
        "expected a layout": ("error",)}
    assert "entry_year expected '2018', got '2019'" in results["wrong part"].messages[0]


def test_invalid_student_id_case_files(tmp_path):
    jiangsu = load_policy("jiangsu")
    f = tmp_path / "ids.yaml"
    f.write_text('question: student_id\ncases:\n'
                 '  - note: unquoted\n    number: 3212020101220190001\n    want: {layout: compulsory}\n'
                 '  - note: no such layout\n    number: "1"\n    want: {layout: pupil}\n'
                 '  - note: no such part\n    number: "1"\n    want: {layout: senior, parts: {entry_year: "19"}}\n'
                 '  - note: bad stage\n    number: "1"\n    stage: middle\n    want: {error: student_id_length}\n'
                 '  - note: bad error\n    number: "1"\n    want: {error: too_short}\n', encoding="utf-8")
    _, diags = check_case_file(f, jiangsu)
    assert [(d.code, d.path) for d in diags] == [
        ("bad_type", "cases[0].number"),
        ("bad_value", "cases[1].want.layout"),
        ("bad_value", "cases[2].want.parts.entry_year"),
        ("bad_value", "cases[3].stage"),
        ("bad_value", "cases[4].want.error"),
    ]


# -- layers: coverage per layer's text --------------------------------------------------------------------


def test_coverage_knows_each_articles_layer_and_what_cites_it():
    layer = load_policy(HERE / "policies" / "tiny_layer")
    from xueji_rules.compliance import coverage

    cov = {c.article: c for c in coverage(layer, [])}
    assert (cov["第一条"].layer, cov["一"].layer) == ("tiny", "tiny_layer")
    assert cov["四"].parameters == ("hours",) and cov["四"].encoded and not cov["四"].rules
    assert cov["三"].repeals == ("suspension.senior_third",) and cov["三"].encoded
    assert not cov["第四条"].encoded  # `term` is read only by a deadline: no rule's status can cover it


# -- cross-region cases ----------------------------------------------------------------------------------------

CROSS = CASES / "cross"


def test_cross_region_cases_run_in_every_region():
    from xueji_rules.compliance import run_cross_suite

    suite = run_cross_suite(CROSS / "tiny_vs_layer.yaml")
    assert (suite.passed, suite.failed) == (6, 0)
    assert suite.regions == ("../../policies/tiny", "../../policies/tiny_layer")
    assert {r.case.region for r in suite.results} == set(suite.regions)
    assert all(r.case.note in {"缺课205学时：原规定须超过210，县里调整为超过200", "高中缺课超过三分之一：县里自2025-06-01废止了该条",
                               "初三乡镇医院证明：原规定原则上不，县里不得"} for r in suite.results)


def test_cross_region_failures_name_the_region():
    from xueji_rules.compliance import run_cross_suite

    suite = run_cross_suite(CROSS / "failing.yaml")
    assert (suite.passed, suite.failed) == (2, 2)
    bad = {(r.case.note, r.case.region): r.mismatches for r in suite.results if not r.passed}
    assert bad == {("wrong why in one region", "../../policies/tiny"): ("why",),
                   ("wrong outcome in the other", "../../policies/tiny_layer"): ("outcome",)}
    assert suite.to_dict()["cases"][0]["region"] == "../../policies/tiny"


def test_cross_region_files_are_checked_against_each_regions_policy():
    from xueji_rules.compliance.cross_region import check_cross_file, load_region_policies

    f = CROSS / "invalid" / "shapes.yaml"
    policies, broken = load_region_policies(f)
    assert set(policies) == {"../../../policies/tiny", "../../../policies/tiny_layer"} and not broken
    _, diags = check_cross_file(f, policies)
    assert [(d.code, d.path) for d in diags] == [
        ("missing_why", "cases[0].want.../../../policies/tiny"),
        ("unknown_region", "cases[1].want.atlantis"),
        ("unknown_rule", "cases[2].want.../../../policies/tiny_layer.failed[0]"),
        ("unknown_article", "cases[2].want.../../../policies/tiny_layer.why"),
        ("missing_region", "cases[3].want"),
    ]
    assert all(d.line is not None for d in diags)


def test_a_region_that_does_not_load_is_one_problem_and_the_others_still_run(tmp_path):
    from xueji_rules.compliance import run_cross_suite

    shutil.copytree(TINY, tmp_path / "policies" / "tiny")
    shutil.copytree(HERE / "policies" / "tiny_layer", tmp_path / "policies" / "tiny_layer")
    q = tmp_path / "policies" / "tiny_layer" / "questions" / "suspension.yaml"
    q.write_text(q.read_text(encoding="utf-8").replace("article: 一\n", "article: 九\n", 1), encoding="utf-8")
    folder = tmp_path / "cases" / "cross_region"
    folder.mkdir(parents=True)
    shutil.copy(CROSS / "tiny_vs_layer.yaml", folder / "pair.yaml")
    suite = run_cross_suite(folder)
    assert suite.passed == 3 and suite.failed == 1
    (problem,) = suite.problems
    assert problem.error.message.startswith("../../policies/tiny_layer: its policy does not load, so 3 cases did not run")
    assert problem.diagnostics[0].code == "unknown_article"


def test_the_projects_cross_region_cases_cover_the_three_regions():
    """At least 20 fact sets; each names two or more regions, and the answers differ between them."""
    from xueji_rules.compliance import cross_region_files, load_cross_file
    from xueji_rules.compliance.cross_region import load_region_policies

    cases = []
    for f in cross_region_files(HERE / "cross_region"):
        policies, broken = load_region_policies(f)
        assert not broken, broken
        cases += load_cross_file(f, policies)
    assert len(cases) >= 20
    for c in cases:
        assert len(c.regions) >= 2
        answers = {(w.outcome, w.certificate if w.check_certificate else None, w.why) for _, w in c.wants}
        assert len(answers) >= 2, c.note
        assert all(w.check_why for _, w in c.wants), c.note
    regions = {r for c in cases for r in c.regions}
    assert {"jiangsu", "shandong", "nanchang"} <= regions


def test_pytest_plugin_collects_cross_region_cases(tmp_path):
    """One item per case and region, named `note [region]`; a failure shows file:line, note and region."""
    shutil.copytree(TINY, tmp_path / "policies" / "tiny")
    shutil.copytree(HERE / "policies" / "tiny_layer", tmp_path / "policies" / "tiny_layer")
    folder = tmp_path / "tests" / "cross_region"
    folder.mkdir(parents=True)
    for name in ("tiny_vs_layer.yaml", "failing.yaml"):
        shutil.copy(CROSS / name, folder / name)
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "xueji_rules.compliance.pytest_plugin", "-p", "no:cacheprovider",
         "-q", "-rN", str(folder)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "2 failed, 8 passed" in out
    assert "failing.yaml:7: wrong why in one region [../../policies/tiny]" in out
    assert "suspension: wrong why in one region [../../policies/tiny]" in out
    assert "question suspension on 2025-06-30 in tiny" in out
    assert "Traceback" not in out


def test_deadlines_are_checked_by_title_or_rule(tmp_path, tiny):
    """A case's deadlines must be in the decision with those dates; a wrong or absent one is a mismatch."""
    f = tmp_path / "deadlines.yaml"
    f.write_text(
        "question: suspension\non: 2025-03-03\nfacts:\n  student: {stage: junior, grade: 8}\n"
        "  absence: {reason: illness, class_hours_missed: 230, still_unable_to_attend: true, start_date: 2025-01-06}\n"
        "cases:\n"
        "  - note: by rule id\n    want: {outcome: allowed_with_approval, deadlines: {compulsory_hours: 2026-01-06}}\n"
        "  - note: by title\n    want: {outcome: allowed_with_approval, deadlines: {休学期满: 2026-01-06}}\n"
        "  - note: wrong date\n    want: {outcome: allowed_with_approval, deadlines: {compulsory_hours: 2026-01-07}}\n"
        "  - note: no such deadline\n    want: {outcome: allowed_with_approval, deadlines: {not_graduating: 2026-01-06}}\n",
        encoding="utf-8")
    results = [run_case(tiny, c) for c in load_case_file(f, tiny)]
    assert [r.passed for r in results] == [True, True, False, False]
    assert results[2].mismatches == ("deadlines",) and results[3].mismatches == ("deadlines",)


def test_a_case_file_reports_every_problem_in_one_pass(tmp_path):
    """A repeated key no longer hides the unknown keys and bad values after it: all come at once."""
    from xueji_rules.compliance import check_case_file

    path = tmp_path / "bad.yaml"
    path.write_text(
        "question: suspension\non: 2025-03-03\ncases:\n"
        "  - note: a\n    facts: {absence: {reason: illness, reason: illness}}\n    wnat: {outcome: allowed}\n"
        "  - note: b\n    want: {outcome: allowd}\n", encoding="utf-8")
    cases, diags = check_case_file(path)
    assert cases == []
    assert {d.code for d in diags} >= {"duplicate_key", "unknown_key", "bad_value"}
