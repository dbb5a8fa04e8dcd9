"""The ``xueji`` command: ask questions, check policies, run compliance cases.

Commands::

    xueji ask REGION QUESTION --facts FILE|- [--on DATE] [--calendar FILE] [--format text|json]
    xueji validate [PATH ...]            every bundled policy when no PATH
    xueji questions REGION               questions and the facts their rules read
    xueji params REGION [--on DATE]      thresholds in force on a date
    xueji show REGION [--on DATE] [--format text|json|markdown]
                                         the effective policy after layering, with provenance
    xueji compare REGION REGION ... [--facts FILE --question Q] [--on DATE] [--format text|markdown|html|json]
                                         parameters that differ, and each region's decision
    xueji test [PATH ...] [--policy P]   compliance cases and article coverage
    xueji id REGION NUMBER [--stage S]   decode a student ID (学籍号)
    xueji regions                        the regions, and where each is found
    xueji due REGION --students FILE --from DATE --to DATE [--out FILE] [--format text|json|csv]
                                         what falls due for each student in a range of dates
    xueji audit REGION QUESTION ... --students FILE --on DATE [--out FILE]
                                         every student of a file, in bounded chunks (docs/scale.md)

REGION is a region name (``jiangsu``, ``shandong/jinxiang``), looked up in the policy
roots: ``--policies DIR`` first, then ``XUEJI_POLICIES``, else the bundled policies
(``locate.py``). A path is never a region: give a folder with ``--policies DIR``.

Exit codes:
    0  done (for ``ask``: any answer, ``denied`` included)
    1  ``validate`` found problems, or ``test`` had failures
    2  usage or user error: bad arguments, bad or unreadable facts, unknown
       region or question, bad date, a policy that does not load when asking;
       printed as one ``xueji: error: …`` message, never a traceback
    3  internal error (a bug): a short message; ``--debug`` shows the traceback

``main(argv, stdout, stderr, stdin)`` returns the exit code and writes only to
the given streams, so tests run the command in-process. Facts are never logged.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from pathlib import Path

import attrs

from .errors import Diagnostic, FactsError, XuejiError
from .facts.input import jsonable
from .render import value_text
from . import due
from . import audit
from .toolkit import edges, lint
from .toolkit import report as toolkit_report
from .toolkit import mutate as toolkit_mutate
from .service import serve as service_serve
from .toolkit.solver import EXAMPLES as STUDENT_EXAMPLES, add_compare_arguments, run_students


class UsageError(XuejiError):
    """Arguments that go together were not given together."""

    code = "usage"

EXIT_OK, EXIT_PROBLEMS, EXIT_USER, EXIT_INTERNAL = 0, 1, 2, 3

EXIT_CODES = """\
exit codes:
  0  done (for ask: any answer, denied included)
  1  validate found problems, or test had failures
  2  usage or user error (bad facts, unknown region or question, bad date,
     unreadable file, a policy that does not load when asking)
  3  internal error (run again with --debug for the traceback)"""


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("xueji_rules")
    except Exception:  # not installed: running from a checkout
        return "0+checkout"


# -- argument parsing ------------------------------------------------------------


class _Exit(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse writing to the streams given to ``main`` and raising instead of exiting."""

    out = sys.stdout
    err = sys.stderr

    def _print_message(self, message, file=None):
        if message:
            stream = self.out if file is None or file is sys.stdout else self.err
            stream.write(message)

    def exit(self, status=0, message=None):
        if message:
            self._print_message(message, sys.stderr)
        raise _Exit(status)


