"""What falls due: every dated obligation a region's policy encodes, for each student, in a range of dates.

The list a registry clerk works through each morning (``xueji due``). Nothing here is
a second list of deadlines: every item comes from the policy as compiled, in three ways.

* **deadline** — a rule's ``deadlines:`` (the dates a Decision lists), computed by the
  same generated functions, with the parameters and calendar in force.
* **overdue** — a condition ``今天 晚于 X`` (or ``今天 不早于 X``) in a rule or in a
  definition it uses, where X is a date computed from the student's facts: from X + 1 day
  (X) the time limit has run out and the rule applies (truancy after a suspension,
  automatic withdrawal, a report not made).
* **window_opens / window_closes** — a condition on ``今天`` alone (no fact) holding a
  window (``今天 在 semester_end_near(今天) 前后 transfer_window 以内 或 …``): evaluated day by
  day over the calendar, the first and the last day of each run of days it holds.

An item is listed only when, asked on its date with the student's facts, the rule that
carries it is in play: it holds or cannot be decided for want of a fact (as a Decision lists
deadlines), or, for a rule about lateness that applies only once the date has passed, on the
day after. A window's items need the rule to hold on that day (the facts show the student's
case is one the window governs). The range is inclusive at both ends: an item dated on
``start`` or on ``end`` is listed.

A deadline that reads no fact (a school's report within a month of the semester's start, the
county bureau's approval day each Wednesday) is the same for every student: it is listed once,
for the school (no student), on each date it takes as the days of the range pass; so is a
window whose rule's `when` reads no fact.

Pure: ``due(policy, students, start, end, on=None, questions=None, calendar=None)`` takes
facts and returns a DueList; nothing is read or written. ``_students(path)`` reads a file of
students (JSON Lines, or a YAML/JSON list) for the command.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from .conditions import parse as cparse
from .conditions.compile import RUNTIME, CompileError
from .errors import DateError, FactsError
from .evaluate import _run, day_of, given_calendar, with_readings
from .facts.input import FactValues, nest_paths, read_facts
from .facts.vocabulary import FACTS
from .policy import Policy, Question, Rule

KINDS = ("overdue", "deadline", "window_closes", "window_opens")
KIND_TITLES = {"deadline": "期限", "overdue": "逾期", "window_opens": "窗口开始", "window_closes": "窗口结束"}
#: statuses of a rule in play on a day (evaluate: held, unknown); a window needs held
_HELD, _UNKNOWN = 1, 3
_ONE_DAY = _dt.timedelta(days=1)


@attrs.frozen
class DueItem:
    """One dated obligation for one student (``student`` None: the school's, the same for every student)."""

    date: _dt.date
    student: str | None
    row: int | None
    question: str
    rule: str
    article: str
    title: str
    en: str | None
    kind: str  # one of KINDS
    basis: str  # the policy text the date comes from
    working_days: str | None = None  # how the working days are counted, where the date counts them

    def to_dict(self) -> dict:
        d = attrs.asdict(self)
        d["date"] = self.date.isoformat()
        return d


@attrs.frozen
class DueError:
    """A student (row) or one of its questions that could not be listed: a code, never a value."""

    row: int
    student: str | None
    code: str
    message: str
    path: str | None = None
    question: str | None = None
    rule: str | None = None

    def to_dict(self) -> dict:
        return attrs.asdict(self)

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" ({self.student})" if self.student else "")
        what = "/".join(x for x in (self.question, self.rule) if x)
        return f"{where}: {self.code}" + (f" at {self.path}" if self.path else "") + (f" [{what}]" if what else "") \
            + f": {self.message}"


@attrs.frozen
class DueList:
    region: str
    start: _dt.date
    end: _dt.date
    on: _dt.date
    items: tuple
    errors: tuple
    students: int
    calendar: str | None = None

    def to_dict(self) -> dict:
        return {"region": self.region, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "on": self.on.isoformat(), "inclusive": True, "students": self.students, "calendar": self.calendar,
                "items": [i.to_dict() for i in self.items], "errors": [e.to_dict() for e in self.errors]}


