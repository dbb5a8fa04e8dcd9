"""FastAPI against Litestar, measured the way xueji serve uses a framework (docs/service.md).

Each framework serves the same two endpoints from one uvicorn with two workers on
127.0.0.1: ``GET /ping`` (a constant) and ``POST /ask`` (the body read as bytes, the
facts read by the library, a Decision built and returned as ``Decision.to_json()``).
Neither framework validates the body: the library's facts reader does, so the framework
is measured on routing, request reading and response writing only. Load comes from
``wrk`` (Debian package wrk), 64 connections, bounded in time, loopback only.

    python benchmarks/service/frameworks.py [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FACTS = {"student": {"stage": "junior", "grade": 8},
         "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True}}

FASTAPI_APP = '''
import xueji_rules as xr
from fastapi import FastAPI, Request, Response
policy = xr.load_policy("jiangsu")
app = FastAPI()
@app.get("/ping")
async def ping():
    return Response(b'{"ok":true}', media_type="application/json")
@app.post("/ask")
async def ask(request: Request):
    body = await request.body()
    import json
    d = xr.ask(policy, "suspension", json.loads(body), on="2025-03-03")
    return Response(d.to_json(indent=None), media_type="application/json")
'''

LITESTAR_APP = '''
import xueji_rules as xr
from litestar import Litestar, Request, Response, get, post
policy = xr.load_policy("jiangsu")
@get("/ping")
async def ping() -> Response:
    return Response(b'{"ok":true}', media_type="application/json")
@post("/ask")
async def ask(request: Request) -> Response:
    body = await request.body()
    import json
    d = xr.ask(policy, "suspension", json.loads(body), on="2025-03-03")
    return Response(d.to_json(indent=None), media_type="application/json", status_code=200)
app = Litestar([ping, ask], openapi_config=None)
'''


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def _wrk(url: str, seconds: int, body: Path | None) -> dict:
    cmd = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency"]
    if body:
        cmd += ["-s", str(body)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale, "non_2xx": int(errors.group(1)) if errors else 0}


def measure(name: str, source: str, seconds: int, tmp: Path) -> dict:
    (tmp / f"app_{name}.py").write_text(source)
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", f"app_{name}:app", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", "2", "--no-access-log", "--log-level", "warning"],
                            cwd=tmp, env={**os.environ, "PYTHONPATH": f"{tmp}{os.pathsep}{ROOT}"})
    try:
        _wait(port)
        time.sleep(1.5)
        lua = tmp / "ask.lua"
        lua.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                       f"wrk.body = {json.dumps(json.dumps(FACTS))}\n")
        _wrk(f"http://127.0.0.1:{port}/ping", 2, None)  # warm up both workers
        ping = _wrk(f"http://127.0.0.1:{port}/ping", seconds, None)
        ask = _wrk(f"http://127.0.0.1:{port}/ask", seconds, lua)
        return {"ping": ping, "ask": ask}
    finally:
        proc.terminate()
        proc.wait(10)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=8)
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as t:
        results = {n: measure(n, src, args.seconds, Path(t))
                   for n, src in (("fastapi", FASTAPI_APP), ("litestar", LITESTAR_APP))}
    print(f"| framework | /ping req/s | /ping p99 ms | /ask req/s | /ask p99 ms | ask/ping |")
    print("|---|---|---|---|---|---|")
    for n, r in results.items():
        print(f"| {n} | {r['ping']['rps']:.0f} | {r['ping']['p99_ms']:.1f} | {r['ask']['rps']:.0f} | "
              f"{r['ask']['p99_ms']:.1f} | {r['ask']['rps'] / r['ping']['rps']:.2f} |")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
