"""Fully connected layers and shape-only layers: Linear, Maxout, Flatten, Dropout, Identity."""
from __future__ import annotations

import math

from ..cost import FLOAT, IDENTITY, KEEP_INPUTS, KEEP_OUTPUT, VIEW, Cost, matmul, numel
from ..spec import LayerSpec, Param, Params, Shape, ShapeError, Shapes
from ._common import nn_module, own_module, same


def _need_features(layer: str, shape: Shape) -> None:
    if len(shape) == 0:
        raise ShapeError(f"{layer} needs at least one dimension to act on, but gets a scalar")


def _linear_shape(p: Params, ins: Shapes) -> Shape:
    _need_features("Linear", ins[0])
    return ins[0][:-1] + (p["out_features"],)


def _maxout_shape(p: Params, ins: Shapes) -> Shape:
    _need_features("Maxout", ins[0])
    return ins[0][:-1] + (p["out_features"],)


def _linear_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    rows = numel(out[:-1])  # a Linear on [T, F] applies the same matrix to each of the T rows
    return matmul(rows * ins[0][-1] * p["out_features"], numel(out) if p["bias"] else 0)


def _maxout_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    rows, wide = numel(out[:-1]), numel(out) * p["pieces"]
    # one Linear to out·pieces units (its bias adds), then the max over the pieces, which keeps the
    # pre-max values (its own) and its output for the backward pass
    return matmul(rows * ins[0][-1] * wide, wide, numel(out) * (p["pieces"] - 1), FLOAT * wide,
                  KEEP_INPUTS | KEEP_OUTPUT)


_FLATTEN_COST = Cost(keeps=VIEW)  # a view: its output is its input's storage
_IDENTITY_COST = Cost(keeps=VIEW, window=IDENTITY)  # its output is its input, every unit where it was


def _dropout_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    # draws a mask scaled by 1/(1-p) and multiplies; on the CPU the mask is float32 (4 bytes a unit)
    return Cost(0, 2 * numel(out), 0, 0, 0, FLOAT * numel(out), 0, IDENTITY if len(out) == 3 else None)


SPECS = [
    LayerSpec(
        type="Linear", display="Linear", category="Dense",
        params=(Param("out_features", "int", 10, "number of output units", min=1),
                Param("bias", "bool", True, "add a learnable bias")),
        shape=_linear_shape, cost=_linear_cost,
        count=lambda p, ins, out: ins[0][-1] * p["out_features"] + (p["out_features"] if p["bias"] else 0),
        torch=nn_module("Linear", lambda p, ins, out: {"in_features": ins[0][-1], "out_features": p["out_features"],
                                                       "bias": p["bias"]}),
        summary=lambda p: f"FC {p['out_features']}", has_weights=True, initialisable=True,
        backward="dx = dout · W; dW = doutᵀ · x; db = Σ dout over the batch",
        help="y = xWᵀ + b on the last dimension (as in PyTorch).",
    ),
    LayerSpec(
        type="Maxout", display="Maxout", category="Activation",
        params=(Param("out_features", "int", 10, "number of output units", min=1),
                Param("pieces", "int", 2, "linear pieces per unit; the output is their max", min=1)),
        shape=_maxout_shape, cost=_maxout_cost,
        count=lambda p, ins, out: (ins[0][-1] + 1) * p["out_features"] * p["pieces"],
        torch=own_module("Maxout", lambda p, ins, out: {"in_features": ins[0][-1], "out_features": p["out_features"],
                                                         "pieces": p["pieces"]}),
        summary=lambda p: f"Maxout {p['out_features']}×{p['pieces']}", has_weights=True, nonlinear=True,
        initialisable=True,
        backward="max routes: dout goes to the winning piece only, then through its linear map",
        help="max over `pieces` linear maps of the last dimension (Goodfellow et al., 2013).",
    ),
    LayerSpec(
        type="Flatten", display="Flatten", category="Shape", params=(),
        shape=lambda p, ins: (math.prod(ins[0]),), cost=lambda p, ins, out: _FLATTEN_COST,
        torch=nn_module("Flatten"),
        backward="dx = dout reshaped back to the input's shape",
        help="Flattens each sample to a vector [C·H·W].",
    ),
    LayerSpec(
        type="Dropout", display="Dropout", category="Regularization",
        params=(Param("p", "float", 0.5, "probability of zeroing a unit while training", min=0.0, max=1.0,
                      max_exclusive=True),),
        shape=same, cost=_dropout_cost, torch=nn_module("Dropout", lambda p, ins, out: {"p": p["p"]}),
        backward="dx = dout · mask / (1 − p) while training; dx = dout in eval mode",
        summary=lambda p: f"Dropout {p['p']:g}", stochastic=True,
        help="Zeroes units at random while training and rescales the rest by 1/(1-p).",
    ),
    LayerSpec(
        type="Identity", display="Identity", category="Shape", params=(),
        shape=same, cost=lambda p, ins, out: _IDENTITY_COST, torch=nn_module("Identity"),
        backward="dx = dout",
        help="Passes its input on unchanged (a placeholder, e.g. a removed head or an empty shortcut).",
    ),
]
