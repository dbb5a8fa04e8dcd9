"""Driving the explorer page in the system's Chromium: shared by tests/test_explorer.py and
scripts/explorer_screenshots.py.

The server is the real ASGI application on uvicorn, on a free 127.0.0.1 port, in a thread of
this process; the browser is Debian's /usr/bin/chromium, driven by Playwright's Python API
(it never downloads a browser of its own), with the network beyond loopback off.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--lang=zh-CN"]
VIEWPORT = {"width": 1366, "height": 768}


def browser_or_skip() -> None:
    """Skip (fail under CI=true) when Playwright or Chromium is missing."""
    ci = os.environ.get("CI") == "true"
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        if ci:
            pytest.fail(f"{exc.name} is not installed (it is in the `test` extra)")
        pytest.skip(f"{exc.name} is not installed: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        if ci:
            pytest.fail(f"no Chromium at {CHROMIUM}: .ci/run installs the Debian package chromium")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium) and not under CI=true")


@contextlib.contextmanager
def serving(app):
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yields the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the explorer's server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@contextlib.contextmanager
def launched():
    """Debian's Chromium, headless, driven by Playwright; closed on leaving."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def new_page(browser, base: str):
    """(page, problems): a fresh page (own storage) at 1366×768; ``problems`` collects console errors, page
    errors, failed requests and any request that leaves ``base``."""
    ctx = browser.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    try:
        page = ctx.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        page.on("request", lambda r: problems.append(f"left the server: {r.url}")
                if not r.url.startswith((base, "data:", "blob:")) else None)
        yield page, problems
    finally:
        ctx.close()


@contextlib.contextmanager
def chromium(base: str):
    """A page in a browser of its own (see :func:`new_page`)."""
    with launched() as browser, new_page(browser, base) as got:
        yield got


def open_view(page, base: str, route: str, view: str) -> None:
    """Go to ``#/route`` and wait until the view has drawn."""
    page.goto(f"{base}/#/{route}")
    page.wait_for_selector(f"main[data-ready='1'][data-view='{view}']", timeout=60_000)


def _leaves(facts: dict, prefix: str = ""):
    for key, value in facts.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _leaves(value, path + ".")
        else:
            yield path, value


def fill_facts(page, facts: dict) -> list[str]:
    """Fill the generated facts form with ``facts`` (nested, as in a facts file), as a person would:
    choices picked, boxes ticked, 是/否 clicked, dates and numbers typed. Returns the paths the form
    has no field for (facts the question does not read)."""
    absent = []
    for path, value in _leaves(facts):
        field = page.locator(f"[id='f-{path}']")
        if not field.count():
            absent.append(path)
            continue
        tag = field.evaluate("e => e.tagName.toLowerCase()")
        if isinstance(value, bool):
            page.locator(f"input[type=radio][name='{path}'][value='{str(value).lower()}']").check(force=True)
        elif isinstance(value, list):
            for code in value:
                page.locator(f"input[type=checkbox][name='{path}'][value='{code}']").check()
        elif tag == "select":
            field.select_option(str(value))
        else:
            field.fill(value.isoformat() if hasattr(value, "isoformat") else str(value))
    return absent
