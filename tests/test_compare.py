"""Regions side by side (xueji_rules.compare): matching parameters, deciding articles, the three outputs."""

from __future__ import annotations

import datetime as dt
import html.parser
import re
import shutil
from pathlib import Path

import pytest

import xueji_rules as xr
from xueji_rules._width import display_width, table, wrap
from xueji_rules.compare import (
    comparison_word,
    compare_decisions,
    compare_parameters,
    deciding_rule,
    load_regions,
    render_html,
    render_markdown,
    render_text,
)
from xueji_rules.errors import PolicyError, UnknownRegionError
from xueji_rules.load import compile_policy

HERE = Path(__file__).parent
TINY = HERE / "policies" / "tiny"
LAYER = HERE / "policies" / "tiny_layer"
DAY = dt.date(2025, 6, 30)

JUNIOR_205 = {
    "student": {"stage": "junior", "grade": 8},
    "absence": {"reason": "illness", "class_hours_missed": 205, "still_unable_to_attend": True},
    "evidence": {"hospital_level": "county"},
}


@pytest.fixture(scope="module")
def tiny_pair():
    return load_regions([TINY, LAYER])


def _copy_pair(tmp_path) -> tuple[Path, Path]:
    """A copy of tiny and of its layer, the layer extending the copy."""
    shutil.copytree(TINY, tmp_path / "tiny")
    shutil.copytree(LAYER, tmp_path / "tiny_layer")
    return tmp_path / "tiny", tmp_path / "tiny_layer"


# -- the words of comparison ----------------------------------------------------------------


@pytest.mark.parametrize("quote, word", [
    ("连续缺课累计超过210个学时", ("超过", ">")),
    ("学生在校学习一年以上的退学者", ("以上", "≥")),
    ("借读生的数额不得多于在籍生数的5%", ("不得多于", "≤")),
    ("总学分达到144分", ("达到", "≥")),
    ("最多不超过两年", ("最多", "≤")),
    ("三年中获得116个必修学分", None),
    (None, None),
])
def test_comparison_word_is_read_off_the_quote(quote, word):
    """The first word of comparison in the quotation, the longest at a position (不得多于 before 多于)."""
    assert comparison_word(quote) == word


# -- parameters ------------------------------------------------------------------------------


def test_parameters_are_matched_by_name_and_differences_kept(tiny_pair):
    """`hours` is 210 in tiny and 200 in its layer; `fraction` and `term` are the same and not shown."""
    t = compare_parameters(tiny_pair, DAY)
    assert [r.id for r in t.regions] == ["tiny", "tiny_layer"]
    assert [r.key for r in t.differing] == ["hours"]
    (row,) = t.differing
    (a,), (b,) = row.cells
    assert (a.value, a.unit, a.article, b.value, b.article) == (210, "学时", "第一条", 200, "四")
    # the layer changes only the number: the word 超过 is the parent's
    assert (a.value_text, b.value_text) == ("超过 210 学时", "超过 200 学时")
    assert b.quote == "四、休学学时标准调整为二百学时。"  # no quote of its own: the article's text
    assert {r.key for r in t.rows} == {"hours", "fraction", "term", "window", "ten_working_days"}
    assert not next(r for r in t.rows if r.key == "window").differs  # only one region has it


def test_values_are_those_in_force_on_the_date(tiny_pair):
    """Before the layer takes effect both regions say 210: nothing differs."""
    t = compare_parameters(tiny_pair, dt.date(2020, 2, 1))
    assert t.differing == ()


