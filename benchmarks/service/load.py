"""Load on ``xueji serve``: the trivial endpoint, single asks and the batch endpoint (docs/service.md, Speed).

Starts the real ``xueji serve --workers 2`` on a free 127.0.0.1 port (the bundled policies)
and measures, with ``wrk`` (Debian package wrk; 64 connections, bounded in time, loopback
only):

- ``GET /healthz``, the trivial endpoint: requests/s, p50 and p99 latency;
- ``POST /v1/regions/jiangsu/questions/suspension/ask`` with the README's student and
  ``"on"`` in the body: the same, and the ratio to the trivial endpoint (goal ≥ 0.5, p99 < 25 ms);

then the batch endpoint: ``--batch`` generated students (default 400,000) as JSON Lines,
split over ``--streams`` concurrent requests (default 4) sent by a client in this process
(each request over its own socket, the body sent by one thread while another reads the
answers) and answered on the fast path (outcome, status, failed rules): decisions/s (goal
≥ 200,000 on two cores). Every answer line is counted and checked for an outcome.

The load generator and the client run on the same machine as the server and share its
cores: the figures are for the whole machine, which the load average beside them shows.

    python benchmarks/service/load.py [--seconds 10] [--batch 400000] [--streams 4] [--only ask|batch]
    python benchmarks/service/load.py --profile     # where an ask's time goes (cProfile, in process)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ASK = "/v1/regions/jiangsu/questions/suspension/ask"
BATCH = "/v1/regions/jiangsu/questions/suspension/batch?on=2025-03-03"
README_FACTS = {
    "student": {"stage": "junior", "grade": 8},
    "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": True,
                "start_date": "2025-01-06"},
    "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"],
                 "hospital_level": "county"},
}
OUTCOME = re.compile(rb'"outcome":"([a-z_]+)"')
ERROR = re.compile(rb'"error":\{"code":"([a-z_]+)"')
GOALS = {"ask_ratio": 0.5, "ask_p99_ms": 25.0, "batch_per_s": 200_000}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(tmp: Path, workers: int = 2, http: str = "h11") -> tuple[str, subprocess.Popen]:
    port = _port()
    log = open(tmp / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "xueji_rules", "serve", "--port", str(port), "--workers",
                             str(workers), "--no-access-log", "--http", http], stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    ready = 0
    while ready < 2 * workers:  # several answers in a row: every worker is up
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("xueji serve did not start: " + (tmp / "serve.log").read_text())
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2):
                ready += 1
        except OSError:
            ready = 0
            time.sleep(0.3)
    return base, proc


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, seconds: int, script: Path | None = None, connections: int = 64, server_pid: int | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", str(script)]
    workers = _children(server_pid) if server_pid else []
    cpu_before, children_before = _cpu_seconds(workers), _children_cpu()
    run = subprocess.Popen(cmd + [url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(min(1.0, seconds / 2))
    ss_before = _children_cpu()
    split = _connections_per_worker(url)
    ss_cpu = _children_cpu() - ss_before
    out = run.communicate(timeout=seconds + 60)[0]
    server_cpu = _cpu_seconds(workers) - cpu_before if workers else None
    wrk_cpu = _children_cpu() - children_before - ss_cpu
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": _ms(*p50.groups()), "p99_ms": _ms(*p99.groups()),
            "non_2xx": int(bad.group(1)) if bad else 0, "socket_errors": errors.group(1) if errors else None,
            "connections_per_worker": split, **_per_request(rps * seconds, server_cpu, wrk_cpu)}


def _children(pid: int) -> list[int]:
    """The server's worker processes (Linux: /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.parent.name))
    return found


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU seconds the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds of this script's finished child processes (wrk, once it has ended)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _per_request(requests: float, server_cpu: float | None, wrk_cpu: float) -> dict:
    """CPU µs per request of the workers and of wrk: steadier than requests/s when other jobs share the cores."""
    if server_cpu is None or not requests:
        return {"server_cpu_us": None, "wrk_cpu_us": None}
    return {"server_cpu_us": server_cpu / requests * 1e6, "wrk_cpu_us": wrk_cpu / requests * 1e6}