# -- what the policy encodes ---------------------------------------------------------------


class _Expr:
    """A condition or date expression of the policy compiled to ``f(F, P, T)``, one namespace per era."""

    def __init__(self, policy: Policy, node, calendar):
        from .kernel import hoist, params_as_globals

        compiler_base, scope, own = policy.compile_context
        compiler = compiler_base.fork()
        self.compiled = compiler.compile(node, scope)
        self.source = params_as_globals(hoist(f"def part(F, P, T):\n    return {self.compiled.code}\n", compiler))
        self.code = compile(self.source, "<due>", "exec")
        self.base = {**RUNTIME, **compiler.constants, "_cal": calendar or own}
        self._by_params: dict = {}

    @property
    def facts(self) -> frozenset:
        return self.compiled.facts

    def __call__(self, F, params: dict, day: _dt.date):
        fn = self._by_params.get(id(params))
        if fn is None:
            namespace = dict(self.base)
            namespace.update({f"_p_{k}": v for k, v in params.items()})
            exec(self.code, namespace)  # noqa: S102 - generated from the policy's checked tree
            fn = self._by_params[id(params)] = namespace["part"]
        return fn(F, params, day)


@attrs.frozen
class _Source:
    """Where one kind of item comes from: a rule of a question and how its date is computed."""

    kind: str
    question: Question
    index: int  # the rule's place in the question (its status in the kernel's statuses)
    title: str
    en: str | None
    basis: str
    working_days: str | None
    deadline: Any = None  # policy.Deadline: computed by the question's own generated function
    expr: Any = None  # _Expr: X of 今天 晚于 X
    shift: int = 0  # days after X the item falls (1 for 晚于, 0 for 不早于)
    school: bool = False  # reads no fact: the same for every student
    needs_today: bool = False

    @property
    def rule(self) -> Rule:
        return self.question.rules[self.index]


def _walk(node, policy: Policy, seen: frozenset = frozenset()) -> Iterator:
    """Every node of a condition tree, definitions used by name followed into their own trees."""
    if node is None:
        return
    yield node
    if isinstance(node, cparse.Name) and node.name in policy.definition_trees and node.name not in seen:
        yield from _walk(policy.definition_trees[node.name], policy, seen | {node.name})
        return
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        for child in (value if isinstance(value, tuple) else (value,)):
            if isinstance(child, cparse.Node):
                yield from _walk(child, policy, seen)


def _has_today(node, policy: Policy) -> bool:
    return any(isinstance(n, cparse.Today) for n in _walk(node, policy))


def _working_basis(policy: Policy, node, on_params: dict) -> str | None:
    """How a date that counts working days counts them: ``start + N 工作日``, the start not counted."""
    for n in _walk(node, policy):
        if isinstance(n, cparse.Arith) and n.op in ("+", "-"):
            span = n.right
            unit = value = None
            if isinstance(span, cparse.Num) and span.unit == "工作日":
                unit, value = "工作日", span.value
            elif isinstance(span, cparse.Name) and span.name in policy.parameters:
                p = policy.parameters[span.name]
                if p.unit == "工作日":
                    unit, value = "工作日", on_params.get(span.name)
            if unit:
                from .workdays import covered_years

                lo, hi = covered_years()
                direction = "after" if n.op == "+" else "before"
                return (f"{cparse.to_text(span)} = {value} 工作日: official working day number {value} {direction} "
                        f"{cparse.to_text(n.left)}, that day not counted (chinesecalendar, {lo}–{hi})")
    return None


def _with_values(policy: Policy, node, params: dict) -> str:
    """The condition text, with the value of each parameter it names (``suspension_term = 1年``)."""
    names: dict = {}
    for n in _walk(node, policy):
        if isinstance(n, cparse.Name) and n.name in policy.parameters and n.name in params:
            p = policy.parameters[n.name]
            names[n.name] = f"{n.name} = {_shown(params[n.name])}{p.unit or ''}"
    text = cparse.to_text(node)
    return text + (f" ({'; '.join(names.values())})" if names else "")


