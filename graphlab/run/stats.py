"""Per-node statistics, sampled on a time budget.

Hooks that stay registered slow every step (stack-facts: statistics on every step cost 40–65% of
throughput), so :class:`StatsSampler` registers forward hooks (and a tensor hook on each output for
its gradient) only on the steps it samples, and removes them after the step. It decides to sample
when the time it has spent so far, plus the expected cost of one more sample, stays within
``budget`` × the run's wall time (default 2%; 1 samples every step). The first step is always
sampled, so a run shows the picture at initialisation, and is not charged (it carries one-off costs).

What one sampled step measures, per node (on that step's training batch):

* activation mean and std (unbiased), and ``zero_frac``, the share of exact zeros;
* ``dead_frac`` for nodes whose spec says ``saturation == "zero"`` (ReLU): the share of *units*
  that are zero for every sample of the batch. A unit is a feature of a vector output [N, F], a
  feature of a sequence output [N, T, F] (over all samples and time steps) or a channel of an
  image output [N, C, H, W] (over all samples and positions). A sparse layer is not a dead one:
  a unit that fires for one sample of the batch is alive.
* for ``saturation`` "sigmoid" / "tanh": ``saturated_frac``, the share of outputs in the flat
  region (sigmoid outside (0.01, 0.99), tanh |y| > 0.99), whose local gradient is < 0.04 of its
  peak; and ``saturated_units``, the share of units whose outputs are in the flat region for at
  least 90% of the batch's values for that unit (a unit stuck there, not just one that fires hard);
* the norm ‖∂L/∂out‖ of the gradient of the loss with respect to the node's output;
* histograms: 64 bins plus an underflow and an overflow count (see :mod:`graphlab.run.events`).
  Activations: a linear range fixed per node at its first sample and kept for the whole run —
  (−1, 1) for tanh and (0, 1) for sigmoid units (their whole output range); (0, R) for "zero"
  units (ReLU); (−R, R) for every other node, with R = twice the largest |activation| of the first
  sample rounded up to 1, 2 or 5 × 10^k (headroom for growth; values beyond land in the overflow
  count). Gradients: log10 |∂L/∂out| over :data:`~graphlab.run.events.GRAD_LOG_RANGE` for every
  node (sign dropped; exact zeros and |g| < 1e-14 count as underflow);
* per parameter: its norm, its gradient's norm and the update/weight ratio ‖Δw‖/‖w‖ of the step.

The selected node (``StatsSampler.selected``) also gets ``detail``: per-unit mean, std and a dead
flag (up to :data:`MAX_DETAIL_UNITS` units).

Reductions are cheap ones (sums, sums of squares, counts, histc), concatenated into one tensor per
step and read back once.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable

import torch
from torch import nn

from .events import GRAD_LOG_RANGE, HIST_BINS, NodeStat, NodeStats, ParamStat

MAX_DETAIL_UNITS = 1024
#: a unit is "saturated" when at least this share of its values on the batch are in the flat region
SATURATED_UNIT_SHARE = 0.9
HEADROOM = 2.0


def nice_ceil(x: float) -> float:
    """The smallest 1, 2 or 5 × 10^k that is >= x (1.0 for 0 or non-finite x)."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    k = math.floor(math.log10(x))
    for m in (1.0, 2.0, 5.0, 10.0):
        v = m * 10.0 ** k
        if v >= x * (1 - 1e-12):
            return v
    return 10.0 ** (k + 1)  # pragma: no cover - the loop always returns


def unit_dims(ndim: int) -> tuple[int, ...]:
    """The batch dims to reduce over to get one value per unit: [N, F] -> (0,); [N, T, F] -> (0, 1);
    [N, C, H, W] (and [N, C, D, H, W]) -> every dim but the channel dim 1."""
    if ndim <= 2:
        return (0,)
    if ndim == 3:
        return (0, 1)
    return (0, *range(2, ndim))


def _flat_region(o: torch.Tensor, kind: str) -> torch.Tensor:
    return (o < 0.01) | (o > 0.99) if kind == "sigmoid" else o.abs() > 0.99


class _Reduction:
    """One sampled step's reductions: float64 pieces (sums, histograms) and int64 pieces (counts),
    concatenated and read back in one transfer each by :meth:`read`."""

    def __init__(self) -> None:
        self.fl: list[torch.Tensor] = []
        self.ints: list[torch.Tensor] = []
        self.layout: list[tuple[str, str, bool, int]] = []  # (node, key, is_int, length) in order

    def put(self, nid: str, key: str, t: torch.Tensor, is_int: bool = False) -> None:
        t = t.reshape(-1)
        (self.ints if is_int else self.fl).append(t)
        self.layout.append((nid, key, is_int, t.numel()))

    def read(self) -> tuple[dict[str, dict[str, list[Any]]], list[list[float]]]:
        """(node -> key -> values) for every piece but the parameters', and the parameters' ("p") values
        in the order they were put."""
        fvals = torch.cat(self.fl).tolist() if self.fl else []
        ivals = torch.cat(self.ints).tolist() if self.ints else []
        fi = ii = 0
        parts: dict[str, dict[str, list[Any]]] = {}
        pvals: list[list[float]] = []
        for nid, key, is_int, k in self.layout:
            if is_int:
                chunk = ivals[ii:ii + k]
                ii += k
            else:
                chunk = fvals[fi:fi + k]
                fi += k
            if key == "p":
                pvals.append(chunk)
            else:
                parts.setdefault(nid, {})[key] = chunk
        return parts, pvals


