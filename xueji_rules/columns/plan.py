"""The per-question plan: rule statuses, the outcome and the failed flags of a whole frame in a few vector operations.

The plan mirrors ``kernel.generate`` rule for rule: each rule's status (0 not applicable,
1 held, 2 failed, 3 unknown) is an Int8 column computed from its ``when`` and ``require``
expressions, all in one lazy query (``query``) with the errors and the failed flags. The
question's outcome follows from the statuses by the kernel's flags (a 不得 failed, no ground
held, an unknown, a 原则上不 failed, an 应当 held, an approval in play) in the same order
(``kernel_outcome``); it, the procedure (``procedure.settle``: approvals given, refused or
pending, exceptions asked) and the clerk's status depend on the statuses and a handful of
approval facts per row, packed into a key, so they are computed once per distinct key in
Python, by the same code as the row path's, and gathered back onto the rows.
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from ..procedure import settle, status as status_of
from .compile import ColumnCompiler, Lookup, Unsupported
from .facts import den

class Plan:
    """Expressions for one question against one set of given fact columns."""

    def __init__(self, backend, available: frozenset):
        b = backend
        q = b.question
        cc = ColumnCompiler(b.policy, b.day, b.params, b.chosen, b.cal, available)
        self.rules = q.rules
        statuses = []
        #: each rule's `when` and `require` as columns first (w:<id>, r:<id>), so a status reads each once
        self.conditions: list[pl.Expr] = []
        for rule in q.rules:
            statuses.append(self._status(cc, rule, b, self.conditions).cast(pl.Int8).alias("s:" + rule.id))
        contradictions = [cc.condition(x.tree).fill_null(False) for x in q.contradictions]
        self.statuses = statuses
        self.contradiction = pl.any_horizontal(contradictions) if contradictions else pl.lit(False)
        self.suspect = pl.any_horizontal([s.fill_null(False) for s in cc.suspects]) if cc.suspects else pl.lit(False)
        self.lookups: list[Lookup] = cc.lookups
        # the small values settle() reads besides the statuses
        paths = {"approvals.exception_requested"}
        for rule in q.rules:
            for item in rule.procedure:
                paths.update(item.facts)
        self.approval_facts = sorted(p for p in paths if p in available)

    @staticmethod
    def _status(cc: ColumnCompiler, rule, b, conditions: list) -> pl.Expr:
        start, end = rule.in_force
        in_force = (start is None or b.day >= start) and (end is None or b.day < end)
        has_when = rule.when_tree is not None or start is not None or end is not None
        if not in_force:  # the kernel's `when` is False on this date: nothing else is read
            return pl.lit(0, pl.Int8)
        if rule.when_tree is not None:
            w = cc.condition(rule.when_tree)
        else:
            w = pl.lit(True)
        r = cc.condition(rule.require_tree) if rule.require_tree is not None else None
        # a gate refused fails the rule (loader/build.py); given, pending or absent leaves it to its conditions
        reviews = [i for i in rule.procedure if i.kind == "审核" and i.reading and i.party and not i.for_exception]
        gated = [i for i in rule.procedure if i.party and not i.for_exception and (i.gate or i in reviews)]
        if gated:
            test = pl.lit(True)
            for i in gated:
                t = pl.lit(False)
                for f in i.facts:
                    t = t | ((pl.col(f) != "refused").fill_null(True) if f in cc.available else pl.lit(True))
                if i in reviews:
                    option = b.chosen.get("reading." + i.reading) or b.policy.readings[i.reading].chosen
                    t = pl.lit(True) if option != "批准" else t
                test = test & t
            r = test if r is None else pl.when(test).then(r).otherwise(pl.lit(False))
        if r is None:
            r = pl.lit(True)
        conditions.append(r.alias("r:" + rule.id))
        r = pl.col("r:" + rule.id)
        if has_when:
            conditions.append(w.alias("w:" + rule.id))
            w = pl.col("w:" + rule.id)
        rt, rf = r.eq(True).fill_null(False), r.eq(False).fill_null(False)
        n = [pl.lit(k, pl.Int8) for k in range(4)]  # Int8 throughout: a quarter of the memory of Int32 literals
        if not has_when:
            return pl.when(rt).then(n[1]).when(rf).then(n[2]).otherwise(n[3])
        wt, wf = w.eq(True).fill_null(False), w.eq(False).fill_null(False)
        s = rule.strength
        if s in ("可以", "应当"):
            body = pl.when(rf).then(n[2]).when(rt & wt).then(n[1]).otherwise(n[3])
        elif s == "须经批准":
            body = pl.when(wt & rt).then(n[1]).when(wt & rf).then(n[2]).otherwise(n[3])
        else:
            body = pl.when(rt).then(n[1]).when(rf & wt).then(n[2]).otherwise(n[3])
        return pl.when(wf).then(n[0]).otherwise(body)


def kernel_outcome(q, statuses: tuple) -> str:
    """The kernel's outcome from the rules' statuses: the flags of ``kernel.generate``, in its order."""
    rules = q.rules
    if not rules:
        return "not_regulated"
    ground = [r.strength in ("可以", "应当") for r in rules]
    if any(s == 2 and r.strength in ("不得", "须经批准") for r, s in zip(rules, statuses)):
        return "denied"
    if not any(statuses):
        return "not_regulated"
    unk = 3 in statuses
    if any(ground) and not any(g and s == 1 for g, s in zip(ground, statuses)):
        if any(g and s == 3 for g, s in zip(ground, statuses)):
            return "undetermined"
        if any(g and s != 0 for g, s in zip(ground, statuses)):
            return "denied"
        if q.when_no_ground == "not_regulated":
            return "undetermined" if unk else "not_regulated"
        return q.when_no_ground
    if unk:
        return "undetermined"
    if any(s == 2 and r.strength == "原则上不" for r, s in zip(rules, statuses)):
        return "denied_unless_exception"
    if any(s == 1 and r.strength == "应当" for r, s in zip(rules, statuses)):
        return "required"
    if any(s == 1 and r.approver and (g or r.strength == "须经批准") for r, g, s in zip(rules, ground, statuses)):
        return "allowed_with_approval"
    return "allowed"


def compute_lookups(cc_lookups: list[Lookup], typed: pl.DataFrame, backend) -> pl.DataFrame:
    """The look-up parts, each computed by the row kernel's code once per distinct combination of its facts."""
    from .compile import ColumnCompiler

    runner = ColumnCompiler.__new__(ColumnCompiler)
    runner.row = backend._row_compiler
    runner.params, runner.day, runner.cal = backend.params, backend.day, backend.cal
    out = []
    n = len(typed)
    for lk in cc_lookups:
        facts = [f for f in lk.facts if f in typed.columns]
        cols = []
        for f in facts:
            cols.append(f)
            if den(f) in typed.columns:
                cols.append(den(f))
        keyed = typed.select(cols) if cols else pl.DataFrame({"__one": pl.repeat(0, n, eager=True)})
        listy = [c for c in cols if isinstance(typed.schema[c], pl.List)]
        if listy:
            keyed = keyed.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join("\x1f").alias(c) for c in listy)
        keys = list(keyed.columns)
        uniq = keyed.unique()
        values, dens, errs = [], [], []
        for row in uniq.to_dicts():
            F = dict(backend.chosen)
            for f in facts:
                v = row.get(f)
                if v is None:
                    continue
                if den(f) in row:
                    v = Fraction(v, row[den(f)])
                    v = v.numerator if v.denominator == 1 else v
                elif f in listy:
                    v = frozenset(x for x in v.split("\x1f") if x) if v else frozenset()
                F[f] = v
            try:
                result = runner.run_python(lk.code, F)
                err = False
            except Exception:  # the row path reports it (or never reaches it): the row is answered there
                result, err = None, True
            if lk.kind == "number" and result is not None and not isinstance(result, bool):
                f = Fraction(result)
                values.append(f.numerator)
                dens.append(f.denominator)
            else:
                values.append(result)
                dens.append(None if result is None else 1)
            errs.append(err)
        dtype = {"bool": pl.Boolean, "number": pl.Int64, "date": pl.Date}.get(lk.kind, pl.String)
        table = uniq.with_columns(pl.Series(lk.name, values, dtype=dtype), pl.Series(lk.name + "#d", dens, dtype=pl.Int64),
                                  pl.Series(lk.name + "#err", errs, dtype=pl.Boolean))
        joined = keyed.join(table, on=keys, how="left", nulls_equal=True, maintain_order="left")
        out.extend([joined.get_column(lk.name), joined.get_column(lk.name + "#d"), joined.get_column(lk.name + "#err")])
    return pl.DataFrame(out) if out else None


