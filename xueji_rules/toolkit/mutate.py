"""Mutation testing of a policy: do its compliance cases notice when the law is encoded wrongly?

Each *mutant* is the policy with one small change to its data (never to Python): a
parameter's value one unit up or down, a dated value taking effect a day earlier or
later, a comparison word turned into its neighbour (超过 ↔ 以上 …), a list member
removed, 且 ↔ 或, a rule's ``when`` or ``require`` negated, a strength one step weaker
or stronger, a deadline a day earlier or later, a reading's ``chosen`` switched to its
other option. Only the affected question is compiled again (from the loader's trees,
``loader/build.py``); the cases of the questions it feeds are run in-process, in
parallel worker processes. A mutant is *killed* when a case that passes on the policy
fails on the mutant; a *survivor* is reported with the file:line of what was changed
and the case that came closest to noticing.

Mutants that cannot change any answer are marked once in the policy, with the reason::

    equivalent_mutants:
      "rule:transfer.same_county.require#3:以上→超过": 学期数是整数，本数……不可能……

Each id must name a mutant of the policy that no case kills (checked on every run).
A mutant whose change reaches no question (a parameter nothing reads) is *inert*;
one the loader refuses (e.g. 原则上不 without who grants the exception) is *invalid*;
neither is counted in the score. Score = killed / (mutants − equivalent − inert − invalid).
"""

from __future__ import annotations

import datetime as _dt
import json
import multiprocessing
import os
import time
from fractions import Fraction
from pathlib import Path

import attrs

from ..conditions import parse as P
from ..conditions.compile import Compiled
from ..errors import XuejiError
from ..kernel import instantiate
from ..loader.build import condition_position, era_table
from ..loader.read import _to_date
from ..statute import WORDS

#: each comparison word's neighbour: the same direction, the other side of the number (included ↔ excluded)
NEIGHBOUR = {
    "超过": "以上", "以上": "超过", "不满": "以下", "以下": "不满",
    "以内": "不满", "不超过": "不满", "满": "超过", "达到": "超过",
    "未达到": "不超过", "达不到": "不超过", "至少": "多于", "至多": "少于",
    "不少于": "多于", "不多于": "少于", "多于": "不少于", "少于": "不多于",
    "早于": "不晚于", "不晚于": "早于", "晚于": "不早于", "不早于": "晚于",
    "是": "不是", "不是": "是",
    ">": ">=", ">=": ">", "<": "<=", "<=": "<", "==": "!=", "!=": "==",
}
#: a strength one step weaker and one step stronger (constraints and grounds each keep to their kind)
STRENGTH_STEPS = {
    "不得": ("原则上不",), "原则上不": ("须经批准", "不得"), "须经批准": ("原则上不",),
    "可以": ("应当",), "应当": ("可以",),
}
OPERATORS = ("number", "start", "word", "list", "logic", "negate", "strength", "deadline", "reading")
KILLED, SURVIVED, EQUIVALENT, INERT, INVALID = "killed", "survived", "equivalent", "inert", "invalid"
NO_READER = "no question reads it"
SAME_CODE = "it compiles to the same code as the policy"


@attrs.frozen
class Mutant:
    """One change to the policy's data."""

    id: str  # stable: names the thing changed and the change, never a line number
    operator: str  # one of OPERATORS
    change: str  # what was changed, for people: `超过 → 以上`, `210 → 211`
    file: str
    line: int | None
    column: int | None
    article: str | None  # the article the changed thing encodes
    rules: tuple = ()  # "question.rule" of the rules the change feeds
    recipe: tuple = attrs.field(default=(), eq=False, repr=False)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@attrs.frozen
class Outcome:
    """What the cases made of one mutant."""

    mutant: Mutant
    status: str  # killed, survived, equivalent, inert, invalid
    killed_by: str | None = None  # file:line of the first case that failed
    closest: str | None = None  # for a survivor: the case that came closest, and how close
    reason: str | None = None  # why equivalent (the policy's mark), inert or invalid

    def to_dict(self) -> dict:
        m = self.mutant
        return {"id": m.id, "operator": m.operator, "change": m.change, "file": m.file, "line": m.line,
                "column": m.column, "article": m.article, "rules": list(m.rules), "status": self.status,
                "killed_by": self.killed_by, "closest": self.closest, "reason": self.reason}


