"""Why a rule came out as it did: the parts of its conditions and their values."""

import pytest

import xueji_rules as xr
from xueji_rules.conditions import parse as P
from xueji_rules.compliance.cases import load_case_file
from xueji_rules.locate import policies_root

ON = "2025-03-03"
JUNIOR = {"student": {"stage": "junior", "grade": 8},
          "absence": {"reason": "illness", "class_hours_missed": 210, "still_unable_to_attend": True},
          "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"], "hospital_level": "county"}}


def by_text(parts):
    return {p.text: p.value for p in parts}


class TestConditionParts:
    def test_the_part_that_failed_is_named(self):
        """At 210 hours the hours part of the 210-hour rule is false and the still-unable part true."""
        parts = by_text(xr.condition_parts("jiangsu", "suspension", JUNIOR, on=ON)["compulsory_class_hours"])
        assert parts["absence.class_hours_missed 超过 compulsory_suspension_class_hours"] is False
        assert parts["absence.still_unable_to_attend"] is True

    def test_a_missing_fact_makes_its_part_unknown(self):
        """Without the hours the hours part is unknown (None), not false."""
        facts = {**JUNIOR, "absence": {"reason": "illness", "still_unable_to_attend": True}}
        parts = by_text(xr.condition_parts("jiangsu", "suspension", facts, on=ON)["compulsory_class_hours"])
        assert parts["absence.class_hours_missed 超过 compulsory_suspension_class_hours"] is None

    def test_every_rule_is_listed_in_order(self):
        """condition_parts covers every rule of the question, in the policy's order."""
        policy = xr.load_policy("jiangsu")
        parts = xr.condition_parts(policy, "suspension", JUNIOR, on=ON)
        assert list(parts) == [r.id for r in policy.questions["suspension"].rules]


def _cases(region, question):
    folder = policies_root() / region / "tests"
    policy = xr.load_policy(region)
    for f in sorted(folder.glob(f"{question}*.yaml")):
        for case in load_case_file(f, policy):
            if case.want.error is None:
                yield policy, case


@pytest.mark.parametrize("region, question", [("jiangsu", "suspension"), ("jiangsu", "transfer"), ("nanchang", "transfer")])
def test_parts_agree_with_rule_statuses(region, question):
    """Over a region's compliance cases, a rule is not applicable exactly when a part of its 且-joined `when` is false."""
    checked = 0
    for policy, case in _cases(region, question):
        decision = xr.ask(policy, question, case.facts, on=case.on)
        parts = xr.condition_parts(policy, question, case.facts, on=case.on)
        for rule, result in zip(policy.questions[question].rules, decision.rules):
            if not rule.when or rule.in_force != (None, None):
                continue
            tree = P.parse(rule.when)
            if isinstance(tree, P.Logic) and tree.op == "or":
                continue
            whens = [p.value for p in parts[rule.id] if p.clause == "when"]
            assert (result.status == "not_applicable") == (False in whens), (case.note, rule.id)
            checked += 1
    assert checked > 50


def test_condition_text_round_trips():
    """Every condition of every bundled policy, written back by to_text, parses to the same text again."""
    count = 0
    for region in xr.regions():
        policy = xr.load_policy(region)
        for q in policy.questions.values():
            for rule in q.rules:
                for text in (rule.when, rule.require):
                    if text:
                        once = P.to_text(P.parse(text))
                        assert P.to_text(P.parse(once)) == once, text
                        count += 1
    assert count > 300


def test_cli_why_shows_each_part(capsys):
    """`xueji ask --why` marks each part ✓/✗ under its rule; in JSON it adds a `why` key."""
    import json
    from pathlib import Path

    from xueji_rules.cli import main

    example = Path(__file__).resolve().parent.parent / "examples" / "suspension-illness-230h.yaml"
    if not example.is_file():
        pytest.skip("examples/ is in a checkout only")
    assert main(["ask", "jiangsu", "suspension", "--facts", str(example), "--on", ON, "--why", "--no-color"]) == 0
    text = capsys.readouterr().out
    assert "✓ 要求 require: absence.class_hours_missed 超过 compulsory_suspension_class_hours" in text
    assert main(["ask", "jiangsu", "suspension", "--facts", str(example), "--on", ON, "--why", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"clause": "require", "text": "absence.still_unable_to_attend", "value": True} in data["why"]["compulsory_class_hours"]
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("xueji_rules").joinpath("schema/decision.schema.json").read_text("utf-8"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data)) == []
