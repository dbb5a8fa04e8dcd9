"""The condition language: statute words and their edges, exact numbers, three-valued logic, errors."""

from __future__ import annotations

import datetime as dt
import re
from fractions import Fraction

import pytest

from xueji_rules.conditions import parse as P
from xueji_rules.conditions.compile import BOOL, RUNTIME, CompileError, Compiler, Scope, Type
from xueji_rules.errors import Diagnostic
from xueji_rules.facts.input import read_facts
from xueji_rules.kernel import build_module
from xueji_rules.statute import WORDS

ON = dt.date(2025, 3, 3)

#: name -> (type, value) of the parameters the conditions below may use.
PARAMETERS = {
    "hours": (Type("number", "学时"), 210),
    "third": (Type("number"), Fraction(1, 3)),
    "age": (Type("number", "周岁"), 6),
    "credits": (Type("number", "学分"), 144),
    "term": (Type("number", "年"), 1),
}


def compile_condition(text: str, definitions: dict | None = None):
    """Compile ``text`` as a condition and return a function of (facts dict, date)."""
    tree = P.parse(text)
    assert not isinstance(tree, Diagnostic), tree
    compiler = Compiler()
    scope = Scope({n: t for n, (t, _) in PARAMETERS.items()}, definitions or {})
    compiled = compiler.compile(tree, scope, BOOL)
    fn = build_module(f"def f(F, P, T):\n    return {compiled.code}\n", {**RUNTIME, **compiler.constants}, "<test>")["f"]
    params = {n: v for n, (_, v) in PARAMETERS.items()}
    return lambda facts, on=ON: fn(read_facts(facts).values, params, on)


def value(text: str, facts: dict, on=ON):
    return compile_condition(text)(facts, on)


def hours(n):
    return {"absence": {"class_hours_missed": n}}


def compile_error(text: str) -> CompileError:
    tree = P.parse(text)
    assert not isinstance(tree, Diagnostic), tree
    scope = Scope({n: t for n, (t, _) in PARAMETERS.items()}, {})
    with pytest.raises(CompileError) as info:
        Compiler().compile(tree, scope, BOOL)
    return info.value


#: For each comparison word: which of (threshold - 1, threshold, threshold + 1) make it true.
#: Written out by hand from 《民法典》第一千二百五十九条 and ordinary meaning, not from statute.py.
EDGES = {
    "超过": (False, False, True),
    "多于": (False, False, True),
    "不满": (True, False, False),
    "少于": (True, False, False),
    "未达到": (True, False, False),
    "达不到": (True, False, False),
    "满": (False, True, True),
    "达到": (False, True, True),
    "至少": (False, True, True),
    "不少于": (False, True, True),
    "不超过": (True, True, False),
    "至多": (True, True, False),
    "不多于": (True, True, False),
    "是": (False, True, False),
    "不是": (True, False, True),
    "以上": (False, True, True),
    "以下": (True, True, False),
    "以内": (True, True, False),
    "早于": (True, False, False),
    "晚于": (False, False, True),
    "不早于": (False, True, True),
    "不晚于": (True, True, False),
}
POSTFIX = {"以上", "以下", "以内"}
DATE_WORDS = {"早于", "晚于", "不早于", "不晚于"}


def _condition(word: str, threshold: str) -> str:
    if word in POSTFIX:
        return f"absence.class_hours_missed 在 {threshold} {word}"
    return f"absence.class_hours_missed {word} {threshold}"


