"""Losses: the graph's sink. The prediction comes in on the port; the target comes from the dataset."""
from __future__ import annotations

import math

from ..cost import FLOAT, INDEX, KEEP_INPUTS, Cost, numel
from ..spec import LayerSpec, Param, Params, Shape, ShapeRule, Shapes
from ._common import need_rank, nn_module


def _scores_shape(layer: str) -> ShapeRule:
    def rule(p: Params, ins: Shapes) -> Shape:
        need_rank(layer, ins[0], (1,), "it takes a vector of class scores [C]; add Flatten and Linear before it")
        return ()
    return rule


def _cross_entropy_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    # log-softmax (max, subtract, exp, sum, log) keeps its output; the loss keeps the class index
    return Cost(0, 5 * numel(ins[0]) + 1, 0, 0, 0, FLOAT * numel(ins[0]) + INDEX, FLOAT)  # and its weight sum


def _margin_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    return Cost(0, 3 * numel(ins[0]) + 1, 0, 0, KEEP_INPUTS, INDEX)


def _mse_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    return Cost(0, 3 * numel(ins[0]), 0, 0, KEEP_INPUTS, FLOAT * numel(ins[0]))  # and the target values


SPECS = [
    LayerSpec(type="CrossEntropyLoss", display="Softmax cross-entropy", category="Loss", params=(),
              shape=_scores_shape("CrossEntropyLoss"), cost=_cross_entropy_cost, is_loss=True, nonlinear=True, task="classification",
              backward="ds = (softmax(s) − onehot(y)) / N",
              torch=nn_module("CrossEntropyLoss"), applies_first=("softmax",),
              initial_loss=lambda p, classes: math.log(classes),
              help="Softmax of the class scores, then −log of the correct class's probability."),
    LayerSpec(type="MultiMarginLoss", display="Multiclass SVM (hinge)", category="Loss",
              params=(Param("margin", "float", 1.0, "Δ: how far the correct score must lead", min=0.0),
                      Param("p", "choice", 1, "1: hinge; 2: squared hinge", choices=(1, 2))),
              shape=_scores_shape("MultiMarginLoss"), cost=_margin_cost, is_loss=True, nonlinear=True, task="classification",
              backward="ds_j = [s_j − s_y + Δ > 0] / (C·N) for j ≠ y; ds_y = −Σ_j of those",
              torch=nn_module("MultiMarginLoss", lambda p, ins, out: {"p": p["p"], "margin": p["margin"]}),
              initial_loss=lambda p, classes: (classes - 1) * p["margin"] ** p["p"] / classes,
              summary=lambda p: f"SVM Δ={p['margin']:g}" + (" squared" if p["p"] == 2 else ""),
              help="Σ_j≠y max(0, s_j − s_y + Δ), averaged over classes as PyTorch does."),
    LayerSpec(type="MSELoss", display="Mean squared error", category="Loss", params=(),
              shape=lambda p, ins: (), cost=_mse_cost, is_loss=True, nonlinear=True, task="regression", torch=nn_module("MSELoss"),
              backward="dŷ = 2 (ŷ − y) / (number of elements)",
              help="Mean of (prediction − target)² for regression."),
]
