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


class TestAnImmutablePolicy:
    """A compiled policy is shared by every later ask: nothing reachable from it can be changed."""

    @pytest.mark.parametrize("section", ["questions", "parameters", "articles", "readings", "student_ids"])
    def test_sections_refuse_changes(self, section):
        policy = xr.load_policy("jiangsu")
        mapping = getattr(policy, section)
        key = next(iter(mapping))
        for change in (lambda: mapping.__setitem__(key, None), lambda: mapping.pop(key), mapping.clear,
                       lambda: mapping.update({}), lambda: mapping.setdefault(key, None), lambda: mapping.__delitem__(key)):
            with pytest.raises(TypeError):
                change()

    def test_swapping_a_question_cannot_change_later_answers(self):
        """The reproducer: p.questions['suspension'] = p.questions['transfer'] used to change every later ask."""
        policy = xr.load_policy("jiangsu")
        with pytest.raises(TypeError):
            policy.questions["suspension"] = policy.questions["transfer"]
        with pytest.raises(AttributeError):
            policy.questions = {}
        assert xr.ask("jiangsu", "suspension", SUSPENSION, on="2025-03-03").question == "suspension"

    def test_kernels_and_parameter_values_are_read_only(self):
        policy = xr.load_policy("jiangsu")
        q = policy.questions["suspension"]
        with pytest.raises(TypeError):
            q.by_era[0]["decide"] = lambda *a: ("allowed", ())
        with pytest.raises(TypeError):
            policy.parameters_on(__import__("datetime").date(2025, 3, 3))["compulsory_suspension_class_hours"] = 0
        assert not hasattr(q, "explain_cache")


class TestConditionsThatCannotCompile:
    """Validation refuses what generated code could not compile, with a position; nothing crashes."""

    def compile(self, text, **scope):
        from xueji_rules.conditions import parse as P
        from xueji_rules.conditions.compile import BOOL, Compiled, CompileError, Compiler, Scope

        tree = P.parse(text)
        if not isinstance(tree, P.Node):
            return tree.code
        defs = {"d": Compiled(BOOL, "__d_d__", True)}
        try:
            out = Compiler().compile(tree, Scope(scope.get("params", {}), defs, zero_parameters=scope.get("zero", frozenset())), BOOL)
        except CompileError as exc:
            return exc.code
        compile("x = " + out.code, "generated", "exec")  # never a SyntaxError
        return "ok"

    @pytest.mark.parametrize("n, expected", [(20, "ok"), (100, "ok"), (250, "condition_too_complex")])
    def test_many_parts_joined_by_or(self, n, expected):
        assert self.compile(" 或 ".join(["d"] * n)) == expected

    def test_two_hundred_parts_joined_by_and(self):
        assert self.compile(" 且 ".join(["absence.class_hours_missed 超过 1"] * 200)) == "condition_too_complex"

    def test_a_long_chain_of_not(self):
        assert self.compile("非 " * 150 + "d") == "condition_too_complex"

    def test_a_five_thousand_digit_number(self):
        assert self.compile("absence.class_hours_missed 超过 " + "9" * 5000) == "condition_too_complex"
        assert self.compile("absence.class_hours_missed 超过 " + "9" * 2000) == "condition_number"

    def test_dividing_by_zero_is_a_policy_error(self):
        """÷ 0 passed validation and then blamed every student's facts."""
        from xueji_rules.conditions.compile import Type

        assert self.compile("absence.class_hours_missed ÷ 0 超过 1") == "division_by_zero"
        assert self.compile("absence.class_hours_missed ÷ h 超过 1", params={"h": Type("number", "学时")},
                            zero=frozenset({"h"})) == "division_by_zero"
        assert self.compile("absence.class_hours_missed ÷ h 超过 1", params={"h": Type("number", "学时")}) == "ok"


@pytest.mark.parametrize("text", ["1e999999999", "1e5000", "9" * 5000, "Infinity", "NaN", "1_000", "0x10"])
def test_numbers_given_as_text_are_read_quickly_or_refused(text):
    """"1e999999999" made `xueji ask` run for ten minutes; such text is now a facts error at once."""
    with pytest.raises(FactsError) as info:
        xr.ask("jiangsu", "suspension", {**SUSPENSION, "absence": {**SUSPENSION["absence"], "class_hours_missed": text}},
               on="2025-03-03")
    assert [d.code for d in info.value.diagnostics] == ["facts_type"]


class TestCallerMistakes:
    """Every input gives a Decision or one of the documented errors."""

    @pytest.mark.parametrize("question", [None, 123, ["suspension"]])
    def test_a_question_that_is_not_a_name(self, question):
        """xr.ask(region, None, facts) was an AttributeError."""
        with pytest.raises(xr.UnknownQuestionError):
            xr.ask("jiangsu", question, SUSPENSION, on="2025-03-03")
        with pytest.raises(xr.UnknownQuestionError):
            xr.decider("jiangsu", question, on="2025-03-03")

    @pytest.mark.parametrize("region", [None, 123, b"jiangsu"])
    def test_a_region_that_is_not_a_name(self, region):
        with pytest.raises(xr.UnknownRegionError):
            xr.ask(region, "suspension", SUSPENSION, on="2025-03-03")

    def test_a_deadline_past_the_calendar_says_why_instead_of_vanishing(self):
        """A suspension starting in 9999 ends past year 9999: the deadline is there, date null, with a problem."""
        facts = {**SUSPENSION, "absence": {**SUSPENSION["absence"], "class_hours_missed": 230, "start_date": "9999-06-01"}}
        d = xr.ask("jiangsu", "suspension", facts, on="2025-03-03")
        ends = [dl for dl in d.deadlines if dl.rule == "compulsory_class_hours"]
        assert ends and ends[0].date is None and ends[0].problem
        assert xr.Decision.from_json(d.to_json()) == d


