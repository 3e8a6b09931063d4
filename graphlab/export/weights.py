"""Checkpoints for export: read safely, check against the compiled module, write beside an export.

A checkpoint is a ``.safetensors`` file (a state_dict, or a ``graphlab train`` checkpoint whose
``model.*`` tensors are taken and ``optim.*`` ones dropped) or a torch state_dict read with
``weights_only=True``: tensors only, nothing is unpickled. A dict that wraps the state_dict under ``"state_dict"`` or
``"model"`` is unwrapped. Keys and shapes must match the compiled module exactly; a mismatch is one
message that names the node (the first part of the key).
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch
from torch import fx, nn

from ..compiler import BuildError, CompileError, compile_graph
from ..core.analysis import Analysis
from ..core.graph import Graph
from ..core.memory import inference_problem
from ..core.text import error_line
from ..io import atomic_write
from .model_source import ExportError


def from_checkpoint(flat: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The module's state_dict from a ``graphlab train`` checkpoint (``model.<key>`` tensors beside
    ``optim.*`` ones, see :mod:`graphlab.run.checkpoint`); any other safetensors file as it is."""
    if any(k.startswith("model.") for k in flat):
        return {k[len("model."):]: v for k, v in flat.items() if k.startswith("model.")}
    return flat


def read_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    p = Path(path)
    if not p.is_file():
        raise ExportError(f"--weights: {p}: no such file")
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            state: Any = from_checkpoint(load_file(str(p), device="cpu"))
        else:
            state = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as e:  # unreadable, truncated, or holding objects weights_only refuses
        if p.suffix == ".safetensors":
            raise ExportError(f"--weights: {p}: not a valid safetensors file ({error_line(e)})") from None
        raise ExportError(f"--weights: {p}: not a torch state_dict that loads with weights_only=True "
                          f"(tensors only; GraphLab never unpickles objects)") from None
    if isinstance(state, dict):
        for key in ("state_dict", "model"):
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    if not isinstance(state, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise ExportError(f"--weights: {p}: expected a state_dict (parameter name -> tensor)")
    return state


def _more(items: list[str], shown: int) -> str:
    return f" (and {len(items) - shown} more)" if len(items) > shown else ""


def load_into(module: nn.Module, state: dict[str, torch.Tensor], source: str = "--weights") -> None:
    """``module.load_state_dict(state, strict=True)`` with one readable message on a mismatch."""
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(own[k].shape) != tuple(state[k].shape)]
    if missing or unexpected or wrong:
        parts = []
        if wrong:
            k = wrong[0]
            parts.append(f"node '{k.split('.')[0]}': {k} is {list(state[k].shape)} in the checkpoint but "
                         f"{list(own[k].shape)} in the graph" + _more(wrong, 1))
        if missing:
            parts.append(f"missing {', '.join(missing[:3])}" + _more(missing, 3))
        if unexpected:
            parts.append(f"not in the graph: {', '.join(unexpected[:3])}" + _more(unexpected, 3))
        raise ExportError(f"{source}: the checkpoint does not fit this graph: " + "; ".join(parts))
    module.load_state_dict(state, strict=True)


def fits_in_memory(analysis: Analysis, *, copies: int, what: str, batch: int = 0) -> None:
    """Raise ExportError naming the node when ``copies`` of the weights (and a forward pass of ``batch``
    samples) do not fit in memory."""
    problem = inference_problem(analysis, copies=copies, batch=batch, what=what)
    if problem is not None:
        node, message = problem
        raise ExportError(f"{node or 'graph'}: {message}", node=node, code=1)


def build(graph: Graph, analysis: Analysis, *, seed: int, init: str | None = None) -> fx.GraphModule:
    """``compile_graph`` with its failures as ExportError naming the node or field."""
    try:
        return compile_graph(graph, seed=seed, init=init, analysis=analysis)
    except BuildError as e:
        raise ExportError(f"{e.node}: {e}", node=e.node, code=1) from None
    except CompileError as e:
        raise ExportError(error_line(e), code=1) from None


def compile_with_weights(graph: Graph, analysis: Analysis, weights: str | Path, *, seed: int,
                         init: str | None = None) -> fx.GraphModule:
    """The compiled module with the checkpoint loaded: checked to fit in memory (the model and the
    checkpoint, two copies of the weights) before anything is read or built."""
    if not Path(weights).is_file():
        raise ExportError(f"--weights: {weights}: no such file")
    fits_in_memory(analysis, copies=2, what="exporting with --weights")
    state = read_checkpoint(weights)
    gm = build(graph, analysis, seed=seed, init=init)
    load_into(gm, state)
    return gm


def write_state_dict(module: nn.Module, path: Path) -> None:
    """Save ``module``'s weights as a torch state_dict (plain tensors, loadable with weights_only=True)."""
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}, buf)
    atomic_write(path, buf.getvalue())
