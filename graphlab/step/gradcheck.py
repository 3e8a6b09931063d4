"""Numerical gradient check, node by node and parameter by parameter (the course's gradient check).

For every node (not Input nodes) the check takes the node's own inputs from a float64 forward pass
of the graph (at seeded N(0, 1) inputs unless given: the function is what is checked, not the data), a seeded N(0, 1) upstream ``u`` (1 for the loss), and compares, coordinate by
coordinate, the analytic gradient of φ = Σ node(x, θ) · u — autograd's vector–Jacobian product, the
very thing the stepper shows — with the centred difference (φ(x + h) − φ(x − h)) / 2h, computed as
Σ (out₊ − out₋) · u so that outputs the nudge does not reach cancel exactly.

* float64, on a deep copy of each module (the stepper's module is never touched); h = 1e-5.
* Modules that keep running statistics (BatchNorm) run in eval mode; the others in training mode
  with one fixed seed per node, so Dropout is checked with one fixed mask.
* Kinks: input values within 1e-3 of 0 (ReLU's kink, and the exact zeros ReLU and padding produce)
  are moved 1–2·10⁻³ away from it first. A coordinate whose one-sided differences disagree still
  sits on a kink (a max tie, a hinge); that input value is nudged and the node checked again (three
  rounds at most); coordinates still on a kink after that are left out and counted in ``kinks``.
* Large tensors: ``coords`` coordinates sampled at random (seeded) per tensor; small ones in full.
* Relative error per coordinate |a − n| / max(|a|, |n|, f), the course's formula with a floor f of
  1/1000 of the tensor's typical gradient — the root mean square of the whole analytic gradient (or
  of the sampled numerical one, if larger) — so that a coordinate whose gradient has vanished to
  round-off level (an LSTM's first time steps) is not read as a relative error of 1e-4, even when
  every sampled coordinate is such a one; a tensor's figure is its worst coordinate.
  The course's reading (:func:`reading`): < 1e-7 fine, < 1e-4 uncomfortable, < 1e-2 acceptable only
  at kinks, above that wrong. A node fails above ``threshold`` (default 1e-2).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
from torch import nn

from ..core.graph import Graph
from .rng import fixed_rng, seeded_state
from .stepper import Stepper
from .summary import json_float

H = 1e-5
KINK = 1e-3  # how far from 0 inputs are moved, and the scale of a kink nudge
KINK_JUMP = 1e-2  # one-sided differences this far apart (relative) mean a kink within ±h
FLOOR = 1e-3  # a coordinate's gradient is compared with at least this share of the tensor's typical size
TINY = 1e-10
WRONG = 1e-2
COORDS = 16
ROUNDS = 3


def reading(rel: float) -> str:
    """The course's reading of a relative error."""
    if not math.isfinite(rel):
        return "wrong (not finite)"
    if rel < 1e-7:
        return "fine"
    if rel < 1e-4:
        return "uncomfortable"
    if rel < 1e-2:
        return "acceptable only at kinks"
    return "wrong"


@dataclass
class NodeCheck:
    node: str
    inputs: list[float] = field(default_factory=list)  # worst relative error per input port
    params: dict[str, float] = field(default_factory=dict)  # worst relative error per parameter
    coords: int = 0  # coordinates compared
    kinks: int = 0  # coordinates left out because they sit on a kink

    @property
    def max_rel_error(self) -> float:
        vals = self.inputs + list(self.params.values())
        if any(math.isnan(v) for v in vals):
            return math.inf
        return max(vals, default=0.0)

    def to_json(self) -> dict[str, Any]:
        return {"max_rel_error": json_float(self.max_rel_error), "reading": reading(self.max_rel_error),
                "params": {k: json_float(v) for k, v in self.params.items()},
                "inputs": [json_float(v) for v in self.inputs], "coords": self.coords, "kinks": self.kinks}


