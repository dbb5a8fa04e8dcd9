"""Loading a policy folder: every failure mode reported with its code, file, line, column and path."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import xueji_rules as xr
from xueji_rules.errors import PolicyError, UnknownRegionError
from xueji_rules.load import Registry, check_policy, compile_policy

POLICIES = Path(__file__).parent / "policies"
BROKEN = POLICIES / "broken"

R0 = "questions.suspension.rules[0]"

#: case folder -> the diagnostic it must produce: (code, file in the folder, line, column, path).
#: Each folder is the same small valid policy with one thing broken.
CASES = {
    "malformed_yaml": ("yaml_syntax", "policy.yaml", 29, 8, ""),
    "duplicate_key": ("duplicate_key", "policy.yaml", 30, 9, f"{R0}.title"),
    "object_tag": ("yaml_tag", "policy.yaml", 28, 16, f"{R0}.title"),
    "alias_bomb": ("yaml_too_big", "extra.yaml", None, None, ""),
    "file_encoding": ("file_encoding", "extra.yaml", None, None, ""),
    "unknown_key": ("unknown_key", "policy.yaml", 32, 15, f"{R0}.quot"),
    "missing_key": ("missing_key", "policy.yaml", 27, 9, R0),
    "missing_article": ("missing_citation", "policy.yaml", 27, 9, R0),
    "bad_date": ("bad_value", "policy.yaml", 7, 21, "policy.regulation.effective_from"),
    "bad_name": ("bad_name", "policy.yaml", 25, 5, "questions.Suspension"),
    "missing_source": ("missing_source", "policy.yaml", 8, 13, "policy.regulation.source"),
    "unknown_article": ("unknown_article", "policy.yaml", 31, 18, f"{R0}.article"),
    "quote_not_in_article": ("quote_not_in_article", "policy.yaml", 32, 16, f"{R0}.quote"),
    "article_not_in_source": ("article_not_in_source", "policy.yaml", 13, 15, "articles.第一条.text"),
    "unknown_reading": ("unknown_reading", "policy.yaml", 33, 18, f"{R0}.reading"),
    "unknown_parameter": ("unknown_name", "policy.yaml", 30, 48, f"{R0}.require"),
    "unknown_fact": ("unknown_fact", "policy.yaml", 30, 18, f"{R0}.require"),
    "unknown_value": ("unknown_value", "policy.yaml", 30, 34, f"{R0}.require"),
    "type_error": ("condition_type", "policy.yaml", 30, 18, f"{R0}.require"),
    "unit_mismatch": ("unit_mismatch", "policy.yaml", 30, 18, f"{R0}.require"),
    "multiline_condition": ("unknown_fact", "policy.yaml", 32, 13, f"{R0}.require"),
    "condition_syntax": ("condition_syntax", "policy.yaml", 30, 47, f"{R0}.require"),
    "duplicate_rule_id": ("duplicate_id", "policy.yaml", 35, 13, "questions.suspension.rules[1].id"),
    "duplicate_parameter": ("duplicate_id", "policy.yaml", 18, 5, "parameters.hours"),
    "principle_without_exception_by": ("missing_exception_by", "policy.yaml", 35, 9, "questions.suspension.rules[1]"),
    "approval_without_approver": ("missing_approver", "policy.yaml", 27, 9, R0),
    "parameter_gap": ("parameter_gap", "policy.yaml", 23, 7, "parameters.hours.values"),
    "parameter_bad_date": ("bad_value", "policy.yaml", 24, 19, "parameters.hours.values.2015-02-30"),
    "article_unaccounted": ("article_unaccounted", "policy.yaml", 9, 22, "policy.regulation.article_heading"),
    "omitted_unknown_article": ("unknown_article", "policy.yaml", 40, 15, "omitted[3].article"),
    "review_without_reading": ("review_without_reading", "policy.yaml", 46, 13, "questions.transfer.rules[1].procedure[0]"),
    "procedure_strength": ("procedure_strength", "policy.yaml", 55, 20, "questions.transfer.rules[2].procedure[0].kind"),
    "missing_party": ("missing_party", "policy.yaml", 66, 13, "questions.borrowing.rules[0].procedure[1]"),
    "procedure_words": ("quote_not_in_article", "policy.yaml", 39, 75, "questions.transfer.rules[0].procedure[0].words"),
    "bad_choice": ("bad_choice", "policy.yaml", 21, 13, "readings.review_is_approval.chosen"),
    "quote_value_mismatch": ("quote_value_mismatch", "policy.yaml", 22, 12, "parameters.hours.value"),
    "bad_positions": ("bad_positions", "policy.yaml", 43, 47, "student_ids.pupil.fields[1].positions"),
    # layers: a folder `layer/` extending `../base` (or `../city`, which extends `../base`)
    "nothing_to_replace": ("nothing_to_replace", "layer/policy.yaml", 20, 19, "questions.suspension.rules[0].replaces"),
    "parameter_set_twice": ("parameter_set_twice", "layer/policy.yaml", 17, 5, "parameters.hours"),
    "parameter_exists": ("parameter_exists", "layer/policy.yaml", 17, 5, "parameters.hours"),
    "nothing_to_override": ("nothing_to_override", "layer/policy.yaml", 20, 16, "parameters.hour.overrides"),
    "nothing_to_repeal": ("nothing_to_repeal", "layer/policy.yaml", 16, 34, "repeals[0].rule"),
    "foreign_article": ("foreign_article", "layer/policy.yaml", 24, 18, "questions.suspension.rules[0].article"),
    "unknown_parent": ("unknown_parent", "layer/policy.yaml", 4, 12, "policy.extends"),
}


def target(folder: Path) -> Path:
    """The policy a case folder checks: the folder itself, or its `layer/` over a parent folder beside it."""
    return folder / "layer" if (folder / "layer").is_dir() else folder


def as_tuple(diag, folder: Path):
    file = Path(diag.file).resolve().relative_to(folder.resolve()).as_posix()
    return (diag.code, file, diag.line, diag.column, diag.path)


class TestBrokenPolicies:
    def test_every_case_folder_is_checked(self):
        """Each folder under tests/policies/broken has an expectation here, and each expectation a folder."""
        folders = {p.name for p in BROKEN.iterdir() if p.is_dir()} - {"many_errors"}
        assert folders == set(CASES)

    @pytest.mark.parametrize("case", sorted(CASES))
    def test_failure_is_reported_where_it_is(self, case):
        """The broken policy fails to load with the expected code, at the expected file, line, column and path."""
        folder = BROKEN / case
        with pytest.raises(PolicyError) as info:
            compile_policy(target(folder))
        found = [as_tuple(d, folder) for d in info.value.diagnostics]
        assert CASES[case] in found

    @pytest.mark.parametrize("case", sorted(c for c in CASES if (BROKEN / c / "layer").is_dir()))
    def test_a_layer_has_exactly_its_one_problem(self, case):
        """Each layered fixture is valid but for the one thing broken, and its parents are valid."""
        folder = BROKEN / case
        assert [as_tuple(d, folder) for d in check_policy(folder / "layer")] == [CASES[case]]
        for parent in ("base", "city"):
            if (folder / parent).is_dir():
                assert check_policy(folder / parent) == []

    def test_unknown_key_hint_names_the_key_meant(self):
        """A misspelt key's hint suggests the allowed key it resembles."""
        diag = next(d for d in check_policy(BROKEN / "unknown_key") if d.code == "unknown_key")
        assert "'quote'" in diag.hint

    def test_duplicate_key_names_both_positions(self):
        """A repeated key's message gives the line of its first and its second appearance."""
        diag = next(d for d in check_policy(BROKEN / "duplicate_key") if d.code == "duplicate_key")
        assert {"28", "30"} <= set(re.findall(r"\d+", diag.message))

    def test_object_tags_are_never_constructed(self, capfd):
        """A !!python/object tag is refused; the command it names never runs."""
        check_policy(BROKEN / "object_tag")
        assert "hi" not in capfd.readouterr().out


