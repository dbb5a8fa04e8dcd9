"""The clients in examples/clients (curl, Java 17, Node.js 20) against the real xueji serve.

One server (``python -m xueji_rules serve``, one worker, a free 127.0.0.1 port, a token) for
all three; each client must print the README student's answer: allowed_with_approval,
await_approval. A client whose runtime is missing is skipped, saying which.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from servers import start, stop

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "examples" / "clients"
TOKEN = "client-test-token-5e6f"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("clients")
    (tmp / "token").write_text(TOKEN, encoding="utf-8")
    base, proc, log = start(tmp, "--token-file", str(tmp / "token"), ready="/healthz")
    yield base
    stop(proc, log)


def _run(cmd: list[str], base: str, token: str | None = TOKEN) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "XUEJI_TOKEN"}
    if token:
        env["XUEJI_TOKEN"] = token
    return subprocess.run([*cmd, base], capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)


def _needs(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        pytest.skip(f"{program} is not installed: the {program} client cannot run here")
    return found


def test_the_curl_script_asks_one_student_then_a_batch(server):
    _needs("curl")
    done = _run([_needs("sh"), str(CLIENTS / "ask.sh")], server)
    assert done.returncode == 0, done.stderr
    ask, batch = done.stdout.split("== batch", 1)
    assert '"outcome":"allowed_with_approval"' in ask and '"status":"await_approval"' in ask
    assert '"format":"xueji-decision/2"' in ask
    lines = [x for x in batch.splitlines() if x.startswith("{")]
    assert len(lines) == 3
    assert '"id":"s1","outcome":"allowed_with_approval","status":"await_approval"' in lines[0]
    assert '"outcome":"denied"' in lines[1] and "compulsory_class_hours" in lines[1]


def test_the_java_client_prints_outcome_and_status(server):
    java = _needs("java")
    done = _run([java, str(CLIENTS / "Ask.java")], server)
    assert done.returncode == 0, done.stderr
    assert "outcome: allowed_with_approval" in done.stdout
    assert "status:  await_approval" in done.stdout


def test_the_node_client_asks_one_student_then_a_batch(server):
    node = _needs("node")
    done = _run([node, str(CLIENTS / "ask.mjs")], server)
    assert done.returncode == 0, done.stderr
    assert "ask    outcome: allowed_with_approval  status: await_approval" in done.stdout
    assert "batch  s1: outcome: allowed_with_approval  status: await_approval" in done.stdout
    assert "batch  s2: outcome: denied  status: refused  failed: compulsory_class_hours" in done.stdout


def test_a_client_without_the_token_is_told_so(server):
    done = _run([_needs("node"), str(CLIENTS / "ask.mjs")], server, token=None)
    assert done.returncode != 0 and "HTTP 401 unauthorized" in done.stderr


def test_a_request_asking_to_upgrade_to_h2c_keeps_its_body(server):
    """Java's HttpClient asks `Upgrade: h2c` by default on http://; the answer must still read the body."""
    import http.client
    import json

    body = json.dumps({"facts": {"student": {"stage": "junior", "grade": 8},
                                 "absence": {"reason": "illness", "class_hours_missed": 230,
                                             "still_unable_to_attend": True}}, "on": "2025-03-03"})
    host, port = server.rsplit("/", 1)[-1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("POST", "/v1/regions/jiangsu/questions/suspension/ask", body, {
        "Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}",
        "Connection": "Upgrade, HTTP2-Settings", "Upgrade": "h2c", "HTTP2-Settings": "AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA"})
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["outcome"] == "allowed_with_approval"
