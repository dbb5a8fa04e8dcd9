"""The OpenAPI 3.1 contract, built from the schemas the library ships, not a second hand-written copy.

FastAPI gives the paths and their parameters; this module adds what the handlers read
and write themselves: the facts (``schema/facts.schema.json``), the Decision
(``schema/decision.schema.json``), problem documents, and the JSON Lines of a batch.
The shipped schemas' ``$defs`` become ``components/schemas`` (``Facts.Student``,
``Decision.rule``), their references rewritten to match.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import attrs

from fastapi.openapi.utils import get_openapi

from ..facts.schema import _leaf
from ..facts.vocabulary import FACTS, GROUPS

SCHEMAS = Path(__file__).resolve().parent.parent / "schema"
REF = "#/components/schemas/"


def _shipped(name: str, prefix: str) -> dict:
    """components for one shipped schema: its root as ``prefix`` and each $def as ``prefix.Name``."""
    doc = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    text = json.dumps(doc, ensure_ascii=False).replace('"#/$defs/', f'"{REF}{prefix}.')
    doc = json.loads(text)
    defs = doc.pop("$defs", {})
    for key in ("$schema", "$id"):
        doc.pop(key, None)
    out = {prefix: doc}
    out.update({f"{prefix}.{k}": v for k, v in defs.items()})
    return out


def _ref(name: str) -> dict:
    return {"$ref": REF + name}


#: a day every shipped regulation is in force on: the example a generated request starts from (a date before
#: a regulation took effect is answered 422 bad_date, which the schema cannot say)
DAY = {"type": "string", "format": "date", "examples": ["2025-03-03"]}

PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details, with the library's stable error code and, where they apply, "
                   "the diagnostics (file:line:column). Never a stack trace, never a fact value.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "code": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "file": {"type": ["string", "null"]}, "line": {"type": ["integer", "null"]},
            "column": {"type": ["integer", "null"]}, "path": {"type": "string"}, "hint": {"type": ["string", "null"]},
        }}},
    },
}

ASK = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "facts": _ref("Facts"),
        "on": {**DAY, "description": "the day asked about (Asia/Shanghai); default today"},
        "readings": {"type": "object", "additionalProperties": {"type": "string"},
                     "description": "reading id → option, for readings with alternatives (GET /v1/regions/{region})"},
        "calendar": {"$ref": REF + "Policy.calendar",
                     "description": "the school's own calendar (docs/time.md): a calendar section's body, instead of the sample"},
    },
}

COMPARE_ASK = {"type": "object", "additionalProperties": False,
               "properties": {"facts": _ref("Facts"), "on": DAY}}

BATCH_LINE = {
    "type": "object", "description": "one line of a batch answer: a decision, or an error for that line only",
    "properties": {
        "line": {"type": "integer"}, "id": {"type": ["string", "integer", "null"]},
        "outcome": {"type": "string"}, "status": {"type": "string"}, "failed": {"type": "array", "items": {"type": "string"}},
        "decision": _ref("Decision"),
        "error": {"type": "object", "properties": {"code": {"type": "string"}, "title": {"type": "string"},
                                                   "status": {"type": "integer"}}},
    },
}

UPLOAD = {
    "type": "object", "required": ["upload", "ok", "diagnostics"],
    "properties": {"upload": {"type": "string"}, "region": {"type": "string"}, "ok": {"type": "boolean"},
                   "policy": {"type": ["object", "null"]},
                   "diagnostics": {"type": "array", "items": {"type": "object"}}},
}

JSON_OBJECT = {"type": "object"}
JSON_ARRAY = {"type": "array", "items": {"type": "object"}}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


#: (method, path) → what FastAPI cannot see: request body and the 200 answer
OPERATIONS = {
    ("get", "/healthz"): (None, _json({"type": "object", "properties": {"status": {"const": "ok"}}})),
    ("get", "/readyz"): (None, _json(JSON_OBJECT)),
    ("get", "/metrics"): (None, {"description": "Prometheus text exposition",
                                 "content": {"text/plain": {"schema": {"type": "string"}}}}),
    ("post", "/admin/reload"): (None, _json(JSON_OBJECT)),
    ("get", "/v1/regions"): (None, _json(JSON_ARRAY)),
    ("get", "/v1/regions/{region}"): (None, _json(JSON_OBJECT)),
    ("get", "/v1/regions/{region}/questions/{question}/facts-schema"): (None, _json(JSON_OBJECT, "a JSON Schema 2020-12")),
    ("post", "/v1/regions/{region}/questions/{question}/ask"): (
        {"required": True, "content": {"application/json": {"schema": _ref("AskRequest")}}},
        _json(_ref("Decision"), "the Decision, as Decision.to_json() gives it (docs/decision-json.md)")),
    ("post", "/v1/regions/{region}/questions/{question}/batch"): (
        {"required": True, "content": {"application/jsonl": {"schema": {"type": "string"}}},
         "description": "JSON Lines: each line {\"id\", \"facts\", \"on\"}"},
        {"description": "JSON Lines, streamed, one answer per line given (see BatchLine)",
         "content": {"application/jsonl": {"schema": {"type": "string"}}}}),
    ("get", "/v1/regions/{region}/parameters"): (None, _json(JSON_OBJECT)),
    ("get", "/v1/regions/{region}/show"): (None, _json(JSON_OBJECT)),
    ("get", "/v1/regions/{region}/articles"): (None, _json(JSON_OBJECT)),
    ("get", "/v1/compare"): (None, _json(JSON_OBJECT)),
    ("post", "/v1/compare/{question}"): (
        {"required": True, "content": {"application/json": {"schema": _ref("CompareRequest")}}}, _json(JSON_OBJECT)),
    ("get", "/v1/compare/{question}/students"): (None, _json(JSON_OBJECT, "the counter-example students "
                                                               "(xueji compare --students --format json)")),
    ("post", "/v1/uploads"): (
        {"required": True, "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                       for t in ("application/zip", "application/x-tar", "application/gzip")}},
        _json(_ref("Upload"))),
}

QUERY = {
    "on": DAY,
    "redact": {"type": "boolean"},
    "explain": {"type": "boolean"},
    "regions": {"type": "string", "pattern": r"^\s*[^,\s][^,]*(,\s*[^,\s][^,]*)+$",
                "examples": ["jiangsu,shandong,nanchang"], "description": "two or more region names, separated by commas"},
    "all": {"type": "boolean"},
    "why": {"type": "boolean", "description": "add `why`: each rule's condition parts with their values (as `xueji ask --why`)"},
}
#: query parameters a request is refused without (422), so the contract says they are required
REQUIRED_QUERY = {"regions"}
QUERIES = {
    ("post", "/v1/regions/{region}/questions/{question}/ask"): ("on", "redact", "why"),
    ("post", "/v1/regions/{region}/questions/{question}/batch"): ("on", "explain", "redact"),
    ("get", "/v1/regions/{region}/parameters"): ("on",),
    ("get", "/v1/regions/{region}/show"): ("on",),
    ("get", "/v1/compare"): ("regions", "on", "all"),
    ("post", "/v1/compare/{question}"): ("regions",),
    ("get", "/v1/compare/{question}/students"): ("regions", "on"),
}


def build_contract(app) -> dict:
    """The OpenAPI 3.1 document of ``app``."""
    svc = app.state.service
    snap = svc.store.snapshot
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                      openapi_version="3.1.0")
    regions = list(snap.policies)
    questions = sorted({q for p in snap.policies.values() for q in p.questions})
    region_schema = {"anyOf": [{"enum": regions}, {"type": "string", "pattern": "^u-[0-9a-f]{12}$"}],
                     "description": "a region name (GET /v1/regions), or an upload's id"}
    components = {}
    components.update(_shipped("facts", "Facts"))
    components.update(_shipped("decision", "Decision"))
    policy_defs = _shipped("policy", "Policy")  # only the calendar, and what it refers to
    components.update({k: v for k, v in policy_defs.items() if k != "Policy"})
    components.update({"Problem": PROBLEM, "AskRequest": ASK, "CompareRequest": COMPARE_ASK,
                       "BatchLine": BATCH_LINE, "Upload": UPLOAD})
    doc["components"] = {"schemas": components}
    problem = {"description": "a problem (RFC 9457)", "content": {"application/problem+json": {"schema": _ref("Problem")}}}
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            key = (method, path)
            body, ok = OPERATIONS.get(key, (None, _json(JSON_OBJECT)))
            op["responses"] = {"200": copy.deepcopy(ok), "default": problem}
            if body is not None:
                op["requestBody"] = copy.deepcopy(body)
            params = [p for p in op.get("parameters", []) if p.get("in") == "path"]
            for p in params:
                if p["name"] == "region":
                    p["schema"] = region_schema
                elif p["name"] == "question":
                    p["schema"] = {"type": "string", "enum": questions}
            for name in QUERIES.get(key, ()):
                params.append({"name": name, "in": "query", "required": name in REQUIRED_QUERY, "schema": QUERY[name]})
            op["parameters"] = params
            if not op["parameters"]:
                del op["parameters"]
            if svc.token is not None and path not in ("/healthz", "/readyz"):
                op["security"] = [{"bearer": []}]
    if svc.token is not None:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return doc


def _group_title(parent: str, name: str) -> dict:
    """A group's title (zh) and description (zh — en) from the vocabulary, for forms that head a group by name."""
    field = attrs.fields_dict(GROUPS[parent]).get(name) if parent in GROUPS else None
    if field is None or "zh" not in field.metadata:
        return {}
    return {"title": field.metadata["zh"], "description": f"{field.metadata['zh']} — {field.metadata['en']}"}


