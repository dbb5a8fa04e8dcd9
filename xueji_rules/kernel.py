"""Generate one plain Python function per question from its compiled rules.

The function computes every rule's status, the outcome and the failed rule
ids in straight-line code, so that answering a question costs little more
than a hand-written ``if`` chain. Explanations are built afterwards, lazily,
from the statuses (see ``evaluate.py``).
"""

from __future__ import annotations

import re

import attrs

from .conditions.compile import RUNTIME, Compiled, Compiler, may_fail


@attrs.frozen
class RulePlan:
    id: str
    strength: str
    when: Compiled | None
    require: Compiled | None
    approver: bool


def _rule_code(plan: RulePlan, index: int, out: list[str], rule_id: str, indent: int) -> None:
    """Append lines computing ``s<index>`` (0 n/a, 1 held, 2 failed, 3 unknown) and the flags it sets.

    A constraint (不得, 原则上不) holds when it does not apply or its requirement
    holds; a 须经批准 rule must be known to apply before approval is asked for; a
    ground (可以, 应当) holds when it applies and its requirement holds.
    """
    var = f"s{index}"
    ground = plan.strength in ("可以", "应当")
    approval = plan.approver and (ground or plan.strength == "须经批准")

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
        if ground:
            acts.append("_ga = True")
        return [indent + a for a in acts]

    req = plan.require.code if plan.require else "True"
    pad = " " * indent
    if plan.when is None:
        out.append(f"{pad}_r = {req}")
        out.append(f"{pad}if _r is True:")
        out.extend(outcome(1, pad + "    "))
        out.append(f"{pad}elif _r is False:")
        out.extend(outcome(2, pad + "    "))
        out.append(f"{pad}else:")
        out.extend(outcome(3, pad + "    "))
        return
    # inside its group's block: _w is True or None here
    out.append(f"{pad}_r = {req}")
    if ground:
        out.append(f"{pad}if _r is False:")
        out.extend(outcome(2, pad + "    "))
        out.append(f"{pad}elif _r is True and _w is True:")
        out.extend(outcome(1, pad + "    "))
    elif plan.strength == "须经批准":
        out.append(f"{pad}if _w is True and _r is True:")
        out.extend(outcome(1, pad + "    "))
        out.append(f"{pad}elif _w is True and _r is False:")
        out.extend(outcome(2, pad + "    "))
    else:
        out.append(f"{pad}if _r is True:")
        out.extend(outcome(1, pad + "    "))
        out.append(f"{pad}elif _r is False and _w is True:")
        out.extend(outcome(2, pad + "    "))
    out.append(f"{pad}else:")
    out.extend(outcome(3, pad + "    "))


