"""Generate one plain Python function per question from its compiled rules.

The function computes every rule's status, the outcome and the failed rule
ids in straight-line code, so that answering a question costs little more
than a hand-written ``if`` chain. Explanations are built afterwards, lazily,
from the statuses (see ``evaluate.py``).
"""

from __future__ import annotations

import attrs

from .conditions.compile import RUNTIME, Compiled, Compiler


@attrs.frozen
class RulePlan:
    id: str
    strength: str
    when: Compiled | None
    require: Compiled | None
    approver: bool


def _status_code(plan: RulePlan, out: list[str], var: str) -> None:
    """Append lines computing ``var`` = 0 n/a, 1 held, 2 failed, 3 unknown."""
    ground = plan.strength in ("可以", "应当")
    req = plan.require.code if plan.require else "True"
    if plan.when is None:
        out.append(f"    _r = {req}")
        out.append(f"    {var} = 1 if _r is True else (2 if _r is False else 3)")
        return
    out.append(f"    _w = {plan.when.code}")
    out.append("    if _w is False:")
    out.append(f"        {var} = 0")
    out.append("    else:")
    out.append(f"        _r = {req}")
    if ground:
        # a ground holds when it applies and its requirement holds
        out.append("        if _r is True:")
        out.append(f"            {var} = 1 if _w is True else 3")
        out.append("        elif _r is False:")
        out.append(f"            {var} = 2")
        out.append("        else:")
        out.append(f"            {var} = 3")
    elif plan.strength == "须经批准":
        # whether approval is needed is unknown until we know the rule applies
        out.append("        if _r is True:")
        out.append(f"            {var} = 1 if _w is True else 3")
        out.append("        elif _r is False:")
        out.append(f"            {var} = 2 if _w is True else 3")
        out.append("        else:")
        out.append(f"            {var} = 3")
    else:
        # a constraint holds when it does not apply or its requirement holds
        out.append("        if _r is True:")
        out.append(f"            {var} = 1")
        out.append("        elif _r is False:")
        out.append(f"            {var} = 2 if _w is True else 3")
        out.append("        else:")
        out.append(f"            {var} = 3")


def generate(question_id: str, plans: list[RulePlan], compiler: Compiler) -> tuple[str, dict]:
    """Source of ``decide(F, P, T)`` and the namespace it runs in."""
    lines = ["def decide(F, P, T):"]
    n = len(plans)
    names = [f"s{i}" for i in range(n)]
    for plan, var in zip(plans, names):
        _status_code(plan, lines, var)
    if not plans:
        lines.append("    return 'not_regulated', (), ()")
        return "\n".join(lines), {**RUNTIME, **compiler.constants}

    def any_of(idx, code):
        return " or ".join(f"{names[i]} == {code}" for i in idx) or "False"

    constraints = [i for i, p in enumerate(plans) if p.strength in ("不得", "须经批准")]
    principle = [i for i, p in enumerate(plans) if p.strength == "原则上不"]
    grounds = [i for i, p in enumerate(plans) if p.strength in ("可以", "应当")]
    obligatory = [i for i, p in enumerate(plans) if p.strength == "应当"]
    approvals = [i for i, p in enumerate(plans) if p.strength == "须经批准" or (p.approver and p.strength in ("可以", "应当"))]

    lines.append(f"    if {any_of(constraints, 2)}:")
    lines.append("        o = 'denied'")
    lines.append(f"    elif not ({' or '.join(names)}):")
    lines.append("        o = 'not_regulated'")
    if grounds:
        lines.append(f"    elif not ({any_of(grounds, 1)}):")
        lines.append(f"        o = 'undetermined' if ({any_of(grounds, 3)}) else 'denied'")
    lines.append(f"    elif {any_of(range(n), 3)}:")
    lines.append("        o = 'undetermined'")
    lines.append(f"    elif {any_of(principle, 2)}:")
    lines.append("        o = 'denied_unless_exception'")
    lines.append(f"    elif {any_of(obligatory, 1)}:")
    lines.append("        o = 'required'")
    lines.append(f"    elif {any_of(approvals, 1)}:")
    lines.append("        o = 'allowed_with_approval'")
    lines.append("    else:")
    lines.append("        o = 'allowed'")
    ids = [compiler.const(p.id) for p in plans]
    failed = " + ".join(f"(({ids[i]},) if {names[i]} == 2 else ())" for i in range(n))
    lines.append(f"    return o, {failed}, ({', '.join(names)},)")
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


def build(source: str, namespace: dict, name: str, filename: str):
    """Compile generated source (never policy text) and return the named function."""
    ns = dict(namespace)
    exec(compile(source, filename, "exec"), ns)  # noqa: S102 - source generated from the checked tree
    return ns[name]
