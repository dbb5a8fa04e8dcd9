"""xueji lint: advice with file:line and stable codes, silenced per line with a reason."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from xueji_rules import load_policy, regions
from xueji_rules.cli import main
from xueji_rules.conditions import parse as P
from xueji_rules.toolkit.lint import CODES, lint
from xueji_rules.toolkit.ranges import Ranges

FIXTURES = Path(__file__).parent / "policies"


def _codes(report):
    return {(w.code, w.subject) for w in report.warnings}


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize("region", regions())
def test_the_shipped_policies_have_no_warning_left(region):
    """Every warning on a shipped policy is fixed, or silenced on its line with the reason."""
    report = lint(load_policy(region))
    assert not report.warnings, "\n".join(map(str, report.warnings))
    assert all(reason for _, reason in report.silenced)


def test_a_parameter_nothing_reads_is_reported_at_its_line():
    report = lint(load_policy(path=FIXTURES / "lint_dead_parameter"))
    assert _codes(report) == {("unused_parameter", "term_months")}
    (w,) = report.warnings
    line = Path(w.file).read_text(encoding="utf-8").splitlines()[w.line - 2]
    assert line.strip().startswith("term_months:")


def test_grounds_of_different_strengths_that_overlap_are_reported_and_exclusive_ones_are_not():
    report = lint(load_policy(path=FIXTURES / "lint_overlapping_grounds"))
    assert _codes(report) == {
        ("grounds_overlap", "suspension.may_suspend_hours+must_suspend_third"),
        ("rule_never_applies", "suspension.primary_grade_nine"),
    }


def test_jiangsus_student_id_lengths_are_no_longer_dead_parameters():
    """The layouts carry the lengths with their articles; the parameters nobody read are gone."""
    params = load_policy("jiangsu").parameters
    assert "compulsory_student_id_length" not in params and "senior_student_id_length" not in params


class TestIgnores:
    def _copy(self, tmp_path, comment: str):
        folder = tmp_path / "p"
        shutil.copytree(FIXTURES / "lint_dead_parameter", folder)
        path = folder / "policy.yaml"
        text = path.read_text(encoding="utf-8").replace(
            "  term_months:   # read by nothing: xueji lint reports unused_parameter here", "  term_months:" + comment)
        path.write_text(text, encoding="utf-8")
        return load_policy(path=folder)

    def test_a_comment_with_the_code_and_a_reason_silences_the_warning(self, tmp_path):
        report = lint(self._copy(tmp_path, "   # lint: ignore unused_parameter — kept for xueji compare"))
        assert not report.warnings
        assert [(w.code, why) for w, why in report.silenced] == [("unused_parameter", "kept for xueji compare")]

    def test_a_comment_without_a_reason_silences_nothing_and_is_reported(self, tmp_path):
        report = lint(self._copy(tmp_path, "   # lint: ignore unused_parameter"))
        assert {w.code for w in report.warnings} == {"unused_parameter", "ignore_without_reason"}

    def test_a_comment_that_silences_nothing_is_reported(self, tmp_path):
        report = lint(self._copy(tmp_path, "   # lint: ignore grounds_overlap — wrong code"))
        assert {w.code for w in report.warnings} == {"unused_parameter", "ignore_unused"}


@pytest.fixture(scope="module")
def ranges():
    policy = load_policy("jiangsu")
    return Ranges(policy, policy.parameters_on(policy.effective_from))


class TestRanges:
    @pytest.mark.parametrize("text, possible", [
        ('student.stage 是 "primary" 且 student.grade 是 9', False),  # a grade outside its stage
        ('student.stage 是 "primary" 且 student.grade 属于 [6, 9]', True),
        ("student.grade 超过 12", False),  # outside the vocabulary's range
        ("absence.class_hours_missed 超过 210 且 absence.class_hours_missed 不超过 210", False),
        ("absence.class_hours_missed 超过 210 且 absence.class_hours_missed 在 211 以下", True),
        ('student.stage 是 "初中" 且 student.stage 不是 "junior"', False),  # Chinese names are the codes
        ("given(student.stage) 且 非 given(student.stage)", False),
        ("today 晚于 absence.start_date 且 absence.start_date 晚于 today", False),
        ('student.grade + 1 属于 [6, 9, 12] 且 student.stage 是 "senior"', True),
        ("compulsory 且 senior", False),  # through the definitions
        ("absence.class_hours_missed 超过 三分之一 * absence.year_total_class_hours", True),
    ])
    def test_a_condition_is_impossible_only_when_ranges_and_values_exclude_it(self, ranges, text, possible):
        assert ranges.satisfiable(P.parse(text)) is possible


class TestCommand:
    def test_exit_code_is_1_with_warnings_and_json_lists_them(self):
        code, out, _ = _run("lint", str(FIXTURES / "lint_dead_parameter"), "--format", "json")
        assert code == 1
        (report,) = json.loads(out)
        assert [w["code"] for w in report["warnings"]] == ["unused_parameter"]
        assert report["warnings"][0]["file"].endswith("policy.yaml") and report["warnings"][0]["line"]

    def test_exit_code_is_0_without_warnings_and_text_says_how_many_were_silenced(self):
        code, out, _ = _run("lint", "jiangsu")
        assert code == 0
        assert out.startswith("0 warnings in 1 policy (") and "silenced" in out

    def test_text_lines_are_file_line_code_message(self):
        code, out, _ = _run("lint", str(FIXTURES / "lint_overlapping_grounds"))
        assert code == 1
        first = out.splitlines()[0]
        file, line, rest = first.split(":", 2)
        assert file.endswith("suspension.yaml") and line.isdigit() and rest.split(":")[0].strip() in CODES


def test_every_help_example_runs(monkeypatch):
    """Each example in `xueji lint --help` runs as printed, from a checkout."""
    import shlex

    root = Path(__file__).parent.parent
    monkeypatch.chdir(root)
    monkeypatch.delenv("XUEJI_POLICIES", raising=False)
    _, out, _ = _run("lint", "--help")
    examples = [line for line in out.splitlines() if line.startswith("  xueji ")]
    assert len(examples) >= 3
    for line in examples:
        code, _, err = _run(*shlex.split(line.split("#")[0])[1:])
        assert code in (0, 1), f"`{line.strip()}` exited {code}: {err}"
