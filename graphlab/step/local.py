"""A node's local backward rule: the words (from its layer spec) and, where it has one, the local
derivative tensor and the rule applied to the node's numbers.

Elementwise nodes are found without a per-layer table: a node is elementwise in input i when its
output has input i's shape and its vector–Jacobian product with any upstream ``u`` is ``u ⊙ d_i``,
where ``d_i`` is its VJP with an all-ones upstream — which is then the local derivative ∂out/∂in_i
(ReLU: 1[x > 0]; Sigmoid: σ(1 − σ); Tanh: 1 − tanh²; Multiply: the product of the other inputs; Add: 1;
BatchNorm in eval mode: γ/√(var + ε)). The check uses one VJP with a seeded random ``u`` and costs two
VJPs in all; nodes with a weight matrix or filter (a parameter of two or more dimensions: Linear,
Conv2d, RNNs) mix elements by construction and are not probed.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch


#: tensors with at most this many elements are written out in full in ``LocalRule.numbers``
SMALL = 8


def _mixes(params: Sequence[torch.Tensor]) -> bool:
    return any(p.dim() >= 2 for p in params)


def elementwise_derivatives(out: torch.Tensor, leaves: Sequence[torch.Tensor], params: Sequence[torch.Tensor],
                            seed: int) -> list[torch.Tensor] | None:
    """∂out/∂leaf_i per input when the node is elementwise in every input, else None.

    ``out`` must still hold its local autograd graph (the stepper keeps it with retain_graph)."""
    if not leaves or _mixes(params) or not out.requires_grad or not out.is_floating_point():
        return None
    if any(tuple(x.shape) != tuple(out.shape) or not x.requires_grad for x in leaves):
        return None
    ones = torch.ones_like(out)
    gen = torch.Generator().manual_seed(seed)
    u = torch.randn(out.shape, generator=gen, dtype=torch.float64).to(out.dtype)
    d = torch.autograd.grad(out, list(leaves), ones, retain_graph=True, allow_unused=True)
    g = torch.autograd.grad(out, list(leaves), u, retain_graph=True, allow_unused=True)
    derivs = []
    tol = 1e-10 if out.dtype == torch.float64 else 1e-4
    for di, gi, x in zip(d, g, leaves):
        di = torch.zeros_like(x) if di is None else di
        gi = torch.zeros_like(x) if gi is None else gi
        if not torch.allclose(gi, u * di, rtol=tol, atol=tol * (1.0 + float(gi.abs().max()) if gi.numel() else 0.0)):
            return None
        derivs.append(di.detach())
    return derivs


def show(t: torch.Tensor) -> str:
    """Values in full for small tensors ("-4" or "[1, 2, 3]"), else a short summary."""
    t = t.detach()
    if t.numel() <= SMALL:
        vals = [_num(float(v)) for v in t.reshape(-1).tolist()]
        return vals[0] if len(vals) == 1 else "[" + ", ".join(vals) + "]"
    f = t.double()
    return f"‖·‖ {_num(float(torch.linalg.vector_norm(f)))} (mean {_num(float(f.mean()))}, {t.numel()} values)"


def _num(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.4g}"


def numbers(sources: Sequence[str], grad_output: torch.Tensor, grad_inputs: Sequence[torch.Tensor],
            grad_params: dict[str, torch.Tensor], derivatives: list[torch.Tensor] | None) -> list[str]:
    """The rule with the numbers it used: per input port, dout · local = din (elementwise), or the
    sizes of what came in and went out (nodes that mix elements)."""
    lines = []
    for i, src in enumerate(sources):
        gi = grad_inputs[i] if i < len(grad_inputs) else None
        if gi is None:
            continue
        if derivatives is not None:
            lines.append(f"∂L/∂{src} = ∂L/∂out · ∂out/∂{src} = {show(grad_output)} · {show(derivatives[i])} "
                         f"= {show(gi)}")
        else:
            lines.append(f"∂L/∂{src} = {show(gi)} from ∂L/∂out = {show(grad_output)}")
    for name, g in grad_params.items():
        lines.append(f"∂L/∂{name} = {show(g)}")
    return lines
