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
import random
import sys
import time
import traceback
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests"):  # the package, and the fuzz data and leak check shared with the test suite
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import xueji_rules as xr  # noqa: E402
from xueji_rules import Decision, XuejiError  # noqa: E402
from xueji_rules.facts.privacy import ENV, printable  # noqa: E402
from xueji_rules.facts.vocabulary import FACTS, GROUPS  # noqa: E402
from leaks import echoed, error_corpus  # noqa: E402
from strategies import AWKWARD_NUMBERS, CANARIES, ODD_TEXT  # noqa: E402

ON = dt.date(2025, 3, 3)
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
    allowed = error_corpus(regions)
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