@attrs.frozen
class MarkProblem:
    """An `equivalent_mutants:` entry that is wrong: no such mutant, or a case kills it."""

    id: str
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@attrs.frozen
class MutationReport:
    """Every mutant of one policy and what the cases made of it."""

    region: str
    folder: str
    outcomes: tuple
    problems: tuple = ()  # MarkProblem
    failing_cases: tuple = ()  # cases failing on the unmutated policy (file:line): the run is not meaningful
    seconds: float = 0.0
    articles: tuple = ()  # the policy's article ids in their order

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def scored(self) -> int:
        return self.count(KILLED) + self.count(SURVIVED)

    @property
    def score(self) -> float:
        return 100.0 * self.count(KILLED) / self.scored if self.scored else 100.0

    @property
    def survivors(self) -> list:
        return [o for o in self.outcomes if o.status == SURVIVED]

    def by_article(self) -> list:
        """(article, outcomes) in the order of the policy's articles (definitions and others last)."""
        groups: dict = {}
        for o in self.outcomes:
            groups.setdefault(o.mutant.article or "", []).append(o)
        order = {a: i for i, a in enumerate(self.articles)}
        return sorted(groups.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))

    def to_dict(self) -> dict:
        return {
            "region": self.region, "folder": self.folder, "seconds": round(self.seconds, 2),
            "mutants": len(self.outcomes), "killed": self.count(KILLED), "survived": self.count(SURVIVED),
            "equivalent": self.count(EQUIVALENT), "inert": self.count(INERT), "invalid": self.count(INVALID),
            "score": round(self.score, 2),
            "articles": [
                {"article": a, "mutants": len(os_), "killed": sum(o.status == KILLED for o in os_),
                 "equivalent": sum(o.status == EQUIVALENT for o in os_),
                 "survivors": [o.to_dict() for o in os_ if o.status == SURVIVED]}
                for a, os_ in self.by_article()
            ],
            "mutant_list": [o.to_dict() for o in self.outcomes],
            "problems": [attrs.asdict(p) for p in self.problems],
            "failing_cases": list(self.failing_cases),
        }


# -- trees ------------------------------------------------------------------------------


def _children(node):
    for f in attrs.fields(type(node)):
        value = getattr(node, f.name)
        if isinstance(value, P.Node):
            yield f.name, None, value
        elif isinstance(value, tuple):
            for i, v in enumerate(value):
                if isinstance(v, P.Node):
                    yield f.name, i, v


def _preorder(tree) -> list:
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed([c for _, _, c in _children(node)]))
    return out


def _replace_sized(node, index: int, new):
    if index == 0:
        return new
    index -= 1
    changes = {}
    for name, i, child in _children(node):
        size = len(_preorder(child))
        if index < size:
            replaced = _replace_sized(child, index, new)
            if i is None:
                changes[name] = replaced
            else:
                items = list(getattr(node, name))
                items[i] = replaced
                changes[name] = tuple(items)
            return attrs.evolve(node, **changes)
        index -= size
    raise IndexError("no such node")


def _number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _literal(node) -> str:
    if isinstance(node, P.Num):
        return _number(node.value) + (node.unit or "")
    if isinstance(node, P.Str):
        return f'"{node.value}"'
    if isinstance(node, P.Name):
        return node.name
    return type(node).__name__


def _step(value: Fraction) -> Fraction:
    """One unit of a number: 1 for a whole number, else one part of its denominator (0.05 → 1/20)."""
    value = Fraction(value)
    return Fraction(1) if value.denominator == 1 else Fraction(1, value.denominator)


def tree_mutations(tree, negate: bool) -> list:
    """(node index, operator, change text, mutated tree, node) for every mutation of a condition tree."""
    out = []
    nodes = _preorder(tree)
    for k, node in enumerate(nodes):
        if isinstance(node, P.Compare) and node.word in NEIGHBOUR:
            other = NEIGHBOUR[node.word]
            out.append((k, "word", f"{node.word}→{other}", _replace_sized(tree, k, attrs.evolve(node, word=other)), node))
        elif isinstance(node, P.Num):
            step = _step(node.value)
            for sign, v in (("+", node.value + step), ("-", node.value - step)):
                out.append((k, "number", f"{_literal(node)}→{_literal(attrs.evolve(node, value=v))}",
                            _replace_sized(tree, k, attrs.evolve(node, value=v)), node))
        elif isinstance(node, P.ListOf):
            for i, item in enumerate(node.items):
                rest = node.items[:i] + node.items[i + 1:]
                out.append((k, "list", f"-{_literal(item)}", _replace_sized(tree, k, attrs.evolve(node, items=rest)), item))
        elif isinstance(node, P.Logic):
            other = "or" if node.op == "and" else "and"
            cn = {"and": "且", "or": "或"}
            out.append((k, "logic", f"{cn[node.op]}→{cn[other]}", _replace_sized(tree, k, attrs.evolve(node, op=other)), node))
    if negate:
        out.append((0, "negate", "非(…)", P.Not(tree.line, tree.column, tree), tree))
    return out


def _names(tree) -> set:
    return {n.name for n in _preorder(tree) if isinstance(n, P.Name)}


# -- the state a run shares with its workers ----------------------------------------------