def question_facts(question) -> tuple:
    """The facts a question reads: its conditions' (``Question.facts``) and those its deadlines count from
    (``Deadline.facts``, as compiled: through definitions too, e.g. shandong's resumption_due_date), in vocabulary order."""
    paths = set(question.facts) | {f for rule in question.rules for d in rule.deadlines for f in d.facts}
    return tuple(p for p in FACTS if p in paths)


def question_schema(paths, title: str | None = None) -> dict:
    """A JSON Schema (2020-12) for just the facts ``paths`` (a question's ``facts``), nested as the facts are.

    Each leaf is the facts schema's own (type, range, pattern, codes) with ``x-choices``:
    code → Chinese name, for forms that offer the codes by name.
    """
    root: dict = {"type": "object", "additionalProperties": False, "properties": {}}
    for path in paths:
        spec = FACTS.get(path)
        if spec is None:
            continue
        node = root
        parts = path.split(".")
        for i, part in enumerate(parts[:-1]):
            node = node["properties"].setdefault(part, {**_group_title(".".join(parts[:i]), part), "type": "object",
                                                        "additionalProperties": False, "properties": {}})
        leaf = _leaf(spec)
        leaf["x-kind"] = spec.kind
        if spec.choices:
            leaf["x-choices"] = dict(spec.choices)
        if spec.en:
            leaf["x-en"] = spec.en
        node["properties"][parts[-1]] = leaf
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    if title:
        doc["title"] = title
    doc.update(root)
    return doc
