"""Stage 4, compile: conditions to typed trees and generated code, one module per question, and the Policy.

Definitions compile on demand (one may use another); each question's rules become one
generated function (``kernel.py``), compiled once, instantiated per era of parameter
values; everything is assembled into the frozen ``Policy``.
"""

from __future__ import annotations

import re
from fractions import Fraction

import attrs

from .. import _yaml
from ..conditions import parse as cparse
from ..conditions.compile import BOOL, DATE, Compiled, CompileError, Compiler, Scope, Type
from ..decision import RuleInfo
from ..errors import Diagnostic, did_you_mean
from ..facts.vocabulary import FACTS
from ..kernel import RulePlan, generate, generate_certify, generate_contradiction, hoist, instantiate, params_as_globals
from ..policy import Certificate, Contradiction, Deadline, Definition, LayerInfo, Policy, Question, ReadOnlyDict, Rule, Step
from .read import _to_date


class BuildStage:
    """Compiling conditions and questions, and assembling the Policy (mixed into the loader)."""

    def condition_error(self, doc, path, exc_or_diag, text: str):
        """Turn a position inside condition text into a file position."""
        if isinstance(exc_or_diag, Diagnostic):
            code, message, hint, cl, cc = exc_or_diag.code, exc_or_diag.message, exc_or_diag.hint, exc_or_diag.line, exc_or_diag.column
        else:
            node = exc_or_diag.node
            code, message, hint = exc_or_diag.code, exc_or_diag.message, exc_or_diag.hint
            cl, cc = (node.line, node.column) if node is not None else (1, 1)
        line, col = condition_position(doc, path, text, cl, cc)
        self.diags.append(Diagnostic(code, f"{message} — in `{text.strip()}`", doc.file, line, col, _yaml.path_text(path), hint))

    def compile_condition(self, compiler, scope, text, doc, path, want=BOOL) -> Compiled | None:
        text = str(text)
        tree = self.trees.get(text)
        if tree is None:  # the same condition text is often written in several rules
            tree = self.trees[text] = cparse.parse(text)
        if isinstance(tree, Diagnostic):
            self.condition_error(doc, path, tree, str(text))
            return None
        try:
            return compiler.compile(tree, scope, want)
        except CompileError as exc:
            self.condition_error(doc, path, exc, str(text))
            return None

    def compile_definitions(self, param_types: dict, runtime_values: dict, parameters: dict) -> tuple:
        """The compiler and the scope rules compile in: definitions (compiled on demand, so one may use another) and parameters."""
        compiler = Compiler()
        # definitions, compiled on demand so that one may use another
        raw_defs = self.single("definitions")
        in_progress: set = set()

        class _Defs(dict):
            def __missing__(inner, key):
                if key not in raw_defs or key in in_progress:
                    raise KeyError(key)
                in_progress.add(key)
                body, doc, path = raw_defs[key]
                text = body if isinstance(body, str) else body["condition"]
                cpath = path if isinstance(body, str) else path + ("condition",)
                c = self.compile_condition(compiler, scope, text, doc, cpath, want=None)
                in_progress.discard(key)
                if c is None:
                    c = Compiled(Type("any"), "None", True)
                # rules refer to the definition by a placeholder; kernel.hoist computes it
                # once per generated function (or writes it inline where that is safer)
                compiler.definition_code[key] = f"({c.code})"
                c = Compiled(c.type, f"__d_{key}__", c.nullable, c.facts, c.params)
                inner[key] = c
                return c

            def __contains__(inner, key):
                return dict.__contains__(inner, key) or (key in raw_defs and key not in in_progress)

        defs = _Defs()
        # a calendar section that does not validate is reported once, at the calendar, not again at every rule using it
        has_calendar = any(layer.calendar is not None for layer in self.layers)
        zero = frozenset(n for n, vals in runtime_values.items() if any(type(v) in (int, Fraction) and v == 0 for _, v in vals))
        switchable = {rid: (r.options, r.chosen) for rid, r in self.readings.items() if r.options}
        scope = Scope(param_types, defs, has_calendar=has_calendar, zero_parameters=zero, readings=switchable)
        for key in raw_defs:
            defs[key]
        for key, (body, doc, path) in raw_defs.items():
            if key in parameters:
                self.diag(doc, "duplicate_id", f"'{key}' is both a parameter and a definition", path)
        return compiler, scope, defs

    def compile_questions(self, compiler, scope) -> dict:
        """Every question, its rules layered and compiled; repeals checked."""
        questions: dict[str, Question] = {}
        repeals = self.collect_repeals()
        for qname, contributions in self.entries.get("questions", {}).items():
            questions[qname] = self.build_question(qname, contributions, compiler, scope, repeals)
        for (qname, rid), (body, doc, path) in repeals.items():
            if not any(r["id"] == rid for r in self.rule_bodies.get(qname, [])):
                self.diag(doc, "nothing_to_repeal", f"{qname} has no rule '{rid}' to repeal", path + ("rule",),
                          did_you_mean(rid, [r["id"] for r in self.rule_bodies.get(qname, [])]) or "name a rule of the extended policy")
        return questions

    def build_question(self, qname, contributions, compiler, scope, repeals) -> Question | None:
        qbody = contributions[0][0]
        rules, plans, seen = [], [], {}
        layered = self.layered_rules(qname, contributions)
        self.rule_bodies[qname] = [item[0] for item in layered]
        for rbody, doc, rpath, layer, until, note in layered:
            rid = rbody["id"]
            if rid in seen:
                self.diag(doc, "duplicate_id", f"rule id '{rid}' is used twice in {qname} (first at {seen[rid]})", rpath + ("id",),
                          "give each rule its own id")
            seen[rid] = _yaml.path_text(rpath)
            strength = rbody["strength"]
            if strength == "原则上不" and not rbody.get("exception_by") and not any(
                    p.get("for") == "例外" for p in rbody.get("procedure", ())):
                self.diag(doc, "missing_exception_by", f"rule {rid} says 原则上不 but not who may grant the exception", rpath,
                          "add `exception_by: 教育行政部门` (or whoever the text names)")
            article, quote = self.cite(doc, rpath, rbody)
            procedure = self.procedure_of(rbody, doc, rpath, article, strength)
            gates = [i for i in procedure if i.gate and not i.for_exception]
            if strength == "须经批准" and not rbody.get("approver") and not gates and not any(
                    i.kind == "审核" and i.reading for i in procedure):  # a review the region reads as a step
                self.diag(doc, "missing_approver", f"rule {rid} says 须经批准 but not who approves", rpath,
                          "add a `procedure:` entry of kind 批准 (or 同意, or 审核 read as 批准) naming who approves")
            approver = rbody.get("approver") or ("、".join(dict.fromkeys(i.by for i in gates)) or None)
            exception_by = rbody.get("exception_by") or (
                "、".join(dict.fromkeys(i.by for i in procedure if i.for_exception)) or None)
            # when the rule exists: its own in_force, its layer's date, and any repeal or replacement
            in_force = rbody.get("in_force") or {}
            start = _to_date(in_force.get("from"))
            if layer.index > 0 and (start is None or start < layer.effective_from):
                start = layer.effective_from
            end = _to_date(in_force.get("until"))
            repeal = repeals.get((qname, rid))
            repealed_by = ()
            if repeal is not None:
                rdate = _to_date(repeal[0]["from"])
                end = rdate if end is None else min(end, rdate)
                rlayer = self.layer_of[id(repeal[1])]
                note = f"自 {rdate.isoformat()} 起由 {rlayer.id} {repeal[0]['article']} 废止"
                repealed_by = (rlayer.id, repeal[0]["article"], rdate)
            if until is not None:
                end = until if end is None else min(end, until)
            when = self.compile_condition(compiler, scope, rbody["when"], doc, rpath + ("when",)) if "when" in rbody else None
            if start is not None or end is not None:
                tests = ([f"T >= {compiler.const(start)}"] if start else []) + ([f"T < {compiler.const(end)}"] if end else [])
                dates = "(" + " and ".join(tests) + ")"
                when = (Compiled(BOOL, dates, False) if when is None else
                        Compiled(BOOL, f"(False if not {dates} else {when.code})", when.nullable, when.facts, when.params))
            require = self.compile_condition(compiler, scope, rbody["require"], doc, rpath + ("require",)) if "require" in rbody else None
            deadlines = []
            for j, dl in enumerate(rbody.get("deadlines", [])):
                c = self.compile_condition(compiler, scope, dl["date"], doc, rpath + ("deadlines", j, "date"), want=DATE)
                if c is not None:
                    deadlines.append((dl, c))
            parts = [c for c in (when, require) if c is not None]
            facts = frozenset().union(*(c.facts for c in parts)) if parts else frozenset()
            params = frozenset().union(*(c.params for c in parts)) if parts else frozenset()
            # reviews whose reading may be switched at ask time: a gate only while the option is 批准
            reviews = [i for i in procedure if i.kind == "审核" and i.reading and i.party and not i.for_exception]
            gated = [i for i in procedure if i.party and not i.for_exception and (i.gate or i in reviews)]
            if gated:
                # a refusal by any gate fails the rule; given or pending leaves it to its conditions
                # one party's gate: not refused; alternatives: not refused by all of them
                def refusal_test(i):
                    test = "(" + " or ".join(f"F.get('{f}') != 'refused'" for f in i.facts) + ")"
                    if i in reviews:
                        chosen = self.readings[i.reading].chosen
                        test = f"((F.get('reading.{i.reading}') or {chosen!r}) != '批准' or {test})"
                    return test
                test = " and ".join(refusal_test(i) for i in gated)
                probe = frozenset("?" + f for i in gated for f in i.facts)
                require = (Compiled(BOOL, f"({test})", False, probe) if require is None else
                           Compiled(BOOL, f"(False if not ({test}) else {require.code})", require.nullable,
                                    require.facts | probe, require.params))
                parts = [c for c in (when, require) if c is not None]
                facts = frozenset().union(*(c.facts for c in parts))
            plans.append(RulePlan(rid, strength, when, require, bool(approver)))
            line, _ = doc.where(rpath)
            rule_readings = self.reading_ids(doc, rpath, rbody)  # once: it reports unknown ids
            rule_readings += tuple(dict.fromkeys(i.reading for i in procedure if i.reading and i.reading not in rule_readings))
            # readings a condition names (`reading.<id>`) are readings the rule relies on
            named = re.findall(r"F\.get\('reading\.([a-z0-9_]+)'\)", " ".join(c.code for c in (when, require) if c))
            rule_readings += tuple(dict.fromkeys(r for r in named if r not in rule_readings))
            if article is None:
                continue

            rules.append(dict(
                id=rid, title=rbody["title"], strength=strength, article=article, quote=quote,
                message_zh=rbody["message"]["zh"], message_en=rbody["message"].get("en"),
                when=rbody.get("when"), require=rbody.get("require"), en=rbody.get("en"),
                readings=rule_readings, approver=approver, procedure=procedure,
                exception_by=exception_by, documents=tuple(rbody.get("documents", ())),
                steps=tuple(Step(s["by"], s["do"], s.get("en")) for s in rbody.get("steps", ())),
                deadlines=deadlines,
                facts=_in_vocabulary_order({f.lstrip("?") for f in facts}),
                required_facts=_in_vocabulary_order({f for f in facts if not f.startswith("?")}),
                parameters=tuple(sorted(params)),
                file=doc.file, line=line, layer=layer.id,
                in_force=(start, end), note=note, replaces=rbody.get("replaces"), repealed_by=repealed_by,
                when_tree=self.trees.get(str(rbody["when"])) if "when" in rbody else None,
                require_tree=self.trees.get(str(rbody["require"])) if "require" in rbody else None,
                info=RuleInfo(
                    id=rid, title=rbody["title"], strength=strength, article=article.id,
                    article_text=article.text, quote=quote, message_zh=rbody["message"]["zh"],
                    message_en=rbody["message"].get("en"), readings=rule_readings,
                    approver=approver, exception_by=exception_by,
                ),
            ))
        certs = []
        granted = {"granted": Compiled(BOOL, "G", True)}
        cscope = Scope(scope.parameters, scope.definitions, granted, scope.has_calendar, readings=scope.readings)
        # a layer may give the question its own list of certificates; the nearest layer's is used
        with_certs = [c for c in contributions if c[0].get("certificates")]
        if with_certs:
            cert_q, cert_doc, cert_path = with_certs[-1]
            for j, cbody in enumerate(cert_q["certificates"]):
                c = self.compile_condition(compiler, cscope, cbody["when"], cert_doc, cert_path + ("certificates", j, "when"))
                if c is not None:
                    certs.append((cbody, c))
        contradictions = []
        for cbody, cdoc, cpath in contributions:
            for j, body in enumerate(cbody.get("contradictions", ())):
                path = cpath + ("contradictions", j)
                c = self.compile_condition(compiler, scope, body["when"], cdoc, path + ("when",))
                readings = self.reading_ids(cdoc, path, body)
                if c is not None:
                    facts = _in_vocabulary_order({f.lstrip("?") for f in c.facts})
                    contradictions.append((Contradiction(body["id"], body["when"], facts, body["message"]["zh"],
                                                         body["message"].get("en"), readings,
                                                         self.trees.get(str(body["when"]))), c))
        if self.diags:
            return None
        # one module per question: the kernel, the certificate chooser and every deadline
        no_ground_readings: tuple = ()
        for cbody, cdoc, cpath in contributions:
            ids = self.reading_ids(cdoc, cpath, cbody)  # a question may name the reading behind `when_no_ground`
            if "when_no_ground" in cbody or ids:
                no_ground_readings = ids
        no_ground = next((c[0]["when_no_ground"] for c in reversed(contributions) if "when_no_ground" in c[0]), "denied")
        source, ns = generate(qname, plans, compiler, no_ground)
        if certs:
            csource, _ = generate_certify([(c["certificate"], cc) for c, cc in certs], compiler)
            source += "\n\n" + hoist(csource, compiler)
        if contradictions:
            xsource, _ = generate_contradiction([(x.id, c) for x, c in contradictions], compiler)
            source += "\n\n" + hoist(xsource, compiler)
        names = []
        for r in rules:
            for dl, c in r["deadlines"]:
                names.append(f"deadline_{len(names)}")
                source += "\n\n" + hoist(f"def {names[-1]}(F, P, T, _cal=_cal):\n    return {c.code}\n", compiler)
        source = params_as_globals(source)
        try:
            code = compile(source, f"<policy {qname}>", "exec")
        except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
            # each condition is bounded when compiled; this is the last guard, so a policy never half-loads
            doc = contributions[0][1]
            self.diag(doc, "condition_too_complex", f"the question {qname} cannot be compiled: {type(exc).__name__}",
                      ("questions", qname), "split long conditions into named definitions (definitions.yaml)")
            return None
        k = 0
        built = []
        for r in rules:
            deadlines = []
            for dl, c in r["deadlines"]:
                deadlines.append(Deadline(dl["title"], dl.get("en"), dl["date"], names[k],
                                          _in_vocabulary_order({f.lstrip("?") for f in c.facts})))
                k += 1
            r["deadlines"] = tuple(deadlines)
            built.append(Rule(**r))
        question = Question(
            qname, qbody["title"], qbody.get("en"), tuple(built),
            tuple(Certificate(c["certificate"], c["when"], c.get("note")) for c, _ in certs),
            source=source,
            contradictions=tuple(x for x, _ in contradictions),
            when_no_ground=no_ground,
            no_ground_readings=tuple(r for r in no_ground_readings if r in self.readings),
        )
        self.modules[qname] = (code, {**ns, **compiler.constants, "_cal": self.calendar})
        return question

    def assemble(self, meta, content_hash, effective_from, effective_until, parameters, runtime_values, questions, student_ids,
                 omissions, compiler, scope, defs) -> Policy:
        """The frozen Policy, with one resolved dict of parameter values per era and each question's functions per era."""
        starts, era_values = era_table(runtime_values, effective_from)
        questions = {
            name: attrs.evolve(q, by_era=tuple(instantiate(*self.modules[name], values) for values in era_values))
            for name, q in questions.items()
        }
        return Policy(
            id=str(meta["id"]),
            jurisdiction_code=str(meta["jurisdiction"]["code"]),
            jurisdiction_name=meta["jurisdiction"]["name"],
            title=meta["regulation"]["title"],
            document_number=meta["regulation"].get("document_number"),
            issued_by=meta["regulation"]["issued_by"],
            effective_from=effective_from,
            effective_until=effective_until,
            source=meta["regulation"]["source"],
            version=str(meta["version"]),
            content_hash=content_hash,
            articles=self.articles,
            readings=self.readings,
            parameters=parameters,
            questions=questions,
            student_ids=student_ids,
            omitted=omissions,
            folder=str(self.folder),
            layers=tuple(
                LayerInfo(
                    id=layer.id, title=layer.meta["regulation"]["title"],
                    document_number=layer.meta["regulation"].get("document_number"),
                    issued_by=layer.meta["regulation"]["issued_by"], effective_from=layer.effective_from,
                    effective_until=_to_date(layer.meta["regulation"].get("effective_until")),
                    folder=str(layer.folder), jurisdiction_name=layer.meta["jurisdiction"]["name"],
                    jurisdiction_code=str(layer.meta["jurisdiction"]["code"]), extends=layer.meta.get("extends"),
                    source=layer.meta["regulation"]["source"], sections=tuple(layer.sections),
                )
                for layer in self.layers
            ),
            eras=tuple(starts),
            era_values=tuple(era_values),
            compile_context=(compiler, Scope(scope.parameters, dict(defs), has_calendar=scope.has_calendar,
                                             readings=scope.readings), self.calendar),
            **self.for_analysis(),
            definition_trees={key: self.trees.get(str(body if isinstance(body, str) else body["condition"]))
                              for key, (body, _doc, _path) in self.single("definitions").items()},
        )

    def for_analysis(self) -> dict:
        """What analysis tools read beside the compiled rules: definitions as written, trees, positions."""
        positions, definitions = {}, {}
        for section in ("articles", "readings", "definitions", "parameters", "questions"):
            for name, contributions in self.entries.get(section, {}).items():
                _, doc, path = contributions[0]
                positions[(section, name)] = (doc.file, doc.where(path)[0])
        for name, contributions in self.entries.get("definitions", {}).items():
            body, doc, path = contributions[0]
            text = body if isinstance(body, str) else body["condition"]
            definitions[name] = Definition(name, str(text), None if isinstance(body, str) else body.get("title"),
                                           doc.file, doc.where(path)[0], self.layer_of[id(doc)].id)
        for layer in self.layers:
            for body, doc, path in layer.omitted:
                positions.setdefault(("omitted", body.get("article")), (doc.file, doc.where(path)[0]))
        trees = {text: tree for text, tree in self.trees.items() if not isinstance(tree, Diagnostic)}
        return {"definitions": definitions, "trees": trees, "positions": positions}