def _shown(value) -> str:
    from .render import value_text

    try:
        return value_text(value)
    except Exception:  # noqa: BLE001 - a display nicety, never a failure
        return str(value)


def _overdue_sides(node) -> tuple | None:
    """(X, shift) for ``今天 晚于 X`` / ``X 早于 今天`` (shift 1) and ``今天 不早于 X`` / ``X 不晚于 今天`` (shift 0)."""
    if not isinstance(node, cparse.Compare):
        return None
    from .statute import operator_of

    try:
        op = operator_of(node.word)
    except (KeyError, ValueError):
        return None
    if isinstance(node.left, cparse.Today) and op in (">", ">="):
        return node.right, 1 if op == ">" else 0
    if isinstance(node.right, cparse.Today) and op in ("<", "<="):
        return node.left, 1 if op == "<" else 0
    return None


def _window_conditions(node, policy: Policy, found: list) -> None:
    """The largest parts of a condition that read no fact, depend on 今天 and hold a window."""
    if node is None:
        return
    if isinstance(node, cparse.Name) and node.name in policy.definition_trees:
        _window_conditions(policy.definition_trees[node.name], policy, found)
        return
    holds_window = any(isinstance(n, cparse.Window) and isinstance(n.item, cparse.Today) for n in _walk(node, policy))
    if not holds_window:
        return
    if isinstance(node, (cparse.Logic, cparse.Not, cparse.Window)):
        try:
            expr = _Expr(policy, node, None)
        except CompileError:
            expr = None
        if expr is not None and not expr.facts and expr.compiled.type.kind == "bool":
            found.append(node)
            return
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        for child in (value if isinstance(value, tuple) else (value,)):
            if isinstance(child, cparse.Node):
                _window_conditions(child, policy, found)


@attrs.frozen
class Plan:
    """Every source of dated items in a policy's questions, found once; windows are days of a calendar."""

    policy: Policy
    sources: tuple  # _Source, in question and rule order
    windows: tuple  # (_Source, _Expr) per window condition
    calendar: Any = None


def plan(policy: Policy, questions: Iterable[str] | None = None, calendar=None, on: _dt.date | None = None) -> Plan:
    """The sources of due items in ``questions`` (default: all) of ``policy``."""
    cal = given_calendar(calendar)
    qs = [policy.question(q) for q in questions] if questions else list(policy.questions.values())
    on = on or policy.effective_from
    params = policy.parameters_on(max(on, policy.effective_from))
    sources, windows = [], []
    for q in qs:
        for i, rule in enumerate(q.rules):
            trees = (rule.when_tree, rule.require_tree)
            for dl in rule.deadlines:
                tree = cparse.parse(dl.expression)
                expr_facts = _Expr(policy, tree, cal).facts
                sources.append(_Source(
                    "deadline", q, i, dl.title, dl.en, _with_values(policy, tree, params), _working_basis(policy, tree, params), deadline=dl,
                    school=not expr_facts, needs_today=_has_today(tree, policy)))
            seen_x: set = set()
            for tree in trees:
                for node in _walk(tree, policy):
                    sides = _overdue_sides(node)
                    if sides is None or _has_today(sides[0], policy):
                        continue
                    x, shift = sides
                    key = (cparse.to_text(x), shift)
                    if key in seen_x:
                        continue
                    seen_x.add(key)
                    try:
                        expr = _Expr(policy, x, cal)
                    except CompileError:
                        continue
                    if expr.compiled.type.kind != "date" or not expr.facts:
                        continue
                    sources.append(_Source(
                        "overdue", q, i, rule.title, rule.en, _with_values(policy, node, params),
                        _working_basis(policy, x, params), expr=expr, shift=shift))
            found: list = []
            for tree in trees:
                _window_conditions(tree, policy, found)
            for node in found:
                span = next((n.span for n in _walk(node, policy) if isinstance(n, cparse.Window)), None)
                basis = _working_basis(policy, cparse.Arith(0, 0, "+", cparse.Today(0, 0), span), params) if span else None
                when = _Expr(policy, rule.when_tree, cal) if rule.when_tree is not None else None
                windows.append((_Source("window", q, i, rule.title, rule.en, _with_values(policy, node, params), basis,
                                        expr=when, school=when is None or not when.facts),
                                _Expr(policy, node, cal)))
    return Plan(policy, tuple(sources), tuple(windows), cal)


