"""Checkpoints: weights (and the optimizer's tensors) in one safetensors file. Never a pickle.

Keys: ``model.<state_dict key>`` for the module's parameters and buffers, ``optim.<i>.<name>`` for
the optimizer's per-parameter state (momentum buffers, Adam moments, step counts) by parameter
index. The safetensors header's string metadata holds ``epoch``, ``step``, ``graph`` (name) and
``format`` ("graphlab-checkpoint-1"). Writes are atomic (temporary file + rename), so a crash never
leaves a half-written checkpoint in place of the last good one; the temporary file carries the
writer's pid, and the next save (or run) in that folder removes those whose writer is gone.

Reading a file and checking that it fits a module is :mod:`graphlab.run.weights` (the one place every
consumer goes through); :func:`read_weights` returns just the module's state_dict.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from ..io.fileformat import target_mode
from ..io.tempfiles import clean_stale, create_temp
from .weights import CHECKPOINT_FORMAT as FORMAT
from .weights import CheckpointError, check_fits, model_state, read_tensors

__all__ = ["FORMAT", "CheckpointError", "read_checkpoint", "read_weights", "restore", "save_checkpoint"]


def save_checkpoint(path: str | os.PathLike[str], module: torch.nn.Module, optimizer: torch.optim.Optimizer | None,
                    *, epoch: int, step: int, graph: str = "", extra: dict[str, str] | None = None,
                    rng: torch.Tensor | None = None) -> Path:
    """``extra``: more string metadata (e.g. ``partial``, the position inside an epoch a run stopped at);
    ``rng``: the CPU random generator's state at that point (stored as the tensor ``rng.cpu``)."""
    path = Path(path)
    tensors: dict[str, torch.Tensor] = {f"model.{k}": v.detach().cpu().contiguous()
                                        for k, v in module.state_dict().items()}
    if rng is not None:
        tensors["rng.cpu"] = rng.detach().cpu().contiguous()
    if optimizer is not None:
        state = optimizer.state_dict()["state"]
        for i, st in state.items():
            for name, v in st.items():
                if v is None:  # e.g. a momentum buffer not created yet
                    continue
                t = v if isinstance(v, torch.Tensor) else torch.tensor(v)
                tensors[f"optim.{i}.{name}"] = t.detach().cpu().contiguous()
    meta = {"format": FORMAT, "epoch": str(epoch), "step": str(step), "graph": graph, **(extra or {})}
    return _write(path, tensors, meta)


def save_weights(path: str | os.PathLike[str], state: dict[str, torch.Tensor], *, graph: str = "") -> Path:
    """A checkpoint holding only a module's state_dict (no optimizer, epoch 0): what ``graphlab import
    --weights`` writes, read by ``export --weights``, ``train --resume`` and the stepper's Load."""
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in state.items()}
    return _write(Path(path), tensors, {"format": FORMAT, "epoch": "0", "step": "0", "graph": graph})


def _write(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path.parent)  # temporary files a crashed run left behind (graphlab.io.tempfiles)
    fd, tmp = create_temp(path)
    os.close(fd)
    try:
        mode = target_mode(path)  # the old checkpoint's bits, else the umask's (mkstemp's file is 0600)
        save_file(tensors, tmp, metadata=meta)  # it writes tmp anew: set the mode after it, as atomic_write does
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, dict[str, torch.Tensor]],
                                                           dict[str, Any]]:
    """(model state_dict, optimizer state by param index, metadata; metadata["rng"] is a tensor if saved).
    Read by :func:`graphlab.run.weights.read_tensors`: a plain state_dict (safetensors, or a torch file
    read with weights_only=True) gives its tensors, no optimizer state and no metadata."""
    flat, meta = read_tensors(path)
    model = model_state(flat, meta)
    optim: dict[str, dict[str, torch.Tensor]] = {}
    for k, v in flat.items():
        if k.startswith("optim.") and k.count(".") >= 2:
            _, i, name = k.split(".", 2)
            optim.setdefault(i, {})[name] = v
    out: dict[str, Any] = dict(meta)
    if "rng.cpu" in flat:
        out["rng"] = flat["rng.cpu"]
    return model, optim, out


def read_weights(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Just the module's state_dict of a checkpoint."""
    return read_checkpoint(path)[0]


def restore(path: str | os.PathLike[str], module: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None,
            *, read: tuple[dict[str, torch.Tensor], dict[str, dict[str, torch.Tensor]], dict[str, Any]] | None = None
            ) -> dict[str, Any]:
    """Load a checkpoint into module (and optimizer); returns its metadata. Raises CheckpointError.
    The weights are checked by :func:`graphlab.run.weights.check_fits`, the one check every consumer
    runs. ``read``: what :func:`read_checkpoint` already returned for ``path``."""
    model, optim, meta = read if read is not None else read_checkpoint(path)
    check_fits(module, model, os.fspath(path))
    module.load_state_dict(model, strict=True)
    if optimizer is not None and optim:
        sd = optimizer.state_dict()
        sd["state"] = {int(i): dict(st) for i, st in optim.items()}
        try:
            optimizer.load_state_dict(sd)
        except (ValueError, KeyError, RuntimeError) as e:
            raise CheckpointError(f"{path}: the optimizer state does not fit ({e}); "
                                  "use the same optimizer as the run that wrote it") from None
    return meta
