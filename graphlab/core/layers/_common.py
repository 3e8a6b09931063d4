"""Helpers shared by the layer catalogue modules: shape text, rank checks, torch module names.

Specs name the ``nn.Module`` that implements them with :func:`nn_module` (a ``torch.nn`` class) or
:func:`own_module` (one of GraphLab's own classes in ``graphlab.compiler.modules``); the compiler
resolves the name, so nothing here imports torch or any other graphlab package.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..spec import KwargsRule, Shape, ShapeError, TorchModule, _no_kwargs
from ..text import fmt_count

RANK_NAMES = {0: "a scalar", 1: "a vector [F]", 2: "a sequence [T, F]", 3: "an image [C, H, W]"}


def fmt(shape: Sequence[int]) -> str:
    """Shape as users read it: 6×24×24, or 'scalar' for (); a dim from 10^18 on as 1.0e+308."""
    return "×".join(fmt_count(d) if type(d) is int and not -10 ** 18 < d < 10 ** 18 else str(d)
                    for d in shape) if len(shape) else "scalar"


def describe(shape: Shape) -> str:
    return f"{RANK_NAMES.get(len(shape), f'a rank-{len(shape)} tensor')} ({fmt(shape)})"


def need_rank(layer: str, shape: Shape, ranks: Sequence[int], hint: str = "") -> None:
    if len(shape) not in ranks:
        want = " or ".join(RANK_NAMES.get(r, f"rank {r}") for r in ranks)
        raise ShapeError(f"{layer} expects {want} but gets {describe(shape)}" + (f"; {hint}" if hint else ""))


def torch_dim(dim: int) -> int:
    """Per-sample dim (batch excluded) -> the dim of the batched tensor."""
    return dim + 1 if dim >= 0 else dim


def nn_module(name: str, kwargs: KwargsRule = _no_kwargs) -> TorchModule:
    """The layer is ``torch.nn.<name>(**kwargs(params, input_shapes, output_shape))``."""
    return TorchModule(name, kwargs)


def own_module(name: str, kwargs: KwargsRule = _no_kwargs) -> TorchModule:
    """The layer is GraphLab's ``graphlab.compiler.modules.<name>(**kwargs(...))``."""
    return TorchModule(name, kwargs, own=True)


def same(params: Any, inputs: Sequence[Shape]) -> Shape:
    return inputs[0]


def any_rank(params: Any, inputs: Sequence[Shape]) -> Shape:
    return inputs[0]
