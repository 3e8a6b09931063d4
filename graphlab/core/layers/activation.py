"""Element-wise nonlinearities (shape in = shape out) and Softmax.

Besides the course's classics, the activations of mobile and transformer networks: ReLU6 and the
hard (piecewise-linear) sigmoid and swish of MobileNet, SiLU (swish) and GELU.
"""
from __future__ import annotations

from ..cost import IDENTITY, KEEP_INPUTS, KEEP_OUTPUT, Cost, elementwise, numel
from ..spec import CostRule, Gain, KwargsRule, LayerSpec, Param, Params, Shape, ShapeError, Shapes, SummaryRule
from ._common import describe, nn_module, same, torch_dim


def _simple(type_: str, help_: str, params: tuple[Param, ...] = (), kwargs: KwargsRule | None = None,
            summary: SummaryRule | None = None, *, backward: str = "",
            saturation: str | None = None, init_gain: Gain | None = None, computes: str | None = None,
            cost: CostRule = elementwise(1, KEEP_OUTPUT)) -> LayerSpec:
    module = nn_module(type_, kwargs) if kwargs else nn_module(type_)
    return LayerSpec(type=type_, display=type_, category="Activation", params=params, shape=same,
                     torch=module, summary=summary, help=help_, backward=backward, saturation=saturation,
                     init_gain=init_gain, computes=computes, nonlinear=True, cost=cost)


def _prelu_shape(p: Params, ins: Shapes) -> Shape:
    n = p["num_parameters"]
    if n != 1:
        if not ins[0]:
            raise ShapeError("PReLU with num_parameters > 1 needs a channel dimension")
        if n != ins[0][0]:
            raise ShapeError(f"PReLU: num_parameters must be 1 or the channel count {ins[0][0]}, got {n}")
    return ins[0]


def _softmax_shape(p: Params, ins: Shapes) -> Shape:
    r = len(ins[0])
    if not -r <= p["dim"] < r:
        raise ShapeError(f"Softmax: dim {p['dim']} is out of range for {describe(ins[0])}; "
                         f"use a dim from {-r} to {r - 1} (per sample, batch excluded)")
    return ins[0]


def _softmax_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    # max, subtract, exp, sum, divide along dim; keeps its output. Over the channels of an image each
    # position stays where it is; along a spatial axis every unit sees the whole axis
    spatial = len(out) == 3 and p["dim"] % 3 == 0
    return Cost(0, 5 * numel(out), 0, 0, KEEP_OUTPUT, 0, 0, IDENTITY if spatial else None)


SPECS = [
    _simple("ReLU", "max(0, x).", backward="ReLU gates: dx = dout · 1[x > 0]", saturation="zero",
            init_gain="relu", cost=elementwise(1, KEEP_OUTPUT)),
    _simple("LeakyReLU", "x if x > 0 else negative_slope·x.",
            (Param("negative_slope", "float", 0.01, "slope for x < 0"),),
            lambda p, ins, out: {"negative_slope": p["negative_slope"]},
            lambda p: f"LeakyReLU {p['negative_slope']:g}",
            backward="dx = dout · (1 if x > 0 else negative_slope)", init_gain="leaky_relu",
            cost=elementwise(2, KEEP_INPUTS)),
    LayerSpec(type="PReLU", display="PReLU", category="Activation",
              params=(Param("num_parameters", "int", 1, "learned slopes: 1, or one per channel", min=1),),
              shape=_prelu_shape, count=lambda p, ins, out: p["num_parameters"], cost=elementwise(2, KEEP_INPUTS),
              torch=nn_module("PReLU", lambda p, ins, out: {"num_parameters": p["num_parameters"]}),
              has_weights=True, nonlinear=True,
              backward="dx = dout · (1 if x > 0 else a); da = Σ dout · x over x ≤ 0",
              help="Leaky ReLU whose negative slope is learned."),
    _simple("ELU", "x if x > 0 else alpha·(exp(x) - 1).",
            (Param("alpha", "float", 1.0, "value the negative side saturates to (-alpha)", min=0.0),),
            lambda p, ins, out: {"alpha": p["alpha"]}, lambda p: f"ELU α={p['alpha']:g}",
            backward="dx = dout · (1 if x > 0 else y + alpha)", cost=elementwise(3, KEEP_INPUTS)),
    _simple("Sigmoid", "1 / (1 + exp(-x)); saturates at 0 and 1.", backward="dx = dout · σ(x)(1 − σ(x))",
            saturation="sigmoid", init_gain="sigmoid", computes="sigmoid", cost=elementwise(4, KEEP_OUTPUT)),
    _simple("Tanh", "tanh(x); zero-centred, saturates at ±1.", backward="dx = dout · (1 − tanh²(x))",
            saturation="tanh", init_gain="tanh", cost=elementwise(5, KEEP_OUTPUT)),
    LayerSpec(type="Softmax", display="Softmax", category="Activation",
              params=(Param("dim", "int", 0, "dimension that sums to 1, per sample (batch excluded)"),),
              shape=_softmax_shape, cost=_softmax_cost, torch=nn_module("Softmax", lambda p, ins, out: {"dim": torch_dim(p["dim"])}),
              computes="softmax", nonlinear=True,
              summary=lambda p: f"Softmax dim {p['dim']}",
              backward="dx = y ⊙ (dout − Σ dout ⊙ y) along dim",
              help="exp(x) / Σ exp(x) along dim. Not before CrossEntropyLoss, which applies it itself."),
    _simple("ReLU6", "min(max(0, x), 6): ReLU clipped at 6 (MobileNet).", backward="dx = dout · 1[0 < x < 6]",
            saturation="zero", init_gain="relu", cost=elementwise(2, KEEP_INPUTS)),
    _simple("SiLU", "x · σ(x), also called swish (EfficientNet).", backward="dx = dout · σ(x)(1 + x(1 − σ(x)))",
            cost=elementwise(5, KEEP_INPUTS)),
    _simple("GELU", "x · Φ(x), Φ the standard normal CDF (transformers); tanh: its tanh approximation.",
            (Param("approximate", "choice", "none", "none: the exact erf form; tanh: the approximation",
                   choices=("none", "tanh")),),
            lambda p, ins, out: {"approximate": p["approximate"]},
            lambda p: "GELU" + (" tanh" if p["approximate"] == "tanh" else ""),
            backward="dx = dout · (Φ(x) + x·φ(x)), φ the normal density (the tanh form's own derivative if approximate)",
            cost=elementwise(8, KEEP_INPUTS)),
    _simple("Hardswish", "x · min(max(x + 3, 0), 6) / 6: swish made of straight pieces (MobileNetV3).",
            backward="dx = dout · (0 if x < −3, 1 if x > 3, else (2x + 3) / 6)",
            cost=elementwise(5, KEEP_INPUTS)),
    _simple("Hardsigmoid", "min(max(x + 3, 0), 6) / 6: a sigmoid made of straight pieces, 0 below −3, 1 above 3.",
            backward="dx = dout / 6 for −3 < x < 3, else 0", saturation="sigmoid", init_gain="sigmoid",
            cost=elementwise(4, KEEP_INPUTS)),
]
