"""Convolution and pooling over images [C, H, W].

Output size per spatial dimension, exactly as PyTorch floors it:
    W2 = floor((W1 + 2P - D·(F - 1) - 1) / S) + 1
with kernel F, stride S, padding P, dilation D (D = 1 for pools).
"""
from __future__ import annotations

from ..cost import INDEX, KEEP_INPUTS, make, matmul, numel
from ..spec import LayerSpec, Param, ShapeError
from ._common import fmt, need_rank, nn_module

_IMAGE_HINT = "put it after an Input of shape [C, H, W] or another image layer"


def out_size(w: int, f: int, s: int, p: int, d: int = 1) -> int:
    return (w + 2 * p - d * (f - 1) - 1) // s + 1


def _spatial(layer: str, hw, k, s, p, d=(1, 1)) -> tuple[int, int]:
    res = []
    for axis, w, f, st, pa, di in zip(("height", "width"), hw, k, s, p, d):
        span = di * (f - 1) + 1
        if span > w + 2 * pa:
            what = f"kernel {f}" + (f" (dilated to {span})" if di > 1 else "")
            raise ShapeError(
                f"{layer}: {what} is larger than the padded input {axis} {w}+2·{pa}={w + 2 * pa}; "
                f"use a smaller kernel_size, more padding, or less downsampling before it")
        res.append(out_size(w, f, st, pa, di))
    return res[0], res[1]


def _conv_shape(p, ins):
    need_rank("Conv2d", ins[0], (3,), _IMAGE_HINT)
    h, w = _spatial("Conv2d", ins[0][1:], p["kernel_size"], p["stride"], p["padding"], p["dilation"])
    return (p["out_channels"], h, w)


def _conv_count(p, ins, out):
    kh, kw = p["kernel_size"]
    return p["out_channels"] * ins[0][0] * kh * kw + (p["out_channels"] if p["bias"] else 0)


def _conv_cost(p, ins, out):
    k = p["kernel_size"]
    n = numel(out)
    return matmul(n * ins[0][0] * k[0] * k[1], n if p["bias"] else 0,
                  window=(k, p["stride"], p["padding"], p["dilation"]))


def _conv_kwargs(p, ins, out):
    return {"in_channels": ins[0][0], "out_channels": p["out_channels"], "kernel_size": tuple(p["kernel_size"]),
            "stride": tuple(p["stride"]), "padding": tuple(p["padding"]), "dilation": tuple(p["dilation"]),
            "bias": p["bias"]}


def _pair(v) -> str:
    return str(v[0]) if v[0] == v[1] else f"{v[0]},{v[1]}"


def _conv_summary(p) -> str:
    k = p["kernel_size"]
    s = p["stride"]
    text = f"Conv {k[0]}×{k[1]} ×{p['out_channels']} s{_pair(s)}"
    if p["padding"] != (0, 0):
        text += f" p{_pair(p['padding'])}"
    return text


def _pool_shape(layer):
    def rule(p, ins):
        need_rank(layer, ins[0], (3,), _IMAGE_HINT)
        k = p["kernel_size"]
        s = p["stride"] or k
        for pa, f in zip(p["padding"], k):
            if pa > f // 2:
                raise ShapeError(f"{layer}: padding {pa} is more than half the kernel {f}; "
                                 f"PyTorch allows at most {f // 2}")
        h, w = _spatial(layer, ins[0][1:], k, s, p["padding"])
        return (ins[0][0], h, w)
    return rule


def _pool_cost(kind):
    def rule(p, ins, out):
        k = p["kernel_size"]
        window = (k, p["stride"] or k, p["padding"], (1, 1))
        n, taps = numel(out), k[0] * k[1]
        if kind == "max":  # taps − 1 comparisons per output; keeps its input and each window's argmax (int64)
            return make(0, n * (taps - 1), 0, 0, KEEP_INPUTS, INDEX * n, 0, window)
        return make(0, n * taps, 0, 0, KEEP_INPUTS, 0, 0, window)  # taps − 1 adds and a divide
    return rule