class _Base:
    """The policy as loaded, the loader that built it, its cases and their answers."""

    def __init__(self, folder: Path):
        from ..compliance.cases import case_files, load_case_file
        from ..compliance.runner import run_case
        from ..load import _Loader
        from ..errors import PolicyError

        self.folder = folder
        loader = self.loader = _Loader(folder)
        policy = self.policy = loader.build()
        if policy is None:
            raise PolicyError(f"the policy in {folder} is not valid", tuple(loader.diags))
        self.compiler, self.scope, _ = policy.compile_context
        _, _, self.runtime = loader.check_parameters(policy.effective_from)
        self.repeals = loader.collect_repeals()
        loader.diags = []
        self.top = loader.layers[-1]
        self.cases = []
        tests = folder / "tests"
        for f in (case_files(tests) if tests.is_dir() else []):
            self.cases.extend(c for c in load_case_file(f, policy) if c.question in policy.questions)
        self.baseline = [run_case(policy, c) for c in self.cases]
        self.failing = [c.where() for c, r in zip(self.cases, self.baseline) if not r.passed]
        self.by_question: dict = {}
        for i, (c, r) in enumerate(zip(self.cases, self.baseline)):
            if r.passed:
                self.by_question.setdefault(c.question, []).append(i)
        self._uses()

    def mine(self, doc) -> bool:
        """Whether ``doc`` is a file of the policy asked for (not of a policy it extends)."""
        return self.loader.layer_of.get(id(doc)) is self.top

    def tree(self, text) -> object:
        tree = self.loader.trees.get(str(text))
        return tree if isinstance(tree, P.Node) else None

    def _uses(self) -> None:
        """Which names (parameters, definitions) each rule, and each question, reads, definitions followed."""
        defs = {name: body for name, (body, _, _) in self.loader.single("definitions").items()}
        direct: dict = {}
        for name, body in defs.items():
            t = self.tree(body if isinstance(body, str) else body.get("condition"))
            direct[name] = _names(t) if t is not None else set()

        def closure(names: set) -> set:
            out, todo = set(), list(names)
            while todo:
                n = todo.pop()
                if n in out:
                    continue
                out.add(n)
                todo.extend(direct.get(n, ()))
            return out

        self.rule_names: dict = {}  # "q.rule" -> names read
        self.question_names: dict = {}
        for qname, q in self.policy.questions.items():
            qnames: set = set()
            for rule in q.rules:
                texts = [rule.when, rule.require] + [d.expression for d in rule.deadlines]
                names = set()
                for t in texts:
                    tree = self.tree(t) if t is not None else None
                    if tree is not None:
                        names |= _names(tree)
                self.rule_names[f"{qname}.{rule.id}"] = closure(names)
                qnames |= self.rule_names[f"{qname}.{rule.id}"]
            for t in [c.when for c in q.certificates] + [x.when for x in q.contradictions]:
                tree = self.tree(t)
                if tree is not None:
                    qnames |= closure(_names(tree))
            self.question_names[qname] = qnames

    def article_of_rules(self, rules) -> str | None:
        for key in rules:
            q, rid = key.split(".", 1)
            for r in self.policy.questions[q].rules:
                if r.id == rid:
                    return r.article.id
        return None


# -- finding the mutants ------------------------------------------------------------------


def _where(doc, path, text=None, node=None) -> tuple:
    if node is not None and text is not None:
        return condition_position(doc, path, str(text), node.line, node.column)
    return doc.where(path)


