"""The long fuzz run: a million calls or more with random and adversarial facts, outside CI.

    python benchmarks/fuzz.py                      # 1,000,000 calls (a few minutes)
    python benchmarks/fuzz.py --calls 5000000 --seed 3

Each call asks one question of one bundled region (the full Decision, ``xr.ask``, or the
fast path, ``xr.decider``) with facts built from the vocabulary's real paths and values
that are wrong in every way the fuzz suite knows (tests/test_fuzz.py, tests/strategies.py):
wrong kinds, awkward numbers (NaN, Infinity, 1e999999999, 10**400), odd text (controls,
lone surrogates, 100,000 characters), deep nesting, misspelt keys, personal data in the
wrong field. It checks, for every call, that the answer is a Decision or a documented
error (a XuejiError), that no call takes longer than --max-seconds, and that no error
quotes a fact value. It prints a summary and exits 1 if any check failed.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import random
import sys
import time
import traceback
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import xueji_rules as xr  # noqa: E402
from xueji_rules import Decision, XuejiError  # noqa: E402
from xueji_rules.facts.privacy import ENV, printable  # noqa: E402
from xueji_rules.facts.vocabulary import FACTS, GROUPS  # noqa: E402

ON = dt.date(2025, 3, 3)
CANARIES = ["张伟 320102200503071234", "李娜", "320102200503071234", "Wáng Fāng", "13912345678", "王小明（初二3班）"]
AWKWARD_NUMBERS = [
    Decimal("Infinity"), Decimal("-Infinity"), Decimal("NaN"), Decimal("sNaN"), Decimal("1e999999999"),
    Decimal("-1e999999999"), Decimal("1e-999999999"), Decimal("0E-999999999"), Decimal("230.000000000000000001"),
    float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 5e-324, 10**400, -(10**400), 10**18, -1, 0,
    Fraction(1, 10**30), Fraction(10**30, 7), "1e999999999", "1e5000", "9" * 16, "0." + "1" * 13, "-0", "1/0",
    "三分之零", "百百分之一", "１２３", "٣",
]
ODD_TEXT = [
    "\x00", "\x07bell", "a\nb", "\ud800", "\udfff\ud800", "\u200b", "\u202e2025-03-01", "2025-03-01\x00",
    "２０２５-０３-０１", "2025-03-01T25:00:00", "9999-12-31T23:59:59-23:59", "0000-00-00", " 230 ", "x" * 100_000,
    "初中\u3000", "{}", "[]", "null", "true", "None", "%s%n", "../../etc/passwd",
]
COUNTIES = ["320106", "320302", "321202", "321204", "370103", "370402", "110105", "360102", "360103", "330106",
            "329999", "371200"]


def valid_value(rng: random.Random, spec):
    """A value the reader accepts for one fact (most of the time: codes of places may be retired)."""
    kind = spec.kind
    if kind in ("int", "number"):
        low, high = spec.minimum, min(spec.maximum, spec.minimum + 2000)
        n = rng.randint(low, high)
        if kind == "number" and rng.random() < 0.3:
            return rng.choice([f"{n}/3", f"{n}.5", f"{min(n, 99)}%"])
        return n
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "text":
        return rng.choice(["城东街道", "3", "实验学校", "海陵区"])
    if kind == "date":
        return (dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 13000))).isoformat()
    if kind == "enum":
        return rng.choice(sorted(spec.choices) + list(spec.choices.values())[:1])
    if kind == "enum_list":
        return rng.sample(sorted(spec.choices), rng.randint(0, min(4, len(spec.choices))))
    if kind == "division":
        return rng.choice(COUNTIES)
    raise AssertionError(kind)


def random_text(rng: random.Random) -> str:
    return "".join(chr(rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0xFFFF), rng.randint(0xD800, 0xDFFF),
                                   rng.randint(0x4E00, 0x9FFF), rng.randint(0x10000, 0x10FFFF)]))
                   for _ in range(rng.randint(0, 12)))


def deep(depth: int, leaf):
    node = leaf
    for i in range(depth):
        node = {"a": node} if i % 2 else [node]
    return node


def wrong_value(rng: random.Random):
    pick = rng.randrange(12)
    if pick == 0:
        return rng.choice(CANARIES)
    if pick == 1:
        return rng.choice(AWKWARD_NUMBERS)
    if pick == 2:
        return rng.choice(ODD_TEXT)
    if pick == 3:
        return random_text(rng)
    if pick == 4:
        return rng.choice([rng.randint(-10**6, 10**6), rng.randint(-2**70, 2**70), -rng.randint(1, 10**4)])
    if pick == 5:
        return rng.choice([rng.uniform(-1e6, 1e6), rng.random(), 10.0 ** rng.randint(-320, 308)])
    if pick == 6:
        return Decimal(rng.randint(-10**9, 10**9)).scaleb(rng.randint(-40, 40))
    if pick == 7:
        return Fraction(rng.randint(-10**6, 10**6), rng.randint(1, 10**6))
    if pick == 8:
        return rng.choice([True, False, None, dt.date(1, 1, 1), dt.datetime(9999, 12, 31, 23, tzinfo=dt.timezone(dt.timedelta(hours=-5)))])
    if pick == 9:
        return [rng.choice(CANARIES + ["hospital_diagnosis", 1, None]) for _ in range(rng.randint(0, 4))]
    if pick == 10:
        return {rng.choice(["province", "county", "x", "张伟"]): rng.choice(CANARIES + ["320106"]) for _ in range(rng.randint(0, 3))}
    return deep(rng.randint(1, 600), rng.choice(CANARIES))


PATHS = sorted(FACTS)
TOP_GROUPS = sorted(g for g in GROUPS if g and "." not in g)
MISSPELT = [lambda k: k + "s", lambda k: k[:-1], lambda k: k.upper(), lambda k: "张伟", lambda k: "\ud800",
            lambda k: "x" * 1000, lambda k: k + "\x00", lambda k: 7]


def adversarial_facts(rng: random.Random) -> dict:
    out: dict = {}
    for path in rng.sample(PATHS, rng.randint(0, 6)):
        value = valid_value(rng, FACTS[path]) if rng.random() < 0.75 else wrong_value(rng)
        parts: list = path.split(".")
        if rng.random() < 0.1:
            parts[-1] = rng.choice(MISSPELT)(parts[-1])
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value
    if rng.random() < 0.1:
        out[rng.choice(TOP_GROUPS)] = wrong_value(rng)
    return out


def corpus(regions) -> str:
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
    # the vocabulary's keys and codes as "did you mean 'name'?" quotes them
    from xueji_rules.facts.vocabulary import FACTS as _facts, GROUPS as _groups

    words = {w for p in list(_facts) + list(_groups) for w in p.split(".")}
    words |= {c for spec in _facts.values() for c in (spec.choices or {})}
    parts.extend(f"'{w}'" for w in sorted(words))
    return "\n".join(parts)


def leaves(node, keys: list, depth: int = 0):
    if depth > 50:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            keys.append(k)
            yield from leaves(v, keys, depth + 1)
    elif isinstance(node, (list, tuple)):
        for v in node:
            yield from leaves(v, keys, depth + 1)
    else:
        yield node


def echoed(facts, error: XuejiError, allowed_base: str) -> list[str]:
    said = str(error) + "\n" + error.report() + "\n" + json.dumps([d.to_dict() for d in error.diagnostics], ensure_ascii=False)
    keys: list = []
    values = list(leaves(facts, keys))
    allowed = allowed_base + "\n".join(f"{printable(str(k))}\n{printable(repr(str(k)))}" for k in keys)  # keys are not values
    found = []
    for v in values:
        if isinstance(v, bool) or v is None or (isinstance(v, int) and v.bit_length() > 64):
            continue
        text = v if isinstance(v, str) else str(v)
        for form in {text, text.strip(), repr(v), printable(text)}:
            if len(form.strip()) >= 4 and form in said and form not in allowed:
                found.append(form)
    return found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=1_000_000, help="how many calls (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--max-seconds", type=float, default=1.0, help="the longest one call may take")
    args = ap.parse_args(argv)

    import os

    os.environ.pop(ENV, None)  # values hidden, as by default
    rng = random.Random(args.seed)
    regions = xr.regions()
    questions = []
    for region in regions:
        policy = xr.load_policy(region)
        for q in policy.questions:
            questions.append((region, q, policy, xr.decider(policy, q, ON)))
    allowed = corpus(regions)
    outcomes: collections.Counter = collections.Counter()
    failures: list[str] = []
    kinds: collections.Counter = collections.Counter()
    slowest = 0.0
    started = time.perf_counter()
    calls = 0
    while calls < args.calls:
        facts = adversarial_facts(rng)
        for region, q, policy, run in rng.sample(questions, min(4, len(questions))):
            for fast in (False, True):
                calls += 1
                t0 = time.perf_counter()
                try:
                    answer = run(facts) if fast else xr.ask(policy, q, facts, ON)
                except XuejiError as exc:
                    outcomes[f"error {exc.diagnostics[0].code if exc.diagnostics else exc.code}"] += 1
                    leak = echoed(facts, exc, allowed)
                    if leak:
                        kinds["value echoed in an error"] += 1
                        failures.append(f"{region} {q}: the error quotes {leak!r}")
                except Exception as exc:  # noqa: BLE001 - an undocumented exception is what this run looks for
                    kinds[type(exc).__name__] += 1
                    failures.append(f"{region} {q} ({'decider' if fast else 'ask'}): {traceback.format_exc(limit=3)}"
                                    f"facts: {printable(repr(facts))[:500]}")
                else:
                    if fast and not isinstance(answer, tuple) or not fast and not isinstance(answer, Decision):
                        kinds["not a Decision"] += 1
                        failures.append(f"{region} {q}: answered {type(answer).__name__}")
                    outcomes[f"answer {answer[0] if fast else answer.outcome}"] += 1
                took = time.perf_counter() - t0
                slowest = max(slowest, took)
                if took > args.max_seconds:
                    kinds["too slow"] += 1
                    failures.append(f"{region} {q}: one call took {took:.2f} s; facts: {printable(repr(facts))[:500]}")
    elapsed = time.perf_counter() - started
    print(f"xueji_rules fuzz run — {dt.date.today().isoformat()}, seed {args.seed}: {calls:,} calls "
          f"({len(questions)} questions of {len(regions)} regions, ask and decider) in {elapsed:.0f} s, "
          f"{calls / elapsed:,.0f} calls/s; slowest call {slowest * 1e3:.1f} ms")
    answers = sum(n for k, n in outcomes.items() if k.startswith("answer"))
    print(f"Decisions {answers:,}; documented errors {calls - answers - len(failures):,}; failures {len(failures):,}")
    for key, n in sorted(outcomes.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {key}: {n:,}")
    if kinds:
        print("Failures by kind: " + ", ".join(f"{k} {n:,}" for k, n in kinds.most_common()))
    for failure in failures[:10]:
        print("FAILURE:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
