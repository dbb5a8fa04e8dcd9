"""The per-question plan: rule statuses, the outcome and the failed flags of a whole frame in a few vector operations.

The plan mirrors ``kernel.generate`` rule for rule: each rule's status (0 not applicable,
1 held, 2 failed, 3 unknown) is an Int8 column computed from its ``when`` and ``require``
expressions, and the question's outcome follows from the same flags (a 不得 failed, no ground
held, an unknown, a 原则上不 failed, an 应当 held, an approval in play) in the same order.
The procedure (``procedure.settle``: approvals given, refused or pending, exceptions asked) and
the clerk's status depend on a handful of small values per row, so they are computed once per
distinct combination in Python, by ``settle`` itself, and mapped back.
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from ..procedure import settle, status as status_of
from .compile import ColumnCompiler, Lookup, Unsupported
from .facts import den

OUTCOME_CODES = ("allowed", "allowed_with_approval", "required", "denied_unless_exception", "denied",
                 "undetermined", "not_regulated")


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
        self.kernel_outcome = self._outcome(q)
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
            return pl.lit(0)
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
        if not has_when:
            return pl.when(rt).then(1).when(rf).then(2).otherwise(3)
        wt, wf = w.eq(True).fill_null(False), w.eq(False).fill_null(False)
        s = rule.strength
        if s in ("可以", "应当"):
            body = pl.when(rf).then(2).when(rt & wt).then(1).otherwise(3)
        elif s == "须经批准":
            body = pl.when(wt & rt).then(1).when(wt & rf).then(2).otherwise(3)
        else:
            body = pl.when(rt).then(1).when(rf & wt).then(2).otherwise(3)
        return pl.when(wf).then(0).otherwise(body)

    def _outcome(self, q) -> pl.Expr:
        """The kernel's outcome as an index into OUTCOME_CODES (UInt8).

        The statuses are packed two bits a rule into Int64 words (``__p0``, … : 31 rules a word), so
        each flag of the kernel (a 不得 failed, a ground held, …) is one mask test per word.
        """
        rules = q.rules
        if not rules:
            self.words = []
            return pl.lit(OUTCOME_CODES.index("not_regulated"), pl.UInt8)
        self.words = []
        for k in range(0, len(rules), 31):
            chunk = rules[k:k + 31]
            packed = pl.sum_horizontal([pl.col("s:" + r.id).cast(pl.Int64) * (1 << (2 * j)) for j, r in enumerate(chunk)])
            self.words.append((packed.alias(f"__p{k // 31}"), chunk))
        low = {k: sum(1 << (2 * j) for j in range(len(chunk))) for k, (_, chunk) in enumerate(self.words)}

        def any_of(pred, code) -> pl.Expr:
            tests = []
            for k, (_, chunk) in enumerate(self.words):
                mask = sum(1 << (2 * j) for j, r in enumerate(chunk) if pred(r))
                if not mask:
                    continue
                word = pl.col(f"__p{k}")
                lo, hi = word & low[k], (word // 2) & low[k]
                bits = {None: lo | hi, 1: lo - (lo & hi), 2: hi - (lo & hi), 3: lo & hi}[code]
                tests.append((bits & mask) != 0)
            return pl.any_horizontal(tests) if tests else pl.lit(False)

        ground = lambda r: r.strength in ("可以", "应当")  # noqa: E731
        approval = lambda r: bool(r.approver) and (ground(r) or r.strength == "须经批准")  # noqa: E731
        den_ = any_of(lambda r: r.strength in ("不得", "须经批准"), 2)
        any_ = any_of(lambda r: True, None)
        gh, gu, ga = any_of(ground, 1), any_of(ground, 3), any_of(ground, None)
        unk = any_of(lambda r: True, 3)
        pri = any_of(lambda r: r.strength == "原则上不", 2)
        req = any_of(lambda r: r.strength == "应当", 1)
        app = any_of(approval, 1)

        def code(name):
            return pl.lit(OUTCOME_CODES.index(name), pl.UInt8)

        o = pl.when(den_).then(code("denied")).when(~any_).then(code("not_regulated"))
        if any(ground(r) for r in rules):
            if q.when_no_ground == "not_regulated":
                none = (pl.when(gu).then(code("undetermined")).when(ga).then(code("denied"))
                        .when(unk).then(code("undetermined")).otherwise(code("not_regulated")))
            else:
                none = pl.when(gu).then(code("undetermined")).when(ga).then(code("denied")).otherwise(
                    code(q.when_no_ground))
            o = o.when(~gh).then(none)
        return (o.when(unk).then(code("undetermined")).when(pri).then(code("denied_unless_exception"))
                .when(req).then(code("required")).when(app).then(code("allowed_with_approval"))
                .otherwise(code("allowed")))


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
            keyed = keyed.with_columns(pl.col(c).list.join("\x1f").alias(c) for c in listy)
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


def settled(plan: Plan, frame: pl.DataFrame, backend) -> pl.DataFrame:
    """(outcome, norm, status) per row, from the kernel outcome, the statuses and the approvals, by settle().

    What settle() reads (the kernel's outcome, the statuses of the rules with a procedure, an
    应当 or an approver, the approvals and the exception asked) is packed into one Int64 key per
    row; settle() runs once per distinct key, and its answers are mapped back by the key.
    """
    q = backend.question
    rules = q.rules
    used = [i for i, r in enumerate(rules) if r.procedure or r.strength == "应当" or r.approver]
    parts, bits, decoders = [pl.col("__kernel").cast(pl.Int64)], 3, []
    for i in used:
        parts.append(pl.col("s:" + rules[i].id).cast(pl.Int64) * (1 << bits))
        decoders.append(("s", i, bits, 2))
        bits += 2
    for f in plan.approval_facts:
        dtype = frame.schema[f]
        if isinstance(dtype, pl.Enum):
            width = max(1, len(dtype.categories).bit_length())
            parts.append((pl.col(f).to_physical().cast(pl.Int64) + 1).fill_null(0) * (1 << bits))
            decoders.append(("enum", f, bits, width, list(dtype.categories)))
        elif dtype == pl.Boolean:
            width = 2
            parts.append(pl.when(pl.col(f).is_null()).then(0).when(pl.col(f)).then(2).otherwise(1).cast(pl.Int64)
                         * (1 << bits))
            decoders.append(("bool", f, bits, width))
        else:
            return _settled_by_join(plan, frame, backend)
        bits += width
    if bits > 62:
        return _settled_by_join(plan, frame, backend)
    key = frame.select(pl.when(pl.col("__kernel").is_null()).then(-1).otherwise(pl.sum_horizontal(parts))
                       .alias("k")).to_series()
    uniq = key.unique().to_list()
    outs, norms, states = [], [], []
    for k in uniq:
        if k == -1:
            outs.append(None), norms.append(None), states.append(None)
            continue
        statuses = [0] * len(rules)
        F = dict(backend.chosen)
        for d in decoders:
            value = (k >> d[2]) & ((1 << d[3]) - 1)
            if d[0] == "s":
                statuses[d[1]] = value
            elif d[0] == "enum" and value:
                F[d[1]] = d[4][value - 1]
            elif d[0] == "bool" and value:
                F[d[1]] = value == 2
        o, n, st = _answer(backend, q, OUTCOME_CODES[k & 7], tuple(statuses), F)
        outs.append(o), norms.append(n), states.append(st)
    out = {}
    for name, values in (("outcome", outs), ("norm", norms), ("status", states)):
        out[name] = key.replace_strict(uniq, pl.Series(values, dtype=pl.String), return_dtype=pl.String)
    return pl.DataFrame(out)


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


def _settled_by_join(plan: Plan, frame: pl.DataFrame, backend) -> pl.DataFrame:
    """settled() for keys too wide for one Int64: the distinct rows of the key columns, joined back."""
    q = backend.question
    keys = ["__kernel"] + [f"s:{r.id}" for r in q.rules] + plan.approval_facts
    small = frame.select(keys)
    uniq = small.unique()
    outs, norms, states = [], [], []
    for row in uniq.to_dicts():
        kernel = row["__kernel"]
        if kernel is None:
            outs.append(None), norms.append(None), states.append(None)
            continue
        statuses = tuple(row[f"s:{r.id}"] for r in q.rules)
        F = {**backend.chosen, **{f: row[f] for f in plan.approval_facts if row[f] is not None}}
        o, n, st = _answer(backend, q, OUTCOME_CODES[kernel], statuses, F)
        outs.append(o), norms.append(n), states.append(st)
    table = uniq.with_columns(pl.Series("outcome", outs, dtype=pl.String), pl.Series("norm", norms, dtype=pl.String),
                              pl.Series("status", states, dtype=pl.String))
    return small.join(table, on=keys, how="left", nulls_equal=True, maintain_order="left").select(
        "outcome", "norm", "status")


__all__ = ["Plan", "compute_lookups", "settled", "Unsupported"]
