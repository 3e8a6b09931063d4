"""Functions and methods → palette layers: what each canonical call (see :mod:`.functions`) becomes.

Each handler takes the :class:`~.build.Builder` and the op, and returns the op's value: a new node's
output (``b.emit``), its input unchanged (an alias), part of a recurrent output, or a plain Python
value (``x.size(0)``). A call whose arguments the palette cannot reproduce raises
:class:`~.modules.Unsupported` naming the argument; the builder adds the source line.
"""
from __future__ import annotations

import math
import operator
from typing import TYPE_CHECKING, Any, Callable

from .ir import Op, Ref
from .modules import Unsupported, adaptive_size, non_default, pair, per_sample_dim
from .values import Python, Recurrent, Tensor

if TYPE_CHECKING:
    from .build import Builder

Value = Any
Handler = Callable[["Builder", Op], Value]


def arg(op: Op, name: str, index: int, default: Any = None) -> Any:
    """Argument ``name`` (or the ``index``-th positional one) of a call."""
    if name in op.kwargs:
        return op.kwargs[name]
    if name == "input" and "self" in op.kwargs:
        return op.kwargs["self"]
    return op.args[index] if index < len(op.args) else default


def _unary(layer_type: str, **fixed: Any) -> Handler:
    def handle(b: Builder, op: Op) -> Value:
        return b.emit(op, layer_type, non_default(layer_type, dict(fixed)), [b.node_of(op, arg(op, "input", 0))])
    return handle


def _gelu(b: Builder, op: Op) -> Value:
    return b.emit(op, "GELU", non_default("GELU", {"approximate": arg(op, "approximate", 1, "none")}),
                  [b.node_of(op, arg(op, "input", 0))])


def _leaky(b: Builder, op: Op) -> Value:
    slope = float(arg(op, "negative_slope", 1, 0.01))
    return b.emit(op, "LeakyReLU", non_default("LeakyReLU", {"negative_slope": slope}), [b.node_of(op, arg(op, "input", 0))])


def _elu(b: Builder, op: Op) -> Value:
    if float(arg(op, "scale", 2, 1.0)) != 1.0 or float(arg(op, "input_scale", 3, 1.0)) != 1.0:
        raise Unsupported("ELU with a scale (SELU-like)")
    alpha = float(arg(op, "alpha", 1, 1.0))
    return b.emit(op, "ELU", non_default("ELU", {"alpha": alpha}), [b.node_of(op, arg(op, "input", 0))])


def _hardtanh(b: Builder, op: Op) -> Value:
    lo, hi = arg(op, "min_val", 1, -1.0), arg(op, "max_val", 2, 1.0)
    if (lo, hi) != (0, 6):
        raise Unsupported(f"hardtanh({lo}, {hi}); only hardtanh(0, 6), which is ReLU6, is in the palette")
    return b.emit(op, "ReLU6", {}, [b.node_of(op, arg(op, "input", 0))])


def _softmax(b: Builder, op: Op) -> Value:
    x = arg(op, "input", 0)
    dim = arg(op, "dim", 1)
    if dim is None:
        raise Unsupported("softmax without a dim")
    if arg(op, "dtype", 2) not in (None, False):
        raise Unsupported("softmax with a dtype")
    return b.emit(op, "Softmax", {"dim": per_sample_dim(int(dim), len(b.shape_of(x)))}, [b.node_of(op, x)])


