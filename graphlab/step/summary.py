"""Cheap, plain-data views of a tensor for the stepper's readers (the CLI, the editor's dock).

* :func:`summarize` — shape, mean, std, min, max, L2 norm and the count of non-finite entries, as
  Python floats (statistics over the finite entries only, so one NaN does not hide the rest).
* :func:`histogram` — counts in ``bins`` equal bins over ``[lo, hi]`` (the finite range unless
  given, so a UI can fix the range across steps), plus underflow, overflow and non-finite counts.
* :func:`preview` — at most :data:`PREVIEW_LIMIT` values, flattened in C order, with the shape, so a
  table of numbers never holds more than 64 cells.

Each costs a few reductions over the tensor (no copies beyond a float cast of integer data) and
returns plain Python data: safe to hand to another thread and to ``json.dumps``.
"""
from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass
from typing import Any

import torch

#: the most values :func:`preview` returns
PREVIEW_LIMIT = 64
#: default bin count of :func:`histogram`
HISTOGRAM_BINS = 32


@dataclass(frozen=True)
class TensorSummary:
    shape: tuple[int, ...]
    numel: int
    mean: float
    std: float
    min: float
    max: float
    norm: float
    nonfinite: int

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["shape"] = list(self.shape)
        return {k: (json_float(v) if isinstance(v, float) else v) for k, v in d.items()}


@dataclass(frozen=True)
class Histogram:
    edges: list[float]  # bins + 1 edges, equal widths
    counts: list[int]
    underflow: int  # finite values below edges[0]
    overflow: int  # finite values above edges[-1]
    nonfinite: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Preview:
    shape: tuple[int, ...]
    values: list[float]  # the first min(numel, PREVIEW_LIMIT) values in C order
    truncated: bool  # True when the tensor has more elements than ``values``

    def to_json(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "values": [json_float(v) for v in self.values],
                "truncated": self.truncated}


def json_float(v: float) -> float | None:
    """JSON has no NaN/inf: they become null (``graphlab step --json`` and ``gradcheck --json`` alike;
    a summary's ``nonfinite`` counts such entries)."""
    return v if math.isfinite(v) else None


def _float(t: torch.Tensor) -> torch.Tensor:
    return t if t.is_floating_point() else t.to(torch.float64 if t.dtype == torch.int64 else torch.float32)


def summarize(t: torch.Tensor) -> TensorSummary:
    t = _float(t.detach())
    n = t.numel()
    shape = tuple(t.shape)
    if n == 0:
        return TensorSummary(shape, 0, math.nan, math.nan, math.nan, math.nan, 0.0, 0)
    finite = torch.isfinite(t)
    bad = n - int(finite.sum())
    v = t if bad == 0 else t[finite]
    if v.numel() == 0:
        return TensorSummary(shape, n, math.nan, math.nan, math.nan, math.nan, math.nan, bad)
    mean = float(v.mean())
    std = float(v.std()) if v.numel() > 1 else 0.0
    return TensorSummary(shape, n, mean, std, float(v.min()), float(v.max()),
                         float(torch.linalg.vector_norm(t)) if bad else float(torch.linalg.vector_norm(v)), bad)


def histogram(t: torch.Tensor, bins: int = HISTOGRAM_BINS, lo: float | None = None,
              hi: float | None = None) -> Histogram:
    """Fixed-bin histogram. Without ``lo``/``hi`` the range is the finite min..max (a constant tensor
    gets a unit-wide range around its value); an infinite or NaN ``lo``/``hi`` means the largest
    finite float. A range wider than float64 can hold (-1e308..1e308) is binned on values scaled by
    a power of two, so edges and counts stay finite and exact."""
    t = _float(t.detach()).reshape(-1)
    finite = torch.isfinite(t)
    v = t[finite].double()
    bad = t.numel() - v.numel()
    lo = _finite_bound(lo, -1.0)
    hi = _finite_bound(hi, 1.0)
    if lo is None or hi is None:
        if v.numel():
            vmin, vmax = float(v.min()), float(v.max())
        else:
            vmin, vmax = 0.0, 0.0
        lo = vmin if lo is None else lo
        hi = vmax if hi is None else hi
    if not hi > lo:
        lo, hi = lo - 0.5, lo + 0.5
        if not hi > lo:  # lo beyond 2**53: ±0.5 is lost to rounding
            lo, hi = lo - abs(lo) * 1e-9, lo + abs(lo) * 1e-9
    under = int((v < lo).sum())
    over = int((v > hi).sum())
    inside = v[(v >= lo) & (v <= hi)]
    # histc computes (x - lo) · bins / (hi - lo): past ~1e308 that overflows, so bin values scaled into
    # (-1, 1) by a power of two (exact)
    scale = 1.0 if math.isfinite((hi - lo) * bins) else math.ldexp(1.0, -math.frexp(max(abs(lo), abs(hi)))[1])
    counts = (torch.histc(inside * scale, bins=bins, min=lo * scale, max=hi * scale) if inside.numel()
              else torch.zeros(bins))
    edges = [lo * (1 - i / bins) + hi * (i / bins) for i in range(bins)] + [hi]  # no width = hi - lo: it may overflow
    return Histogram(edges, [int(c) for c in counts.tolist()], under, over, bad)


def _finite_bound(value: float | None, sign: float) -> float | None:
    """A histogram bound as given, None for NaN (not given), ±the largest float for ±inf."""
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        return math.copysign(sys.float_info.max, value)
    return float(value)


def preview(t: torch.Tensor, limit: int = PREVIEW_LIMIT) -> Preview:
    t = t.detach()
    flat = t.reshape(-1)[:limit]
    return Preview(tuple(t.shape), [float(x) for x in _float(flat).tolist()], t.numel() > limit)