def find_mutants(base: _Base, questions=None) -> list:
    """Every mutant of the policy's own data (a layer's: only what its files write)."""
    out: list = []
    L = base.loader
    wanted = set(questions) if questions else None
    # rules and certificates
    for qname, contributions in L.entries.get("questions", {}).items():
        if wanted is not None and qname not in wanted:
            continue
        for ci, (qbody, doc, qpath) in enumerate(contributions):
            if not base.mine(doc):
                continue
            for ri, rbody in enumerate(qbody.get("rules", ())):
                rpath = qpath + ("rules", ri)
                key = f"{qname}.{rbody['id']}"
                article = rbody.get("article")
                for field in ("when", "require"):
                    if field not in rbody:
                        continue
                    tree = base.tree(rbody[field])
                    if tree is None:
                        continue
                    for k, op, change, new, node in tree_mutations(tree, negate=True):
                        line, col = _where(doc, rpath + (field,), rbody[field], node)
                        out.append(Mutant(f"rule:{key}.{field}#{k}:{change}", op, change, doc.file, line, col, article,
                                          (key,), ("rule", qname, ci, ri, {field: new})))
                for j, dl in enumerate(rbody.get("deadlines", ())):
                    tree = base.tree(dl["date"])
                    if tree is None:
                        continue
                    dpath = rpath + ("deadlines", j, "date")
                    for sign, op in (("+", "+"), ("-", "-")):
                        new = P.Arith(tree.line, tree.column, op, tree, P.Num(tree.line, tree.column, Fraction(1), "日"))
                        line, col = doc.where(dpath)
                        deadlines = [dict(d) for d in rbody["deadlines"]]
                        out.append(Mutant(f"rule:{key}.deadlines[{j}]:{sign}1日", "deadline", f"{dl['title']} {sign}1日",
                                          doc.file, line, col, article, (key,), ("rule", qname, ci, ri, {("deadline", j): new})))
                    for k, op, change, new, node in tree_mutations(tree, negate=False):
                        line, col = _where(doc, dpath, dl["date"], node)
                        out.append(Mutant(f"rule:{key}.deadlines[{j}]#{k}:{change}", op, change, doc.file, line, col,
                                          article, (key,), ("rule", qname, ci, ri, {("deadline", j): new})))
                for other in STRENGTH_STEPS.get(rbody["strength"], ()):
                    line, col = doc.where(rpath + ("strength",))
                    out.append(Mutant(f"rule:{key}.strength:{rbody['strength']}→{other}", "strength",
                                      f"{rbody['strength']}→{other}", doc.file, line, col, article, (key,),
                                      ("rule", qname, ci, ri, {"strength": other})))
                for edge in ("from", "until"):
                    day = _to_date((rbody.get("in_force") or {}).get(edge))
                    if day is None:
                        continue
                    for sign, delta in (("+", 1), ("-", -1)):
                        moved = (day + _dt.timedelta(days=delta)).isoformat()
                        line, col = doc.where(rpath + ("in_force", edge))
                        out.append(Mutant(f"rule:{key}.in_force.{edge}:{sign}1日", "start", f"{edge} {day.isoformat()}→{moved}",
                                          doc.file, line, col, article, (key,),
                                          ("rule", qname, ci, ri, {"in_force": {**rbody["in_force"], edge: moved}})))
            for j, cbody in enumerate(qbody.get("certificates", ()) or ()):
                tree = base.tree(cbody["when"])
                if tree is None:
                    continue
                cpath = qpath + ("certificates", j, "when")
                rules = tuple(f"{qname}.{r.id}" for r in base.policy.questions[qname].rules)
                article = base.article_of_rules(rules)
                for k, op, change, new, node in tree_mutations(tree, negate=True):
                    line, col = _where(doc, cpath, cbody["when"], node)
                    out.append(Mutant(f"certificate:{qname}[{j}].{cbody['certificate']}#{k}:{change}", op, change, doc.file, line,
                                      col, article, (), ("certificate", qname, ci, j, new)))
    # definitions
    for name, (body, doc, path) in L.single("definitions").items():
        if not base.mine(doc):
            continue
        text = body if isinstance(body, str) else body["condition"]
        dpath = path if isinstance(body, str) else path + ("condition",)
        tree = base.tree(text)
        if tree is None:
            continue
        users = tuple(k for k, names in base.rule_names.items() if name in names)
        qs = tuple(q for q, names in base.question_names.items() if name in names)
        if wanted is not None and not (set(qs) & wanted):
            continue
        for k, op, change, new, node in tree_mutations(tree, negate=False):
            line, col = _where(doc, dpath, text, node)
            out.append(Mutant(f"definition:{name}#{k}:{change}", op, change, doc.file, line, col,
                              base.article_of_rules(users), users, ("definition", name, new, qs)))
    # parameters: the values and dates this layer writes
    for name, contributions in L.entries.get("parameters", {}).items():
        for body, doc, path in contributions:
            if not base.mine(doc):
                continue
            users = tuple(k for k, names in base.rule_names.items() if name in names)
            qs = tuple(q for q, names in base.question_names.items() if name in names)
            if wanted is not None and not (set(qs) & wanted):
                continue
            article = body.get("article")
            layer = base.top
            raw = body.get("values") or {(layer.effective_from or base.policy.effective_from).isoformat(): body.get("value")}
            first = min(_to_date(k) for k in raw)
            for key, value in raw.items():
                day = _to_date(key)
                vpath = path + (("values", key) if body.get("values") else ("value",))
                line, col = doc.where(vpath)
                runtime = dict(base.runtime[name])
                rt = next((v for d, v in base.runtime[name] if d == day), None)
                for change, new in _value_mutations(rt):
                    out.append(Mutant(f"parameter:{name}@{day.isoformat()}:{change}", "list" if change.startswith("-\"") or
                                      isinstance(rt, frozenset) else "number", change, doc.file, line, col, article, users,
                                      ("parameter", name, day, day, new, qs)))
                if day != first:
                    for sign, delta in (("+", 1), ("-", -1)):
                        moved = day + _dt.timedelta(days=delta)
                        out.append(Mutant(f"parameter:{name}@{day.isoformat()}:start{sign}1日", "start",
                                          f"{day.isoformat()}→{moved.isoformat()}", doc.file, line, col, article, users,
                                          ("parameter", name, day, moved, rt, qs)))
                del runtime
    # readings with options: the other choice
    for name, (body, doc, path) in L.single("readings").items():
        if not base.mine(doc) or not body.get("options") or not body.get("chosen"):
            continue
        users = tuple(f"{q.id}.{r.id}" for q in base.policy.questions.values() for r in q.rules
                      if name in r.readings or any(i.reading == name for i in r.procedure))
        # a question reads the reading where a rule cites it, or where its code names it (through a definition too)
        qs = tuple(dict.fromkeys([k.split(".", 1)[0] for k in users] + [
            q.id for q in base.policy.questions.values() if f"'reading.{name}'" in q.source]))
        if wanted is not None and not (set(qs) & wanted):
            continue
        for other in body["options"]:
            if other == body["chosen"]:
                continue
            line, col = doc.where(path + ("chosen",))
            out.append(Mutant(f"reading:{name}:{body['chosen']}→{other}", "reading", f"chosen {body['chosen']}→{other}",
                              doc.file, line, col, base.article_of_rules(users), users, ("reading", name, other, qs)))
    return out