def _connections_per_worker(url: str) -> list[int] | None:
    """How the load generator's connections are spread over the server's processes (``ss``), most first.

    The workers share one listening socket and a worker accepts every connection waiting when
    it looks: 64 connections opened at once can land 48 on one worker and 16 on the other, and
    the one with 48 then sets the latency and caps the requests/s of the whole run.
    """
    if not shutil.which("ss"):
        return None
    port = url.rsplit(":", 1)[1].split("/", 1)[0]
    out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{port} )"], capture_output=True,
                         text=True).stdout
    counts: dict = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[pid] = counts.get(pid, 0) + 1
    return sorted(counts.values(), reverse=True)


def students(n: int, seed: int = 7) -> list[bytes]:
    """``n`` JSON lines of generated students for the suspension question: every outcome occurs."""
    rng = random.Random(seed)
    docs = ["hospital_diagnosis", "inpatient_record", "medical_receipts"]
    lines = []
    for i in range(n):
        stage = rng.choice(["primary", "junior", "junior", "senior"])
        grade = {"primary": rng.randint(1, 6), "junior": rng.randint(7, 9), "senior": rng.randint(10, 12)}[stage]
        facts = {"student": {"stage": stage, "grade": grade},
                 "absence": {"reason": rng.choice(["illness", "illness", "other"]),
                             "class_hours_missed": rng.randint(0, 400),
                             "still_unable_to_attend": rng.random() < 0.8}}
        if rng.random() < 0.7:
            facts["evidence"] = {"documents": rng.sample(docs, rng.randint(1, 3)),
                                 "hospital_level": rng.choice(["township", "county", "city"])}
        lines.append(json.dumps({"id": i, "facts": facts}, separators=(",", ":")).encode())
    return lines


def _stream(host: str, port: int, body: bytes, found: dict, failures: list) -> int:
    """One batch request over a raw socket: the body sent by a thread while the answers are read.

    A client that sends the whole body before reading would stall once the answers it has not
    read fill the socket's buffers (the server streams them as it goes), so this one does both
    at once, as docs/service.md tells a registry system to. Returns the answer lines counted.
    """
    sock = socket.create_connection((host, port), timeout=300)

    def send() -> None:
        try:
            sock.sendall(f"POST {BATCH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/jsonl\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n".encode())
            for i in range(0, len(body), 256 * 1024):
                piece = body[i:i + 256 * 1024]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
            sock.sendall(b"0\r\n\r\n")
        except OSError as exc:
            failures.append(repr(exc))

    writer = threading.Thread(target=send)
    writer.start()
    buf, n, rest = b"", 0, b""
    try:
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(1 << 16)
        head, buf = buf.split(b"\r\n\r\n", 1)
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            failures.append(head.split(b"\r\n", 1)[0].decode())
            return 0
        while True:  # the chunked answer: a size line, then that many bytes
            while b"\r\n" not in buf:
                buf += sock.recv(1 << 20)
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line, 16)
            while len(buf) < size + 2:
                buf += sock.recv(1 << 20)
            data, buf = rest + buf[:size], buf[size + 2:]
            if size == 0:
                break
            cut = data.rfind(b"\n") + 1
            whole, rest = data[:cut], data[cut:]
            lines = whole.count(b"\n")  # every line counted, its outcome read by a regex, not json.loads
            outcomes = OUTCOME.findall(whole)
            for o in outcomes:
                found[o] = found.get(o, 0) + 1
            if len(outcomes) != lines:
                failures.extend(m.decode() for m in ERROR.findall(whole))
            n += lines
    finally:
        writer.join()
        sock.close()
    return n