def generate(question_id: str, plans: list[RulePlan], compiler: Compiler,
             when_no_ground: str = "denied") -> tuple[str, dict]:
    """Source of ``decide(F, P, T, full=True, _cal=_cal) -> (outcome, failed ids, statuses)`` and its namespace.

    ``_cal`` is the school calendar the rules read: the policy's by default, or one given at ask time.

    Consecutive rules with the same ``when`` share one test of it, and what only
    their requirements read is read inside that test's branch, as a hand-written
    function would; consecutive tests that start with the same definition
    (``compulsory 且 …``) sit in one section skipped by one test of it, so a senior
    student's facts never pay for the compulsory rules. A definition read ahead
    that calls a function (a place relation) is computed at its first use, and so
    is a call written in two rules (the failed core subjects, counted once).
    """
    # the school calendar is a parameter whose default is the policy's (`_cal` of the module): a calendar
    # given at ask time is passed in, with no recompiling and no shared state
    lines = ["def decide(F, P, T, full=True, _cal=_cal):"]
    if not plans:
        lines.append("    return ('not_regulated', (), ()) if full else ('not_regulated', ())")
        return "\n".join(lines), {**RUNTIME, **compiler.constants}
    defs = compiler.definition_code
    groups: list[tuple[str | None, list[int]]] = []
    for i, plan in enumerate(plans):
        key = _expand_unsafe(plan.when.code, defs) if plan.when else None
        if groups and key is not None and groups[-1][0] == key:
            groups[-1][1].append(i)
        else:
            groups.append((key, [i]))
    requires = {i: _expand_unsafe(p.require.code, defs) if p.require else "True" for i, p in enumerate(plans)}
    plans = [attrs.evolve(p, require=attrs.evolve(p.require, code=requires[i]) if p.require else None) for i, p in enumerate(plans)]

    # consecutive groups whose tests all start with the same definition (`compulsory 且 …`)
    # form a section tested once by it, as a hand-written function tests the stage once
    units: list[tuple[str | None, list[int]]] = []
    tests = [_lead(key) for key, _ in groups]
    for g, test in enumerate(tests):
        lead = test[0] if test else None
        if lead is not None and units and units[-1][0] == lead:
            units[-1][1].append(g)
        else:
            units.append((lead, [g]))
    sections: list[tuple[str | None, list[int]]] = []
    for lead, gs in units:
        if len(gs) > 1 and all(_whole(tests[g][1]) for g in gs):
            sections.append((lead, gs))
        else:  # a lone group is tested by its own test
            sections.extend((None, [g]) for g in gs)
    units = sections

    # what the tests read is read first, and what two units read; what one unit alone reads, inside it
    key_needs = [_needs(key, defs) if key else [] for key, _ in groups]
    block_needs = [_needs(" ".join(requires[i] for i in idx), defs) for _, idx in groups]
    heads = [_needs(lead, defs) if lead else key_needs[gs[0]] for lead, gs in units]
    counts: dict = {}
    for head, (_, gs) in zip(heads, units):
        for item in dict.fromkeys([*head, *(x for g in gs for x in key_needs[g] + block_needs[g])]):
            counts[item] = counts.get(item, 0) + 1
    first = list(dict.fromkeys(x for head in heads for x in head))
    shared = first + [x for x in _ordered(counts, defs) if counts[x] > 1 and x not in first]
    # a definition read ahead that calls a function (a place relation, a count) is computed at its
    # first use, at most once: a student whose rules never reach it never pays for it
    lazy = {x[2:] for x in shared if x.startswith("d:") and _costly(defs[x[2:]])}
    body: list[str] = []
    body.extend(_reads(shared, defs, 4, lazy))
    body.append("    _fl = []")
    body.append("    _any = _gh = _gu = _ga = _req = _app = _den = _pri = _unk = False")
    done = set(shared)

    def group_code(g: int, pad: int, known: set, in_section: bool = False) -> None:
        key, idx = groups[g]
        if in_section:
            key = tests[g][1]  # inside its section the lead is not False
        local = [x for x in block_needs[g] if x not in known]
        if key is None:
            body.extend(_reads(local, defs, pad))
            for i in idx:
                _rule_code(plans[i], i, body, compiler.const(plans[i].id), pad)
            return
        body.append(f"{' ' * pad}_w = {key}")
        body.append(f"{' ' * pad}if _w is False:")
        body.append(f"{' ' * (pad + 4)}" + " = ".join(f"s{i}" for i in idx) + " = 0")
        body.append(f"{' ' * pad}else:")
        body.extend(_reads(local, defs, pad + 4))
        for i in idx:
            _rule_code(plans[i], i, body, compiler.const(plans[i].id), pad + 4)

    for lead, gs in units:
        if lead is None:
            group_code(gs[0], 4, done)
            continue
        # the section: its groups' tests, and what two of its groups read, are read once inside it
        inner: dict = {}
        for g in gs:
            for x in block_needs[g]:
                inner[x] = inner.get(x, 0) + 1
        level = set(x for g in gs for x in key_needs[g]) | {x for x, n in inner.items() if n > 1}
        order = [x for x in _ordered({x: 1 for g in gs for x in key_needs[g] + block_needs[g]}, defs)
                 if x in level and x not in done]
        body.append(f"    if {lead} is False:")
        body.append("        " + " = ".join(f"s{i}" for g in gs for i in groups[g][1]) + " = 0")
        body.append("    else:")
        body.extend(_reads(order, defs, 8))
        for g in gs:
            group_code(g, 8, done | set(order), True)
    has_grounds = any(p.strength in ("可以", "应当") for p in plans)
    body.append("    if _den:")
    body.append("        o = 'denied'")
    body.append("    elif not _any:")
    body.append("        o = 'not_regulated'")
    if has_grounds:
        # no ground holds: denied if one applied and failed; if none applied at all, what the
        # question declares (`when_no_ground`: its grounds are exhaustive, or the text is silent)
        body.append("    elif not _gh:")
        if when_no_ground == "not_regulated":
            # silent on this case only if nothing unknown could still make a rule decide it
            body.append("        o = 'undetermined' if _gu else ('denied' if _ga else ('undetermined' if _unk else 'not_regulated'))")
        else:
            body.append(f"        o = 'undetermined' if _gu else ('denied' if _ga else {when_no_ground!r})")
    body.append("    elif _unk:")
    body.append("        o = 'undetermined'")
    body.append("    elif _pri:")
    body.append("        o = 'denied_unless_exception'")
    body.append("    elif _req:")
    body.append("        o = 'required'")
    body.append("    elif _app:")
    body.append("        o = 'allowed_with_approval'")
    body.append("    else:")
    body.append("        o = 'allowed'")
    # the fast path (full=False) needs only the outcome and the failed ids
    body.append("    if not full:")
    body.append("        return o, tuple(_fl)")
    body.append(f"    return o, tuple(_fl), ({', '.join(f's{i}' for i in range(len(plans)))},)")
    text = "\n".join(body)
    if lazy:
        text = _lazy_uses(text, lazy, defs)
    text = _FACT.sub(lambda m: _local(m.group(1)), text).replace("F.get(\"", "F.get('").replace("\")  # read", "')")
    text = _calls_once(text)
    return "\n".join(lines) + "\n" + text, {**RUNTIME, **compiler.constants, "_PENDING": _PENDING}


