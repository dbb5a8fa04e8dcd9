"""The column backend agrees with the row kernel, row for row, for every question of every region.

Populations of a few hundred students (each fact given or not, valid values, places by real
names) are answered by ``ColumnBackend.run`` and, one student at a time, by the row path
(``decider`` for the outcome and the failed rules, ``evaluate`` for the norm and the status, the
first error code when it refuses the facts); every row must agree.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

pl = pytest.importorskip("polars")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import xueji_rules as xr  # noqa: E402
from xueji_rules import XuejiError  # noqa: E402
from xueji_rules.columns import ColumnBackend  # noqa: E402
from xueji_rules.facts.vocabulary import FACTS  # noqa: E402

from strategies import nest  # noqa: E402
from test_denials import _span, _value  # noqa: E402


def question_paths(policy, q) -> list[str]:
    """The facts a question reads: its rules', its contradictions' and its approvals'."""
    paths = set(q.facts)
    for x in q.contradictions:
        paths.update(x.facts)
    for r in q.rules:
        for item in r.procedure:
            paths.update(item.facts)
    paths.add("approvals.exception_requested")
    return sorted(p for p in paths if p in FACTS)


@st.composite
def populations(draw, paths, size):
    """(rows as flat dicts, the date asked): a few values per fact, mixed into ``size`` rows with gaps."""
    pools = {p: draw(st.lists(_value(p), min_size=1, max_size=6)) for p in paths}
    seed = draw(st.integers(0, 2**32 - 1))
    rnd = random.Random(seed)
    rows = []
    for _ in range(size):
        row = {}
        for p in paths:
            row[p] = rnd.choice(pools[p]) if rnd.random() < 0.7 else None
        rows.append(row)
    return rows


def frame_of(rows, paths) -> pl.DataFrame:
    columns = {}
    for p in paths:
        values = [r[p] for r in rows]
        if any(isinstance(v, str) for v in values) or FACTS[p].kind in ("date", "text", "enum", "division"):
            dtype = pl.String if FACTS[p].kind != "enum_list" else pl.List(pl.String)
            values = [None if v is None else (v if isinstance(v, (str, list)) else str(v)) for v in values]
        else:
            dtype = {"int": pl.Int64, "number": pl.Int64, "bool": pl.Boolean, "enum_list": pl.List(pl.String)}[FACTS[p].kind]
        columns[p] = pl.Series(p, values, dtype=dtype)
    return pl.DataFrame(columns)