def _window_days(policy: Policy, expr: _Expr, start: _dt.date, end: _dt.date) -> list:
    """(day, "window_opens" | "window_closes") in [start, end]: the first and last day of each run it holds."""
    def holds(day):
        try:
            policy.in_force(day)
            return bool(expr({}, policy.parameters_on(day), day))
        except (DateError, ArithmeticError, ValueError):
            return None  # outside the calendar or the regulation: no edge is claimed there

    out = []
    day, before = start, holds(start - _ONE_DAY)
    now = holds(day)
    while day <= end:
        after = holds(day + _ONE_DAY)
        if now:
            if before is False:
                out.append((day, "window_opens"))
            if after is False:
                out.append((day, "window_closes"))
        day, before, now = day + _ONE_DAY, now, after
    return out


# -- the students' items -------------------------------------------------------------------


class _Asker:
    """A student's facts asked one question on many days, each day's rule statuses kept."""

    def __init__(self, policy: Policy, q: Question, F: dict, cal):
        self.policy, self.q, self.F, self.cal = policy, q, F, cal
        self.statuses: dict = {}

    def status(self, day: _dt.date, index: int) -> int:
        got = self.statuses.get(day)
        if got is None:
            self.policy.in_force(day)
            got = self.statuses[day] = _run(self.q, self.policy.era(day), self.F, self.policy.parameters_on(day), day,
                                            self.cal)[2]
        return got[index]


def _date_of(policy: Policy, src: _Source, F, on: _dt.date, cal):
    """The date a source gives for these facts asked on ``on`` (None: a fact it needs is missing)."""
    params = policy.parameters_on(on)
    if src.deadline is not None:
        fn = src.question.by_era[policy.era(on)][src.deadline.function]
        return fn(F, params, on) if cal is None else fn(F, params, on, cal)
    x = src.expr(F, params, on)
    return None if x is None else x + _dt.timedelta(days=src.shift)


def _item(src: _Source, date, student, row, kind=None) -> DueItem:
    rule = src.rule
    return DueItem(date, student, row, src.question.id, rule.id, rule.article.id, src.title, src.en,
                   kind or src.kind, src.basis, src.working_days)


