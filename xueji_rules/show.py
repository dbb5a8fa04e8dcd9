"""The effective policy after layering, with the provenance of everything in it (``xueji show``).

``describe(policy, on)`` gives a JSON-ready dict: every layer's metadata, every
parameter with its dated values and which layer, file, line and article each comes
from, and every question's rules in order with strength, conditions, article, dates
in force, layer, file:line and notes (replaced by, repealed by). With ``on``, each
rule and value says whether it is in force on that date.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

from ._width import table as _table
from .facts.input import jsonable
from .policy import STRENGTHS, Policy


def _rel(path) -> str | None:
    if not path:
        return path
    try:
        p = Path(path)
        return os.path.relpath(p) if p.is_absolute() and not os.path.relpath(p).startswith("..") else str(p)
    except (ValueError, OSError):
        return str(path)




def _iso(d) -> str | None:
    return d.isoformat() if d else None


def _between(on: _dt.date, start, end) -> bool:
    return (start is None or start <= on) and (end is None or on < end)


def describe(policy: Policy, on: _dt.date | None = None) -> dict:
    """The effective policy as a JSON-ready dict (see the module docstring)."""
    layers = [
        {
            "id": l.id, "title": l.title, "document_number": l.document_number, "issued_by": l.issued_by,
            "jurisdiction": l.jurisdiction_name, "jurisdiction_code": l.jurisdiction_code,
            "effective_from": _iso(l.effective_from), "effective_until": _iso(l.effective_until),
            "extends": l.extends, "folder": _rel(l.folder), "source": l.source,
            "articles": sum(1 for a in policy.articles.values() if a.layer == l.id),
            **({"in_force": _between(on, l.effective_from, l.effective_until)} if on else {}),
        }
        for l in policy.layers
    ]
    start = policy.effective_from
    parameters = []
    for p in policy.parameters.values():
        values = []
        for i, (d, v) in enumerate(p.values):
            until = p.values[i + 1][0] if i + 1 < len(p.values) else None
            src = p.source_of(d)
            item = {"from": _iso(d), "until": _iso(until), "value": jsonable(v),
                    "layer": src.layer if src else None, "file": _rel(src.file) if src else None,
                    "line": src.line if src else None, "article": src.article if src else p.article,
                    "quote": src.quote if src else p.quote}
            if on:
                item["in_force"] = _between(on, d, until)
            values.append(item)
        entry = {"name": p.name, "title": p.title, "unit": p.unit, "compare": p.compare, "article": p.article,
                 "quote": p.quote, "values": values,
                 "set_by": [{"layer": s.layer, "file": _rel(s.file), "line": s.line, "article": s.article,
                             "overrides": s.overrides} for s in p.sources]}
        if on:
            current = [v for v in values if v["in_force"]]
            entry["value_on"] = current[0]["value"] if current else None
        parameters.append(entry)
    questions = []
    for q in policy.questions.values():
        replaced_by: dict[str, list] = {}
        for r in q.rules:
            if r.replaces:
                replaced_by.setdefault(r.replaces, []).append(f"{r.layer}.{r.id}")
        rules = []
        for n, r in enumerate(q.rules, 1):
            lo, hi = r.in_force
            item = {
                "n": n, "id": r.id, "title": r.title, "strength": r.strength, "strength_en": STRENGTHS.get(r.strength),
                "when": r.when, "require": r.require, "article": r.article.id, "article_layer": r.article.layer,
                "quote": r.quote, "approver": r.approver, "exception_by": r.exception_by,
                "in_force": {"from": _iso(lo or start), "until": _iso(hi)},
                "layer": r.layer, "file": _rel(r.file), "line": r.line,
                "replaces": r.replaces, "replaced_by": replaced_by.get(r.id, []), "note": r.note,
            }
            if on:
                item["in_force_on"] = _between(on, lo or start, hi)
            rules.append(item)
        questions.append({
            "id": q.id, "title": q.title, "en": q.en, "rules": rules,
            "certificates": [{"certificate": c.certificate, "when": c.when} for c in q.certificates],
        })
    student_ids = [
        {"name": s.name, "title": s.title, "stages": list(s.stages), "length": s.length, "article": s.article.id,
         "layer": s.article.layer}
        for s in policy.student_ids.values()
    ]
    return {
        "region": policy.id, "jurisdiction": policy.jurisdiction_name, "title": policy.title,
        "version": policy.version, "content_hash": policy.content_hash, "on": _iso(on),
        "layers": layers, "parameters": parameters, "questions": questions, "student_ids": student_ids,
    }


def _where(item) -> str:
    return f"{item['file']}:{item['line']}" if item.get("line") else (item.get("file") or "")


def _dates(lo, hi) -> str:
    return f"{lo or '…'} – {hi or '…'}"


def _layer_line(l: dict) -> str:
    bits = [l["id"], f"{l['jurisdiction']}《{l['title']}》", l["document_number"] or "（无文号）", l["issued_by"],
            "in force " + _dates(l["effective_from"], l["effective_until"])]
    if l["extends"]:
        bits.append(f"extends {l['extends']}")
    bits.append(l["folder"])
    return "  ".join(bits)


def render_text(d: dict) -> str:
    on = d["on"]
    out = [f"{d['region']}  {d['jurisdiction']}《{d['title']}》 — the effective policy after layering"
           + (f", on {on}" if on else "")]
    out.append("")
    out.append("layers (the extended policy first):")
    for i, l in enumerate(d["layers"], 1):
        mark = "" if not on else ("  [in force]" if l["in_force"] else "  [not in force]")
        out.append(f"  {i}. {_layer_line(l)}{mark}")
    out.append("")
    out.append("parameters:")
    headers = ["name", "title", "value", "unit", "in force", "article", "set by"] + ([f"on {on}"] if on else [])
    rows = []
    for p in d["parameters"]:
        for j, v in enumerate(p["values"]):
            row = [p["name"] if j == 0 else "", p["title"] if j == 0 else "", _fmt(v["value"]), p["unit"] or "",
                   _dates(v["from"], v["until"]), v["article"], f"{v['layer']} {_where(v)}"]
            if on:
                row.append("*" if v["in_force"] else "")
            rows.append(row)
    out.append(_indent(_table(headers, rows)))
    for q in d["questions"]:
        out.append("")
        out.append(f"question {q['id']}  {q['title']}" + (f" ({q['en']})" if q["en"] else ""))
        for r in q["rules"]:
            mark = "" if not on else ("[in force] " if r["in_force_on"] else "[not in force] ")
            out.append(f"  {r['n']}. {mark}{r['id']}  {r['strength']} ({r['strength_en']})  {r['title']}")
            if r["when"]:
                out.append(f"       when:     {_one_line(r['when'])}")
            if r["require"]:
                out.append(f"       require:  {_one_line(r['require'])}")
            out.append(f"       article:  {r['article']}" + (f" ({r['article_layer']})" if r["article_layer"] else ""))
            out.append(f"       in force: {_dates(r['in_force']['from'], r['in_force']['until'])}")
            out.append(f"       from:     {r['layer']}  {_where(r)}")
            if r["replaces"]:
                out.append(f"       replaces: {r['replaces']}")
            if r["replaced_by"]:
                out.append(f"       replaced by: {', '.join(r['replaced_by'])}")
            if r["note"]:
                out.append(f"       note:     {r['note']}")
        if q["certificates"]:
            out.append("  certificates: " + "; ".join(f"{c['certificate']} when {c['when']}" for c in q["certificates"]))
    if d["student_ids"]:
        out.append("")
        out.append("student IDs:")
        for s in d["student_ids"]:
            out.append(f"  {s['name']}  {s['title']}  {s['length']} digits  stages {', '.join(s['stages'])}  "
                       f"{s['article']} ({s['layer']})")
    return "\n".join(out) + "\n"


def _md(text) -> str:
    import html

    s = html.escape("" if text is None else str(text), quote=False)
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("`", "\\`").replace("\n", "<br>")


def render_markdown(d: dict) -> str:
    on = d["on"]
    out = [f"# {_md(d['region'])}: {_md(d['jurisdiction'])}《{_md(d['title'])}》", ""]
    out.append("The effective policy after layering" + (f", on {on}." if on else "."))
    out += ["", "## Layers", "", "| # | id | title | document number | issued by | in force | extends | folder |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for i, l in enumerate(d["layers"], 1):
        out.append(f"| {i} | {_md(l['id'])} | {_md(l['jurisdiction'])}《{_md(l['title'])}》 | {_md(l['document_number'] or '—')} "
                   f"| {_md(l['issued_by'])} | {_dates(l['effective_from'], l['effective_until'])} | {_md(l['extends'] or '')} "
                   f"| {_md(l['folder'])} |")
    out += ["", "## Parameters", "",
            "| name | title | value | unit | in force | article | set by |" + (f" on {on} |" if on else ""),
            "| --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if on else "")]
    for p in d["parameters"]:
        for j, v in enumerate(p["values"]):
            row = (f"| {_md(p['name']) if j == 0 else ''} | {_md(p['title']) if j == 0 else ''} | {_md(_fmt(v['value']))} "
                   f"| {_md(p['unit'] or '')} | {_dates(v['from'], v['until'])} | {_md(v['article'])} "
                   f"| {_md(v['layer'])} {_md(_where(v))} |")
            if on:
                row += " ✓ |" if v["in_force"] else "  |"
            out.append(row)
    for q in d["questions"]:
        out += ["", f"## {_md(q['id'])} {_md(q['title'])}", "",
                "| # | rule | strength | when | require | article | in force | from | note |" + (f" on {on} |" if on else ""),
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- |" + (" --- |" if on else "")]
        for r in q["rules"]:
            note = "; ".join(x for x in [r["note"] or "", ("replaces " + r["replaces"]) if r["replaces"] else "",
                                         ("replaced by " + ", ".join(r["replaced_by"])) if r["replaced_by"] else ""] if x)
            row = (f"| {r['n']} | {_md(r['id'])}<br>{_md(r['title'])} | {_md(r['strength'])} | {_md(r['when'] or '')} "
                   f"| {_md(r['require'] or '')} | {_md(r['article'])} | {_dates(r['in_force']['from'], r['in_force']['until'])} "
                   f"| {_md(r['layer'])} {_md(_where(r))} | {_md(note)} |")
            if on:
                row += " ✓ |" if r["in_force_on"] else "  |"
            out.append(row)
    return "\n".join(out) + "\n"


def _fmt(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.split("\n"))