def _merge(layer_type: str, fn: Callable[[Any, Any], Any]) -> Handler:
    def handle(b: Builder, op: Op) -> Value:
        left, right = arg(op, "input", 0), arg(op, "other", 1)
        if "alpha" in op.kwargs and op.kwargs["alpha"] != 1:
            raise Unsupported(f"alpha={op.kwargs['alpha']}")
        lv, rv = b.value(left), b.value(right)
        if isinstance(lv, Python) and isinstance(rv, Python):
            return Python(fn(lv.value, rv.value))  # arithmetic on sizes
        if isinstance(lv, Python) or isinstance(rv, Python) or not isinstance(left, Ref) or not isinstance(right, Ref):
            const = lv.value if isinstance(lv, Python) else rv.value if isinstance(rv, Python) else left \
                if not isinstance(left, Ref) else right
            raise Unsupported(f"a tensor combined with the constant {const!r} (no palette layer adds or "
                              "multiplies by a constant)")
        shapes = b.shape_of(left), b.shape_of(right)
        if shapes[0] != shapes[1]:
            raise Unsupported(f"broadcasting {list(shapes[0][1:])} with {list(shapes[1][1:])} "
                              f"({layer_type} takes inputs of one shape)")
        return b.emit(op, layer_type, {}, [b.node_of(op, left), b.node_of(op, right)])
    return handle


def _cat(b: Builder, op: Op) -> Value:
    tensors = arg(op, "tensors", 0)
    dim = int(arg(op, "dim", 1, 0))
    if not isinstance(tensors, (list, tuple)) or len(tensors) < 2:
        if isinstance(tensors, (list, tuple)) and len(tensors) == 1:
            return b.value(tensors[0])
        raise Unsupported("torch.cat of something that is not a list of tensors")
    rank = len(b.shape_of(tensors[0]))
    return b.emit(op, "Concat", non_default("Concat", {"dim": per_sample_dim(dim, rank)}),
                  [b.node_of(op, t) for t in tensors])


def _flatten(b: Builder, op: Op) -> Value:
    x = arg(op, "input", 0)
    rank = len(b.shape_of(x))
    start, end = int(arg(op, "start_dim", 1, 0)), int(arg(op, "end_dim", 2, -1))
    if start < 0:
        start += rank
    if end < 0:
        end += rank
    if start != 1 or end != rank - 1:
        raise Unsupported(f"flatten(start_dim={start}, end_dim={end}); GraphLab's Flatten keeps only the batch "
                          "dimension (start_dim=1)")
    return b.emit(op, "Flatten", {}, [b.node_of(op, x)])


def _view(b: Builder, op: Op) -> Value:
    x = arg(op, "input", 0)
    before, after = b.shape_of(x), op.shape
    if after == before:
        return b.value(x)
    if after is not None and len(after) == 2 and after[0] == before[0] and after[1] == math.prod(before[1:]):
        return b.emit(op, "Flatten", {}, [b.node_of(op, x)])
    raise Unsupported(f"reshaping {list(before[1:])} to {list(after[1:]) if after else '?'} per sample; only "
                      "flattening to [batch, features] is in the palette")


def _adaptive(b: Builder, op: Op) -> Value:
    x = arg(op, "input", 0)
    size = adaptive_size(arg(op, "output_size", 1), b.shape_of(x))
    return b.emit(op, "AdaptiveAvgPool2d", non_default("AdaptiveAvgPool2d", {"output_size": size}), [b.node_of(op, x)])


def _window(op: Op) -> dict[str, Any]:
    k = arg(op, "kernel_size", 1)
    s = arg(op, "stride", 2)
    return {"kernel_size": pair(k), "stride": pair(s if s not in (None, [], ()) else k),
            "padding": pair(arg(op, "padding", 3, 0)), "ceil_mode": bool(arg(op, "ceil_mode", 5, False))}


def _maxpool(b: Builder, op: Op) -> Value:
    if pair(arg(op, "dilation", 4, 1)) != 1:
        raise Unsupported("max pooling with a dilation")
    if arg(op, "return_indices", 6, False):
        raise Unsupported("return_indices=True")
    return b.emit(op, "MaxPool2d", non_default("MaxPool2d", _window(op)), [b.node_of(op, arg(op, "input", 0))])