@dataclass
class GradcheckReport:
    nodes: dict[str, NodeCheck]
    threshold: float = WRONG
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[str]:
        return [n for n, c in self.nodes.items() if not c.max_rel_error <= self.threshold]

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "threshold": self.threshold,
                "nodes": {n: c.to_json() for n, c in self.nodes.items()}}


def gradcheck(graph: Graph, *, inputs: Any = None, targets: Any = None, weights: Any = None, batch: int = 2,
              seed: int = 0, coords: int = COORDS, threshold: float = WRONG, base_dir: Any = None,
              nodes: Sequence[str] | None = None, dataset: bool = False) -> GradcheckReport:
    """Check every node of ``graph`` (or just ``nodes``) at seeded N(0, 1) inputs, or at ``inputs``, or
    (``dataset=True``) at a validation batch of the training section's dataset. Raises StepError for
    unusable inputs/weights."""
    stepper = Stepper(graph, inputs=inputs, targets=targets, weights=weights, batch=batch, seed=seed,
                      dtype=torch.float64, base_dir=base_dir, dataset=dataset)
    return check_stepper(stepper, coords=coords, threshold=threshold, nodes=nodes)


def check_stepper(stepper: Stepper, *, coords: int = COORDS, threshold: float = WRONG,
                  nodes: Sequence[str] | None = None) -> GradcheckReport:
    """Check the nodes of a float64 stepper's module (its forward supplies each node's inputs)."""
    if stepper.dtype != torch.float64:
        raise ValueError("gradcheck needs a float64 stepper (float32 differences are too coarse)")
    last = stepper.order[-1]
    stepper.run_to(last, "forward", stop_at_nonfinite=False)
    wanted = list(nodes) if nodes is not None else [n for n in stepper.order if n not in stepper.inputs]
    report = GradcheckReport({}, threshold, list(stepper.notes))
    for i, nid in enumerate(wanted):
        if nid in stepper.inputs:
            continue
        rec = stepper.records[nid]
        assert rec.inputs is not None
        module = copy.deepcopy(stepper._module(nid))
        for sub in module.modules():  # running statistics: eval; everything else trains, seeded
            sub.train(not any(b is not None for b in sub._buffers.values()))
        extra = (stepper.targets,) if nid == stepper.analysis.loss else ()
        state = seeded_state(stepper.seed * 7_919 + i)

        def fn(*xs: torch.Tensor, module: nn.Module = module, extra: tuple[Any, ...] = extra,
               state: torch.Tensor = state) -> torch.Tensor:
            with fixed_rng(state):
                return module(*xs, *extra)

        params: dict[str, torch.Tensor] = {name: p for name, p in module.named_parameters() if p.requires_grad}
        report.nodes[nid] = check_function(nid, fn, list(rec.inputs), params,
                                           coords=coords, seed=stepper.seed + i)
    return report


def check_function(name: str, fn: Callable[..., torch.Tensor], inputs: list[torch.Tensor],
                   params: dict[str, torch.Tensor], *, coords: int = COORDS, seed: int = 0,
                   h: float = H) -> NodeCheck:
    """Compare autograd's gradient of Σ fn(*inputs) · u with centred differences, per input and parameter."""
    gen = torch.Generator().manual_seed(seed)
    # contiguous copies: coordinates are nudged through a flat view (a node's input may be a strided view)
    xs = [_away_from_zero(x.detach().clone(memory_format=torch.contiguous_format), gen) if x.is_floating_point()
          else x for x in inputs]
    tensors = [x for x in xs if x.is_floating_point()] + list(params.values())
    picks = [_sample(t.numel(), coords, gen) for t in tensors]
    with torch.no_grad():
        out0 = fn(*xs)
    u = torch.ones_like(out0) if out0.dim() == 0 else torch.randn(out0.shape, generator=gen, dtype=out0.dtype)
    for rnd in range(ROUNDS):
        errors, kinks, nudged = _one_round(fn, xs, tensors, picks, u, h, gen, last=rnd == ROUNDS - 1)
        if not nudged:
            break
    check = NodeCheck(name, coords=sum(len(p) for p in picks) - kinks, kinks=kinks)
    n_in = sum(1 for x in xs if x.is_floating_point())
    check.inputs = errors[:n_in]
    check.params = dict(zip(params, errors[n_in:]))
    return check


