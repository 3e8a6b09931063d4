"""What a graph file can hold: the one value check that load, save, paste and parameter edits share.

A value can be held when JSON can write it and :func:`graphlab.io.load` can read it back:

* numbers within float range and finite (``1e999`` parses as inf; an integer of 400 digits
  cannot become a float);
* text that is valid Unicode, keys included (a lone surrogate such as ``"\\ud83d"`` cannot be
  encoded as UTF-8, so a graph holding one could never be saved);
* nesting at most :data:`MAX_DEPTH` levels deep, counted from the top of the file: a node's
  parameter value sits at depth :data:`PARAM_DEPTH`.

:func:`value_problem` says what is wrong and where (``params.shape[0]: the number is out of
range …``), or None. ``graphlab.io.load`` refuses a file with it, ``graphlab.io.save`` refuses to
write such a graph (the file on disk stays as it was), and the editor's controller refuses a paste
or a parameter edit with it before anything changes, so nothing the editor saves is unopenable.

Canvas positions: finite numbers; a coordinate beyond ±:data:`MAX_COORD` is clamped to it where a
position enters the model (a file being read, a paste), so a far-away node cannot make the canvas
sample millions of points.
"""
from __future__ import annotations

import math
from typing import Any

from ..core.text import FLOAT_MAX, quote

#: containers nested deeper than this, counted from the top of a graph file, are refused
MAX_DEPTH = 64
#: depth of a node entry (document → "nodes" list → node) and of a parameter's value (→ "params" → value)
NODE_DEPTH = 2
PARAM_DEPTH = 4
#: the largest canvas coordinate (scene units); a position beyond it is clamped to it
MAX_COORD = 1e6

OUT_OF_RANGE = "the number is out of range (numbers in a graph file stay within ±1.8e308)"


class _BadValue(Exception):
    """Raised deep in :func:`_walk`; each level adds its key on the way out (paths cost nothing
    until something is wrong)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.parts: list[str] = []


def value_problem(value: Any, depth: int = 0, name: str = "") -> str | None:
    """Why ``value`` cannot be written to a graph file and read back, or None when it can.

    ``depth`` is where the value will sit in the file (0: the document itself; a parameter's value:
    :data:`PARAM_DEPTH`). The answer is one line, ``path: message``, the path relative to
    ``value`` and prefixed with ``name`` (``params.shape[0]``), or ``name: message`` when the value
    itself is wrong (just the message without a name)."""
    try:
        problem = _bad_scalar(value)
        if problem:
            raise _BadValue(problem)
        _walk(value, depth)
    except _BadValue as e:
        rel = "".join(reversed(e.parts)).lstrip(".")
        where = name + ("." if name and rel and not rel.startswith("[") else "") + rel
        return f"{where}: {e.args[0]}" if where else e.args[0]
    except RecursionError:  # deeper than the interpreter can walk: far beyond MAX_DEPTH
        return f"{name + ': ' if name else ''}nests more than {MAX_DEPTH} levels deep"
    return None


def clamp_coord(v: float) -> float:
    """A finite canvas coordinate, clamped to ±MAX_COORD."""
    return MAX_COORD if v > MAX_COORD else -MAX_COORD if v < -MAX_COORD else v


def position(raw: Any) -> tuple[float, float] | None:
    """``[x, y]`` of finite numbers (not strings, not true/false) as a clamped position, else None."""
    if not isinstance(raw, (list, tuple)) or len(raw) != 2:
        return None
    out = []
    for v in raw:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        if isinstance(v, int) and not -FLOAT_MAX <= v <= FLOAT_MAX:
            return None
        f = float(v)
        if not math.isfinite(f):
            return None
        out.append(clamp_coord(f))
    return out[0], out[1]


def _bad_scalar(v: Any) -> str | None:
    t = type(v)
    if t is str:
        if not v.isascii():
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return "the text is not valid Unicode"
    elif t is int:
        if not -FLOAT_MAX <= v <= FLOAT_MAX:
            return OUT_OF_RANGE
    elif t is float:
        if v - v != 0.0:  # inf or nan
            return OUT_OF_RANGE
    elif t is not bool and v is not None and t not in (dict, list, tuple):
        return f"a {t.__name__} cannot be written to a graph file"
    return None


def _walk(v: Any, depth: int) -> None:
    """Check one container's keys and values (recursion is bounded by MAX_DEPTH)."""
    t = type(v)
    if t is dict:
        items: Any = v.items()
    elif t is list or t is tuple:
        items = enumerate(v)
    else:
        return
    if depth >= MAX_DEPTH and v:
        raise _BadValue(f"nests more than {MAX_DEPTH} levels deep")
    for k, x in items:
        if type(k) is not int and (type(k) is not str or not k.isascii()):
            if type(k) is not str:
                e = _BadValue(f"a key must be text, got {quote(k)}")
                raise e
            if _bad_scalar(k):  # checked whatever the value is: a container's key too
                raise _BadValue(f"the key {quote(k)} is not valid Unicode text")
        tx = type(x)
        if tx is dict or tx is list or tx is tuple:
            try:
                _walk(x, depth + 1)
            except _BadValue as e:
                e.parts.append(_step(k))
                raise
            continue
        if tx is str:
            if x.isascii():
                continue
        elif tx is int:
            if -FLOAT_MAX <= x <= FLOAT_MAX:
                continue
        elif tx is float:
            if x - x == 0.0:
                continue
        elif tx is bool or x is None:
            continue
        problem = _bad_scalar(x)
        if problem:
            bad = _BadValue(problem)
            bad.parts.append(_step(k))
            raise bad


def _step(key: Any) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    return "." + (key if key.isidentifier() else quote(key))
