"""``xueji lint``: advice on a policy that validates — rules that cannot matter, things nothing uses.

``xueji validate`` reports errors (a policy that does not load). Lint reads the compiled
policy and says what is probably wrong although it loads, each warning with file:line
and a stable code (``CODES``). A warning is silenced on its line by a YAML comment that
names the code and gives the reason::

    - id: exception_ground   # lint: ignore grounds_overlap — 第十条 makes 应当 prevail over 第九条's 可以

(or on the comment lines and the bare ``key:`` line directly above it: ``no_document_number:   # lint:
ignore unused_reading — …`` silences a warning on that reading's ``title:`` line). An ignore without a reason, or one
that silences nothing, is itself a warning. Exit code 0: no warnings; 1: warnings.
"""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import attrs
import yaml

from ..conditions import parse as P
from ..errors import CaseFileError, XuejiError
from ..facts.vocabulary import FACTS
from .ranges import Ranges

#: Every warning code, with what it means (docs/compliance.md, "2. Lint").
CODES = {
    "rule_never_applies": "the rule's `when` can never hold, given the vocabulary's ranges and the definitions",
    "rule_never_holds": "the rule applies to some students but its `require` can never hold for them",
    "rule_never_fails": "whenever the rule applies its `require` holds: it can never fail",
    "grounds_overlap": "two grounds of one question with different strengths (可以, 应当) can hold for the same student, "
                       "and nothing orders them",
    "unused_parameter": "a parameter no rule, definition, deadline, certificate or contradiction reads",
    "unused_definition": "a definition nothing reads",
    "unused_reading": "a reading no rule, parameter, contradiction or question cites",
    "article_unused": "an article quoted in `articles:` that no rule, parameter or layout cites and no `omitted:` entry explains",
    "fact_unexplained": "a fact a rule needs that its article (or a reading it cites) does not mention "
                        "(the words of each fact: source/fact_words.yaml)",
    "deadline_unasserted": "a deadline no compliance case asserts (`want: deadlines:`)",
    "ignore_without_reason": "a `# lint: ignore` comment that gives no reason",
    "ignore_unused": "a `# lint: ignore` comment that silences nothing",
}

#: Where a policy keeps the words of its text that make each fact a condition (fact path, or prefix ending in ``.``).
FACT_WORDS = Path("source") / "fact_words.yaml"

_IGNORE = re.compile(r"#\s*lint:\s*ignore\s+([a-z_]+(?:\s*,\s*[a-z_]+)*)\s*(?:(?:—|--|-|:)\s*(.*))?$")


