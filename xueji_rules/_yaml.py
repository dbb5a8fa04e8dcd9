"""Read YAML safely and remember where every value came from.

PyYAML composes the node tree (no object construction); we build plain values
from it ourselves so that: object tags are refused, duplicate keys are errors
naming both positions, alias expansion is bounded, and each value's line and
column are kept in a map keyed by its path in the document.
"""

from __future__ import annotations

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
            self._diag("yaml_value", f"cannot read the value {node.value!r}", node, path)
            return None


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


def load_text(text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Read one YAML document; return it and the problems found (a Document is None if unreadable)."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
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


def load_file(path) -> tuple[Document | None, list[Diagnostic]]:
    """Read a YAML file as UTF-8; see :func:`load_text`."""
    try:
        text = open(path, encoding="utf-8").read()
    except UnicodeDecodeError as exc:
        return None, [Diagnostic("file_encoding", f"not UTF-8 text: {exc.reason}", str(path))]
    except OSError as exc:
        return None, [Diagnostic("file_unreadable", f"cannot read the file: {exc.strerror}", str(path))]
    return load_text(text, str(path))
