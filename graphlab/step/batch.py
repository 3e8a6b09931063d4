"""The batch, targets, upstream gradient and weights a stepper walks with.

* Inputs: given as ``{input_id: tensor}`` (a numpy array or tensor, with or without the batch
  dimension); else the first ``batch`` samples of the validation split of the dataset the training
  section names (graphlab.run's own dataset builders, read-only); else seeded N(0, 1) per Input
  node. A dataset that cannot be built or does not fit the graph falls back to random inputs with a
  note saying why.
* Targets (graphs with a loss): given; else the dataset's; else seeded ones that fit the loss's task
  (class indices for classification, N(0, 1) values for regression).
* Upstream (graphs without a loss): L = Σ over each sink of Σ out · upstream. A sink with one value
  per sample gets upstream 1, so L is the output itself, as in the course's circuit diagrams
  (∂f/∂x for f = (x + y)·z); a wider sink gets seeded N(0, 1) values, since a plain sum would hide
  most of the gradient (a softmax's outputs sum to 1).
* Weights: a checkpoint file (.safetensors, or a torch state_dict), a run folder (its
  ``last.safetensors``), or a state_dict; read and checked by :mod:`graphlab.run.weights`.

Every problem raises :class:`StepError` with one line naming the node, key or file.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Mapping

import torch

from ..core.analysis import Analysis
from ..core.graph import Graph
from ..core.layers._common import fmt
from ..core.registry import REGISTRY


class StepError(Exception):
    """A stepper cannot be set up or run. ``node`` names the node at fault; ``kind`` is "input" (bad
    inputs, targets, weights or arguments), "graph" (the graph has errors), "memory" (the walk cannot
    fit in the memory available: refused before anything is built) or "run" (a module failed on this
    batch, e.g. BatchNorm in training mode with one sample)."""

    def __init__(self, message: str, node: str | None = None, kind: str = "input") -> None:
        super().__init__(message)
        self.node = node
        self.kind = kind


def _as_tensor(value: Any, where: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise StepError(f"{where}: complex numbers (dtype {value.dtype}); the layers take real values")
        return value.detach()
    try:
        import numpy as np

        arr = np.asarray(value)
    except Exception as e:  # noqa: BLE001 - anything that is not array-like
        raise StepError(f"{where}: not an array ({e})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise StepError(f"{where}: not a numeric array (dtype {arr.dtype})")
    if arr.dtype.kind == "c":  # casting would silently drop the imaginary part
        raise StepError(f"{where}: complex numbers (dtype {arr.dtype}); the layers take real values")
    return torch.from_numpy(np.ascontiguousarray(arr))


def explicit_inputs(a: Analysis, given: Mapping[str, Any], dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """Check ``{input_id: array}`` against the graph's Input nodes; add a batch dim where it lacks one."""
    for key in given:
        if key not in a.inputs:
            known = ", ".join(a.inputs) or "none"
            raise StepError(f"input '{key}' is not an Input node of this graph (its Input nodes: {known})", None)
    out: dict[str, torch.Tensor] = {}
    batch = None
    for nid in a.inputs:
        if nid not in given:
            raise StepError(f"no values for Input node '{nid}' (give one array per Input node: "
                            f"{', '.join(a.inputs)})", nid)
        t = _as_tensor(given[nid], f"input '{nid}'")
        shape = tuple(a.nodes[nid].shape or ())
        if tuple(t.shape) == shape:
            t = t.unsqueeze(0)
        elif tuple(t.shape[1:]) != shape:
            raise StepError(f"input '{nid}' has shape {fmt(tuple(t.shape))} but Input node '{nid}' takes "
                            f"{fmt(shape)} per sample (give [{fmt(shape)}] or [batch, {fmt(shape)}])", nid)
        if t.shape[0] == 0:
            raise StepError(f"input '{nid}' holds no samples", nid)
        if batch is not None and t.shape[0] != batch:
            raise StepError(f"input '{nid}' has {t.shape[0]} samples but the other inputs have {batch}", nid)
        batch = t.shape[0]
        out[nid] = t.to(dtype).contiguous().clone()  # clone keeps strides: a transposed array stays one
    return out


def explicit_batch(a: Analysis, given: Mapping[str, Any]) -> int:
    """How many samples ``{input_id: array}`` holds, from shapes alone (before anything is converted):
    what the memory check must count."""
    n = 1
    for nid in a.inputs:
        shape = tuple(getattr(given.get(nid), "shape", ()) or ())
        if shape and shape != tuple(a.nodes[nid].shape or ()):
            n = max(n, int(shape[0]))
    return n