def _reduce_grad(red: _Reduction, nid: str, g: torch.Tensor) -> None:
    """Queue the reductions of a node's output gradient: ‖g‖², under/overflow counts, log10 |g| histogram."""
    f64 = torch.float64
    glo, ghi = GRAD_LOG_RANGE
    a = g.float().abs()
    red.put(nid, "gsq", (a * a).sum(dtype=f64))
    red.put(nid, "gcounts", torch.stack([(a < 10.0 ** glo).sum(), (a > 10.0 ** ghi).sum()]), True)
    red.put(nid, "ghist", torch.histc(torch.log10(a), HIST_BINS, glo, ghi).to(f64))


def _param_stats(plist: list[tuple[str, str]], pvals: list[list[float]]) -> dict[str, dict[str, ParamStat]]:
    """node -> parameter name -> ParamStat, from the read-back (‖w‖², ‖Δw‖², ‖grad‖²) of each."""
    pstats: dict[str, dict[str, ParamStat]] = {}
    for (nid, name), (w2, d2, g2) in zip(plist, pvals):
        w = math.sqrt(max(w2, 0.0))
        pstats.setdefault(nid, {})[name] = ParamStat(w, math.sqrt(g2) if g2 == g2 else float("nan"),
                                                     math.sqrt(max(d2, 0.0)) / w if w > 0 else None)
    return pstats


