"""Helpers shared by the layer catalogue modules: shape text, rank checks, lazy torch access."""
from __future__ import annotations

import importlib
from typing import Any, Sequence

from ..spec import Shape, ShapeError

RANK_NAMES = {0: "a scalar", 1: "a vector [F]", 2: "a sequence [T, F]", 3: "an image [C, H, W]"}


def fmt(shape: Sequence[int]) -> str:
    """Shape as users read it: 6×24×24, or 'scalar' for ()."""
    return "×".join(str(d) for d in shape) if len(shape) else "scalar"


def describe(shape: Shape) -> str:
    return f"{RANK_NAMES.get(len(shape), f'a rank-{len(shape)} tensor')} ({fmt(shape)})"


def need_rank(layer: str, shape: Shape, ranks: Sequence[int], hint: str = "") -> None:
    if len(shape) not in ranks:
        want = " or ".join(RANK_NAMES.get(r, f"rank {r}") for r in ranks)
        raise ShapeError(f"{layer} expects {want} but gets {describe(shape)}" + (f"; {hint}" if hint else ""))


def torch_dim(dim: int) -> int:
    """Per-sample dim (batch excluded) -> the dim of the batched tensor."""
    return dim + 1 if dim >= 0 else dim


def nn() -> Any:
    """torch.nn, imported on first use so that graphlab.core never imports torch."""
    return importlib.import_module("torch.nn")


def modules() -> Any:
    """graphlab.compiler.modules (GraphLab's own nn.Modules), imported lazily."""
    return importlib.import_module("graphlab.compiler.modules")


def call(callee: str, *args: Any, defaults: dict[str, Any] | None = None, **kwargs: Any) -> tuple:
    """An export rule's result: ``(callee, args, kwargs)`` without the kwargs equal to ``defaults``."""
    defaults = defaults or {}
    return callee, args, {k: v for k, v in kwargs.items() if k not in defaults or defaults[k] != v}


def same(params: Any, inputs: Sequence[Shape]) -> Shape:
    return inputs[0]


def any_rank(params: Any, inputs: Sequence[Shape]) -> Shape:
    return inputs[0]
