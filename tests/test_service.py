"""xueji serve: what a registry system calling the HTTP service relies on.

Most tests use FastAPI's test client against ``create_app``; the last ones start the real
``xueji serve`` (uvicorn, two workers) on a loopback port.
"""

from __future__ import annotations

import io
import json
import shutil
import signal
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from servers import free_port, start, stop

fastapi = pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

import xueji_rules as xr  # noqa: E402
from xueji_rules.service import ServiceConfig, create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "policies" / "tiny"
README_FACTS = {
    "student": {"stage": "junior", "grade": 8},
    "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True,
                "start_date": "2025-01-06"},
    "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"],
                 "hospital_level": "county"},
}
ASK = "/v1/regions/jiangsu/questions/suspension/ask"
SECRET = "王小明-320106200901011234"


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def _problem(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    doc = r.json()
    assert doc["status"] == status and doc["type"].endswith("/" + doc["code"])
    if code:
        assert doc["code"] == code, doc
    assert "Traceback" not in r.text
    return doc


# -- answers --------------------------------------------------------------------------------


def test_ask_gives_the_decision_json_of_the_library(client):
    r = client.post(ASK, json={"facts": README_FACTS, "on": "2025-03-03"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    expected = xr.may_suspend("jiangsu", README_FACTS, on="2025-03-03").to_dict()
    assert r.json() == expected
    assert r.json()["format"] == "xueji-decision/2" and r.json()["outcome"] == "allowed_with_approval"
    assert r.headers["x-xueji-policy-hash"] == xr.load_policy("jiangsu").content_hash
    assert len(r.headers["x-xueji-policies"]) == 64


def test_ask_redacts_on_request(client):
    facts = {**README_FACTS, "student": {**README_FACTS["student"], "birth_date": "2011-05-01"}}
    plain = client.post(ASK, json={"facts": facts, "on": "2025-03-03"}).json()
    red = client.post(ASK + "?redact=true", json={"facts": facts, "on": "2025-03-03"}).json()
    assert red["redacted"] is True and "2011-05-01" not in json.dumps(red)
    assert red["outcome"] == plain["outcome"]


def test_a_layered_region_is_named_with_its_slash(client):
    r = client.get("/v1/regions/shandong/jinxiang")
    assert r.status_code == 200 and r.json()["region"] == "shandong/jinxiang"
    r = client.post("/v1/regions/shandong/jinxiang/questions/suspension/ask", json={"facts": {}, "on": "2025-03-03"})
    assert r.status_code == 200 and r.json()["region"] == "shandong/jinxiang"


def test_regions_and_questions_name_the_facts_each_reads(client):
    regions = client.get("/v1/regions").json()
    assert [r["region"] for r in regions] == ["jiangsu", "nanchang", "shandong", "shandong/jinxiang"]
    detail = client.get("/v1/regions/jiangsu").json()
    susp = next(q for q in detail["questions"] if q["question"] == "suspension")
    assert "absence.class_hours_missed" in [f["path"] for f in susp["facts"]]
    assert any(r["chosen"] for r in detail["readings"])


def test_facts_schema_holds_only_the_questions_facts_and_accepts_the_readme_example(client):
    import jsonschema

    schema = client.get("/v1/regions/jiangsu/questions/suspension/facts-schema").json()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(README_FACTS, schema)
    assert set(schema["properties"]) <= {"student", "absence", "request", "approvals", "evidence"}
    reason = schema["properties"]["absence"]["properties"]["reason"]
    assert reason["x-choices"]["illness"] == "伤病"
    with pytest.raises(jsonschema.ValidationError):  # a fact this question never reads
        jsonschema.validate({"student": {"birth_date": "2010-01-01"}}, schema)


def test_parameters_show_and_articles_carry_no_server_paths(client):
    params = client.get("/v1/regions/jiangsu/parameters?on=2025-03-03").json()
    assert params["on"] == "2025-03-03" and any(p["value"] == 210 for p in params["parameters"])
    for path in ("/v1/regions/jiangsu/show?on=2025-03-03", "/v1/regions/jiangsu/articles"):
        text = client.get(path).text
        assert str(ROOT) not in text and "site-packages" not in text
    arts = client.get("/v1/regions/jiangsu/articles").json()
    assert arts["articles"] and arts["cases"]


def test_compare_regions_and_one_student_side_by_side(client):
    table = client.get("/v1/compare?regions=jiangsu,shandong,nanchang&on=2025-03-03").json()
    assert [r["name"] for r in table["regions"]] == ["jiangsu", "shandong", "nanchang"]
    assert table["parameters"]
    rows = client.post("/v1/compare/suspension?regions=jiangsu,shandong,nanchang",
                       json={"facts": README_FACTS, "on": "2025-03-03"}).json()["decisions"]
    assert len(rows) == 3 and rows[0]["outcome"] == "allowed_with_approval"


# -- batch ----------------------------------------------------------------------------------


def test_batch_answers_each_line_and_a_bad_line_never_stops_the_rest(client):
    lines = [json.dumps({"id": "a", "facts": README_FACTS}), "{not json", json.dumps({"id": 7, "facts": {"absence": {"reason": SECRET}}}),
             "", json.dumps({"id": "d", "facts": {}, "on": "2025-03-04"}), json.dumps([1, 2])]
    r = client.post("/v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03", content="\n".join(lines))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/jsonl")
    out = [json.loads(x) for x in r.text.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 5, 6]
    assert out[0]["id"] == "a" and out[0]["outcome"] == "allowed_with_approval" and out[0]["status"] == "await_approval"
    assert out[1]["error"]["code"] == "bad_json"
    assert out[2]["id"] == 7 and out[2]["error"]["status"] == 422
    assert out[3]["outcome"] == "undetermined" and out[3]["status"] == "ask_for_facts"
    assert out[4]["error"]["code"] == "bad_body"
    assert SECRET not in r.text


def test_batch_agrees_with_the_library_and_explains_on_request(client):
    students = [README_FACTS, {}, {**README_FACTS, "approvals": {"bureau": "refused"}},
                {**README_FACTS, "approvals": {"bureau": "given"}}]
    body = "\n".join(json.dumps({"facts": f}) for f in students)
    short = [json.loads(x) for x in client.post(
        "/v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03", content=body).text.splitlines()]
    full = [json.loads(x) for x in client.post(
        "/v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03&explain=true", content=body).text.splitlines()]
    for f, s, e in zip(students, short, full):
        d = xr.may_suspend("jiangsu", f, on="2025-03-03")
        assert (s["outcome"], s["status"], s["failed"]) == (d.outcome, d.status, list(d.failed))
        assert e["decision"] == d.to_dict()


# -- errors ----------------------------------------------------------------------------------


def test_errors_are_problems_with_stable_codes_and_no_fact_values(client):
    doc = _problem(client.post(ASK, json={"facts": {"absence": {"class_hours_missed": SECRET}}}), 422, "facts_type")
    assert doc["errors"][0]["path"] == "absence.class_hours_missed"
    assert SECRET not in json.dumps(doc)
    doc = _problem(client.post(ASK, json={"facts": {"absence": {"hours": 3}}}), 422)
    assert "class_hours_missed" in json.dumps(doc)  # did you mean
    _problem(client.post("/v1/regions/jiangsuu/questions/suspension/ask", json={}), 404, "unknown_region")
    assert "jiangsu" in client.post("/v1/regions/jiangsuu/questions/suspension/ask", json={}).json()["detail"]
    _problem(client.post("/v1/regions/jiangsu/questions/suspend/ask", json={}), 404, "unknown_question")
    _problem(client.post(ASK, content=b"{"), 400, "bad_json")
    _problem(client.post(ASK, content=b'{"facts": {}, "facts": {}}'), 400, "duplicate_key")
    _problem(client.post(ASK, content=b"\xff\xfe"), 400, "not_utf8")
    _problem(client.post(ASK, json={"fact": {}}), 422, "unknown_field")
    _problem(client.post(ASK, json={"facts": {}, "on": "2025-02-30"}), 422, "bad_date")
    _problem(client.post(ASK, content=b"[" * 100_000), 400)
    _problem(client.post(ASK, content=b" " * (1024 * 1024 + 1)), 413, "body_too_large")
    _problem(client.get("/v1/nothing"), 404, "not_found")
    _problem(client.get(ASK), 405)


# -- uploads ----------------------------------------------------------------------------------


def _zip(folder: Path, prefix: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, prefix + f.relative_to(folder).as_posix())
    return buf.getvalue()


def test_an_uploaded_policy_is_checked_then_answers(client):
    r = client.post("/v1/uploads", content=_zip(TINY, "tiny/"), headers={"content-type": "application/zip"})
    up = r.json()
    assert r.status_code == 200 and up["ok"] and up["diagnostics"] == []
    ans = client.post(f"/v1/regions/{up['upload']}/questions/suspension/ask",
                      json={"facts": {"absence": {"class_hours_missed": 230}}, "on": "2025-03-03"})
    assert ans.status_code == 200 and ans.json()["region"] == "tiny"


def test_an_uploaded_broken_policy_gives_its_diagnostics_with_file_and_line(client, tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    text = (folder / "policy.yaml").read_text(encoding="utf-8").replace("version: \"1\"", "version: \"1\"\n  colour: red")
    (folder / "policy.yaml").write_text(text, encoding="utf-8")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        t.add(folder, "tiny")
    up = client.post("/v1/uploads", content=buf.getvalue()).json()
    assert up["ok"] is False
    d = up["diagnostics"][0]
    assert d["file"] == "tiny/policy.yaml" and d["line"] and d["code"]
    _problem(client.post(f"/v1/regions/{up['upload']}/questions/suspension/ask", json={}), 404, "unknown_region")


def test_an_upload_is_unpacked_safely(client):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../escape/policy.yaml", "policy: {}")
    _problem(client.post("/v1/uploads", content=buf.getvalue()), 422, "upload_unsafe")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("tiny/policy.yaml")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        t.addfile(info)
    _problem(client.post("/v1/uploads", content=buf.getvalue()), 422, "upload_unsafe")
    _problem(client.post("/v1/uploads", content=b"plain text"), 400, "upload_unreadable")
    _problem(client.post("/v1/uploads", content=_zip(TINY / "questions")), 422, "upload_no_policy")
    _problem(client.post("/v1/uploads", content=b"x" * (5 * 1024 * 1024 + 1)), 413)


# -- operations ------------------------------------------------------------------------------


def test_a_token_guards_everything_but_health(tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    with TestClient(create_app(ServiceConfig(token_file=str(token)))) as c:
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200
        _problem(c.get("/v1/regions"), 401, "unauthorized")
        _problem(c.get("/v1/regions", headers={"Authorization": "Bearer wrong"}), 401)
        assert c.get("/v1/regions", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/openapi.json", headers={"Authorization": "Bearer s3cret"}).json()["components"]["securitySchemes"]


def test_the_decision_log_has_one_line_per_decision_and_no_facts_by_default(tmp_path):
    born = {**README_FACTS, "student": {**README_FACTS["student"], "birth_date": "2011-05-01"}}
    log = tmp_path / "decisions.jsonl"
    with TestClient(create_app(ServiceConfig(decision_log=str(log)))) as c:
        assert c.post(ASK, json={"facts": born, "on": "2025-03-03"}).status_code == 200
        c.post("/v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03",
               content=json.dumps({"facts": README_FACTS}) + "\n" + json.dumps({"facts": {}}))
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(lines) == 3
    first = lines[0]
    assert (first["region"], first["question"], first["on"], first["outcome"]) == (
        "jiangsu", "suspension", "2025-03-03", "allowed_with_approval")
    assert first["policy_hash"] == xr.load_policy("jiangsu").content_hash and first["facts"] is None
    assert [x["outcome"] for x in lines[1:]] == ["allowed_with_approval", "undetermined"]
    assert "2011-05-01" not in log.read_text()
    # with --log-facts the facts are kept, an identifying one hashed
    log2 = tmp_path / "with-facts.jsonl"
    with TestClient(create_app(ServiceConfig(decision_log=str(log2), log_facts=True))) as c:
        c.post(ASK, json={"facts": born, "on": "2025-03-03"})
    kept = json.loads(log2.read_text())["facts"]
    assert kept["absence.class_hours_missed"] == 230 and kept["student.birth_date"].startswith("sha256:")


def test_metrics_count_decisions_by_region_question_and_outcome(client):
    client.post(ASK, json={"facts": README_FACTS, "on": "2025-03-03"})
    text = client.get("/metrics").text
    assert 'xueji_decisions_total{outcome="allowed_with_approval",question="suspension",region="jiangsu"}' in text
    assert 'route="/v1/regions/{region:path}/questions/{question}/ask"' in text
    assert SECRET not in text


ASK_REQUESTS = [
    (ASK, {"facts": README_FACTS, "on": "2025-03-03"}),
    (ASK + "?redact=1&why=true", {"facts": README_FACTS, "on": "2025-03-03"}),
    (ASK + "?on=2025-04-01", {"facts": README_FACTS}),
    (ASK + "?why=maybe", {"facts": README_FACTS}),
    (ASK, b'{"facts": {}, "facts": {}}'),
    (ASK, b'{"facts": '),
    (ASK, {"fact": {}}),
    (ASK, {"facts": {"student": {"stage": "junior", "grade": "eight"}}, "on": "2025-03-03"}),
    (ASK, {"facts": README_FACTS, "on": "2025-03-03", "readings": {"no_such_reading": "x"}}),
    ("/v1/regions/jiangsuu/questions/suspension/ask", {}),
    ("/v1/regions/shandong/jinxiang/questions/suspension/ask", {"on": "2025-03-03"}),
]


def _without_ask_route(app):
    from xueji_rules.service.app import AskRoute

    app.user_middleware = [m for m in app.user_middleware if m.cls is not AskRoute]
    return app


@pytest.mark.parametrize("cors", [False, True])
def test_asks_are_answered_as_fastapis_router_answers_them(cors):
    # AskRoute answers asks without FastAPI's router, for speed: the same statuses, bodies,
    # headers (CORS's too, when configured) and metrics as the route itself
    config = ServiceConfig(cors_origins=("https://registry.example",) if cors else ())
    answers, metrics = [], []
    for app in (create_app(config), _without_ask_route(create_app(config))):
        with TestClient(app) as c:
            got = []
            for path, body in ASK_REQUESTS:
                kw = {"content": body} if isinstance(body, bytes) else {"json": body}
                r = c.post(path, headers={"Origin": "https://registry.example"}, **kw)
                got.append((r.status_code, r.content, sorted(r.headers.items())))
            answers.append(got)
            metrics.append(sorted(line for line in c.get("/metrics").text.splitlines()
                                  if line.startswith(("xueji_http_requests_total", "xueji_decisions_total"))))
    assert answers[0] == answers[1]
    assert metrics[0] == metrics[1]
    assert [status for status, _, _ in answers[0]] == [200, 200, 200, 422, 400, 400, 422, 422, 422, 404, 200]
    assert all(("access-control-allow-origin" in dict(h)) == cors for _, _, h in answers[0])


def test_a_failed_reload_keeps_the_old_policies_and_says_why(tmp_path):
    root = tmp_path / "policies"
    shutil.copytree(TINY, root / "tiny")
    with TestClient(create_app(ServiceConfig(policy_dirs=(str(root),)))) as c:
        before = c.get("/readyz").json()["content_hash"]
        policy = root / "tiny" / "policy.yaml"
        good = policy.read_text(encoding="utf-8")
        policy.write_text(good.replace("policy:", "policy:\n  colour: red", 1), encoding="utf-8")
        doc = _problem(c.post("/admin/reload"), 422, "reload_failed")
        assert doc["errors"][0]["file"] == "tiny/policy.yaml"
        ready = c.get("/readyz").json()
        assert ready["content_hash"] == before and ready["last_reload_failed"]["errors"]
        assert c.post("/v1/regions/tiny/questions/suspension/ask", json={"facts": {}, "on": "2025-03-03"}).status_code == 200
        policy.write_text(good.replace('version: "1"', 'version: "2"'), encoding="utf-8")
        assert c.post("/admin/reload").json()["reloaded"] is True
        ready = c.get("/readyz").json()
        assert ready["content_hash"] != before and "last_reload_failed" not in ready


def test_the_contract_is_openapi_3_1_built_from_the_shipped_schemas(client):
    doc = client.get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    shipped = json.loads((ROOT / "xueji_rules" / "schema" / "decision.schema.json").read_text(encoding="utf-8"))
    assert doc["components"]["schemas"]["Decision"]["properties"].keys() == shipped["properties"].keys()
    ask = doc["paths"]["/v1/regions/{region}/questions/{question}/ask"]["post"]
    assert ask["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Decision"}
    assert "#/$defs/" not in json.dumps(doc)
    assert client.get("/docs").status_code == 200


def test_every_answer_matches_its_schema_in_the_contract(client):
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    doc = client.get("/openapi.json").json()
    registry = Registry().with_resource("urn:contract", Resource(contents=doc, specification=DRAFT202012))
    decision = {"$ref": "urn:contract#/components/schemas/Decision"}
    for facts in (README_FACTS, {}, {"absence": {"reason": "other"}}):
        body = client.post(ASK, json={"facts": facts, "on": "2025-03-03"}).json()
        jsonschema.Draft202012Validator(decision, registry=registry).validate(body)


def test_the_contract_requires_the_regions_a_comparison_is_refused_without(client):
    # found by the fuzz run (tests/test_service_fuzz.py): the contract let `regions` be left out, the server refused it
    import re

    doc = client.get("/openapi.json").json()
    for path, method in (("/v1/compare", "get"), ("/v1/compare/{question}", "post")):
        param = next(p for p in doc["paths"][path][method]["parameters"] if p["name"] == "regions")
        assert param["required"] is True
        pattern = re.compile(param["schema"]["pattern"])
        assert pattern.search("jiangsu,shandong") and pattern.search("jiangsu, shandong/jinxiang")
        assert not pattern.search("jiangsu") and not pattern.search("") and not pattern.search(" ,jiangsu")
    _problem(client.get("/v1/compare?on=2025-03-03"), 422, "bad_query")


def test_the_contracts_example_day_is_one_every_region_answers_on(client):
    # the fuzz run starts from the contract's examples: a day before a regulation took effect stops every case at 422
    doc = client.get("/openapi.json").json()
    ask = doc["components"]["schemas"]["AskRequest"]["properties"]["on"]
    day = ask["examples"][0]
    for region in [r["region"] for r in client.get("/v1/regions").json()]:
        assert client.get(f"/v1/regions/{region}/parameters?on={day}").status_code == 200, region
    query = doc["paths"]["/v1/regions/{region}/parameters"]["get"]["parameters"]
    assert next(p for p in query if p["name"] == "on")["schema"]["examples"] == [day]


def test_an_empty_date_is_refused_by_show_as_by_every_other_path(client):
    # found by the fuzz run: show took `on=` as no date at all and answered 200
    _problem(client.get("/v1/regions/jiangsu/show?on="), 422, "bad_date")
    _problem(client.get("/v1/regions/jiangsu/parameters?on="), 422, "bad_date")
    assert client.get("/v1/regions/jiangsu/show").status_code == 200


# -- the real server -----------------------------------------------------------------------------


def _get(url: str, timeout: float = 5) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _post(url: str, doc, timeout: float = 10) -> tuple[int, dict]:
    req = urllib.request.Request(url, json.dumps(doc).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture
def real_server(tmp_path):
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies" / "jiangsu", root / "jiangsu")
    base, proc, log = start(tmp_path, "--policy", str(root), "--decision-log", str(tmp_path / "d.jsonl"),
                            workers=2, env={"XUEJI_POLICIES": str(root)})
    yield base, root, proc, tmp_path
    stop(proc, log)


def test_the_real_server_answers_and_survives_a_broken_reload(real_server):
    base, root, proc, tmp = real_server
    status, doc = _post(base + ASK, {"facts": README_FACTS, "on": "2025-03-03"})
    assert status == 200 and doc["outcome"] == "allowed_with_approval"
    assert _get(base + "/v1/regions")[1][0]["region"] == "jiangsu"
    policy = root / "jiangsu" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + "\nbogus_section: 1\n", encoding="utf-8")
    proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    ready = {}
    while time.monotonic() < deadline:
        ready = _get(base + "/readyz")[1]
        if "last_reload_failed" in ready:
            break
        time.sleep(0.3)
    assert ready.get("last_reload_failed", {}).get("errors"), ready
    assert ready["last_reload_failed"]["errors"][0]["file"] == "jiangsu/policy.yaml"
    status, doc = _post(base + ASK, {"facts": README_FACTS, "on": "2025-03-03"})  # the old policy still answers
    assert status == 200 and doc["outcome"] == "allowed_with_approval"
    log = [json.loads(x) for x in (tmp / "d.jsonl").read_text().splitlines()]
    assert len(log) == 2 and log[0]["outcome"] == "allowed_with_approval"


def test_serve_refuses_to_start_on_policies_that_do_not_validate(tmp_path, capsys):
    from xueji_rules.cli import main

    root = tmp_path / "policies"
    shutil.copytree(TINY, root / "tiny")
    (root / "tiny" / "policy.yaml").write_text("policy: [", encoding="utf-8")
    assert main(["serve", "--policy", str(root), "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert "do not validate" in err and "tiny/policy.yaml:" in err and "yaml_syntax" in err


def test_counter_example_students_of_two_regions(client):
    pytest.importorskip("z3")
    r = client.get("/v1/compare/suspension/students?regions=jiangsu,shandong&on=2025-03-03")
    doc = r.json()
    assert r.status_code == 200 and (doc["a"], doc["b"]) == ("jiangsu", "shandong") and doc["students"]
    student = doc["students"][0]
    for side, region in (("a", "jiangsu"), ("b", "shandong")):  # each answer is the library's for those facts
        d = xr.ask(region, "suspension", student["facts"], on=student["on"])
        assert d.outcome == student[side]["outcome"]
    _problem(client.get("/v1/compare/suspension/students?regions=jiangsu,shandong,nanchang"), 422, "bad_query")
