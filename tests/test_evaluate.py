"""Evaluating questions: outcomes by norm strength, missing facts, dated parameters, certificates, JSON form."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import xueji_rules as xr
from xueji_rules import DateError, Decision, FactsError, UnknownQuestionError

POLICIES = Path(__file__).parent / "policies"
ON = "2025-03-03"


@pytest.fixture(scope="module")
def tiny():
    return xr.load_policy(POLICIES / "tiny")


@pytest.fixture(scope="module")
def grad():
    return xr.load_policy(POLICIES / "tiny_graduation")


def junior(grade=8, **absence):
    return {"student": {"stage": "junior", "grade": grade}, "absence": absence}


ILL = {"class_hours_missed": 211, "still_unable_to_attend": True, "start_date": "2025-03-01"}


class TestSuspension:
    """The tiny policy: two 可以 grounds (one with an approver) and a 原则上不 constraint."""

    def test_ground_with_approver_allows_with_approval(self, tiny):
        """211 hours missed in grade 8: the ground holds, so the answer is allowed_with_approval by its approver."""
        d = xr.ask(tiny, "suspension", junior(**ILL), on=ON)
        assert (d.outcome, d.failed, d.approvers) == ("allowed_with_approval", (), ("教育行政部门",))
        assert d.rule("compulsory_hours").status == "held"
        assert d.rule("senior_third").status == "not_applicable"

    def test_ground_without_approver_allows(self, tiny):
        """A senior who missed more than a third of the year's hours: a ground with no approver gives allowed."""
        facts = {"student": {"stage": "senior", "grade": 11},
                 "absence": {"class_hours_missed": 341, "year_total_class_hours": 1020}}
        d = xr.ask(tiny, "suspension", facts, on=ON)
        assert (d.outcome, d.approvers) == ("allowed", ())

    def test_no_ground_holds_denies(self, tiny):
        """Exactly 210 hours is not more than 210: the only applicable ground fails, so the answer is denied."""
        d = xr.ask(tiny, "suspension", junior(**{**ILL, "class_hours_missed": 210}), on=ON)
        assert (d.outcome, d.failed) == ("denied", ("compulsory_hours",))

    def test_in_principle_not_gives_denied_unless_exception(self, tiny):
        """In a graduating grade the 原则上不 rule fails: denied_unless_exception, naming who may grant it."""
        d = xr.ask(tiny, "suspension", junior(grade=9, **ILL), on=ON)
        assert (d.outcome, d.failed, d.exception_by) == ("denied_unless_exception", ("not_graduating",), ("教育行政部门",))
        assert d.approvers == ()

    def test_missing_facts_make_it_undetermined_and_are_listed(self, tiny):
        """Without the hours and whether the pupil can attend, the answer is undetermined and lists them."""
        d = xr.ask(tiny, "suspension", {"student": {"stage": "junior", "grade": 8}}, on=ON)
        assert d.outcome == "undetermined"
        assert d.missing_facts == ("absence.class_hours_missed", "absence.still_unable_to_attend")
        assert d.allowed is None

    def test_facts_that_do_not_matter_are_not_asked_for(self, tiny):
        """A junior's missing year total is not listed: the senior rule does not apply to a junior."""
        d = xr.ask(tiny, "suspension", {"student": {"stage": "junior", "grade": 8}}, on=ON)
        assert "absence.year_total_class_hours" not in d.missing_facts

    def test_settled_answers_list_no_missing_facts(self, tiny):
        """A denied answer lists no missing facts even though some were not given."""
        d = xr.ask(tiny, "suspension", junior(**{"class_hours_missed": 100}), on=ON)
        assert (d.outcome, d.missing_facts) == ("denied", ())

    def test_documents_steps_and_deadlines(self, tiny):
        """A held rule contributes its documents, its steps and its deadline computed from the facts."""
        d = xr.ask(tiny, "suspension", junior(**ILL), on=ON)
        assert d.documents == ("医院诊断证明",)
        assert [(s.by, s.rule) for s in d.steps] == [("监护人", "compulsory_hours")]
        assert [(x.date, x.rule) for x in d.deadlines] == [(dt.date(2026, 3, 1), "compulsory_hours")]

    def test_citations_and_readings(self, tiny):
        """Each rule result carries its article, the quoted words, and the readings it relies on."""
        d = xr.ask(tiny, "suspension", junior(**ILL), on=ON)
        r = d.rule("compulsory_hours")
        assert (r.article, r.readings) == ("第一条", ("exceeds_exclusive",))
        assert r.quote in r.article_text
        assert [x.id for x in d.readings] == ["exceeds_exclusive"]

    def test_facts_and_parameters_read_are_recorded(self, tiny):
        """A rule result shows the fact values it read and the parameter values in force."""
        d = xr.ask(tiny, "suspension", junior(**ILL), on=ON)
        r = d.rule("compulsory_hours")
        assert dict(r.facts)["absence.class_hours_missed"] == 211
        assert dict(r.parameters) == {"hours": 210}


