"""The coverage report for people: per article of the source text, what encodes it and what tests it.

``xueji test --report report.html`` (or ``report.json``) writes, for each policy the cases
ran against, one row per article of the regulation's text in the text's own order
(``articles.sections``, from the policy's ``article_heading``): the rules that encode it
(title, strength, the condition in the statute's words, the parameters with their dated
values, the readings with their text, who approves, consents, reviews or is told), the
compliance cases in which each rule held or failed (note and file:line), the mutation score
of the article when ``--mutation FILE.json`` gives one (``xueji mutate --format json``;
the shape is in docs/compliance.md §6), and what is omitted with its kind and reason.

:func:`build` makes the JSON-ready model from a :class:`SuiteResult`; the page is
:func:`xueji_rules.toolkit.report_page.render`. Facts of the cases are never shown: only
their notes and where they are written.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..articles import OMISSION_KINDS, belongs
from ..errors import XuejiError
from ..policy import STRENGTHS
from ..procedure import KINDS, LEVELS
from ..render import value_text

FORMAT = "xueji-coverage-report/1"
#: what the mutation input must say it is, when it says (docs/compliance.md §6)
MUTATION_FORMAT = "xueji-mutate/1"

STATUS = {  # an article's status -> (中文, English)
    "encoded": ("已编码", "encoded"),
    "partly": ("部分编码", "partly encoded"),
    "omitted": ("未编码", "not encoded"),
    "unaccounted": ("未说明", "not accounted for"),
}


class ReportError(XuejiError):
    """The report could not be written, or the mutation input is not in the expected shape."""

    code = "report"


# -- the mutation input ---------------------------------------------------------------


def _count(entry: dict, key: str, where: str) -> int:
    value = entry.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportError(f"{where}: `{key}` must be a whole number ≥ 0")
    return value


def read_mutation(path: str | os.PathLike) -> dict:
    """The per-article figures of ``xueji mutate --format json``: {policy: {article: figures}}.

    ``figures`` is a dict with ``mutants``, ``killed``, ``equivalent`` and ``survivors``
    (a list of {file, line, mutation, closest}). Raises ReportError for an unreadable file
    or one not in the shape docs/compliance.md §6 gives.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read the mutation result {path}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportError(f"the mutation result {path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: expected an object with `policies` (docs/compliance.md §6)")
    fmt = data.get("format")
    if fmt is not None and fmt != MUTATION_FORMAT:
        raise ReportError(f"{path}: format is {fmt!r}, this report reads {MUTATION_FORMAT!r}")
    policies = data["policies"] if "policies" in data else [data]
    if not isinstance(policies, list):
        raise ReportError(f"{path}: `policies` must be a list")
    out: dict = {}
    for i, pol in enumerate(policies):
        where = f"{path}: policies[{i}]"
        if not isinstance(pol, dict) or not isinstance(pol.get("policy", pol.get("region")), str):
            raise ReportError(f"{where}: each entry needs `policy` (the policy id or region name) and `articles`")
        arts = pol.get("articles")
        if not isinstance(arts, list):
            raise ReportError(f"{where}: `articles` must be a list")
        figures = out.setdefault(pol.get("policy", pol.get("region")), {})
        for j, a in enumerate(arts):
            w = f"{where}.articles[{j}]"
            if not isinstance(a, dict) or not isinstance(a.get("article"), str):
                raise ReportError(f"{w}: each entry needs `article` (an article id such as 第一部分第十六条)")
            survivors = a.get("survivors", [])
            if not isinstance(survivors, list) or not all(isinstance(s, dict) for s in survivors):
                raise ReportError(f"{w}: `survivors` must be a list of objects")
            mutants, equivalent = _count(a, "mutants", w), _count(a, "equivalent", w)
            killed = _count(a, "killed", w) if "killed" in a else max(0, mutants - equivalent - len(survivors))
            if killed + equivalent > mutants:
                raise ReportError(f"{w}: killed + equivalent is more than mutants")
            figures[a["article"]] = {
                "mutants": mutants, "killed": killed, "equivalent": equivalent,
                "survivors": [{k: s.get(k) for k in ("file", "line", "mutation", "closest")} for s in survivors],
            }
    return out


