"""Reading facts: four input forms, unknown keys, wrong kinds, dates in Asia/Shanghai; the generated schema and docs."""

from __future__ import annotations

import datetime as dt
import io
import json
from fractions import Fraction
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

from xueji_rules import FactsError, read_facts
from xueji_rules.facts import schema as facts_schema_module
from xueji_rules.facts.input import FactValues, load_facts_text
from xueji_rules.facts.vocabulary import Absence, Evidence, Facts, Student

ROOT = Path(__file__).resolve().parent.parent

NESTED = {
    "student": {"stage": "junior", "grade": 8, "birth_date": "2011-05-04"},
    "absence": {
        "reason": "illness",
        "class_hours_missed": 230,
        "still_unable_to_attend": True,
        "start_date": "2025-01-06",
    },
    "evidence": {"documents": ["hospital_diagnosis", "inpatient_record"]},
}

YAML_TEXT = """\
student:
  stage: junior
  grade: 8
  birth_date: 2011-05-04
absence:
  reason: illness
  class_hours_missed: 230
  still_unable_to_attend: true
  start_date: 2025-01-06
evidence:
  documents: [hospital_diagnosis, inpatient_record]
"""

ATTRS = Facts(
    student=Student(stage="junior", grade=8, birth_date=dt.date(2011, 5, 4)),
    absence=Absence(reason="illness", class_hours_missed=230, still_unable_to_attend=True,
                    start_date=dt.date(2025, 1, 6)),
    evidence=Evidence(documents=("hospital_diagnosis", "inpatient_record")),
)

EXPECTED = {
    "student.stage": "junior",
    "student.grade": 8,
    "student.birth_date": dt.date(2011, 5, 4),
    "absence.reason": "illness",
    "absence.class_hours_missed": 230,
    "absence.still_unable_to_attend": True,
    "absence.start_date": dt.date(2025, 1, 6),
    "evidence.documents": frozenset({"hospital_diagnosis", "inpatient_record"}),
}


def problems(facts) -> list[tuple[str, str]]:
    """(code, path) of each problem reading ``facts``."""
    with pytest.raises(FactsError) as info:
        read_facts(facts)
    return [(d.code, d.path) for d in info.value.diagnostics]


class TestInputForms:
    @pytest.mark.parametrize("form", ["dict", "yaml", "json", "attrs"])
    def test_every_form_gives_the_same_values(self, form):
        """A dict, YAML text, JSON text and an attrs Facts give the same checked values."""
        read = {
            "dict": lambda: read_facts(NESTED),
            "yaml": lambda: load_facts_text(YAML_TEXT),
            "json": lambda: load_facts_text(json.dumps(NESTED, ensure_ascii=False)),
            "attrs": lambda: read_facts(ATTRS),
        }[form]
        assert dict(read().values) == EXPECTED

    def test_checked_values_pass_through(self):
        """FactValues given again are used as they are."""
        fv = read_facts(NESTED)
        assert read_facts(fv) is fv

    def test_to_dict_reads_back_the_same(self):
        """The nested JSON form of checked facts reads back to the same values."""
        fv = read_facts(NESTED)
        assert read_facts(json.loads(json.dumps(fv.to_dict()))) == fv

    def test_null_is_absent(self):
        """A fact given as null is the same as one left out."""
        assert read_facts({"student": {"stage": None, "grade": 8}, "absence": None}) == read_facts({"student": {"grade": 8}})

    def test_nothing_is_no_facts(self):
        """No facts at all is valid: every answer that needs one will be undetermined."""
        assert read_facts(None) == FactValues({})


class TestUnknownKeys:
    def test_misspelt_fact_is_unknown_with_a_suggestion(self):
        """A misspelt key is unknown_fact at its path, and the hint names the key meant."""
        with pytest.raises(FactsError) as info:
            read_facts({"absence": {"class_hour_missed": 230}})
        (diag,) = info.value.diagnostics
        assert (diag.code, diag.path) == ("unknown_fact", "absence.class_hour_missed")
        assert "'class_hours_missed'" in diag.hint

    def test_misspelt_group_is_unknown(self):
        """A misspelt group name is unknown_fact, with the group meant as the hint."""
        with pytest.raises(FactsError) as info:
            read_facts({"studnet": {"stage": "junior"}})
        (diag,) = info.value.diagnostics
        assert (diag.code, diag.path) == ("unknown_fact", "studnet")
        assert "'student'" in diag.hint

    def test_every_problem_is_reported(self):
        """Two unknown keys and a wrong kind give three diagnostics, not just the first."""
        assert sorted(problems({"student": {"stag": "junior", "grade": "eight"}, "absense": {}})) == [
            ("facts_type", "student.grade"), ("unknown_fact", "absense"), ("unknown_fact", "student.stag"),
        ]

    def test_yaml_errors_point_into_the_file(self):
        """An unknown key in a YAML facts file is reported at its line and column."""
        with pytest.raises(FactsError) as info:
            load_facts_text("student:\n  stage: junior\n  grdae: 8\n", "facts.yaml")
        (diag,) = info.value.diagnostics
        assert (diag.code, diag.file, diag.line, diag.column, diag.path) == ("unknown_fact", "facts.yaml", 3, 10, "student.grdae")

    def test_unreadable_yaml(self):
        """Facts text that is not YAML is a FactsError with yaml_syntax."""
        with pytest.raises(FactsError) as info:
            load_facts_text("student: [junior\n")
        assert [d.code for d in info.value.diagnostics] == ["yaml_syntax"]