def _value_mutations(rt) -> list:
    """(change, new runtime value) of a parameter value: a number ± one unit, a date ± one day, a list less one member."""
    if isinstance(rt, bool) or rt is None:
        return []
    if isinstance(rt, (int, Fraction)):
        step = _step(rt)
        up, down = rt + step, rt - step
        norm = lambda v: v.numerator if isinstance(v, Fraction) and v.denominator == 1 else v  # noqa: E731
        return [(f"{_number(Fraction(rt))}→{_number(Fraction(up))}", norm(up)),
                (f"{_number(Fraction(rt))}→{_number(Fraction(down))}", norm(down))]
    if isinstance(rt, _dt.date):
        return [(f"{rt.isoformat()}→{(rt + _dt.timedelta(days=d)).isoformat()}", rt + _dt.timedelta(days=d)) for d in (1, -1)]
    if isinstance(rt, frozenset):
        shown = lambda v: f'"{v}"' if isinstance(v, str) else str(v)  # noqa: E731
        return [(f"-{shown(v)}", rt - {v}) for v in sorted(rt, key=str)]
    return []


# -- building and judging one mutant ---------------------------------------------------------


_SENTINEL = 0


def _sentinel(base: _Base, tree) -> str:
    """A condition text standing for ``tree``: the loader compiles the tree it finds for it."""
    global _SENTINEL
    _SENTINEL += 1
    text = f"\x00mutant{_SENTINEL}"
    base.loader.trees[text] = tree
    return text


def _question(base: _Base, qname: str, contributions, compiler):
    """Compile one question again: (Question, (code, namespace)), or why the loader refuses it."""
    L = base.loader
    saved_diags, saved_module, saved_bodies = L.diags, L.modules.get(qname), L.rule_bodies.get(qname)
    L.diags = []
    try:
        q = L.build_question(qname, contributions, compiler, base.scope, base.repeals)
        if q is None or L.diags:
            return "the loader refuses it: " + ", ".join(dict.fromkeys(d.code for d in L.diags))
        return q, L.modules[qname]
    finally:
        L.diags = saved_diags
        L.modules[qname] = saved_module
        L.rule_bodies[qname] = saved_bodies


def _reference(base: _Base, qname: str) -> str:
    """The unchanged question's source, compiled as a mutant's is (the same temporaries and constants)."""
    cache = base.__dict__.setdefault("references", {})
    if qname not in cache:
        built = _question(base, qname, base.loader.entries["questions"][qname], base.compiler.fork())
        cache[qname] = built[0].source if not isinstance(built, str) else None
    return cache[qname]


def _with_questions(base: _Base, built: dict, eras=None, era_values=None):
    """The policy with ``built`` questions ({name: (Question, module)}), each instantiated for every era."""
    policy = base.policy
    eras = list(policy._eras) if eras is None else eras
    era_values = list(policy._era_values) if era_values is None else era_values
    questions = dict(policy.questions)
    for name, (q, (code, ns)) in built.items():
        # a fresh explanation cache: the original's is keyed by its own era dicts
        questions[name] = attrs.evolve(q, by_era=tuple(instantiate(code, ns, v) for v in era_values), _explain_cache={})
    return attrs.evolve(policy, questions=questions, eras=tuple(eras), era_values=tuple(era_values))