class TestParameterDates:
    @pytest.mark.parametrize("on, outcome, hours", [
        ("2029-12-31", "denied", 210),
        ("2030-01-01", "allowed_with_approval", 200),
    ])
    def test_threshold_changes_on_its_date(self, tiny, on, outcome, hours):
        """205 hours is not enough while the threshold is 210 (until 2030) and enough once it is 200."""
        d = xr.ask(tiny, "suspension", junior(**{**ILL, "class_hours_missed": 205}), on=on)
        assert d.outcome == outcome
        assert {p.name: p.value for p in d.parameters}["hours"] == hours

    def test_parameter_history_is_kept(self, tiny):
        """The policy keeps every dated value of a parameter, and value_on picks the one in force."""
        p = tiny.parameters["hours"]
        assert [v for _, v in p.values] == [210, 200]
        assert p.value_on(dt.date(2030, 1, 1)) == 200

    def test_before_the_regulation_takes_effect(self, tiny):
        """Asking about a date before the regulation's effective_from raises DateError."""
        with pytest.raises(DateError):
            xr.ask(tiny, "suspension", junior(**ILL), on="2009-12-31")

    def test_first_day_in_force(self, tiny):
        """The regulation's effective_from is itself in force."""
        assert xr.ask(tiny, "suspension", junior(**ILL), on="2010-01-01").outcome == "allowed_with_approval"

    @pytest.mark.parametrize("on", ["2025/03/03", "2025-02-30", "tomorrow"])
    def test_unreadable_date(self, tiny, on):
        """A date that is not YYYY-MM-DD (or not real) raises DateError."""
        with pytest.raises(DateError):
            xr.ask(tiny, "suspension", junior(**ILL), on=on)

    def test_date_objects_and_aware_datetimes(self, tiny):
        """on= may be a date, or a datetime converted to the Shanghai day."""
        late = dt.datetime(2029, 12, 31, 16, 0, tzinfo=dt.timezone.utc)  # 2030-01-01 00:00 in Shanghai
        facts = junior(**{**ILL, "class_hours_missed": 205})
        assert xr.ask(tiny, "suspension", facts, on=late).on == dt.date(2030, 1, 1)
        assert xr.ask(tiny, "suspension", facts, on=dt.date(2029, 12, 31)).outcome == "denied"


class TestErrors:
    def test_unknown_question(self, tiny):
        """A question the policy lacks raises UnknownQuestionError."""
        with pytest.raises(UnknownQuestionError):
            xr.ask(tiny, "suspensoin", {}, on=ON)

    def test_bad_facts(self, tiny):
        """Malformed facts raise FactsError before anything is evaluated."""
        with pytest.raises(FactsError):
            xr.ask(tiny, "suspension", {"absence": {"class_hours": 1}}, on=ON)

    def test_facts_that_cannot_be_computed(self, grad):
        """A share of 0 registered students is a FactsError (facts_value), not a ZeroDivisionError."""
        facts = {"enrolment": {"borrowing_students": 1, "registered_students": 0}}
        for answer in (xr.ask, xr.decide, lambda p, q, f, on: xr.decider(p, q, on)(f)):
            with pytest.raises(FactsError) as info:
                answer(grad, "borrowing", facts, ON)
            assert [d.code for d in info.value.diagnostics] == ["facts_value"]

    def test_decide_is_the_short_form(self, tiny):
        """decide gives the same outcome and failed rules as evaluate, without the explanation."""
        facts = junior(grade=9, **ILL)
        d = xr.evaluate(tiny, "suspension", facts, on=ON)
        assert xr.decide(tiny, "suspension", facts, on=ON) == (d.outcome, d.failed)