_LEAD = re.compile(r"\(False if \((__d_[A-Za-z0-9_]+__)\) is False else (.*)\)", re.S)


def _lead(key: str | None) -> tuple[str, str] | None:
    """(the definition a group's test starts with, the rest of the test), else None.

    For ``A 且 B`` compiled as ``(False if (A) is False else B')`` (conditions.compile's
    three-valued 且) that is ``(A, B')``; for a test that is a definition alone, ``(A, A)``. The
    test is False whenever A is, so the groups whose tests start with A can be skipped with one
    test of it, and inside that test B' alone decides (``_whole`` checks the shape).
    """
    if key is None:
        return None
    if _DEF.fullmatch(key):
        return key, key
    m = _LEAD.fullmatch(key)
    return (m.group(1), m.group(2)) if m else None


def _whole(rest: str) -> bool:
    """Whether ``rest`` is an expression by itself: the test's outer bracket is the one that closes at its end."""
    try:
        compile(rest, "<test>", "eval")
    except SyntaxError:
        return False
    return True


def _needs(code: str, defs: dict) -> list[str]:
    """Facts (``f:path``) and definitions (``d:name``) that ``code`` reads, dependencies first."""
    out: list[str] = []

    def visit(text: str) -> None:
        for m in re.finditer(r"F\.get\('([A-Za-z0-9_.]+)'\)|__d_([A-Za-z0-9_]+)__", text):
            if m.group(1):
                item = "f:" + m.group(1)
                if item not in out:
                    out.append(item)
            else:
                item = "d:" + m.group(2)
                if item not in out:
                    visit(_expand_unsafe(defs[m.group(2)], defs))
                    out.append(item)

    visit(code)
    return out


def _ordered(counts: dict, defs: dict) -> list[str]:
    """Items in an order where every definition follows what it reads."""
    out: list[str] = []
    for item in counts:
        for dep in _needs(f"__d_{item[2:]}__" if item.startswith("d:") else f"F.get('{item[2:]}')", defs):
            if dep not in out:
                out.append(dep)
    return out


def _reads(items: list[str], defs: dict, indent: int, lazy=frozenset()) -> list[str]:
    """Lines reading facts into locals and computing definitions, in the given order.

    Fact reads are written ``F.get("…")  # read`` so that the later rewrite of
    ``F.get('…')`` into locals leaves them alone; it then restores the quotes. A
    definition in ``lazy`` is only marked pending here (``_lazy_uses`` computes it).
    """
    pad = " " * indent
    lines = []
    for item in items:
        if item.startswith("f:"):
            lines.append(f'{pad}{_local(item[2:])} = F.get("{item[2:]}")  # read')
        elif item[2:] in lazy:
            lines.append(f"{pad}__d_{item[2:]}__ = _PENDING")
        else:
            lines.append(f"{pad}__d_{item[2:]}__ = {_expand_unsafe(defs[item[2:]], defs)}")
    return lines


