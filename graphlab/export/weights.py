"""Checkpoints for export: read safely, check against the compiled module, write beside an export.

A checkpoint is a run folder (its ``last.safetensors``), a ``.safetensors`` file (a state_dict, or a
``graphlab train`` checkpoint whose ``model.*`` tensors are taken and ``optim.*`` ones dropped) or a
torch state_dict read with ``weights_only=True``: tensors only, nothing is unpickled. Reading the file
and checking it against the module is :mod:`graphlab.run.weights`, the one place every consumer goes
through (the exported scripts get a copy of its source): keys, shapes and kinds must match the
compiled module exactly; a mismatch is one message that names the node. Here its problems become
:class:`ExportError` prefixed with ``--weights:``. Weights holding NaN or inf are exported with an
:class:`ExportWarning` naming the tensor.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch
from torch import fx, nn

from ..compiler import BuildError, CompileError, compile_graph
from ..core.analysis import Analysis
from ..core.graph import Graph
from ..core.memory import inference_problem
from ..core.text import error_line
from ..io import atomic_write
from ..run.weights import CheckpointError, check_fits, model_state, read_tensors
from .model_source import ExportError


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


def read_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The module's state_dict in the file ``--weights`` names (read by :mod:`graphlab.run.weights`);
    an ExportWarning names a tensor holding NaN or inf."""
    p = checkpoint_file(path)
    try:
        flat, meta = read_tensors(p)
    except CheckpointError as e:
        raise ExportError(f"--weights: {e}", node=e.node) from None
    state = model_state(flat, meta)
    bad = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        warnings.warn(ExportWarning(
            f"--weights: {p}: {bad[0]} (node '{bad[0].split('.')[0]}') holds NaN or infinite values"
            f"{_more(bad, 1)}; the exported model will compute NaN (export an earlier checkpoint)"), stacklevel=2)
    return state


def _more(items: list[str], shown: int) -> str:
    return f" (and {len(items) - shown} more)" if len(items) > shown else ""


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
    checkpoint, two copies of the weights) before anything is read or built, and read before the
    module is built."""
    path = checkpoint_file(weights)  # a file, or a run folder with its checkpoint
    fits_in_memory(analysis, copies=2, what="exporting with --weights")
    state = read_state(path)
    gm = build(graph, analysis, seed=seed, init=init)
    try:
        check_fits(gm, state, str(path))
    except CheckpointError as e:
        raise ExportError(f"--weights: {e}", node=e.node) from None
    gm.load_state_dict(state, strict=True)
    return gm


def write_state_dict(module: nn.Module, path: Path) -> None:
    """Save ``module``'s weights as a torch state_dict (plain tensors, loadable with weights_only=True)."""
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}, buf)
    atomic_write(path, buf.getvalue())