class TestStrengths:
    """tiny_graduation: 不得, 须经批准 and 应当 rules, and a question that may not be regulated."""

    AREA = {"borrowing_students": 5, "registered_students": 100}

    def borrow(self, grad, counts=None, **request):
        facts = {"enrolment": counts or self.AREA, "request": {"borrowing": request}}
        return xr.ask(grad, "borrowing", facts, on=ON)

    def test_forbidden_rule_that_holds_allows(self, grad):
        """5 guests among 100 is not more than 5%: the 不得 rule holds and nothing else applies: allowed."""
        assert self.borrow(grad, same_area=True).outcome == "allowed"

    def test_forbidden_rule_that_fails_denies(self, grad):
        """6 guests among 100 is more than 5%: the 不得 rule fails, so the answer is denied."""
        d = self.borrow(grad, {"borrowing_students": 6, "registered_students": 100}, same_area=True)
        assert (d.outcome, d.failed) == ("denied", ("share_cap",))

    def test_approval_rule_that_holds(self, grad):
        """Borrowing across areas with both schools' consent given: the bureau's approval is still awaited."""
        d = xr.ask(grad, "borrowing", {"enrolment": self.AREA, "request": {"borrowing": {"same_area": False}},
                                       "approvals": {"home_school": "given", "host_school": "given"}}, on=ON)
        assert (d.outcome, d.status, [a.party for a in d.awaiting]) == ("allowed_with_approval", "await_approval", ["bureau"])
        assert d.approvers == ("原学校、借读学校、教育行政部门",)
        assert d.documents == ("书面申请",)
        assert [s.by for s in d.steps] == ["原学校", "教育行政部门"]

    def test_approval_rule_that_fails(self, grad):
        """Across areas with the home school refusing, the 须经批准 rule fails: denied."""
        d = xr.ask(grad, "borrowing", {"enrolment": self.AREA, "request": {"borrowing": {"same_area": False}},
                                       "approvals": {"home_school": "refused", "host_school": "given"}}, on=ON)
        assert (d.outcome, d.failed, d.status) == ("denied", ("approval",), "refused")

    def test_approval_never_asked_for(self, grad):
        """Across areas with no consent given yet: not undetermined — waiting for all three."""
        d = self.borrow(grad, same_area=False)
        assert (d.outcome, d.missing_facts) == ("allowed_with_approval", ())
        assert [a.party for a in d.awaiting] == ["home_school", "host_school", "bureau"]

    def test_obligation_held_is_required(self, grad):
        """A student's death: the 应当 ground holds, so cancelling the registry is required."""
        d = xr.ask(grad, "registry_cancellation", {"request": {"cancellation": {"ground": "death"}}}, on=ON)
        assert (d.outcome, d.approvers, d.allowed) == ("required", ("学校",), True)

    def test_nothing_applies_is_not_regulated(self, grad):
        """A ground the regulation does not name: no rule applies, so the answer is not_regulated."""
        d = xr.ask(grad, "registry_cancellation", {"request": {"cancellation": {"ground": "did_not_report"}}}, on=ON)
        assert (d.outcome, d.allowed) == ("not_regulated", False)

    def test_unknown_whether_it_applies(self, grad):
        """Without the ground, whether the rule applies is unknown: undetermined, listing the ground."""
        d = xr.ask(grad, "registry_cancellation", {}, on=ON)
        assert (d.outcome, d.missing_facts) == ("undetermined", ("request.cancellation.ground",))


class TestCertificates:
    def graduate(self, grad, **results):
        student = results.pop("student", {})
        return xr.ask(grad, "graduation", {"results": results, "student": student}, on="2025-07-01")

    def test_graduable_gets_the_diploma(self, grad):
        """Term completed, conduct passed, two subjects failed: allowed, with the 毕业证书."""
        d = self.graduate(grad, completed_term=True, conduct="pass", failed_subjects=["physics", "chemistry"])
        assert (d.outcome, d.certificate) == ("allowed", "diploma")

    def test_not_graduable_gets_the_jieye_certificate(self, grad):
        """Three subjects failed: denied, with the 结业证书."""
        d = self.graduate(grad, completed_term=True, conduct="pass", failed_subjects=["physics", "chemistry", "biology"])
        assert (d.outcome, d.failed, d.certificate) == ("denied", ("graduable",), "completion_jieye")

    def test_left_after_a_year_gets_the_attendance_certificate(self, grad):
        """Left school after a full year: the 肄业证书 (满一年以上 includes exactly one year)."""
        d = self.graduate(grad, completed_term=False, left_school=True, conduct="pass", failed_subjects=[],
                          student={"years_of_study": 1})
        assert d.certificate == "attendance"

    def test_left_within_a_year_gets_none(self, grad):
        """Left school after half a year: no certificate."""
        d = self.graduate(grad, completed_term=False, left_school=True, conduct="pass", failed_subjects=[],
                          student={"years_of_study": "1/2"})
        assert (d.outcome, d.certificate) == ("denied", None)

    def test_undetermined_has_no_certificate(self, grad):
        """When graduation is undetermined, so is the certificate: None, with the missing facts listed."""
        d = self.graduate(grad, completed_term=True)
        assert (d.outcome, d.certificate) == ("undetermined", None)
        assert set(d.missing_facts) == {"results.conduct", "results.failed_subjects"}

    def test_certificate_in_json(self, grad):
        """The certificate code is in the Decision's JSON form."""
        d = self.graduate(grad, completed_term=True, conduct="pass", failed_subjects=[])
        assert json.loads(d.to_json())["certificate"] == "diploma"


