"""xueji cases REGION QUESTION --edges: students on every edge, with today's answers as wants to check."""

from __future__ import annotations

import datetime as _dt
import io
import shlex
from pathlib import Path

import pytest
import yaml

from xueji_rules import load_policy
from xueji_rules.cli import main
from xueji_rules.compliance import load_case_file
from xueji_rules.compliance.runner import run_suite

ROOT = Path(__file__).parent.parent
TINY = Path(__file__).parent / "policies" / "tiny"


def _run(*argv):
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out, err), out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def jiangsu_suspension(tmp_path_factory):
    path = tmp_path_factory.mktemp("edges") / "suspension_edges.yaml"
    code, _, err = _run("cases", "jiangsu", "suspension", "--edges", "--on", "2025-03-03", "--output", str(path))
    assert code == 0, err
    return path


def _cases(path) -> list:
    """The cases as plain data (PyYAML reads the key `on` as true: put it back)."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    return [{("on" if k is True else k): v for k, v in c.items()} for c in cases]


def _by_value(path, fact):
    cases = _cases(path)
    out = {}
    for c in cases:
        group, leaf = fact.rsplit(".", 1)
        node = c["facts"]
        for part in group.split("."):
            node = node.get(part, {})
        if fact.split(".")[-1] in node and fact in c["note"]:
            out.setdefault(node[leaf], c["want"])
    return out


def test_the_file_loads_and_passes_as_written(jiangsu_suspension):
    """The wants are the engine's current answers, so `xueji test` on the skeleton passes."""
    policy = load_policy("jiangsu")
    assert len(load_case_file(jiangsu_suspension, policy)) >= 30
    suite = run_suite(str(jiangsu_suspension), policy="jiangsu")
    assert suite.failed == 0 and suite.passed >= 30


def test_a_threshold_gets_a_student_below_at_and_above_it(jiangsu_suspension):
    """超过210学时: 209 and 210 are denied, 211 is allowed — the edge the statute's word decides."""
    wants = _by_value(jiangsu_suspension, "absence.class_hours_missed")
    assert wants[209]["outcome"] == wants[210]["outcome"] == "denied"
    assert "compulsory_class_hours" in wants[210]["failed"]
    assert wants[211]["outcome"] == "allowed_with_approval"


def test_a_fraction_of_the_years_hours_is_computed_exactly(jiangsu_suspension):
    """A third of 1,020 hours is exactly 340: the senior student is put at 339, 340 and 341."""
    notes = [c["note"] for c in _cases(jiangsu_suspension)]
    senior = [n for n in notes if n.startswith("senior_class_hours：absence.class_hours_missed")]
    assert [n.split("= ")[1][:3] for n in senior] == ["339", "340", "341"]


def test_deadlines_and_calendar_periods_get_the_days_around_them(jiangsu_suspension):
    cases = _cases(jiangsu_suspension)
    deadline = [c for c in cases if "deadlines" in c["want"] and c["note"].startswith("compulsory_class_hours")]
    last = deadline[0]["want"]["deadlines"]
    day = _dt.date.fromisoformat(next(iter(last.values())))
    asked = sorted(c["on"] for c in deadline if c["want"]["deadlines"] == last)
    assert asked == [day - _dt.timedelta(1), day, day + _dt.timedelta(1)]
    summer = [c["on"] for c in cases if "学期段" in c["note"] and c["note"].startswith("compulsory_not_in")]
    assert summer == [_dt.date(2025, 7, 5), _dt.date(2025, 7, 6), _dt.date(2025, 8, 31), _dt.date(2025, 9, 1)]


def test_every_case_says_which_article_to_check_it_against(jiangsu_suspension):
    lines = jiangsu_suspension.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  - note:"):
            above = [x for x in lines[max(0, i - 2):i] if x.strip().startswith("# check against 第")]
            assert above, f"no `# check against` before line {i + 1}"


def test_facts_given_are_the_starting_student(tmp_path):
    """With --facts, the other fact of a fraction is the student's own: a third of 300 hours is 100."""
    facts = tmp_path / "f.yaml"
    facts.write_text("student: {stage: senior, grade: 10}\nabsence: {year_total_class_hours: 300}\n", encoding="utf-8")
    out_file = tmp_path / "tiny_edges.yaml"
    code, _, err = _run("cases", "tiny", "suspension", "--edges", "--policies", str(TINY), "--facts", str(facts),
                        "--on", "2025-03-03", "-o", str(out_file))
    assert code == 0, err
    wants = _by_value(out_file, "absence.class_hours_missed")
    assert wants[100]["outcome"] == "denied" and wants[101]["outcome"] == "allowed"
    code, out, _ = _run("test", str(out_file), "--policy", "tiny", "--policies", str(TINY))
    assert code == 0 and out.rstrip().endswith("0 failed")


def test_a_question_without_edges_writes_no_file_and_says_why(tmp_path):
    out_file = tmp_path / "none.yaml"
    code, _, err = _run("cases", "nanchang", "discipline", "--edges", "--on", "2025-03-03", "-o", str(out_file))
    assert code == 0 and "no boundary cases" in err and not out_file.exists()


def test_every_help_example_runs(monkeypatch, tmp_path):
    """Each example in `xueji cases --help` runs as printed, from a checkout."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("XUEJI_POLICIES", raising=False)
    _, out, _ = _run("cases", "--help")
    examples = [line for line in out.splitlines() if line.startswith("  xueji ")]
    assert len(examples) >= 3
    for line in examples:
        argv = shlex.split(line.split("#")[0])[1:]
        if "--output" in argv:  # write into the test's own folder, not the checkout
            argv[argv.index("--output") + 1] = str(tmp_path / argv[argv.index("--output") + 1])
        code, _, err = _run(*argv)
        assert code == 0, f"`{line.strip()}` exited {code}: {err}"
