"""The real ``xueji serve``, started by the tests on a free 127.0.0.1 port and stopped after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tmp: Path, *extra: str, workers: int = 1, env: dict | None = None, ready: str = "/readyz"):
    """``xueji serve`` with ``extra`` options; (base URL, process, log file) once ``ready`` answers 200."""
    port = free_port()
    log = tmp / "serve.log"
    proc = subprocess.Popen([sys.executable, "-m", "xueji_rules", "serve", "--port", str(port), "--workers",
                             str(workers), "--no-access-log", *extra],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=tmp, env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("xueji serve stopped: " + log.read_text())
        try:
            with urllib.request.urlopen(base + ready, timeout=1) as r:
                if r.status == 200:
                    return base, proc, log
        except OSError:
            time.sleep(0.3)
    proc.kill()
    pytest.fail("xueji serve did not start: " + log.read_text())


def stop(proc, log: Path) -> str:
    """Stop the server (SIGTERM, then SIGKILL after 20 s); its log."""
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
    return log.read_text()