def _score(fig: dict) -> dict:
    live = fig["mutants"] - fig["equivalent"]
    return {**fig, "score": (fig["killed"] / live) if live else None}


def _sum(figs: list) -> dict | None:
    if not figs:
        return None
    total = {"mutants": 0, "killed": 0, "equivalent": 0, "survivors": []}
    for f in figs:
        for k in ("mutants", "killed", "equivalent"):
            total[k] += f[k]
        total["survivors"] += f["survivors"]
    return _score(total)


# -- the model -----------------------------------------------------------------------------


def _rel(path, root: Path | None = None) -> str | None:
    """A path as the reader finds it: from the working directory, else from ``root`` (the policies' folder)."""
    if not path:
        return path
    p = Path(path)
    if not p.is_absolute():
        return p.as_posix()
    for base in [Path.cwd()] + ([root] if root else []):
        try:
            return p.resolve().relative_to(base.resolve()).as_posix()
        except (ValueError, OSError):
            continue
    return p.as_posix()


def _reading(policy, rid: str) -> dict:
    r = policy.readings.get(rid)
    if r is None:
        return {"id": rid, "title": rid, "text": "", "en": None}
    return {"id": r.id, "title": r.title, "text": r.text, "en": r.en,
            **({"options": [list(o) for o in r.options], "chosen": r.chosen} if r.options else {})}


def _parameter(policy, name: str, root=None) -> dict | None:
    p = policy.parameters.get(name)
    if p is None:
        return None
    return {"name": p.name, "title": p.title, "en": p.en, "unit": p.unit, "article": p.article, "quote": p.quote,
            "values": [[d.isoformat(), value_text(v)] for d, v in p.values],
            "set_by": [{"layer": s.layer, "article": s.article, "file": _rel(s.file, root), "line": s.line,
                        "values": [[d.isoformat(), value_text(v)] for d, v in s.values]} for s in p.sources],
            "readings": list(p.readings)}


def _procedure(item) -> dict:
    return {"kind": item.kind, "kind_en": KINDS[item.kind][0] if item.kind in KINDS else None,
            "by": item.by, "level": item.level, "level_en": LEVELS.get(item.level), "words": item.words,
            "party": item.party, "gate": item.gate, "for_exception": item.for_exception, "reading": item.reading}


def _case(res, status: str, root=None) -> dict:
    c = res.case
    return {"file": _rel(c.file, root), "line": c.line, "note": c.note, "on": c.on.isoformat() if c.on else None,
            "status": status, "passed": res.passed}


def _rule_cases(suite, root=None) -> dict:
    """(question, rule id) -> the cases in which the rule held or failed; ("student_id", article) for ID cases."""
    seen: dict = {}
    for res in suite.results:
        d = res.decision
        if d is None:
            for art, st in res.statuses:
                seen.setdefault(("student_id", art), []).append(_case(res, st, root))
            continue
        for r in d.rules:
            if r.status in ("held", "failed"):
                seen.setdefault((d.question, r.id), []).append(_case(res, r.status, root))
    return seen