def _away_from_zero(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    near = x.abs() < KINK
    if bool(near.any()):
        k = int(near.sum())
        sign = torch.where(torch.rand(k, generator=gen) < 0.5, -1.0, 1.0).to(x.dtype)
        x[near] = sign * KINK * (1 + torch.rand(k, generator=gen, dtype=x.dtype))
    return x


def _sample(numel: int, coords: int, gen: torch.Generator) -> list[int]:
    if numel <= coords:
        return list(range(numel))
    return sorted(torch.randperm(numel, generator=gen)[:coords].tolist())


def _one_round(fn: Callable[..., torch.Tensor], xs: list[torch.Tensor], tensors: list[torch.Tensor],
               picks: list[list[int]], u: torch.Tensor, h: float, gen: torch.Generator,
               last: bool) -> tuple[list[float], int, bool]:
    """(worst relative error per tensor, coordinates left out at kinks, whether an input was nudged).

    ``tensors``: the float inputs (the very tensors in ``xs``, perturbed in place) then the parameters."""
    n_in = sum(1 for x in xs if x.is_floating_point())
    leaves = [x.detach().requires_grad_() if x.is_floating_point() else x for x in xs]
    out = fn(*leaves)
    wrt = [x for x in leaves if x.is_floating_point()] + tensors[n_in:]
    grads = torch.autograd.grad(out, wrt, u, allow_unused=True) if out.requires_grad else (None,) * len(wrt)
    errors: list[float] = []
    kinks = 0
    nudged = False
    with torch.no_grad():
        out0 = out.detach().clone()  # a view of an input (Flatten) must not follow the nudges
        for k, (t, idx) in enumerate(zip(tensors, picks)):
            g = grads[k]
            analytic = torch.zeros(t.numel(), dtype=t.dtype) if g is None else g.reshape(-1)
            flat = t.view(-1)
            rows = []  # (coordinate, value, one-sided forward, one-sided backward, centred, analytic)
            for i in idx:
                v = float(flat[i])
                flat[i] = v + h
                plus = fn(*xs).clone()
                flat[i] = v - h
                minus = fn(*xs).clone()
                flat[i] = v
                rows.append((i, v, float(((plus - out0) * u).sum()) / h, float(((out0 - minus) * u).sum()) / h,
                             float(((plus - minus) * u).sum()) / (2 * h), float(analytic[i])))
            # the tensor's typical gradient: the whole analytic gradient's RMS (the sampled coordinates
            # alone may all have vanished, e.g. an LSTM's first steps), or the sampled numerical one's if
            # larger (an analytic gradient that is wrongly ~0 must not lower the floor)
            numeric_rms = math.hypot(*(r[4] for r in rows)) / math.sqrt(len(rows)) if rows else 0.0  # hypot: no OverflowError
            analytic_rms = float(torch.linalg.vector_norm(analytic)) / math.sqrt(max(analytic.numel(), 1))
            typical = max(analytic_rms if math.isfinite(analytic_rms) else 0.0, numeric_rms)
            floor = max(FLOOR * typical, TINY)
            worst = 0.0
            for i, v, fwd, bwd, num, a in rows:
                if abs(fwd - bwd) > KINK_JUMP * max(abs(fwd), abs(bwd), floor):  # a kink within ±h of v
                    if k < n_in and not last:
                        sign = 1.0 if float(torch.rand(1, generator=gen)) < 0.5 else -1.0
                        flat[i] = v + sign * KINK * (1 + float(torch.rand(1, generator=gen)))
                        nudged = True
                    else:
                        kinks += 1
                    continue
                rel = abs(a - num) / max(abs(a), abs(num), floor)
                worst = math.nan if math.isnan(rel) or math.isnan(worst) else max(worst, rel)
            errors.append(worst)
    return errors, kinks, nudged
