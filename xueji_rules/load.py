"""Load a policy folder: read → check the schema → check meaning → compile.

Every problem in every file is collected as a Diagnostic before anything is
returned; a policy with any error is never half-loaded.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import threading
from fractions import Fraction
from pathlib import Path

import attrs

from . import _yaml
from .conditions import parse as cparse
from .locate import policy_files, resolve
from .schema_check import _schema_errors
from .conditions.compile import Compiled, CompileError, Compiler, Scope, Type, BOOL, DATE
from .decision import RuleInfo
from .facts.vocabulary import FACTS
from .errors import Diagnostic, PolicyError, UnknownRegionError, did_you_mean
from .school_calendar import check_and_build
from .kernel import RulePlan, generate, generate_certify, hoist, instantiate, params_as_globals
from .policy import (
    Article,
    Certificate,
    Deadline,
    IdField,
    LayerInfo,
    Parameter,
    ParameterSource,
    Policy,
    Question,
    Reading,
    Rule,
    Step,
    StudentIdLayout,
)


def _to_date(value) -> _dt.date | None:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return _dt.date.fromisoformat(value)
    return None


def _param_value(raw) -> tuple[object, object, Type]:
    """(display value, runtime value, type) of a parameter value."""
    if isinstance(raw, bool):
        return raw, raw, BOOL
    if isinstance(raw, int):
        return raw, raw, Type("number")
    if isinstance(raw, float):
        f = Fraction(str(raw))
        return f, f, Type("number")
    if isinstance(raw, (_dt.date, _dt.datetime)):
        d = _to_date(raw)
        return d, d, DATE
    if isinstance(raw, list):
        items = [_param_value(x) for x in raw]
        kind = items[0][2] if items else Type("any")
        return tuple(i[0] for i in items), frozenset(i[1] for i in items), Type("list", None, None, kind)
    text = str(raw).strip()
    try:
        f = cparse.read_number(text)
    except (ValueError, ZeroDivisionError, KeyError):
        if _to_date(text):
            return _to_date(text), _to_date(text), DATE
        return text, text, Type("text")
    f = f.numerator if f.denominator == 1 else f
    return f, f, Type("number")


@attrs.define
class _Layer:
    """One policy folder in a chain of layers (a province, then a county over it)."""

    index: int
    folder: Path
    meta: dict | None = None
    meta_doc: object = None
    calendar: tuple | None = None
    repeals: list = attrs.Factory(list)
    source_text: str | None = None
    effective_from: _dt.date | None = None

    @property
    def id(self) -> str:
        return str(self.meta["id"]) if self.meta else self.folder.name


class _Loader:
    def __init__(self, folder: Path):
        self.folder = folder
        self.diags: list[Diagnostic] = []
        self.docs: list[_yaml.Document] = []
        # section -> name -> (value, doc, path)
        self.entries: dict[str, dict] = {}
        self.modules: dict[str, tuple] = {}  # question -> (code object, namespace)
        self.unchecked: set = set()
        self.layers: list[_Layer] = []  # the policies this one extends first, this one last
        self.layer_of: dict[int, _Layer] = {}  # id(document) -> its layer
        self.rule_bodies: dict[str, list] = {}  # question -> its rules after layering
        self.parsed: dict[str, tuple] = {}  # path -> (text, document, problems) of files already read
        self.trees: dict[str, object] = {}  # condition text -> its tree (or syntax Diagnostic)
        self.calendar = None

    def diag(self, doc, code, message, path=(), hint=None):
        self.diags.append(doc.diagnostic(code, message, path, hint))

    # -- read and merge ---------------------------------------------------------

    def read(self) -> str:
        """Read the folder and, first, every policy it extends; merge their sections by layer."""
        digest = hashlib.sha256()
        self.layers = []
        chain, seen = [self.folder], {self.folder.resolve()}
        while True:
            meta, meta_doc = self._peek_meta(chain[0])
            parent = meta.get("extends") if isinstance(meta, dict) else None
            if not parent:
                break

            def at_extends(code, message, hint=None, folder=chain[0]):
                # point at the `extends:` line when the file could be read
                if meta_doc is not None:
                    self.diags.append(meta_doc.diagnostic(code, message, ("policy", "extends"), hint))
                else:
                    self.diags.append(Diagnostic(code, message, str(folder / "policy.yaml"), hint=hint))

            try:
                # a folder relative to the layer (`extends: ..`), else a bundled region's name
                near = chain[0] / str(parent)
                folder = near.resolve() if (near / "policy.yaml").is_file() else resolve(parent)
            except UnknownRegionError as exc:
                at_extends("unknown_parent", f"{chain[0].name} extends '{parent}': {exc}",
                           "name a folder relative to this one (extends: ../shandong) or a bundled region (extends: shandong)")
                break
            if folder.resolve() in seen:
                at_extends("extends_cycle", f"policies extend each other in a circle: {parent}")
                break
            seen.add(folder.resolve())
            chain.insert(0, folder)
        for index, folder in enumerate(chain):
            self._read_layer(folder, index, digest)
        return digest.hexdigest()

    def _peek_meta(self, folder: Path) -> tuple[dict, object]:
        """(the `policy:` section, its document) of a folder's policy.yaml; ({}, None) when unreadable.

        The parse is kept, so that reading the layer does not parse the file again.
        """
        path = folder / "policy.yaml"
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return {}, None
        doc, errors = _yaml.load_text(text, str(path))
        self.parsed[str(path)] = (text, doc, errors)
        value = doc.value if doc is not None and isinstance(doc.value, dict) else {}
        return (value.get("policy") if isinstance(value.get("policy"), dict) else {}), doc

    def _read_layer(self, folder: Path, index: int, digest) -> None:
        layer = _Layer(index=index, folder=folder)
        self.layers.append(layer)
        files = policy_files(folder)
        if not (folder / "policy.yaml").is_file():
            self.diags.append(Diagnostic("missing_file", "the folder has no policy.yaml", str(folder)))
        for f in files:
            rel = f.relative_to(folder).as_posix()
            data = f.read_bytes()
            digest.update(f"{index}:{rel}".encode() + b"\0" + data + b"\0")
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                # never read a policy with replacement characters: quotes would silently not match
                self.diags.append(Diagnostic("file_encoding", f"not UTF-8 text: {exc.reason} at byte {exc.start}", str(f),
                                             hint="save the file as UTF-8"))
                continue
            cached = self.parsed.get(str(f))
            doc, errors = cached[1:] if cached is not None and cached[0] == text else _yaml.load_text(text, str(f))
            self.diags.extend(errors)
            if doc is None:
                continue
            if not isinstance(doc.value, dict):
                if doc.value is not None:
                    self.diag(doc, "bad_type", "a policy file must be a mapping of sections", (), "start with `parameters:`, `questions:` …")
                continue
            schema_errors = _schema_errors(doc)
            self.diags.extend(schema_errors)
            if schema_errors:
                # its sections are not merged; don't also report them as missing
                self.unchecked.update(doc.value)
                continue
            self.docs.append(doc)
            self.layer_of[id(doc)] = layer
            for section, body in doc.value.items():
                if section == "policy":
                    if layer.meta is not None:
                        self.diag(doc, "duplicate_section", f"`policy:` is also in {layer.meta_doc.file}", ("policy",))
                    layer.meta, layer.meta_doc = body, doc
                    continue
                if section == "calendar":
                    if layer.calendar is not None:
                        self.diag(doc, "duplicate_section", f"`calendar:` is also in {layer.calendar[1].file}", ("calendar",))
                    layer.calendar = (body, doc)
                    continue
                if section == "repeals":
                    layer.repeals.extend((r, doc, ("repeals", i)) for i, r in enumerate(body or []))
                    continue
                store = self.entries.setdefault(section, {})
                for name, value in (body or {}).items():
                    contributions = store.setdefault(name, [])
                    same_layer = [c for c in contributions if self.layer_of[id(c[1])] is layer]
                    if same_layer:
                        _, other, opath = same_layer[0]
                        line, col = other.where(opath)
                        self.diag(
                            doc, "duplicate_id",
                            f"{section}.{name} is defined twice; first in {other.file}:{line}:{col}",
                            (section, name), "rename one, or delete the repeat",
                        )
                        continue
                    contributions.append((value, doc, (section, name)))

    # -- helpers ------------------------------------------------------------------

    def condition_error(self, doc, path, exc_or_diag, text: str):
        """Turn a position inside condition text into a file position."""
        if isinstance(exc_or_diag, Diagnostic):
            code, message, hint, cl, cc = exc_or_diag.code, exc_or_diag.message, exc_or_diag.hint, exc_or_diag.line, exc_or_diag.column
        else:
            node = exc_or_diag.node
            code, message, hint = exc_or_diag.code, exc_or_diag.message, exc_or_diag.hint
            cl, cc = (node.line, node.column) if node is not None else (1, 1)
        line, col = doc.where(path)
        style = doc.styles.get(tuple(path))
        if line is not None:
            if style in ("|", ">"):
                line, col = line + (cl or 1), cc
            else:
                line = line + (cl or 1) - 1
                col = (col + (cc or 1) - 1 + (1 if style in ("'", '"') else 0)) if cl in (None, 1) else cc
            line, col = _inside(doc.lines.get(tuple(path)), text, cl or 1, cc or 1) or (line, col)
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

    # -- build ------------------------------------------------------------------------

    def single(self, section: str) -> dict:
        """Entries of a section that a layer may add to but not redefine: name -> (value, doc, path)."""
        out = {}
        for name, contributions in self.entries.get(section, {}).items():
            value, doc, path = contributions[0]
            for other, odoc, opath in contributions[1:]:
                self.diag(odoc, "duplicate_id",
                          f"{section}.{name} is already defined by {self.layer_of[id(doc)].id} ({doc.file})", opath,
                          "give it another name: a layer adds to the policy it extends, it does not redefine its "
                          + section)
            out[name] = (value, doc, path)
        return out

    def build(self) -> Policy | None:
        content_hash = self.read()
        top = self.layers[-1] if self.layers else None
        if top is None or top.meta is None or any(layer.meta is None for layer in self.layers):
            missing = [layer for layer in self.layers if layer.meta is None] or [None]
            for layer in missing:
                folder = layer.folder if layer else self.folder
                if "policy" not in self.unchecked and not any(d.code in ("yaml_syntax", "yaml_too_big", "missing_file") for d in self.diags):
                    self.diags.append(Diagnostic("missing_section", "no file of the policy has a `policy:` section", str(folder / "policy.yaml")))
            return None
        meta = top.meta
        for layer in self.layers:
            source_path = (layer.folder / layer.meta["regulation"]["source"]).resolve()
            spath = ("policy", "regulation", "source")
            if not source_path.is_relative_to(layer.folder.resolve()):
                self.diag(layer.meta_doc, "source_outside_policy",
                          f"the source text {layer.meta['regulation']['source']} is outside the policy folder", spath,
                          "keep the regulation's text inside the folder, e.g. source/regulation.txt")
            elif source_path.is_file():
                layer.source_text = source_path.read_text(encoding="utf-8")
                content_hash = hashlib.sha256((content_hash + hashlib.sha256(layer.source_text.encode()).hexdigest()).encode()).hexdigest()
            else:
                self.diag(layer.meta_doc, "missing_source", f"the source text {layer.meta['regulation']['source']} is not in the folder",
                          spath, "copy the regulation's text there, so that quotations can be checked")
            layer.effective_from = _to_date(layer.meta["regulation"]["effective_from"])
        base = self.layers[0]
        effective_from = base.effective_from
        effective_until = _to_date(base.meta["regulation"].get("effective_until"))

        # articles: each layer's are checked against its own text
        articles: dict[str, Article] = {}
        article_layer: dict[str, _Layer] = {}
        normalized = {id(layer): _norm(layer.source_text) if layer.source_text is not None else None for layer in self.layers}
        for name, (body, doc, path) in self.single("articles").items():
            layer = self.layer_of[id(doc)]
            text = body["text"]
            if normalized[id(layer)] is not None and _norm(text) not in normalized[id(layer)]:
                self.diag(doc, "article_not_in_source", f"the text of {name} is not found verbatim in {layer.meta['regulation']['source']}",
                          path + ("text",), "copy the article's words exactly from the source text")
            articles[name] = Article(name, text, body.get("title"), layer.id)
            article_layer[name] = layer

        readings = {
            name: Reading(name, body["title"], body["text"], body.get("en"))
            for name, (body, doc, path) in self.single("readings").items()
        }

        def cite(doc, path, body) -> tuple[Article | None, str]:
            art_id = body.get("article")
            article = articles.get(art_id)
            layer = self.layer_of[id(doc)]
            if article is None:
                self.diag(doc, "unknown_article", f"the article '{art_id}' is not in `articles:`", path + ("article",),
                          (did_you_mean(art_id, articles) or "") + " add it to articles.yaml with its text")
                return None, ""
            if article_layer[art_id] is not layer:
                self.diag(doc, "foreign_article",
                          f"{art_id} is an article of {article_layer[art_id].id}; what {layer.id} encodes cites its own text",
                          path + ("article",), f"cite an article of {layer.meta['regulation']['title']}")
            quote = body.get("quote") or article.text
            if _norm(quote) not in _norm(article.text):
                self.diag(doc, "quote_not_in_article", f"the quote is not found verbatim in {art_id}", path + ("quote",),
                          "copy the words exactly from the article's text")
            return article, quote

        def reading_ids(doc, path, body) -> tuple:
            raw = body.get("reading")
            ids = [raw] if isinstance(raw, str) else list(raw or [])
            for r in ids:
                if r not in readings:
                    self.diag(doc, "unknown_reading", f"no reading '{r}'", path + ("reading",),
                              did_you_mean(r, readings) or "declare it under `readings:`")
            return tuple(ids)

        # parameters: a layer may change one its parent defines, saying so with `overrides: true`
        parameters: dict[str, Parameter] = {}
        param_types: dict[str, Type] = {}
        runtime_values: dict[str, list] = {}
        for name, contributions in self.entries.get("parameters", {}).items():
            dated, runtime, types, origin, sources = [], [], set(), [], []
            compare_key = None
            for position, (body, doc, path) in enumerate(contributions):
                layer = self.layer_of[id(doc)]
                if position == 0 and body.get("overrides"):
                    self.diag(doc, "nothing_to_override", f"{name} is not defined by a policy that {layer.id} extends", path + ("overrides",),
                              "remove `overrides: true`, or check the parameter's name")
                if position > 0 and not body.get("overrides"):
                    first = self.layer_of[id(contributions[0][1])]
                    self.diag(doc, "parameter_exists", f"{name} is already defined by {first.id}", path,
                              "write `overrides: true` to change its value in this layer, or choose another name")
                if position > 1:
                    prev = self.layer_of[id(contributions[position - 1][1])]
                    self.diag(doc, "parameter_set_twice", f"{name} is already changed by the layer {prev.id}", path,
                              "only one layer may change a parameter; change it in one place")
                cite(doc, path, body)
                start = layer.effective_from or effective_from
                raw_values = body.get("values") or {start.isoformat(): body.get("value")}
                layer_dates = []
                for k, v in raw_values.items():
                    d = _to_date(k)
                    display, rt, t = _param_value(v)
                    if t.kind == "number":
                        t = Type("number", body.get("unit"))
                    elif t.kind == "list":
                        t = Type("list", None, None, t.item, literals=frozenset(rt))
                    types.add((t.kind, t.unit))
                    layer_dates.append((d, display, rt))
                    param_types[name] = t
                if position > 0 and layer_dates:
                    # the layer's values replace the parent's from the layer's first date on
                    cut = min(d for d, _, _ in layer_dates)
                    dated = [x for x in dated if x[0] < cut]
                    runtime = [x for x in runtime if x[0] < cut]
                dated += [(d, display) for d, display, _ in layer_dates]
                runtime += [(d, rt) for d, _, rt in layer_dates]
                origin.append(f"{layer.id}: {doc.file}")
                sources.append(ParameterSource(layer.id, doc.file, doc.where(path)[0], body["article"], body.get("quote"),
                                               tuple((d, display) for d, display, _ in layer_dates),
                                               bool(body.get("overrides"))))
                compare_key = body.get("compare", compare_key if position else None)
            if len(types) > 1:
                self.diag(doc, "parameter_type", f"the values of {name} are not all of one kind", path + ("values",))
            dated.sort(key=lambda x: x[0])
            runtime.sort(key=lambda x: x[0])
            # a parameter must have a value from the day its (first) policy takes effect
            since = self.layer_of[id(contributions[0][1])].effective_from or effective_from
            if dated and dated[0][0] > since:
                self.diag(doc, "parameter_gap", f"{name} has no value from {since.isoformat()}, when the regulation takes effect",
                          path + ("values",), f"add a value dated {since.isoformat()}")
            parameters[name] = Parameter(name, body["title"], body.get("unit"), body["article"], body.get("quote"),
                                         tuple(dated), body.get("en"), body.get("rounding"), reading_ids(doc, path, body),
                                         origin=tuple(origin), sources=tuple(sources), compare=compare_key)
            runtime_values[name] = runtime

        # the calendar: the nearest layer's
        self.calendar = None
        for layer in reversed(self.layers):
            if layer.calendar is not None:
                body, doc = layer.calendar
                self.calendar, problems = check_and_build(body, lambda p_, c_, m_, h_=None, d_=doc: d_.diagnostic(c_, m_, p_, h_),
                                                          doc.file)
                self.diags.extend(problems)
                break

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
        scope = Scope(param_types, defs, has_calendar=has_calendar)
        for key in raw_defs:
            defs[key]
        for key, (body, doc, path) in raw_defs.items():
            if key in parameters:
                self.diag(doc, "duplicate_id", f"'{key}' is both a parameter and a definition", path)

        # questions
        questions: dict[str, Question] = {}
        repeals = self.collect_repeals(cite)
        for qname, contributions in self.entries.get("questions", {}).items():
            questions[qname] = self.build_question(qname, contributions, compiler, scope, cite, reading_ids, repeals)
        for (qname, rid), (body, doc, path) in repeals.items():
            if not any(r["id"] == rid for r in self.rule_bodies.get(qname, [])):
                self.diag(doc, "nothing_to_repeal", f"{qname} has no rule '{rid}' to repeal", path + ("rule",),
                          did_you_mean(rid, [r["id"] for r in self.rule_bodies.get(qname, [])]) or "name a rule of the extended policy")

        # student ids
        student_ids: dict[str, StudentIdLayout] = {}
        for name, (body, doc, path) in self.single("student_ids").items():
            article, quote = cite(doc, path, body)
            fields, covered = [], []
            for i, f in enumerate(body["fields"]):
                pos = str(f["positions"])
                a, _, b = pos.partition("-")
                start, end = int(a), int(b or a)
                if not (1 <= start <= end <= body["length"]):
                    self.diag(doc, "bad_positions", f"positions {pos} do not fit a {body['length']}-digit number",
                              path + ("fields", i, "positions"), f"write positions between 1 and {body['length']}, like 1-6")
                covered.extend(range(start, end + 1))
                fields.append(IdField(f["name"], f["title"], start, end, f.get("en")))
            if sorted(covered) != list(range(1, body["length"] + 1)):
                self.diag(doc, "bad_positions", f"the fields of {name} do not cover positions 1-{body['length']} exactly once",
                          path + ("fields",), "every digit belongs to exactly one field")
            if article is not None:
                student_ids[name] = StudentIdLayout(name, body["title"], tuple(body["stages"]), body["length"], article,
                                                    quote, tuple(fields), body.get("en"))

        if self.diags:
            return None

        # parameter eras: one resolved dict per span in which no value changes
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
            era_values.append(_ReadOnly(values))
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
            articles=articles,
            readings=readings,
            parameters=parameters,
            questions=questions,
            student_ids=student_ids,
            folder=str(self.folder),
            layers=tuple(
                LayerInfo(
                    id=layer.id, title=layer.meta["regulation"]["title"],
                    document_number=layer.meta["regulation"].get("document_number"),
                    issued_by=layer.meta["regulation"]["issued_by"], effective_from=layer.effective_from,
                    effective_until=_to_date(layer.meta["regulation"].get("effective_until")),
                    folder=str(layer.folder), jurisdiction_name=layer.meta["jurisdiction"]["name"],
                    jurisdiction_code=str(layer.meta["jurisdiction"]["code"]), extends=layer.meta.get("extends"),
                    source=layer.meta["regulation"]["source"],
                )
                for layer in self.layers
            ),
            eras=tuple(starts),
            era_values=tuple(era_values),
            compile_context=(compiler, Scope(scope.parameters, dict(defs), has_calendar=scope.has_calendar), self.calendar),
        )

    def collect_repeals(self, cite) -> dict:
        """(question, rule) -> (repeal body, doc, path) for every layer's `repeals:`."""
        out: dict = {}
        for layer in self.layers:
            for body, doc, path in layer.repeals:
                if layer.index == 0:
                    self.diag(doc, "repeal_without_parent", "only a layer can repeal: this policy extends none", path,
                              "add `extends: …` to policy.yaml, or delete the repeal")
                    continue
                key = (body["question"], body["rule"])
                if key in out:
                    self.diag(doc, "duplicate_id", f"{body['question']}.{body['rule']} is repealed twice", path)
                    continue
                cite(doc, path, body)
                out[key] = (body, doc, path)
        return out

    def layered_rules(self, qname: str, contributions: list) -> list:
        """The question's rules after layering: (body, doc, path, layer, until, note) in order."""
        ordered: list = []
        for qbody, doc, qpath in contributions:
            layer = self.layer_of[id(doc)]
            for i, rbody in enumerate(qbody["rules"]):
                rpath = qpath + ("rules", i)
                target = rbody.get("replaces")
                if target is None:
                    ordered.append([rbody, doc, rpath, layer, None, None])
                    continue
                at = next((k for k, item in enumerate(ordered) if item[0]["id"] == target and item[3] is not layer), None)
                if at is None or layer.index == 0:
                    known = [item[0]["id"] for item in ordered if item[3] is not layer]
                    self.diag(doc, "nothing_to_replace", f"{qname} has no rule '{target}' in a policy that {layer.id} extends",
                              rpath + ("replaces",), did_you_mean(target, known) or "name a rule of the extended policy")
                    ordered.append([rbody, doc, rpath, layer, None, None])
                    continue
                # the parent's rule stays in force until the layer takes effect; the layer's follows it
                ordered[at][4] = layer.effective_from
                ordered[at][5] = f"自 {layer.effective_from.isoformat()} 起由 {layer.id} 的 {rbody['id']} 替代"
                ordered.insert(at + 1, [rbody, doc, rpath, layer, None, None])
        return ordered

    def build_question(self, qname, contributions, compiler, scope, cite, reading_ids, repeals) -> Question | None:
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
            if strength == "原则上不" and not rbody.get("exception_by"):
                self.diag(doc, "missing_exception_by", f"rule {rid} says 原则上不 but not who may grant the exception", rpath,
                          "add `exception_by: 教育行政部门` (or whoever the text names)")
            if strength == "须经批准" and not rbody.get("approver"):
                self.diag(doc, "missing_approver", f"rule {rid} says 须经批准 but not who approves", rpath,
                          "add `approver: …` naming the approving authority")
            article, quote = cite(doc, rpath, rbody)
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
            plans.append(RulePlan(rid, strength, when, require, bool(rbody.get("approver"))))
            line, _ = doc.where(rpath)
            rule_readings = reading_ids(doc, rpath, rbody)  # once: it reports unknown ids
            if article is None:
                continue

            rules.append(dict(
                id=rid, title=rbody["title"], strength=strength, article=article, quote=quote,
                message_zh=rbody["message"]["zh"], message_en=rbody["message"].get("en"),
                when=rbody.get("when"), require=rbody.get("require"), en=rbody.get("en"),
                readings=rule_readings, approver=rbody.get("approver"),
                exception_by=rbody.get("exception_by"), documents=tuple(rbody.get("documents", ())),
                steps=tuple(Step(s["by"], s["do"], s.get("en")) for s in rbody.get("steps", ())),
                deadlines=deadlines,
                facts=_in_vocabulary_order({f.lstrip("?") for f in facts}),
                required_facts=_in_vocabulary_order({f for f in facts if not f.startswith("?")}),
                parameters=tuple(sorted(params)),
                file=doc.file, line=line, layer=layer.id,
                in_force=(start, end), note=note, replaces=rbody.get("replaces"), repealed_by=repealed_by,
                info=RuleInfo(
                    id=rid, title=rbody["title"], strength=strength, article=article.id,
                    article_text=article.text, quote=quote, message_zh=rbody["message"]["zh"],
                    message_en=rbody["message"].get("en"), readings=rule_readings,
                    approver=rbody.get("approver"), exception_by=rbody.get("exception_by"),
                ),
            ))
        certs = []
        granted = {"granted": Compiled(BOOL, "G", True)}
        cscope = Scope(scope.parameters, scope.definitions, granted, scope.has_calendar)
        # a layer may give the question its own list of certificates; the nearest layer's is used
        with_certs = [c for c in contributions if c[0].get("certificates")]
        if with_certs:
            cert_q, cert_doc, cert_path = with_certs[-1]
            for j, cbody in enumerate(cert_q["certificates"]):
                c = self.compile_condition(compiler, cscope, cbody["when"], cert_doc, cert_path + ("certificates", j, "when"))
                if c is not None:
                    certs.append((cbody, c))
        if self.diags:
            return None
        # one module per question: the kernel, the certificate chooser and every deadline
        for cbody, cdoc, cpath in contributions:
            reading_ids(cdoc, cpath, cbody)  # a question may name the reading behind `when_no_ground`
        no_ground = next((c[0]["when_no_ground"] for c in reversed(contributions) if "when_no_ground" in c[0]), "denied")
        source, ns = generate(qname, plans, compiler, no_ground)
        if certs:
            csource, _ = generate_certify([(c["certificate"], cc) for c, cc in certs], compiler)
            source += "\n\n" + hoist(csource, compiler)
        names = []
        for r in rules:
            for dl, c in r["deadlines"]:
                names.append(f"deadline_{len(names)}")
                source += "\n\n" + hoist(f"def {names[-1]}(F, P, T, _cal=_cal):\n    return {c.code}\n", compiler)
        source = params_as_globals(source)
        code = compile(source, f"<policy {qname}>", "exec")
        k = 0
        built = []
        for r in rules:
            deadlines = []
            for dl, c in r["deadlines"]:
                deadlines.append(Deadline(dl["title"], dl.get("en"), dl["date"], names[k]))
                k += 1
            r["deadlines"] = tuple(deadlines)
            built.append(Rule(**r))
        question = Question(
            qname, qbody["title"], qbody.get("en"), tuple(built),
            tuple(Certificate(c["certificate"], c["when"], c.get("note")) for c, _ in certs),
            source=source,
        )
        self.modules[qname] = (code, {**ns, **compiler.constants, "_cal": self.calendar})
        return question


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


