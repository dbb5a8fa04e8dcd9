"""The README's tour runs, and says what the library really answers."""

import ast
import datetime
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
pytestmark = pytest.mark.skipif(not README.is_file(), reason="README.md is in a checkout only")


def _python_block() -> str:
    return re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)


def test_readme_tour_runs_and_its_comments_are_true(capsys):
    """Each statement of the README's Python tour runs, and each `expression  # value` gives that value."""
    source = _python_block()
    lines = source.splitlines()
    namespace: dict = {}
    checked = 0
    for stmt in ast.parse(source).body:
        code = ast.get_source_segment(source, stmt)
        if isinstance(stmt, ast.Expr):
            value = eval(compile(ast.Expression(stmt.value), "<README>", "eval"), namespace)  # noqa: S307
            comment = lines[stmt.end_lineno - 1].partition("  # ")[2].strip()
            shown = re.split(r"[:–]\s", comment, maxsplit=1)[0].strip()
            if shown and (shown[0] in "'(" or shown.startswith("datetime.")):
                expected = eval(shown, {"datetime": datetime})  # noqa: S307 - a value written in the README
                assert value == expected, code
                checked += 1
        else:
            exec(compile(ast.Module([stmt], []), "<README>", "exec"), namespace)  # noqa: S102
    assert checked >= 7


def test_readme_limits_are_the_code_s():
    """The limits the README's reliability section states are the ones the readers enforce."""
    from xueji_rules import _yaml
    from xueji_rules.conditions import parse
    from xueji_rules.facts.input import MAX_FACTS_CHARS

    text = README.read_text(encoding="utf-8")
    section = text.split("## Reliability and privacy", 1)[1].split("\n## ", 1)[0]
    for value in (MAX_FACTS_CHARS, _yaml.MAX_CHARS, _yaml.MAX_NODES, _yaml.MAX_STRING):
        assert f"{value:,}" in section, value
    assert f"{_yaml.MAX_DEPTH} levels" in section
    assert f"{parse.MAX_DEPTH} levels, {parse.MAX_NODES} parts" in section
    assert f"at most {parse.MAX_INTEGER_DIGITS} digits and {parse.MAX_DECIMAL_DIGITS} decimals" in section


def test_readme_command_examples_run(monkeypatch, tmp_path):
    """Each `xueji …` line of the README's command-line block runs as printed (from a checkout), when the
    files it names exist; none ends in an internal error."""
    import io
    import shlex

    from xueji_rules import cli

    root = README.parent
    monkeypatch.chdir(root)
    monkeypatch.delenv("XUEJI_POLICIES", raising=False)
    block = re.search(r"### The command line\n\n```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    ran = 0
    for line in block.splitlines():
        command = line.split("  #")[0].split(" > ")[0].strip()
        if not command.startswith("xueji ") or command == "xueji test":
            continue
        argv = shlex.split(command)[1:]
        if any(a.endswith((".yaml", ".json")) and not (root / a).is_file() for a in argv):
            continue
        if "--policies" in argv and not (root / argv[argv.index("--policies") + 1]).is_dir():
            continue
        argv = [a for a in argv if a not in ("[--format", "json]")]
        code = cli.main(argv, stdout=io.StringIO(), stderr=(err := io.StringIO()), stdin=io.StringIO())
        assert code in (0, 1), f"`{command}` exited {code}: {err.getvalue()}"
        ran += 1
    assert ran >= 10