class TestStandardInput:
    """`xueji ask … --facts -` with stdin closed or binary is a user error (exit 2), never an internal one."""

    def ask(self, stdin):
        import io

        from xueji_rules import cli

        out, err = io.StringIO(), io.StringIO()
        code = cli.main(["ask", "jiangsu", "suspension", "--facts", "-", "--on", "2025-03-03"],
                        stdout=out, stderr=err, stdin=stdin)
        return code, err.getvalue()

    def test_closed(self):
        import io

        closed = io.StringIO("")
        closed.close()
        code, err = self.ask(closed)
        assert code == 2 and "closed" in err and "Traceback" not in err

    def test_binary(self):
        import io

        code, err = self.ask(io.StringIO("\x7fELF\x00\x00\x01"))
        assert code == 2 and "binary" in err

    def test_undecodable_bytes(self):
        import io

        code, err = self.ask(io.TextIOWrapper(io.BytesIO(b"\xff\xfe\x00a"), encoding="utf-8"))
        assert code == 2 and "UTF-8" in err

    def test_surrogate_escaped_bytes(self):
        import io

        code, err = self.ask(io.TextIOWrapper(io.BytesIO(b"a: \xff"), encoding="utf-8", errors="surrogateescape"))
        assert code == 2 and "UTF-8" in err


class TestRedaction:
    """Decisions keep the facts they read; to_json(redact=True) hides those that identify a student."""

    FACTS = {"student": {"stage": "junior", "grade": 9, "birth_date": "2009-05-01",
                         "hukou": "320106", "school": {"place": "321202"}},
             "request": {"cancellation": {"ground": "completed_compulsory_and_quits"}}}

    def test_identifiers_are_hashed_and_other_facts_kept(self):
        import json

        d = xr.ask("jiangsu", "registry_cancellation", self.FACTS, on="2025-09-01")
        plain, hidden = d.to_dict(), json.loads(d.to_json(redact=True))
        assert "2009-05-01" in json.dumps(plain) and "2009-05-01" not in json.dumps(hidden)
        assert hidden["redacted"] is True and "redacted" not in plain
        values = [r["facts"].get("student.birth_date") for r in hidden["rules"] if "student.birth_date" in r["facts"]]
        assert values and all(v.startswith("sha256:") for v in values)
        assert hidden["outcome"] == plain["outcome"]

    def test_the_same_value_gives_the_same_hash_and_a_key_changes_it(self):
        from xueji_rules.facts.personal import redact

        assert redact("student.birth_date", "2009-05-01") == redact("student.birth_date", "2009-05-01")
        assert redact("student.birth_date", "2009-05-01", b"k") != redact("student.birth_date", "2009-05-01")
        assert redact("student.grade", 9) == 9 and redact("student.name", "张伟") is None

    def test_a_redacted_document_is_valid_and_reads_back(self):
        from xueji_rules.decision import Decision

        d = xr.ask("jiangsu", "registry_cancellation", self.FACTS, on="2025-09-01")
        import json
        from importlib import resources

        import jsonschema

        schema = json.loads(resources.files("xueji_rules").joinpath("schema/decision.schema.json").read_text("utf-8"))
        doc = d.to_dict(redact=True)
        jsonschema.Draft202012Validator(schema).validate(doc)
        assert Decision.from_dict(doc).outcome == d.outcome


class TestARegionIsAName:
    """A region argument is a name looked up only inside the policy roots, never a path."""

    @pytest.mark.parametrize("region", ["../../../../tmp/x", "/tmp/x", "./jiangsu", "jiangsu/../nanchang", "Jiangsu",
                                        "policies/jiangsu", "jiangsu/"])
    def test_paths_are_refused(self, region):
        from xueji_rules.locate import resolve

        with pytest.raises(xr.UnknownRegionError):
            resolve(region)

    def test_a_folder_in_the_working_directory_does_not_replace_the_bundled_one(self, tmp_path, monkeypatch):
        """`cd /tmp && xueji ask jiangsu …` with a /tmp/jiangsu folder still answers with the bundled policy."""
        import shutil

        from xueji_rules.locate import bundled_root, resolve

        shutil.copytree(bundled_root() / "nanchang", tmp_path / "jiangsu")
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("XUEJI_POLICIES", raising=False)
        assert resolve("jiangsu") == (bundled_root() / "jiangsu").resolve()

    def test_the_cli_refuses_a_path_for_a_region(self, tmp_path):
        import io
        import shutil

        from xueji_rules import cli
        from xueji_rules.locate import bundled_root

        shutil.copytree(bundled_root() / "jiangsu", tmp_path / "x")
        err = io.StringIO()
        code = cli.main(["ask", str(tmp_path / "x"), "suspension", "--facts", "-", "--on", "2025-03-03"],
                        stdout=io.StringIO(), stderr=err, stdin=io.StringIO("{}"))
        assert code == 2 and "--policies DIR" in err.getvalue()
        code = cli.main(["ask", "x", "suspension", "--facts", "-", "--on", "2025-03-03", "--policies", str(tmp_path)],
                        stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO("{}"))
        assert code == 0  # explicitly given, it answers
