"""Render a Decision as text a registry clerk can read (Chinese, English beside it)."""

from __future__ import annotations

from .facts.input import jsonable
from .facts.vocabulary import CERTIFICATES, FACTS, describe_value
from .policy import OUTCOMES
from .procedure import STATUSES

_STATUS = {
    "held": ("✓", "成立", "held", "32"),
    "failed": ("✗", "不成立", "failed", "31"),
    "unknown": ("?", "无法判断", "unknown", "33"),
    "not_applicable": ("·", "不适用", "not applicable", "2"),
}
_OUTCOME_COLOR = {
    "allowed": "32",
    "allowed_with_approval": "32",
    "required": "36",
    "denied_unless_exception": "33",
    "denied": "31",
    "undetermined": "33",
    "not_regulated": "2",
}

_STATUS_COLOR = {"proceed": "32", "await_approval": "36", "refused": "31", "ask_for_facts": "33", "not_regulated": "2"}


def _c(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def render_decision(d, color: bool = False, english: bool = True, why: dict | None = None) -> str:
    """The Decision as text; with ``why`` (explain.condition_parts), each rule's condition parts and their values."""
    lines = []
    outcome = f"{OUTCOMES[d.outcome]}" + (f"  ({d.outcome})" if english else "")
    lines.append(_c(f"{d.question_title}：{outcome}", "1;" + _OUTCOME_COLOR[d.outcome], color))
    if d.status:
        lines.append(_c(f"  下一步 status: {STATUSES[d.status]}" + (f" ({d.status})" if english else ""), _STATUS_COLOR[d.status], color))
    _STATE = {"given": "已同意 given", "refused": "不同意 refused", "pending": "待审批 pending"}
    for a in d.approvals:
        what = "例外" if a.for_exception else a.kind
        lines.append(f"    - {what}：{a.by}（{a.level}）{_STATE[a.state]} — {a.article}「{a.words}」"
                     + (f"，解读 {a.reading}" if a.reading else ""))
    for f in d.filings:
        lines.append(f"    - {f.kind}：{f.by}（{f.level}）不需等待 never waited for — {f.article}「{f.words}」")
    if d.policy:
        lines.append(f"  依据 {d.policy.jurisdiction}《{d.policy.title}》 版本 {d.policy.version}，日期 {d.on.isoformat()}")
    if d.certificate:
        lines.append(f"  证书 certificate: {CERTIFICATES.get(d.certificate, d.certificate)} ({d.certificate})")
    if d.approvers and not d.approvals:
        lines.append("  须经批准 approval by: " + "、".join(d.approvers))
    if d.exception_by:
        lines.append("  例外须经 exception by: " + "、".join(d.exception_by))
    if d.outcome == "denied" and not d.failed:
        lines.append("  没有一项可以（准予）或应当的理由适用 no ground for it applies")
    if d.missing_facts:
        lines.append(_c("  缺少事实 missing facts:", "33", color))
        for path in d.missing_facts:
            spec = FACTS.get(path)
            lines.append(f"    - {path}" + (f"（{spec.zh}）" if spec else ""))
    lines.append("")
    lines.append("规则 rules:")
    for r in d.rules:
        mark, zh, en, code = _STATUS[r.status]
        head = f"  {mark} [{zh}{' ' + en if english else ''}] {r.title}  ({r.id}, {r.strength})"
        lines.append(_c(head, code, color))
        if why is not None:
            for part in why.get(r.id, ()):
                mark_, code_ = {True: ("✓", "32"), False: ("✗", "31"), None: ("?", "33")}[part.value]
                lines.append(_c(f"      {mark_} {'适用条件 when' if part.clause == 'when' else '要求 require'}: {part.text}", code_, color))
        if r.status == "not_applicable":
            continue
        lines.append(f"      {r.message_zh}" + (f" / {r.message_en}" if english and r.message_en else ""))
        lines.append(f"      {r.article}：「{r.quote}」")
        if r.facts:
            shown = "；".join(f"{path} = {describe_value(FACTS[path], value) if path in FACTS else value}" for path, value in r.facts)
            lines.append(f"      事实 facts: {shown}")
        if r.parameters:
            units = {p.name: p.unit for p in d.parameters}
            lines.append("      参数 parameters: " + "；".join(f"{name} = {value_text(value)}{units.get(name) or ''}" for name, value in r.parameters))
    if d.documents:
        lines.append("")
        lines.append("材料 documents:")
        lines.extend(f"  - {doc}" for doc in d.documents)
    if d.steps:
        lines.append("")
        lines.append("流程 steps:")
        lines.extend(f"  {i}. {s.by}：{s.do}" for i, s in enumerate(d.steps, 1))
    if d.deadlines:
        lines.append("")
        lines.append("期限 deadlines:")
        lines.extend(
            f"  - {dl.title}{' / ' + dl.en if english and dl.en else ''}: "
            + (dl.date.isoformat() if dl.date else f"无法计算 cannot be given ({dl.problem})")
            for dl in d.deadlines
        )
    if d.readings:
        lines.append("")
        lines.append("采用的解读 readings:")
        lines.extend(f"  - {r.title}：{r.text}" for r in d.readings)
    if d.policy:
        lines.append("")
        lines.append(f"policy {d.policy.id} {d.policy.version} sha256:{d.policy.content_hash[:16]}")
    cal = getattr(d, "calendar", None)
    if cal is not None:
        which = "given" if cal.source == "given" else "policy's"
        kind = "样例 sample" if cal.sample else ""
        lines.append(f"校历 calendar ({which}): {cal.title or '-'} {kind} sha256:{cal.content_hash[:16]}".replace("  ", " "))
    return "\n".join(lines)


def value_text(v) -> str:
    """A parameter or fact value as staff read it: 210, 1/3, [chinese, mathematics], 2025-03-03, true."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (tuple, list, frozenset)):
        return "[" + ", ".join(value_text(x) for x in (sorted(v, key=str) if isinstance(v, frozenset) else v)) + "]"
    value = jsonable(v)
    return value if isinstance(value, str) else str(value)
