"""Batch normalization. Channels are the first per-sample dimension, as in PyTorch."""
from __future__ import annotations

from ..cost import FLOAT, IDENTITY, KEEP_INPUTS, Cost, make, memo, numel
from ..spec import LayerSpec, Param, Params, Shape, Shapes, TorchModule
from ._common import need_rank, nn_module

_PARAMS = (Param("eps", "float", 1e-5, "added to the variance for stability", min=0.0, min_exclusive=True),
           Param("momentum", "float", 0.1, "running-statistics update rate", min=0.0, max=1.0),
           Param("affine", "bool", True, "learn a scale γ and shift β per channel"))


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
]