class TestStatuteWords:
    def test_every_word_has_an_edge_case_here(self):
        """Each comparison word the statute table knows is covered by the edge table of these tests."""
        assert set(WORDS) == set(EDGES)

    @pytest.mark.parametrize("word", sorted(set(EDGES) - DATE_WORDS))
    def test_edge_of_each_number_word(self, word):
        """Each word is true exactly on its side of the threshold, the threshold itself as the statute says."""
        check = compile_condition(_condition(word, "hours"))
        assert tuple(check(hours(n)) for n in (209, 210, 211)) == EDGES[word]

    @pytest.mark.parametrize("word", sorted(DATE_WORDS))
    def test_edge_of_each_date_word(self, word):
        """Date words compare days: 早于 excludes the day itself, 不晚于 includes it."""
        check = compile_condition(f"absence.start_date {word} date_in(2025, \"03-01\")")
        days = ["2025-02-28", "2025-03-01", "2025-03-02"]
        assert tuple(check({"absence": {"start_date": d}}) for d in days) == EDGES[word]

    def test_exceeds_210_excludes_210(self):
        """超过210学时 is false at 210 and true at 211 (超过 does not include the number)."""
        assert value("absence.class_hours_missed 超过 hours", hours(210)) is False
        assert value("absence.class_hours_missed 超过 hours", hours(211)) is True

    def test_above_144_includes_144(self):
        """在144学分以上 is true at 144 and false at 143 (以上 includes the number)."""
        cond = "results.total_credits 在 credits 以上"
        assert value(cond, {"results": {"total_credits": 144}}) is True
        assert value(cond, {"results": {"total_credits": 143}}) is False

    def test_not_full_six_years_excludes_six(self):
        """不满6周岁 is true at 5 and false at exactly 6."""
        cond = "age_on(student.birth_date, today) 不满 age"
        assert value(cond, {"student": {"birth_date": "2019-03-04"}}) is True
        assert value(cond, {"student": {"birth_date": "2019-03-03"}}) is False

    def test_quantity_with_unit_is_compared_in_that_unit(self):
        """A literal written with its unit (210学时) compares like the parameter."""
        assert value("absence.class_hours_missed 超过 210学时", hours(211)) is True
        assert value("absence.class_hours_missed 超过 210课时", hours(210)) is False

    def test_symbols_mean_what_they_say(self):
        """The symbols == != < <= > >= are exact comparisons too."""
        results = [value(f"absence.class_hours_missed {op} hours", hours(210)) for op in ("==", "!=", "<", "<=", ">", ">=")]
        assert results == [True, False, False, True, False, True]


class TestExactNumbers:
    @pytest.mark.parametrize("missed, expected", [(339, False), (340, False), (341, True)])
    def test_a_third_of_1020_is_exactly_340(self, missed, expected):
        """超过本学年度总课时三分之一 with 1020 hours: 340 is not more than a third, 341 is."""
        cond = "absence.class_hours_missed 超过 三分之一 × absence.year_total_class_hours"
        facts = {"absence": {"class_hours_missed": missed, "year_total_class_hours": 1020}}
        assert value(cond, facts) is expected

    @pytest.mark.parametrize("missed, expected", [(333, False), (Fraction(1000, 3), False), (334, True)])
    def test_a_third_of_1000_is_never_rounded(self, missed, expected):
        """A third of 1000 is 1000/3 exactly: 333 and 1000/3 are not more, 334 is."""
        cond = "absence.class_hours_missed 超过 third * absence.year_total_class_hours"
        facts = {"absence": {"class_hours_missed": missed, "year_total_class_hours": 1000}}
        assert value(cond, facts) is expected

    def test_decimals_and_percentages_are_exact(self):
        """0.1 + 0.2 is 0.3 and 5% of 100 is 5, with no floating-point error."""
        assert value("0.1 + 0.2 是 0.3", {}) is True
        assert value("5% * enrolment.registered_students 是 5", {"enrolment": {"registered_students": 100}}) is True

    def test_division_is_exact(self):
        """Dividing gives a fraction, not a truncated integer."""
        facts = {"absence": {"class_hours_missed": 1, "year_total_class_hours": 3}}
        assert value("absence.class_hours_missed / absence.year_total_class_hours 是 三分之一", facts) is True


BOOLS = {True: True, False: False, None: None}


def kleene_and(a, b):
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def kleene_or(a, b):
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def two_facts(a, b) -> dict:
    absence = {} if a is None else {"still_unable_to_attend": a}
    student = {} if b is None else {"disabled": b}
    return {"absence": absence, "student": student}


