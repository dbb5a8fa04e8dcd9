"""The coverage report (`xueji test --report`): a row per article of the text, what encodes and tests it; checked in Chromium."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

import xueji_rules as xr
from xueji_rules.articles import belongs
from xueji_rules.cli import main
from xueji_rules.compliance.runner import run_suite
from xueji_rules.toolkit.report import ReportError, build, build_all, read_mutation
from xueji_rules.toolkit.report_page import render

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def jiangsu():
    suite = run_suite("jiangsu")
    return suite, build(suite, None, "jiangsu")


@pytest.fixture(scope="module")
def jinxiang():
    suite = run_suite("shandong/jinxiang")
    return suite, build(suite, None, "shandong/jinxiang")


def _rows(report):
    return [r for layer in report["layers"] for r in layer["articles"]]


def _mutation_file(tmp_path, data) -> str:
    path = tmp_path / "mutants.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


class TestModel:
    def test_one_row_per_article_of_the_text_in_its_order(self, jiangsu):
        """The rows are the text's articles as articles.py finds them by heading, in the text's order."""
        _, report = jiangsu
        policy = xr.load_policy("jiangsu")
        assert [r["article"] for r in _rows(report)] == [a for a, _ in policy.layers[0].sections]
        assert len(_rows(report)) == 54 and report["articles"] == 54
        assert _rows(report)[0]["text"].startswith("第一条")

    def test_a_layered_policy_has_a_table_per_text(self, jinxiang):
        """A county layer over its province: the province's articles, then the county notice's, each in order."""
        _, report = jinxiang
        policy = xr.load_policy("shandong/jinxiang")
        assert [l["id"] for l in report["layers"]] == ["shandong", "shandong/jinxiang"]
        for layer, info in zip(report["layers"], policy.layers):
            assert [r["article"] for r in layer["articles"]] == [a for a, _ in info.sections]
        two = next(r for r in report["layers"][1]["articles"] if r["article"] == "二")
        assert not two["covered"] and two["uncovered"] and set(two["uncovered"]) < set(two["cited"])  # partly covered

    @pytest.mark.parametrize("region", ["jiangsu", "shandong/jinxiang"])
    def test_every_rule_and_omission_is_in_the_row_of_its_article(self, region, jiangsu, jinxiang):
        """Each rule appears once, under the article (or item) it cites; each omission likewise."""
        suite, report = jiangsu if region == "jiangsu" else jinxiang
        policy = suite.policy
        placed = [(r["question"], r["id"]) for row in _rows(report) for r in row["rules"]
                  if r["question"] != "student_id"]
        assert sorted(placed) == sorted((q.id, r.id) for q in policy.questions.values() for r in q.rules)
        for row in _rows(report):
            assert all(belongs(r["article"], row["article"]) for r in row["rules"])
        omitted = sorted((o["article"], row["layer"]) for row in _rows(report) for o in row["omitted"])
        assert omitted == sorted((o.article, o.layer) for o in policy.omitted)

    def test_statuses(self, jiangsu):
        """第八条 has items encoded and items omitted; 第一条 is omitted with its kind and reason; 第十六条 encoded."""
        _, report = jiangsu
        row = {r["article"]: r for r in _rows(report)}
        assert row["第一部分第八条"]["status"] == "partly"
        first = row["第一部分第一条"]
        assert first["status"] == "omitted" and first["omitted"][0]["kind"] == "行政职责" and first["omitted"][0]["reason"]
        assert row["第一部分第十六条"]["status"] == "encoded" and row["第一部分第十六条"]["covered"]
        assert report["status_counts"]["unaccounted"] == 0

    def test_a_rule_shows_its_words_parameters_readings_procedure_and_cases(self, jiangsu):
        """The 210-hour rule: the text's words, 210 from its date, the 超过 reading with its text, and the 210-hour cases."""
        _, report = jiangsu
        row = next(r for r in _rows(report) if r["article"] == "第一部分第十六条")
        rule = next(r for r in row["rules"] if r["id"] == "compulsory_class_hours")
        assert rule["strength"] == "可以" and rule["strength_en"] == "permitted"
        assert "超过210个学时" in rule["quote"]
        param = next(p for p in rule["parameters"] if p["name"] == "compulsory_suspension_class_hours")
        assert param["values"] == [["2008-09-01", "210"]]
        reading = next(x for x in rule["readings"] if x["id"] == "exceeds_excludes_the_number")
        assert "不含" in reading["text"] and reading["en"]
        exact = [c for c in rule["cases"] if "恰好210学时" in c["note"]]
        assert exact and exact[0]["status"] == "failed" and exact[0]["file"].endswith("tests/suspension.yaml")
        assert isinstance(exact[0]["line"], int)
        assert any(c["status"] == "held" for c in rule["cases"])

    def test_procedure_entries_say_who(self, jiangsu):
        """第二十条's illness rule lists the bureau's approval (a gate) and its filing (not one)."""
        _, report = jiangsu
        rule = next(r for row in _rows(report) for r in row["rules"] if r["id"] == "compulsory_illness_documents")
        kinds = {(p["kind"], p["by"], p["gate"]) for p in rule["procedure"]}
        assert ("批准", "教育行政部门", True) in kinds and ("备案", "教育行政部门", False) in kinds

    def test_no_fact_value_is_in_the_report(self, jiangsu):
        """Cases are shown by note and place: their facts (personal data) are not copied into the report."""
        _, report = jiangsu
        cases = [c for row in _rows(report) for r in row["rules"] for c in r["cases"]]
        assert cases and all(set(c) == {"file", "line", "note", "on", "status", "passed"} for c in cases)