def mutant_policy(base: _Base, m: Mutant):
    """(the mutated Policy, the questions it changes), or (None, reason) when the loader refuses the change."""
    kind = m.recipe[0]
    L = base.loader
    if kind in ("rule", "certificate"):
        _, qname, ci, index, change = m.recipe
        contributions = list(L.entries["questions"][qname])
        qbody, doc, qpath = contributions[ci]
        qbody = dict(qbody)
        if kind == "rule":
            rules = list(qbody["rules"])
            rbody = dict(rules[index])
            for key, value in change.items():
                if isinstance(key, tuple):  # a deadline's date
                    deadlines = [dict(d) for d in rbody["deadlines"]]
                    deadlines[key[1]]["date"] = _sentinel(base, value)
                    rbody["deadlines"] = deadlines
                elif isinstance(value, P.Node):
                    rbody[key] = _sentinel(base, value)
                elif key == "strength":
                    rbody = _with_strength(rbody, value)
                else:
                    rbody[key] = value
            rules[index] = rbody
            qbody["rules"] = rules
        else:
            certs = [dict(c) for c in qbody["certificates"]]
            certs[index]["when"] = _sentinel(base, change)
            qbody["certificates"] = certs
        contributions[ci] = (qbody, doc, qpath)
        built = _question(base, qname, contributions, base.compiler.fork())
        if isinstance(built, str):
            return None, built
        if m.operator != "strength" and built[0].source == _reference(base, qname):
            return None, SAME_CODE
        return _with_questions(base, {qname: built}), (qname,)
    if kind == "definition":
        _, name, tree, qs = m.recipe
        if not qs:
            return None, NO_READER
        compiler = base.compiler.fork()
        try:
            c = compiler.compile(tree, base.scope, None)
        except Exception:  # noqa: BLE001 - a CompileError: the loader would refuse it
            return None, "the loader refuses it"
        compiler.definition_code[name] = f"({c.code})"
        built = {}
        for qname in qs:
            one = _question(base, qname, L.entries["questions"][qname], compiler)
            if isinstance(one, str):
                return None, one
            built[qname] = one
        if all(q.source == _reference(base, name) for name, (q, _) in built.items()):
            return None, SAME_CODE
        return _with_questions(base, built), qs
    if kind == "parameter":
        _, name, day, new_day, value, qs = m.recipe
        if not qs:
            return None, NO_READER
        runtime = dict(base.runtime)
        runtime[name] = sorted([(d, v) for d, v in runtime[name] if d != day] + [(new_day, value)], key=lambda x: x[0])
        eras, era_values = era_table(runtime, base.policy.effective_from)
        built = {q: (base.policy.questions[q], L.modules[q]) for q in base.policy.questions}
        return _with_questions(base, built, eras, era_values), qs
    if kind == "reading":
        _, name, other, qs = m.recipe
        if not qs:
            return None, NO_READER
        # the same policy answering under the other option on every path (conditions and reviews alike)
        from ..readings import variant

        return variant(base.policy, name, other), qs
    raise ValueError(kind)


def _with_strength(rbody: dict, strength: str) -> dict:
    """The rule with another strength, and what that strength needs from its own procedure.

    原则上不 needs who grants the exception (its approver's, else 教育行政部门) and waits for no
    approval; 须经批准 needs who approves (the exception's grantor, else 教育行政部门); 不得 has
    neither. Filings and steps stay.
    """
    body = dict(rbody, strength=strength)
    procedure = [dict(p) for p in body.get("procedure", ())]
    gates = [p for p in procedure if p["kind"] != "备案"]
    grantor = body.get("approver") or body.get("exception_by") or next((p["by"] for p in gates), None) or "教育行政部门"
    kept = [p for p in procedure if p["kind"] == "备案"]
    body.pop("approver", None)
    body.pop("exception_by", None)
    if strength == "原则上不":
        body["exception_by"] = grantor
    elif strength == "须经批准":
        kept = [dict((k, v) for k, v in p.items() if k != "for") for p in procedure if p.get("words") is not None]
        if not any(p["kind"] != "备案" for p in kept):
            body["approver"] = grantor
    elif strength in ("可以", "应当"):
        kept = procedure
        if rbody.get("approver"):
            body["approver"] = rbody["approver"]
    body["procedure"] = kept
    return body


def _rule_statuses(decision) -> dict:
    return {r.id: r.status for r in decision.rules} if decision is not None else {}


def _visible(d) -> tuple:
    if d is None:
        return ()
    return (d.outcome, d.status, d.norm, frozenset(d.failed), d.certificate, tuple(sorted(d.missing_facts)),
            tuple(d.approvers), tuple((x.rule, x.title, x.date) for x in d.deadlines), frozenset(a.party for a in d.awaiting))


_FIELDS = ("outcome", "status", "norm", "failed", "certificate", "missing", "approvers", "deadlines", "awaiting")


