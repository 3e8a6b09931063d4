"""Checkpoints: weights (and the optimizer's tensors) in one safetensors file. Never a pickle.

Keys: ``model.<state_dict key>`` for the module's parameters and buffers, ``optim.<i>.<name>`` for
the optimizer's per-parameter state (momentum buffers, Adam moments, step counts) by parameter
index. The safetensors header's string metadata holds ``epoch``, ``step``, ``graph`` (name) and
``format`` ("graphlab-checkpoint-1"). Writes are atomic (temporary file + rename), so a crash never
leaves a half-written checkpoint in place of the last good one; the temporary file carries the
writer's pid, and the next save (or run) in that folder removes those whose writer is gone.

``load_weights(path)`` returns just the module's state_dict (what export and the editor need).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from ..io.fileformat import target_mode
from ..io.readfile import ensure_regular
from ..io.tempfiles import clean_stale, create_temp

FORMAT = "graphlab-checkpoint-1"


class CheckpointError(Exception):
    """A checkpoint that cannot be read or does not fit the graph. The message names the file;
    ``node`` is the graph node whose weights do not fit, when one does not."""

    def __init__(self, message: str, node: str | None = None) -> None:
        super().__init__(message)
        self.node = node


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
                                                           dict[str, str]]:
    """(model state_dict, optimizer state by param index, metadata; metadata["rng"] is a tensor if saved)."""
    path = Path(path)
    try:
        ensure_regular(path)  # a FIFO or a device is refused, never read
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint file") from None
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
        flat = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a readable safetensors checkpoint ({e})") from None
    model = {k[6:]: v for k, v in flat.items() if k.startswith("model.")}
    if not model:  # a plain safetensors state_dict (e.g. written by someone else) is accepted too
        model = {k: v for k, v in flat.items() if not k.startswith(("optim.", "rng."))}
    optim: dict[str, dict[str, torch.Tensor]] = {}
    for k, v in flat.items():
        if k.startswith("optim."):
            _, i, name = k.split(".", 2)
            optim.setdefault(i, {})[name] = v
    if "rng.cpu" in flat:
        meta["rng"] = flat["rng.cpu"]  # type: ignore[assignment]
    return model, optim, meta


def load_weights(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    return read_checkpoint(path)[0]


def restore(path: str | os.PathLike[str], module: torch.nn.Module,
            optimizer: torch.optim.Optimizer | None = None) -> dict[str, Any]:
    """Load a checkpoint into module (and optimizer); returns its metadata. Raises CheckpointError."""
    model, optim, meta = read_checkpoint(path)
    own = module.state_dict()
    missing = [k for k in own if k not in model]
    extra = [k for k in model if k not in own]
    if missing or extra:
        raise CheckpointError(f"{path}: does not fit this graph (missing {', '.join(missing[:5]) or 'nothing'}; "
                              f"unexpected {', '.join(extra[:5]) or 'nothing'})")
    for k, v in model.items():
        if tuple(v.shape) != tuple(own[k].shape):
            node = k.split(".", 1)[0]
            raise CheckpointError(f"{path}: {k} is {list(v.shape)} but node {node} needs {list(own[k].shape)}", node)
    module.load_state_dict(model)
    if optimizer is not None and optim:
        sd = optimizer.state_dict()
        sd["state"] = {int(i): dict(st) for i, st in optim.items()}
        try:
            optimizer.load_state_dict(sd)
        except (ValueError, KeyError, RuntimeError) as e:
            raise CheckpointError(f"{path}: the optimizer state does not fit ({e}); "
                                  "use the same optimizer as the run that wrote it") from None
    return meta
