"""``torch.nn`` modules → palette layers: each known class, its parameters, and what it cannot say.

:data:`MODULES` maps a module class to a function ``(module, input shape with batch) -> (layer type,
params)``. A setting the palette layer cannot reproduce (``padding_mode="reflect"``, BatchNorm
without running statistics, an LSTM with ``batch_first=False``) raises :class:`Unsupported` naming
it: a refusal, never a layer that computes something else. Only the parameters that differ from the
layer's defaults are returned, so an imported file is as short as a hand-made one.

A subclass that keeps its base class's ``forward`` is the base class; one that overrides it is
traced into like any user module.
"""
from __future__ import annotations

from typing import Any, Callable

from torch import nn

from ..core.registry import REGISTRY

Layer = tuple[str, dict[str, Any]]


class Unsupported(Exception):
    """A module or call setting with no palette equivalent; the message says which, in one line."""


def pair(v: Any) -> int | list[int]:
    """An int, or [h, w] when the two differ (as a hand-made file writes it)."""
    t = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(t) == 1:
        t = (t[0], t[0])
    return int(t[0]) if t[0] == t[1] else [int(t[0]), int(t[1])]


def non_default(layer_type: str, params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without the entries equal to the layer's defaults."""
    spec = REGISTRY.get(layer_type)
    out = {}
    for k, v in params.items():
        param = spec.param_index[k]
        if param.required or spec.defaults.get(k) != param.coerce(v):
            out[k] = v
    return out


def _layer(layer_type: str, **params: Any) -> Layer:
    return layer_type, non_default(layer_type, params)


def _conv_padding(m: nn.Conv2d) -> int | list[int]:
    if isinstance(m.padding, str):
        if m.padding == "valid":
            return 0
        totals = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]  # padding="same", stride 1
        if any(t % 2 for t in totals):
            raise Unsupported(f"padding='same' with kernel {tuple(m.kernel_size)} pads unevenly (more on one side); "
                              "give the padding as numbers")
        return pair([t // 2 for t in totals])
    return pair(m.padding)


def _conv2d(m: nn.Conv2d, shape: tuple[int, ...]) -> Layer:
    if m.padding_mode != "zeros":
        raise Unsupported(f"padding_mode={m.padding_mode!r} (GraphLab's Conv2d pads with zeros)")
    return _layer("Conv2d", out_channels=m.out_channels, kernel_size=pair(m.kernel_size), stride=pair(m.stride),
                  padding=_conv_padding(m), dilation=pair(m.dilation), bias=m.bias is not None, groups=m.groups)


def _linear(m: nn.Linear, shape: tuple[int, ...]) -> Layer:
    return _layer("Linear", out_features=m.out_features, bias=m.bias is not None)


def _batchnorm(layer_type: str) -> Callable[[Any, tuple[int, ...]], Layer]:
    def convert(m: nn.modules.batchnorm._BatchNorm, shape: tuple[int, ...]) -> Layer:
        if not m.track_running_stats:
            raise Unsupported("track_running_stats=False (GraphLab's BatchNorm keeps running statistics)")
        if m.momentum is None:
            raise Unsupported("momentum=None (a cumulative average of the statistics)")
        return _layer(layer_type, eps=float(m.eps), momentum=float(m.momentum), affine=bool(m.affine))
    return convert


def _layernorm(m: nn.LayerNorm, shape: tuple[int, ...]) -> Layer:
    dims = len(m.normalized_shape)
    if tuple(shape[len(shape) - dims:]) != tuple(m.normalized_shape) or dims >= len(shape):
        raise Unsupported(f"normalized_shape {tuple(m.normalized_shape)} is not the input's last dimensions "
                          f"{tuple(shape[1:])}")
    return _layer("LayerNorm", dims=dims, eps=float(m.eps), affine=bool(m.elementwise_affine),
                  bias=getattr(m, "bias", None) is not None or not m.elementwise_affine)


def _maxpool(m: nn.MaxPool2d, shape: tuple[int, ...]) -> Layer:
    if pair(m.dilation) != 1:
        raise Unsupported(f"dilation={m.dilation} (GraphLab's MaxPool2d has none)")
    if m.return_indices:
        raise Unsupported("return_indices=True")
    return _layer("MaxPool2d", kernel_size=pair(m.kernel_size), stride=pair(m.stride or m.kernel_size),
                  padding=pair(m.padding), ceil_mode=bool(m.ceil_mode))


def _avgpool(m: nn.AvgPool2d, shape: tuple[int, ...]) -> Layer:
    if m.divisor_override is not None:
        raise Unsupported(f"divisor_override={m.divisor_override}")
    return _layer("AvgPool2d", kernel_size=pair(m.kernel_size), stride=pair(m.stride or m.kernel_size),
                  padding=pair(m.padding), ceil_mode=bool(m.ceil_mode), count_include_pad=bool(m.count_include_pad))


def adaptive_size(size: Any, shape: tuple[int, ...]) -> int | list[int]:
    t = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
    return pair([shape[2 + i] if v is None else int(v) for i, v in enumerate(t)])


def _adaptive(m: nn.AdaptiveAvgPool2d, shape: tuple[int, ...]) -> Layer:
    return _layer("AdaptiveAvgPool2d", output_size=adaptive_size(m.output_size, shape))


def _softmax(m: nn.Softmax, shape: tuple[int, ...]) -> Layer:
    if m.dim is None:
        raise Unsupported("dim=None (name the dimension)")
    return "Softmax", {"dim": per_sample_dim(m.dim, len(shape))}


def per_sample_dim(dim: int, rank: int) -> int:
    """A batched tensor's dim → the per-sample dim the layers take (0 = the first after the batch)."""
    d = dim + rank if dim < 0 else dim
    if d == 0:
        raise Unsupported("it acts along the batch dimension")
    return d - 1


def _flatten(m: nn.Flatten, shape: tuple[int, ...]) -> Layer:
    if m.start_dim not in (1, 1 - len(shape)) or m.end_dim not in (-1, len(shape) - 1):
        raise Unsupported(f"start_dim={m.start_dim}, end_dim={m.end_dim} (GraphLab's Flatten keeps only the batch)")
    return "Flatten", {}


def _dropout(m: nn.Dropout, shape: tuple[int, ...]) -> Layer:
    return _layer("Dropout", p=float(m.p))


def _simple(layer_type: str) -> Callable[[Any, tuple[int, ...]], Layer]:
    return lambda m, shape: (layer_type, {})


def _rnn(layer_type: str) -> Callable[[Any, tuple[int, ...]], Layer]:
    def convert(m: nn.RNNBase, shape: tuple[int, ...]) -> Layer:
        if not m.batch_first:
            raise Unsupported("batch_first=False (GraphLab's recurrent layers take [batch, time, features])")
        if not m.bias:
            raise Unsupported("bias=False")
        if m.num_layers > 1 and m.dropout:
            raise Unsupported(f"dropout={m.dropout} between stacked layers")
        if getattr(m, "proj_size", 0):
            raise Unsupported(f"proj_size={m.proj_size}")
        params: dict[str, Any] = {"hidden_size": m.hidden_size, "num_layers": m.num_layers,
                                  "bidirectional": bool(m.bidirectional)}
        if layer_type == "RNN":
            params["nonlinearity"] = m.nonlinearity
        return _layer(layer_type, **params)
    return convert


MODULES: dict[type, Callable[[Any, tuple[int, ...]], Layer]] = {
    nn.Conv2d: _conv2d, nn.Linear: _linear,
    nn.BatchNorm1d: _batchnorm("BatchNorm1d"), nn.BatchNorm2d: _batchnorm("BatchNorm2d"), nn.LayerNorm: _layernorm,
    nn.MaxPool2d: _maxpool, nn.AvgPool2d: _avgpool, nn.AdaptiveAvgPool2d: _adaptive,
    nn.ReLU: _simple("ReLU"), nn.ReLU6: _simple("ReLU6"), nn.Sigmoid: _simple("Sigmoid"), nn.Tanh: _simple("Tanh"),
    nn.SiLU: _simple("SiLU"), nn.Hardswish: _simple("Hardswish"), nn.Hardsigmoid: _simple("Hardsigmoid"),
    nn.GELU: lambda m, s: _layer("GELU", approximate=m.approximate),
    nn.LeakyReLU: lambda m, s: _layer("LeakyReLU", negative_slope=float(m.negative_slope)),
    nn.ELU: lambda m, s: _layer("ELU", alpha=float(m.alpha)),
    nn.PReLU: lambda m, s: _layer("PReLU", num_parameters=m.num_parameters),
    nn.Softmax: _softmax, nn.Flatten: _flatten, nn.Dropout: _dropout, nn.Identity: _simple("Identity"),
    nn.LSTM: _rnn("LSTM"), nn.GRU: _rnn("GRU"), nn.RNN: _rnn("RNN"),
}

RECURRENT = (nn.LSTM, nn.GRU, nn.RNN)


def known_class(m: nn.Module) -> type | None:
    """The palette class ``m`` is: its own class, or the first base class in MODULES whose forward it keeps."""
    cls = type(m)
    if cls in MODULES:
        return cls
    for base in cls.__mro__[1:]:
        if base in MODULES:
            return base if getattr(cls, "forward", None) is getattr(base, "forward", None) else None
    return None


def module_label(m: nn.Module) -> str:
    """``nn.Conv2d`` for torch's classes, the class name for anyone else's."""
    cls = type(m)
    return f"nn.{cls.__name__}" if cls.__module__.startswith("torch.nn") else cls.__name__


def is_known(m: nn.Module) -> bool:
    return known_class(m) is not None


def convert_module(m: nn.Module, shape: tuple[int, ...]) -> Layer:
    """The palette layer for module ``m`` fed a tensor of ``shape`` (batch included); Unsupported if none."""
    cls = known_class(m)
    if cls is None:
        raise Unsupported("has no palette equivalent")
    return MODULES[cls](m, shape)