class StatsSampler:
    def __init__(self, modules: dict[str, nn.Module], saturation: dict[str, str | None], budget: float,
                 clock: Callable[[], float] | None = None) -> None:
        """``modules``: node id -> submodule; ``saturation``: node id -> its spec's ``saturation``."""
        self.modules = modules
        self.saturation = saturation
        self.budget = budget
        self._clock = clock or (lambda: time.perf_counter())
        self.spent = 0.0  # seconds of overhead charged so far
        self.cost = 0.0  # EMA of the overhead of one sample
        self._t0 = self._clock()
        self._handles: list[Any] = []
        self._outs: dict[str, torch.Tensor] = {}
        self._grads: dict[str, torch.Tensor] = {}
        self._before: dict[str, list[tuple[str, nn.Parameter, torch.Tensor, torch.Tensor | None]]] = {}
        self.ranges: dict[str, tuple[float, float]] = {}  # node -> fixed activation histogram range
        self.selected: str | None = None
        self.samples = 0
        self.active = False

    # -- decision -------------------------------------------------------------------------------
    def want(self) -> bool:
        if self.budget <= 0:
            return False
        if self.samples == 0 or self.budget >= 1.0:  # budget 1: every step
            return True
        elapsed = self._clock() - self._t0
        return self.spent + self.cost <= self.budget * elapsed

    def charge(self, seconds: float) -> None:
        """Account the extra time a sampled step took over a plain one. The first sample (the picture at
        initialisation, always taken) is free: its step also pays one-off costs — the optimizer's first
        step imports torch._dynamo (~1 s) — which would otherwise hold the next sample back for a minute."""
        if self.samples <= 1:
            return
        seconds = max(seconds, 0.0)
        self.spent += seconds
        self.cost = seconds if self.samples == 2 else 0.7 * self.cost + 0.3 * seconds

    # -- one sampled step: begin() before forward, after_backward() before optimizer.step(), finish() after
    def begin(self) -> None:
        self.active = True
        self._outs.clear()
        self._grads.clear()
        for nid, m in self.modules.items():
            self._handles.append(m.register_forward_hook(self._forward_hook(nid)))

    def _forward_hook(self, nid: str) -> Callable[..., None]:
        def hook(module: nn.Module, args: Any, out: Any) -> None:
            if not isinstance(out, torch.Tensor) or not out.is_floating_point() or out.dim() < 1:
                return
            self._outs[nid] = out.detach()
            if out.requires_grad:
                def grad_hook(g: torch.Tensor, nid: str = nid) -> None:
                    self._grads[nid] = g.detach()
                out.register_hook(grad_hook)
        return hook

    def after_backward(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._before = {nid: [(n, p, p.detach().clone(),
                               p.grad.detach().pow(2).sum(dtype=torch.float64) if p.grad is not None else None)
                              for n, p in m.named_parameters()]
                        for nid, m in self.modules.items()}

    def _range(self, nid: str, o: torch.Tensor) -> tuple[float, float]:
        r = self.ranges.get(nid)
        if r is None:
            kind = self.saturation.get(nid)
            if kind == "tanh":
                r = (-1.0, 1.0)
            elif kind == "sigmoid":
                r = (0.0, 1.0)
            else:
                big = float(o.abs().max()) if o.numel() else 0.0
                top = nice_ceil(HEADROOM * big)
                r = (0.0, top) if kind == "zero" else (-top, top)
            self.ranges[nid] = r
        return r

    def finish(self, epoch: int, step: int) -> NodeStats:
        """Reduce what was recorded (after optimizer.step()) into a NodeStats event."""
        red = _Reduction()
        sizes = {nid: self._reduce_node(red, nid, o) for nid, o in self._outs.items()}
        plist = self._reduce_params(red)
        parts, pvals = red.read()
        pstats = _param_stats(plist, pvals)
        nodes = {nid: self._node_stat(nid, p, sizes[nid], pstats.get(nid, {})) for nid, p in parts.items()}
        self._outs.clear()
        self._grads.clear()
        self._before = {}
        self.active = False
        self.samples += 1
        return NodeStats(epoch, step, nodes)

    def _reduce_node(self, red: _Reduction, nid: str, o: torch.Tensor) -> tuple[int, int]:
        """Queue one node's reductions (activations, its output's gradient, the selected node's detail);
        returns (its output's element count, its unit count)."""
        f64 = torch.float64
        o = o.float()
        kind = self.saturation.get(nid)
        dims = unit_dims(o.dim())
        units = 1 if o.dim() == 1 else o.shape[1 if o.dim() != 3 else 2]
        red.put(nid, "sums", torch.stack([o.sum(dtype=f64), (o * o).sum(dtype=f64)]))
        lo, hi = self._range(nid, o)
        counts = [(o == 0).sum(), (o < lo).sum(), (o > hi).sum()]
        if kind == "zero":
            counts.append((~(o.ne(0).flatten() if o.dim() == 1 else o.ne(0).amax(dim=dims))).sum())
        if kind in ("sigmoid", "tanh"):
            flat = _flat_region(o, kind)
            share = flat.float().mean(dim=dims) if o.dim() > 1 else flat.float()
            counts += [flat.sum(), (share >= SATURATED_UNIT_SHARE).sum()]
        red.put(nid, "counts", torch.stack(counts), True)
        red.put(nid, "ahist", torch.histc(o, HIST_BINS, lo, hi).to(f64))
        g = self._grads.get(nid)
        if g is not None:
            _reduce_grad(red, nid, g)
        if nid == self.selected and o.dim() > 1:
            m = o.mean(dim=dims)[:MAX_DETAIL_UNITS]
            sd = o.std(dim=dims)[:MAX_DETAIL_UNITS] if o.numel() // max(units, 1) > 1 else torch.zeros_like(m)
            red.put(nid, "dmean", m.to(f64))
            red.put(nid, "dstd", sd.to(f64))
            red.put(nid, "ddead", (~o.ne(0).amax(dim=dims))[:MAX_DETAIL_UNITS].to(f64))
        return o.numel(), units

    def _reduce_params(self, red: _Reduction) -> list[tuple[str, str]]:
        """Queue each parameter's ‖w‖², ‖Δw‖² and ‖grad‖²; returns their (node, name) in that order."""
        f64 = torch.float64
        plist: list[tuple[str, str]] = []
        for nid, before in self._before.items():
            for name, param, old, gsq in before:
                new = param.detach()
                red.put(nid, "p", torch.stack([(new * new).sum(dtype=f64), (new - old).pow(2).sum(dtype=f64),
                                               gsq if gsq is not None else torch.full((), float("nan"), dtype=f64,
                                                                                      device=new.device)]))
                plist.append((nid, name))
        return plist

    def _node_stat(self, nid: str, p: dict[str, list[Any]], size: tuple[int, int],
                   params: dict[str, ParamStat]) -> NodeStat:
        """One node's NodeStat from its read-back reductions ``p``."""
        n, units = size
        kind = self.saturation.get(nid)
        s, ss = p["sums"]
        z, under, over, *rest = p["counts"]
        mean = s / n
        var = (ss - n * mean * mean) / max(n - 1, 1)
        dead = rest.pop(0) / units if kind == "zero" else None
        sat, sat_units = (rest[0] / n, rest[1] / units) if kind in ("sigmoid", "tanh") else (None, None)
        detail = {"mean": p["dmean"], "std": p["dstd"], "dead": p["ddead"]} if "dmean" in p else None
        ghist = None
        if "ghist" in p:
            gu, go = p["gcounts"]
            ghist = [gu, *map(int, p["ghist"]), go]
        return NodeStat(
            mean, math.sqrt(max(var, 0.0)), z / n, sat,
            math.sqrt(max(p["gsq"][0], 0.0)) if "gsq" in p else None, params,
            dead_frac=dead, saturated_units=sat_units, units=units,
            act_hist=[under, *map(int, p["ahist"]), over], act_range=self.ranges[nid],
            grad_hist=ghist, detail=detail)

    def cancel(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._outs.clear()
        self._grads.clear()
        self._before = {}
        self.active = False
