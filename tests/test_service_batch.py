"""The batch endpoint answers a block of lines by the column backend exactly as the row path answers each line.

Every test posts the same body twice: once as served (blocks read by Arrow and answered by
the column backend where they can be) and once with the column path switched off (every
line through ``parse_json`` and ``answerer``, as before the column path existed); the
answer lines must be equal, line for line, errors included.
"""

from __future__ import annotations

import json
import random

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("polars")
pytest.importorskip("pyarrow")

from fastapi.testclient import TestClient  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import xueji_rules as xr  # noqa: E402
from xueji_rules.service import batch as batch_module  # noqa: E402
from xueji_rules.service import create_app  # noqa: E402

from strategies import nest  # noqa: E402
from test_columns import CASES, populations, question_paths  # noqa: E402
from test_denials import _span  # noqa: E402

#: lines a careless or hostile client sends; each must get the row path's answer or error
HOSTILE = [
    b'{"id": 1, "facts": {"student": {"stage": "junior", "stage": "senior"}}}',
    b'{"facts" : {"student" : {"stage":"junior", "stage" : "senior"}}}',
    b'{"facts": {"studnt": {}}}',
    b'{"facts": {"studnt": null}}',
    b'{"facts": {"student": {"grade": "eight"}}}',
    b'{"facts": {"student": {"grade": 8.0}}}',
    b'{"facts": {"student": {"grade": -3}}}',
    b'{"facts": {"student": {"grade": 99999999999999999999}}}',
    b'{"facts": {"student": {"stage": "\xe5\x88\x9d\xe4\xb8\xad"}}}',
    b'{"facts": {"student": {}}}',
    b'{"facts": {"student": null, "absence": {"reason": null}}}',
    b'{"facts": {"student.stage": "junior"}}',
    b'{"facts": null}',
    b'{"facts": []}',
    b'{"facts": {}, "x": 1}',
    b'{"facts": {}, "on": "2025-02-30"}',
    b'{"facts": {}, "on": "1990-01-01"}',
    b'{"facts": {"student": {"stage": "junior", "grade": 8}}, "on": "2025-03-03"}',
    b'{"facts": {"absence": {"start_date": "2025-01-06T00:00:00"}}}',
    b'{"facts": {"absence": {"start_date": "2025-01-06 08:00:00"}}}',
    b'{"facts": {"evidence": {"documents": ["hospital_diagnosis", 5]}}}',
    b'{"facts": {"evidence": {"documents": "hospital_diagnosis"}}}',
    b'{"facts": {"evidence": {"documents": [null]}}}',
    b'{"id": 1.5, "facts": {}}',
    b'{"id": true, "facts": {}}',
    b'{"id": {"a": 1}, "facts": {}}',
    b'{"id": "\xe5\xad\xa6\xe7\x94\x9f-1\\n\\"", "facts": {}}',
    b'{"facts": {}} {"facts": {}}',
    b'{bad json',
    b'null',
    b'[1]',
    b'"x"',
    b'\xff\xfe{}',
    b'   ',
    b'',
    b'  {"facts": {}}',
    b'{"facts": {"student": {"school": {"place": "\xe5\x8d\x97\xe4\xba\xac\xe5\xb8\x82"}}}}',
    b'{"facts": {"student": {"school": {"place": {"province": "\xe6\xb1\x9f\xe8\x8b\x8f\xe7\x9c\x81"}}}}}',
    b'{"facts": ' + b'{"a": ' * 300 + b'1' + b'}' * 301,
    b'{"facts": {"evidence": {"documents": ' + b'[' * 300 + b']' * 300 + b'}}}',
]


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def _post(client, url: str, body: bytes, columns: bool) -> list:
    saved = batch_module._columns_reader
    if not columns:
        batch_module._columns_reader = lambda: None
    try:
        r = client.post(url, content=body, headers={"content-type": "application/jsonl"})
    finally:
        batch_module._columns_reader = saved
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.content.splitlines()]


def _both(client, url: str, lines: list, monkeypatch, block: int = 10_000) -> list:
    monkeypatch.setattr(batch_module, "MIN_COLUMNS", 1)
    monkeypatch.setattr(batch_module, "BLOCK", block)
    body = b"\n".join(lines) + b"\n"
    got = _post(client, url, body, columns=True)
    want = _post(client, url, body, columns=False)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w, f"line {w.get('line')}: columns {g}, rows {w}"
    return got


