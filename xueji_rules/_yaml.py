"""Read YAML safely and remember where every value came from.

PyYAML composes the node tree (no object construction); we build plain values
from it ourselves so that: object tags are refused, duplicate keys are errors
naming both positions, alias expansion is bounded, and each value's line and
column are kept in a map keyed by its path in the document.
"""

from __future__ import annotations

import re

import attrs
import yaml

from .errors import Diagnostic

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}

#: libyaml's parser when PyYAML was built with it (about ten times faster), else PyYAML's own.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The most nodes one document may expand to, aliases included ("billion laughs" guard).
MAX_NODES = 200_000
#: The deepest nesting of mappings and lists a document may have.
MAX_DEPTH = 64
#: The longest text one value may hold, in characters.
MAX_STRING = 65_536
#: The largest document read, in characters (a policy file; facts and case files pass their own limit).
MAX_CHARS = 4 * 1024 * 1024

#: Numbers as YAML 1.1 would misread them: 0230 (octal), 0x10, 0b1, 1:30 (sexagesimal), 1_000,
#: .inf and .nan. Only plain decimals are numbers here; anything else is an error, never a different number.
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_PLAIN_FLOAT = re.compile(r"[-+]?(0|[1-9][0-9]*)\.[0-9]+([eE][-+]?[0-9]{1,3})?")

Path = tuple  # of str | int


def path_text(path: Path) -> str:
    """``questions.transfer.rules[3].when`` from ('questions', 'transfer', 'rules', 3, 'when')."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@attrs.frozen
class Document:
    """A YAML document's value, with the (line, column) of every path in it, 1-based."""

    file: str
    value: object
    positions: dict = attrs.field(eq=False, repr=False)
    styles: dict = attrs.field(eq=False, repr=False, factory=dict)
    #: for each multi-line scalar, (line, column, text) of its lines, to place positions inside it
    lines: dict = attrs.field(eq=False, repr=False, factory=dict)

    def where(self, path: Path) -> tuple[int | None, int | None]:
        """Position of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (None, None))

    def diagnostic(self, code: str, message: str, path: Path = (), hint: str | None = None) -> Diagnostic:
        line, col = self.where(path)
        return Diagnostic(code, message, self.file, line, col, path_text(path), hint)


class _Builder:
    def __init__(self, file: str, constructor: yaml.constructor.SafeConstructor, text: str = ""):
        self.text = text
        self.file = file
        self.constructor = constructor
        self.positions: dict = {}
        self.styles: dict = {}
        self.lines: dict = {}
        self.errors: list[Diagnostic] = []
        self.count = 0

    def _diag(self, code, message, node, path, hint=None):
        m = node.start_mark
        self.errors.append(Diagnostic(code, message, self.file, m.line + 1, m.column + 1, path_text(path), hint))

    def build(self, node, path: Path):
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig()
        if len(path) > MAX_DEPTH:
            raise _TooDeep(node)
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag not in _PLAIN_TAGS:
            self._diag(
                "yaml_tag",
                f"the tag {node.tag!r} is not allowed in a policy file",
                node,
                path,
                "write plain values: text, numbers, dates, lists and mappings",
            )
            return None
        if isinstance(node, yaml.MappingNode):
            out: dict = {}
            seen: dict = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self._diag("yaml_key", "a key must be plain text", key_node, path)
                    continue
                # a key is the text as written: YAML 1.1 would read `on:` as true and `2025-01-01:` as a date
                key = key_node.value
                if key in seen:
                    first = seen[key]
                    self._diag(
                        "duplicate_key",
                        f"the key {key!r} appears twice: first at line {first[0]}, column {first[1]}, "
                        f"again at line {key_node.start_mark.line + 1}, column {key_node.start_mark.column + 1}",
                        key_node,
                        path + (key,),
                        "keep one of them; a YAML mapping may not repeat a key",
                    )
                    continue
                seen[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        self.styles[path] = node.style
        if node.start_mark.line != node.end_mark.line:
            self.lines[path] = _scalar_lines(node, self.text)
        return self.scalar(node, path)

    def scalar(self, node, path: Path):
        if len(node.value) > MAX_STRING:
            self._diag("yaml_too_big", f"a value of {len(node.value)} characters is longer than {MAX_STRING}", node, path,
                       "keep each value under the limit; long texts belong in the regulation's source file")
            return None
        if node.tag == "tag:yaml.org,2002:str" and _SURROGATE.search(node.value):
            return self.joined(node, path)
        if node.tag == "tag:yaml.org,2002:int" and not _PLAIN_INT.fullmatch(node.value):
            # the value itself is not repeated: in a facts file it is personal data
            self._diag("yaml_number", f"this number is written {_number_form(node.value)}; YAML 1.1 would read it as "
                       "a different number", node, path,
                       "write it in plain decimals (230, not 0230), or quote it to keep it as text ('0230')")
            return None
        if node.tag == "tag:yaml.org,2002:float" and not _PLAIN_FLOAT.fullmatch(node.value):
            self._diag("yaml_number", f"this number is written {_number_form(node.value)}, which is not a plain decimal",
                       node, path, "write a decimal like 0.5, or a fraction as text like '1/3'; .inf and .nan are not numbers")
            return None
        # An impossible date (2025-02-30) looks like a timestamp to YAML's resolver,
        # but building it raises; keep the text so that the schema or the facts
        # reader reports it at its position instead of crashing.
        if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            # dates stay text as written (YYYY-MM-DD); the readers turn them into dates, strictly
            return node.value
        try:
            return self.constructor.construct_object(node)
        except (ValueError, OverflowError, yaml.constructor.ConstructorError):
            if node.tag == "tag:yaml.org,2002:timestamp":
                return node.value
            self._diag("yaml_value", f"cannot read this value ({len(node.value)} characters) as {node.tag.rsplit(':', 1)[-1]}", node, path)
            return None


    def joined(self, node, path: Path):
        """Text with JSON's surrogate-pair escapes (\\ud83d\\ude00) made one character; a lone half is an error."""
        try:
            return node.value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            self._diag("yaml_value", "the text holds half of a surrogate pair (\\ud800–\\udfff) on its own", node, path,
                       "write the character itself, or both halves of its pair")
            return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _number_form(text: str) -> str:
    """How a number that is not a plain decimal is written, in words (never the number itself)."""
    t = text.lstrip("+-")
    if t[:2].lower() == "0x":
        return "in hexadecimal (0x…)"
    if t[:2].lower() == "0b":
        return "in binary (0b…)"
    if ":" in t:
        return "with colons (YAML 1.1 reads 12:30 as 750)"
    if "_" in t:
        return "with underscores"
    if t.lower() in (".inf", ".nan"):
        return "as infinity or not-a-number"
    if t[:1] == "0" and len(t) > 1:
        return "with a leading zero (YAML 1.1 reads 017 as octal, 15)"
    return "in a form YAML 1.1 reads differently"


