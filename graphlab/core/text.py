"""User text inside messages: always one line, always readable.

Every message that embeds something a user (or a file) wrote — an id, a type name, a parameter
name or value — passes it through :func:`quote` or :func:`show_value`. They escape newlines and
other control or invisible characters the way Python's ``repr`` does, shorten very long text, and
never fail (an integer too long to print becomes "a 401-digit integer"), so a message stays a
single line whatever the input.
"""
from __future__ import annotations

import math
import sys
from typing import Any

MAX_SHOWN = 60
#: the largest finite float; an int beyond it cannot become a float
FLOAT_MAX = sys.float_info.max
#: integers with more digits than this are described, not printed
MAX_DIGITS = 40


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def quote(text: Any, limit: int = MAX_SHOWN) -> str:
    """``'text'`` for a name as users read it; control characters escaped, long text shortened."""
    if not isinstance(text, str):
        return show_value(text, limit)
    if text.isprintable() and "'" not in text and "\\" not in text:
        return "'" + _cut(text, limit - 2) + "'"
    return _cut(repr(text), limit)


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` unchanged when it is printable, else with its escapes as ``repr`` writes them (no
    quotes); shortened to ``limit`` characters when one is given."""
    line = text if text.isprintable() else repr(text)[1:-1]
    return line if limit is None else _cut(line, limit)


def error_line(e: BaseException, limit: int | None = 200, *, with_type: bool = False) -> str:
    """An exception as one line for a message: the first non-empty line of its text (escaped as
    :func:`one_line` does, shortened to ``limit``), or its type's name when it has no text;
    ``with_type`` prefixes the type name (``KeyError: 'exp_avg_sq'``)."""
    try:
        text = str(e)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the error being reported
        text = ""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return type(e).__name__
    first = one_line(first, limit)
    return f"{type(e).__name__}: {first}" if with_type else first


def show_value(value: Any, limit: int = MAX_SHOWN) -> str:
    """A value from a file as one short line: strings quoted, huge integers described."""
    if isinstance(value, str):
        return quote(value, limit)
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > MAX_DIGITS * 3.33:
            digits = int(value.bit_length() * math.log10(2)) + 1
            return f"a{'' if value > 0 else ' negative'} {digits}-digit integer"
        return str(value)
    try:
        text = repr(value)
    except Exception:  # e.g. a list holding an integer too long to print
        return f"a {type(value).__name__}"
    return _cut(text.replace("\n", "\\n"), limit)


def fmt_count(n: int) -> str:
    """A count as people read it: ``1,234,567``; from 10^18 on ``5.0e+308`` (a layer of 10^300 units
    is counted exactly, and printing its 300 digits helps nobody). Exact for any int, never raises."""
    n = int(n)
    if abs(n) < 10 ** 18:
        return f"{n:,}"
    sign, n = ("-" if n < 0 else ""), abs(n)
    digits = str(n) if n.bit_length() < 10_000 else None
    if digits is None:  # beyond str()'s digit limit: describe it
        return show_value(n if not sign else -n)
    return f"{sign}{digits[0]}.{digits[1]}e+{len(digits) - 1}"


def finite_number(value: Any) -> bool:
    """True for an int or float that fits a float and is finite (huge ints and inf/nan are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return -FLOAT_MAX <= value <= FLOAT_MAX
    return math.isfinite(value)