def _key_parts(plan: Plan, schema) -> tuple[list, list, list]:
    """What settle() reads, as small integers packed into Int64 words: (word expressions, decoders, other columns).

    Each rule's status takes 2 bits; an approval given as a Polars Enum its code + 1 (0: not
    given), a boolean 0/1/2 (not given, false, true). An approval fact of any other type is a
    key column as it is. 62 bits a word, so a key is never negative.
    """
    parts, decoders, others = [], [], []
    for i, r in enumerate(plan.rules):
        parts.append((pl.col("s:" + r.id), 2, ("s", i)))
    for f in plan.approval_facts:
        dtype = schema[f]
        if isinstance(dtype, pl.Enum):
            width = max(1, len(dtype.categories).bit_length())
            parts.append(((pl.col(f).to_physical() + 1).fill_null(0), width, ("enum", f, list(dtype.categories))))
        elif dtype == pl.Boolean:
            parts.append((pl.when(pl.col(f).is_null()).then(0).when(pl.col(f)).then(2).otherwise(1), 2, ("bool", f)))
        else:
            others.append(f)
    words, word, bits = [], [], 0
    for expr, width, dec in parts:
        if bits + width > 62:
            words.append(word)
            word, bits = [], 0
        word.append(expr.cast(pl.Int64) * (1 << bits) if bits else expr.cast(pl.Int64))
        decoders.append((len(words), bits, width, dec))
        bits += width
    if word or not words:  # a question with no rule and no approval read: one key, 0
        words.append(word or [pl.lit(0, pl.Int64)])
    return [pl.sum_horizontal(w) if len(w) > 1 else w[0] for w in words], decoders, others