def _adaptive_window(size: int, out: int) -> tuple[int, int]:
    """(kernel, stride) of adaptive pooling along one axis: exact when ``out`` divides ``size``;
    otherwise the widest window and the floor of the step (the windows overlap unevenly)."""
    if size % out == 0:
        return size // out, size // out
    widest = max(-(-(i + 1) * size // out) - i * size // out for i in range(out))
    return widest, max(size // out, 1)


def _adaptive_cost(p, ins, out):
    (kh, sh), (kw, sw) = (_adaptive_window(s, o) for s, o in zip(ins[0][1:], p["output_size"]))
    keeps = 0 if tuple(p["output_size"]) == (1, 1) else KEEP_INPUTS  # global pooling is a mean: nothing kept
    return make(0, numel(ins[0]), 0, 0, keeps, 0, 0, ((kh, kw), (sh, sw), (0, 0), (1, 1)))


def _pool_module(cls):
    return nn_module(cls, lambda p, ins, out: {"kernel_size": tuple(p["kernel_size"]),
                                               "stride": tuple(p["stride"] or p["kernel_size"]),
                                               "padding": tuple(p["padding"])})


def _pool_summary(short):
    def summary(p):
        k, s = p["kernel_size"], p["stride"] or p["kernel_size"]
        return f"{short} {k[0]}×{k[1]} s{_pair(s)}"
    return summary


def _pool_params():
    return (Param("kernel_size", "pair", 2, "window size: an int or [h, w]", min=1),
            Param("stride", "pair_or_none", None, "step between windows; null = kernel_size", min=1),
            Param("padding", "pair", 0, "implicit padding on each side", min=0))


def _adaptive_shape(p, ins):
    need_rank("AdaptiveAvgPool2d", ins[0], (3,), _IMAGE_HINT)
    return (ins[0][0],) + tuple(p["output_size"])


SPECS = [
    LayerSpec(
        type="Conv2d", display="Conv2d", category="Convolution",
        params=(Param("out_channels", "int", 8, "number of filters", min=1),
                Param("kernel_size", "pair", 3, "filter size F: an int or [h, w]", min=1),
                Param("stride", "pair", 1, "step S between filter positions", min=1),
                Param("padding", "pair", 0, "zero padding P on each side", min=0),
                Param("dilation", "pair", 1, "spacing D between kernel taps", min=1),
                Param("bias", "bool", True, "add a learnable bias per filter")),
        shape=_conv_shape, count=_conv_count, cost=_conv_cost, torch=nn_module("Conv2d", _conv_kwargs), summary=_conv_summary, has_weights=True, initialisable=True,
        backward="dx = dout convolved with the flipped filters (transposed conv); dW = x ⋆ dout; db = Σ dout",
        help="2-D convolution: out = floor((W + 2P - D(F-1) - 1)/S) + 1 per side.",
    ),
    LayerSpec(
        type="MaxPool2d", display="MaxPool2d", category="Pooling", params=_pool_params(),
        shape=_pool_shape("MaxPool2d"), cost=_pool_cost("max"), torch=_pool_module("MaxPool2d"), summary=_pool_summary("MaxPool"),
        nonlinear=True,
        backward="max routes: each window's dout goes to its (first) maximum; the others get 0",
        help="Maximum over each window.",
    ),
    LayerSpec(
        type="AvgPool2d", display="AvgPool2d", category="Pooling", params=_pool_params(),
        shape=_pool_shape("AvgPool2d"), cost=_pool_cost("avg"), torch=_pool_module("AvgPool2d"), summary=_pool_summary("AvgPool"),
        backward="each window's dout is shared equally by its k·k inputs",
        help="Average over each window.",
    ),
    LayerSpec(
        type="AdaptiveAvgPool2d", display="AdaptiveAvgPool2d", category="Pooling",
        params=(Param("output_size", "pair", 1, "output [h, w] whatever the input size", min=1),),
        shape=_adaptive_shape, cost=_adaptive_cost,
        torch=nn_module("AdaptiveAvgPool2d", lambda p, ins, out: {"output_size": tuple(p["output_size"])}),
        summary=lambda p: f"AdaptiveAvg → {fmt(p['output_size'])}",
        backward="each output's dout is shared equally by the inputs of its window",
        help="Average pooling to a fixed output size (global average pooling with 1).",
    ),
]
