"""The column backend: a question answered for a whole Polars frame of students at once.

>>> import polars as pl, xueji_rules as xr
>>> from xueji_rules.columns import ColumnBackend
>>> frame = pl.DataFrame({"student.stage": ["junior", "junior", None], "student.grade": [8, 8, 8],
...     "absence.reason": ["illness", "illness", "illness"],
...     "absence.class_hours_missed": [230, 10, 230], "absence.still_unable_to_attend": [True, True, True]})
>>> backend = ColumnBackend(xr.load_policy("jiangsu"), "suspension", "2025-03-03")
>>> result = backend.run(frame)
>>> result["outcome"].to_list(), result["status"].to_list()
(['allowed_with_approval', 'denied', 'undetermined'], ['await_approval', 'refused', 'ask_for_facts'])
>>> backend.failed_lists(result).to_list()
[[], ['compulsory_class_hours'], []]

It compiles the same checked condition trees as the row kernel (``xueji_rules.kernel``) into
Polars expressions (``compile.py``, ``plan.py``) and agrees with it row for row: the outcome,
the norm and the clerk's status of the Decision, and one boolean column ``failed:<rule id>``
per rule. A row whose facts the row path would refuse gets a null outcome and the error's
code in ``error`` (never a value); the other rows go on. Needs the ``columns`` extra (Polars).
See docs/scale.md.
"""

from __future__ import annotations

import polars as pl

from ..evaluate import _question, day_of, evaluate, given_calendar, with_readings
from ..errors import XuejiError
from ..facts.input import nest_paths
from ..facts.vocabulary import FACTS
from .facts import check, place_group
from .plan import Plan, compute_lookups, query, settled

__all__ = ["ColumnBackend"]

#: failed flags packed into one Int64 key (failed_lists)
KEY_BITS = 62


class ColumnBackend:
    """One question of one policy on one date (and calendar, and readings), for frames of students.

    ``policy`` is a Policy or a region id; ``question`` its name; ``on`` the date asked about.
    Input columns are named by fact paths (``absence.class_hours_missed``), a place by its group
    (``student.school.place``, a code or a name) or by its levels; a missing column or a null is an
    unknown fact. Other columns are not read.
    """

    def __init__(self, policy, question, on, *, calendar=None, readings=None):
        if isinstance(policy, str):
            from ..load import load_policy

            policy = load_policy(policy)
        self.policy = policy
        self.question = _question(policy, question)
        self.day = day_of(on)
        policy.in_force(self.day)
        self.params = policy.parameters_on(self.day)
        self.calendar = given_calendar(calendar)
        self.cal = self.calendar if self.calendar is not None else policy.calendar
        self.readings = readings
        #: the readings asked for, checked once, as the row path adds them to every student's facts
        self.chosen = with_readings(policy, {}, readings)
        self._row_compiler = policy.compile_context[0].fork()
        self._plans: dict = {}
        self.rule_ids = tuple(r.id for r in self.question.rules)

    def plan(self, available: frozenset) -> Plan:
        plan = self._plans.get(available)
        if plan is None:
            plan = self._plans[available] = Plan(self, available)
        return plan

    def run(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Row for row: ``outcome``, ``norm``, ``status``, ``error`` and ``failed:<rule id>`` for each rule."""
        typed, fact_error, given = check(frame)
        plan = self.plan(frozenset(given))
        work = typed
        extra = compute_lookups(plan.lookups, typed, self)
        if extra is not None:
            work = pl.concat([work, extra], how="horizontal")
        # a List(Enum) of codes is read by the masks; as text only where an expression reads the list itself
        lists = [pl.col(c).cast(pl.List(pl.String)) for c, t in work.schema.items()
                 if isinstance(t, pl.List) and isinstance(t.inner, pl.Enum)]
        lazy, decoders, others = query(plan, work.lazy().with_columns(fact_error, *lists), work.schema)
        out = lazy.collect()
        answers = settled(plan, out, decoders, others, self)
        result = pl.concat([answers, out.select("error", *["failed:" + rid for rid in self.rule_ids], "__suspect")],
                           how="horizontal")
        suspects = result.get_column("__suspect") & result.get_column("error").is_null()
        result = result.drop("__suspect")
        if suspects.any():
            result = self._by_rows(frame, result, suspects)
        return result

    def _by_rows(self, frame: pl.DataFrame, result: pl.DataFrame, suspects: pl.Series) -> pl.DataFrame:
        """Rows the columns cannot settle (a division by 0, a date out of range): answered by the row path."""
        from ..evaluate import decider

        idx = suspects.arg_true().to_list()
        decide = decider(self.policy, self.question, self.day, self.calendar, self.readings)
        cols = [c for c in frame.columns if c in FACTS or place_group(c)]
        rows = frame.select(cols)[idx].to_dicts()
        patch = {k: [] for k in result.columns}
        for row in rows:
            facts = nest_paths(row.items())
            try:
                outcome, failed = decide(facts)
                d = evaluate(self.policy, self.question, facts, self.day, self.calendar, self.readings)
                norm, status, error = d.norm, d.status, None
            except XuejiError as exc:
                outcome = norm = status = None
                failed = ()
                diags = getattr(exc, "diagnostics", None) or ()
                error = diags[0].code if diags else exc.code
            patch["outcome"].append(outcome)
            patch["norm"].append(norm)
            patch["status"].append(status)
            patch["error"].append(error)
            for rid in self.rule_ids:
                patch["failed:" + rid].append(rid in failed)
        fixed = pl.DataFrame({k: pl.Series(k, v, dtype=result.schema[k]) for k, v in patch.items()})
        index = pl.Series("__i", idx, dtype=pl.UInt32)
        out = result.with_row_index("__i").update(fixed.with_columns(index), on="__i", include_nulls=True)
        return out.drop("__i")

    def failed_lists(self, result: pl.DataFrame) -> pl.Series:
        """The failed rule ids of each row, in rule order, as a list[str] Series (built only when asked)."""
        ids = self.rule_ids
        if not ids:
            return pl.Series("failed", [[]] * len(result), dtype=pl.List(pl.String))
        # the flags as bits, KEY_BITS rules a key; a list per distinct combination (there are few), joined back
        chunks = [ids[k:k + KEY_BITS] for k in range(0, len(ids), KEY_BITS)]
        keys = result.select([
            pl.sum_horizontal([pl.col("failed:" + rid).fill_null(False).cast(pl.Int64) * (1 << i)
                               for i, rid in enumerate(chunk)]).alias(f"__k{j}") for j, chunk in enumerate(chunks)])
        names = keys.columns
        table = keys.unique()
        lists = [[rid for j, chunk in enumerate(chunks) for i, rid in enumerate(chunk) if row[j] >> i & 1]
                 for row in table.iter_rows()]
        table = table.with_columns(pl.Series("failed", lists, dtype=pl.List(pl.String)))
        return keys.join(table, on=names, how="left", maintain_order="left").get_column("failed")