def _rules(policy, suite, root=None) -> list:
    """Every rule (and student-ID layout) of the policy as a dict, with its cases."""
    cases = _rule_cases(suite, root)
    out = []
    for q in policy.questions.values():
        for r in q.rules:
            out.append({
                "question": q.id, "question_title": q.title, "question_en": q.en,
                "id": r.id, "title": r.title, "en": r.en,
                "strength": r.strength, "strength_en": STRENGTHS.get(r.strength),
                "article": r.article.id, "layer": r.article.layer, "quote": r.quote,
                "condition": r.message_zh, "condition_en": r.message_en,
                "when": r.when, "require": r.require,
                "parameters": [p for p in (_parameter(policy, n, root) for n in r.parameters) if p],
                "readings": [_reading(policy, x) for x in r.readings],
                "procedure": [_procedure(i) for i in r.procedure],
                "exception_by": r.exception_by,
                "deadlines": [{"title": d.title, "en": d.en} for d in r.deadlines],
                "documents": list(r.documents),
                "in_force": [x.isoformat() if x else None for x in r.in_force], "note": r.note,
                "replaces": r.replaces,
                "repealed_by": ({"layer": r.repealed_by[0], "article": r.repealed_by[1],
                                 "from": r.repealed_by[2].isoformat()} if r.repealed_by else None),
                "file": _rel(r.file, root), "line": r.line,
                "cases": cases.get((q.id, r.id), []),
            })
    for layout in policy.student_ids.values():
        out.append({
            "question": "student_id", "question_title": "学籍号", "question_en": "student ID",
            "id": layout.name, "title": layout.title, "en": layout.en, "strength": None, "strength_en": None,
            "article": layout.article.id, "layer": layout.article.layer, "quote": layout.quote,
            "condition": f"{layout.length} 位：" + "，".join(f"第{f.start}-{f.end}位{f.title}" for f in layout.fields),
            "condition_en": f"{layout.length} digits", "when": None, "require": None, "parameters": [],
            "readings": [], "procedure": [], "exception_by": None, "deadlines": [], "documents": [],
            "in_force": [None, None], "note": None, "replaces": None, "repealed_by": None, "file": None, "line": None,
            "cases": cases.get(("student_id", layout.article.id), []),
        })
    return out


def _item_key(article: str) -> tuple:
    """Items of one article in their order: 第八条第2项 before 第八条第13项 (the article itself first)."""
    return tuple(int(n) for n in re.findall(r"\d+", article))


def _distinct(cases: list, status: str) -> int:
    return len({(c["file"], c["line"], c["note"]) for c in cases if c["status"] == status and c["passed"]})


def _row(policy, article: str, layer: str, text: str | None, rules: list, params: list, omitted: list,
         covered_of: dict, mutation: dict | None) -> dict:
    readings: dict = {}
    for r in rules:
        for x in r["readings"]:
            readings.setdefault(x["id"], x)
    for p in params:
        for x in p["readings"]:
            readings.setdefault(x, _reading(policy, x))
    cases = [c for r in rules for c in r["cases"]]
    cited = sorted({r["article"] for r in rules} | {p["article"] for p in params})
    status = ("partly" if omitted else "encoded") if (rules or params) else ("omitted" if omitted else "unaccounted")
    return {
        "article": article, "layer": layer, "text": text,
        "status": status, "status_zh": STATUS[status][0], "status_en": STATUS[status][1],
        "cited": cited,
        "rules": rules,
        "parameters": params,
        "omitted": omitted,
        "readings": list(readings.values()),
        "held": _distinct(cases, "held"), "failed": _distinct(cases, "failed"),
        "covered": bool(cited) and all(covered_of.get(a, False) for a in cited),
        "uncovered": [a for a in cited if not covered_of.get(a, False)],
        "mutation": mutation,
    }


