"""Recurrent layers over sequences [T, F] (batch first).

``output="last"`` gives the final hidden state of the last layer ([H], or [2H] bidirectional:
forward and backward final states concatenated); ``output="sequence"`` gives every step [T, H·dirs].
"""
from __future__ import annotations

from typing import Any

from ..cost import FLOAT, Cost
from ..spec import CostRule, CountRule, LayerSpec, Param, Params, Shape, ShapeRule, Shapes, SummaryRule, TorchModule
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


#: element-wise ops per hidden unit and step: bias adds and the gates' nonlinearities (an estimate)
_STEP_OPS = {"RNN": 3, "LSTM": 20, "GRU": 14}


def _good_ld(d: int) -> int:
    """oneDNN pads a row of d floats to 16 (64 bytes), and away from multiples of 256."""
    ld = -(-d // 16) * 16
    return ld + 16 if ld % 256 == 0 else ld


def _lstm_workspace(t: int, width: int, h: int) -> int:
    """Bytes per sample of the workspace PyTorch's CPU LSTM (oneDNN) keeps for one layer and direction:
    the gates, the hidden states and six state buffers (oneDNN 3.x, without its 4 KiB page rounding)."""
    return FLOAT * (t * _good_ld(4 * h) + t * _good_ld(h) + 6 * (t + 1) * _good_ld(max(width, h))
                    + 4 * (t + 1) * h)


def _saved(kind: str, t: int, i: int, h: int, layers: int, dirs: int) -> int:
    """Bytes per sample autograd keeps for the recurrent layer on the CPU (see docs/cost.md): a copy of
    the input in time-major order, the initial state, and per layer and direction every step's hidden
    state (RNN), the gates' intermediate values (GRU) or oneDNN's workspace (LSTM). Closed form: the
    layers above the first are alike (their input is the layer below's H·dirs outputs)."""
    total = FLOAT * (t * i * (2 if dirs == 2 and kind != "LSTM" else 1))  # input copy (and a reversed one)
    total += FLOAT * layers * dirs * h * (2 if kind == "LSTM" else 1)  # h0 (and c0)
    upper, width = layers - 1, h * dirs
    if dirs == 2 or kind != "LSTM":
        total += upper * FLOAT * t * width  # each upper layer's input: the outputs below, joined
    if kind == "RNN":
        return total + layers * dirs * FLOAT * t * h
    if kind == "GRU":
        return total + layers * dirs * FLOAT * (7 * t - 1) * h
    step = FLOAT * (t * h + 2 * h)  # the output sequence, h_n and c_n
    return total + dirs * (step + _lstm_workspace(t, i, h)) + upper * dirs * (step + _lstm_workspace(t, width, h))


def _cost(kind: str) -> CostRule:
    def rule(p: Params, ins: Shapes, out: Shape) -> Cost:
        g, h, dirs, layers = GATES[kind], p["hidden_size"], 2 if p["bidirectional"] else 1, p["num_layers"]
        t, i = ins[0]
        upper, width = layers - 1, h * dirs  # the layers above the first read the H·dirs outputs below
        macs = dirs * t * g * h * (i + h) + upper * dirs * t * g * h * (width + h)
        inner = upper * dirs * t * g * h * width  # the gradient of the layer below's outputs
        recurrent = layers * dirs * (t - 1) * g * h * h  # the gradient through h, back to step 1
        return Cost(macs, layers * dirs * t * h * _STEP_OPS[kind], macs + inner + recurrent, dirs * t * g * h * i,
                    0, _saved(kind, t, i, h, layers, dirs))
    return rule


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
              cost=_cost(k),
              torch=_module(k), has_weights=True, nonlinear=True, initialisable=True,
              backward="backprop through time: the step-t gradient flows back through every earlier step",
              summary=_summary(k),
              help={"RNN": "Vanilla RNN: h = tanh(W_xh x + W_hh h + b).",
                    "LSTM": "Long short-term memory: gated cell state that carries gradients far back.",
                    "GRU": "Gated recurrent unit: LSTM-like gating with fewer parameters."}[k])
    for k in ("RNN", "LSTM", "GRU")
]
