"""Recurrent layers over sequences [T, F] (batch first).

``output="last"`` gives the final hidden state of the last layer ([H], or [2H] bidirectional:
forward and backward final states concatenated); ``output="sequence"`` gives every step [T, H·dirs].
"""
from __future__ import annotations

from typing import Any

from ..spec import CountRule, LayerSpec, Param, Params, Shape, ShapeRule, Shapes, SummaryRule, TorchModule
from ._common import need_rank, own_module

GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
#: stacked layers: far more than any network trained with GraphLab; each one is a Python loop
#: iteration in the compiled module, the stepper and the exporters
MAX_LAYERS = 64


def _params(kind: str) -> tuple[Param, ...]:
    ps = [Param("hidden_size", "int", 32, "units in the hidden state", min=1),
          Param("num_layers", "int", 1, "stacked recurrent layers", min=1, max=MAX_LAYERS)]
    if kind == "RNN":
        ps.append(Param("nonlinearity", "choice", "tanh", "activation of the hidden state", choices=("tanh", "relu")))
    ps += [Param("bidirectional", "bool", False, "also run the sequence backwards"),
           Param("output", "choice", "last", "last: final hidden state; sequence: every step",
                 choices=("last", "sequence"))]
    return tuple(ps)


def _shape(kind: str) -> ShapeRule:
    def rule(p: Params, ins: Shapes) -> Shape:
        need_rank(kind, ins[0], (2,), "recurrent layers take a sequence [T, F]")
        h = p["hidden_size"] * (2 if p["bidirectional"] else 1)
        return (h,) if p["output"] == "last" else (ins[0][0], h)
    return rule


def _count(kind: str) -> CountRule:
    def count(p: Params, ins: Shapes, out: Shape) -> int:
        """Closed form (O(1) whatever num_layers): per direction, layer 1 has g·(h·F + h·h + 2h)
        weights and every later layer g·(h·dirs·h + h·h + 2h), its input being the last one's output."""
        g, h, dirs, n = GATES[kind], p["hidden_size"], 2 if p["bidirectional"] else 1, p["num_layers"]
        per_layer_rest = h * h + 2 * h
        first = dirs * g * (h * ins[0][1] + per_layer_rest)
        later = dirs * g * (h * dirs * h + per_layer_rest)
        return first + (n - 1) * later
    return count


def _module(kind: str) -> TorchModule:
    def kwargs(p: Params, ins: Shapes, out: Shape) -> dict[str, Any]:
        args: dict[str, Any] = {"input_size": ins[0][1], "hidden_size": p["hidden_size"], "num_layers": p["num_layers"]}
        if kind == "RNN":
            args["nonlinearity"] = p["nonlinearity"]
        return {**args, "bidirectional": p["bidirectional"], "output": p["output"]}
    return own_module(kind, kwargs)


def _summary(kind: str) -> SummaryRule:
    return lambda p: f"{kind} {p['hidden_size']}" + (" ×2" if p["bidirectional"] else "")


SPECS = [
    LayerSpec(type=k, display=k, category="Recurrent", params=_params(k), shape=_shape(k), count=_count(k),
              torch=_module(k), has_weights=True, nonlinear=True, initialisable=True,
              backward="backprop through time: the step-t gradient flows back through every earlier step",
              summary=_summary(k),
              help={"RNN": "Vanilla RNN: h = tanh(W_xh x + W_hh h + b).",
                    "LSTM": "Long short-term memory: gated cell state that carries gradients far back.",
                    "GRU": "Gated recurrent unit: LSTM-like gating with fewer parameters."}[k])
    for k in ("RNN", "LSTM", "GRU")
]