class _Pending:
    """The value of a definition not computed yet (``_lazy_uses``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "_PENDING"


_PENDING = _Pending()


def _costly(code: str) -> bool:
    """A definition whose code calls a runtime function (a place relation, a count, an age): worth computing only when used."""
    return not _unsafe(code) and any(f in code for f in ("_same_place(", "_count_in(", "_age_on("))


def _lazy_uses(text: str, lazy: set, defs: dict) -> str:
    """Each use of a lazy definition computes it the first time: ``(d if d is not _PENDING else (d := …))``.

    The facts a lazy definition reads are read where it is marked pending, so they are
    locals wherever it is used; a lazy definition may use another, computed the same way.
    """
    forms: dict = {}

    def form(name: str) -> str:
        if name not in forms:
            code = _DEF.sub(lambda m: form(m.group(1)) if m.group(1) in lazy else m.group(0),
                            _expand_unsafe(defs[name], defs))
            forms[name] = f"(__d_{name}__ if __d_{name}__ is not _PENDING else (__d_{name}__ := {code}))"
        return forms[name]

    marker = re.compile(r"__d_([A-Za-z0-9_]+)__(?! = _PENDING)")
    return marker.sub(lambda m: form(m.group(1)) if m.group(1) in lazy else m.group(0), text)


#: a call of a runtime function on facts and parameters alone (``count_in(results.failed_subjects, core_subjects)``)
_CALL = re.compile(r"_(?:count_in|age_on)\((?:_f_\w+|P\['\w+'\]|_c\d+)(?:, (?:_f_\w+|P\['\w+'\]|_c\d+))*\)")


def _calls_once(text: str) -> str:
    """A call written more than once in a question's rules (the same function of the same facts) is computed once, at its first use.

    Facts are read once into locals and parameters do not change, so every occurrence has the same value.
    """
    seen: dict = {}
    for m in _CALL.finditer(text):
        seen[m.group(0)] = seen.get(m.group(0), 0) + 1
    repeated = {call: f"_k{n}" for n, call in enumerate(c for c, k in seen.items() if k > 1)}
    if not repeated:
        return text
    text = _CALL.sub(lambda m: (f"({v} if {v} is not _PENDING else ({v} := {m.group(0)}))"
                                if (v := repeated.get(m.group(0))) else m.group(0)), text)
    head = "".join(f"    {v} = _PENDING\n" for v in repeated.values())
    return head + text


def _expand_unsafe(code: str, defs: dict) -> str:
    """Write inline the definitions that divide or move dates (they may fail on odd facts)."""
    while True:
        new = _DEF.sub(lambda m: defs[m.group(1)] if _unsafe(defs[m.group(1)]) else m.group(0), code)
        if new == code:
            return code
        code = new


def generate_certify(items: list[tuple[str, Compiled]], compiler: Compiler) -> tuple[str, dict]:
    """Source of ``certify(F, P, T, G)``: the first certificate whose condition holds, else None.

    ``G`` is True/False when the outcome allows or not, None when undetermined; a
    condition that is unknown stops the search (the certificate is not known).
    """
    lines = ["def certify(F, P, T, G, _cal=_cal):"]
    for cert, cond in items:
        lines.append(f"    _c = {cond.code}")
        lines.append("    if _c is None:")
        lines.append("        return None")
        lines.append("    if _c:")
        lines.append(f"        return {cert!r}")
    lines.append("    return None")
    return "\n".join(lines), {**RUNTIME, **compiler.constants}


def generate_contradiction(items: list[tuple[str, Compiled]], compiler: Compiler) -> tuple[str, dict]:
    """Source of ``contradiction(F, P, T)``: the id of the first contradiction whose condition holds, else None.

    Only a condition known to hold is a contradiction; an unknown one is not (a missing fact contradicts nothing).
    """
    lines = ["def contradiction(F, P, T, _cal=_cal):"]
    for cid, cond in items:
        lines.append(f"    if {cond.code} is True:")
        lines.append(f"        return {cid!r}")
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
    """Code that may fail on odd facts or dates (conditions.compile.may_fail): evaluated only where a rule needs it."""
    return may_fail(code)


_PARAM = re.compile(r"P\['([A-Za-z0-9_]+)'\]")


def params_as_globals(source: str) -> str:
    """``P['name']`` → ``_p_name``: each era's functions see that era's values as globals."""
    return _PARAM.sub(lambda m: f"_p_{m.group(1)}", source)


def instantiate(code, namespace: dict, params: dict) -> dict:
    """Run a compiled question module with one era's parameter values; return its functions."""
    ns = dict(namespace)
    ns.update({f"_p_{k}": v for k, v in params.items()})
    exec(code, ns)  # noqa: S102 - code compiled from source generated from the checked tree
    return ns


def build_module(source: str, namespace: dict, filename: str) -> dict:
    """Compile generated source (never policy text) once; return its namespace of functions."""
    ns = dict(namespace)
    exec(compile(source, filename, "exec"), ns)  # noqa: S102 - source generated from the checked tree
    return ns