class TestKinds:
    @pytest.mark.parametrize("facts, path", [
        ({"student": {"grade": "eight"}}, "student.grade"),
        ({"student": {"grade": 8.5}}, "student.grade"),
        ({"student": {"grade": True}}, "student.grade"),
        ({"absence": {"class_hours_missed": "many"}}, "absence.class_hours_missed"),
        ({"absence": {"still_unable_to_attend": "yes"}}, "absence.still_unable_to_attend"),
        ({"absence": {"still_unable_to_attend": 1}}, "absence.still_unable_to_attend"),
        ({"student": {"stage": "university"}}, "student.stage"),
        ({"student": {"stage": 3}}, "student.stage"),
        ({"evidence": {"documents": "hospital_diagnosis"}}, "evidence.documents"),
        ({"evidence": {"documents": ["passport"]}}, "evidence.documents"),
        ({"student": {"school": {"name": ["a"]}}}, "student.school.name"),
        ({"student": ["junior"]}, "student"),
    ])
    def test_wrong_kind(self, facts, path):
        """A value of the wrong kind is facts_type at its path."""
        assert problems(facts) == [("facts_type", path)]

    @pytest.mark.parametrize("text, expected", [
        ("1/3", Fraction(1, 3)), ("三分之一", Fraction(1, 3)), ("5%", Fraction(1, 20)), (0.1, Fraction(1, 10)),
        ("230", 230), (230.0, 230),
    ])
    def test_numbers_are_exact(self, text, expected):
        """Numbers given as fractions, percentages, Chinese fractions or decimals are read exactly."""
        assert read_facts({"absence": {"class_hours_missed": text}}).get("absence.class_hours_missed") == expected

    @pytest.mark.parametrize("given, code", [
        ("初中", "junior"), ("普通高中", "senior"), ("junior", "junior"),
    ])
    def test_chinese_enum_names(self, given, code):
        """An enum fact may be given by its Chinese name."""
        assert read_facts({"student": {"stage": given}}).get("student.stage") == code

    def test_chinese_names_in_a_list(self):
        """A list of codes may use Chinese names, with or without the bracketed part."""
        fv = read_facts({"evidence": {"documents": ["医院诊断证明", "住院病历"]}})
        assert fv.get("evidence.documents") == frozenset({"hospital_diagnosis", "inpatient_record"})


class TestDates:
    @pytest.mark.parametrize("text", ["2025-02-30", "2025/03/01", "2025-3-1x", "next monday", "20250301"])
    def test_bad_dates(self, text):
        """A date that does not exist or is not YYYY-MM-DD is facts_type."""
        assert problems({"student": {"birth_date": text}}) == [("facts_type", "student.birth_date")]

    @pytest.mark.parametrize("text", ["9999-12-31T23:00:00-05:00", "0001-01-01T01:00:00+14:00"])
    def test_date_times_beyond_the_calendar(self, text):
        """A date-time whose Shanghai day falls outside years 1-9999 is facts_type, not an OverflowError."""
        assert problems({"absence": {"start_date": text}}) == [("facts_type", "absence.start_date")]

    def test_impossible_date_in_yaml(self):
        """An impossible unquoted YAML date (2025-02-30) is facts_type at its position, not a crash."""
        with pytest.raises(FactsError) as info:
            load_facts_text("student:\n  birth_date: 2025-02-30\n", "f.yaml")
        (diag,) = info.value.diagnostics
        assert (diag.code, diag.line, diag.column, diag.path) == ("facts_type", 2, 15, "student.birth_date")

    @pytest.mark.parametrize("given, expected", [
        ("2025-03-01T20:00:00Z", dt.date(2025, 3, 2)),
        ("2025-03-01T15:59:59Z", dt.date(2025, 3, 1)),
        ("2025-03-01T23:30:00", dt.date(2025, 3, 1)),
        ("2025-03-01T23:30:00+08:00", dt.date(2025, 3, 1)),
        ("2025-03-02T01:00:00+09:00", dt.date(2025, 3, 2)),
        (dt.datetime(2025, 3, 1, 20, 0, tzinfo=dt.timezone.utc), dt.date(2025, 3, 2)),
        (dt.datetime(2025, 3, 1, 23, 30), dt.date(2025, 3, 1)),
        (dt.date(2025, 3, 1), dt.date(2025, 3, 1)),
    ])
    def test_date_times_are_days_in_shanghai(self, given, expected):
        """A zoned date-time is converted to Asia/Shanghai; a naive one is taken to be Shanghai time."""
        assert read_facts({"absence": {"start_date": given}}).get("absence.start_date") == expected

    def test_yaml_timestamp_with_zone(self):
        """An unquoted YAML timestamp in UTC is converted to the Shanghai day."""
        fv = load_facts_text("absence:\n  start_date: 2025-03-01T20:00:00Z\n")
        assert fv.get("absence.start_date") == dt.date(2025, 3, 2)


