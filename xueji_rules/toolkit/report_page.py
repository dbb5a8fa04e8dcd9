"""The coverage report as one static HTML page: inline style, a few lines of script, nothing fetched.

Everything shown comes from the model of :func:`xueji_rules.toolkit.report.build_all` and is
escaped; the page is Chinese first with English beside, for policy staff who do not read YAML.
"""

from __future__ import annotations

import html

from .report import STATUS


def _h(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _both(zh, en, cls: str = "en") -> str:
    """Chinese, then the English beside it (when there is some)."""
    return _h(zh) + (f' <span class="{cls}">{_h(en)}</span>' if en else "")


def _pct(x) -> str:
    return "—" if x is None else f"{x * 100:.0f}%"


_CSS = """
:root { --line: #c9ced6; --muted: #5f6b7a; --ok: #176f2c; --bad: #a3261b; --warn: #8a5a00; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei",
       system-ui, sans-serif; margin: 0; color: #1d2530; line-height: 1.55; font-size: 15px; }
header, main { padding: 1.2em 2em; }
header { background: var(--bg); border-bottom: 1px solid var(--line); }
h1 { font-size: 1.5em; margin: 0 0 .3em; }
h2 { font-size: 1.3em; margin: 1.6em 0 .3em; }
h3 { font-size: 1.1em; margin: 1.2em 0 .4em; }
.en { color: var(--muted); font-size: .9em; }
.muted { color: var(--muted); }
.summary { display: flex; flex-wrap: wrap; gap: .6em 1.6em; margin: .6em 0; }
.summary div b { font-size: 1.15em; }
.tools { margin: .8em 0 0; display: flex; gap: 1em; flex-wrap: wrap; align-items: center; }
.tools input { font: inherit; padding: .25em .5em; width: 22em; }
.tools select { font: inherit; padding: .2em; }
table.articles { border-collapse: collapse; width: 100%; margin: .6em 0 1.5em; table-layout: fixed; }
table.articles th, table.articles td { border: 1px solid var(--line); padding: .45em .6em; vertical-align: top; text-align: left; }
table.articles thead th { background: var(--bg); position: sticky; top: 0; z-index: 1; }
col.c-art { width: 10.5em; } col.c-st { width: 8em; } col.c-cases { width: 9.5em; } col.c-mut { width: 8.5em; }
td.cases div.n { white-space: nowrap; }
td.cases div.muted { font-size: .9em; }
td.art b { font-size: 1.05em; }
.st { display: inline-block; padding: 0 .4em; border-radius: 3px; font-size: .9em; white-space: nowrap; }
.st-encoded { background: #e2f3e5; color: var(--ok); }
.st-partly { background: #fff3d6; color: var(--warn); }
.st-omitted { background: #eceff3; color: var(--muted); }
.st-unaccounted { background: #fbe3e0; color: var(--bad); }
.cov-yes { color: var(--ok); } .cov-no { color: var(--bad); }
.rule { border-left: 3px solid #7d9cc4; padding: .2em 0 .3em .7em; margin: .2em 0 .8em; }
.rule h4 { margin: 0; font-size: 1em; }
.strength { font-weight: normal; font-size: .9em; background: #e8eef7; padding: 0 .35em; border-radius: 3px; margin-left: .3em; }
.rule dl { display: grid; grid-template-columns: 8.5em 1fr; gap: .15em .6em; margin: .3em 0 0; }
.rule dt { color: var(--muted); font-size: .92em; }
.rule dd { margin: 0; }
.quote { font-family: "Noto Serif CJK SC", "Songti SC", "SimSun", serif; }
.where { color: var(--muted); font-size: .85em; font-family: ui-monospace, monospace; }
details > summary { cursor: pointer; }
details.src { margin-bottom: .5em; }
details.src p, .reading p { white-space: pre-wrap; margin: .3em 0; }
ul.cases { margin: .2em 0; padding-left: 1.2em; }
ul.cases li { margin: .1em 0; }
.held { color: var(--ok); } .failed { color: var(--bad); }
.casefail { color: var(--bad); font-weight: 600; }
.omit { background: #f3f4f6; padding: .3em .6em; margin: .3em 0; border-radius: 3px; }
code { font-family: ui-monospace, monospace; font-size: .88em; white-space: pre-wrap; word-break: break-all; }
.survivors { font-size: .9em; margin: .3em 0 0; padding-left: 1.2em; }
tr.hidden { display: none; }
@media print { .tools { display: none; } thead th { position: static; } }
"""

_JS = """
(function () {
  var q = document.getElementById('q'), st = document.getElementById('st'), n = document.getElementById('shown');
  function apply() {
    var text = q.value.trim().toLowerCase(), want = st.value, shown = 0;
    document.querySelectorAll('table.articles tbody tr').forEach(function (tr) {
      var ok = (!text || tr.textContent.toLowerCase().indexOf(text) >= 0) &&
               (!want || (' ' + tr.getAttribute('data-filter') + ' ').indexOf(' ' + want + ' ') >= 0);
      tr.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    n.textContent = String(shown);
  }
  q.addEventListener('input', apply);
  st.addEventListener('change', apply);
  apply();
})();
"""


def _values(p: dict) -> str:
    vals = p["values"]
    unit = p.get("unit") or ""
    if len(vals) == 1:
        return f"{_h(vals[0][1])}{_h(unit)}"
    return "；".join(f"自 {_h(d)} 起 {_h(v)}{_h(unit)}" for d, v in vals)


def _parameters(params: list) -> str:
    items = []
    for p in params:
        set_by = "；".join(f"{_h(s['article'])}" + (f' <span class="where">{_h(s["file"])}:{_h(s["line"])}</span>'
                                                      if s.get("file") else "") for s in p["set_by"])
        items.append(f"<li>{_both(p['title'], p.get('en'))}：<b>{_values(p)}</b>"
                     + (f' <span class="muted">（{_h(p["values"][0][0])} 起 from）</span>' if len(p["values"]) == 1 else "")
                     + (f'<br><span class="muted">依据 source:</span> {set_by}' if set_by else "") + "</li>")
    return "<ul class=\"cases\">" + "".join(items) + "</ul>"


def _readings(readings: list) -> str:
    out = []
    for r in readings:
        body = f"<p>{_h(r['text'])}</p>" + (f'<p class="en">{_h(r["en"])}</p>' if r.get("en") else "")
        if r.get("options"):
            body += "<ul>" + "".join(f"<li>{_h(o)}：{_h(m)}" + (" ✔" if o == r.get("chosen") else "") + "</li>"
                                     for o, m in r["options"]) + "</ul>"
        out.append(f'<details class="reading"><summary>{_h(r["title"])} <span class="where">{_h(r["id"])}</span>'
                   f"</summary>{body}</details>")
    return "".join(out)


def _procedure(items: list) -> str:
    out = []
    for i in items:
        role = "例外 exception" if i["for_exception"] else ("关口 gate" if i["gate"] else "步骤 step")
        words = f"「<span class=\"quote\">{_h(i['words'])}</span>」" if i.get("words") else ""
        out.append(f"<li>{_both(i['kind'], i.get('kind_en'))}：{_h(i['by'])}（{_both(i['level'], i.get('level_en'))}）"
                   f" {words} <span class=\"muted\">{_h(role)}</span></li>")
    return "<ul class=\"cases\">" + "".join(out) + "</ul>"


def _cases(cases: list) -> str:
    if not cases:
        return '<span class="failed">没有用例 no case</span>'
    held = sum(1 for c in cases if c["status"] == "held")
    failed = len(cases) - held
    items = []
    for c in cases:
        mark = '<span class="held">✓ 成立 held</span>' if c["status"] == "held" else '<span class="failed">✗ 不成立 failed</span>'
        bad = "" if c["passed"] else ' <span class="casefail">用例未通过 case fails</span>'
        where = f"{c['file']}:{c['line']}" if c.get("line") else (c.get("file") or "")
        items.append(f"<li>{mark} {_h(c['note'])}{bad} <span class=\"where\">{_h(where)}</span></li>")
    return (f"<details><summary>{held} 成立 held · {failed} 不成立 failed</summary>"
            f"<ul class=\"cases\">{''.join(items)}</ul></details>")


def _rule(r: dict) -> str:
    strength = f'<span class="strength">{_both(r["strength"], r.get("strength_en"))}</span>' if r.get("strength") else ""
    rows = [("问题 Question", _both(r["question_title"], r.get("question_en"))
             + f' <span class="where">{_h(r["question"])}.{_h(r["id"])}</span>')]
    rows.append(("条文原话 In the text's words", f'{_h(r["article"])}：「<span class="quote">{_h(r["quote"])}</span>」'))
    rows.append(("条件 Condition", _both(r["condition"], r.get("condition_en"))))
    if r["parameters"]:
        rows.append(("参数 Parameters", _parameters(r["parameters"])))
    if r["procedure"]:
        rows.append(("程序 Procedure", _procedure(r["procedure"])))
    if r.get("exception_by"):
        rows.append(("例外由 Exception by", _h(r["exception_by"])))
    if r["deadlines"]:
        rows.append(("期限 Deadlines", "<br>".join(_both(d["title"], d.get("en")) for d in r["deadlines"])))
    if r["documents"]:
        rows.append(("材料 Documents", _h("、".join(r["documents"]))))
    if r["readings"]:
        rows.append(("解读 Readings", _readings(r["readings"])))
    notes = []
    if r.get("note"):
        notes.append(_h(r["note"]))
    if r.get("repealed_by"):
        rb = r["repealed_by"]
        notes.append(f"自 {_h(rb['from'])} 起由 {_h(rb['layer'])} {_h(rb['article'])} 废止 repealed")
    if r.get("replaces"):
        notes.append(f"取代 replaces {_h(r['replaces'])}")
    if notes:
        rows.append(("说明 Note", "<br>".join(notes)))
    rows.append(("用例 Cases", _cases(r["cases"])))
    if r.get("when") or r.get("require"):
        tech = "".join(f"<div>{k}: <code>{_h(v)}</code></div>" for k, v in (("when", r.get("when")),
                                                                            ("require", r.get("require"))) if v)
        where = f' <span class="where">{_h(r["file"])}:{_h(r["line"])}</span>' if r.get("file") else ""
        rows.append(("编码 Encoding", f"<details><summary>条件式 expression{where}</summary>{tech}</details>"))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return (f'<div class="rule"><h4>{_h(r["title"])}{strength}</h4>'
            + (f'<div class="en">{_h(r["en"])}</div>' if r.get("en") else "") + f"<dl>{dl}</dl></div>")


def _mutation_cell(m: dict | None, given: bool) -> str:
    if m is None:
        return '<span class="muted">无变异体<br>no mutants</span>'
    live = m["mutants"] - m["equivalent"]
    cls = "cov-yes" if m["score"] is not None and m["killed"] == live else "cov-no"
    out = (f'<b class="{cls}">{_pct(m["score"])}</b><br><span class="muted">{m["killed"]}/{live} 被发现 killed'
           + (f"<br>{m['equivalent']} 等价 equivalent" if m["equivalent"] else "") + "</span>")
    return out


def _survivors(m: dict | None) -> str:
    if not m or not m["survivors"]:
        return ""
    items = []
    for s in m["survivors"]:
        where = f"{s.get('file') or ''}:{s.get('line')}" if s.get("line") else (s.get("file") or "")
        closest = f"；最接近的用例 closest case: {_h(s['closest'])}" if s.get("closest") else ""
        items.append(f"<li>{_h(s.get('mutation') or '')} <span class=\"where\">{_h(where)}</span>{closest}</li>")
    return (f"<h4>未被发现的变异 Surviving mutants ({len(m['survivors'])})</h4>"
            f"<ul class=\"survivors\">{''.join(items)}</ul>")


def _row(a: dict, given: bool) -> str:
    tags = [a["status"], "covered" if a["covered"] else "uncovered"]
    if a["mutation"] and a["mutation"]["survivors"]:
        tags.append("survivors")
    if any(not c["passed"] for r in a["rules"] for c in r["cases"]):
        tags.append("failing")
    content = []
    if a.get("text"):
        first = a["text"].split("\n")[0]
        short = first if len(first) <= 60 else first[:60] + "…"
        content.append(f'<details class="src"><summary>原文 Text: <span class="quote">{_h(short)}</span></summary>'
                       f'<p class="quote">{_h(a["text"])}</p></details>')
    elif not a.get("in_text", True):
        content.append('<p class="muted">原文标题中找不到此条 not found under a heading of the text</p>')
    for o in a["omitted"]:
        item = "" if o["article"] == a["article"] else f"{_h(o['article'])}："
        content.append(f'<div class="omit">未编码 Omitted {item}<b>{_both(o["kind"], o.get("kind_en"))}</b> — '
                       f'{_h(o["reason"])}' + (f' <span class="en">{_h(o["en"])}</span>' if o.get("en") else "") + "</div>")
    for r in a["rules"]:
        content.append(_rule(r))
    own = {p["name"] for r in a["rules"] for p in r["parameters"]}
    extra = [p for p in a["parameters"] if p["name"] not in own]
    if extra:
        content.append("<h4>本条设定、无规则直接读取的参数 Parameters set here that no rule of it reads</h4>"
                       + _parameters(extra))
    content.append(_survivors(a["mutation"]))
    if a["status"] == "encoded" or a["status"] == "partly":
        if a["covered"]:
            cov = '<span class="cov-yes">已覆盖 covered</span>'
        elif len(a["uncovered"]) < len(a["cited"]):
            cov = ('<span class="cov-no">部分覆盖 partly covered</span></div><div class="muted">未覆盖 not: '
                   + "、".join(_h(x[len(a["article"]):] or x) for x in a["uncovered"]))
        else:
            cov = '<span class="cov-no">未覆盖 not covered</span>'
        cases = f"<div class=\"n\">{a['held']} 成立 held</div><div class=\"n\">{a['failed']} 不成立 failed</div><div>{cov}</div>"
    else:
        cases = '<span class="muted">—</span>'
    st = STATUS[a["status"]]
    return (f'<tr id="{_h(a["layer"])}-{_h(a["article"])}" data-filter="{_h(" ".join(tags))}">'
            f'<td class="art"><b>{_h(a["article"])}</b></td>'
            f'<td><span class="st st-{_h(a["status"])}">{_h(st[0])}</span><br><span class="en">{_h(st[1])}</span></td>'
            f'<td class="cases">{cases}</td>' + (f"<td>{_mutation_cell(a['mutation'], given)}</td>" if given else "")
            + f"<td>{''.join(content)}</td></tr>")


def _policy(p: dict, given: bool) -> str:
    counts = p["status_counts"]
    mut = p["mutation"]
    summary = [
        f"<div>条文 Articles <b>{p['articles']}</b></div>",
        f"<div>已编码 encoded <b>{counts['encoded']}</b></div>",
        f"<div>部分编码 partly <b>{counts['partly']}</b></div>",
        f"<div>未编码 not encoded <b>{counts['omitted']}</b></div>",
    ]
    if counts["unaccounted"]:
        summary.append(f"<div class=\"cov-no\">未说明 unaccounted <b>{counts['unaccounted']}</b></div>")
    summary.append(f"<div>已覆盖 covered <b>{p['covered']}</b></div>")
    summary.append(f"<div>用例 cases <b>{p['cases']['passed']}</b> 通过 passed · "
                   f"<b class=\"{'cov-no' if p['cases']['failed'] else ''}\">{p['cases']['failed']}</b> 未通过 failed</div>")
    if mut:
        summary.append(f"<div>变异得分 mutation score <b>{_pct(mut['score'])}</b> "
                       f"({mut['killed']}/{mut['mutants'] - mut['equivalent']})</div>")
    out = [f'<section class="policy" data-policy="{_h(p["policy"])}">',
           f"<h2>{_h(p['jurisdiction'])}《{_h(p['title'])}》 <span class=\"where\">{_h(p['region'])} · "
           f"版本 version {_h(p['version'])}</span></h2>",
           f'<div class="summary">{"".join(summary)}</div>']
    if p.get("mutation_unmatched"):
        out.append(f"<p class=\"cov-no\">变异结果中有不属于本文的条文 mutation figures for articles not in the text: "
                   f"{_h('、'.join(p['mutation_unmatched']))}</p>")
    for lay in p["layers"]:
        if len(p["layers"]) == 1:
            whose = None
        else:
            whose = "" if lay["id"] == p["policy"] else f"（{_h(p['region'])} 的用例所覆盖 as the cases of {_h(p['region'])} cover it）"
        doc = f" {_h(lay['document_number'])}" if lay.get("document_number") else ""
        if whose is not None:
            out.append(f"<h3>{_h(lay['jurisdiction'])}《{_h(lay['title'])}》{doc}{whose}</h3>")
        out.append(f'<p class="muted">发布 issued by {_h(lay["issued_by"])} · 施行 in force from {_h(lay["effective_from"])}'
                   f" · 原文 text {_h(lay['source'])}"
                   + ("" if lay["whole_text"] else " · 本政策未声明条文标题格式，仅列出引用和未编码的条文 "
                                                    "(no article_heading: only the cited and omitted articles)")
                   + "</p>")
        mut_col = '<col class="c-mut">' if given else ""
        mut_head = "<th>变异得分<br><span class=\"en\">Mutation</span></th>" if given else ""
        out.append('<table class="articles" data-layer="' + _h(lay["id"]) + '"><colgroup><col class="c-art">'
                   f'<col class="c-st"><col class="c-cases">{mut_col}<col></colgroup><thead><tr>'
                   "<th>条文<br><span class=\"en\">Article</span></th><th>状态<br><span class=\"en\">Status</span></th>"
                   f"<th>用例<br><span class=\"en\">Cases</span></th>{mut_head}"
                   "<th>编码规则、参数、解读与未编码理由<br><span class=\"en\">Rules, parameters, readings, omissions"
                   "</span></th></tr></thead><tbody>")
        out.extend(_row(a, given) for a in lay["articles"])
        out.append("</tbody></table>")
    out.append("</section>")
    return "\n".join(out)


def render(data: dict, title: str = "学籍规定编码覆盖报告 · Coverage report") -> str:
    """The page for :func:`report.build_all`'s model: one table per text (layer), one row per article."""
    given = data.get("mutation_given", False)
    tools = ('<div class="tools"><label>查找 Find <input id="q" type="search" '
             'placeholder="条文、规则、用例… article, rule, case…"></label>'
             '<label>显示 Show <select id="st"><option value="">全部条文 all articles</option>'
             '<option value="encoded">已编码 encoded</option><option value="partly">部分编码 partly encoded</option>'
             '<option value="omitted">未编码 not encoded</option><option value="uncovered">未覆盖 not covered</option>'
             + ('<option value="survivors">有未发现的变异 surviving mutants</option>' if given else '')
             + '<option value="failing">有未通过的用例 failing cases</option></select></label>'
             '<span class="muted">显示 shown: <span id="shown"></span></span></div>')
    intro = ("<p>每一行是规定原文的一条，按原文顺序：哪些规则编码了它（强度、条文原话、参数、程序、解读），"
             "哪些合规用例检验了每条规则（成立或不成立），变异得分，以及未编码条文的类别和理由。"
             "「已覆盖」指有通过的用例使依据本条的规则成立，也有用例使其不成立。<br>"
             '<span class="en">One row per article of the text, in its order: the rules that encode it (strength, '
             "the text's words, parameters, procedure, readings), the compliance cases in which each rule held or "
             "failed, the mutation score, and for an article not encoded, its kind and reason. Covered: a passing "
             "case has a rule on the article hold, and another has one fail.</span></p>")
    body = [f"<header><h1>{_h(title)}</h1>{intro}{tools}</header><main>"]
    if not data["policies"]:
        body.append("<p>没有可报告的政策 no policy to report</p>")
    body.extend(_policy(p, given) for p in data["policies"])
    body.append("</main>")
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_h(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + f"\n<script>{_JS}</script>\n</body>\n</html>\n")