class TestThreeValuedLogic:
    @pytest.mark.parametrize("word", ["且", "and"])
    @pytest.mark.parametrize("a", [True, False, None])
    @pytest.mark.parametrize("b", [True, False, None])
    def test_and(self, word, a, b):
        """且 is false if either side is false, unknown if either is unknown, else true."""
        cond = f"absence.still_unable_to_attend {word} student.disabled"
        assert value(cond, two_facts(a, b)) is kleene_and(a, b)

    @pytest.mark.parametrize("word", ["或", "or"])
    @pytest.mark.parametrize("a", [True, False, None])
    @pytest.mark.parametrize("b", [True, False, None])
    def test_or(self, word, a, b):
        """或 is true if either side is true, unknown if either is unknown, else false."""
        cond = f"absence.still_unable_to_attend {word} student.disabled"
        assert value(cond, two_facts(a, b)) is kleene_or(a, b)

    @pytest.mark.parametrize("word", ["非", "not"])
    @pytest.mark.parametrize("a, expected", [(True, False), (False, True), (None, None)])
    def test_not(self, word, a, expected):
        """非 turns true and false around and leaves unknown unknown."""
        assert value(f"{word} absence.still_unable_to_attend", two_facts(a, None)) is expected

    def test_a_missing_fact_makes_a_comparison_unknown(self):
        """Comparing a fact that was not given is unknown, never false."""
        assert value("absence.class_hours_missed 超过 hours", {}) is None

    def test_given_is_never_unknown(self):
        """given(fact) is true or false even when the fact is missing."""
        assert value("given(absence.class_hours_missed)", {}) is False
        assert value("given(absence.class_hours_missed)", hours(0)) is True

    def test_and_binds_tighter_than_or(self):
        """a 或 b 且 c reads as a 或 (b 且 c)."""
        cond = "student.disabled 或 absence.still_unable_to_attend 且 false"
        assert value(cond, {"student": {"disabled": True}, "absence": {"still_unable_to_attend": True}}) is True


class TestMembership:
    @pytest.mark.parametrize("stage, expected", [("junior", True), ("primary", True), ("senior", False), ("初中", True)])
    def test_chinese_enum_names_in_a_list(self, stage, expected):
        """属于 accepts the Chinese names of codes in the list, and in the facts."""
        assert value('student.stage 属于 ["小学", "初中"]', {"student": {"stage": stage}}) is expected

    def test_not_in(self):
        """不属于 is the negation of 属于."""
        assert value('student.stage 不属于 ["primary", "junior"]', {"student": {"stage": "senior"}}) is True

    def test_equals_a_chinese_name(self):
        """是 with a Chinese name compares with the code it names."""
        assert value('student.stage 是 "普通高中"', {"student": {"stage": "senior"}}) is True

    def test_list_fact_contains_a_chinese_name(self):
        """包含 looks a code (given by its Chinese name) up in a list fact."""
        cond = 'evidence.documents 包含 "医院诊断证明"'
        assert value(cond, {"evidence": {"documents": ["hospital_diagnosis"]}}) is True
        assert value(cond, {"evidence": {"documents": ["household_register"]}}) is False

    def test_contains_a_list_means_all_of_them(self):
        """包含 [a, b] holds only when both are in the list."""
        cond = 'evidence.documents 包含 ["hospital_diagnosis", "inpatient_record"]'
        assert value(cond, {"evidence": {"documents": ["hospital_diagnosis"]}}) is False
        assert value(cond, {"evidence": {"documents": ["inpatient_record", "hospital_diagnosis"]}}) is True

    def test_numbers_in_a_list(self):
        """属于 works on numbers: graduating grades 6, 9, 12."""
        assert value("student.grade 属于 [6, 9, 12]", {"student": {"grade": 9}}) is True
        assert value("student.grade 属于 [6, 9, 12]", {"student": {"grade": 8}}) is False

    def test_count_in(self):
        """count_in counts the items of a list that are among others."""
        cond = 'count_in(results.failed_subjects, ["语文", "数学", "外语"]) 至少 2'
        assert value(cond, {"results": {"failed_subjects": ["chinese", "physics", "mathematics"]}}) is True
        assert value(cond, {"results": {"failed_subjects": ["chinese", "physics"]}}) is False