def batch(base: str, lines: list[bytes], streams: int) -> dict:
    """Send ``lines`` over ``streams`` concurrent batch requests; decisions/s over the wall time."""
    host, port = base.removeprefix("http://").split(":")
    parts = [b"\n".join(lines[i::streams]) + b"\n" for i in range(streams)]
    counts = [0] * streams
    outcomes: dict = {}
    failures: list = []

    def one(k: int) -> None:
        found: dict = {}
        try:
            counts[k] = _stream(host, int(port), parts[k], found, failures)
        except Exception as exc:  # noqa: BLE001 - reported, the benchmark goes on
            failures.append(repr(exc))
        for o, c in found.items():
            outcomes[o.decode()] = outcomes.get(o.decode(), 0) + c

    threads = [threading.Thread(target=one, args=(k,)) for k in range(streams)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {"lines": len(lines), "answered": sum(counts), "seconds": wall, "per_s": sum(counts) / wall,
            "outcomes": outcomes, "failures": failures[:5], "failed_lines": len(failures)}


def profile(n: int = 3000) -> None:
    """Where an ask's time goes: ``n`` asks through the whole ASGI app in this process, under cProfile."""
    import asyncio
    import cProfile
    import pstats

    import httpx

    from xueji_rules.service import create_app

    app = create_app()
    body = json.dumps({"facts": README_FACTS, "on": "2025-03-03"}).encode()

    async def run(k: int) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            for _ in range(k):
                r = await c.post(ASK, content=body, headers={"content-type": "application/json"})
                assert r.status_code == 200

    asyncio.run(run(200))  # warm: compiled deciders, caches
    app_only = {path: asyncio.run(_app_time(app, method, path, data)) for method, path, data in
                (("GET", "/healthz", b""), ("POST", ASK, body))}
    prof = cProfile.Profile()
    prof.enable()
    t = time.perf_counter()
    asyncio.run(run(n))
    elapsed = time.perf_counter() - t
    prof.disable()
    print(f"{n} asks in process: {elapsed / n * 1e6:.0f} µs each (with httpx's ASGI client and cProfile's overhead)")
    print(f"the app alone (ASGI calls, no client, no profiler; CPU time, best of 5): /healthz {app_only['/healthz']:.0f} µs, "
          f"ask {app_only[ASK]:.0f} µs")
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(r"xueji_rules|orjson|json/|starlette|fastapi|prometheus", 30)
    # the parts: (file ends with, function names) → cumulative time, summed
    parts = {
        "the whole app (FastAPI, Starlette, Guard)": ("fastapi/applications.py", ("__call__",)),
        "the ask route (AskRoute, service)": ("service/app.py", ("__call__",), "AskRoute"),
        "  the ask handler (service)": ("service/app.py", ("_ask",)),
        "    evaluate (library)": ("xueji_rules/evaluate.py", ("evaluate",)),
        "    Decision.to_json_bytes (library)": ("xueji_rules/decision.py", ("to_json_bytes",)),
        "    receive_body + parse_json (service)": ("service/app.py", ("receive_body", "parse_json")),
        "prometheus-client (Guard, metrics)": ("prometheus_client/metrics.py", ("inc", "observe", "labels")),
    }
    lines = {line for (file, line, func) in stats.stats if file.endswith("service/app.py") and func == "__call__"}
    ask_route = min((ln for ln in lines if ln > _line_of("class AskRoute")), default=None)
    for name, (suffix, funcs, *cls) in parts.items():
        ct = sum(v[3] for (file, line, func), v in stats.stats.items() if file.endswith(suffix) and func in funcs
                 and (not cls or line == ask_route))
        print(f"{name:44s} {ct / n * 1e6:8.0f} µs per ask (under cProfile)")


async def _app_time(app, method: str, path: str, body: bytes, n: int = 2000) -> float:
    """µs of CPU time one request takes in the ASGI app itself, the best of 5 runs of ``n``."""
    headers = [(b"host", b"t"), (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": headers if body else headers[:1], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    status = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    best = float("inf")
    for _ in range(5):
        t = time.process_time()
        for _ in range(n):
            await app(dict(scope, state={}), receive, send)
        best = min(best, (time.process_time() - t) / n * 1e6)
    assert set(status) == {200}, set(status)
    return best


def _line_of(text: str) -> int:
    """The line of ``text`` in the service's app.py (to tell AskRoute's ``__call__`` from Guard's)."""
    from xueji_rules.service import app

    return next(i for i, line in enumerate(Path(app.__file__).read_text(encoding="utf-8").splitlines(), 1) if text in line)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10, help="how long each wrk run lasts (default 10)")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--batch", type=int, default=400_000, help="students in the batch run (default 400000)")
    ap.add_argument("--streams", type=int, default=4, help="concurrent batch requests (default 4)")
    ap.add_argument("--http", choices=("h11", "httptools"), default="h11", help="the server's HTTP parser (default h11)")
    ap.add_argument("--profile", action="store_true", help="profile asks in process instead")
    ap.add_argument("--only", choices=("ask", "batch"), help="measure only the asks (with /healthz) or only the batch")
    args = ap.parse_args(argv)
    if args.profile:
        profile()
        return 0
    if not shutil.which("wrk"):
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    lines = students(args.batch)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        lua = tmp / "ask.lua"
        lua.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                       f"wrk.body = {json.dumps(json.dumps({'facts': README_FACTS, 'on': '2025-03-03'}))}\n")
        load_before = os.getloadavg()
        base, proc = start_server(tmp, http=args.http)
        health = ask = bat = None
        try:
            if args.only != "batch":
                wrk(base + "/healthz", 2, connections=args.connections)  # warm both workers
                wrk(base + ASK, 2, lua, connections=args.connections)
                health = wrk(base + "/healthz", args.seconds, connections=args.connections, server_pid=proc.pid)
                ask = wrk(base + ASK, args.seconds, lua, connections=args.connections, server_pid=proc.pid)
            if args.only != "ask":
                batch(base, lines[: min(len(lines), 5000)], args.streams)  # warm the batch path
                bat = batch(base, lines, args.streams)
        finally:
            proc.terminate()
            proc.wait(20)
        load_after = os.getloadavg()
    print(f"xueji serve --workers 2, wrk -t2 -c{args.connections} -d{args.seconds}s, loopback, "
          f"{os.cpu_count()} CPUs; load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    verdict = []
    if ask is not None:
        ratio = ask["rps"] / health["rps"]
        print()
        def split(run: dict) -> str:
            return " / ".join(map(str, run["connections_per_worker"])) if run["connections_per_worker"] else "?"

        print("| measured | requests/s | p50 ms | p99 ms | non-2xx | connections per worker |")
        print("|---|---|---|---|---|---|")
        print(f"| GET /healthz (trivial) | {health['rps']:,.0f} | {health['p50_ms']:.1f} | {health['p99_ms']:.1f} | "
              f"{health['non_2xx']} | {split(health)} |")
        print(f"| POST …/suspension/ask (README student) | {ask['rps']:,.0f} | {ask['p50_ms']:.1f} | "
              f"{ask['p99_ms']:.1f} | {ask['non_2xx']} | {split(ask)} |")
        verdict.append(f"ask / trivial = {ratio:.2f} (goal ≥ {GOALS['ask_ratio']}); ask p99 = {ask['p99_ms']:.1f} ms "
                       f"(goal < {GOALS['ask_p99_ms']:.0f})")
    if bat is not None:
        print()
        print("| batch | students | streams | seconds | decisions/s | failed lines |")
        print("|---|---|---|---|---|---|")
        print(f"| POST …/suspension/batch (fast path) | {bat['answered']:,} | {args.streams} | {bat['seconds']:.2f} | "
              f"{bat['per_s']:,.0f} | {bat['failed_lines']} |")
        verdict.append(f"batch = {bat['per_s']:,.0f} decisions/s (goal ≥ {GOALS['batch_per_s']:,}, "
                       f"{bat['per_s'] / GOALS['batch_per_s']:.2f} of it)")
    print()
    if ask is not None and health["server_cpu_us"] and ask["server_cpu_us"]:
        cost = {k: run["server_cpu_us"] + run["wrk_cpu_us"] for k, run in (("h", health), ("a", ask))}
        print(f"CPU per request, the two workers + wrk: /healthz {health['server_cpu_us']:.0f} + "
              f"{health['wrk_cpu_us']:.0f} µs, ask {ask['server_cpu_us']:.0f} + {ask['wrk_cpu_us']:.0f} µs; "
              f"/healthz / ask = {cost['h'] / cost['a']:.2f} (less disturbed by other jobs than requests/s)")
    print("; ".join(verdict))
    if bat is not None:
        print("outcomes in the batch:", json.dumps(bat["outcomes"], sort_keys=True))
        if bat["failures"]:
            print("batch failures (first):", bat["failures"])
    print(json.dumps({"healthz": health, "ask": ask,
                      "batch": {k: v for k, v in bat.items() if k != "failures"} if bat else None,
                      "load_average": [load_before, load_after]}))
    ok = (bat is None or bat["answered"] == len(lines)) and (ask is None or not (ask["non_2xx"] or health["non_2xx"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
