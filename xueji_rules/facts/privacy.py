"""Whether error messages may show fact values: by default they never do.

A student's facts are personal data (个人信息保护法). An error about a fact names its
path, what was expected, and the kind and size of what was given ("text of 23
characters"), never the value itself. The person debugging their own file can ask to
see values, in one of two ways, both read when the error is made:

* the environment variable ``XUEJI_SHOW_VALUES=1`` (``1``, ``true`` or ``yes``), for the
  command line and for scripts;
* :func:`show_values` in code, a context manager over a context variable, so one thread
  or one asyncio task showing values never makes another show them::

      with xueji_rules.show_values():
          xr.ask("jiangsu", "suspension", facts)   # errors now quote the values

  ``show_values(False)`` hides values even when the environment variable is set (a
  service answering many callers would use it).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import math
import os
from decimal import Decimal
from fractions import Fraction
from typing import Any, Iterator, Mapping

#: The environment variable that shows fact values in error messages.
ENV = "XUEJI_SHOW_VALUES"
_TRUE = ("1", "true", "yes")
_SHOW: contextvars.ContextVar[bool | None] = contextvars.ContextVar("xueji_show_values", default=None)
#: Shown values are cut to this many characters.
SHOWN_CHARS = 80


def values_shown() -> bool:
    """Whether errors made now may quote fact values: :func:`show_values` if in effect, else the environment."""
    chosen = _SHOW.get()
    if chosen is not None:
        return chosen
    return os.environ.get(ENV, "").strip().lower() in _TRUE


@contextlib.contextmanager
def show_values(on: bool = True) -> Iterator[None]:
    """Within the block (this thread or task only), errors quote fact values (``on=False``: never)."""
    token = _SHOW.set(bool(on))
    try:
        yield
    finally:
        _SHOW.reset(token)


def kind_of(value: Any) -> str:
    """What a value is, without what it says: ``text of 23 characters``, ``a whole number of 3 digits``."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return f"a whole number of {_digits(value)}"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN (not a number)"
        return "an infinite number" if math.isinf(value) else "a decimal number (float)"
    if isinstance(value, Decimal):
        if value.is_nan():
            return "a NaN Decimal (not a number)"
        return "an infinite Decimal" if value.is_infinite() else f"a Decimal of {_plural(len(value.as_tuple().digits), 'digit')}"
    if isinstance(value, Fraction):
        return "a fraction"
    if isinstance(value, str):
        return f"text of {_plural(len(value), 'character')}"
    if isinstance(value, _dt.datetime):
        return "a date-time"
    if isinstance(value, _dt.date):
        return "a date"
    if isinstance(value, Mapping):
        return f"a mapping of {_plural(len(value), 'key')}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return f"a list of {_plural(len(value), 'item')}"
    return f"a value of type {type(value).__name__}"


def shown(value: Any) -> str:
    """The value itself when values are shown (cut to SHOWN_CHARS), else only :func:`kind_of` it."""
    if not values_shown():
        return kind_of(value)
    try:
        text = repr(value) if not isinstance(value, int) or value.bit_length() <= 64 else f"<{kind_of(value)}>"
    except Exception:  # a value whose repr fails is described instead
        return kind_of(value)
    text = printable(text)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def printable(text: str) -> str:
    """Text safe to print: control characters and lone surrogates escaped (\\x07, \\ud83d)."""
    if text.isprintable():
        return text
    out = []
    for c in text:
        if c.isprintable():
            out.append(c)
        elif 0xD800 <= ord(c) <= 0xDFFF:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def _digits(n: int) -> str:
    bits = abs(n).bit_length()
    if bits <= 64:
        return _plural(len(str(abs(n))), "digit")
    return f"about {int(bits * 0.30103) + 1} digits"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
