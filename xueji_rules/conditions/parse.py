"""Parse condition text into a small typed tree, with the position of every node.

The grammar is in ``grammar.lark``; lark gives positions and expected-token
errors, which become Diagnostics pointing into the policy file. Text from a
policy is only ever parsed, never handed to ``eval``.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from pathlib import Path

import attrs
import lark

from ..errors import Diagnostic


@attrs.frozen
class Node:
    line: int
    column: int


@attrs.frozen
class Num(Node):
    value: Fraction
    unit: str | None = None


@attrs.frozen
class Str(Node):
    value: str


@attrs.frozen
class Bool(Node):
    value: bool


@attrs.frozen
class Today(Node):
    pass


@attrs.frozen
class Name(Node):
    name: str


@attrs.frozen
class Call(Node):
    function: str
    args: tuple


@attrs.frozen
class ListOf(Node):
    items: tuple


@attrs.frozen
class Compare(Node):
    word: str  # the statute word or symbol as written
    left: Node
    right: Node


@attrs.frozen
class Logic(Node):
    op: str  # "and" | "or"
    items: tuple


@attrs.frozen
class Not(Node):
    item: Node


@attrs.frozen
class Member(Node):
    item: Node
    collection: Node
    negated: bool


@attrs.frozen
class Contains(Node):
    collection: Node
    item: Node


@attrs.frozen
class Window(Node):
    """``day 在 anchor 前后 span 以内``: |day − anchor| ≤ span."""

    item: Node
    anchor: Node
    span: Node
    word: str


@attrs.frozen
class Arith(Node):
    op: str
    left: Node
    right: Node


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
              "十": 10, "百": 100, "千": 1000}
UNIT_ALIASES = {"课时": "学时", "天": "日", "个月": "月"}


def chinese_number(text: str) -> int:
    """Read a small Chinese numeral (一 … 九十九, 一百, 两, 一千零五); KeyError for text that is not one."""
    total, current = 0, 0
    for ch in text:
        n = _CN_DIGITS[ch]
        if n >= 10:
            total += (current or 1) * n
            current = 0
        else:
            current = n
    return total + current


#: The longest number read from text, in digits before and after the point. A number written
#: as text (in a condition, or a fact given as "230") is never turned into an exact value of
#: unbounded size: "1e999999999" would take hours, 5,000 digits exceed Python's own limit.
MAX_INTEGER_DIGITS, MAX_DECIMAL_DIGITS = 15, 12
_PLAIN_NUMBER = re.compile(r"[-+]?\d{1,%d}(\.\d{1,%d})?%%?" % (MAX_INTEGER_DIGITS, MAX_DECIMAL_DIGITS))
_FRACTION = re.compile(r"[-+]?\d{1,%d}/\d{1,%d}" % (MAX_INTEGER_DIGITS, MAX_INTEGER_DIGITS))


def read_number(text: str) -> Fraction:
    """Exact value of 210, 0.05, 5%, 1/3 or 三分之一; ValueError for anything else or anything longer.

    At most MAX_INTEGER_DIGITS digits before the point and MAX_DECIMAL_DIGITS after it;
    no exponents (1e5), no infinities.
    """
    text = text.strip()
    m = re.fullmatch(r"([一二三四五六七八九十百]+)分之([一二三四五六七八九十百]+)", text)
    if m:
        return Fraction(chinese_number(m.group(2)), chinese_number(m.group(1)))
    if not (_PLAIN_NUMBER.fullmatch(text) or _FRACTION.fullmatch(text)):
        raise ValueError(f"not a number of at most {MAX_INTEGER_DIGITS} digits (and {MAX_DECIMAL_DIGITS} decimals)")
    if text.endswith("%"):
        return Fraction(text[:-1]) / 100
    return Fraction(text)


class _ToTree(lark.Transformer):
    """Builds our nodes while the LALR parser runs; positions come from the first token."""

    def or_(self, items):
        return Logic(items[0].line, items[0].column, "or", tuple(items))

    def and_(self, items):
        return Logic(items[0].line, items[0].column, "and", tuple(items))

    def not_(self, items):
        word, operand = items
        return Not(word.line, word.column, operand)

    def compare(self, items):
        left, word, right = items
        return Compare(left.line, left.column, str(word), left, right)

    def compare_post(self, items):
        left, right, word = items
        return Compare(left.line, left.column, str(word), left, right)

    def window(self, items):
        day, anchor, span, word = items
        return Window(day.line, day.column, day, anchor, span, str(word))

    def member(self, items):
        return Member(items[0].line, items[0].column, items[0], items[1], False)

    def not_member(self, items):
        return Member(items[0].line, items[0].column, items[0], items[1], True)

    def contains(self, items):
        return Contains(items[0].line, items[0].column, items[0], items[1])

    def arith(self, items):
        op = {"×": "*", "÷": "/"}.get(str(items[1]), str(items[1]))
        return Arith(items[0].line, items[0].column, op, items[0], items[2])

    def number(self, items):
        tok = items[0]
        return Num(tok.line, tok.column, read_number(str(tok)))

    def quantity(self, items):
        tok, unit = items
        u = str(unit)
        return Num(tok.line, tok.column, read_number(str(tok)), UNIT_ALIASES.get(u, u))

    def string(self, items):
        tok = items[0]
        return Str(tok.line, tok.column, str(tok)[1:-1])

    def true(self, items):
        return Bool(items[0].line, items[0].column, True)

    def false(self, items):
        return Bool(items[0].line, items[0].column, False)

    def today(self, items):
        return Today(items[0].line, items[0].column)

    def name(self, items):
        tok = items[0]
        return Name(tok.line, tok.column, str(tok))

    def call(self, items):
        tok = items[0]
        return Call(tok.line, tok.column, str(tok), tuple(a for a in items[1:] if a is not None))

    def list_(self, items):
        bracket = items[0]
        return ListOf(bracket.line, bracket.column, tuple(i for i in items[1:] if i is not None))


@functools.cache
def _parser() -> lark.Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text(encoding="utf-8")
    # The transformer runs inside the LALR parser, so no parse tree is built at all.
    return lark.Lark(grammar, parser="lalr", maybe_placeholders=True, transformer=_ToTree())


_TOKEN_NAMES = {
    "NAME": "a fact (student.stage) or parameter name",
    "NUMBER": "a number",
    "CN_FRACTION": "a number",
    "PERCENT": "a number",
    "STRING": 'a quoted value ("senior")',
    "WORD_CMP": "a comparison word (超过, 不满, 达到 …)",
    "WORD_POST": "以上/以下/以内",
    "CMP": "a comparison (== != < <= > >=)",
    "AND": "且/and",
    "_AND": "且/and",
    "_AND_CN": "且/and",
    "OR": "或/or",
    "_OR": "或/or",
    "_OR_CN": "或/or",
    "NOT": "非/not",
    "NOT_CN": "非/not",
    "TODAY_CN": "today/今天",
    "_IN": "属于/in",
    "_IN_CN": "属于/in",
    "_NOT_IN": "不属于/not in",
    "_CONTAINS": "包含/contains",
    "_CONTAINS_CN": "包含/contains",
    "ADD_OP": "+ -",
    "MUL_OP": "* /",
    "TRUE": "true",
    "FALSE": "false",
    "TODAY_W": "today/今天",
    "RPAR": "')'",
    "LPAR": "'('",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "$END": "the end of the condition",
}


def _token_name(name: str) -> str:
    """What a staff member would call a grammar terminal: a word, or the literal text."""
    if name in _TOKEN_NAMES:
        return _TOKEN_NAMES[name]
    try:
        pattern = _parser().get_terminal(name).pattern
    except KeyError:
        return name
    return f"'{pattern.value}'" if pattern.type == "str" else name


#: The most deeply a condition may nest (且/或/非, brackets, arithmetic), and the most parts it may have:
#: far beyond any regulation's sentence, well within what Python compiles (its parser stops at 200 brackets).
MAX_DEPTH, MAX_NODES = 24, 400


def parse(text: str) -> Node | Diagnostic:
    """Parse condition text; return its tree, or a Diagnostic whose line/column are inside ``text``."""
    if len(text) > 4000:
        return Diagnostic("condition_too_complex", f"the condition has {len(text)} characters; at most 4000",
                          line=1, column=1, hint="split it into named definitions (definitions.yaml)")
    try:
        tree = _parser().parse(text)
    except ValueError as exc:  # a number too long to be read exactly
        return Diagnostic("condition_number", f"cannot read a number: {exc}", line=1, column=1,
                          hint="write numbers in plain digits (210, 0.05, 5%, 1/3)")
    except lark.exceptions.UnexpectedInput as exc:
        return _syntax(text, exc)
    return _too_complex(tree) or tree


def _too_complex(tree: Node) -> Diagnostic | None:
    """A Diagnostic at the first node nested deeper than MAX_DEPTH, or when there are over MAX_NODES nodes."""
    stack, count = [(tree, 1)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH or count > MAX_NODES:
            what = f"nests more than {MAX_DEPTH} deep" if depth > MAX_DEPTH else f"has more than {MAX_NODES} parts"
            return Diagnostic("condition_too_complex", f"the condition {what}", line=node.line or 1,
                              column=node.column or 1, hint="split it into named definitions (definitions.yaml)")
        if isinstance(node, Logic):
            stack.extend((item, depth + 1) for item in node.items)
            continue
        for field in attrs.fields(type(node)):
            value = getattr(node, field.name)
            for item in (value if isinstance(value, tuple) else (value,)):
                if isinstance(item, Node):
                    stack.append((item, depth + 1))
    return None


def _syntax(text: str, exc) -> Diagnostic:
    """The Diagnostic for a syntax error: where, what was found, and what was expected."""
    expected = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or [])
    names = sorted({_token_name(e) for e in expected})
    token = getattr(exc, "token", None)
    got = f"'{token}'" if token is not None and str(token) else "the end of the text"
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        got = f"'{text[exc.pos_in_stream]}'"
    hint = ("expected " + ", ".join(names[:12])) if names else None
    line = exc.line if exc.line and exc.line > 0 else 1
    column = exc.column if exc.column and exc.column > 0 else 1
    if token is not None and getattr(token, "type", None) == "$END":
        # lark puts the end at the last token; the text really stops after it
        lines = text.split("\n")
        line, column = len(lines), len(lines[-1]) + 1
    return Diagnostic(
        "condition_syntax",
        f"cannot read the condition at {got}",
        line=line,
        column=column,
        hint=hint,
    )


_POSTFIX = {"以上", "以下", "以内"}


def to_text(node: Node) -> str:
    """Condition text for a tree, in the policy language's Chinese spelling (parentheses only where needed)."""
    if isinstance(node, Num):
        v = node.value
        number = str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
        return number + (node.unit or "")
    if isinstance(node, Str):
        return f'"{node.value}"'
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Today):
        return "今天"
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call):
        return f"{node.function}(" + ", ".join(to_text(a) for a in node.args) + ")"
    if isinstance(node, ListOf):
        return "[" + ", ".join(to_text(i) for i in node.items) + "]"
    if isinstance(node, Compare):
        if node.word in _POSTFIX:
            return f"{_operand(node.left)} 在 {_operand(node.right)} {node.word}"
        return f"{_operand(node.left)} {node.word} {_operand(node.right)}"
    if isinstance(node, Window):
        return f"{_operand(node.item)} 在 {_operand(node.anchor)} 前后 {_operand(node.span)} {node.word}"
    if isinstance(node, Member):
        return f"{_operand(node.item)} {'不属于' if node.negated else '属于'} {_operand(node.collection)}"
    if isinstance(node, Contains):
        return f"{_operand(node.collection)} 包含 {_operand(node.item)}"
    if isinstance(node, Arith):
        left, right = to_text(node.left), to_text(node.right)
        if isinstance(node.left, Arith) and node.op in "*/" and node.left.op in "+-":
            left = f"({left})"
        if isinstance(node.right, Arith) and (node.op in "*/" or node.op == "-"):
            right = f"({right})"
        return f"{left} {node.op} {right}"
    if isinstance(node, Not):
        inner = to_text(node.item)
        return f"非 ({inner})" if isinstance(node.item, (Logic, Compare, Member, Contains, Window)) else f"非 {inner}"
    if isinstance(node, Logic):
        word = " 且 " if node.op == "and" else " 或 "
        return word.join(f"({to_text(i)})" if isinstance(i, Logic) else to_text(i) for i in node.items)
    raise TypeError(type(node).__name__)


def _operand(node: Node) -> str:
    text = to_text(node)
    return f"({text})" if isinstance(node, (Logic, Not)) else text


def parts(node: Node) -> tuple:
    """The top-level conjuncts or disjuncts of a condition (itself when it is neither)."""
    return node.items if isinstance(node, Logic) else (node,)