def _scalar_lines(node, source: str) -> list:
    """(line, column, text) of each non-blank source line of a multi-line scalar, 1-based.

    YAML folds such a value (``>-``, or a plain or quoted scalar over several lines)
    into one line of text; these let a position in the value be put back on its line.
    """
    start, end = node.start_mark, node.end_mark
    out = []
    quote = node.style if node.style in ("'", '"') else None
    for i, piece in enumerate(source[start.index:end.index].split("\n")):
        text = piece.lstrip(" ")
        col = (start.column if i == 0 else 0) + len(piece) - len(text)
        if i == 0 and quote and text.startswith(quote):
            text, col = text[1:], col + 1
        text = text.rstrip()
        if quote and text.endswith(quote):
            text = text[:-1]
        if text:
            out.append((start.line + i + 1, col + 1, text))
    return out


class _TooBig(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, node=None):
        self.node = node


def _compose(text: str):
    """The node tree; text with JSON's \\u surrogate escapes, which libyaml refuses, goes to PyYAML's own reader."""
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        if _LOADER is yaml.SafeLoader or "escape code" not in str(exc.problem or ""):
            raise
        return yaml.compose(text, Loader=yaml.SafeLoader)


def load_text(text: str, file: str, max_chars: int = MAX_CHARS) -> tuple[Document | None, list[Diagnostic]]:
    """Read one YAML (or JSON) document; return it and the problems found (a Document is None if unreadable).

    Limits, each refused with ``yaml_too_big`` before any value is built: ``max_chars``
    characters, MAX_NODES values (aliases expanded), MAX_DEPTH levels, MAX_STRING
    characters in one value. JSON is read by the same reader, with the same checks
    (duplicate keys, positions); tabs between its tokens are read as spaces.
    """
    if len(text) > max_chars:
        return None, [Diagnostic("yaml_too_big", f"the document has {len(text)} characters, more than the limit of {max_chars}",
                                 file, hint="split it, or check that it is the file you meant")]
    if "\t" in text and text.lstrip()[:1] in ("{", "[") and _is_json(text):
        text = text.replace("\t", " ")  # JSON may put tabs between tokens, never inside its strings
    try:
        node = _compose(text)
    except RecursionError:
        return None, [_too_deep(file, None)]
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem or ""):  # libyaml's own limit
            mark = exc.problem_mark
            return None, [Diagnostic("yaml_too_big", f"the document nests mappings and lists more than {MAX_DEPTH} deep",
                                     file, mark.line + 1 if mark else None, mark.column + 1 if mark else None,
                                     hint="facts and policies are a few levels deep; check that this is the file you meant")]
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = exc.problem or str(exc)
        return None, [
            Diagnostic(
                "yaml_syntax",
                f"not valid YAML: {problem}",
                file,
                line,
                col,
                hint="check indentation, and quote text that contains ': ' or starts with [ { * & ! | > % @",
            )
        ]
    except yaml.YAMLError as exc:
        return None, [Diagnostic("yaml_syntax", f"not valid YAML: {exc}", file)]
    if node is None:
        return Document(file, None, {(): (1, 1)}), []
    builder = _Builder(file, yaml.constructor.SafeConstructor(), text)
    try:
        value = builder.build(node, ())
    except (_TooDeep, RecursionError) as exc:
        return None, [_too_deep(file, getattr(exc, "node", None))]
    except _TooBig:
        return None, [
            Diagnostic(
                "yaml_too_big",
                f"the document expands to more than {MAX_NODES} values (aliases?)",
                file,
                hint="write the values out instead of repeating anchors",
            )
        ]
    return Document(file, value, builder.positions, builder.styles, builder.lines), builder.errors


def _is_json(text: str) -> bool:
    import json

    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _too_deep(file: str, node) -> Diagnostic:
    line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node is not None else (None, None)
    return Diagnostic("yaml_too_big", f"the document nests mappings and lists more than {MAX_DEPTH} deep", file, line, col,
                      hint="facts and policies are a few levels deep; check that this is the file you meant")


def load_file(path) -> tuple[Document | None, list[Diagnostic]]:
    """Read a YAML file as UTF-8; see :func:`load_text`."""
    try:
        text = open(path, encoding="utf-8").read()
    except UnicodeDecodeError as exc:
        return None, [Diagnostic("file_encoding", f"not UTF-8 text: {exc.reason}", str(path))]
    except OSError as exc:
        return None, [Diagnostic("file_unreadable", f"cannot read the file: {exc.strerror}", str(path))]
    return load_text(text, str(path))
