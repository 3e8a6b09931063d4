"""Batch and layer normalization. Channels are the first per-sample dimension, as in PyTorch.

BatchNorm normalizes each channel over the batch (running statistics in eval mode); LayerNorm
normalizes each sample over its last ``dims`` dimensions, the same in training and eval.
"""
from __future__ import annotations

import math

from ..cost import FLOAT, IDENTITY, KEEP_INPUTS, Cost, make, memo, numel
from ..spec import LayerSpec, Param, Params, Shape, ShapeError, Shapes, TorchModule
from ._common import describe, need_rank, nn_module

_PARAMS = (Param("eps", "float", 1e-5, "added to the variance for stability", min=0.0, min_exclusive=True),
           Param("momentum", "float", 0.1, "running-statistics update rate", min=0.0, max=1.0),
           Param("affine", "bool", True, "learn a scale γ and shift β per channel"))


_LN_PARAMS = (Param("dims", "int", 1, "how many trailing dimensions each sample is normalized over", min=1, max=8),
              Param("eps", "float", 1e-5, "added to the variance for stability", min=0.0, min_exclusive=True),
              Param("affine", "bool", True, "learn a scale γ per normalized element"),
              Param("bias", "bool", True, "learn a shift β per normalized element too (with affine)"))


def _ln_shape(p: Params, ins: Shapes) -> Shape:
    if p["dims"] > len(ins[0]):
        raise ShapeError(f"LayerNorm: dims {p['dims']} is more than the {len(ins[0])} dimension(s) of "
                         f"{describe(ins[0])}; use a dims from 1 to {max(len(ins[0]), 1)}")
    return ins[0]


def _ln_count(p: Params, ins: Shapes, out: Shape) -> int:
    if not p["affine"]:
        return 0
    return math.prod(ins[0][-p["dims"]:]) * (2 if p["bias"] else 1)


def _ln_kwargs(p: Params, ins: Shapes, out: Shape) -> dict[str, object]:
    kwargs: dict[str, object] = {"normalized_shape": tuple(ins[0][-p["dims"]:]), "eps": p["eps"], "elementwise_affine": p["affine"]}
    if not p["bias"]:  # written only when set
        kwargs["bias"] = False
    return kwargs


_ln_module = nn_module("LayerNorm", _ln_kwargs)


def _build_ln_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    # like batch norm's arithmetic per element; keeps its input and each normalized group's mean and
    # 1/std (two floats per group of the sample); an image's units keep their positions
    n, dims = numel(out), p["dims"]
    groups = numel(out[:-dims]) if dims < len(out) else 1
    return make(0, (7 if p["affine"] else 5) * n, 0, 0, KEEP_INPUTS, 2 * FLOAT * groups, 0,
                IDENTITY if len(out) == 3 else None)


_ln_cost = memo(lambda p, ins, out: (out, p["dims"], p["affine"]), _build_ln_cost)


def _bn1_shape(p: Params, ins: Shapes) -> Shape:
    need_rank("BatchNorm1d", ins[0], (1, 2), "use BatchNorm2d for images")
    return ins[0]


def _bn2_shape(p: Params, ins: Shapes) -> Shape:
    need_rank("BatchNorm2d", ins[0], (3,), "use BatchNorm1d for vectors")
    return ins[0]


def _count(p: Params, ins: Shapes, out: Shape) -> int:
    return 2 * ins[0][0] if p["affine"] else 0


def _build_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    # statistics (mean, variance: 3 per element), normalise (2), scale and shift (2); keeps its input and
    # four per-channel vectors (the batch's mean and 1/std, the running mean and variance)
    n = numel(out)
    return make(0, (7 if p["affine"] else 5) * n, 0, 0, KEEP_INPUTS, 0, 4 * FLOAT * ins[0][0],
                IDENTITY if len(out) == 3 else None)


_cost = memo(lambda p, ins, out: (out, p["affine"]), _build_cost)


def _module(cls: str) -> TorchModule:
    return nn_module(cls, lambda p, ins, out: {"num_features": ins[0][0], "eps": p["eps"],
                                               "momentum": p["momentum"], "affine": p["affine"]})


_BACKWARD = ("dγ = Σ dout · x̂; dβ = Σ dout; in eval mode dx = dout · γ / √(running_var + eps); in train "
             "mode dx also flows through the batch mean and variance")

SPECS = [
    LayerSpec(type="BatchNorm1d", display="BatchNorm1d", category="Normalization", params=_PARAMS,
              shape=_bn1_shape, count=_count, cost=_cost, torch=_module("BatchNorm1d"), has_weights=True,
              backward=_BACKWARD,
              help="Normalizes each feature over the batch, then scales and shifts it."),
    LayerSpec(type="BatchNorm2d", display="BatchNorm2d", category="Normalization", params=_PARAMS,
              shape=_bn2_shape, count=_count, cost=_cost, torch=_module("BatchNorm2d"), has_weights=True,
              backward=_BACKWARD,
              help="Normalizes each channel over the batch and all positions."),
    LayerSpec(type="LayerNorm", display="LayerNorm", category="Normalization", params=_LN_PARAMS,
              shape=_ln_shape, count=_ln_count, cost=_ln_cost, torch=_ln_module, has_weights=True, nonlinear=True,
              summary=lambda p: f"LayerNorm last {p['dims']}" if p["dims"] > 1 else "LayerNorm",
              backward=("per sample, with x̂ = (x − μ)/σ and g = dout · γ: dx = (g − mean(g) − x̂ · mean(g ⊙ x̂)) / σ; "
                        "dγ = Σ dout · x̂; dβ = Σ dout over the batch"),
              help="Normalizes each sample over its last dims dimensions, then scales and shifts each element."),
]