class TestMutationInput:
    def test_per_article_figures_add_up_items(self, jiangsu, tmp_path):
        """Items of one article (第八条第2项, 第5项) add up on the article's row; the score leaves equivalents out."""
        suite, _ = jiangsu
        path = _mutation_file(tmp_path, {"format": "xueji-mutate/1", "policies": [{"policy": "jiangsu", "articles": [
            {"article": "第一部分第十六条", "mutants": 10, "killed": 8, "equivalent": 1,
             "survivors": [{"file": "policies/jiangsu/questions/suspension.yaml", "line": 12, "mutation": "超过 → 以上",
                            "closest": "policies/jiangsu/tests/suspension.yaml:17"}]},
            {"article": "第一部分第八条第2项", "mutants": 4, "killed": 4},
            {"article": "第一部分第八条第5项", "mutants": 3, "survivors": [{"mutation": "且 → 或"}]},
            {"article": "第九十九条", "mutants": 1, "killed": 1}]}]})
        report = build(suite, read_mutation(path), "jiangsu")
        row = {r["article"]: r for r in _rows(report)}
        m16 = row["第一部分第十六条"]["mutation"]
        assert (m16["mutants"], m16["killed"], m16["equivalent"]) == (10, 8, 1) and m16["score"] == pytest.approx(8 / 9)
        assert m16["survivors"][0]["mutation"] == "超过 → 以上"
        m8 = row["第一部分第八条"]["mutation"]
        assert (m8["mutants"], m8["killed"]) == (7, 6)  # killed omitted: mutants - equivalent - survivors
        assert row["第一部分第一条"]["mutation"] is None
        assert report["mutation_unmatched"] == ["第九十九条"]
        assert report["mutation"]["mutants"] == 18

    @pytest.mark.parametrize("data, words", [
        ([1, 2], "expected an object"),
        ({"format": "other/2", "policies": []}, "format"),
        ({"policies": [{"articles": []}]}, "policy"),
        ({"policies": [{"policy": "jiangsu", "articles": [{"article": "第一条", "mutants": -1}]}]}, "mutants"),
        ({"policies": [{"policy": "jiangsu", "articles": [{"article": "第一条", "mutants": 1, "killed": 2}]}]}, "more than"),
    ])
    def test_a_file_not_in_the_shape_is_refused(self, tmp_path, data, words):
        """A mutation result in another shape is an error naming what is wrong, not a wrong score."""
        with pytest.raises(ReportError, match=words):
            read_mutation(_mutation_file(tmp_path, data))


class TestPage:
    def test_everything_is_escaped(self, jiangsu):
        """Text from a policy or a case file cannot become markup: titles, reasons and notes are escaped."""
        _, report = jiangsu
        data = json.loads(json.dumps(build_all([jiangsu[0]], None)))
        evil = '<img src=x onerror="alert(1)">&'
        row = data["policies"][0]["layers"][0]["articles"][15]
        row["rules"][0]["title"] = evil
        row["rules"][0]["cases"][0]["note"] = evil
        data["policies"][0]["layers"][0]["articles"][0]["omitted"][0]["reason"] = evil
        page = render(data)
        assert "<img" not in page and page.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;") == 3

    def test_the_page_is_self_contained(self, jiangsu):
        """Nothing is fetched: no link, no external script, style or image, no address."""
        page = render(build_all([jiangsu[0]], None))
        for needle in ("http://", "https://", "<link", "src=", "@import", "url("):
            assert needle not in page