def _fmt_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def build_parser(stdout=None, stderr=None) -> argparse.ArgumentParser:
    """The argument parser; its help goes to ``stdout``, its errors to ``stderr``."""
    parser_class = type("Parser", (_Parser,), {"out": stdout or sys.stdout, "err": stderr or sys.stderr})
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show a traceback on internal errors")
    common.add_argument("--show-values", action="store_true", default=argparse.SUPPRESS,
                        help="quote the offending values in error messages (they are personal data: for debugging "
                             "your own file; the same as XUEJI_SHOW_VALUES=1)")
    common.add_argument("--policies", action="append", metavar="DIR", default=argparse.SUPPRESS,
                        help="look region names up in DIR first (a folder of policies, or one policy folder, named "
                             "by its folder); repeatable; before XUEJI_POLICIES and the bundled policies")
    raw = argparse.RawDescriptionHelpFormatter

    p = parser_class(
        prog="xueji", parents=[common], formatter_class=raw,
        description="Student-registry (学籍) regulations as data: ask questions, check policies, run compliance cases.",
        epilog="examples:\n"
               "  xueji ask jiangsu suspension --facts examples/suspension-illness-230h.yaml --on 2025-03-03\n"
               "  xueji validate --policies ./policies        # the working copy, not the installed one\n"
               "  xueji test\n"
               "  xueji <command> --help\n\n" + EXIT_CODES,
    )
    p.add_argument("--version", action="version", version=f"xueji {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    sub.required = True

    a = sub.add_parser(
        "ask", parents=[common], formatter_class=raw, help="answer a question for one student on one date",
        description="Answer QUESTION for the student described by the facts, under REGION's policy.",
        epilog="examples:\n"
               "  xueji ask jiangsu suspension --facts examples/suspension-illness-230h.yaml --on 2025-03-03\n"
               "  cat facts.json | xueji ask jiangsu graduation --facts - --format json\n"
               "  xueji ask jiangsu transfer --facts examples/transfer-family-move.yaml --on 2025-03-03 --no-color\n"
               "  xueji ask jiangsu suspension --facts examples/suspension-illness-230h.yaml --on 2025-03-03 --why\n"
               "  xueji ask nanchang transfer --facts t.yaml --calendar school.yaml   # the school's own calendar\n"
               "  xueji ask tiny suspension --policies tests/policies/tiny --facts f.yaml   # a policy folder of your own\n\n"
               "Facts are YAML or JSON (see docs/facts.md). The bundled regions' school calendars are\n"
               "samples: --calendar gives the school's own (a file like a policy's calendar.yaml, see\n"
               "docs/time.md), which takes precedence; the answer says which calendar it used.\n"
               "Every answer, denied included, exits 0; bad facts, an unknown region or question,\n"
               "a bad date or a calendar file that does not validate exit 2.",
    )
    a.add_argument("region", metavar="REGION", help="region name, e.g. jiangsu or shandong/jinxiang (see `xueji regions`)")
    a.add_argument("question", metavar="QUESTION", help="question id, e.g. suspension (see `xueji questions REGION`)")
    a.add_argument("--facts", "-f", metavar="FILE", required=True, help="facts file (YAML or JSON), or - for stdin")
    a.add_argument("--why", action="store_true",
                   help="also show each part of every rule's conditions with its value (in JSON: a `why` key)")
    a.add_argument("--on", metavar="DATE", help="date asked for, YYYY-MM-DD (default: today in Asia/Shanghai)")
    a.add_argument("--calendar", metavar="FILE",
                   help="the school's own calendar (YAML, a `calendar:` section as in a policy's calendar.yaml), "
                        "used instead of the policy's sample calendar")
    a.add_argument("--reading", action="append", default=[], metavar="ID=OPTION",
                   help="take another option of a reading with alternatives (repeatable; see `xueji readings REGION`)")
    _fmt_arg(a)
    color = a.add_mutually_exclusive_group()
    color.add_argument("--color", dest="color", action="store_true", default=None,
                       help="colour the text output (default: when stdout is a terminal and NO_COLOR is unset)")
    color.add_argument("--no-color", dest="color", action="store_false", help="never colour the output")

    v = sub.add_parser(
        "validate", parents=[common], formatter_class=raw, help="check policies: schema, then meaning",
        description="Check policy folders and print every problem as file:line:col: code: message.",
        epilog="examples:\n"
               "  xueji validate                   # every bundled region\n"
               "  xueji validate policies/jiangsu tests/policies/tiny     # folders, given explicitly\n"
               "  xueji validate jiangsu --format json\n\n"
               "Exits 0 when every policy is valid, 1 when any problem is found.",
    )
    v.add_argument("paths", nargs="*", metavar="PATH", help="region names or policy folders (default: every bundled region)")
    _fmt_arg(v)

    q = sub.add_parser(
        "questions", parents=[common], formatter_class=raw, help="list a region's questions and the facts they read",
        description="Each question (id, title) and the facts its rules read, with their meaning.",
        epilog="examples:\n  xueji questions jiangsu\n  xueji questions jiangsu --format json",
    )
    q.add_argument("region", metavar="REGION", help="region name, e.g. jiangsu (see `xueji regions`)")
    _fmt_arg(q)

    pa = sub.add_parser(
        "params", parents=[common], formatter_class=raw, help="show the thresholds in force on a date",
        description="Every parameter: name, title, value on the date, unit and the article it comes from.",
        epilog="examples:\n  xueji params jiangsu --on 2025-03-03\n  xueji params tiny --policies tests/policies/tiny --format json",
    )
    pa.add_argument("region", metavar="REGION", help="region name, e.g. jiangsu (see `xueji regions`)")
    pa.add_argument("--on", metavar="DATE", help="YYYY-MM-DD (default: today in Asia/Shanghai)")
    _fmt_arg(pa)

    sh = sub.add_parser(
        "show", parents=[common], formatter_class=raw, help="the effective policy after layering, with provenance",
        description="Every layer (id, title, document number, issuer, dates), every parameter with its values by\n"
                    "date and where each comes from (layer, file:line, article), and every question's rules in\n"
                    "order: strength, when/require, article, dates in force, layer, file:line, and notes\n"
                    "(replaced by, repealed by). With --on, what is in force on that date is marked.",
        epilog="examples:\n"
               "  xueji show jiangsu\n"
               "  xueji show shandong/jinxiang --on 2025-03-03\n"
               "  xueji show tiny_layer --policies tests/policies/tiny_layer --format markdown > tiny_layer.md\n"
               "  xueji show jiangsu --format json",
    )
    sh.add_argument("region", metavar="REGION", help="region name, e.g. shandong/jinxiang (see `xueji regions`)")
    sh.add_argument("--on", metavar="DATE", help="mark the rules and values in force on this date (YYYY-MM-DD)")
    sh.add_argument("--format", choices=("text", "json", "markdown"), default="text", help="output format (default: text)")

    c = sub.add_parser(
        "compare", parents=[common], formatter_class=raw, help="regions side by side: parameters and decisions",
        description="The parameters that differ between the regions (matched by their `compare:` key, else by\n"
                    "name), each with its value, unit, article and the text's words; and, with --facts and\n"
                    "--question, each region's decision for the same facts with its outcome, failed rules and\n"
                    "the article it rests on (docs/compare.md).",
        epilog="examples:\n"
               "  xueji compare jiangsu shandong nanchang --on 2025-03-03\n"
               "  xueji compare jiangsu shandong nanchang --question suspension --facts examples/suspension-illness-230h.yaml --on 2025-03-03\n"
               "  xueji compare jiangsu tiny --policies tests/policies/tiny --format html > compare.html\n"
               "  xueji compare jiangsu shandong --format markdown --all\n" + STUDENT_EXAMPLES + "\n"
               "A region that does not load yet (its policy is still being written) is a user error (exit 2).",
    )
    c.add_argument("regions", nargs="+", metavar="REGION", help="two or more region names (a folder: --policies DIR)")
    c.add_argument("--facts", "-f", metavar="FILE", help="facts file (YAML or JSON), or - for stdin; needs --question")
    c.add_argument("--question", "-q", metavar="QUESTION", help="the question to answer in each region")
    c.add_argument("--on", metavar="DATE", help="YYYY-MM-DD (default: today in Asia/Shanghai)")
    c.add_argument("--all", action="store_true", help="every parameter, not only those that differ")
    c.add_argument("--no-parameters", dest="parameters", action="store_false", help="only the decisions")
    c.add_argument("--width", type=int, default=30, metavar="N", help="wrap text cells at N columns (default: 30)")
    c.add_argument("--format", choices=("text", "markdown", "html", "json"), default="text",
                   help="output format (default: text)")
    add_compare_arguments(c)  # --students, --since, --before …: counter-example students (toolkit/solver.py)

    t = sub.add_parser(
        "test", parents=[common], formatter_class=raw, help="run compliance cases and report article coverage",
        description="Run the compliance cases (policies/<region>/tests/*.yaml): print each failure with\n"
                    "file:line, a per-article coverage table, and `N passed, N failed` last.",
        epilog="examples:\n"
               "  xueji test                          # every bundled region\n"
               "  xueji test policies/jiangsu\n"
               "  xueji test policies/jiangsu/tests/suspension.yaml\n"
               "  xueji test my-cases/ --policy jiangsu   # case files kept outside the policy\n"
               "  xueji test jiangsu --report /tmp/jiangsu-report.html   # the coverage report: a page to open\n"
               "  xueji test jiangsu --report jiangsu-report.json --mutation jiangsu-mutants.json\n\n"
               "--report FILE.html writes one page (FILE.json the same as JSON) with a row per article of the\n"
               "text: the rules encoding it, the cases testing each, readings, omissions and, with --mutation\n"
               "(the output of `xueji mutate --format json`), its mutation score (docs/compliance.md §6).\n"
               "An article is covered when a passing case has a rule citing it held, and another failed.\n"
               "Exits 0 when every case passes, 1 otherwise.",
    )
    t.add_argument("paths", nargs="*", metavar="PATH",
                   help="region names, policy folders, tests folders or case files (default: every bundled region)")
    t.add_argument("--policy", metavar="REGION", help="the policy the cases test (for case files outside a policy folder)")
    _fmt_arg(t)
    toolkit_report.add_arguments(t)

    i = sub.add_parser(
        "id", parents=[common], formatter_class=raw, help="decode a student ID (学籍号)",
        description="Check a student ID against the region's layouts and show its parts.",
        epilog="examples:\n  xueji id jiangsu 3212020101200512345\n  xueji id jiangsu 08120102010001 --stage senior",
    )
    i.add_argument("region", metavar="REGION", help="region name whose student-ID layouts to use, e.g. jiangsu")
    i.add_argument("number", metavar="NUMBER", help="the student ID, digits only (quote it if it starts with 0)")
    i.add_argument("--stage", metavar="STAGE", help="primary, junior or senior: use that stage's layout")
    _fmt_arg(i)

    r = sub.add_parser(
        "regions", parents=[common], formatter_class=raw, help="list the bundled regions",
        description="The bundled policy folders, with the regulation each encodes.",
        epilog="examples:\n  xueji regions\n  xueji regions --format json",
    )
    _fmt_arg(r)

    rd = sub.add_parser(
        "readings", parents=[common], formatter_class=raw, help="readings with alternatives, and what switching them changes",
        description="Each reading of the region that has alternatives (options), the option the policy takes (*), the rules "
                    "that rely on it, and the compliance cases whose answer changes under each other option.",
        epilog="examples:\n  xueji readings jiangsu\n  xueji readings nanchang --format json --no-cases\n"
               "  xueji readings jiangsu --no-cases --students --on 2025-03-03   # the kinds of students each option changes\n"
               "  xueji ask jiangsu transfer --facts examples/transfer-family-move.yaml --on 2025-03-03 "
               "--reading transfer_review_is_approval=步骤",
    )
    rd.add_argument("region", metavar="REGION", help="region name, e.g. jiangsu (see `xueji regions`)")
    rd.add_argument("--no-cases", action="store_true", help="do not re-run the compliance cases under each option")
    rd.add_argument("--students", action="store_true",
                    help="also find, with z3, a minimal student per pair of answers each other option changes "
                         "(needs the toolkit extra: pip install 'xueji_rules[toolkit]')")
    rd.add_argument("--on", metavar="DATE", help="the date for --students (YYYY-MM-DD; default: today in Asia/Shanghai)")
    _fmt_arg(rd)
    lint.add_parser(sub, common, parser_class)
    edges.add_parser(sub, common, parser_class)
    toolkit_mutate.add_parser(sub, common, parser_class)
    service_serve.add_parser(sub, common, parser_class)
    due.add_parser(sub, common, parser_class)
    audit.add_parser(sub, common, parser_class)
    return p


# -- output helpers -------------------------------------------------------------------


def _width(text: str) -> int:
    from ._width import display_width

    return display_width(text)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns padded by display width: a Chinese character is two columns, a combining or
    zero-width character none, an ambiguous one (Ⅱ) one or two (XUEJI_AMBIGUOUS_WIDTH)."""
    from ._width import table

    return table(headers, [[str(c).replace("\n", " ") for c in r] for r in rows])


def _rel(path) -> str:
    if not path:
        return path
    try:
        p = Path(path)
        return str(p.resolve().relative_to(Path.cwd())) if p.is_absolute() else str(p)
    except (ValueError, OSError):
        return str(path)


def _diag(d: Diagnostic) -> Diagnostic:
    return attrs.evolve(d, file=_rel(d.file))






def _dump(obj, out) -> None:
    out.write(json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _day(text: str | None):
    from .evaluate import day_of

    return day_of(text, "date for --on")


# -- commands ----------------------------------------------------------------------------


def _read_facts(spec: str, stdin):
    """Facts from a file or stdin: YAML or JSON, one reader with positions (facts.input.load_facts_text)."""
    from .facts.input import load_facts_text

    if spec == "-":
        source = "<stdin>"
        if stdin is None or getattr(stdin, "closed", False):
            raise FactsError("no facts on standard input: it is closed (give --facts FILE, or pipe the facts in)")
        try:
            text = stdin.read()
        except UnicodeDecodeError as exc:
            raise FactsError(f"the facts on standard input are not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except (OSError, ValueError) as exc:
            raise FactsError(f"cannot read standard input: {type(exc).__name__}") from None
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FactsError(f"the facts on standard input are not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        try:
            text.encode("utf-8")  # a terminal in the C locale hands undecodable bytes on as surrogates
        except UnicodeEncodeError:
            raise FactsError("the facts on standard input are not UTF-8 text") from None
        if "\x00" in text:
            raise FactsError("the facts on standard input are binary, not YAML or JSON text")
    else:
        try:
            with open(spec, encoding="utf-8") as fh:
                text = fh.read()
        except UnicodeDecodeError as exc:
            raise FactsError(f"cannot read the facts file {spec}: not UTF-8 text ({exc.reason})") from None
        except OSError as exc:
            raise FactsError(f"cannot read the facts file {spec}: {exc.strerror or exc}") from None
        source = spec
    return load_facts_text(text, source)


def _readings_arg(pairs: list[str]) -> dict | None:
    """{id: option} from `--reading id=option` arguments."""
    out = {}
    for pair in pairs:
        rid, sep, option = pair.partition("=")
        if not sep or not rid or not option:
            raise FactsError(f"--reading takes ID=OPTION (e.g. transfer_review_is_approval=步骤), not '{pair}'")
        out[rid.strip()] = option.strip()
    return out or None


def cmd_readings(args, out, err, stdin) -> int:
    from .load import load_policy
    from .readings import reading_report

    policy = load_policy(args.region)
    report = reading_report(policy, with_cases=not args.no_cases, with_students=args.students,
                            on=_day(args.on) if args.on else None)
    if args.format == "json":
        _dump(report, out)
        return EXIT_OK
    if not report:
        out.write(f"{policy.id} has no reading with alternatives\n")
        return EXIT_OK
    for item in report:
        out.write(f"{item['id']}  {item['title']}\n")
        for option in item["options"]:
            mark = "*" if option["option"] == item["chosen"] else " "
            out.write(f"  {mark} {option['option']}: {option['meaning']}\n")
            changed = option.get("cases_changed")
            if changed is not None and option["option"] != item["chosen"]:
                out.write(f"      {len(changed)} compliance case(s) answer differently" + (":" if changed else "") + "\n")
                for c in changed[:10]:
                    out.write(f"        {c['where']}  {c['note']}  ({c['from']} → {c['to']})\n")
                if len(changed) > 10:
                    out.write(f"        … and {len(changed) - 10} more\n")
            for st in option.get("students_changed") or ():
                if st["pair"] is None:
                    out.write(f"      {st['question']}: no student answers differently"
                              + (" (proved by z3)" if st["proved_same"] else "") + "\n")
                else:
                    from .toolkit.solver import facts_text

                    out.write(f"      {st['question']}: {st['pair'][0]} → {st['pair'][1]} for {facts_text(st['facts'])}"
                              f" on {st['on']} ({st['rule'][0]} / {st['rule'][1]})\n")
        out.write(f"    rules: {', '.join(item['rules']) or '—'}\n\n")
    return EXIT_OK


def cmd_ask(args, out, err, stdin) -> int:
    from .evaluate import evaluate
    from .load import load_policy

    policy = load_policy(args.region)
    question = policy.question(args.question)
    calendar = None
    if args.calendar:
        from .school_calendar import load_calendar

        calendar = load_calendar(args.calendar)
    facts = _read_facts(args.facts, stdin)
    day = _day(args.on)
    readings = _readings_arg(args.reading)
    decision = evaluate(policy, question, facts, day, calendar, readings)
    why = None
    if getattr(args, "why", False):
        from .explain import condition_parts

        why = condition_parts(policy, question, facts, day, calendar)
    if args.format == "json":
        data = decision.to_dict()
        if why is not None:
            data["why"] = {rid: [attrs.asdict(part) for part in parts] for rid, parts in why.items()}
        _dump(data, out)
    else:
        color = args.color
        if color is None:
            color = bool(getattr(out, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
        from .render import render_decision

        out.write(render_decision(decision, color=color, why=why) + "\n")
    return EXIT_OK


def _validate_targets(paths: list[str]) -> list[Path]:
    from .locate import find, regions, resolve

    if not paths:
        return [find(name)[0] for name in regions()]
    targets = []
    for p in paths:
        path = Path(p)
        # a folder that is meant to be a policy is checked even without policy.yaml (reported as missing)
        targets.append(path if path.is_dir() else resolve(p))
    return targets


def _folders_line(folders) -> str:
    """Which policy folders a command reads, and where each was found: the installed copy or a working one."""
    from .locate import origin_of

    shown = []
    for folder in folders:
        folder = Path(folder)
        shown.append(f"{_rel(str(folder))} ({origin_of(folder)})")
    return ("policies: " + ", ".join(shown) + "\n") if shown else ""


def cmd_validate(args, out, err, stdin) -> int:
    from .load import check_policy

    targets = _validate_targets(args.paths)
    diags = []
    for folder in targets:
        diags.extend(check_policy(folder))
    diags = sorted((_diag(d) for d in diags), key=lambda d: (d.file or "", d.line or 0, d.column or 0, d.code))
    if args.format == "json":
        _dump([d.to_dict() for d in diags], out)
    else:
        out.write(_folders_line(targets))
        for d in diags:
            out.write(f"{d}\n")
        n = len(targets)
        if not targets:
            out.write("no policies to check\n")
        elif diags:
            out.write(f"{len(diags)} problem{'s' if len(diags) != 1 else ''} in {n} polic{'ies' if n != 1 else 'y'} checked\n")
        else:
            out.write(f"{n} polic{'ies' if n != 1 else 'y'} checked: no problems\n")
    return EXIT_PROBLEMS if diags else EXIT_OK


def cmd_questions(args, out, err, stdin) -> int:
    from .facts.vocabulary import FACTS
    from .load import load_policy

    policy = load_policy(args.region)
    data = []
    for q in policy.questions.values():
        facts = []
        for path in q.facts:
            spec = FACTS.get(path)
            facts.append({
                "path": path, "zh": spec.zh if spec else None, "en": spec.en if spec else None,
                "kind": spec.kind if spec else None, "unit": spec.unit if spec else None,
                "choices": dict(spec.choices) if spec and spec.choices else None,
            })
        data.append({"id": q.id, "title": q.title, "en": q.en, "rules": [r.id for r in q.rules], "facts": facts})
    if args.format == "json":
        _dump(data, out)
        return EXIT_OK
    blocks = []
    for q in data:
        lines = [f"{q['id']}  {q['title']}" + (f" ({q['en']})" if q["en"] else "")]
        lines.append("  rules: " + ", ".join(q["rules"]))
        if q["facts"]:
            lines.append("  facts:")
            width = max(len(f["path"]) for f in q["facts"])
            for f in q["facts"]:
                meaning = f["zh"] or ""
                if f["unit"]:
                    meaning += f"（{f['unit']}）"
                if f["choices"]:
                    meaning += "：" + "、".join(f"{c} {z}" for c, z in f["choices"].items())
                lines.append(f"    {f['path'].ljust(width)}  {meaning}")
        blocks.append("\n".join(lines))
    out.write("\n\n".join(blocks) + "\n")
    return EXIT_OK


def cmd_params(args, out, err, stdin) -> int:
    from .load import load_policy

    policy = load_policy(args.region)
    day = _day(args.on)
    policy.in_force(day)
    rows = []
    for p in policy.parameters.values():
        rows.append({"name": p.name, "title": p.title, "value": p.value_on(day), "unit": p.unit, "article": p.article})
    if args.format == "json":
        _dump({"region": policy.id, "on": day.isoformat(),
               "parameters": [{**r, "value": jsonable(r["value"])} for r in rows]}, out)
        return EXIT_OK
    out.write(f"{policy.jurisdiction_name}《{policy.title}》 {day.isoformat()}\n")
    out.write(_table(["name", "title", "value", "unit", "article"],
                     [[r["name"], r["title"], value_text(r["value"]), r["unit"] or "", r["article"]] for r in rows]) + "\n")
    return EXIT_OK


def cmd_show(args, out, err, stdin) -> int:
    from .load import load_policy
    from .show import describe, render_markdown, render_text

    policy = load_policy(args.region)
    day = _day(args.on) if args.on else None
    data = describe(policy, day)
    if args.format == "json":
        _dump(data, out)
    elif args.format == "markdown":
        out.write(render_markdown(data))
    else:
        out.write(_folders_line([layer.folder for layer in policy.layers]))
        out.write(render_text(data))
    return EXIT_OK


def cmd_compare(args, out, err, stdin) -> int:
    from .compare import compare_decisions, compare_parameters, load_regions, render_html, render_markdown, render_text

    if args.students or args.since or args.before:
        return run_students(args, out, err, stdin)

    if len(args.regions) < 2:
        raise UsageError("compare needs at least two regions, e.g. `xueji compare jiangsu shandong`")
    if args.facts and not args.question:
        raise UsageError("--facts needs --question: which question to answer in each region")
    if args.question and not args.facts:
        raise UsageError("--question needs --facts: the facts to answer it for")
    if not args.parameters and not args.facts:
        raise UsageError("--no-parameters leaves nothing to show without --facts and --question")
    day = _day(args.on)
    policies = load_regions(args.regions)
    facts = _read_facts(args.facts, stdin) if args.facts else None
    if args.question:
        for p in policies:  # an unknown question everywhere is a user error; in some regions a row says so
            if args.question in p.questions:
                break
        else:
            policies[0].question(args.question)
    table = compare_parameters(policies, day, names=args.regions) if args.parameters else None
    rows = compare_decisions(policies, args.question, facts, day, names=args.regions) if facts is not None else None
    if args.format == "json":
        doc = {"on": day.isoformat()}
        if table is not None:
            doc.update(table.to_dict(all_rows=args.all))
        if rows is not None:
            doc["question"] = args.question
            doc["decisions"] = [r.to_dict() for r in rows]
        _dump(doc, out)
    elif args.format == "markdown":
        out.write(render_markdown(table, rows, question=args.question, all_rows=args.all))
    elif args.format == "html":
        out.write(render_html(table, rows, question=args.question, all_rows=args.all,
                              title="xueji compare: " + " · ".join(args.regions)))
    else:
        out.write(render_text(table, rows, question=args.question, all_rows=args.all, width=max(8, args.width)))
    return EXIT_OK


def _is_cross_target(path: str) -> bool:
    from .compliance.cross_region import FOLDER, is_cross_region_file

    p = Path(path)
    return is_cross_region_file(p) or (p.is_dir() and p.absolute().name == FOLDER)


def cmd_test(args, out, err, stdin) -> int:
    from .compliance.cross_region import default_folder, run_cross_suite
    from .compliance.runner import run_suite
    from .locate import find, regions

    if args.paths:
        paths = args.paths
    elif args.policy:  # `xueji test --policy jiangsu`: that policy's own cases
        paths = [args.policy]
    else:  # every region in the roots (layers too), then the cross-region cases beside the bundled ones
        paths = [str(find(name)[0]) for name in regions()]
        cross = default_folder()
        if cross is not None:
            paths.append(str(cross))
    suites = [run_cross_suite(p) if _is_cross_target(p) and not args.policy else run_suite(p, policy=args.policy)
              for p in paths]
    passed = sum(s.passed for s in suites)
    failed = sum(s.failed for s in suites)
    toolkit_report.write(args, suites, paths)
    if args.format == "json":
        _dump({"passed": passed, "failed": failed, "suites": [_rel_suite(s.to_dict()) for s in suites]}, out)
        return EXIT_PROBLEMS if failed else EXIT_OK
    policy_folders = [s.folder for s in suites if s.folder and (Path(s.folder) / "policy.yaml").is_file()]
    out.write(_folders_line(policy_folders))
    for s in suites:
        for prob in s.problems:
            out.write(f"ERROR {_rel(prob.file)}: {prob.error.message}\n")
            for d in prob.diagnostics:
                out.write("  " + str(_diag(d)).replace("\n", "\n  ") + "\n")
        for r in s.results:
            if r.passed:
                continue
            c = r.case
            region = f" [{c.region}]" if getattr(c, "region", None) else ""
            out.write(f"FAIL {_rel(c.file)}:{c.line}: {c.note}{region}\n")
            out.write(f"  question {c.question}" + (f" on {c.on.isoformat()}" if c.on else "") + "\n")
            for m in r.messages:
                out.write(f"  {m}\n")
    for s in suites:
        if s.regions:  # a cross-region suite: how each region fared
            out.write(f"\ncross-region cases: {_rel(s.folder)}\n")
            rows, broken = [], False
            for region in s.regions:
                mine = [r for r in s.results if r.case.region == region]
                not_run = any(p.error.message.startswith(f"{region}: ") for p in s.problems)
                broken = broken or not_run
                rows.append([region, str(sum(1 for r in mine if r.passed)), str(sum(1 for r in mine if not r.passed)),
                             "does not load: its cases did not run" if not_run else ""])
            headers = ["region", "passed", "failed"] + (["policy"] if broken else [])
            out.write(_table(headers, [r[:len(headers)] for r in rows]) + "\n")
            continue
        if s.policy is None or not s.coverage:
            continue
        for layer, items in s.by_layer():
            if layer is None:
                out.write(f"\ncoverage: {s.policy.id} {s.policy.jurisdiction_name}《{s.policy.title}》\n")
            else:
                whose = "" if layer.id == s.policy.id else f" (as the cases of {s.policy.id} cover it)"
                out.write(f"\ncoverage: {layer.id} {layer.jurisdiction_name}《{layer.title}》{whose}\n")
            rows = [[c.article, str(c.held), str(c.failed), c.status] for c in items]
            out.write(_table(["article", "held", "failed", "covered"], rows) + "\n")
            n = sum(1 for c in items if c.covered)
            enc = sum(1 for c in items if c.encoded)
            out.write(f"{n} of {enc} encoded articles covered ({len(items) - enc} not encoded)\n")
    if not any(s.files for s in suites):
        out.write("no compliance cases found\n")
    out.write(f"{passed} passed, {failed} failed\n")
    return EXIT_PROBLEMS if failed else EXIT_OK


def _rel_suite(d: dict) -> dict:
    d["folder"] = _rel(d["folder"])
    d["files"] = [_rel(f) for f in d["files"]]
    for c in d["cases"]:
        c["file"] = _rel(c["file"])
    for p in d["problems"]:
        p["file"] = _rel(p["file"])
        for x in p["diagnostics"]:
            x["file"] = _rel(x["file"])
    return d


def cmd_id(args, out, err, stdin) -> int:
    from .load import load_policy
    from .student_id import parse_student_id

    sid = parse_student_id(load_policy(args.region), args.number, args.stage)
    if args.format == "json":
        _dump(sid.to_dict(), out)
        return EXIT_OK
    out.write(f"{sid.title} ({sid.layout})\n")
    out.write(_table(["part", "title", "positions", "value"],
                     [[p.name, p.title, p.positions, p.value] for p in sid.parts]) + "\n")
    out.write(f"{sid.article}：「{sid.quote}」\n")
    return EXIT_OK


def cmd_regions(args, out, err, stdin) -> int:
    from .load import load_policy
    from .locate import find, policy_roots, regions

    data = []
    for name in regions():
        folder, _, origin = find(name)
        entry = {"name": name, "folder": _rel(str(folder)), "from": origin, "id": None, "jurisdiction": None,
                 "title": None, "valid": True}
        try:
            p = load_policy(folder)
            entry.update(id=p.id, jurisdiction=p.jurisdiction_name, title=p.title)
        except XuejiError:
            entry["valid"] = False
        data.append(entry)
    if args.format == "json":
        _dump(data, out)
        return EXIT_OK
    if not data:
        out.write("no regions (looked in " + ", ".join(_rel(str(r)) for r, _ in policy_roots()) + ")\n")
    for e in data:
        about = f"{e['jurisdiction']}《{e['title']}》" if e["valid"] else "(does not load; run `xueji validate " + e["name"] + "`)"
        out.write(f"{e['name']}  {about}\n")
    return EXIT_OK


COMMANDS = {
    "ask": cmd_ask, "validate": cmd_validate, "questions": cmd_questions, "params": cmd_params,
    "show": cmd_show, "compare": cmd_compare, "test": cmd_test, "id": cmd_id, "regions": cmd_regions,
    "readings": cmd_readings,
    "lint": lint.run, "cases": edges.run,
}
COMMANDS["mutate"] = toolkit_mutate.run
COMMANDS["serve"] = service_serve.run
COMMANDS["due"] = due.run
COMMANDS["audit"] = audit.run


def main(argv=None, stdout=None, stderr=None, stdin=None) -> int:
    """Run ``xueji`` with ``argv`` (default: sys.argv[1:]); return the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    inp = stdin or sys.stdin
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(out, err)
    try:
        args = parser.parse_args(argv)
    except _Exit as exc:
        return exc.status
    debug = getattr(args, "debug", False)
    from .locate import policy_roots_given

    try:
        from .facts.privacy import show_values

        with policy_roots_given(*getattr(args, "policies", ())), show_values(True) if getattr(
                args, "show_values", False) else contextlib.nullcontext():
            return COMMANDS[args.command](args, out, err, inp)
    except XuejiError as exc:
        err.write(f"xueji: error: {exc}\n")
        return EXIT_USER
    except KeyboardInterrupt:
        err.write("xueji: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # a bug: say so briefly; the traceback only when asked
        if debug:
            err.write(traceback.format_exc())
        err.write(f"xueji: internal error: {type(exc).__name__}: {exc}\n"
                  + ("" if debug else "run again with --debug for the traceback, and please report it\n"))
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
