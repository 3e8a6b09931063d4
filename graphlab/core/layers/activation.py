"""Element-wise nonlinearities (shape in = shape out) and Softmax."""
from __future__ import annotations

from ..spec import LayerSpec, Param, ShapeError
from ._common import call, describe, nn, same, torch_dim


def _simple(type_: str, help_: str, params=(), build=None, summary=None, *, backward: str = "",
            saturation: str | None = None) -> LayerSpec:
    """An element-wise activation; its export call passes every param by name (none: no arguments)."""
    return LayerSpec(type=type_, display=type_, category="Activation", params=params, shape=same,
                     factory=build or (lambda p, ins, out: getattr(nn(), type_)()), summary=summary, help=help_,
                     backward=backward, saturation=saturation,
                     export=lambda p, ins, out: call(f"nn.{type_}", **{q.name: p[q.name] for q in params}))


def _prelu_shape(p, ins):
    n = p["num_parameters"]
    if n != 1:
        if not ins[0]:
            raise ShapeError("PReLU with num_parameters > 1 needs a channel dimension")
        if n != ins[0][0]:
            raise ShapeError(f"PReLU: num_parameters must be 1 or the channel count {ins[0][0]}, got {n}")
    return ins[0]


def _softmax_shape(p, ins):
    r = len(ins[0])
    if not -r <= p["dim"] < r:
        raise ShapeError(f"Softmax: dim {p['dim']} is out of range for {describe(ins[0])}; "
                         f"use a dim from {-r} to {r - 1} (per sample, batch excluded)")
    return ins[0]


SPECS = [
    _simple("ReLU", "max(0, x).", backward="ReLU gates: dx = dout · 1[x > 0]", saturation="zero"),
    _simple("LeakyReLU", "x if x > 0 else negative_slope·x.",
            (Param("negative_slope", "float", 0.01, "slope for x < 0"),),
            lambda p, ins, out: nn().LeakyReLU(p["negative_slope"]), lambda p: f"LeakyReLU {p['negative_slope']:g}",
            backward="dx = dout · (1 if x > 0 else negative_slope)"),
    LayerSpec(type="PReLU", display="PReLU", category="Activation",
              params=(Param("num_parameters", "int", 1, "learned slopes: 1, or one per channel", min=1),),
              shape=_prelu_shape, count=lambda p, ins, out: p["num_parameters"],
              factory=lambda p, ins, out: nn().PReLU(p["num_parameters"]), has_weights=True,
              export=lambda p, ins, out: call("nn.PReLU", num_parameters=p["num_parameters"]),
              backward="dx = dout · (1 if x > 0 else a); da = Σ dout · x over x ≤ 0",
              help="Leaky ReLU whose negative slope is learned."),
    _simple("ELU", "x if x > 0 else alpha·(exp(x) - 1).",
            (Param("alpha", "float", 1.0, "value the negative side saturates to (-alpha)", min=0.0),),
            lambda p, ins, out: nn().ELU(p["alpha"]), lambda p: f"ELU α={p['alpha']:g}",
            backward="dx = dout · (1 if x > 0 else y + alpha)"),
    _simple("Sigmoid", "1 / (1 + exp(-x)); saturates at 0 and 1.", backward="dx = dout · σ(x)(1 − σ(x))",
            saturation="sigmoid"),
    _simple("Tanh", "tanh(x); zero-centred, saturates at ±1.", backward="dx = dout · (1 − tanh²(x))",
            saturation="tanh"),
    LayerSpec(type="Softmax", display="Softmax", category="Activation",
              params=(Param("dim", "int", 0, "dimension that sums to 1, per sample (batch excluded)"),),
              shape=_softmax_shape, factory=lambda p, ins, out: nn().Softmax(torch_dim(p["dim"])),
              export=lambda p, ins, out: call("nn.Softmax", dim=torch_dim(p["dim"])),
              summary=lambda p: f"Softmax dim {p['dim']}",
              backward="dx = y ⊙ (dout − Σ dout ⊙ y) along dim",
              help="exp(x) / Σ exp(x) along dim. Not before CrossEntropyLoss, which applies it itself."),
]