class TestAllDiagnostics:
    def test_policy_error_carries_every_diagnostic(self):
        """A policy with three problems in two files raises one PolicyError holding all three."""
        folder = BROKEN / "many_errors"
        with pytest.raises(PolicyError) as info:
            compile_policy(folder)
        found = {as_tuple(d, folder)[:2] + (d.path,) for d in info.value.diagnostics}
        assert found == {
            ("unknown_fact", "policy.yaml", f"{R0}.require"),
            ("unknown_reading", "policy.yaml", f"{R0}.reading"),
            ("unknown_key", "questions/more.yaml", "questions.transfer.certificate"),
        }

    def test_nothing_is_cached_for_a_broken_policy(self):
        """A registry asked for a broken policy raises each time and keeps nothing."""
        registry = Registry()
        for _ in range(2):
            with pytest.raises(PolicyError):
                registry.get(BROKEN / "unknown_fact")
        assert registry._policies == {}

    def test_check_policy_returns_diagnostics_sorted(self):
        """check_policy lists every problem in file, line and column order."""
        diags = check_policy(BROKEN / "many_errors")
        keys = [(d.file, d.line or 0, d.column or 0) for d in diags]
        assert len(diags) == 3 and keys == sorted(keys)

    def test_error_text_is_file_line_col_code(self):
        """A diagnostic prints as file:line:col: code: message."""
        diag = next(d for d in check_policy(BROKEN / "unknown_fact"))
        assert str(diag).startswith(f"{diag.file}:{diag.line}:{diag.column}: unknown_fact: ")


class TestValidPolicies:
    @pytest.mark.parametrize("name", ["tiny", "tiny_graduation"])
    def test_test_policies_are_valid(self, name):
        """The small test policies load with no diagnostics."""
        assert check_policy(POLICIES / name) == []

    def test_a_registry_compiles_once(self):
        """Asking a registry twice for the same folder returns the same Policy object."""
        registry = Registry()
        assert registry.get(POLICIES / "tiny") is registry.get(POLICIES / "tiny")

    def test_unknown_region(self):
        """A name that is neither a region nor a folder raises UnknownRegionError."""
        with pytest.raises(UnknownRegionError):
            xr.load_policy("atlantis")