def test_a_compare_key_matches_different_names(tmp_path):
    """Parameters with the same `compare:` key are one row whatever their names; a region
    without it is still shown (that it has no such threshold is the difference)."""
    a, b = _copy_pair(tmp_path)
    p = a / "policy.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace(
        "  hours:\n    title: 缺课学时\n", "  hours:\n    title: 缺课学时\n    compare: suspension_class_hours\n"), encoding="utf-8")
    c = tmp_path / "other"
    shutil.copytree(TINY, c)
    p = c / "policy.yaml"
    text = p.read_text(encoding="utf-8").replace("  hours:\n    title: 缺课学时\n",
                                                 "  class_hours:\n    title: 缺课学时\n    compare: suspension_class_hours\n")
    p.write_text(text.replace("  term:\n    title: 休学期限\n", "  term:\n    title: 休学期限\n    compare: suspension_term\n"),
                 encoding="utf-8")
    q = c / "questions" / "suspension.yaml"
    q.write_text(q.read_text(encoding="utf-8").replace("超过 hours", "超过 class_hours"), encoding="utf-8")
    t = compare_parameters(load_regions([a, c]), dt.date(2031, 1, 1))
    rows = {r.key: r for r in t.rows}
    row = rows["suspension_class_hours"]
    assert row.explicit and row.same and not row.differs  # 200 in both on 2031-01-01
    assert [x[0].name for x in row.cells] == ["hours", "class_hours"]
    # tiny's `term` has no compare key, the other's has: two rows, the explicit one shown
    assert rows["suspension_term"].differs and rows["suspension_term"].cells[0] == ()


def test_the_layer_of_each_value_is_kept(tiny_pair):
    t = compare_parameters(tiny_pair, DAY)
    (row,) = t.differing
    assert [c[0].layer for c in row.cells] == ["tiny", "tiny_layer"]


# -- decisions ----------------------------------------------------------------------------------


def test_each_region_answers_the_same_facts(tiny_pair):
    """205 hours: tiny denies (its article 第一条), the layer allows with approval."""
    rows = compare_decisions(tiny_pair, "suspension", JUNIOR_205, DAY)
    got = [(r.region.id, r.outcome, r.failed, r.article, r.rule) for r in rows]
    assert got == [
        ("tiny", "denied", (("compulsory_hours", "第一条"),), "第一条", "compulsory_hours"),
        ("tiny_layer", "allowed_with_approval", (), "第一条", "compulsory_hours"),
    ]
    assert rows[1].approvers == ("教育行政部门",) and rows[0].outcome_zh == "不允许"