@attrs.frozen
class LintWarning:
    """One piece of advice: a stable code, a message, and where."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    subject: str = ""  # what it is about: question.rule, parameter name, article id …

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else (self.file or "")
        return f"{where}: {self.code}: {self.message}"

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "file": self.file, "line": self.line, "subject": self.subject}


@attrs.frozen
class Report:
    """The warnings that stand, and those silenced (each with the reason given)."""

    policy: str
    warnings: tuple
    silenced: tuple = ()  # (LintWarning, reason)

    def to_dict(self) -> dict:
        return {"policy": self.policy, "warnings": [w.to_dict() for w in self.warnings],
                "silenced": [{**w.to_dict(), "reason": reason} for w, reason in self.silenced]}


def lint(policy) -> Report:
    """Lint a compiled policy: the warnings about its own layer (a county layer's, not its province's)."""
    own = Path(policy.folder).resolve()
    found = []
    for check in (_rules, _grounds, _unused, _articles, _facts, _deadlines):
        found.extend(check(policy))
    found = [w for w in found if w.file is None or _inside(w.file, own)]
    return _apply_ignores(policy, found)


# -- checks --------------------------------------------------------------------------------------------


def _inside(file: str, folder: Path) -> bool:
    try:
        path = Path(file).resolve()
    except OSError:
        return False
    if not path.is_relative_to(folder):
        return False
    # a layer in a sub-folder is a policy of its own
    rel = path.relative_to(folder).parts
    return not any((folder.joinpath(*rel[:i]) / "policy.yaml").is_file() for i in range(1, len(rel)))


def _eras(policy) -> list[Ranges]:
    starts = {policy.effective_from}
    for p in policy.parameters.values():
        starts.update(d for d, _ in p.values if d >= policy.effective_from)
    if policy.effective_until:
        starts = {d for d in starts if d < policy.effective_until}
    return [Ranges(policy, policy.parameters_on(d)) for d in sorted(starts)]


def _tree(policy, text):
    return None if text is None else policy.trees.get(str(text))


def _rules(policy):
    eras = _eras(policy)
    for q in policy.questions.values():
        for rule in q.rules:
            when, require = _tree(policy, rule.when), _tree(policy, rule.require)
            where = dict(file=rule.file, line=rule.line, subject=f"{q.id}.{rule.id}")
            applies = [r for r in eras if r.satisfiable(when, True)] if when is not None else eras
            if not applies:
                yield LintWarning("rule_never_applies", f"{q.id}.{rule.id}: its `when` can never hold "
                                  f"({rule.article.id}); check the values and grades it names", **where)
                continue
            if require is None:
                continue
            both = P.Logic(1, 1, "and", (when, require)) if when is not None else require
            deliberate = isinstance(require, P.Bool) and not require.value and not rule.is_ground  # 不得…任何
            if not deliberate and not any(r.satisfiable(both, True) for r in applies):
                yield LintWarning("rule_never_holds", f"{q.id}.{rule.id}: when it applies its `require` can never hold, "
                                  f"so it always fails ({rule.article.id})", **where)
            elif not deliberate and not rule.gates and not any(
                    r.satisfiable(P.Logic(1, 1, "and", (when, P.Not(1, 1, require))) if when is not None
                                  else P.Not(1, 1, require), True) for r in applies):
                yield LintWarning("rule_never_fails", f"{q.id}.{rule.id}: whenever it applies its `require` holds, "
                                  f"so it can never fail ({rule.article.id}); is a condition in the wrong place?", **where)


def _holds_tree(policy, rule):
    parts = tuple(t for t in (_tree(policy, rule.when), _tree(policy, rule.require)) if t is not None)
    return P.Logic(1, 1, "and", parts) if parts else P.Bool(1, 1, True)


def _grounds(policy):
    eras = _eras(policy)
    for q in policy.questions.values():
        grounds = [r for r in q.rules if r.is_ground]
        for a, b in combinations(grounds, 2):
            if a.strength == b.strength:
                continue
            both = P.Logic(1, 1, "and", (_holds_tree(policy, a), _holds_tree(policy, b)))
            if any(r.satisfiable(both, True) for r in eras):
                first, second = (a, b) if a.strength == "应当" else (b, a)
                yield LintWarning(
                    "grounds_overlap",
                    f"{q.id}: {first.id} ({first.strength}, {first.article.id}) and {second.id} ({second.strength}, "
                    f"{second.article.id}) can both hold for one student, and nothing orders them (the engine "
                    f"answers `required`); make their conditions exclusive, or say which article orders them",
                    file=b.file, line=b.line, subject=f"{q.id}.{a.id}+{b.id}")


def _names(policy, node, seen: set) -> None:
    """Every parameter and definition name ``node`` reads, definitions followed."""
    if node is None:
        return
    if isinstance(node, P.Name):
        if node.name in seen:
            return
        seen.add(node.name)
        d = policy.definitions.get(node.name)
        if d is not None:
            _names(policy, policy.trees.get(d.condition), seen)
        return
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        for item in (value if isinstance(value, tuple) else (value,)):
            if isinstance(item, P.Node):
                _names(policy, item, seen)


def _unused(policy):
    used: set = set()
    readings: set = set()
    for q in policy.questions.values():
        readings.update(q.no_ground_readings)
        for rule in q.rules:
            readings.update(rule.readings)
            for text in (rule.when, rule.require, *(d.expression for d in rule.deadlines)):
                _names(policy, _tree(policy, text), used)
        for c in q.certificates:
            _names(policy, _tree(policy, c.when), used)
        for x in q.contradictions:
            readings.update(x.readings)
            _names(policy, _tree(policy, x.when), used)
    for p in policy.parameters.values():
        readings.update(p.readings)
    for name, p in policy.parameters.items():
        if name not in used:
            src = p.sources[0] if p.sources else None
            yield LintWarning("unused_parameter", f"parameter {name} ({p.article}) is read by nothing",
                              src.file if src else None, src.line if src else None, name)
    for name, d in policy.definitions.items():
        if name not in used:
            yield LintWarning("unused_definition", f"definition {name} is read by nothing", d.file, d.line, name)
    for rid in policy.readings:
        if rid not in readings:
            file, line = policy.positions.get(("readings", rid), (None, None))
            yield LintWarning("unused_reading", f"reading {rid} is cited by nothing", file, line, rid)


def _articles(policy):
    cited = set()
    for q in policy.questions.values():
        cited.update(r.article.id for r in q.rules)
    for p in policy.parameters.values():
        cited.add(p.article)
        cited.update(s.article for s in p.sources)
    cited.update(layout.article.id for layout in policy.student_ids.values())
    omitted = [o.article for o in policy.omitted]
    for aid in policy.articles:
        if aid in cited or any(o == aid or o.startswith(aid + "第") or aid.startswith(o + "第") for o in omitted):
            continue
        file, line = policy.positions.get(("articles", aid), (None, None))
        yield LintWarning("article_unused", f"{aid} is quoted but no rule, parameter or layout cites it, and no "
                          f"`omitted:` entry says why", file, line, aid)


def fact_words(folder) -> dict | None:
    """The words that make each fact a condition in the text of the policy in ``folder`` (None: none kept)."""
    path = Path(folder) / FACT_WORDS
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _words_for(cues: dict, path: str):
    if path in cues:
        return cues[path]
    prefixes = [k for k in cues if k.endswith(".") and path.startswith(k)]
    return cues[max(prefixes, key=len)] if prefixes else None


def _facts(policy):
    cues = fact_words(policy.folder)
    if cues is None:
        return
    for q in policy.questions.values():
        for rule in q.rules:
            if rule.layer and rule.layer != policy.id:
                continue
            texts = [rule.article.text, rule.quote] + [policy.readings[r].text for r in rule.readings]
            for path in rule.required_facts:
                words = _words_for(cues, path)
                if words is None:
                    yield LintWarning("fact_unexplained", f"{q.id}.{rule.id} needs {path}, which has no words in "
                                      f"{FACT_WORDS.as_posix()}", rule.file, rule.line, f"{q.id}.{rule.id}:{path}")
                elif not any(w in t for w in words for t in texts):
                    yield LintWarning("fact_unexplained", f"{q.id}.{rule.id} needs {path}, but {rule.article.id} "
                                      f"(and the readings it cites) has none of {'、'.join(words)}",
                                      rule.file, rule.line, f"{q.id}.{rule.id}:{path}")


def asserted_deadlines(policy) -> set:
    """The deadline titles and rule ids that the policy's own compliance cases assert (``want: deadlines:``)."""
    from ..compliance import load_case_file

    asserted = set()
    for path in sorted((Path(policy.folder) / "tests").rglob("*.yaml")):
        if "calendars" in path.parts:
            continue
        try:
            cases = load_case_file(path, policy)
        except (CaseFileError, XuejiError):
            continue
        for case in cases:
            for key, _ in (getattr(getattr(case, "want", None), "deadlines", None) or ()):
                asserted.add(key)
    return asserted


