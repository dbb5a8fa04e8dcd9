"""Why a rule came out as it did: the value of each part of its conditions.

A Decision says which rules held and failed and the values they read. This goes
one step further, on request: for each rule, each top-level part of its ``when``
and ``require`` (the items joined by 且 or 或) with its own value — true, false or
unknown — so a clerk sees which part failed. It is the slow path: the parts are
compiled on demand by the same compiler, with the same definitions, parameters
and calendar as the policy's kernels, so the parts mean exactly what the rule means.
"""

from __future__ import annotations

from typing import Any

import attrs

from .conditions import parse as cparse
from .conditions.compile import RUNTIME
from .evaluate import day_of, given_calendar
from .facts.input import FactValues, read_facts
from .kernel import hoist, params_as_globals
from .policy import Policy, Question


@attrs.frozen
class Part:
    """One part of a rule's condition and its value on the facts given."""

    clause: str  # "when" or "require"
    text: str  # the part, written in the policy language
    value: bool | None  # None: unknown (a fact it needs is missing)


def condition_parts(policy: Policy, question: str | Question, facts: Any, on=None, calendar=None) -> dict[str, tuple]:
    """Each rule's condition parts with their values: ``{rule id: (Part, …)}``, in rule order.

    Raises what ``evaluate`` raises for bad facts or dates; a rule whose `when`
    is false still shows its parts (they say why it did not apply). ``calendar`` is
    the school calendar given at ask time, as for ``evaluate``.
    """
    q = policy.question(question) if isinstance(question, str) else question
    day = day_of(on)
    policy.in_force(day)
    values = (facts if isinstance(facts, FactValues) else read_facts(facts)).values
    params = policy.parameters_on(day)
    compiler_base, scope, own = policy.compile_context
    calendar = given_calendar(calendar) or own
    out: dict[str, tuple] = {}
    for rule in q.rules:
        found = []
        for clause in ("when", "require"):
            text = getattr(rule, clause)
            if not text:
                continue
            tree = cparse.parse(str(text))
            for part in cparse.parts(tree):
                compiler = compiler_base.fork()
                compiled = compiler.compile(part, scope)
                source = params_as_globals(hoist(f"def part(F, P, T):\n    return {compiled.code}\n", compiler))
                namespace = {**RUNTIME, **compiler.constants, "_cal": calendar}
                namespace.update({f"_p_{k}": v for k, v in params.items()})
                exec(compile(source, "<explain>", "exec"), namespace)  # noqa: S102 - generated from the checked tree
                try:
                    value = namespace["part"](values, params, day)
                except (ArithmeticError, ValueError):
                    value = None
                found.append(Part(clause, cparse.to_text(part), value if value is None else bool(value)))
        out[rule.id] = tuple(found)
    return out