def _avgpool(b: Builder, op: Op) -> Value:
    params = _window(op)
    params["ceil_mode"] = bool(arg(op, "ceil_mode", 4, False))
    params["count_include_pad"] = bool(arg(op, "count_include_pad", 5, True))
    if arg(op, "divisor_override", 6) is not None:
        raise Unsupported("divisor_override")
    return b.emit(op, "AvgPool2d", non_default("AvgPool2d", params), [b.node_of(op, arg(op, "input", 0))])


def _mean(b: Builder, op: Op) -> Value:
    x = arg(op, "input", 0)
    shape = b.shape_of(x)
    dims = arg(op, "dim", 1)
    dims = [dims] if isinstance(dims, int) else list(dims or [])
    if len(shape) != 4 or sorted(d % 4 for d in dims) != [2, 3]:
        raise Unsupported(f"a mean over dims {dims} of {list(shape[1:])}; only the mean over an image's height "
                          "and width (global average pooling) is in the palette")
    pooled = b.emit(op, "AdaptiveAvgPool2d", {}, [b.node_of(op, x)])
    if arg(op, "keepdim", 2, False):
        return pooled
    return b.emit(op, "Flatten", {}, [pooled.node], suffix="flat")


def _dropout(b: Builder, op: Op) -> Value:
    x = arg(op, "input", 0)
    p = float(arg(op, "p", 1, 0.5))
    if p == 0.0:
        return b.value(x)
    return b.emit(op, "Dropout", non_default("Dropout", {"p": p}), [b.node_of(op, x)])


def _getitem(b: Builder, op: Op) -> Value:
    base, index = b.value(op.args[0]), op.args[1]
    if isinstance(base, Python):
        return Python(base.value[index])
    if isinstance(base, Recurrent):
        return b.recurrent_part(op, base, index)
    raise Unsupported(f"indexing a tensor ([{_index_text(index)}]); slices have no palette equivalent")


def _select(b: Builder, op: Op) -> Value:  # torch.export's x[:, -1]
    base = b.value(arg(op, "input", 0))
    dim, index = int(arg(op, "dim", 1)), int(arg(op, "index", 2))
    if isinstance(base, Recurrent) and dim in (0, 1):  # h[-1], out[:, -1]
        return b.recurrent_part(op, base, index if dim == 0 else (slice(None), index))
    raise Unsupported(f"selecting index {index} of dimension {dim}; slices have no palette equivalent")


def _index_text(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return ", ".join(":" if p == slice(None) else str(p) for p in parts)


def _size(b: Builder, op: Op) -> Value:
    shape = b.shape_of(op.args[0])
    dim = arg(op, "dim", 1)
    return Python(shape[dim] if dim is not None else tuple(shape))


def _getattr(b: Builder, op: Op) -> Value:
    if op.args[1] == "shape":
        return Python(tuple(b.shape_of(op.args[0])))
    raise Unsupported(f"reading .{op.args[1]} of a tensor")


CALLS: dict[str, Handler] = {
    "relu": _unary("ReLU"), "relu6": _unary("ReLU6"), "sigmoid": _unary("Sigmoid"), "tanh": _unary("Tanh"),
    "silu": _unary("SiLU"), "hardswish": _unary("Hardswish"), "hardsigmoid": _unary("Hardsigmoid"),
    "gelu": _gelu, "leaky_relu": _leaky, "elu": _elu, "hardtanh": _hardtanh, "softmax": _softmax,
    "add": _merge("Add", operator.add), "mul": _merge("Multiply", operator.mul), "cat": _cat,
    "flatten": _flatten, "view": _view, "adaptive_avg_pool2d": _adaptive, "max_pool2d": _maxpool,
    "avg_pool2d": _avgpool, "mean": _mean, "dropout": _dropout, "getitem": _getitem, "select": _select,
    "size": _size, "getattr": _getattr,
    "dim": lambda b, op: Python(len(b.shape_of(op.args[0]))),
    "alias": lambda b, op: b.value(arg(op, "input", 0)),
}

#: calls whose in-place form changes their input (checked against later uses of that input)
INPLACE_METHODS = ("relu_", "add_", "mul_")