class TestDates:
    def test_date_plus_a_duration_parameter(self):
        """A date moves by a parameter in 年; 早于 today compares with the date asked."""
        cond = "absence.start_date + term 早于 today"
        assert value(cond, {"absence": {"start_date": "2024-03-02"}}) is True
        assert value(cond, {"absence": {"start_date": "2024-03-03"}}) is False

    def test_age_on_counts_full_years(self):
        """age_on gives full years (周岁): the birthday itself completes the year."""
        cond = "age_on(student.birth_date, date_in(2025, \"08-31\")) 满 age"
        assert value(cond, {"student": {"birth_date": "2019-08-31"}}) is True
        assert value(cond, {"student": {"birth_date": "2019-09-01"}}) is False


def column_of(text: str, needle: str) -> int:
    return text.index(needle) + 1


class TestErrors:
    def test_unit_mismatch(self):
        """Comparing 学分 with 学时 is unit_mismatch, at the comparison."""
        text = "results.total_credits 超过 hours"
        err = compile_error(text)
        assert err.code == "unit_mismatch"
        assert (err.node.line, err.node.column) == (1, 1)

    def test_unit_mismatch_in_arithmetic(self):
        """Adding 学时 to 学分 is unit_mismatch."""
        assert compile_error("absence.class_hours_missed + results.total_credits 超过 hours").code == "unit_mismatch"

    def test_date_moved_by_a_number_without_a_time_unit(self):
        """A date moves by 年/月/周/日 only; adding 学时 is unit_mismatch at the amount."""
        text = "absence.start_date + hours 早于 today"
        err = compile_error(text)
        assert (err.code, err.node.column) == ("unit_mismatch", column_of(text, "hours"))

    def test_unknown_fact_suggests_the_right_one(self):
        """A misspelt fact is unknown_fact, at its column, with the close fact as the hint."""
        text = "student.grade 是 9 且 absence.class_hour_missed 超过 hours"
        err = compile_error(text)
        assert (err.code, err.node.column) == ("unknown_fact", column_of(text, "absence"))
        assert "absence.class_hours_missed" in err.hint

    def test_group_is_not_a_fact(self):
        """Naming a group (student.school) where a fact is needed is fact_is_group."""
        assert compile_error("student.school 是 \"x\"").code == "fact_is_group"

    def test_unknown_parameter(self):
        """A bare name that is no parameter or definition is unknown_name, with the close one as hint."""
        text = "absence.class_hours_missed 超过 hour"
        err = compile_error(text)
        assert (err.code, err.node.column) == ("unknown_name", text.rindex("hour") + 1)
        assert "'hours'" in err.hint

    @pytest.mark.parametrize("text, needle", [
        ("student.stage 超过 hours", "student.stage"),
        ("student.birth_date 超过 3", "student.birth_date"),
        ("absence.still_unable_to_attend 且 absence.class_hours_missed", "absence.class_hours_missed"),
        ("absence.class_hours_missed", "absence.class_hours_missed"),
        ("student.grade 属于 hours", "hours"),
        ("student.grade 是 \"九\"", "student.grade"),
    ])
    def test_type_errors(self, text, needle):
        """Comparing or joining values of the wrong kind is condition_type, at a column inside the condition."""
        err = compile_error(text)
        assert err.code == "condition_type"
        assert 1 <= err.node.column <= len(text)

    def test_unknown_enum_value(self):
        """A value an enum does not have is unknown_value, at the quoted value."""
        text = 'student.stage 是 "高中"'
        err = compile_error(text)
        assert (err.code, err.node.column) == ("unknown_value", column_of(text, '"高中"'))

    def test_count_in_checks_the_codes(self):
        """A Chinese name in count_in's list that no code has is unknown_value."""
        assert compile_error('count_in(results.failed_subjects, ["语文", "数学课"]) 至少 2').code == "unknown_value"

    def test_unknown_function(self):
        """Calling a function that does not exist is unknown_function."""
        assert compile_error("cout(results.failed_subjects) 超过 2").code == "unknown_function"

    def test_wrong_number_of_arguments(self):
        """A function given the wrong number of arguments is function_arguments."""
        assert compile_error("count(results.failed_subjects, results.failed_subjects) 超过 2").code == "function_arguments"

    def test_wrong_argument_kind(self):
        """A function given an argument of the wrong kind is condition_type at that argument."""
        text = "count(absence.class_hours_missed) 超过 2"
        err = compile_error(text)
        assert (err.code, err.node.column) == ("condition_type", column_of(text, "absence"))

    @pytest.mark.parametrize("text, column", [
        ("absence.class_hours_missed 超过", len("absence.class_hours_missed 超过") + 1),
        ("absence.class_hours_missed @ hours", len("absence.class_hours_missed ") + 1),
        ("absence.class_hours_missed 超过 超过 hours", len("absence.class_hours_missed 超过 ") + 1),
        ('student.stage 属于 ["primary", "junior"', len('student.stage 属于 ["primary", "junior"') + 1),
        ("(student.disabled 且 student.migrant_worker_child", len("(student.disabled 且 student.migrant_worker_child") + 1),
    ])
    def test_syntax_errors_point_into_the_condition(self, text, column):
        """Unreadable text is condition_syntax at the column where reading stopped, with what was expected."""
        diag = P.parse(text)
        assert isinstance(diag, Diagnostic)
        assert (diag.code, diag.line, diag.column) == ("condition_syntax", 1, column)
        assert diag.hint

    def test_policy_text_is_never_evaluated(self):
        """Python in a condition is a syntax error, not code: __import__ is not a name the grammar reads."""
        diag = P.parse("__import__('os').system('true')")
        assert isinstance(diag, Diagnostic) and diag.code == "condition_syntax"

    def test_generated_code_names_only_grammar_tokens(self):
        """Fact paths and parameter names reach the generated source only as repr'd keys."""
        tree = P.parse("absence.class_hours_missed 超过 hours")
        compiled = Compiler().compile(tree, Scope({"hours": Type("number", "学时")}, {}), BOOL)
        assert set(re.findall(r"F\.get\('([^']*)'\)", compiled.code)) == {"absence.class_hours_missed"}
        assert "P['hours']" in compiled.code