def typed(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The frame as a warehouse types it: enums as ``pl.Enum`` of the codes present (in reverse order: the
    backend reads categories by name, not position) or as ``pl.Categorical``, lists of codes likewise, dates as Date."""
    out = []
    for name, dtype in frame.schema.items():
        spec = FACTS[name]
        if spec.kind == "enum" and dtype == pl.String:
            present = sorted(set(frame[name].drop_nulls().to_list()), reverse=True)
            out.append(pl.col(name).cast(pl.Enum(present) if kind == "enum" else pl.Categorical))
        elif spec.kind == "enum_list" and dtype == pl.List(pl.String):
            present = sorted(set(frame[name].explode().drop_nulls().to_list()), reverse=True)
            out.append(pl.col(name).cast(pl.List(pl.Enum(present) if kind == "enum" else pl.Categorical)))
        elif spec.kind == "date" and dtype == pl.String:
            out.append(pl.col(name).str.to_date("%Y-%m-%d"))
    return frame.with_columns(out)


def row_answers(policy, question, on, rows):
    decide = xr.decider(policy, question, on)
    out = []
    for row in rows:
        facts = nest({k: v for k, v in row.items() if v is not None})
        try:
            outcome, failed = decide(facts)
            d = xr.evaluate(policy, question, facts, on)
            out.append((outcome, d.status, d.norm, tuple(failed), None))
        except XuejiError as exc:
            diags = getattr(exc, "diagnostics", None) or ()
            out.append((None, None, None, (), diags[0].code if diags else exc.code))
    return out


def column_answers(policy, question, on, rows, paths, kind=None):
    backend = ColumnBackend(policy, question, on)
    frame = frame_of(rows, paths)
    result = backend.run(typed(frame, kind) if kind else frame)
    lists = backend.failed_lists(result).to_list()
    return [(o, s, n, tuple(f), e) for o, s, n, f, e in zip(
        result["outcome"].to_list(), result["status"].to_list(), result["norm"].to_list(), lists,
        result["error"].to_list())]


CASES = [(region, q) for region in xr.regions() for q in xr.load_policy(region).questions]


@pytest.mark.parametrize("kind", ["text", "enum", "categorical"])
@pytest.mark.parametrize("region,question", CASES, ids=[f"{r}:{q}" for r, q in CASES])
def test_columns_agree_with_the_row_kernel(region, question, kind):
    """As a registry export gives the facts (text), and as a warehouse types them (Enum or Categorical codes,
    lists of them, dates): the same answers as the row kernel."""
    policy = xr.load_policy(region)
    paths = question_paths(policy, policy.question(question))
    first, last = _span(policy)

    @settings(max_examples=6 if kind == "text" else 2, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(populations(paths, 200 if kind == "text" else 100), st.dates(min_value=first, max_value=last))
    def check(rows, on):
        want = row_answers(policy, question, on, rows)
        got = column_answers(policy, question, on, rows, paths, None if kind == "text" else kind)
        for i, (w, g) in enumerate(zip(want, got)):
            assert g == w, f"{region} {question} on {on}, {kind} row {i}: columns {g}, rows {w}, facts {rows[i]}"

    check()


def _answers_of(frame: pl.DataFrame) -> list:
    backend = ColumnBackend(xr.load_policy("jiangsu"), "suspension", dt.date(2025, 3, 3))
    result = backend.run(frame)
    return list(zip(result["outcome"].to_list(), result["status"].to_list(), backend.failed_lists(result).to_list(),
                    result["error"].to_list()))


BASE = {"student.stage": ["junior"] * 3, "student.grade": [8] * 3, "absence.class_hours_missed": [230] * 3,
        "absence.still_unable_to_attend": [True] * 3}


@pytest.mark.parametrize("dtype", [pl.Enum(["illness", "no_such_reason", "going_abroad"]), pl.Categorical],
                         ids=["enum", "categorical"])
def test_a_typed_value_that_is_no_code_is_the_same_error_as_its_text(dtype):
    reasons = ["illness", "no_such_reason", "going_abroad"]
    text = pl.DataFrame({**BASE, "absence.reason": reasons})
    got = _answers_of(text.with_columns(pl.col("absence.reason").cast(dtype)))
    assert got == _answers_of(text)
    assert [g[3] for g in got] == [None, "facts_type", None]


@pytest.mark.parametrize("dtype", [pl.Enum, pl.Categorical], ids=["enum", "categorical"])
def test_typed_chinese_names_are_read_as_names(dtype):
    spec = FACTS["absence.reason"]
    codes = ["illness", "force_majeure", "going_abroad"]
    names = [spec.choices[c].split("（")[0] for c in codes]
    cast = pl.Enum(names) if dtype is pl.Enum else pl.Categorical
    by_name = _answers_of(pl.DataFrame({**BASE, "absence.reason": names}).with_columns(pl.col("absence.reason").cast(cast)))
    assert by_name == _answers_of(pl.DataFrame({**BASE, "absence.reason": codes}))
    assert all(g[3] is None for g in by_name)


@pytest.mark.parametrize("inner", [pl.Categorical, "enum"], ids=["categorical", "enum"])
def test_typed_lists_with_a_wrong_item_or_a_name_are_read_as_text_lists(inner):
    spec = FACTS["evidence.documents"]
    code, zh = next(iter(spec.choices.items()))
    lists = [[code, "inpatient_record"], [zh], ["no_such_document", code]]
    text = pl.DataFrame({**BASE, "absence.reason": ["illness"] * 3, "evidence.documents": lists})
    dtype = pl.Enum([code, "inpatient_record", zh, "no_such_document"]) if inner == "enum" else pl.Categorical
    got = _answers_of(text.with_columns(pl.col("evidence.documents").cast(pl.List(dtype))))
    assert got == _answers_of(text)
    assert [g[3] for g in got] == [None, None, "facts_type"]


def test_a_typed_frame_reads_nothing_row_by_row(monkeypatch):
    """Enum codes, a List(Enum) of codes and Dates need no reading of values one by one (no text pass)."""
    import xueji_rules.columns.facts as facts

    text = pl.DataFrame({**BASE, "absence.reason": ["illness", None, "going_abroad"],
                         "evidence.documents": [["inpatient_record", "hospital_diagnosis"], [], None],
                         "absence.start_date": ["2025-01-06"] * 3})
    frame = typed(text, "enum")
    monkeypatch.setattr(facts, "convert", lambda *a: pytest.fail("a typed column read value by value"))
    got = _answers_of(frame)
    monkeypatch.undo()
    assert got == _answers_of(text)


def test_a_bad_value_is_an_error_code_and_the_other_rows_go_on():
    policy = xr.load_policy("jiangsu")
    frame = pl.DataFrame({"student.stage": ["junior", "college", "junior"],
                          "absence.class_hours_missed": [230, 10, -5]})
    result = ColumnBackend(policy, "suspension", dt.date(2025, 3, 3)).run(frame)
    assert result["error"].to_list() == [None, "facts_type", "facts_range"]
    assert result["outcome"].to_list()[0] is not None and result["outcome"].to_list()[1:] == [None, None]


def test_the_module_example_runs():
    import doctest

    import xueji_rules.columns

    assert doctest.testmod(xueji_rules.columns).failed == 0


def test_fractions_stay_exact_and_a_zero_total_is_the_row_paths_error():
    """1/3 of the year's class hours exactly: 340 of 1020 is not more than a third, 341 is; a total of 0 is refused."""
    policy = xr.load_policy("jiangsu")
    frame = pl.DataFrame({"student.stage": ["senior"] * 3, "student.grade": [11] * 3,
                          "absence.reason": ["illness"] * 3, "absence.class_hours_missed": [340, 341, 5],
                          "absence.year_total_class_hours": [1020, 1020, 0],
                          "absence.still_unable_to_attend": [True] * 3})
    backend = ColumnBackend(policy, "suspension", dt.date(2025, 3, 3))
    result = backend.run(frame)
    rows = [nest({k: v for k, v in r.items() if v is not None}) for r in frame.to_dicts()]
    decide = xr.decider(policy, "suspension", dt.date(2025, 3, 3))
    assert result["failed:senior_class_hours"].to_list()[:2] == [True, False]
    assert [o for o in result["outcome"].to_list()[:2]] == [decide(r)[0] for r in rows[:2]]
    with pytest.raises(XuejiError) as caught:
        decide(rows[2])
    assert result["error"].to_list()[2] == caught.value.diagnostics[0].code


def test_lists_of_codes_names_and_wrong_items_are_read_as_the_row_path_reads_them():
    policy = xr.load_policy("jiangsu")
    on = dt.date(2025, 3, 3)
    code, zh = next(iter(FACTS["evidence.documents"].choices.items()))
    base = {"student.stage": "junior", "student.grade": 8, "absence.reason": "illness",
            "absence.class_hours_missed": 230, "absence.still_unable_to_attend": True}
    lists = [[code], [zh], ["no_such_document"], [code, code], None]
    rows = [{**base, "evidence.documents": docs} for docs in lists]
    paths = list(rows[0])
    assert column_answers(policy, "suspension", on, rows, paths) == row_answers(policy, "suspension", on, rows)
    assert row_answers(policy, "suspension", on, rows)[2][4] == "facts_type"


def test_failed_lists_are_the_flags_in_rule_order_however_many_rules(monkeypatch):
    import xueji_rules.columns as columns

    backend = ColumnBackend(xr.load_policy("jiangsu"), "suspension", "2025-03-03")
    frame = pl.DataFrame({"student.stage": ["junior", "senior", "primary", None] * 5,
                          "student.grade": [9, 12, 3, 8] * 5, "absence.reason": ["illness", "going_abroad", "other", None] * 5,
                          "absence.class_hours_missed": list(range(0, 400, 20))})
    result = backend.run(frame)
    want = [[rid for rid in backend.rule_ids if row["failed:" + rid]] for row in result.iter_rows(named=True)]
    assert any(len(w) > 1 for w in want) and any(not w for w in want)
    assert backend.failed_lists(result).to_list() == want
    monkeypatch.setattr(columns, "KEY_BITS", 3)  # several keys, as a question of more than 62 rules has
    assert backend.failed_lists(result).to_list() == want


def test_an_empty_frame_gives_an_empty_answer():
    """A chunk whose rows were all refused before the backend (the audit filters them) is answered, empty."""
    frame = pl.DataFrame({"student.stage": pl.Series([], dtype=pl.String),
                          "evidence.documents": pl.Series([], dtype=pl.List(pl.String))})
    backend = ColumnBackend(xr.load_policy("jiangsu"), "suspension", dt.date(2025, 3, 3))
    result = backend.run(frame)
    assert result.height == 0 and {"outcome", "norm", "status", "error"} <= set(result.columns)