def decision_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.files("xueji_rules").joinpath("schema/decision.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def sample_decisions() -> list[Decision]:
    tiny = xr.load_policy(POLICIES / "tiny")
    grad = xr.load_policy(POLICIES / "tiny_graduation")
    return [
        xr.ask(tiny, "suspension", junior(**ILL), on=ON),
        xr.ask(tiny, "suspension", junior(grade=9, **ILL), on=ON),
        xr.ask(tiny, "suspension", {}, on=ON),
        xr.ask(tiny, "suspension", {"student": {"stage": "senior", "grade": 11},
                                    "absence": {"class_hours_missed": "1000/3", "year_total_class_hours": 1000}}, on=ON),
        xr.ask(grad, "graduation", {"results": {"completed_term": True, "conduct": "pass", "failed_subjects": ["physics"]}}, on=ON),
        xr.ask(grad, "borrowing", {"enrolment": {"borrowing_students": 6, "registered_students": 100}}, on=ON),
        xr.ask(grad, "registry_cancellation", {"request": {"cancellation": {"ground": "death"}}}, on=ON),
        xr.ask(grad, "registry_cancellation", {"request": {"cancellation": {"ground": "did_not_report"}}}, on=ON),
    ]


class TestDecisionJson:
    def test_real_decisions_match_the_schema(self):
        """Decisions of every outcome, as JSON, are valid under decision.schema.json."""
        decisions = sample_decisions()
        outcomes = {d.outcome for d in decisions}
        assert {"allowed", "allowed_with_approval", "denied", "denied_unless_exception", "undetermined",
                "required", "not_regulated"} <= outcomes
        validator = decision_validator()
        for d in decisions:
            assert [e.message for e in validator.iter_errors(json.loads(d.to_json()))] == []

    def test_round_trip(self):
        """Decision.from_json(d.to_json()) gives back an equal Decision."""
        for d in sample_decisions():
            assert Decision.from_json(d.to_json()) == d

    def test_json_bytes_are_the_dicts_json(self):
        """to_json_bytes writes exactly what orjson writes of to_dict, plain and redacted, first and cached."""
        orjson = pytest.importorskip("orjson")
        born = {"student": {"stage": "primary", "grade": 1, "birth_date": "2019-05-01",
                            "hukou": {"province": "江苏省", "city": "南京市"}}}
        enrolment = xr.ask("jiangsu", "enrolment", born, on=ON)
        for d in sample_decisions() + [enrolment]:
            for redact, key in ((False, None), (True, None), (True, b"k")):
                for _ in range(2):
                    assert d.to_json_bytes(redact, key) == orjson.dumps(d.to_dict(redact, key))
        assert b"2019-05-01" in enrolment.to_json_bytes() and b"2019-05-01" not in enrolment.to_json_bytes(redact=True)

    def test_schema_requires_every_key(self):
        """The schema requires each top-level key of to_dict(), and allows only the optional `why` besides."""
        schema = decision_validator().schema
        d = sample_decisions()[0].to_dict()
        assert set(schema["required"]) == set(d) == set(schema["properties"]) - {"why", "redacted"}

    def test_other_documents_are_refused(self):
        """from_json refuses a document of another format."""
        with pytest.raises(ValueError):
            Decision.from_json('{"format": "something-else"}')


DOCS = Path(__file__).resolve().parent.parent / "docs" / "decision-json.md"


@pytest.mark.skipif(not DOCS.is_file(), reason="docs/ is in a checkout only")
class TestDecisionJsonDocs:
    def example(self) -> dict:
        text = DOCS.read_text(encoding="utf-8")
        return json.loads(text.split("```json\n", 1)[1].split("\n```", 1)[0])

    def test_documented_example_is_what_the_library_gives(self):
        """The example in docs/decision-json.md is the library's actual answer (content hash aside)."""
        d = xr.ask(POLICIES / "tiny", "suspension", {
            "student": {"stage": "junior", "grade": 8},
            "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True,
                        "start_date": "2025-01-06"},
        }, on="2025-03-03").to_dict()
        documented = self.example()
        for doc in (d, documented):
            doc["policy"]["content_hash"] = "-"
        assert documented == d

    def test_documented_example_is_valid(self):
        """The documented example is valid under the schema and reads back as a Decision."""
        example = self.example()
        assert [e.message for e in decision_validator().iter_errors(example)] == []
        assert Decision.from_dict(example).outcome == "allowed_with_approval"

    def test_every_field_is_documented(self):
        """Each top-level field of the JSON form and of a rule result has a row in docs/decision-json.md."""
        text = DOCS.read_text(encoding="utf-8")
        example = self.example()
        for key in list(example) + list(example["rules"][0]):
            assert f"| `{key}` |" in text, key