class TestCommand:
    def test_html_and_json(self, tmp_path, monkeypatch):
        """--report FILE.html writes the page and FILE.json the model; the cases' result and exit code are unchanged."""
        monkeypatch.chdir(tmp_path)
        code, out, _ = run("test", "jiangsu", "--report", "r.html")
        assert code == 0 and out.rstrip().endswith("0 failed")
        page = (tmp_path / "r.html").read_text(encoding="utf-8")
        assert page.count('<tr id="jiangsu-') == 54 and "Mutation" not in page  # no column without --mutation
        code, _, _ = run("test", "jiangsu", "--report", "r.json")
        data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
        assert code == 0 and data["format"] == "xueji-coverage-report/1" and data["policies"][0]["articles"] == 54

    def test_mutation_scores_on_the_page(self, tmp_path, monkeypatch):
        """--mutation adds a mutation column with each article's score and its surviving mutants."""
        monkeypatch.chdir(tmp_path)
        path = _mutation_file(tmp_path, {"policies": [{"policy": "jiangsu", "articles": [
            {"article": "第一部分第十六条", "mutants": 4, "killed": 3, "survivors": [{"mutation": "超过 → 以上"}]}]}]})
        code, _, err = run("test", "jiangsu", "--report", "r.html", "--mutation", path)
        page = (tmp_path / "r.html").read_text(encoding="utf-8")
        assert code == 0 and "Mutation" in page and "75%" in page and "超过 → 以上" in page

    def test_usage_errors(self, tmp_path, monkeypatch):
        """--mutation without --report, an unreadable mutation file or report path: exit 2 with one message."""
        tiny = ("tiny", "--policies", str(Path(__file__).parent / "policies" / "tiny"))
        monkeypatch.chdir(tmp_path)
        code, _, err = run("test", *tiny, "--mutation", "m.json")
        assert code == 2 and "--report" in err
        code, _, err = run("test", *tiny, "--report", "r.html", "--mutation", "absent.json")
        assert code == 2 and "absent.json" in err and "Traceback" not in err
        code, _, err = run("test", *tiny, "--report", str(tmp_path / "no" / "such" / "r.html"))
        assert code == 2 and "cannot write the report" in err

    def test_a_policy_without_article_headings(self, tmp_path, monkeypatch):
        """A policy that does not say how its text numbers articles: rows for the cited articles, and the page says so."""
        monkeypatch.chdir(tmp_path)
        code, _, _ = run("test", "tiny", "--policies", str(Path(__file__).parent / "policies" / "tiny"),
                         "--report", "r.json")
        data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["policies"][0]
        assert code == 0 and data["layers"][0]["whole_text"] is False
        assert [r["article"] for r in data["layers"][0]["articles"]] == list(xr.load_policy(
            Path(__file__).parent / "policies" / "tiny").articles)


# -- in a real browser ---------------------------------------------------------------------


def _browser_or_skip():
    ci = os.environ.get("CI") == "true"
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        if ci:
            pytest.fail("playwright is not installed (it is in the `test` extra)")
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        if ci:
            pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs the Debian package chromium")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium) and not under CI=true")


def test_the_page_in_chromium(tmp_path, jiangsu, jinxiang):
    """In headless Chromium the pages load with no console error, each table has a row per article of its text,
    and the filter shows only the rows that match."""
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    pages = {}
    for name, (suite, _) in {"jiangsu": jiangsu, "jinxiang": jinxiang}.items():
        path = tmp_path / f"{name}.html"
        path.write_text(render(build_all([suite], None, [name])), encoding="utf-8")
        pages[name] = (path, [len(l.sections) for l in suite.policy.layers])
    start = time.perf_counter()
    profile = tempfile.mkdtemp(prefix="xueji-chromium-")
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                page = ctx.new_page()
                errors, requests = [], []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else None)
                for name in ("jinxiang", "jiangsu"):  # jiangsu last: the filter is tried on it
                    path, counts = pages[name]
                    page.goto(path.as_uri())
                    tables = page.locator("table.articles")
                    assert tables.count() == len(counts)
                    for i, n in enumerate(counts):
                        assert tables.nth(i).locator("tbody > tr").count() == n
                assert page.title().startswith("学籍规定编码覆盖报告")
                page.fill("#q", "compulsory_class_hours")  # its row, and rows whose text names it
                shown = page.locator("table.articles tbody tr:not(.hidden)")
                assert 1 <= shown.count() < 54 and page.locator('[id="jiangsu-第一部分第十六条"]').is_visible()
                assert not page.locator('[id="jiangsu-第一部分第一条"]').is_visible()
                page.fill("#q", "")
                page.select_option("#st", "omitted")
                assert shown.count() == 8 and page.inner_text("#shown") == "8"
                assert errors == [] and requests == []
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    print(f"browser check: {time.perf_counter() - start:.1f} s")
