"""Convolution and pooling over images [C, H, W].

Output size per spatial dimension, exactly as PyTorch floors it:
    W2 = floor((W1 + 2P - D·(F - 1) - 1) / S) + 1
with kernel F, stride S, padding P, dilation D (D = 1 for pools). A pool with ``ceil_mode`` rounds up
instead, except that the last window must start inside the input or its left padding (PyTorch's rule).

Grouped convolution (``groups`` G): the input and output channels split into G groups, each filter sees
C_in/G channels; G = C_in is a depthwise convolution (MobileNet), with C_out a multiple of C_in.

Bounds. Every window parameter has an absolute maximum (``MAX_KERNEL``, ``MAX_STRIDE``,
``MAX_DILATION``, ``MAX_PADDING``, ``MAX_POOL_OUTPUT``) and the shape rule refuses a stride or a
dilation larger than the padded input on its axis (a larger stride gives the same output as one
equal to it). Both matter: torch 2.13's CPU gradient of a convolution with respect to its input
(oneDNN) crashes the process with a width stride near 2^15–2^16 and takes time quadratic in the
stride below that (8,000: ~2 s a step), whatever the input's size; see docs/security.md.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..cost import INDEX, KEEP_INPUTS, Cost, make, matmul, numel
from ..spec import (CostRule, LayerSpec, Param, Params, Shape, ShapeError, ShapeRule, Shapes, SummaryRule,
                    TorchModule)
from ._common import fmt, need_rank, nn_module

_IMAGE_HINT = "put it after an Input of shape [C, H, W] or another image layer"

#: absolute bounds of the window parameters (far above any network people draw; below every value
#: class that crashes or stalls a torch 2.13 CPU kernel)
MAX_KERNEL = 256
MAX_STRIDE = 256
MAX_DILATION = 256
MAX_PADDING = 256
MAX_POOL_OUTPUT = 1024
#: channel groups: at most one per input channel, which the shape rule checks; this bounds the field
MAX_GROUPS = 1 << 20


def out_size(w: int, f: int, s: int, p: int, d: int = 1, ceil: bool = False) -> int:
    if not ceil:
        return (w + 2 * p - d * (f - 1) - 1) // s + 1
    out = -(-(w + 2 * p - d * (f - 1) - 1) // s) + 1
    return out - 1 if (out - 1) * s >= w + p else out  # the last window starts inside the input or left padding


def _spatial(layer: str, hw: Sequence[int], k: Sequence[int], s: Sequence[int], p: Sequence[int],
             d: Sequence[int] = (1, 1), ceil: bool = False) -> tuple[int, int]:
    res = []
    for axis, w, f, st, pa, di in zip(("height", "width"), hw, k, s, p, d):
        span, padded = di * (f - 1) + 1, w + 2 * pa
        if span > padded:
            what = f"kernel {f}" + (f" (dilated to {span})" if di > 1 else "")
            raise ShapeError(
                f"{layer}: {what} is larger than the padded input {axis} {w}+2·{pa}={padded}; "
                f"use a smaller kernel_size, more padding, or less downsampling before it")
        if st > padded:
            raise ShapeError(
                f"{layer}: stride {st} is larger than the padded input {axis} {w}+2·{pa}={padded}; a stride of "
                f"{padded} gives the same output: use a stride from 1 to {padded}")
        if di > padded:
            raise ShapeError(
                f"{layer}: dilation {di} spaces the kernel's taps further apart than the padded input {axis} "
                f"{w}+2·{pa}={padded}; use a dilation from 1 to {padded}")
        res.append(out_size(w, f, st, pa, di, ceil))
    return res[0], res[1]


def _conv_shape(p: Params, ins: Shapes) -> Shape:
    need_rank("Conv2d", ins[0], (3,), _IMAGE_HINT)
    g, c_in, c_out = p["groups"], ins[0][0], p["out_channels"]
    if c_in % g or c_out % g:
        raise ShapeError(f"Conv2d: groups {g} must divide both the input channels {c_in} and out_channels {c_out}; "
                         f"use groups 1, or {c_in} with out_channels a multiple of {c_in} (depthwise)")
    h, w = _spatial("Conv2d", ins[0][1:], p["kernel_size"], p["stride"], p["padding"], p["dilation"])
    return (c_out, h, w)


def _conv_count(p: Params, ins: Shapes, out: Shape) -> int:
    kh, kw = p["kernel_size"]
    return p["out_channels"] * (ins[0][0] // p["groups"]) * kh * kw + (p["out_channels"] if p["bias"] else 0)


def _conv_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    k = p["kernel_size"]
    n = numel(out)  # each output sees C_in/G channels of its group
    return matmul(n * (ins[0][0] // p["groups"]) * k[0] * k[1], n if p["bias"] else 0,
                  window=(k, p["stride"], p["padding"], p["dilation"]))


def _conv_kwargs(p: Params, ins: Shapes, out: Shape) -> dict[str, Any]:
    kwargs = {"in_channels": ins[0][0], "out_channels": p["out_channels"], "kernel_size": tuple(p["kernel_size"]),
              "stride": tuple(p["stride"]), "padding": tuple(p["padding"]), "dilation": tuple(p["dilation"]),
              "bias": p["bias"]}
    if p["groups"] != 1:  # written only when set, so graphs without it export the same code as before
        kwargs["groups"] = p["groups"]
    return kwargs


def _pair(v: Sequence[int]) -> str:
    return str(v[0]) if v[0] == v[1] else f"{v[0]},{v[1]}"


def _conv_summary(p: Params) -> str:
    k = p["kernel_size"]
    s = p["stride"]
    text = f"Conv {k[0]}×{k[1]} ×{p['out_channels']} s{_pair(s)}"
    if p["padding"] != (0, 0):
        text += f" p{_pair(p['padding'])}"
    if p["groups"] != 1:
        text += f" g{p['groups']}"
    return text


def _pool_shape(layer: str) -> ShapeRule:
    def rule(p: Params, ins: Shapes) -> Shape:
        need_rank(layer, ins[0], (3,), _IMAGE_HINT)
        k = p["kernel_size"]
        s = p["stride"] or k
        for pa, f in zip(p["padding"], k):
            if pa > f // 2:
                raise ShapeError(f"{layer}: padding {pa} is more than half the kernel {f}; "
                                 f"PyTorch allows at most {f // 2}")
        h, w = _spatial(layer, ins[0][1:], k, s, p["padding"], ceil=p["ceil_mode"])
        return (ins[0][0], h, w)
    return rule


def _pool_cost(kind: str) -> CostRule:
    def rule(p: Params, ins: Shapes, out: Shape) -> Cost:
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


def _adaptive_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    (kh, sh), (kw, sw) = (_adaptive_window(s, o) for s, o in zip(ins[0][1:], p["output_size"]))
    keeps = 0 if tuple(p["output_size"]) == (1, 1) else KEEP_INPUTS  # global pooling is a mean: nothing kept
    return make(0, numel(ins[0]), 0, 0, keeps, 0, 0, ((kh, kw), (sh, sw), (0, 0), (1, 1)))


def _pool_kwargs(p: Params, ins: Shapes, out: Shape) -> dict[str, Any]:
    kwargs = {"kernel_size": tuple(p["kernel_size"]), "stride": tuple(p["stride"] or p["kernel_size"]),
              "padding": tuple(p["padding"])}
    for name, default in (("ceil_mode", False), ("count_include_pad", True)):  # written only when set
        if p.get(name, default) != default:
            kwargs[name] = p[name]
    return kwargs


def _pool_module(cls: str) -> TorchModule:
    return nn_module(cls, _pool_kwargs)


def _pool_summary(short: str) -> SummaryRule:
    def summary(p: Params) -> str:
        k, s = p["kernel_size"], p["stride"] or p["kernel_size"]
        return f"{short} {k[0]}×{k[1]} s{_pair(s)}" + (" ceil" if p["ceil_mode"] else "")
    return summary


def _pool_params(avg: bool = False) -> tuple[Param, ...]:
    params: tuple[Param, ...] = (Param("kernel_size", "pair", 2, "window size: an int or [h, w]", min=1,
                                       max=MAX_KERNEL),
                                 Param("stride", "pair_or_none", None, "step between windows; null = kernel_size",
                                       min=1, max=MAX_STRIDE),
                                 Param("padding", "pair", 0, "implicit padding on each side", min=0, max=MAX_KERNEL // 2),
                                 Param("ceil_mode", "bool", False, "round the output size up: a last, partial window still counts"))
    if avg:
        params += (Param("count_include_pad", "bool", True, "padding zeros count in each window's average"),)
    return params


def _adaptive_shape(p: Params, ins: Shapes) -> Shape:
    need_rank("AdaptiveAvgPool2d", ins[0], (3,), _IMAGE_HINT)
    return (ins[0][0],) + tuple(p["output_size"])


SPECS = [
    LayerSpec(
        type="Conv2d", display="Conv2d", category="Convolution",
        params=(Param("out_channels", "int", 8, "number of filters", min=1),
                Param("kernel_size", "pair", 3, "filter size F: an int or [h, w]", min=1, max=MAX_KERNEL),
                Param("stride", "pair", 1, "step S between filter positions", min=1, max=MAX_STRIDE),
                Param("padding", "pair", 0, "zero padding P on each side", min=0, max=MAX_PADDING),
                Param("dilation", "pair", 1, "spacing D between kernel taps", min=1, max=MAX_DILATION),
                Param("bias", "bool", True, "add a learnable bias per filter"),
                Param("groups", "int", 1, "channel groups G: each filter sees C_in/G channels (C_in: depthwise)",
                      min=1, max=MAX_GROUPS)),
        shape=_conv_shape, count=_conv_count, cost=_conv_cost, torch=nn_module("Conv2d", _conv_kwargs), summary=_conv_summary, has_weights=True, initialisable=True,
        backward="dx = dout convolved with the flipped filters (transposed conv); dW = x ⋆ dout; db = Σ dout",
        help="2-D convolution: out = floor((W + 2P - D(F-1) - 1)/S) + 1 per side; groups = C_in is depthwise.",
    ),
    LayerSpec(
        type="MaxPool2d", display="MaxPool2d", category="Pooling", params=_pool_params(),
        shape=_pool_shape("MaxPool2d"), cost=_pool_cost("max"), torch=_pool_module("MaxPool2d"), summary=_pool_summary("MaxPool"),
        nonlinear=True,
        backward="max routes: each window's dout goes to its (first) maximum; the others get 0",
        help="Maximum over each window.",
    ),
    LayerSpec(
        type="AvgPool2d", display="AvgPool2d", category="Pooling", params=_pool_params(avg=True),
        shape=_pool_shape("AvgPool2d"), cost=_pool_cost("avg"), torch=_pool_module("AvgPool2d"), summary=_pool_summary("AvgPool"),
        backward="each window's dout is shared equally by its k·k inputs",
        help="Average over each window.",
    ),
    LayerSpec(
        type="AdaptiveAvgPool2d", display="AdaptiveAvgPool2d", category="Pooling",
        params=(Param("output_size", "pair", 1, "output [h, w] whatever the input size", min=1,
                      max=MAX_POOL_OUTPUT),),
        shape=_adaptive_shape, cost=_adaptive_cost,
        torch=nn_module("AdaptiveAvgPool2d", lambda p, ins, out: {"output_size": tuple(p["output_size"])}),
        summary=lambda p: f"AdaptiveAvg → {fmt(p['output_size'])}",
        backward="each output's dout is shared equally by the inputs of its window",
        help="Average pooling to a fixed output size (global average pooling with 1).",
    ),
]
