"""Trace a model: torch.fx first, torch.export (non-strict) when fx cannot, a one-line refusal when
neither can. Also guesses an input shape when none is given.

Refusals say why in the user's words and where (file:line):

* the forward branches on a tensor's *values* (``if x.sum() > 0``): no single graph computes it;
* the model does not run on the input shape (a Linear expecting 400 features gets 576);
* neither tracer follows the code (the fx error, at its line).
"""
from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from ..core.text import error_line
from .errors import ImportRefused
from .front_export import quiet, trace_export
from .front_fx import trace_fx
from .ir import Trace
from .loading import user_frame
from .modules import RECURRENT

#: the batch the trace runs with (2, so nothing mistakes the batch for a broadcast dimension)
BATCH = 2
#: image sizes tried, in order, when no input shape is given and the model starts with a convolution
IMAGE_SIZES = (224, 32, 28, 64, 96, 299, 256)
#: time steps of a guessed sequence input
GUESSED_STEPS = 8

_DATA_DEPENDENT = ("data-dependent", "GuardOnDataDependentSymNode", "Could not guard on data-dependent",
                   "cannot be called on meta tensors", "Tensor.item()")


def _meta_input(shape: tuple[int, ...]) -> torch.Tensor:
    return torch.empty(BATCH, *shape, device="meta")


def runs_on(model: nn.Module, shape: tuple[int, ...]) -> BaseException | None:
    """None when ``model`` runs on a meta batch of ``shape``, else the exception it raised."""
    try:
        with torch.no_grad(), quiet():
            model(_meta_input(shape))
    except Exception as e:  # noqa: BLE001 - the user's code
        return e
    return None


def guess_input_shape(model: nn.Module) -> tuple[tuple[int, ...], str]:
    """(a shape the model runs on, how it was chosen), from its first layer; refused when there is no clue."""
    first = next((m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear, *RECURRENT))), None)
    if isinstance(first, nn.Conv2d):
        for size in IMAGE_SIZES:
            shape = (first.in_channels, size, size)
            if runs_on(model, shape) is None:
                return shape, f"its first layer is a Conv2d with {first.in_channels} input channels"
    elif isinstance(first, nn.Linear) and runs_on(model, (first.in_features,)) is None:
        return (first.in_features,), f"its first layer is a Linear with {first.in_features} inputs"
    elif isinstance(first, RECURRENT) and runs_on(model, (GUESSED_STEPS, first.input_size)) is None:
        return (GUESSED_STEPS, first.input_size), f"its first layer is an {type(first).__name__} with " \
                                                  f"{first.input_size} inputs ({GUESSED_STEPS} time steps)"
    raise ImportRefused("no input shape given and none could be guessed from the first layer; give one, "
                        "e.g. --input-shape 3,32,32 (per sample, without the batch)")


def trace_model(model: nn.Module, shape: tuple[int, ...], path: Any) -> Trace:
    x = _meta_input(shape)
    if len(_tensor_args(model)) != 1:
        raise ImportRefused(f"{type(model).__name__}.forward takes {len(_tensor_args(model))} arguments without "
                            "defaults; GraphLab imports models with one input", _forward_line(model, path))
    try:
        with quiet():
            return trace_fx(model, x, path)
    except Exception as fx_error:  # noqa: BLE001 - fall back to torch.export, then say why
        return _fallback(model, shape, path, fx_error)


def _fallback(model: nn.Module, shape: tuple[int, ...], path: Any, fx_error: Exception) -> Trace:
    problem = runs_on(model, shape)
    if problem is not None and not _data_dependent(problem):
        where = user_frame(problem.__traceback__, path)
        raise ImportRefused(f"with input shape {list(shape)} the model raised {error_line(problem, 300, with_type=True)}; "
                            "give the shape it takes with --input-shape", where)
    try:
        return trace_export(model, _meta_input(shape), path)
    except Exception as e:  # noqa: BLE001
        if _data_dependent(e) or (problem is not None and _data_dependent(problem)):
            where = user_frame(e.__traceback__, path) or (user_frame(problem.__traceback__, path) if problem else None)
            raise ImportRefused("the forward branches on the values in a tensor (data-dependent control flow, e.g. "
                                "`if x.sum() > 0`); a graph computes the same operations for every input", where) from None
        where = user_frame(fx_error.__traceback__, path) or user_frame(e.__traceback__, path)
        raise ImportRefused(f"torch.fx cannot trace it ({error_line(fx_error, 200)}), nor can torch.export "
                            f"({error_line(e, 200)})", where) from None


def _data_dependent(e: BaseException) -> bool:
    text = f"{type(e).__name__}: {e}"
    return any(s in text for s in _DATA_DEPENDENT)


def _tensor_args(model: nn.Module) -> list[str]:
    try:
        sig = inspect.signature(model.forward)
    except (TypeError, ValueError):
        return ["x"]
    return [p.name for p in sig.parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]


def _forward_line(model: nn.Module, path: Any) -> str | None:
    try:
        return f"{inspect.getsourcefile(type(model).forward)}:{inspect.getsourcelines(type(model).forward)[1]}"
    except (OSError, TypeError):
        return None