def _student_items(p: Plan, F: dict, student: str, row: int, start, end, on, window_days) -> tuple[list, list]:
    policy, cal = p.policy, p.calendar
    items, errors = [], []
    askers: dict = {}
    broken: set = set()

    def asker(q):
        a = askers.get(q.id)
        if a is None:
            a = askers[q.id] = _Asker(policy, q, F, cal)
        return a

    def in_play(src, day) -> bool:
        code = asker(src.question).status(day, src.index)
        return code == _HELD or code == _UNKNOWN

    def governs(src, day) -> bool:
        """The rule's `when` holds for these facts on ``day`` (not merely unknown): the window is the student's."""
        return src.expr(F, policy.parameters_on(day), day) is True and in_play(src, day)

    def fail(src, exc, code=None):
        diag = getattr(exc, "diagnostics", ()) or ()
        first = diag[0] if diag else None
        if isinstance(exc, FactsError) and first is not None and first.code == "contradictory_facts":
            broken.add(src.question.id)  # every rule of the question: said once
            key = (src.question.id, None)
        else:
            key = (src.question.id, src.rule.id)
        if key in seen_errors:
            return
        seen_errors.add(key)
        from .workdays import covered_years

        messages = {
            "bad_date": "a date this needs is outside the working-day data installed (chinesecalendar, {}–{}) or the "
                        "school calendar".format(*covered_years()),
            "facts_value": "the date cannot be computed from these facts",
        }
        code = code or (first.code if first is not None else getattr(exc, "code", "facts_invalid"))
        errors.append(DueError(row, student, code, messages.get(code) or (first.message if first else str(exc)),
                               first.path if first is not None else None, src.question.id, key[1]))

    seen_errors: set = set()
    for src in p.sources:
        if src.school or src.question.id in broken:
            continue
        try:
            date = _date_of(policy, src, F, on, cal)
            if date is None or not start <= date <= end:
                continue
            if in_play(src, date) or (src.kind == "deadline" and in_play(src, date + _ONE_DAY)):
                items.append(_item(src, date, student, row))
        except FactsError as exc:
            fail(src, exc)
        except DateError as exc:
            fail(src, exc, "bad_date")
        except (ArithmeticError, ValueError) as exc:
            fail(src, exc, "facts_value")
    for (src, _expr), days in window_days:
        if src.school or src.question.id in broken:
            continue
        for day, kind in days:
            try:
                if governs(src, day):
                    items.append(_item(src, day, student, row, kind))
            except FactsError as exc:
                fail(src, exc)
                break
            except DateError as exc:
                fail(src, exc, "bad_date")
            except (ArithmeticError, ValueError) as exc:
                fail(src, exc, "facts_value")
    return items, errors


def _school_items(p: Plan, start, end, on, window_days) -> list:
    """Deadlines and windows that read no fact: once for the school, each date they take as the days of the range pass."""
    policy, cal = p.policy, p.calendar
    out = []
    for (src, _expr), days in window_days:
        if src.school:
            out.extend(_item(src, day, None, None, kind) for day, kind in days)
    for src in p.sources:
        if not src.school:
            continue
        days = _days(start, end) if src.needs_today else [on]
        seen = set()
        for day in days:
            try:
                date = _date_of(policy, src, {}, day, cal)
            except (DateError, ArithmeticError, ValueError):
                continue
            if date is not None and start <= date <= end and date not in seen:
                seen.add(date)
                out.append(_item(src, date, None, None))
    return out


def _days(start, end) -> Iterator:
    day = start
    while day <= end:
        yield day
        day += _ONE_DAY


def _dedupe(items: list) -> list:
    """One item per student, day, kind and title; a rule's overdue item on the day of its own deadline is that deadline."""
    deadlines = {(i.row, i.date, i.question, i.rule) for i in items if i.kind == "deadline"}
    seen, out = set(), []
    for i in items:
        if i.kind == "overdue" and (i.row, i.date, i.question, i.rule) in deadlines:
            continue
        key = (i.row, i.date, i.kind, i.title)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


