"""Display width of text in a terminal, and tables padded by it.

A Chinese character (East Asian Wide or Fullwidth) takes two columns, a combining
mark or a zero-width character none. East Asian *Ambiguous* characters (``Ⅱ``,
``①``, ``…``, ``“”``) take one column in most terminals and two in terminals set to
treat them as wide (common with CJK locales): ``XUEJI_AMBIGUOUS_WIDTH=2`` says so.
"""

from __future__ import annotations

import os
import unicodedata


def _ambiguous() -> int:
    return 2 if os.environ.get("XUEJI_AMBIGUOUS_WIDTH", "1").strip() == "2" else 1


def char_width(ch: str, ambiguous: int = 1) -> int:
    if ch in "\u200b\u200c\u200d\u2060\ufeff":
        return 0
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf") or unicodedata.combining(ch):
        return 0
    if cat == "Cc":
        return 0
    eaw = unicodedata.east_asian_width(ch)
    if eaw in ("W", "F"):
        return 2
    if eaw == "A":
        return ambiguous
    return 1


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (a Chinese character is two)."""
    amb = _ambiguous()
    if text.isascii():
        return sum(1 for ch in text if ch >= " " and ch != "\x7f")
    return sum(char_width(ch, amb) for ch in text)


def pad(text: str, width: int) -> str:
    """``text`` followed by spaces up to ``width`` display columns."""
    return text + " " * max(0, width - display_width(text))


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` display columns: breaks at spaces or between Chinese characters,
    and inside a word only when the word alone is longer than the line."""
    amb = _ambiguous()

    def w_of(s: str) -> int:
        return sum(char_width(c, amb) for c in s)

    out: list[str] = []
    for para in str(text).split("\n"):
        line, used = "", 0
        for tok in _tokens(para):
            w = w_of(tok)
            if used + w > width and line.strip():
                out.append(line.rstrip())
                tok = tok.lstrip()
                w, line, used = w_of(tok), "", 0
            while w > width:  # a word longer than the line: cut it by width
                cut, cw = "", 0
                for c in tok:
                    x = char_width(c, amb)
                    if cw + x > width and cut:
                        break
                    cut, cw = cut + c, cw + x
                out.append(cut)
                tok, w = tok[len(cut):], w - cw
            line, used = line + tok, used + w
        out.append(line.rstrip())
    return out or [""]


_CLOSING = set("」』）》〉】〕，。、；：！？”’),.;:!?")


def _tokens(text: str) -> list[str]:
    """Words with their leading space; every CJK character is a word of its own (it may break anywhere)."""
    tokens: list[str] = []
    cur = ""
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        if ch in _CLOSING and (cur or tokens):  # never start a line with closing punctuation
            if cur:
                cur += ch
            else:
                tokens[-1] += ch
            continue
        if ch == " " or wide:
            if cur:
                tokens.append(cur)
            cur = ch if ch == " " else ""
            if wide:
                tokens.append(ch)
            continue
        cur += ch
    if cur:
        tokens.append(cur)
    # glue a lone space to the token after it
    glued: list[str] = []
    for t in tokens:
        if glued and glued[-1].strip() == "" and glued[-1]:
            glued[-1] += t
        else:
            glued.append(t)
    return glued


def table(headers: list[str], rows: list[list[str]], max_width=None, rule: bool = True) -> str:
    """Columns padded by display width; a cell may hold several lines (``\\n``), and with
    ``max_width`` (one number, or one per column, None for no limit) a longer cell is
    wrapped to that many columns."""
    limits = list(max_width) if isinstance(max_width, (list, tuple)) else [max_width] * len(headers)

    def lines_of(cell, c) -> list[str]:
        text = "" if cell is None else str(cell)
        if limits[c]:
            return [piece for part in text.split("\n") for piece in wrap(part, limits[c])]
        return text.split("\n")

    grid = [[lines_of(x, c) for c, x in enumerate(headers)]] + [[lines_of(x, c) for c, x in enumerate(r)] for r in rows]
    ncols = len(headers)
    widths = [max(display_width(line) for row in grid for line in row[c]) for c in range(ncols)]
    out = []
    for i, row in enumerate(grid):
        height = max(len(cell) for cell in row)
        for k in range(height):
            cells = [pad(row[c][k] if k < len(row[c]) else "", widths[c]) for c in range(ncols)]
            out.append("  ".join(cells).rstrip())
        if i == 0 and rule:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
