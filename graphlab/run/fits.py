"""Memory checks before a run allocates: the dataset, then the model, its gradients, the optimizer's
state and a batch's activations (sizes from the analysis, see :mod:`graphlab.core.memory`).

* :func:`check_dataset` — before a built-in dataset is generated: its tensors' exact size.
* :func:`check_training` — after the dataset is built, before the model is: a lower bound of what
  training needs on the run's device (host memory, or the GPU's free memory on cuda).

Both raise :class:`graphlab.run.setup.SetupError` (kind ``"oom"``) naming the node (or the field)
and the sizes, so nothing is allocated that cannot fit: no allocator traceback, no swap storm.
"""
from __future__ import annotations

from typing import Any

import torch

from ..core import memory
from ..core.memory import fmt_bytes, training_problem
from .config import TrainConfig
from .datasets import Data
from .evaluate import EVAL_BATCH  # the trainer evaluates in chunks of this many samples
from .setup import SetupError

_FLOAT, _LONG = 4, 8


def dataset_bytes(cfg: TrainConfig) -> int:
    """The size of a built-in dataset's tensors (samples and targets), before it is made; 0 for the
    user's files, whose readers check what they read."""
    p, name = cfg.dataset.params, cfg.dataset.name
    if name == "spiral":
        n = p["classes"] * p["points"]
        return n * (2 * _FLOAT + _LONG)
    if name == "digits":
        return 1797 * (p["size"] ** 2 * _FLOAT + _LONG)
    if name == "adding":
        return p["samples"] * (p["length"] * 2 * _FLOAT + _FLOAT)
    if name == "sine":
        return p["samples"] * ((p["length"] + 1) * _FLOAT + _FLOAT)
    return 0


def check_dataset(cfg: TrainConfig, available: int | None = None) -> None:
    """Refuse a built-in dataset that cannot fit (making it needs its tensors about twice: the
    generated ones, then the split)."""
    need = 2 * dataset_bytes(cfg)
    avail = memory.available_bytes() if available is None else available
    if need > avail:
        raise SetupError("oom", f"dataset {cfg.dataset.name} needs about {fmt_bytes(need)} to make, more than the "
                         f"{fmt_bytes(avail)} of memory available; lower its samples, points or size",
                         None, "training.dataset")


def _data_bytes(data: Data) -> int:
    tensors = (data.x_train, data.y_train, data.x_val, data.y_val)
    return sum(t.nelement() * t.element_size() for t in tensors if t is not None)


def check_training(a: Any, cfg: TrainConfig, data: Data, device: torch.device,
                   available: int | None = None) -> None:
    """Refuse a run that certainly does not fit on ``device``, naming the node that needs most."""
    n = max(data.n_train, 1)
    batch = n if cfg.batch_size is None else min(cfg.batch_size, n)
    on_gpu = device.type == "cuda"
    if available is None:
        available = torch.cuda.mem_get_info(device)[0] if on_gpu else memory.available_bytes()
    problem = training_problem(a, batch=batch, optimizer=cfg.optimizer.name, eval_batch=min(EVAL_BATCH, n),
                               data_bytes=_data_bytes(data) if on_gpu and data.in_memory else 0,
                               available=available)
    if problem is not None:
        node, message = problem
        where = f" on {device}" if on_gpu else ""
        raise SetupError("oom", message + where, node, None if node else "training.batch_size")