def judge(base: _Base, m: Mutant, marks: dict) -> Outcome:
    """Build the mutant, run the cases of the questions it changes; killed by the first case that fails."""
    from ..compliance.runner import run_case

    try:
        policy, qs = mutant_policy(base, m)
    except XuejiError:
        return Outcome(m, INVALID, reason="the loader refuses it")
    if policy is None:
        return Outcome(m, INERT if qs in (NO_READER, SAME_CODE) else INVALID, reason=qs)
    rule_ids = {k.split(".", 1)[1] for k in m.rules}
    indices = [i for q in qs for i in base.by_question.get(q, ())]
    # the cases in which a rule the change feeds was decided first: they are the likeliest to notice
    reach = [i for i in indices if any(_rule_statuses(base.baseline[i].decision).get(r) in ("held", "failed") for r in rule_ids)]
    reached = set(reach)
    order = reach + [i for i in indices if i not in reached]
    best, best_score = None, -1
    for i in order:
        case = base.cases[i]
        try:
            result = run_case(policy, case)
        except Exception:  # noqa: BLE001 - the mutant breaks the engine: a case notices
            return Outcome(m, KILLED, killed_by=_rel(case.where()))
        if not result.passed:
            return Outcome(m, KILLED, killed_by=_rel(case.where()))
        before, after = base.baseline[i].decision, result.decision
        changed = [f for f, a, b in zip(_FIELDS, _visible(before), _visible(after)) if a != b]
        if changed:
            score, why = 3, "the answer's " + ", ".join(changed) + " changed, and the case does not check it"
        else:
            s0, s1 = _rule_statuses(before), _rule_statuses(after)
            moved = [f"{r} {s0.get(r)}→{s1.get(r)}" for r in s0 if s0.get(r) != s1.get(r)]
            if moved:
                score, why = 2, "rule " + "; ".join(moved) + ", the answer is the same"
            elif i in reached:
                score, why = 1, "it reaches the rule, nothing changes"
            else:
                score, why = 0, None
        if score > best_score:
            best, best_score = f"{_rel(case.where())} ({case.note}): {why}" if why else None, score
    if m.id in marks:
        return Outcome(m, EQUIVALENT, reason=marks[m.id][0])
    return Outcome(m, SURVIVED, closest=best or "no case of the questions it changes reaches it")


# -- running -----------------------------------------------------------------------------


_STATE: dict = {}


def _work(chunk):
    base, mutants, marks = _STATE["base"], _STATE["mutants"], _STATE["marks"]
    return [judge(base, mutants[i], marks) for i in chunk]


def marks_of(base: _Base) -> dict:
    """The policy's own `equivalent_mutants:` marks: id -> (reason, file, line)."""
    out = {}
    for mid, contributions in base.loader.entries.get("equivalent_mutants", {}).items():
        for reason, doc, path in contributions:
            if base.mine(doc):
                out[mid] = (reason, doc.file, doc.where(path)[0])
    return out


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def run_mutations(region_or_folder, questions=None, jobs: int | None = None, region: str | None = None) -> MutationReport:
    """Mutate the policy (a region name or a policy folder) and run its cases on every mutant."""
    from ..locate import resolve

    started = time.perf_counter()
    folder = Path(region_or_folder) if isinstance(region_or_folder, Path) else resolve(region_or_folder)
    base = _Base(folder)
    mutants = find_mutants(base, questions)
    marks = marks_of(base)
    jobs = jobs or default_jobs()
    if jobs > 1 and len(mutants) > 40 and "fork" in multiprocessing.get_all_start_methods():
        _STATE.update(base=base, mutants=mutants, marks=marks)
        chunks = [list(range(i, len(mutants), jobs * 8)) for i in range(jobs * 8)]
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                parts = pool.map(_work, chunks)
        finally:
            _STATE.clear()
        by_id = {o.mutant.id: o for part in parts for o in part}
        outcomes = [by_id[m.id] for m in mutants]
    else:
        outcomes = [judge(base, m, marks) for m in mutants]
    problems = []
    ids = {m.id for m in mutants}
    killed = {o.mutant.id: o for o in outcomes if o.status == KILLED}
    inert = {o.mutant.id: o for o in outcomes if o.status in (INERT, INVALID)}
    for mid, (reason, file, line) in marks.items():
        if mid not in ids and questions is None:
            problems.append(MarkProblem(mid, file, line, f"marked equivalent, but the policy has no mutant {mid}"))
        elif mid in killed:
            problems.append(MarkProblem(mid, file, line, f"marked equivalent, but {killed[mid].killed_by} kills it: "
                                                         "remove the mark"))
        elif mid in inert:
            problems.append(MarkProblem(mid, file, line, f"marked equivalent, but it is {inert[mid].status} "
                                                         f"({inert[mid].reason}): remove the mark"))
    return MutationReport(region or base.policy.id, str(folder), tuple(outcomes), tuple(problems), tuple(base.failing),
                          time.perf_counter() - started, tuple(base.policy.articles))


# -- the command -----------------------------------------------------------------------------


