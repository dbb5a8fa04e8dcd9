"""The explorer page (`xueji serve`, `/`) in headless Chromium against the real server (issue 10 §2)."""

from __future__ import annotations

import io
import json
import re
import tarfile
from pathlib import Path

import pytest
import yaml

from browser import browser_or_skip, fill_facts, launched, new_page, open_view, serving
from xueji_rules.compliance.runner import run_suite

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "suspension-illness-230h.yaml"
POLICIES = Path(__file__).resolve().parent / "policies"
THREE = ["jiangsu", "nanchang", "shandong"]  # the bundled regions compared by default (the county layer is offered)


def make_app():
    from xueji_rules.service import create_app

    return create_app()


@pytest.fixture(scope="module")
def base():
    browser_or_skip()
    with serving(make_app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base):
    with launched() as browser:
        yield browser


@pytest.fixture()
def page(base, browser):
    with new_page(browser, base) as got:
        yield got


def _tar(folder: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    return buf.getvalue()


def test_each_view_loads_without_console_errors(base, page):
    """读规定, 试案例, 比较 and 校验 each draw their content, with no console error and nothing fetched but the server."""
    page, problems = page
    open_view(page, base, "read/jiangsu", "read")
    assert page.locator(".article-row").count() == 54
    assert page.locator("#rule-suspension-compulsory_class_hours").is_visible()
    open_view(page, base, "try/jiangsu/suspension", "try")
    assert page.locator("[id='f-absence.class_hours_missed']").is_visible()
    assert page.locator("[id='f-results.total_credits']").count() == 0  # only the facts the question reads
    open_view(page, base, "compare", "compare")
    assert page.locator("#thresholds table").is_visible()
    open_view(page, base, "check", "check")
    assert page.locator("#archive").is_visible()
    open_view(page, base, "read/shandong%2Fjinxiang", "read")  # a layered policy: a heading per text
    assert page.locator(".layer-title").count() == 2
    assert problems == []


def test_the_readme_suspension_example(base, page, tmp_path):
    """The README's pupil (230 hours, illness) in Jiangsu on 2025-03-03: allowed with the bureau's approval, the
    第一部分第十六条 rule held; the downloaded case file passes as a compliance case against jiangsu."""
    page, problems = page
    open_view(page, base, "try/jiangsu/suspension", "try")
    page.fill("#on", "2025-03-03")
    facts = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert fill_facts(page, facts) == []  # the form has a field for every fact of the example
    assert page.locator("[id='f-evidence.hospital_level'] option:checked").inner_text() != "county"  # Chinese names
    page.click("#ask")
    outcome = page.locator("#outcome")
    outcome.wait_for()
    assert outcome.get_attribute("data-outcome") == "allowed_with_approval"
    assert outcome.get_attribute("data-status") == "await_approval"
    assert "经批准后允许" in outcome.inner_text()
    held = page.locator("tr[data-article='第一部分第十六条'][data-status='held']")
    assert held.count() == 1 and held.locator("td.c-mark").inner_text() == "✓"
    assert "教育行政部门" in page.locator("#awaiting").inner_text()
    assert page.locator("tr[data-rule='compulsory_class_hours'] ul.parts li").count() >= 2  # per condition part

    with page.expect_download() as dl:
        page.click("#dl-yaml")
    path = tmp_path / "case.yaml"
    dl.value.save_as(path)
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert doc["question"] == "suspension" and doc["cases"][0]["want"]["outcome"] == "allowed_with_approval"
    suite = run_suite(path, "jiangsu")
    assert not suite.problems and suite.failed == 0 and suite.passed == 1

    with page.expect_download() as dl:
        page.click("#dl-json")
    jpath = tmp_path / "case.json"
    dl.value.save_as(jpath)
    assert json.loads(jpath.read_text(encoding="utf-8"))["cases"][0]["want"] == doc["cases"][0]["want"]
    suite = run_suite(jpath, "jiangsu")
    assert not suite.problems and suite.failed == 0 and suite.passed == 1

    page.click("tr[data-rule='compulsory_class_hours'] a.art-link")  # the article, read with its encoding
    page.wait_for_selector("main[data-ready='1'][data-view='read'] .article-row.target[data-article='第一部分第十六条']")
    assert problems == []


def test_trying_the_other_reading(base, page, tmp_path):
    """Two spells of absence, 250 hours in all: denied under the policy's reading (一次连续), allowed under 多次相加;
    the downloaded case keeps the reading and passes."""
    page, problems = page
    open_view(page, base, "try/jiangsu/suspension", "try")
    page.fill("#on", "2025-03-03")
    fill_facts(page, {"student": {"stage": "junior", "grade": 8},
                      "absence": {"reason": "illness", "class_hours_missed": 250, "unbroken_spell": False,
                                  "still_unable_to_attend": True}})
    page.click("#ask")
    page.locator("#outcome[data-outcome='denied']").wait_for()
    page.click("#readings-form > summary")
    page.select_option("#r-continuous_absence_one_spell", "多次相加")
    page.click("#ask")
    page.locator("#outcome[data-outcome='allowed_with_approval']").wait_for()
    with page.expect_download() as dl:
        page.click("#dl-yaml")
    path = tmp_path / "case.yaml"
    dl.value.save_as(path)
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["cases"][0]["readings"] == {"continuous_absence_one_spell": "多次相加"}
    suite = run_suite(path, "jiangsu")
    assert not suite.problems and suite.failed == 0 and suite.passed == 1
    assert problems == []


def test_a_missing_fact_is_asked_for(base, page):
    """With the hours left empty the answer is undetermined and the empty field is marked."""
    page, problems = page
    open_view(page, base, "try/jiangsu/suspension", "try")
    page.fill("#on", "2025-03-03")
    fill_facts(page, {"student": {"stage": "junior", "grade": 8},
                      "absence": {"reason": "illness", "still_unable_to_attend": True}})
    page.click("#ask")
    page.locator("#outcome").wait_for()
    assert page.locator("#outcome").get_attribute("data-outcome") == "undetermined"
    assert "absence.class_hours_missed" in page.locator("#missing").inner_text()
    assert page.locator(".field.missing[data-path='absence.class_hours_missed']").count() == 1
    assert problems == []


def test_switching_language(base, page):
    """The toggle turns the page English and back; the choice survives a reload."""
    page, problems = page
    open_view(page, base, "try/jiangsu/suspension", "try")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("#views a[data-view='read'] .nav-main").inner_text() == "读规定"
    page.select_option("[id='f-student.stage']", "junior")
    page.click("#lang")
    page.wait_for_selector("html[lang='en']")
    assert page.locator("#views a[data-view='read'] .nav-main").inner_text() == "Read"
    assert page.locator("#ask").inner_text() == "Ask"
    assert page.locator("[id='f-student.stage']").input_value() == "junior"  # what was filled in stays
    page.reload()
    page.wait_for_selector("main[data-ready='1']")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("#lang")
    page.wait_for_selector("html[lang='zh-CN']")
    assert page.locator("#ask").inner_text() == "判断"
    assert problems == []


def test_compare_shows_three_regions(base, page):
    """The thresholds that differ, a column per region, and one student's answer in each region side by side."""
    page, problems = page
    open_view(page, base, "compare", "compare")
    heads = page.locator("#thresholds thead th[data-region]")
    assert sorted(heads.nth(i).get_attribute("data-region") for i in range(heads.count())) == THREE
    assert page.locator("#thresholds tbody tr").count() >= 3
    page.select_option("#cmp-question", "suspension")
    page.wait_for_selector("main[data-ready='1'] [id='f-absence.class_hours_missed']")
    fill_facts(page, yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    page.click("#cmp-ask")
    answers = page.locator(".region-answer")
    answers.first.wait_for()
    assert sorted(answers.nth(i).get_attribute("data-region") for i in range(answers.count())) == THREE
    assert page.locator(".region-answer[data-region='jiangsu'] [data-outcome]").get_attribute("data-outcome") == "allowed_with_approval"
    page.select_option("#cmp-question", "exam_registration")  # a question only Jiangsu's text has
    page.wait_for_selector("main[data-ready='1'] #compare-form")
    page.click("#cmp-ask")
    page.locator(".region-answer").first.wait_for()
    assert page.locator(".region-answer[data-region='shandong']").inner_text().endswith("此地区没有这个问题")
    assert page.locator(".region-answer[data-region='jiangsu'] [data-outcome]").count() == 1
    assert problems == []


def test_upload_a_broken_policy_shows_where(base, page, tmp_path):
    """A policy with a condition that does not parse: the diagnostic with file:line:column and its hint."""
    page, problems = page
    archive = tmp_path / "condition_syntax.tar.gz"
    archive.write_bytes(_tar(POLICIES / "broken" / "condition_syntax"))
    open_view(page, base, "check", "check")
    page.set_input_files("#archive", str(archive))
    page.click("#upload")
    verdict = page.locator("#upload-verdict")
    verdict.wait_for()
    assert verdict.get_attribute("data-ok") == "false"
    where = page.locator("table.diags td.where").all_inner_texts()
    assert "condition_syntax/policy.yaml:30:47" in where, where  # the path inside the archive, never the server's
    assert "condition_syntax" in page.locator("table.diags").inner_text()
    line = (POLICIES / "broken" / "condition_syntax" / "policy.yaml").read_text(encoding="utf-8").splitlines()[29]
    src = page.locator("table.diags pre.src")
    assert src.inner_text().replace("\n", "").rstrip() == f"30 │ … {line.strip()}"  # the line, read back from the archive
    assert line[46:].startswith(src.locator("mark").inner_text().strip())  # marked from column 47
    assert problems == []


@pytest.mark.parametrize("kind", ["zip", "gnu-tar"])
def test_diagnostics_quote_their_line_from_any_archive(base, page, tmp_path, kind):
    """The line is read back from a zip (deflated) and from a GNU tar as well as from Python's pax tar."""
    import zipfile

    page, problems = page
    folder = POLICIES / "broken" / "condition_syntax"
    if kind == "zip":
        archive = tmp_path / "p.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    z.write(f, f"{folder.name}/{f.relative_to(folder)}")
    else:
        archive = tmp_path / "p.tar"
        with tarfile.open(archive, "w", format=tarfile.GNU_FORMAT) as tar:
            tar.add(folder, arcname=folder.name)
    open_view(page, base, "check", "check")
    page.set_input_files("#archive", str(archive))
    page.click("#upload")
    page.locator("#upload-verdict").wait_for()
    assert page.locator("table.diags pre.src").inner_text().startswith("30 │ ")
    assert problems == []


def test_upload_a_folder_and_try_a_case_against_it(base, page):
    """A valid policy folder chosen with the folder picker (sent as a tar the page makes) is usable as a region."""
    page, problems = page
    open_view(page, base, "check", "check")
    page.set_input_files("#folder", str(POLICIES / "tiny"))
    page.click("#upload")
    verdict = page.locator("#upload-verdict")
    verdict.wait_for()
    assert verdict.get_attribute("data-ok") == "true", page.locator("#upload-result").inner_text()
    page.click("#try-upload")
    page.wait_for_selector("main[data-ready='1'][data-view='try'] #try-form")
    assert re.search(r"#/try/u-[0-9a-f]{12}", page.url)
    page.fill("#on", "2025-03-03")
    fill_facts(page, {"student": {"stage": "junior", "grade": 8},
                      "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True}})
    page.click("#ask")
    page.locator("#outcome").wait_for()
    assert page.locator("#outcome").get_attribute("data-outcome") == "allowed_with_approval"
    upload = re.search(r"#/try/(u-[0-9a-f]{12})", page.url).group(1)
    assert page.locator(f"#regions a[data-region='{upload}']").count() == 1  # listed beside the bundled regions
    page.click("#views a[data-view='read']")  # and readable article by article
    page.wait_for_selector(f"main[data-ready='1'][data-view='read'] .article-row")
    assert page.url.endswith(f"#/read/{upload}") and page.locator(".article-row").count() == 4
    assert problems == []


def test_a_server_with_a_token_asks_for_it(browser, tmp_path):
    """With --token-file the page loads, asks for the token, and with it shows the regions; the token stays in the tab."""
    from xueji_rules.service import create_app
    from xueji_rules.service.config import ServiceConfig

    token = tmp_path / "token.txt"
    token.write_text("s3cret-for-the-test\n", encoding="utf-8")
    with serving(create_app(ServiceConfig(token_file=str(token)))) as url, new_page(browser, url) as (page, problems):
        page.goto(url + "/")
        page.locator("#token-form").wait_for()
        assert page.locator("#regions a").count() == 0
        page.fill("#token", "s3cret-for-the-test")
        page.click("#token-form button[type=submit]")
        page.wait_for_selector("main[data-ready='1'][data-view='read'] .article-row", timeout=60_000)
        assert page.locator("#regions a[data-region='jiangsu']").count() == 1
        assert page.evaluate("localStorage.getItem('xueji-explorer-token')") is None
    # the 401 before the token was given is the one expected failure
    assert [p for p in problems if "401" not in p] == []


# -- what the page needs of the service (without a browser) ----------------------------------------


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    return TestClient(make_app())


def test_the_facts_schema_has_the_facts_deadlines_read_and_group_titles(client):
    """休学期满 is computed from absence.start_date, so the suspension form offers it; groups are headed by name."""
    schema = client.get("/v1/regions/jiangsu/questions/suspension/facts-schema").json()
    absence = schema["properties"]["absence"]
    assert "start_date" in absence["properties"] and absence["properties"]["start_date"]["format"] == "date"
    assert absence["title"] == "缺课"
    assert schema["properties"]["request"]["properties"]["suspension"]["title"] == "休学"
    # a fact no rule and no deadline of the question reads is not offered
    assert "results" not in schema["properties"]


def test_ask_with_why_gives_each_condition_part_under_the_readings_asked_for(client):
    """`why=true` adds the parts of each rule's condition with their values, as `xueji ask --why`; the parts are
    those of the reading asked for (two spells of absence: 多次相加 makes the spell part hold)."""
    facts = {"student": {"stage": "junior", "grade": 8},
             "absence": {"reason": "illness", "class_hours_missed": 250, "unbroken_spell": False,
                         "still_unable_to_attend": True}}
    url = "/v1/regions/jiangsu/questions/suspension/ask"
    plain = client.post(url, json={"facts": facts, "on": "2025-03-03"}).json()
    assert "why" not in plain and plain["outcome"] == "denied"
    why = client.post(url + "?why=true", json={"facts": facts, "on": "2025-03-03"}).json()
    assert {k: v for k, v in why.items() if k != "why"} == plain
    spell = [p for p in why["why"]["compulsory_class_hours"] if "continuous_absence_one_spell" in p["text"]]
    assert spell and spell[0]["clause"] == "require" and spell[0]["value"] is False
    other = client.post(url + "?why=true", json={"facts": facts, "on": "2025-03-03",
                                                  "readings": {"continuous_absence_one_spell": "多次相加"}}).json()
    assert other["outcome"] == "allowed_with_approval"
    assert [p for p in other["why"]["compulsory_class_hours"] if p["text"] == spell[0]["text"]][0]["value"] is True
    assert client.post(url + "?why=maybe", json={"facts": facts}).status_code == 422


def test_the_form_offers_a_fact_a_deadline_reads_through_a_definition(tmp_path):
    """A deadline counted from a definition (suspension_start: absence.start_date) that no rule reads: the
    question's facts schema still offers absence.start_date, as the compiled deadline reads it."""
    import shutil

    import xueji_rules as xr
    from xueji_rules.service.contract import question_facts

    folder = tmp_path / "tiny"
    shutil.copytree(POLICIES / "tiny", folder)
    policy_file = folder / "policy.yaml"
    policy_file.write_text(policy_file.read_text(encoding="utf-8").replace(
        "definitions:\n", "definitions:\n  suspension_start: absence.start_date\n"), encoding="utf-8")
    questions = folder / "questions" / "suspension.yaml"
    text = questions.read_text(encoding="utf-8")
    assert "date: absence.start_date + term" in text
    questions.write_text(text.replace("date: absence.start_date + term", "date: suspension_start + term"),
                         encoding="utf-8")
    q = xr.load_policy(folder).questions["suspension"]
    assert "absence.start_date" not in q.facts
    assert "absence.start_date" in question_facts(q)
