"""Generate one plain Python function per question from its compiled rules.

The function computes every rule's status, the outcome and the failed rule
ids in straight-line code, so that answering a question costs little more
than a hand-written ``if`` chain. Explanations are built afterwards, lazily,
from the statuses (see ``evaluate.py``).
"""

from __future__ import annotations

import re

import attrs

from .conditions.compile import RUNTIME, Compiled, Compiler


@attrs.frozen
class RulePlan:
    id: str
    strength: str
    when: Compiled | None
    require: Compiled | None
    approver: bool


def _rule_code(plan: RulePlan, index: int, out: list[str], rule_id: str) -> None:
    """Append lines computing ``s<index>`` (0 n/a, 1 held, 2 failed, 3 unknown) and the flags it sets.

    A constraint (不得, 原则上不) holds when it does not apply or its requirement
    holds; a 须经批准 rule must be known to apply before approval is asked for; a
    ground (可以, 应当) holds when it applies and its requirement holds.
    """
    var = f"s{index}"
    ground = plan.strength in ("可以", "应当")
    approval = plan.strength == "须经批准" or (plan.approver and ground)

    def outcome(code: int, indent: str) -> list[str]:
        acts = [f"{var} = {code}", "_any = True"]
        if code == 1:
            if ground:
                acts.append("_gh = True")
            if plan.strength == "应当":
                acts.append("_req = True")
            if approval:
                acts.append("_app = True")
        elif code == 2:
            acts.append(f"_fl.append({rule_id})")
            if plan.strength in ("不得", "须经批准"):
                acts.append("_den = True")
            elif plan.strength == "原则上不":
                acts.append("_pri = True")
        else:
            acts.append("_unk = True")
            if ground:
                acts.append("_gu = True")
        return [indent + a for a in acts]

    req = plan.require.code if plan.require else "True"
    if plan.when is None:
        out.append(f"    _r = {req}")
        out.append("    if _r is True:")
        out.extend(outcome(1, "        "))
        out.append("    elif _r is False:")
        out.extend(outcome(2, "        "))
        out.append("    else:")
        out.extend(outcome(3, "        "))
        return
    out.append(f"    _w = {plan.when.code}")
    out.append("    if _w is False:")
    out.append(f"        {var} = 0")
    out.append("    else:")
    out.append(f"        _r = {req}")
    if ground:
        out.append("        if _r is False:")
        out.extend(outcome(2, "            "))
        out.append("        elif _r is True and _w is True:")
        out.extend(outcome(1, "            "))
    elif plan.strength == "须经批准":
        out.append("        if _w is True and _r is True:")
        out.extend(outcome(1, "            "))
        out.append("        elif _w is True and _r is False:")
        out.extend(outcome(2, "            "))
    else:
        out.append("        if _r is True:")
        out.extend(outcome(1, "            "))
        out.append("        elif _r is False and _w is True:")
        out.extend(outcome(2, "            "))
    out.append("        else:")
    out.extend(outcome(3, "            "))


def generate(question_id: str, plans: list[RulePlan], compiler: Compiler) -> tuple[str, dict]:
    """Source of ``decide(F, P, T) -> (outcome, failed ids, statuses)`` and its namespace."""
    lines = ["def decide(F, P, T):"]
    if not plans:
        lines.append("    return 'not_regulated', (), ()")
        return "\n".join(lines), {**RUNTIME, **compiler.constants}
    lines.append("    _fl = []")
    lines.append("    _any = _gh = _gu = _req = _app = _den = _pri = _unk = False")
    for i, plan in enumerate(plans):
        _rule_code(plan, i, lines, compiler.const(plan.id))
    has_grounds = any(p.strength in ("可以", "应当") for p in plans)
    lines.append("    if _den:")
    lines.append("        o = 'denied'")
    lines.append("    elif not _any:")
    lines.append("        o = 'not_regulated'")
    if has_grounds:
        lines.append("    elif not _gh:")
        lines.append("        o = 'undetermined' if _gu else 'denied'")
    lines.append("    elif _unk:")
    lines.append("        o = 'undetermined'")
    lines.append("    elif _pri:")
    lines.append("        o = 'denied_unless_exception'")
    lines.append("    elif _req:")
    lines.append("        o = 'required'")
    lines.append("    elif _app:")
    lines.append("        o = 'allowed_with_approval'")
    lines.append("    else:")
    lines.append("        o = 'allowed'")
    lines.append(f"    return o, tuple(_fl), ({', '.join(f's{i}' for i in range(len(plans)))},)")
    return "\n".join(lines), {**RUNTIME, **compiler.constants}


def generate_certify(items: list[tuple[str, Compiled]], compiler: Compiler) -> tuple[str, dict]:
    """Source of ``certify(F, P, T, G)``: the first certificate whose condition holds, else None.

    ``G`` is True/False when the outcome allows or not, None when undetermined; a
    condition that is unknown stops the search (the certificate is not known).
    """
    lines = ["def certify(F, P, T, G):"]
    for cert, cond in items:
        lines.append(f"    _c = {cond.code}")
        lines.append("    if _c is None:")
        lines.append("        return None")
        lines.append("    if _c:")
        lines.append(f"        return {cert!r}")
    lines.append("    return None")
    return "\n".join(lines), {**RUNTIME, **compiler.constants}


_FACT = re.compile(r"F\.get\('([A-Za-z0-9_.]+)'\)")
_DEF = re.compile(r"__d_([A-Za-z0-9_]+)__")


def hoist(function_source: str, compiler: Compiler) -> str:
    """Read each fact once, and compute each definition once, at the top of a generated function.

    Facts become locals (``F.get('absence.reason')`` → ``_f_absence__reason``); a
    definition used by the function is computed once before the rules, unless it
    divides or moves dates (which may fail on odd facts), in which case it stays
    inline, evaluated only where the rules need it, as the condition says.
    """
    head, _, body = function_source.partition("\n")
    defs = compiler.definition_code

    def expand_unsafe(code: str) -> str:
        while True:
            new = _DEF.sub(lambda m: defs[m.group(1)] if _unsafe(defs[m.group(1)]) else m.group(0), code)
            if new == code:
                return code
            code = new

    body = expand_unsafe(body)
    needed: list[str] = []

    def visit(code: str) -> None:
        for name in _DEF.findall(code):
            if name not in needed:
                visit(expand_unsafe(defs[name]))
                needed.append(name)

    visit(body)
    prelude_defs = [f"    __d_{n}__ = {expand_unsafe(defs[n])}" for n in needed]
    text = "\n".join(prelude_defs) + "\n" + body
    paths = list(dict.fromkeys(_FACT.findall(text)))
    prelude_facts = [f"    {_local(p)} = F.get({p!r})" for p in paths]
    text = _FACT.sub(lambda m: _local(m.group(1)), text)
    return head + "\n" + "\n".join(prelude_facts + [text])


def _local(path: str) -> str:
    return "_f_" + path.replace(".", "__")


def _unsafe(code: str) -> bool:
    return "Fraction(" in code or "_add_duration" in code or "_sub_duration" in code or "_date_in" in code


def build_module(source: str, namespace: dict, filename: str) -> dict:
    """Compile generated source (never policy text) once; return its namespace of functions."""
    ns = dict(namespace)
    exec(compile(source, filename, "exec"), ns)  # noqa: S102 - source generated from the checked tree
    return ns