@pytest.mark.parametrize("region,question", CASES, ids=[f"{r}:{q}" for r, q in CASES])
def test_every_question_gets_the_row_paths_answers_line_for_line(client, region, question, monkeypatch):
    policy = xr.load_policy(region)
    q = policy.question(question)
    paths = question_paths(policy, q)
    first, last = _span(policy)

    @settings(max_examples=4, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(populations(paths, 120), st.dates(min_value=first, max_value=last), st.integers(0, 3))
    def check(rows, on, hostile):
        rnd = random.Random(len(rows) + hostile)
        lines = [json.dumps({"id": i, "facts": nest({k: v for k, v in row.items() if v is not None})},
                            ensure_ascii=False).encode() for i, row in enumerate(rows)]
        for _ in range(hostile):  # 0: a clean file, the column path's own ground
            lines.insert(rnd.randrange(len(lines) + 1), rnd.choice(HOSTILE))
        url = f"/v1/regions/{region}/questions/{question}/batch?on={on.isoformat()}"
        _both(client, url, lines, monkeypatch, block=rnd.choice([7, 50, 10_000]))

    check()


def test_each_hostile_line_gets_the_row_paths_answer_among_good_ones(client, monkeypatch):
    good = [json.dumps({"id": f"s{i}", "facts": {"student": {"stage": "junior", "grade": 8},
                                                "absence": {"reason": "illness", "class_hours_missed": 200 + i,
                                                            "still_unable_to_attend": True}}}).encode()
            for i in range(20)]
    url = "/v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03"
    for bad in HOSTILE:
        got = _both(client, url, good[:10] + [bad] + good[10:], monkeypatch)
        assert sum("outcome" in g for g in got) >= 20


def test_a_clean_block_is_answered_by_the_columns_alone(client, monkeypatch):
    rows = []
    for i in range(300):
        rows.append({"id": i, "facts": {"student": {"stage": "junior", "grade": 7 + i % 3},
                                        "absence": {"reason": "illness", "class_hours_missed": i,
                                                    "still_unable_to_attend": i % 2 == 0, "start_date": "2025-01-06"},
                                        "evidence": {"documents": ["hospital_diagnosis"][: i % 2]}},
                     **({"on": "2025-03-0" + str(3 + i % 3)} if i % 5 == 0 else {})})
    lines = [json.dumps(r).encode() for r in rows]
    calls = []
    real_row = batch_module.Batch.row
    monkeypatch.setattr(batch_module.Batch, "row", lambda self, n, raw: calls.append(n) or real_row(self, n, raw))
    monkeypatch.setattr(batch_module, "MIN_COLUMNS", 1)
    got = _post(client, "/v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03",
                b"\n".join(lines), columns=True)
    assert not calls, f"lines {calls[:5]} went by rows"
    assert [g["line"] for g in got] == list(range(1, 301))
    monkeypatch.undo()
    want = _post(client, "/v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03",
                 b"\n".join(lines), columns=False)
    assert got == want


def test_a_slow_senders_answers_come_while_it_is_still_sending(tmp_path):
    """The real server answers the lines read so far when the sender pauses, before the body ends."""
    import socket

    from servers import start, stop

    base, proc, log = start(tmp_path)
    port = int(base.rsplit(":", 1)[1])
    line = json.dumps({"id": "a", "facts": {"student": {"stage": "junior", "grade": 8}}}).encode() + b"\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
            s.sendall(b"POST /v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03 HTTP/1.1\r\n"
                      b"Host: 127.0.0.1\r\nContent-Type: application/jsonl\r\nTransfer-Encoding: chunked\r\n\r\n")
            body = line * 100  # more than MIN_COLUMNS lines: the column path's block, cut short by the pause
            s.sendall(b"%x\r\n%s\r\n" % (len(body), body))
            got = b""
            while got.count(b'"outcome"') < 100:  # the answers come with the body still open
                chunk = s.recv(65536)
                assert chunk, "the server closed the connection"
                got += chunk
            assert b" 200 " in got.split(b"\r\n", 1)[0]
            s.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(line), line))
            while not got.endswith(b"0\r\n\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        assert got.count(b'"outcome"') == 101 and got.count(b'"line":101') == 1
    finally:
        stop(proc, log)


def test_a_line_nested_deep_enough_to_crash_a_json_parser_is_an_error_line(client, monkeypatch):
    """Arrow's reader crashes the process some 20,000 levels down, within the line limit: such lines never reach it."""
    monkeypatch.setattr(batch_module, "MIN_COLUMNS", 1)
    good = json.dumps({"id": 1, "facts": {"student": {"stage": "junior", "grade": 8}}}).encode()
    deep = b'{"facts": ' + b'[' * 60_000 + b']' * 60_000 + b'}'
    nested = b'{"facts": ' + b'{"a":' * 30_000 + b'1' + b'}' * 30_001
    r = client.post("/v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03",
                    content=b"\n".join([good, deep, good, nested, good]))
    assert r.status_code == 200
    got = [json.loads(line) for line in r.content.splitlines()]
    assert [g["line"] for g in got] == [1, 2, 3, 4, 5]
    assert [g.get("outcome") is not None for g in got] == [True, False, True, False, True]
    assert {got[1]["error"]["code"], got[3]["error"]["code"]} <= {"too_deep", "facts_type", "unknown_fact",
                                                                    "facts_invalid", "bad_json"}