def add_parser(sub, common, parser_class):
    import argparse

    p = sub.add_parser(
        "mutate", parents=[common], formatter_class=argparse.RawDescriptionHelpFormatter,
        help="mutation testing: do the compliance cases notice a wrongly encoded law?",
        description="Change the policy's data one small step at a time (a threshold ±1, 超过↔以上, a list member\n"
                    "removed, 且↔或, a condition negated, a strength one step, a deadline ±1 day, a reading's other\n"
                    "option) and run the compliance cases on each mutant. Reports, per article, the mutants, how\n"
                    "many the cases kill, and each survivor with the file:line changed and the case that came closest.",
        epilog="examples:\n"
               "  xueji mutate shandong/jinxiang\n"
               "  xueji mutate jiangsu --question suspension --question resumption\n"
               "  xueji mutate tests/policies/mutant_survives --format json\n"
               "  xueji mutate shandong/jinxiang --fail-under 99   # exit 1 below 99 %\n\n"
               "Without REGION, every region in the policy roots (under a minute on two cores).\n"
               "A mutant that cannot change any answer is marked once in the policy with the reason:\n"
               "  equivalent_mutants:\n"
               "    \"rule:transfer.x.require#3:以上→超过\": why no answer can change\n"
               "(see docs/compliance.md, section 1). Exit 1 when a region scores below --fail-under,\n"
               "a mark is wrong, or a case fails on the unmutated policy.",
    )
    p.add_argument("targets", nargs="*", metavar="REGION|DIR",
                   help="region names or policy folders (default: every region in the policy roots)")
    p.add_argument("--question", action="append", metavar="Q", help="only mutants feeding this question (repeatable)")
    p.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: the number of cores)")
    p.add_argument("--fail-under", type=float, metavar="PCT", help="exit 1 when a region's score is below PCT")
    p.add_argument("--all", action="store_true", help="list every mutant, killed ones too (text output)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")


def _target(name: str):
    """(what to load, label): a region name found in the policy roots, else a policy folder."""
    from ..locate import REGION_NAME, find

    if REGION_NAME.fullmatch(name) and find(name) is not None:
        return name, name
    path = Path(name)
    if (path / "policy.yaml").is_file():
        return path.resolve(), name
    return name, name  # resolve() says why it is neither


def run(args, out, err, stdin) -> int:
    from ..locate import regions

    targets = args.targets or regions()
    reports = []
    for name in targets:
        where, label = _target(name)
        reports.append(run_mutations(where, questions=args.question, jobs=args.jobs, region=label))
    bad = any(r.problems or r.failing_cases for r in reports) or (
        args.fail_under is not None and any(r.score < args.fail_under for r in reports))
    if args.format == "json":
        out.write(json.dumps({"regions": [r.to_dict() for r in reports], "ok": not bad}, ensure_ascii=False, indent=1) + "\n")
        return 1 if bad else 0
    for r in reports:
        write_text(r, out, args.all)
    if len(reports) > 1:
        out.write("\n" + "  ".join(f"{r.region} {r.score:.1f}%" for r in reports) + "\n")
    return 1 if bad else 0


def _rel(file: str) -> str:
    try:
        return os.path.relpath(file)
    except ValueError:
        return file


def write_text(r: MutationReport, out, everything: bool = False) -> None:
    out.write(f"{r.region}: {r.count(KILLED)} of {r.scored} mutants killed ({r.score:.1f}%); "
              f"{r.count(EQUIVALENT)} equivalent, {r.count(INERT)} inert, {r.count(INVALID)} invalid; "
              f"{len(r.outcomes)} in all, {r.seconds:.1f}s\n")
    for c in r.failing_cases:
        out.write(f"  FAILING CASE {_rel(c)}: fix it first; a failing case kills nothing\n")
    for p in r.problems:
        out.write(f"  MARK {_rel(p.file)}:{p.line}: {p.message}\n")
    for article, outcomes in r.by_article():
        survivors = [o for o in outcomes if o.status == SURVIVED]
        if not survivors and not everything:
            continue
        killed = sum(o.status == KILLED for o in outcomes)
        eq = sum(o.status == EQUIVALENT for o in outcomes)
        out.write(f"  {article or '(no article)'}: {len(outcomes)} mutants, {killed} killed"
                  + (f", {eq} equivalent" if eq else "") + (f", {len(survivors)} survived" if survivors else "") + "\n")
        for o in outcomes:
            if o.status == SURVIVED or everything:
                m = o.mutant
                out.write(f"    {o.status.upper():9} {_rel(m.file)}:{m.line}: {m.change}  [{m.id}]\n")
                if o.status == SURVIVED:
                    out.write(f"              closest: {o.closest}\n")
                elif o.killed_by:
                    out.write(f"              killed by {_rel(o.killed_by)}\n")
                elif o.reason:
                    out.write(f"              {o.reason}\n")
