"""Stage 3, meaning: what the schema cannot check — articles verbatim in the source, quotes in
their articles, readings and their choices, parameters' dated values against their quotes,
procedure words, omitted articles, and student-ID layouts.
"""

from __future__ import annotations

import datetime as _dt
import re
from fractions import Fraction

from .. import articles as articles_of_source
from ..articles import Omission
from ..conditions import parse as cparse
from ..conditions.compile import BOOL, DATE, Type
from ..conditions.parse import read_number
from ..errors import did_you_mean
from ..policy import Article, IdField, Parameter, ParameterSource, Reading, StudentIdLayout
from ..procedure import KINDS as PROCEDURE_KINDS, REVIEW_OPTIONS, ProcedureItem
from ..quoted_numbers import numbers_in
from ..school_calendar import check_and_build
from .read import Layer, _to_date


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


def _norm(text: str) -> str:
    """Compare quotations ignoring white space only."""
    return re.sub(r"\s+", "", text)


def _stated(numbers: set) -> str:
    shown = sorted(numbers)[:4]
    return "、".join(str(n.numerator) if n.denominator == 1 else f"{n.numerator}/{n.denominator}" for n in shown)


class MeaningStage:
    """Checks of meaning (mixed into the loader: uses ``self.diag``, ``self.single``, ``self.layers`` …)."""

    def check_articles(self) -> None:
        """Each layer's articles, found verbatim in that layer's own text: ``self.articles``, ``self.article_layer``."""
        articles: dict[str, Article] = {}
        article_layer: dict[str, Layer] = {}
        normalized = {id(layer): _norm(layer.source_text) if layer.source_text is not None else None for layer in self.layers}
        for name, (body, doc, path) in self.single("articles").items():
            layer = self.layer_of[id(doc)]
            text = body["text"]
            if normalized[id(layer)] is not None and _norm(text) not in normalized[id(layer)]:
                self.diag(doc, "article_not_in_source", f"the text of {name} is not found verbatim in {layer.meta['regulation']['source']}",
                          path + ("text",), "copy the article's words exactly from the source text")
            articles[name] = Article(name, text, body.get("title"), layer.id)
            article_layer[name] = layer

        self.articles, self.article_layer = articles, article_layer

    def check_readings(self) -> None:
        """The readings, with the option each chooses checked: ``self.readings``."""
        readings = {}
        for name, (body, doc, path) in self.single("readings").items():
            options = tuple((body.get("options") or {}).items())
            chosen = body.get("chosen")
            if options and chosen not in dict(options):
                self.diag(doc, "bad_choice", f"reading {name} chooses '{chosen}', which is not one of its options",
                          path + (("chosen",) if chosen else ()), f"write `chosen:` with one of: {', '.join(k for k, _ in options)}")
            elif chosen and not options:
                self.diag(doc, "bad_choice", f"reading {name} says `chosen:` but lists no `options:`", path + ("chosen",),
                          "list the alternatives under `options:`, each with what it means")
            readings[name] = Reading(name, body["title"], body["text"], body.get("en"), options, chosen)
        self.readings = readings

    def cite(self, doc, path, body) -> tuple[Article | None, str]:
        """The article a rule, parameter or layout cites and its quote, checked: known, of its own layer, verbatim."""
        art_id = body.get("article")
        article = self.articles.get(art_id)
        layer = self.layer_of[id(doc)]
        if article is None:
            self.diag(doc, "unknown_article", f"the article '{art_id}' is not in `articles:`", path + ("article",),
                      (did_you_mean(art_id, self.articles) or "") + " add it to articles.yaml with its text")
            return None, ""
        if self.article_layer[art_id] is not layer:
            self.diag(doc, "foreign_article",
                      f"{art_id} is an article of {self.article_layer[art_id].id}; what {layer.id} encodes cites its own text",
                      path + ("article",), f"cite an article of {layer.meta['regulation']['title']}")
        quote = body.get("quote") or article.text
        if _norm(quote) not in _norm(article.text):
            self.diag(doc, "quote_not_in_article", f"the quote is not found verbatim in {art_id}", path + ("quote",),
                      "copy the words exactly from the article's text")
        return article, quote

    def reading_ids(self, doc, path, body) -> tuple:
        """The ids of the readings an entry relies on, each checked to exist."""
        raw = body.get("reading")
        ids = [raw] if isinstance(raw, str) else list(raw or [])
        for r in ids:
            if r not in self.readings:
                self.diag(doc, "unknown_reading", f"no reading '{r}'", path + ("reading",),
                          did_you_mean(r, self.readings) or "declare it under `readings:`")
        return tuple(ids)

    def check_parameters(self, effective_from) -> tuple[dict, dict, dict]:
        """Parameters with their dated values, checked per layer: (parameters, their types, runtime values by date)."""
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
                self.cite(doc, path, body)
                start = layer.effective_from or effective_from
                raw_values = body.get("values") or {start.isoformat(): body.get("value")}
                self.check_quoted_value(name, body, doc, path, raw_values)
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
                                         tuple(dated), body.get("en"), body.get("rounding"), self.reading_ids(doc, path, body),
                                         origin=tuple(origin), sources=tuple(sources), compare=compare_key)
            runtime_values[name] = runtime
        return parameters, param_types, runtime_values

    def read_calendar(self) -> None:
        """The school calendar of the nearest layer that has one, checked: ``self.calendar``."""
        self.calendar = None
        for layer in reversed(self.layers):
            if layer.calendar is not None:
                body, doc = layer.calendar
                self.calendar, problems = check_and_build(body, lambda p_, c_, m_, h_=None, d_=doc: d_.diagnostic(c_, m_, p_, h_),
                                                          doc.file)
                self.diags.extend(problems)
                break

    def cited_articles(self) -> set:
        """The article ids that a rule, parameter, student-ID layout or repeal cites (being quoted is not enough)."""
        cited = set()
        for contributions in self.entries.get("questions", {}).values():
            for body, _, _ in contributions:
                cited.update(r.get("article") for r in body.get("rules", ()) if isinstance(r, dict))
        for section in ("parameters", "student_ids"):
            for contributions in self.entries.get(section, {}).values():
                cited.update(body.get("article") for body, _, _ in contributions if isinstance(body, dict))
        for layer in self.layers:
            cited.update(body.get("article") for body, _, _ in layer.repeals)
        return cited

    def check_quoted_value(self, name, body, doc, path, raw_values) -> None:
        """The first value a layer gives must be a number its quote states, unless a reading explains it."""
        quote = body.get("quote")
        if not quote or body.get("reading") or not raw_values:
            return
        stated = numbers_in(quote)
        first_key = min(raw_values, key=str)
        value = raw_values[first_key]
        if not stated or isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return
        try:
            number = read_number(str(value))
        except (ValueError, ZeroDivisionError, KeyError):
            return
        if number not in stated:
            where = path + (("values", first_key) if body.get("values") else ("value",))
            self.diag(doc, "quote_value_mismatch", f"{name} is {value}, but its quote states {_stated(stated)}", where,
                      "make the value the quote's number, or name a reading (`reading:`) that explains the difference")

    def check_omissions(self, article_layer: dict) -> tuple:
        """Each layer's `omitted:` entries; with `article_heading`, every article is encoded or omitted."""
        out = []
        for layer in self.layers:
            if layer.meta is None:
                continue
            regulation = layer.meta["regulation"]
            ids = [body["article"] for body, _, _ in layer.omitted]
            seen: dict = {}
            for body, doc, path in layer.omitted:
                if body["article"] in seen:
                    self.diag(doc, "duplicate_id", f"{body['article']} is omitted twice", path + ("article",),
                              "list each article once under `omitted:`")
                seen[body["article"]] = True
                out.append(Omission(body["article"], body["kind"], body["reason"], body.get("en"), layer.id))
            pattern = regulation.get("article_heading")
            if not pattern or layer.source_text is None:
                continue
            doc, hpath = layer.meta_doc, ("policy", "regulation", "article_heading")
            try:
                layer.sections = tuple(articles_of_source.sections(layer.source_text, pattern, regulation.get("part_heading")))
                all_ids = [a for a, _ in layer.sections]
            except re.error as exc:
                self.diag(doc, "bad_value", f"article_heading is not a regular expression: {exc}", hpath)
                continue
            if not all_ids:
                self.diag(doc, "bad_value", f"article_heading matches no line of {regulation['source']}", hpath,
                          "write the pattern of a heading as it starts a line, e.g. 第[一二三四五六七八九十百零]+条")
                continue
            for body, odoc, path in layer.omitted:
                if articles_of_source.unknown(all_ids, [body["article"]]):
                    self.diag(odoc, "unknown_article", f"{body['article']} is not an article of {regulation['source']}",
                              path + ("article",), did_you_mean(body["article"], all_ids) or f"articles: {', '.join(all_ids[:5])} …")
            encoded = [a for a, lay in article_layer.items() if lay is layer and a in self.cited_articles()]
            for missing in articles_of_source.unaccounted(all_ids, encoded, ids):
                self.diag(doc, "article_unaccounted",
                          f"{missing} of {regulation['source']} is neither cited by a rule nor listed under `omitted:`", hpath,
                          f"encode it, or add `- {{article: {missing}, kind: 行政职责, reason: …}}` under `omitted:`")
        return tuple(out)

    def procedure_of(self, rbody, doc, rpath, article, strength) -> tuple:
        """The rule's `procedure:` entries, checked: words in the article, a review's reading, a gate's party."""
        items = []
        for k, body in enumerate(rbody.get("procedure", ())):
            path = rpath + ("procedure", k)
            kind = body["kind"]
            gate = PROCEDURE_KINDS[kind][1]
            reading = body.get("reading")
            words = body.get("words")
            if words is None and not (body.get("for") == "例外" and reading):
                self.diag(doc, "missing_key", "'words' is required here: the article's words that name this "
                          f"{kind}", path, "copy them from the article; only an exception whose grantor the text "
                          "does not name may leave them out, citing the reading that names it (for: 例外, reading: …)")
            if words is not None and article is not None and _norm(words) not in _norm(article.text):
                self.diag(doc, "quote_not_in_article", f"the words are not found verbatim in {article.id}", path + ("words",),
                          "copy the words that name the approval, consent, review or filing exactly from the article")
            if reading is not None and reading not in self.readings:
                self.diag(doc, "unknown_reading", f"no reading '{reading}'", path + ("reading",),
                          did_you_mean(reading, self.readings) or "declare it under `readings:`")
                reading = None
            if kind == "审核":
                options = dict(self.readings[reading].options) if reading else {}
                if set(options) != set(REVIEW_OPTIONS):
                    self.diag(doc, "review_without_reading",
                              "a 审核/盖章 works as an approval or as a step only through a named reading of the region",
                              path + ("reading",) if "reading" in body else path,
                              "cite a reading with `options: {批准: …, 步骤: …}` and `chosen:` one of them")
                    gate = False
                else:
                    gate = self.readings[reading].chosen == "批准"
            for_exception = body.get("for") == "例外"
            if for_exception and strength != "原则上不":
                self.diag(doc, "bad_value", "only a 原则上不 rule has an exception to grant", path + ("for",),
                          "remove `for: 例外`, or make the rule 原则上不")
            if for_exception and not gate:
                self.diag(doc, "bad_value", f"a {kind} that cannot refuse cannot grant an exception", path + ("for",),
                          "an exception is granted by 批准 (or 审核 read as 批准)")
            if gate and not for_exception and strength in ("不得", "原则上不"):
                self.diag(doc, "procedure_strength",
                          f"a {strength} rule cannot wait for an approval: what is forbidden unless approved is 须经批准",
                          path + ("kind",), "make the rule 须经批准, or mark the approval `for: 例外` on a 原则上不 rule")
            if gate and not body.get("party"):
                self.diag(doc, "missing_party", f"whose {kind} is it? a gate needs the `party` whose state the facts give",
                          path, "add `party:` (bureau, county_bureau, city_bureau, to_school, from_school, guardian …)")
            party = body.get("party")
            party = "|".join(party) if isinstance(party, list) else party
            items.append(ProcedureItem(kind, body["by"], body["level"], body.get("words") or "", party, reading,
                                       for_exception, gate, body.get("en")))
        return tuple(items)

    def build_student_ids(self) -> dict:
        """Student-ID layouts whose fields tile the number exactly."""
        student_ids: dict[str, StudentIdLayout] = {}
        for name, (body, doc, path) in self.single("student_ids").items():
            article, quote = self.cite(doc, path, body)
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
        return student_ids

