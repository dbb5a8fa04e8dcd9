"""xueji serve against its own contract: schemathesis fuzzes the real server from /openapi.json.

The server is the real one (``python -m xueji_rules serve``, uvicorn, one worker) on a free
127.0.0.1 port; schemathesis reads the contract the server publishes and sends what the
contract allows and what it does not (positive and negative cases, the coverage phase's
boundary values, then random fuzzing). Every answer must be something other than a 5xx,
and conform to the contract: a status code it documents, the content type it names, a
body matching its schema, the headers it declares. A token-protected server fuzzes clean
with the header given, and refuses the same requests without it.

Bounded for CI: at most ``MAX_EXAMPLES`` random cases per operation (plus the coverage
phase's fixed set), no Hypothesis database, a fixed seed; the whole file takes well
under a minute on two cores. A failure prints the request as a curl command to replay.
"""

from __future__ import annotations

import collections
import json
import tempfile
import urllib.request
import zlib
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from servers import start, stop  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 25
SEED = 20250303
TOKEN = "fuzz-token-0f1e2d3c"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]

# The two bodies the contract gives as non-JSON: a batch is JSON Lines (sent as text), an upload an
# archive (sent as bytes). schemathesis has no serializer of its own for either media type.
schemathesis.serializer.alias("application/jsonl", "text/plain")
schemathesis.serializer.alias(["application/zip", "application/x-tar", "application/gzip"], "application/octet-stream")


def _config(coverage: bool = True, **headers) -> "schemathesis.Config":
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "headers": headers,
        "request-timeout": 30,
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        "phases": {"coverage": {"enabled": coverage}},
    })


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base, proc, log = start(tmp_path_factory.mktemp("fuzz"))
    yield base
    text = stop(proc, log)
    assert "Traceback" not in text, text  # an error the server caught and answered 500 still leaves its trace here


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz-token")
    (tmp / "token").write_text(TOKEN + "\n", encoding="utf-8")
    base, proc, log = start(tmp, "--token-file", str(tmp / "token"))
    yield base
    text = stop(proc, log)
    assert "Traceback" not in text, text


def _contracts() -> tuple[dict, dict, dict]:
    """The contract the server publishes without a token and with one, built as the server builds it; each region's questions.

    schemathesis's fixture-based loader does not run on pytest 9 (it sets a node id pytest no
    longer has), so the operations are collected from the contract built in this process;
    ``test_the_served_contract_is_the_one_fuzzed`` checks the servers publish the very same.
    """
    from fastapi.testclient import TestClient

    from xueji_rules.service import ServiceConfig, create_app
    from xueji_rules.service.store import PolicyStore

    store = PolicyStore()
    plain = TestClient(create_app(ServiceConfig(), store=store)).get("/openapi.json").json()
    with tempfile.TemporaryDirectory() as tmp:
        token = Path(tmp) / "token"
        token.write_text(TOKEN, encoding="utf-8")
        guarded = create_app(ServiceConfig(token_file=str(token)), store=store)
    doc = TestClient(guarded).get("/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    return plain, doc, {n: sorted(p.questions) for n, p in store.snapshot.policies.items()}


PLAIN, GUARDED, QUESTIONS = _contracts()
AUTH = {"Authorization": f"Bearer {TOKEN}"}
contract = schemathesis.openapi.from_dict(PLAIN, config=_config())
# the coverage phase's fixed cases ran against the server without a token; with one, random fuzzing only
guarded_contract = schemathesis.openapi.from_dict(GUARDED, config=_config(coverage=False, **AUTH))


def _answerable(case):
    """A case that reaches a decision where it can: a question its region has, no made-up calendar.

    The contract can name the regions and the questions but not which region has which: left
    alone, most cases (all of the coverage phase's, which start from one region and the first
    question of all) would stop at 404 before their body is read, so a known region asked a
    question it lacks asks one it has instead (a stable choice by name); names outside the
    contract are sent as generated. A school's calendar is a document of its own (docs/time.md),
    which the contract gives as any object: a generated one is always refused (422
    calendar_invalid) before the facts are read, so it is left out of the body.
    """
    p = case.path_parameters or {}
    region, question = p.get("region"), p.get("question")
    asked = QUESTIONS.get(region) if isinstance(region, str) else None
    if asked and isinstance(question, str) and question not in asked and any(question in q for q in QUESTIONS.values()):
        p["question"] = asked[zlib.crc32(question.encode()) % len(asked)]
    if isinstance(case.body, dict) and "facts" in case.body:
        case.body.pop("calendar", None)
    return case


def test_the_served_contract_is_the_one_fuzzed(server, guarded_server):
    with urllib.request.urlopen(server + "/openapi.json", timeout=10) as r:
        assert json.loads(r.read()) == PLAIN
    req = urllib.request.Request(guarded_server + "/openapi.json", headers=AUTH)
    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.loads(r.read()) == GUARDED
    assert GUARDED["components"]["securitySchemes"] and "securitySchemes" not in PLAIN["components"]


#: (method, path) → status → how many answers; what the fuzz reached, checked last
SEEN: dict = collections.defaultdict(collections.Counter)

# Reloading compiles every policy (a few seconds): one call proves its answer; fuzzing it proves nothing more.
RELOAD = {"method": "POST", "path": "/admin/reload"}


@contract.exclude(**RELOAD).parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_every_answer_conforms_to_the_contract(case, server):
    response = _answerable(case).call_and_validate(base_url=server, checks=CHECKS)
    SEEN[(case.operation.method.upper(), case.operation.path)][response.status_code] += 1


@contract.include(**RELOAD).parametrize()
@settings(max_examples=1, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_reload_conforms_to_the_contract(case, server):
    case.call_and_validate(base_url=server, checks=CHECKS)


@guarded_contract.exclude(**RELOAD).parametrize()
@settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_a_token_protected_server_conforms_with_the_header_and_refuses_without(case, guarded_server):
    # ignored_auth also sends the request without the token (and with a wrong one) and fails if it is answered
    _answerable(case).call_and_validate(base_url=guarded_server, headers=AUTH, checks=CHECKS + [ignored_auth])


def test_the_fuzz_reached_the_decisions():
    """Not a wall of 404s and 422s: ask, batch, facts-schema and compare cases got answers (runs after the fuzz above)."""
    if not SEEN:
        pytest.skip("the fuzz did not run in this session")
    for op in (("POST", "/v1/regions/{region}/questions/{question}/ask"),
               ("POST", "/v1/regions/{region}/questions/{question}/batch"),
               ("GET", "/v1/regions/{region}/questions/{question}/facts-schema"),
               ("POST", "/v1/compare/{question}")):
        assert SEEN[op][200] >= 3, (op, dict(SEEN[op]))
