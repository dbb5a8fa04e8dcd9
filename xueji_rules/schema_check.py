"""Check one policy file against the policy JSON Schema, in words for policy staff.

Each jsonschema error becomes a Diagnostic with a stable code (``unknown_key``
with "did you mean", ``missing_key``, ``missing_citation``, ``bad_value`` …)
at the file position of its path.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import jsonschema

from . import _yaml
from .errors import Diagnostic, did_you_mean


@functools.cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.files("xueji_rules").joinpath("schema/policy.schema.json").read_text("utf-8"))
    # Resolving "$ref" is a large share of jsonschema's time on a policy; the schema
    # has no recursive definitions, so its references are replaced by what they name.
    return jsonschema.Draft202012Validator(_inline_refs(schema, schema["$defs"]), format_checker=jsonschema.FormatChecker())


def _inline_refs(node, defs: dict):
    if isinstance(node, dict):
        if set(node) == {"$ref"} and node["$ref"].startswith("#/$defs/"):
            return _inline_refs(defs[node["$ref"].rsplit("/", 1)[1]], defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


def _schema_message(err: jsonschema.ValidationError) -> tuple[str, str, str | None]:
    """(code, message, hint) for one schema error, in words for policy staff."""
    v = err.validator
    if v == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in err.schema.get("properties", {})]
        word = extra[0] if extra else "?"
        if any(ch in str(word) for ch in "()[]\"'"):
            return ("unknown_key", f"'{word}' is not a key here",
                    "inside { … } a comma separates keys, so a condition with a comma was cut in two: "
                    "put the condition in quotes, e.g. date: \"next_weekday(today, 3)\"")
        hint = did_you_mean(word, allowed) or ""
        return "unknown_key", f"'{word}' is not a key here", (hint + " allowed keys: " + ", ".join(allowed)).strip()
    if v == "required":
        missing = [k for k in err.validator_value if k not in err.instance]
        if "article" in missing:
            return ("missing_citation", "every rule and parameter must cite the article it encodes",
                    "add `article: 第…条` (declared under `articles:`) and `quote:` with the article's words")
        return ("missing_key", f"'{missing[0] if missing else '?'}' is required here",
                "required keys: " + ", ".join(err.validator_value))
    if v == "enum":
        return "bad_value", f"{err.instance!r} is not allowed here", "write one of: " + ", ".join(map(str, err.validator_value))
    if v == "propertyNames" or (v == "pattern" and "propertyNames" in err.schema_path
                                and err.validator_value == "^[a-z][a-z0-9_]*$"):
        # jsonschema reports a bad id (a question, parameter … name) as a pattern error under propertyNames
        return "bad_name", f"{err.instance!r} is not a valid name here", "names are ASCII snake_case, e.g. compulsory_class_hours"
    if v == "pattern":
        return "bad_value", f"{err.instance!r} has the wrong form", err.schema.get("description") or f"it must match {err.validator_value}"
    if v == "format":
        return "bad_value", f"{err.instance!r} is not a valid {err.validator_value}", "write dates as YYYY-MM-DD, e.g. 2025-03-01"
    if v == "type":
        return "bad_type", f"{err.instance!r} should be {err.validator_value}", None
    if v in ("oneOf", "anyOf"):
        return "bad_value", "this value has none of the accepted forms", err.schema.get("description")
    return "schema", err.message, None


def _schema_errors(doc: _yaml.Document) -> list[Diagnostic]:
    out = []
    # the YAML reader leaves only JSON's kinds of values (dates stay text), so no conversion is needed
    for err in _schema_validator().iter_errors(doc.value):
        # descend into anyOf/oneOf to the most specific error
        best = jsonschema.exceptions.best_match([err]) if err.context else err
        path = tuple(best.absolute_path)
        if "propertyNames" in best.schema_path:
            # jsonschema reports a bad key at its mapping; point at the key itself
            path = path + (best.instance,)
        code, message, hint = _schema_message(best)
        if best.validator == "additionalProperties":
            extra = [k for k in best.instance if k not in best.schema.get("properties", {})]
            if extra:
                path = path + (extra[0],)
        out.append(doc.diagnostic(code, message, path, hint))
    return out