def due(policy: Policy, students: Iterable, start, end, on=None, questions: Iterable[str] | None = None,
        calendar=None) -> DueList:
    """Every item that falls due between ``start`` and ``end`` (both included) for each student.

    ``students`` yields ``(row, student id, facts)`` — facts a nested dict, or a DueError for
    a row that could not be read (kept in the list's errors). ``on`` is the day the facts
    describe (default ``start``): deadlines counted from 今天 are counted from it. Raises
    DateError for a bad range, UnknownQuestionError for an unknown question; a student's
    problem is a DueError, never an exception.
    """
    start, end = day_of(start, "start date (--from)"), day_of(end, "end date (--to)")
    if end < start:
        raise DateError(f"the range ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    on = start if on is None else day_of(on, "date for --on")
    for d in (start, end, on):
        policy.in_force(d)
    p = plan(policy, questions, calendar, on)
    window_days = [(w, _window_days(policy, w[1], start, end)) for w in p.windows]
    items, errors, count = _school_items(p, start, end, on, window_days), [], 0
    for row, student, facts in students:
        count += 1
        if isinstance(facts, DueError):
            errors.append(facts)
            continue
        try:
            fv = facts if isinstance(facts, FactValues) else read_facts(facts)
            F = with_readings(policy, fv.values, None)
        except FactsError as exc:
            first = exc.diagnostics[0] if exc.diagnostics else None
            errors.append(DueError(row, student, first.code if first else exc.code,
                                   first.message if first else exc.message, first.path if first else None))
            continue
        got, problems = _student_items(p, F, student, row, start, end, on, window_days)
        items.extend(got)
        errors.extend(problems)
    order = {q: i for i, q in enumerate(policy.questions)}
    items.sort(key=lambda i: (i.date, i.row is not None, i.row or 0, KINDS.index(i.kind), order.get(i.question, 0)))
    cal = p.calendar or policy.calendar
    return DueList(policy.id, start, end, on, tuple(_dedupe(items)), tuple(errors), count,
                   None if cal is None else cal.title)


# -- reading a file of students --------------------------------------------------------------


def _students(path, id_column: str | None = None, columns: str | None = None) -> Iterator:
    """``(row, student id, facts | DueError)`` for each student of a file.

    JSON Lines (``.jsonl``, ``.ndjson``: one object a line, the row is the line number, blank
    lines skipped) or a YAML/JSON list of mappings (``.yaml``, ``.yml``, ``.json``: the row is
    the item's number from 1), each read by the library's own reader (_yaml: duplicate keys,
    numbers as written, bounded size). The id is the ``id_column`` key; every other key is facts,
    nested (``student: {grade: 8}``) or as dotted paths (``student.grade: 8``).

    CSV and Parquet files (and any file given with a column map, ``columns``) are read by
    ``xueji audit``'s chunked reader instead (:func:`_table_students`), so a registry's export
    is read the same way by both commands.
    """
    from . import _yaml
    from .facts.input import MAX_FACTS_CHARS

    name = str(path)
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in ("csv", "parquet", "pq") or columns is not None:
        yield from _table_students(path, id_column, columns)
        return
    id_column = id_column or "id"
    if suffix in ("jsonl", "ndjson"):
        try:
            fh = open(path, encoding="utf-8")
        except OSError as exc:
            raise FactsError(f"cannot read the students file {name}: {exc.strerror or exc}") from None
        with fh:
            try:
                for n, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    doc, problems = _yaml.load_text(line, f"{name}:{n}", max_chars=MAX_FACTS_CHARS)
                    if problems or doc is None:
                        first = problems[0]
                        yield n, None, DueError(n, None, first.code, "the line is not a JSON object that can be read")
                        continue
                    yield _record(n, doc.value, id_column)
            except UnicodeDecodeError as exc:
                raise FactsError(f"cannot read the students file {name}: not UTF-8 text ({exc.reason})") from None
        return
    if suffix in ("yaml", "yml", "json"):
        doc, problems = _yaml.load_file(path)
        if problems or doc is None:
            raise FactsError(f"the students file {name} cannot be read", tuple(problems))
        if not isinstance(doc.value, list):
            raise FactsError(f"the students file {name} must be a list of students (one mapping each)")
        for n, value in enumerate(doc.value, 1):
            yield _record(n, value, id_column)
        return
    raise FactsError(f"cannot read the students file {name}: give CSV (.csv), Parquet (.parquet), JSON Lines "
                     "(.jsonl) or a YAML or JSON list (.yaml, .json)")


def _table_students(path, id_column: str | None, columns: str | None) -> Iterator:
    """``(row, student id, facts | DueError)`` for each student of a CSV, JSON Lines or Parquet file.

    Read in chunks by ``xueji audit``'s reader (xueji_rules.audit.read): columns named by fact
    paths or mapped to them by the column map, each cell typed the same way whatever the format;
    a cell that cannot be read as its fact's kind makes its row a ``facts_type`` error.
    """
    try:
        import polars  # noqa: F401 - the reader's engine
    except ImportError:
        raise FactsError(f"reading {path} needs the audit extra (Polars): pip install 'xueji_rules[audit]'; "
                         "or give the students as JSON Lines (.jsonl) or a YAML list") from None
    from .audit.columns import load_column_map
    from .audit.read import ROW, UNREADABLE, StudentsFile, typed

    source = StudentsFile(path, load_column_map(columns, id_column))
    sid_column = source.id_column
    if sid_column is None:
        raise FactsError(f"the students file {path} has no id column (name one with --id-column, or `id:` in the "
                         "column map)")
    paths = list(source.fact_columns.values())
    for raw in source.chunks():
        frame, masks = typed(raw, source.fact_columns)
        bad = {p: m.to_list() for p, m in masks.items()}
        for i, record in enumerate(frame.iter_rows(named=True)):
            row, sid = record[ROW], record.get(sid_column)
            sid = None if sid is None or str(sid).strip() == "" else str(sid)
            wrong = next((p for p in paths if p in bad and bad[p][i]), None)
            if record.get(UNREADABLE):
                yield row, None, DueError(row, None, record[UNREADABLE], "the line cannot be read as a JSON object "
                                          "of facts")
            elif wrong is not None:
                yield row, sid, DueError(row, sid, "facts_type", f"the cell cannot be read as "
                                         f"{FACTS[wrong].kind}: {FACTS[wrong].zh}", wrong)
            elif sid is None:
                yield row, None, DueError(row, None, "missing_id", f"no student id in the column '{sid_column}'",
                                          sid_column)
            else:
                yield row, sid, nest_paths((p, record[p]) for p in paths)


def _record(row: int, value, id_column: str) -> tuple:
    if not isinstance(value, Mapping):
        return row, None, DueError(row, None, "bad_row", "a student is a mapping of an id and facts")
    sid = value.get(id_column)
    if sid is None or isinstance(sid, (bool, dict, list)) or str(sid).strip() == "":
        return row, None, DueError(row, None, "missing_id", f"no student id in the column '{id_column}'",
                                   id_column)
    facts = _nested({k: v for k, v in value.items() if k != id_column})
    return row, str(sid), facts


def _nested(flat: Mapping) -> dict:
    """Dotted keys (``student.grade``, as a column of a table) made into nested mappings."""
    if not any(isinstance(k, str) and "." in k for k in flat):
        return dict(flat)
    out = nest_paths((k, v) for k, v in flat.items() if isinstance(k, str))
    out.update((k, v) for k, v in flat.items() if not isinstance(k, str))  # the reader names them
    return out


# -- the command ---------------------------------------------------------------------------


def add_parser(sub, common, parser_class):
    """``xueji due``."""
    import argparse

    p = sub.add_parser(
        "due", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="what falls due between two dates for each student of a file: deadlines, overdue, windows",
        description="Every deadline and time limit the region's policy encodes that falls in the range for each\n"
                    "student, ordered by date: deadlines (a rule's `deadlines:`), overdue (from the day a rule's\n"
                    "`今天 晚于 …` holds), and transfer windows opening and closing. Both ends of the range are\n"
                    "included. Each item names the question, rule, article and title (zh, en), and how\n"
                    "working days are counted where they are.",
        epilog="examples:\n"
               "  xueji due nanchang --students examples/students-due.jsonl --from 2025-01-01 --to 2025-03-31\n"
               "  xueji due nanchang --students examples/students-due.jsonl --from 2025-02-01 --to 2025-02-28 --format csv\n"
               "  xueji due jiangsu --students examples/audit/export.csv --columns examples/audit/columns.yaml "
               "--from 2025-03-01 --to 2025-03-31\n"
               "  (--out FILE writes the list to a file: .csv and .json by their extension, else text)\n\n"
               "The students file is CSV, Parquet or JSON Lines, read as `xueji audit` reads it (columns named\n"
               "by fact paths, or mapped by --columns; needs the audit extra for CSV and Parquet), or a YAML/JSON\n"
               "list: each student an `id` (see --id-column) and the facts, nested or as dotted fact paths.\n"
               "Exits 0 when every student was listed, 1 when some rows had errors (each on stderr with its\n"
               "row number and code, never a value), 2 on a user error (bad date, unreadable file).",
    )
    p.add_argument("region", metavar="REGION", help="region name, e.g. nanchang (see `xueji regions`)")
    p.add_argument("--students", required=True, metavar="FILE",
                   help="the students: CSV, Parquet or JSON Lines (as `xueji audit` reads them), or a YAML/JSON list")
    p.add_argument("--columns", metavar="MAP.yaml",
                   help="map the file's own column names to fact paths (the same map as `xueji audit --columns`)")
    p.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day of the range (included)")
    p.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day of the range (included)")
    p.add_argument("--on", metavar="DATE", help="the day the facts describe (default: --from); 今天 in deadlines")
    p.add_argument("--question", action="append", default=[], metavar="Q",
                   help="only this question (repeatable; default: every question of the region)")
    p.add_argument("--id-column", default=None, metavar="NAME",
                   help="the key or column holding the student id (default: the map's `id:`, else id)")
    p.add_argument("--calendar", metavar="FILE", help="the school's own calendar, in place of the region's sample")
    p.add_argument("--out", metavar="FILE", help="write the list to FILE (format from --format, else its extension)")
    p.add_argument("--format", choices=("text", "json", "csv"), default=None,
                   help="text (a table, the default), json or csv")


COLUMNS = ("date", "student", "kind", "question", "rule", "article", "title", "en", "basis", "working_days")


def _text(result: DueList) -> str:
    from ._width import table

    rows = [[i.date.isoformat(), i.student or "（学校）", f"{KIND_TITLES[i.kind]} {i.kind}", i.question, i.rule,
             i.article, i.title + (" [工作日]" if i.working_days else "")] for i in result.items]
    head = (f"{result.region}: {result.start.isoformat()} – {result.end.isoformat()} (both included), "
            f"{result.students} student(s), {len(result.items)} item(s)"
            + (f", {len(result.errors)} error(s)" if result.errors else "")
            + (f"; calendar {result.calendar}" if result.calendar else "") + "\n")
    if not rows:
        return head + "nothing falls due in the range\n"
    return head + table(["date 日期", "student 学生", "kind 类别", "question", "rule", "article 条款", "title 事项"],
                        [[str(c).replace("\n", " ") for c in r] for r in rows]) + "\n"


def _csv(result: DueList) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for i in result.items:
        d = i.to_dict()
        w.writerow(["" if d[c] is None else d[c] for c in COLUMNS])
    return buf.getvalue()


def run(args, out, err, stdin) -> int:
    import json

    from .load import load_policy

    policy = load_policy(args.region)
    for q in args.question:
        policy.question(q)
    calendar = None
    if args.calendar:
        from .school_calendar import load_calendar

        calendar = load_calendar(args.calendar)
    fmt = args.format
    if fmt is None:
        ext = (args.out or "").rsplit(".", 1)[-1].lower()
        fmt = {"json": "json", "csv": "csv"}.get(ext, "text")
    result = due(policy, _students(args.students, args.id_column, args.columns), args.start, args.end, args.on,
                 args.question or None, calendar)
    if fmt == "json":
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = _csv(result)
    else:
        text = _text(result)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise FactsError(f"cannot write {args.out}: {exc.strerror or exc}") from None
        out.write(f"{len(result.items)} item(s) for {result.students} student(s) written to {args.out}"
                  + (f"; {len(result.errors)} error(s)" if result.errors else "") + "\n")
    else:
        out.write(text)
    for e in result.errors:
        err.write(f"xueji: {e}\n")
    return 1 if result.errors else 0
