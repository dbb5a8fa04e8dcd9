"""Issue 8's reproducers for reading YAML and JSON: numbers never misread, limits named, one reader."""

from __future__ import annotations

import json

import pytest

import xueji_rules as xr
from xueji_rules import _yaml
from xueji_rules.errors import FactsError
from xueji_rules.facts.input import load_facts_text

SUSPENSION = {"student": {"stage": "junior", "grade": 8},
              "absence": {"reason": "illness", "still_unable_to_attend": True}}


@pytest.mark.parametrize("written", ["0230", "0x10", "0b101", "1:30", "1_000", "-0230", ".inf", "-.inf", ".nan", "01.5"])
def test_a_number_yaml_11_would_misread_is_an_error_naming_no_value(written):
    """0230 is not 152 and 1:30 is not 90: such numbers are refused at their position, the value never echoed."""
    doc, errors = _yaml.load_text(f"absence:\n  class_hours_missed: {written}\n", "facts.yaml")
    assert [(e.code, e.line, e.column, e.path) for e in errors] == [("yaml_number", 2, 23, "absence.class_hours_missed")]
    assert written.lstrip("-") not in errors[0].message
    assert "'" in errors[0].hint  # says how to keep it as text


@pytest.mark.parametrize("written, value", [("230", 230), ("-5", -5), ("0", 0), ("0.5", 0.5), ("'0230'", "0230")])
def test_plain_numbers_and_quoted_text_read_as_written(written, value):
    doc, errors = _yaml.load_text(f"a: {written}", "x.yaml")
    assert errors == [] and doc.value == {"a": value}


def test_a_policy_version_written_010_is_refused_not_read_as_8():
    """`version: 010` in a policy would have become "8"."""
    doc, errors = _yaml.load_text("policy:\n  version: 010\n", "policy.yaml")
    assert [e.code for e in errors] == ["yaml_number"]


def test_octal_looking_hours_never_flip_the_answer():
    """The facts file with class_hours_missed: 0230 is a facts error, not a suspension answer for 152 hours."""
    text = "student: {stage: junior, grade: 8}\nabsence: {reason: illness, class_hours_missed: 0230}\n"
    with pytest.raises(FactsError) as info:
        load_facts_text(text, "facts.yaml")
    assert [d.code for d in info.value.diagnostics] == ["yaml_number"]


def test_json_is_read_by_the_same_reader_with_surrogate_pairs_and_positions():
    """json.dumps output for an emoji (a surrogate pair escape) reads as the character, with positions kept."""
    doc, errors = _yaml.load_text(json.dumps({"student": {"name": "😀"}}), "facts.json")
    assert errors == [] and doc.value == {"student": {"name": "😀"}}
    assert doc.where(("student", "name")) == (1, 22)


def test_duplicate_keys_in_json_are_an_error_not_the_last_one_kept():
    doc, errors = _yaml.load_text('{"absence": {"class_hours_missed": 230, "class_hours_missed": 20}}', "facts.json")
    assert [(e.code, e.path) for e in errors] == [("duplicate_key", "absence.class_hours_missed")]


def test_json_with_tabs_between_tokens_reads():
    doc, errors = _yaml.load_text('{\n\t"absence": {\t"class_hours_missed": 230}\n}', "facts.json")
    assert errors == [] and doc.value == {"absence": {"class_hours_missed": 230}}


def test_a_lone_surrogate_is_an_error():
    doc, errors = _yaml.load_text('{"a": "\\ud83d"}', "facts.json")
    assert [e.code for e in errors] == ["yaml_value"]


@pytest.mark.parametrize("text", ["[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000,
                                  '{"a":' * 100 + "1" + "}" * 100, "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 80))])
def test_deep_nesting_is_one_clear_error_for_yaml_and_json(text):
    """10,000 levels of JSON was a RecursionError; now JSON and YAML alike say the depth limit."""
    doc, errors = _yaml.load_text(text, "facts.json")
    assert doc is None and [e.code for e in errors] == ["yaml_too_big"]
    assert str(_yaml.MAX_DEPTH) in errors[0].message


def test_a_facts_file_over_the_size_limit_is_refused_before_it_is_parsed():
    """A 50 MB facts file took 68 s and 3 GB; now it is refused at once, with the limit named."""
    from xueji_rules.facts.input import MAX_FACTS_CHARS

    text = "student:\n  name: " + "张" * (MAX_FACTS_CHARS + 1) + "\n"
    with pytest.raises(FactsError) as info:
        load_facts_text(text, "facts.yaml")
    d = info.value.diagnostics[0]
    assert d.code == "yaml_too_big" and str(MAX_FACTS_CHARS) in d.message


def test_a_very_long_value_is_refused():
    doc, errors = _yaml.load_text("a: " + "x" * (_yaml.MAX_STRING + 1), "x.yaml")
    assert [e.code for e in errors] == ["yaml_too_big"]


def test_the_cli_reads_json_facts_with_tabs_and_emoji(tmp_path):
    """What json.dumps writes is read by `xueji ask` through the one reader."""
    import io

    from xueji_rules import cli

    facts = {**SUSPENSION, "absence": {**SUSPENSION["absence"], "class_hours_missed": 230}}
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts, indent="\t"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["ask", "jiangsu", "suspension", "--facts", str(path), "--on", "2025-03-03", "--format", "json"],
                    stdout=out, stderr=err, stdin=io.StringIO())
    assert code == 0, err.getvalue()
    assert json.loads(out.getvalue())["outcome"] == xr.ask("jiangsu", "suspension", facts, on="2025-03-03").outcome