def _committed_schema() -> dict:
    return json.loads(resources.files("xueji_rules").joinpath("schema/facts.schema.json").read_text("utf-8"))


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_committed_schema(), format_checker=jsonschema.FormatChecker())


class TestGeneratedFiles:
    def test_committed_schema_is_what_the_generator_writes(self):
        """facts.schema.json equals facts_schema(): regenerate with python -m xueji_rules.facts.schema."""
        assert _committed_schema() == facts_schema_module.facts_schema()

    def test_committed_schema_text_is_exact(self):
        """The schema file is byte-for-byte the generator's text, so diffs stay clean."""
        text = resources.files("xueji_rules").joinpath("schema/facts.schema.json").read_text("utf-8")
        assert text == facts_schema_module.schema_text()

    @pytest.mark.skipif(not (ROOT / "docs" / "facts.md").is_file(), reason="docs/ is in a checkout only")
    def test_committed_docs_are_what_the_generator_writes(self):
        """docs/facts.md equals facts_markdown(): regenerate with python -m xueji_rules.facts.schema."""
        assert (ROOT / "docs" / "facts.md").read_text(encoding="utf-8") == facts_schema_module.facts_markdown()

    def test_schema_is_valid_2020_12(self):
        """The generated schema is itself a valid JSON Schema 2020-12."""
        jsonschema.Draft202012Validator.check_schema(facts_schema_module.facts_schema())

    def test_docs_list_every_fact(self):
        """Every fact path of the vocabulary has a row in docs/facts.md."""
        from xueji_rules.facts.vocabulary import FACTS

        text = facts_schema_module.facts_markdown()
        assert all(f"| `{path}` |" in text for path in FACTS)

    def test_check_mode_reports_up_to_date(self):
        """python -m xueji_rules.facts.schema --check exits 0 when nothing is stale."""
        assert facts_schema_module.main(["--check"], stdout=io.StringIO()) == 0


class TestSchemaAgreesWithReader:
    def example_facts(self):
        docs = [NESTED, json.loads(json.dumps(read_facts(NESTED).to_dict()))]
        for path in sorted((ROOT / "examples").glob("*")) if (ROOT / "examples").is_dir() else []:
            if path.suffix in (".json", ".yaml", ".yml"):
                docs.append(json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str)))
        return docs

    def test_example_facts_validate(self):
        """The example facts (here and in examples/) are valid under the schema and read without error."""
        for doc in self.example_facts():
            assert list(_validator().iter_errors(doc)) == []
            read_facts(doc)

    @pytest.mark.parametrize("doc", [
        {"student": {"stag": "junior"}},
        {"student": {"grade": 8.5}},
        {"student": {"stage": "university"}},
        {"absence": {"class_hours_missed": -3}},
        {"absence": {"start_date": "2025/03/01"}},
        {"absence": {"start_date": "2025-02-30"}},
        {"evidence": {"documents": ["passport"]}},
        {"request": {"transfer": {"to_school": {"place": {"village": "x"}}}}},
    ])
    def test_schema_and_reader_both_refuse(self, doc):
        """What the reader refuses, the schema refuses too."""
        assert list(_validator().iter_errors(doc)) != []
        with pytest.raises(FactsError):
            read_facts(doc)

    @pytest.mark.parametrize("text", ["1/3", "5%", "三分之一", "0.5"])
    def test_exact_number_text_is_valid(self, text):
        """A number JSON cannot hold exactly may be given as text, and the schema accepts it."""
        doc = {"absence": {"class_hours_missed": text}}
        assert list(_validator().iter_errors(doc)) == []
        read_facts(doc)


def test_yaml_keys_and_dates_are_read_as_written():
    """`on:` stays the key "on" (not YAML 1.1's true), and dates stay text until a reader checks them."""
    from xueji_rules import _yaml

    doc, problems = _yaml.load_text("on: 2025-03-03\nyes: 1\n2025-01-01: x\n", "<t>")
    assert problems == []
    assert doc.value == {"on": "2025-03-03", "yes": 1, "2025-01-01": "x"}
    assert doc.positions[("on",)] == (1, 5)


def test_a_tables_dotted_columns_become_nested_facts():
    from xueji_rules.facts.input import nest_paths

    row = [("student.stage", "junior"), ("student.grade", 8), ("absence.class_hours_missed", None),
           ("absence.reason", "illness")]
    assert nest_paths(row) == {"student": {"stage": "junior", "grade": 8}, "absence": {"reason": "illness"}}
    # a path under a fact that already holds a value is left for the reader to report
    assert nest_paths([("student", "x"), ("student.grade", 8)]) == {"student": "x"}
