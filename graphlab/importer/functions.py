"""Which functions and methods the importer knows, under one canonical name per meaning.

``torch.relu``, ``F.relu``, ``x.relu()`` and ATen's ``aten.relu.default`` all mean ``relu``; ``x + y``,
``torch.add`` and ``x += y`` mean ``add``. The front ends name each call with :func:`canonical_function`,
:func:`canonical_method` or :func:`canonical_aten`, and give its arguments by name where the callable
has a signature (:func:`by_name`). What each canonical name becomes is decided in :mod:`.calls`.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch.fx.operator_schemas import normalize_function

#: a call that only passes its input on (no node)
ALIAS = "alias"

_FUNCTIONS: dict[Any, str] = {
    F.relu: "relu", torch.relu: "relu", torch.relu_: "relu", F.relu_: "relu",
    F.relu6: "relu6", F.hardtanh: "hardtanh",
    torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid", torch.tanh: "tanh", F.tanh: "tanh",
    F.silu: "silu", F.gelu: "gelu", F.hardswish: "hardswish", F.hardsigmoid: "hardsigmoid",
    F.leaky_relu: "leaky_relu", F.elu: "elu", F.softmax: "softmax", torch.softmax: "softmax",
    operator.add: "add", operator.iadd: "add", torch.add: "add",
    operator.mul: "mul", operator.imul: "mul", torch.mul: "mul",
    torch.cat: "cat", torch.concat: "cat", torch.concatenate: "cat",
    torch.flatten: "flatten", torch.reshape: "view",
    F.adaptive_avg_pool2d: "adaptive_avg_pool2d", F.avg_pool2d: "avg_pool2d", F.max_pool2d: "max_pool2d",
    torch.mean: "mean", F.dropout: "dropout", torch.dropout: "dropout",
    operator.getitem: "getitem", getattr: "getattr",
}

_METHODS: dict[str, str] = {
    "relu": "relu", "relu_": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softmax": "softmax",
    "add": "add", "add_": "add", "mul": "mul", "mul_": "mul",
    "view": "view", "reshape": "view", "flatten": "flatten", "mean": "mean",
    "size": "size", "dim": "dim", "contiguous": ALIAS, "clone": ALIAS,
}

_ATEN: dict[str, str] = {
    "relu": "relu", "relu_": "relu", "hardtanh": "hardtanh", "hardtanh_": "hardtanh", "relu6": "relu6",
    "sigmoid": "sigmoid", "tanh": "tanh", "silu": "silu", "silu_": "silu", "gelu": "gelu",
    "hardswish": "hardswish", "hardswish_": "hardswish", "hardsigmoid": "hardsigmoid",
    "leaky_relu": "leaky_relu", "elu": "elu", "softmax": "softmax", "_softmax": "softmax",
    "add": "add", "add_": "add", "mul": "mul", "mul_": "mul", "cat": "cat",
    "flatten": "flatten", "view": "view", "reshape": "view", "_unsafe_view": "view",
    "adaptive_avg_pool2d": "adaptive_avg_pool2d", "avg_pool2d": "avg_pool2d", "max_pool2d": "max_pool2d",
    "mean": "mean", "dropout": "dropout", "select": "select",
    "clone": ALIAS, "contiguous": ALIAS, "alias": ALIAS, "detach": ALIAS,
}

#: how a refusal names a function the user called
_SHOWN = {"_operator": "operator", "torch._C._nn": "F", "torch.nn.functional": "F", "torch._C._VariableFunctions": "torch"}


def canonical_function(fn: Callable[..., Any]) -> str:
    try:
        return _FUNCTIONS.get(fn, "")
    except TypeError:  # not hashable
        return ""


def canonical_method(name: str) -> str:
    return _METHODS.get(name, "")


def canonical_aten(op: Any) -> str:
    """``aten.relu.default`` → relu (the packet's name without the overload)."""
    name = getattr(getattr(op, "_overloadpacket", None), "__name__", None) or str(op).split(".")[-2:][0]
    return _ATEN.get(name, "")


def shown_function(fn: Any) -> str:
    """How the user wrote it: ``F.max_pool2d``, ``torch.cat``, ``operator.add`` (``+``)."""
    name = getattr(fn, "__name__", None) or str(fn)
    if fn in (operator.add, operator.iadd):
        return "+"
    if fn in (operator.mul, operator.imul):
        return "*"
    module = getattr(fn, "__module__", None) or ""
    if module == "torch" or getattr(fn, "__self__", None) is not None and module in ("", "torch"):
        return f"torch.{name}"
    prefix = _SHOWN.get(module, module.replace("torch.nn.functional", "F"))
    return f"{prefix}.{name}" if prefix else name


def shown_aten(op: Any) -> str:
    packet = getattr(getattr(op, "_overloadpacket", None), "__name__", None)
    return f"torch.{packet}" if packet else str(op)


def by_name(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call's arguments by parameter name when ``fn`` has a signature torch.fx can read (``input``
    or ``self`` first), else as they were given."""
    try:
        pair = normalize_function(fn, args, kwargs, normalize_to_only_use_kwargs=True)
    except Exception:  # noqa: BLE001 - no schema, several overloads: positional it stays
        pair = None
    if pair is None:
        return tuple(args), dict(kwargs)
    named = dict(pair.kwargs)
    if "self" in named and "input" not in named:
        named["input"] = named.pop("self")
    return (), named