class TestLogicWithKnownOperands:
    @pytest.mark.parametrize("text, facts, expected", [
        ('given(student.grade) 且 student.stage 不是 "senior"', {"student": {"grade": 8, "stage": "junior"}}, True),
        ('given(student.grade) 且 student.stage 不是 "senior"', {"student": {"grade": 8, "stage": "senior"}}, False),
        ('given(student.grade) 且 student.stage 不是 "senior"', {"student": {"grade": 8}}, None),
        ('given(student.grade) 且 student.stage 不是 "senior"', {"student": {"stage": "junior"}}, False),
        ('非 given(student.grade) 或 student.grade 在 6 以上', {"student": {}}, True),
        ('非 given(student.grade) 或 student.grade 在 6 以上', {"student": {"grade": 5}}, False),
        ('today 不是 today 或 student.grade 是 8', {"student": {"grade": 8}}, True),
        ('today 不是 today 或 student.grade 是 8', {"student": {"grade": 9}}, False),
    ])
    def test_operands_that_cannot_be_unknown_still_combine_three_valued(self, text, facts, expected):
        """An operand that is never unknown (given(), a comparison of dates) joins 且/或 like any other."""
        assert value(text, facts) is expected


class TestAnyTextIsSafe:
    from hypothesis import given as _given, settings as _settings, strategies as _st

    _alphabet = _st.sampled_from(list("abcxyz_.0123456789 ()[]\"',+-*/<>=!%") + [
        "超过", "以上", "以下", "不满", "在", "且", "或", "非", "属于", "包含", "今天", "前后", "以内", "学时", "三分之一",
        "student.grade", "absence.class_hours_missed", "hours", "credits", "term", "count(", "given(", "age_on(",
    ])

    @_settings(max_examples=300, deadline=None)
    @_given(_st.lists(_alphabet, max_size=12).map("".join))
    def test_parsing_and_compiling_any_text_gives_a_tree_or_a_diagnostic(self, text):
        """Whatever a policy file holds, parsing and type-checking it ends in a tree, a Diagnostic or a CompileError."""
        from xueji_rules.conditions.compile import CompileError

        tree = P.parse(text)
        if isinstance(tree, Diagnostic):
            assert tree.code == "condition_syntax" and tree.line >= 1 and tree.column >= 1
            return
        try:
            Compiler().compile(tree, Scope({n: t for n, (t, _) in PARAMETERS.items()}, {}), BOOL)
        except CompileError as exc:
            assert exc.code