class TestMissingFacts:
    def test_facts_only_probed_by_given_are_not_asked_for(self):
        """A fact a rule only guards with given() (an unstated extension) is not listed as missing."""
        d = xr.may_suspend("jiangsu", {"student": {"stage": "junior"}}, on="2025-03-03")
        assert d.outcome == "undetermined"
        assert "request.suspension.is_extension" not in d.missing_facts
        assert {"absence.class_hours_missed", "student.grade"} <= set(d.missing_facts)

    def test_missing_facts_name_only_what_unknown_rules_need(self):
        """A senior student's missing facts do not include those of compulsory-education rules."""
        d = xr.may_suspend("jiangsu", {"student": {"stage": "senior", "grade": 11}}, on="2025-03-03")
        assert "absence.year_total_class_hours" in d.missing_facts
        # documents and the hospital's level are what to bring (jiangsu reading suspension_documents), never asked for
        assert "evidence.hospital_level" not in d.missing_facts and d.outcome == "undetermined"
        assert all(not r.id.startswith("compulsory") for r in d.rules if r.status == "unknown")


class TestWhenNoGround:
    FACTS = {"student": {"stage": "junior", "grade": 8}, "absence": {"reason": "going_abroad"},
             "request": {"suspension": {"reason": "going_abroad", "approval_date": "2025-03-01"}},
             "evidence": {"documents": ["passport_and_visa"]}}

    def test_a_silent_text_is_not_regulated_even_under_a_layer(self):
        """Shandong regulates illness suspensions only: going abroad is not regulated there or in Jinxiang."""
        for region in ("shandong", "shandong/jinxiang"):
            assert xr.may_suspend(region, self.FACTS, on="2025-03-03").outcome == "not_regulated"

    def test_exhaustive_grounds_deny_what_they_do_not_name(self):
        """Jiangsu lists its suspension grounds: a reason none of them names is denied."""
        facts = {**self.FACTS, "absence": {"reason": "other"}, "request": {"suspension": {"reason": "other"}}}
        assert xr.may_suspend("jiangsu", facts, on="2025-03-03").outcome == "denied"


def test_silent_text_is_not_said_while_a_fact_could_still_decide():
    """when_no_ground: not_regulated answers only when nothing unknown could make a rule decide: asked
    about repeating a grade with no stage given, the answer asks for the stage (repeating is forbidden in
    both parts of the Jiangsu text), and a senior's withdrawal on a criminal penalty is then not regulated."""
    d = xr.ask("jiangsu", "grade_change", {"request": {"grade_change": {"kind": "repeat"}}}, on="2025-03-03")
    assert (d.outcome, d.missing_facts) == ("undetermined", ("student.stage",))
    d = xr.ask("shandong", "withdrawal", {"request": {"withdrawal": {"ground": "criminal_penalty"}}}, on="2025-03-03")
    assert (d.outcome, d.missing_facts) == ("undetermined", ("student.stage",))
    senior = {"student": {"stage": "senior", "grade": 11}, "request": {"withdrawal": {"ground": "criminal_penalty"}}}
    assert xr.ask("shandong", "withdrawal", senior, on="2025-03-03").outcome == "not_regulated"
