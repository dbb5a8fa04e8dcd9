"""Does an error quote a fact value? The check shared by the fuzz suite (tests/test_fuzz.py) and the
long run (benchmarks/fuzz.py): every value of the facts, in each form it could be written, looked for in
everything the error says, apart from what an error may say anyway (the vocabulary, the schema and
the messages' own words, and the facts' keys, which are not values)."""

from __future__ import annotations

import json
from importlib import resources

import xueji_rules as xr
from xueji_rules import XuejiError
from xueji_rules.facts.privacy import printable
from xueji_rules.facts.vocabulary import FACTS, GROUPS


def error_corpus(regions) -> str:
    """Text an error may contain without echoing a value: the vocabulary, the schema and the messages' own words."""
    package = resources.files("xueji_rules")
    parts = [package.joinpath("schema/facts.schema.json").read_text("utf-8")]
    for name in ("facts/input.py", "facts/privacy.py", "facts/vocabulary.py", "places.py", "errors.py", "evaluate.py",
                 "conditions/parse.py"):
        parts.append(package.joinpath(name).read_text("utf-8"))
    for region in regions:
        policy = xr.load_policy(region)
        parts.append(region)
        parts.extend(policy.questions)
        parts.extend(r.id for q in policy.questions.values() for r in q.rules)
    parts.append("null true false None")  # JSON and Python words a diagnostic holds
    # the vocabulary's keys and codes, as "did you mean 'name'?" quotes them
    words = {w for p in list(FACTS) + list(GROUPS) for w in p.split(".")}
    words |= {c for spec in FACTS.values() for c in (spec.choices or {})}
    parts.extend(f"'{w}'" for w in sorted(words))
    return "\n".join(parts)


def leaves(node, keys: list, depth: int = 0):
    """Every value in a facts document (keys collected apart: a key is not a value)."""
    if depth > 50:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            keys.append(k)
            yield from leaves(v, keys, depth + 1)
    elif isinstance(node, (list, tuple, set, frozenset)):
        for v in node:
            yield from leaves(v, keys, depth + 1)
    else:
        yield node


def forms(value) -> list[str]:
    """How a value could appear in a message: as written, repr'd, escaped."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int) and value.bit_length() > 64:
        return []
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        return []
    return [t for t in {text, text.strip(), repr(value), printable(text)} if len(t.strip()) >= 4]


def echoed(facts, error: XuejiError, corpus: str) -> list[str]:
    """The values of ``facts`` that ``error`` quotes (none may be, unless values are shown)."""
    said = str(error) + "\n" + error.report() + "\n" + json.dumps(
        [d.to_dict() for d in error.diagnostics], ensure_ascii=False)
    keys: list = []
    values = list(leaves(facts, keys))
    allowed = corpus + "\n".join(f"{printable(str(k))}\n{printable(repr(str(k)))}" for k in keys)
    return [form for v in values for form in forms(v) if form in said and form not in allowed]