def test_the_deciding_rule_is_the_one_that_gives_the_outcome(tiny_pair):
    """With a 原则上不 and a 不得 rule failing, `denied` rests on the 不得 rule."""
    facts = {"student": {"stage": "junior", "grade": 9}, "evidence": {"hospital_level": "township"},
             "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True}}
    d = xr.ask(tiny_pair[1], "suspension", facts, on=dt.date(2025, 3, 3))
    assert d.outcome == "denied" and d.failed[0] == "not_graduating"
    assert deciding_rule(d).id == "county_hospital"
    d = xr.ask(tiny_pair[0], "suspension", facts, on=dt.date(2025, 3, 3))
    assert d.outcome == "denied_unless_exception" and deciding_rule(d).article == "第二条"


def test_no_rule_decides_when_no_ground_applies(tiny_pair):
    """After the layer repeals the senior rule, a senior student has no ground at all: why is None."""
    facts = {"student": {"stage": "senior", "grade": 10},
             "absence": {"reason": "other", "class_hours_missed": 101, "year_total_class_hours": 300}}
    rows = compare_decisions(tiny_pair, "suspension", facts, DAY)
    assert [(r.outcome, r.article) for r in rows] == [("allowed", "第三条"), ("denied", None)]


def test_an_undetermined_answer_rests_on_the_unknown_rule(tiny_pair):
    d = xr.ask(tiny_pair[0], "suspension", {"student": {"stage": "senior", "grade": 10}}, on=DAY)
    assert d.outcome == "undetermined" and deciding_rule(d).id == "senior_third"


def test_a_region_without_the_question_gets_a_row_with_an_error(tiny_pair):
    grad = compile_policy(HERE / "policies" / "tiny_graduation")
    rows = compare_decisions([tiny_pair[0], grad], "suspension", JUNIOR_205, DAY)
    assert rows[0].outcome == "denied" and rows[1].outcome is None and "no question 'suspension'" in rows[1].error


def test_bad_facts_are_an_error_for_all(tiny_pair):
    with pytest.raises(xr.FactsError):
        compare_decisions(tiny_pair, "suspension", {"absence": {"reasn": "illness"}}, DAY)


# -- regions that are not ready ------------------------------------------------------------------


def test_a_region_still_being_written_is_a_clear_error(tmp_path, monkeypatch):
    """A folder under policies/ with only its source text: 'not ready', not a crash."""
    root = tmp_path / "policies"
    (root / "nanchang" / "source").mkdir(parents=True)
    shutil.copytree(TINY, root / "tiny")
    monkeypatch.setenv("XUEJI_POLICIES", str(root))
    with pytest.raises(UnknownRegionError, match="nanchang is not ready: .* has no policy.yaml yet"):
        load_regions(["tiny", "nanchang"])


def test_a_region_that_does_not_validate_says_how_to_see_why(tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(TINY, broken)
    q = broken / "questions" / "suspension.yaml"
    q.write_text(q.read_text(encoding="utf-8").replace("article: 第三条", "article: 第九条"), encoding="utf-8")
    with pytest.raises(PolicyError) as exc:
        load_regions([TINY, broken])
    assert "is not ready: its policy does not validate (1 problem; first:" in exc.value.message
    assert "unknown_article" in exc.value.message and "xueji validate" in exc.value.message


def test_an_unknown_region_is_unknown():
    with pytest.raises(UnknownRegionError, match="no policy 'atlantis'"):
        load_regions(["atlantis"])


# -- output -------------------------------------------------------------------------------------------


def test_display_width_counts_chinese_as_two():
    assert display_width("abc") == 3
    assert display_width("学时") == 4
    assert display_width("（三分之一）") == 12
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    assert display_width("a\u200bb") == 2  # nor does a zero-width space


def test_ambiguous_width_can_be_set(monkeypatch):
    """Ⅱ is East Asian Ambiguous: one column by default, two in a terminal set to wide."""
    assert display_width("选修Ⅱ") == 5
    monkeypatch.setenv("XUEJI_AMBIGUOUS_WIDTH", "2")
    assert display_width("选修Ⅱ") == 6


def _starts(line: str, cells: list[str]) -> list[int]:
    """Display column at which each cell starts in a rendered table line."""
    out, at = [], 0
    for cell in cells:
        i = line.index(cell, at)
        out.append(display_width(line[:i]))
        at = i + len(cell)
    return out


def test_table_columns_line_up_by_display_width():
    rows = [["hours", "缺课学时", "210"], ["senior_elective_ii_credits", "选修Ⅱ学分（至少）", "6"], ["x", "a\u0301b", "1/3"]]
    lines = table(["name", "title", "value"], rows).split("\n")
    head = _starts(lines[0], ["name", "title", "value"])
    for line, row in zip(lines[2:], rows):
        assert _starts(line, row) == head


def test_wrapped_cells_break_between_chinese_characters_and_never_before_closing_punctuation():
    lines = wrap("学生因伤病或不可抗拒原因连续缺课累计超过210个学时仍不能上学的,可以办理休学手续。", 12)
    assert all(display_width(x) <= 13 for x in lines)  # closing punctuation may hang by one
    assert not any(x[0] in "，。,」" for x in lines)
    assert "".join(lines) == "学生因伤病或不可抗拒原因连续缺课累计超过210个学时仍不能上学的,可以办理休学手续。"


def test_text_output(tiny_pair):
    t = compare_parameters(tiny_pair, DAY)
    rows = compare_decisions(tiny_pair, "suspension", JUNIOR_205, DAY)
    text = render_text(t, rows, question="suspension")
    assert "超过 210 学时" in text and "超过 200 学时" in text
    assert "decisions: suspension 2025-06-30" in text
    assert re.search(r"^tiny\s+denied\s+compulsory_hours\s+第一条\s*$", text, re.M)
    assert re.search(r"^\s+不允许\s+（第一条）\s+compulsory_hours", text, re.M)


def test_markdown_escapes_table_syntax(tiny_pair):
    t = compare_parameters(tiny_pair, DAY)
    rows = compare_decisions(tiny_pair, "suspension", JUNIOR_205, DAY)
    md = render_markdown(t, rows, question="suspension")
    lines = md.splitlines() + [""]
    start = next(i for i, x in enumerate(lines) if x.startswith("| parameter"))
    params = lines[start:lines.index("", start)]
    assert {len(re.findall(r"(?<!\\)\|", x)) for x in params} == {4}  # | parameter | tiny | tiny_layer |
    start = next(i for i, x in enumerate(lines) if x.startswith("| region"))
    decisions = lines[start:lines.index("", start)]
    assert {len(re.findall(r"(?<!\\)\|", x)) for x in decisions} == {6} and len(decisions) == 4
    assert "超过 210 学时<br>第一条" in md


class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_escapes_everything(tmp_path):
    """A title with markup in a policy shows as text, never as markup; nothing is fetched or run."""
    a, b = _copy_pair(tmp_path)
    p = a / "policy.yaml"
    p.write_text(p.read_text(encoding="utf-8").replace("title: 测试规定", 'title: "测试<script>alert(1)</script>规定 & \\"x\\""'),
                 encoding="utf-8")
    policies = load_regions([a, b])
    page = render_html(compare_parameters(policies, DAY), compare_decisions(policies, "suspension", JUNIOR_205, DAY),
                       question="suspension", title="a <b>title</b>")
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;title&lt;/b&gt;" in page
    parser = _Collector()
    parser.feed(page)
    tags = {t for t, _ in parser.tags}
    assert not tags & {"script", "link", "img", "iframe"}
    assert not any("src" in attrs or "href" in attrs for _, attrs in parser.tags)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "测试<script>alert(1)</script>规定" in "".join(parser.text)


def test_to_dict_is_json_ready(tiny_pair):
    import json

    t = compare_parameters(tiny_pair, DAY)
    rows = compare_decisions(tiny_pair, "suspension", JUNIOR_205, DAY)
    doc = json.loads(json.dumps({**t.to_dict(), "decisions": [r.to_dict() for r in rows]}, ensure_ascii=False))
    (hours,) = doc["parameters"]
    assert hours["cells"][0][0]["word"] == "超过" and hours["cells"][0][0]["meaning"] == ">"
    assert doc["decisions"][0]["failed"] == [{"rule": "compulsory_hours", "article": "第一条"}]


# -- the bundled regions ------------------------------------------------------------------------------


def test_jiangsu_against_the_tiny_policies():
    """jiangsu shares no parameter name with tiny: nothing is matched by name alone."""
    policies = load_regions(["jiangsu", TINY, LAYER])
    t = compare_parameters(policies, DAY)
    assert all(not (r.cells[0] and (r.cells[1] or r.cells[2])) for r in t.rows if not r.explicit)
    rows = compare_decisions(policies, "suspension", JUNIOR_205, DAY)
    assert [r.region.id for r in rows] == ["jiangsu", "tiny", "tiny_layer"]
    assert rows[0].outcome == "denied" and rows[0].article == "第一部分第十六条"


def _loadable(*names) -> bool:
    try:
        load_regions(names)
    except (PolicyError, UnknownRegionError):
        return False
    return True


@pytest.mark.skipif(not _loadable("jiangsu", "shandong", "nanchang"), reason="shandong or nanchang not ready")
def test_the_three_regions_side_by_side():
    """The real three: what differs is shown with each region's own article; the suspension
    threshold (by its compare key) is 超过 210 学时 and 超过 1/3 in jiangsu and absent elsewhere."""
    policies = load_regions(["jiangsu", "shandong", "nanchang"])
    t = compare_parameters(policies, dt.date(2025, 3, 3))
    assert t.differing
    for row in t.differing:
        for policy, cells in zip(policies, row.cells):
            for c in cells:
                assert c.article in policy.articles
    rows = {r.key: r for r in t.differing}
    if "suspension_threshold" in rows:
        js, sd, nc = rows["suspension_threshold"].cells
        assert {c.value_text for c in js} == {"超过 210 学时", "超过 1/3"} and sd == () and nc == ()
    if "class_cap_secondary" in rows:
        assert [c[0].value if c else None for c in rows["class_cap_secondary"].cells] == [None, 50, 50]
    text = render_text(t, compare_decisions(policies, "suspension", JUNIOR_205, dt.date(2025, 3, 3)), question="suspension")
    assert "decisions: suspension 2025-03-03" in text and "第十七条" in text