def random_inputs(a: Analysis, batch: int, seed: int, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return {nid: torch.randn(batch, *(a.nodes[nid].shape or ()), generator=gen, dtype=torch.float64).to(dtype)
            for nid in a.inputs}


def dataset_batch(graph: Graph, a: Analysis, batch: int, base_dir: str | os.PathLike[str] | None,
                  dtype: torch.dtype) -> tuple[dict[str, torch.Tensor] | None, torch.Tensor | None, str]:
    """The first ``batch`` validation samples of the training section's dataset:
    (inputs or None, targets or None, a note: which data, or why none)."""
    if "dataset" not in (graph.training or {}):
        return None, None, ""
    from ..run.config import ConfigError, parse_training
    from ..run.datasets import DataError, build_dataset
    from ..run.fits import check_dataset
    from ..run.setup import SetupError

    try:
        cfg = parse_training(graph.training)
    except ConfigError as e:
        return None, None, f"training section unusable ({e}); using seeded random inputs"
    name = cfg.dataset.name
    try:
        check_dataset(cfg)  # a built-in dataset too large to make is refused before it is made
        with torch.random.fork_rng(devices=[]):
            data = build_dataset(cfg, base_dir)
    except (DataError, SetupError, OSError, ValueError, MemoryError) as e:
        return None, None, f"dataset {name} could not be loaded ({e}); using seeded random inputs"
    if len(a.inputs) != 1:
        return None, None, f"dataset {name} gives one tensor per sample but the graph has {len(a.inputs)} Input nodes"
    nid = a.inputs[0]
    shape = tuple(a.nodes[nid].shape or ())
    if tuple(data.sample_shape) != shape:
        return None, None, (f"dataset {name}'s samples are {fmt(tuple(data.sample_shape))} but Input '{nid}' takes "
                            f"{fmt(shape)}; using seeded random inputs")
    split = "validation"
    if data.in_memory:
        x, y = (data.x_val, data.y_val) if data.n_val else (data.x_train, data.y_train)
        assert x is not None and y is not None  # an in-memory dataset holds its tensors
        split = "validation" if data.n_val else "training"
        x, y = x[:batch], y[:batch]
    else:
        ds = data.val_set if data.n_val else data.train_set
        split = "validation" if data.n_val else "training"
        items = [ds[i] for i in range(min(batch, len(ds)))]
        x = torch.stack([it[0] for it in items])
        y = torch.tensor([it[1] for it in items])
    targets = y if a.loss is not None and _task_fits(graph, a, data.task) else None
    return {nid: x.to(dtype).clone()}, targets, f"{len(x)} {split} sample(s) of dataset {name}"


def _task_fits(graph: Graph, a: Analysis, task: str) -> bool:
    spec = REGISTRY.get(graph.nodes[a.loss].type) if a.loss else None
    return spec is not None and spec.task == task


def check_targets(graph: Graph, a: Analysis, targets: Any, batch: int, pred_shape: tuple[int, ...],
                  dtype: torch.dtype) -> torch.Tensor:
    loss = a.loss
    t = _as_tensor(targets, f"targets of loss '{loss}'")
    spec = REGISTRY.get(graph.nodes[loss].type) if loss else None
    if t.shape[:1] != (batch,):
        raise StepError(f"targets of loss '{loss}' have {t.shape[0] if t.dim() else 0} rows but the batch has "
                        f"{batch} samples", loss)
    if spec is not None and spec.task == "classification":
        if t.is_floating_point() and not bool((t == t.round()).all()):
            raise StepError(f"targets of loss '{loss}' must be class indices (whole numbers)", loss)
        t = t.long()
        classes = pred_shape[-1] if pred_shape else 1
        if t.dim() != 1 or (t.numel() and (int(t.min()) < 0 or int(t.max()) >= classes)):
            raise StepError(f"targets of loss '{loss}' must be one class index in 0..{classes - 1} per sample", loss)
        return t
    if tuple(t.shape[1:]) != pred_shape:
        raise StepError(f"targets of loss '{loss}' are {fmt(tuple(t.shape[1:]))} per sample but the prediction "
                        f"is {fmt(pred_shape)}", loss)
    return t.to(dtype)


def random_targets(graph: Graph, a: Analysis, batch: int, pred_shape: tuple[int, ...], seed: int,
                   dtype: torch.dtype) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed + 1)
    spec = REGISTRY.get(graph.nodes[a.loss].type) if a.loss else None
    if spec is not None and spec.task == "classification":
        classes = pred_shape[-1] if pred_shape else 1
        return torch.randint(0, classes, (batch,), generator=gen)
    return torch.randn(batch, *pred_shape, generator=gen, dtype=torch.float64).to(dtype)


def make_upstream(shape: tuple[int, ...], seed: int, dtype: torch.dtype) -> torch.Tensor:
    """ones for one value per sample, else seeded N(0, 1) (``shape`` includes the batch)."""
    if math.prod(shape[1:]) == 1:
        return torch.ones(shape, dtype=dtype)
    gen = torch.Generator().manual_seed(seed + 2)
    return torch.randn(shape, generator=gen, dtype=torch.float64).to(dtype)


def checkpoint_path(weights: str | os.PathLike[str]) -> Path:
    p = Path(weights)
    if p.is_dir():
        cand = p / "last.safetensors"
        if not cand.is_file():
            found = sorted(p.glob("*.safetensors"))
            if len(found) != 1:
                raise StepError(f"{p}: a run folder needs last.safetensors (found "
                                f"{', '.join(f.name for f in found) or 'no checkpoint'})")
            cand = found[0]
        return cand
    if not p.exists() and not p.is_symlink():
        raise StepError(f"{p}: no such checkpoint file or run folder")
    return p


def load_weights(module: torch.nn.Module, weights: Any) -> str:
    """Load a checkpoint path / run folder / state_dict into ``module``; returns a note naming it.
    Checked by :mod:`graphlab.run.weights`, as every consumer of a weights file is."""
    from ..run.weights import CheckpointError, check_fits
    from ..run.weights import load_weights as load_file

    try:
        if isinstance(weights, Mapping):
            state = dict(weights)
            check_fits(module, state, "weights")
            module.load_state_dict(state, strict=True)
            return "weights from a state_dict"
        path = checkpoint_path(weights)
        load_file(module, path)
    except CheckpointError as e:
        raise StepError(str(e), e.node) from None
    return f"weights from {path}"
