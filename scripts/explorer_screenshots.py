"""Screenshots of the explorer page for docs/explorer.md, taken from the real page at 1366×768.

    .venv/bin/python scripts/explorer_screenshots.py            # starts `xueji serve`'s app on a free port
    .venv/bin/python scripts/explorer_screenshots.py --url http://127.0.0.1:8000   # or uses a running server

Needs the `test` extra (Playwright's Python API, uvicorn) and Debian's /usr/bin/chromium; writes
docs/explorer/*.png. The page is driven as a person would: the README's suspension example filled in
and asked, the three regions compared, a broken policy uploaded.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tarfile
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import chromium, fill_facts, open_view, serving  # noqa: E402

OUT = ROOT / "docs" / "explorer"
EXAMPLE = ROOT / "examples" / "suspension-illness-230h.yaml"
BROKEN = ROOT / "tests" / "policies" / "broken" / "condition_syntax"


@contextlib.contextmanager
def _server(url: str | None):
    if url:
        yield url.rstrip("/")
        return
    from xueji_rules.service import create_app

    with serving(create_app()) as base:
        yield base


def _scroll_to(page, selector: str, offset: int = 58) -> None:
    """Put ``selector`` just under the sticky header."""
    page.locator(selector).first.evaluate(f"(e) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - {offset})")
    page.wait_for_timeout(150)


def take(base: str, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    facts = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))

    def shot(page, name: str) -> None:
        path = out / f"{name}.png"
        page.screenshot(path=str(path))
        shots.append(path)

    with chromium(base) as (page, problems):
        # 读规定: the 210-hour article of Jiangsu with the rules encoding it
        open_view(page, base, "read/jiangsu", "read")
        shot(page, "read")
        _scroll_to(page, "[data-article='第一部分第十六条']")
        shot(page, "read-article")

        # 试案例: the README's pupil, the form and then the answer
        open_view(page, base, "try/jiangsu/suspension", "try")
        page.fill("#on", "2025-03-03")
        fill_facts(page, facts)
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "try-form")
        page.click("#ask")
        page.locator("#outcome").wait_for()
        _scroll_to(page, "#outcome", 62)
        shot(page, "try-answer")
        _scroll_to(page, "#result .cols", 62)
        shot(page, "try-answer-procedure")

        # the same answer in English
        page.click("#lang")
        page.wait_for_selector("html[lang='en'] main[data-ready='1'] #outcome")
        _scroll_to(page, "#outcome", 62)
        shot(page, "try-answer-en")
        page.click("#lang")
        page.wait_for_selector("html[lang='zh-CN'] main[data-ready='1']")

        # 比较: thresholds, then one student in each region
        open_view(page, base, "compare", "compare")
        shot(page, "compare")
        fill_facts(page, facts)
        page.click("#cmp-ask")
        page.locator(".region-answer").first.wait_for()
        _scroll_to(page, "#answers", 62)
        shot(page, "compare-answers")

        # 校验: a policy whose condition does not parse
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / f"{BROKEN.name}.tar.gz"
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:gz") as tar:
                tar.add(BROKEN, arcname=BROKEN.name)
            archive.write_bytes(buf.getvalue())
            open_view(page, base, "check", "check")
            page.set_input_files("#archive", str(archive))
            page.click("#upload")
            page.locator("#upload-verdict").wait_for()
            shot(page, "check")
        if problems:
            raise SystemExit("the page reported problems:\n" + "\n".join(problems))
    return shots


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server to photograph (default: start one)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where the PNGs go (default: {OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    with _server(args.url) as base:
        for path in take(base, args.out):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