def _norm(text: str) -> str:
    """Compare quotations ignoring white space only."""
    return re.sub(r"\s+", "", text)


class _ReadOnly(dict):
    """A dict that refuses changes: parameter values are shared between threads."""

    def _refuse(self, *a, **k):
        raise TypeError("parameter values are read-only")

    __setitem__ = __delitem__ = update = pop = popitem = clear = setdefault = _refuse


def compile_policy(folder: str | os.PathLike) -> Policy:
    """Load and compile one policy folder, or raise PolicyError with every problem found."""
    loader = _Loader(Path(folder))
    policy = loader.build()
    if policy is None:
        raise PolicyError(f"the policy in {folder} is not valid", tuple(loader.diags))
    return policy


def check_policy(folder: str | os.PathLike) -> list[Diagnostic]:
    """Every problem in a policy folder (empty when it is valid)."""
    loader = _Loader(Path(folder))
    loader.build()
    return sorted(loader.diags, key=lambda d: (d.file or "", d.line or 0, d.column or 0))


class Registry:
    """Loaded policies by folder, each compiled once; safe to share between threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._policies: dict[Path, Policy] = {}

    def get(self, region_or_path) -> Policy:
        folder = resolve(region_or_path)
        policy = self._policies.get(folder)
        if policy is None:
            with self._lock:
                policy = self._policies.get(folder)
                if policy is None:
                    policy = compile_policy(folder)
                    self._policies[folder] = policy
        return policy


DEFAULT_REGISTRY = Registry()


def load_policy(region_or_path, *, registry: Registry | None = None) -> Policy:
    """The compiled policy of a region (``"jiangsu"``) or folder; compiled once, then shared.

    Raises UnknownRegionError for an unknown name and PolicyError (with every
    Diagnostic) for a policy that does not validate.
    """
    return (registry or DEFAULT_REGISTRY).get(region_or_path)
