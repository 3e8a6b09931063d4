"""Everything the trainer checks and builds before the first step.

* :func:`check_graph` — the graph has no errors, one Input and a loss node (else a message with the fix).
* :func:`check_fit` — the dataset fits the graph: the Input's shape equals the dataset's sample shape;
  the loss's ``task`` (declared by its spec: classification or regression) is the dataset's; the
  prediction's width equals the number of classes or the target width.
* :func:`make_optimizer` / :func:`make_scheduler` — the config's optimizer and schedule (the table in
  :mod:`graphlab.run.optimizers`).
* :func:`freeze` — frozen nodes (``"trainable": false``): their parameters stop requiring gradients
  and stay out of the optimizer; those holding running statistics (BatchNorm) stay in eval mode.
* :func:`resolve_device`, :func:`tune_malloc`.

Problems raise :class:`SetupError` naming the node (and field) to fix.
"""
from __future__ import annotations

import ctypes
import math
import sys
from typing import Any, Iterable

import torch

from ..core.analysis import Analysis
from ..core.graph import Graph
from .config import TrainConfig
from .fit import SetupError, check_fit, check_graph
from .optimizers import build_optimizer, build_schedule

__all__ = ["SetupError", "check_fit", "check_graph", "make_optimizer", "make_scheduler", "resolve_device",
           "tune_malloc", "auto_threads", "freeze"]


def freeze(graph: Graph, modules: dict[str, torch.nn.Module]) -> tuple[list[torch.nn.Parameter], list[torch.nn.Module]]:
    """(the parameters to train, the modules to keep in eval mode) once the graph's frozen nodes are
    frozen. ``modules``: node id → its submodule. A frozen node's weights get no gradient and no
    update (the optimizer never sees them), and a frozen BatchNorm keeps its running statistics.
    Raises SetupError when every node with weights is frozen (there would be nothing to train)."""
    still: list[torch.nn.Module] = []
    for nid, m in modules.items():
        if graph.nodes[nid].trainable:
            continue
        for p in m.parameters():
            p.requires_grad_(False)
        if any(True for _ in m.buffers()):
            still.append(m)
    trainable = [p for m in modules.values() for p in m.parameters() if p.requires_grad]
    if not trainable and any(True for m in modules.values() for _ in m.parameters()):
        raise SetupError("graph", "every node with weights is frozen (trainable: false); there is nothing to train: "
                         "unfreeze at least one", None, "trainable")
    return trainable, still


def make_optimizer(cfg: TrainConfig, params: Iterable[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """The config's optimizer, from the table in :mod:`graphlab.run.optimizers`."""
    return build_optimizer(cfg.optimizer.name, cfg.optimizer.knobs, list(params), cfg.optimizer.lr)


def make_scheduler(cfg: TrainConfig, opt: torch.optim.Optimizer) -> Any:
    """The config's schedule (None: a constant rate), from the table in :mod:`graphlab.run.optimizers`."""
    return build_schedule(cfg.schedule.name, cfg.schedule.knobs, opt, cfg.epochs)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SetupError("config", "device cuda was asked for but this torch sees no CUDA GPU; use auto or cpu",
                         None, "training.device")
    if name == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise SetupError("config", "device mps was asked for but is not available here; use auto or cpu",
                             None, "training.device")
    return torch.device(name)


_MALLOC_TUNED = False


def tune_malloc() -> None:
    """Keep glibc from mmapping and freeing large buffers every step (stack-facts: up to 1.75× on
    big-batch LSTM/CNN steps). Process-wide, once; a no-op off glibc."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED or not sys.platform.startswith("linux"):
        return
    _MALLOC_TUNED = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 25)  # M_MMAP_THRESHOLD: glibc's maximum, 32 MiB
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: 1 GiB
    except (OSError, AttributeError):
        pass


def weight_params(module: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters regularisation applies to: weight matrices and filters (dim ≥ 2), not biases."""
    return [p for p in module.parameters() if p.dim() >= 2]


SMALL_STEP_MACS = 50e6


def step_macs(a: Analysis, batch_size: int) -> float:
    """A rough count of multiply-adds per training-step forward: each parameter is used once per
    output position (conv: H×W of its output; recurrent: T steps; dense: once)."""
    total = 0  # an int: a layer of 10^308 units is counted (and refused later), never an OverflowError
    for info in a.nodes.values():
        if not info.params or info.shape is None:
            continue
        positions = 1
        if len(info.shape) == 3:
            positions = info.shape[1] * info.shape[2]
        elif info.input_shapes and len(info.input_shapes[0]) == 2:
            positions = info.input_shapes[0][0]
        total += info.params * positions
    total *= batch_size
    return float(total) if total < 10 ** 300 else math.inf


def auto_threads(a: Analysis, batch_size: int) -> int | None:
    """threads: null → 1 torch thread for small steps (bound by per-op overhead, where a second
    thread's spin-waits cost more than they give, badly so on a busy machine: stack-facts), else
    torch's default. Deterministic for a given file, so runs stay reproducible."""
    return 1 if step_macs(a, batch_size) < SMALL_STEP_MACS else None