def _deadlines(policy):
    if not any(r.deadlines for q in policy.questions.values() for r in q.rules):
        return
    asserted = asserted_deadlines(policy)
    for q in policy.questions.values():
        for rule in q.rules:
            for dl in rule.deadlines:
                if dl.title not in asserted and rule.id not in asserted:
                    yield LintWarning("deadline_unasserted", f"{q.id}.{rule.id}: no case asserts the deadline 「{dl.title}」 "
                                      f"(add `deadlines: {{{dl.title}: YYYY-MM-DD}}` to a case's want)",
                                      rule.file, rule.line, f"{q.id}.{rule.id}:{dl.title}")


# -- ignores -------------------------------------------------------------------------------------------


_KEY_ONLY = re.compile(r"^\s*(-\s+)?[^\s#:][^:#]*:\s*(#.*)?$")


def _ignores(files) -> tuple[dict, dict]:
    """({(file, line): (codes, reason)} of every `# lint: ignore` comment, {file: its lines})."""
    table, texts = {}, {}
    for file in files:
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        name = str(Path(file).resolve())
        texts[name] = lines
        for n, text in enumerate(lines, 1):
            m = _IGNORE.search(text)
            if m:
                table[(name, n)] = ({c.strip() for c in m.group(1).split(",")}, (m.group(2) or "").strip())
    return table, texts


