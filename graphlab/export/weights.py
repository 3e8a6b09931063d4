"""Checkpoints for export: read safely, check against the compiled module, write beside an export.

A checkpoint is a run folder (its ``last.safetensors``), a ``.safetensors`` file (a state_dict, or a ``graphlab train`` checkpoint whose
``model.*`` tensors are taken and ``optim.*`` ones dropped) or a torch state_dict read with
``weights_only=True``: tensors only, nothing is unpickled. A dict that wraps the state_dict under ``"state_dict"`` or
``"model"`` is unwrapped. Keys and shapes must match the compiled module exactly; a mismatch is one
message that names the node (the first part of the key). Weights holding NaN or inf are exported
with an :class:`ExportWarning` naming the tensor.
"""
from __future__ import annotations

import io
import warnings
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
from ..io.readfile import ensure_regular
from .model_source import ExportError


def from_checkpoint(flat: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The module's state_dict from a ``graphlab train`` checkpoint (``model.<key>`` tensors beside
    ``optim.*`` ones, see :mod:`graphlab.run.checkpoint`); any other safetensors file as it is."""
    if any(k.startswith("model.") for k in flat):
        return {k[len("model."):]: v for k, v in flat.items() if k.startswith("model.")}
    return flat


class ExportWarning(UserWarning):
    """Something an export should say without refusing (weights holding NaN); the command line prints
    each as one ``graphlab: warning:`` line."""


def checkpoint_file(path: str | Path) -> Path:
    """The file ``--weights`` names: the file itself, or a run folder's ``last.safetensors`` (its only
    ``.safetensors`` file when there is no ``last``), as ``graphlab step --weights`` reads it."""
    p = Path(path)
    if p.is_dir():
        cand = p / "last.safetensors"
        if cand.is_file():
            return cand
        found = sorted(p.glob("*.safetensors"))
        if len(found) != 1:
            raise ExportError(f"--weights: {p}: a run folder needs last.safetensors (found "
                              f"{', '.join(f.name for f in found[:5]) or 'no checkpoint'})")
        return found[0]
    if not p.exists():
        raise ExportError(f"--weights: {p}: no such file or run folder")
    return p


def read_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    p = checkpoint_file(path)
    try:
        ensure_regular(p)  # a FIFO or a device is refused, never read
        with warnings.catch_warnings():  # torch's notes on the pickle protocol: the refusal below says it all
            warnings.simplefilter("ignore")
            if p.suffix == ".safetensors":
                from safetensors.torch import load_file

                state: Any = from_checkpoint(load_file(str(p), device="cpu"))
            else:
                state = torch.load(str(p), map_location="cpu", weights_only=True)
    except OSError as e:
        raise ExportError(f"--weights: {p}: cannot read: {e.strerror or error_line(e)}") from None
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
    bad = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        warnings.warn(ExportWarning(
            f"--weights: {p}: {bad[0]} (node '{bad[0].split('.')[0]}') holds NaN or infinite values"
            f"{_more(bad, 1)}; the exported model will compute NaN (export an earlier checkpoint)"), stacklevel=2)
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
    checkpoint_file(weights)  # a file, or a run folder with its checkpoint
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