def build(suite, mutation: dict | None = None, region: str | None = None) -> dict:
    """The report of one policy's suite (a SuiteResult): JSON-ready, one row per article of the text.

    ``mutation`` is :func:`read_mutation`'s result; the figures of this policy are found by its
    id or by ``region`` (the name it was asked by).
    """
    policy = suite.policy
    root = Path(policy.layers[0].folder).parent if policy.layers else None
    rules = _rules(policy, suite, root)
    covered_of = {c.article: c.covered for c in suite.coverage}
    figures = None
    if mutation is not None:
        figures = mutation.get(policy.id, mutation.get(region or policy.id))
    used_figures: set = set()
    params_by_article: dict = {}
    for p in policy.parameters.values():
        d = _parameter(policy, p.name, root)
        for src in p.sources:
            params_by_article.setdefault((src.layer, src.article), []).append(d)
    last = policy.layers[-1].id if policy.layers else policy.id
    layers = []
    for info in policy.layers:
        mine = lambda lay: (lay or last) == info.id  # noqa: E731
        arts = [a for a, art in policy.articles.items() if mine(art.layer)]
        omissions = [o for o in policy.omitted if mine(o.layer)]
        ids = [a for a, _ in info.sections]
        texts = dict(info.sections)
        if not ids:  # no article_heading: the cited and omitted articles, in the order they are written
            ids = list(dict.fromkeys(arts + [o.article for o in omissions]))
        loose = [a for a in arts + [o.article for o in omissions] if not any(belongs(a, s) for s in ids)]
        rows = []
        for aid in ids + list(dict.fromkeys(loose)):
            of = (lambda x: belongs(x, aid)) if aid not in loose else (lambda x: x == aid)
            r_rules = sorted((r for r in rules if mine(r["layer"]) and of(r["article"])), key=lambda r: _item_key(r["article"]))
            r_params = [p for (lay, a), ps in params_by_article.items() if lay == info.id and of(a) for p in ps]
            r_params = list({p["name"]: p for p in r_params}.values())
            r_omit = [{"article": o.article, "kind": o.kind, "kind_en": OMISSION_KINDS.get(o.kind), "reason": o.reason,
                       "en": o.en} for o in omissions if of(o.article)]
            fig = None
            if figures:
                mine_figs = [(a, f) for a, f in figures.items() if of(a)]
                used_figures.update(a for a, _ in mine_figs)
                fig = _sum([f for _, f in mine_figs])
            row = _row(policy, aid, info.id, texts.get(aid), r_rules, r_params, r_omit, covered_of, fig)
            row["in_text"] = aid not in loose
            rows.append(row)
        layers.append({
            "id": info.id, "jurisdiction": info.jurisdiction_name, "title": info.title,
            "document_number": info.document_number, "issued_by": info.issued_by, "source": info.source,
            "effective_from": info.effective_from.isoformat(),
            "whole_text": bool(info.sections), "articles": rows,
        })
    rows = [r for lay in layers for r in lay["articles"]]
    counts = {k: sum(1 for r in rows if r["status"] == k) for k in STATUS}
    return {
        "format": FORMAT,
        "policy": policy.id, "region": region or policy.id,
        "jurisdiction": policy.jurisdiction_name, "title": policy.title, "version": policy.version,
        "document_number": policy.document_number,
        "cases": {"passed": suite.passed, "failed": suite.failed, "files": [_rel(f, root) for f in suite.files]},
        "articles": len(rows), "status_counts": counts,
        "covered": sum(1 for r in rows if r["covered"]),
        "mutation": _sum(list(figures.values())) if figures else None,
        "mutation_unmatched": sorted(set(figures) - used_figures) if figures else [],
        "layers": layers,
    }


def build_all(suites, mutation: dict | None = None, names=None) -> dict:
    """The report of several suites (cross-region suites, which have no one policy, are left out)."""
    names = list(names or [None] * len(suites))
    reports = [build(s, mutation, n) for s, n in zip(suites, names) if s.policy is not None and not s.regions]
    return {"format": FORMAT, "policies": reports,
            "mutation_given": mutation is not None}


# -- the command line ------------------------------------------------------------------------


def add_arguments(parser) -> None:
    """The options of ``xueji test`` that write the report."""
    parser.add_argument("--report", metavar="FILE",
                        help="also write the coverage report for people: FILE.html (a page to open in a browser) "
                             "or FILE.json (docs/compliance.md §6)")
    parser.add_argument("--mutation", metavar="FILE.json",
                        help="with --report: show each article's mutation score from `xueji mutate --format json`")


def write(args, suites, names=None) -> None:
    """Write ``args.report`` from the suites ``xueji test`` ran; raises ReportError when it cannot."""
    if getattr(args, "mutation", None) and not getattr(args, "report", None):
        raise ReportError("--mutation needs --report FILE: the report shows the mutation scores")
    if not getattr(args, "report", None):
        return
    mutation = read_mutation(args.mutation) if args.mutation else None
    data = build_all(suites, mutation, names)
    if str(args.report).lower().endswith(".json"):
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    else:
        from .report_page import render

        text = render(data)
    try:
        Path(args.report).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write the report {args.report}: {exc.strerror or exc}") from None