def _lines_for(lines: list, line: int):
    """The line a warning is on, then upwards the comment lines and bare `key:` lines that open its entry."""
    yield line
    k = line - 1
    while k >= 1 and (lines[k - 1].strip().startswith("#") or _KEY_ONLY.match(lines[k - 1])):
        yield k
        k -= 1


def _apply_ignores(policy, found) -> Report:
    own = Path(policy.folder).resolve()
    files = [f for f in sorted(own.glob("*.yaml")) + sorted((own / "questions").glob("*.yaml"))]
    table, texts = _ignores(files)
    used, kept, silenced = set(), [], []
    for w in found:
        name = str(Path(w.file).resolve()) if w.file else None
        match = None
        if name in texts and w.line:
            for k in _lines_for(texts[name], w.line):
                codes, reason = table.get((name, k), ((), ""))
                if w.code in codes and reason:
                    match = (k, reason)
                    break
        if match:
            used.add((name, match[0]))
            silenced.append((w, match[1]))
        else:
            kept.append(w)
    for (file, at), (codes, reason) in table.items():
        if not reason:
            kept.append(LintWarning("ignore_without_reason", "a `# lint: ignore` comment must say why "
                                    "(`# lint: ignore CODE — reason`)", file, at, ",".join(sorted(codes))))
        elif (file, at) not in used:
            unknown = sorted(codes - set(CODES))
            what = f"names unknown codes {', '.join(unknown)}" if unknown else "silences nothing here"
            kept.append(LintWarning("ignore_unused", f"the `# lint: ignore {', '.join(sorted(codes))}` comment {what}",
                                    file, at, ",".join(sorted(codes))))
    kept.sort(key=lambda w: (w.file or "", w.line or 0, w.code, w.subject))
    return Report(policy.id, tuple(kept), tuple(silenced))


# -- the command ---------------------------------------------------------------------------------------


def add_parser(sub, common, parser_class):
    """``xueji lint``."""
    import argparse

    p = sub.add_parser(
        "lint", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="advice on a valid policy: rules that cannot matter, things nothing uses",
        description="Warnings, each with file:line and a stable code, about a policy that loads:\n"
                    + "\n".join(f"  {code:22} {text}" for code, text in CODES.items())
                    + "\n\nSilence one on its line, with the reason: `# lint: ignore CODE — reason`.",
        epilog="examples:\n"
               "  xueji lint                       # every region in the policy roots\n"
               "  xueji lint jiangsu shandong/jinxiang\n"
               "  xueji lint tests/policies/lint_dead_parameter --format json\n\n"
               "Exits 0 when there are no warnings, 1 when there are, 2 when a policy does not load\n"
               "(`xueji validate` says why).",
    )
    p.add_argument("paths", nargs="*", metavar="REGION|DIR",
                   help="region names or policy folders (default: every region in the policy roots)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--silenced", action="store_true", help="also list the warnings silenced, with their reasons")


def run(args, out, err, stdin) -> int:
    import json

    from ..cli import _rel, _validate_targets
    from ..load import load_policy

    reports = [lint(load_policy(path=folder)) for folder in _validate_targets(args.paths)]

    def rel(w):
        return attrs.evolve(w, file=_rel(w.file))

    if args.format == "json":
        doc = [{**r.to_dict(), "warnings": [rel(w).to_dict() for w in r.warnings],
                "silenced": [{**rel(w).to_dict(), "reason": why} for w, why in r.silenced]} for r in reports]
        out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        for r in reports:
            for w in r.warnings:
                out.write(f"{rel(w)}\n")
            if args.silenced:
                for w, why in r.silenced:
                    out.write(f"{rel(w)} [silenced: {why}]\n")
        n = sum(len(r.warnings) for r in reports)
        quiet = sum(len(r.silenced) for r in reports)
        out.write(f"{n} warning{'s' if n != 1 else ''} in {len(reports)} polic{'ies' if len(reports) != 1 else 'y'}"
                  + (f" ({quiet} silenced)" if quiet else "") + "\n")
    return 1 if any(r.warnings for r in reports) else 0