def era_table(runtime_values: dict, effective_from) -> tuple[list, list]:
    """Parameter eras: (the first day of each span in which no value changes, one resolved dict per span)."""
    starts = sorted({effective_from} | {d for vals in runtime_values.values() for d, _ in vals if d >= effective_from})
    era_values = []
    for s in starts:
        values = {}
        for name, vals in runtime_values.items():
            current = None
            for d, v in vals:
                if d <= s:
                    current = v
            values[name] = current
        era_values.append(ReadOnlyDict(values))
    return starts, era_values


def condition_position(doc, path, text: str, cl: int | None, cc: int | None) -> tuple:
    """The file (line, column) of line ``cl``, column ``cc`` of the condition text at ``path`` in ``doc``."""
    line, col = doc.where(path)
    style = doc.styles.get(tuple(path))
    if line is not None:
        if style in ("|", ">"):
            line, col = line + (cl or 1), cc
        else:
            line = line + (cl or 1) - 1
            col = (col + (cc or 1) - 1 + (1 if style in ("'", '"') else 0)) if cl in (None, 1) else cc
        line, col = _inside(doc.lines.get(tuple(path)), text, cl or 1, cc or 1) or (line, col)
    return line, col


def _inside(lines, text: str, cl: int, cc: int):
    """The file (line, column) of line ``cl``, column ``cc`` of a multi-line scalar's value, or None."""
    if not lines:
        return None
    offset = sum(len(t) + 1 for t in text.split("\n")[: cl - 1]) + cc - 1
    cursor, found = 0, None
    for line, col, piece in lines:
        at = text.find(piece, cursor)
        if at < 0:  # the indicator line of a block scalar (`>-`), or an escaped piece
            continue
        if at <= offset:
            found = (line, col + offset - at)
        cursor = at + len(piece)
    return found


_FACT_ORDER = {path: i for i, path in enumerate(FACTS)}


def _in_vocabulary_order(paths: set) -> tuple:
    return tuple(sorted(paths, key=_FACT_ORDER.__getitem__))