class TestContentHash:
    def test_hash_is_stable(self, tmp_path):
        """The same files give the same content hash, wherever the folder is."""
        copy = tmp_path / "tiny"
        shutil.copytree(POLICIES / "tiny", copy)
        assert compile_policy(copy).content_hash == compile_policy(POLICIES / "tiny").content_hash

    def test_hash_changes_with_a_parameter(self, tmp_path):
        """Changing one threshold changes the content hash."""
        copy = tmp_path / "tiny"
        shutil.copytree(POLICIES / "tiny", copy)
        policy = copy / "policy.yaml"
        policy.write_text(policy.read_text(encoding="utf-8").replace("2030-01-01: 200", "2030-01-01: 190"), encoding="utf-8")
        assert compile_policy(copy).content_hash != compile_policy(POLICIES / "tiny").content_hash

    def test_hash_changes_with_the_source_text(self, tmp_path):
        """Changing the regulation's source text changes the content hash."""
        copy = tmp_path / "tiny"
        shutil.copytree(POLICIES / "tiny", copy)
        with open(copy / "source" / "text.txt", "a", encoding="utf-8") as f:
            f.write("\n第五条 附则。\n")
        assert compile_policy(copy).content_hash != compile_policy(POLICIES / "tiny").content_hash


class TestOmittedArticles:
    def test_articles_are_found_by_heading_and_part(self):
        """Part headings restart the numbering and prefix the ids; a pattern's group gives the id."""
        from xueji_rules.articles import headings

        text = "第一部分 义务教育\n第一条甲。\n第二条乙。\n第二部分 高中\n第一条丙。\n"
        assert headings(text, "第[一二三四五六七八九十]+条", "第[一二]部分") == [
            "第一部分第一条", "第一部分第二条", "第二部分第一条"]
        assert headings("一、甲\n(一)乙\n二、丙\n", "([一二三四]+)、") == ["一", "二"]

    def test_an_item_accounts_for_its_article_but_not_for_a_longer_number(self):
        """第八条第8项 is of 第八条; 第十一条 is not of 第十条, and 二十 is not of 二."""
        from xueji_rules.articles import belongs

        assert belongs("第一部分第八条第8项", "第一部分第八条")
        assert not belongs("第十一条", "第十条") and not belongs("二十", "二") and belongs("二(一)1", "二")

    def test_a_loaded_policy_carries_its_omissions(self):
        """A loaded policy carries each omission with its kind, reason and layer."""
        from xueji_rules.load import compile_policy

        folder = BROKEN / "omitted_unknown_article"
        text = (folder / "policy.yaml").read_text(encoding="utf-8").replace("  - {article: 第五条, kind: 范围与效力, reason: 没有这一条}\n", "")
        import shutil, tempfile

        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(folder, tmp, dirs_exist_ok=True)
            (Path(tmp) / "policy.yaml").write_text(text, encoding="utf-8")
            policy = compile_policy(tmp)
        assert [(o.article, o.kind) for o in policy.omitted] == [("第二条", "待编码"), ("第三条", "不涉及学生"), ("第四条", "范围与效力")]


def test_an_extends_cycle_is_reported_alone(tmp_path):
    """Two layers extending each other: one extends_cycle, not the 19 duplicate_id echoes it used to cause."""
    import shutil

    for name, other in (("a", "b"), ("b", "a")):
        shutil.copytree(POLICIES / "tiny", tmp_path / name)
        path = tmp_path / name / "policy.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("  id: tiny", f"  id: {name}\n  extends: ../{other}", 1),
                        encoding="utf-8")
    assert [d.code for d in check_policy(tmp_path / "a")] == ["extends_cycle"]


@pytest.mark.parametrize("text, value", [("超过210个学时", 210), ("两周内", 2), ("两周内", 14), ("三分之一", "1/3"),
                                         ("不得多于在籍生数的5%", "5%"), ("百分之五", "0.05"), ("一年以上", 12)])
def test_a_quote_states_the_number_in_any_of_its_forms(text, value):
    """Written numbers count: 两周 is 2 weeks or 14 days, 三分之一 is 1/3, 5% is 0.05."""
    from xueji_rules.conditions.parse import read_number
    from xueji_rules.quoted_numbers import numbers_in

    assert read_number(str(value)) in numbers_in(text)


def test_sixteen_full_years_is_not_a_number_of_weeks():
    from xueji_rules.quoted_numbers import numbers_in

    assert numbers_in("年满十六周岁") == {16}


def test_a_file_linking_outside_the_policy_folder_is_refused(tmp_path):
    """A symlinked questions/*.yaml (or any policy file) that leaves the folder is an error, not read."""
    import shutil

    shutil.copytree(POLICIES / "tiny", tmp_path / "tiny")
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("definitions:\n  sneaky: student.grade 是 8\n", encoding="utf-8")
    (tmp_path / "tiny" / "questions" / "extra.yaml").symlink_to(outside)
    assert [d.code for d in check_policy(tmp_path / "tiny")] == ["file_outside_policy"]
