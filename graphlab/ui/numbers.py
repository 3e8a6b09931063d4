"""How the editor writes a number for people: one function, :func:`fmt`, for every readout.

Used by the view widgets (plots' readouts, tables, axis ticks), the stepper's dock, badges and edge
captions. It imports nothing heavy (no numpy, no Qt), so the stepper's worker thread and the editor
at start-up can use it.

Rules: ``None`` is a dash; integers — Python or numpy, and floats holding a whole number below a
million — are written in full with thousands separators ("12,345", "−4"); other numbers get
``digits`` significant digits ("0.0001235", "3.142e+07"); NaN and ±inf are spelled out; the minus
sign is the real one (U+2212).
"""
from __future__ import annotations

import math
from numbers import Integral, Real

MINUS = "\u2212"


def fmt(v: Real | None, digits: int = 4) -> str:
    """A number for a readout (see the module docstring for the rules)."""
    if v is None:
        return "–"
    if isinstance(v, Integral):  # bool, int, numpy integers
        return f"{int(v):,}".replace("-", MINUS)
    f = float(v)
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+inf" if f > 0 else MINUS + "inf"
    if f == int(f) and abs(f) < 1e6:
        return f"{int(f):,}".replace("-", MINUS)
    return f"{f:.{digits}g}".replace("-", MINUS)