def query(plan: Plan, frame: pl.LazyFrame, schema) -> tuple[pl.LazyFrame, list, list]:
    """The whole frame's statuses, errors and failed flags in one lazy query, and the key of what settle() reads.

    Columns out: ``__k0``, … (the key words; null on a row in error), the other key columns,
    ``error``, ``__suspect`` and ``failed:<rule id>``. One query, so Polars runs independent
    expressions in parallel and computes each once.
    """
    words, decoders, others = _key_parts(plan, schema)
    ok = pl.col("error").is_null()
    out = (frame.with_columns(plan.conditions).with_columns(plan.statuses)
           .with_columns(plan.suspect.alias("__suspect"), plan.contradiction.alias("__contra"))
           .with_columns(pl.when(pl.col("error").is_not_null()).then(pl.col("error"))
                         .when(pl.col("__suspect")).then(None)
                         .when(pl.col("__contra")).then(pl.lit("contradictory_facts")).otherwise(None).alias("error"))
           .select(*[pl.when(ok).then(w).alias(f"__k{i}") for i, w in enumerate(words)], *others,
                   pl.col("error"), pl.col("__suspect"),
                   *[((pl.col("s:" + r.id) == 2) & ok).alias("failed:" + r.id) for r in plan.rules]))
    return out, decoders, others


def settled(plan: Plan, frame: pl.DataFrame, decoders: list, others: list, backend) -> pl.DataFrame:
    """(outcome, norm, status) per row: the kernel's outcome and settle() once per distinct key, mapped back.

    The key (``query``) holds every rule's status and the approvals settle() reads; each distinct
    key is answered in Python by ``kernel_outcome`` and ``settle`` itself, and the rows take
    their answers by the key's index into that small table (a gather: no strings built per row).
    """
    q = backend.question
    words = [c for c in frame.columns if c.startswith("__k")]
    if len(words) == 1 and not others:
        key = frame.get_column(words[0])
        uniq = key.drop_nulls().unique()
        index = key.replace_strict(uniq, pl.int_range(len(uniq), dtype=pl.UInt32, eager=True), default=None,
                                   return_dtype=pl.UInt32)
        rows = [(k,) for k in uniq.to_list()]
    else:
        keys = frame.select(*words, *others)
        uniq = keys.filter(pl.col(words[0]).is_not_null()).unique().with_row_index("__i")
        index = keys.join(uniq, on=[*words, *others], how="left", nulls_equal=True,
                          maintain_order="left").get_column("__i")
        rows = uniq.select(*words, *others).rows()
    outs, norms, states = [], [], []
    for row in rows:
        statuses = [0] * len(q.rules)
        F = dict(backend.chosen)
        for word, shift, width, d in decoders:
            value = (row[word] >> shift) & ((1 << width) - 1)
            if d[0] == "s":
                statuses[d[1]] = value
            elif d[0] == "enum" and value:
                F[d[1]] = d[2][value - 1]
            elif d[0] == "bool" and value:
                F[d[1]] = value == 2
        for j, f in enumerate(others):
            if row[len(words) + j] is not None:
                F[f] = row[len(words) + j]
        statuses = tuple(statuses)
        o, n, st = _answer(backend, q, kernel_outcome(q, statuses), statuses, F)
        outs.append(o), norms.append(n), states.append(st)
    return pl.DataFrame([pl.Series(name, values, dtype=pl.String).gather(index)
                         for name, values in (("outcome", outs), ("norm", norms), ("status", states))])


def _answer(backend, q, kernel: str, statuses: tuple, F: dict) -> tuple:
    """(outcome as the decider gives it, norm and status as evaluate() gives them)."""
    exceptions = any(i.for_exception for r in q.rules for i in r.procedure)
    if backend.chosen or (exceptions and kernel == "denied_unless_exception"
                          and F.get("approvals.exception_requested") is True):
        outcome = settle(q.rules, statuses, F, kernel)[1]
    else:
        outcome = kernel
    if any(r.procedure for r in q.rules):
        norm, legacy, approvals, _ = settle(q.rules, statuses, F, kernel)
    else:
        norm, legacy, approvals = ("allowed" if kernel == "allowed_with_approval" else kernel), kernel, ()
    state = "await_approval" if legacy == "allowed_with_approval" and not approvals else status_of(norm, approvals)
    return outcome, norm, state


__all__ = ["Plan", "compute_lookups", "kernel_outcome", "query", "settled", "Unsupported"]
