"""The state of one training run and its step function.

:class:`RunState` holds everything a run needs between steps (config, data, compiled module,
optimizer, schedule, counters, the statistics sampler, health checks, image maker, run folder);
:class:`~graphlab.run.trainer.Trainer` builds it once and advances it epoch by epoch.
:func:`train_step` is one optimisation step on one batch: forward, objective (data loss +
λ·ΣW² + λ·Σ|W| over the weights), backward, optional gradient clipping, optimizer step — with the
statistics sampler's hooks around it on sampled steps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch
from torch import nn

from . import events as ev
from .config import TrainConfig
from .datasets import Data
from .health import Health
from .images import ImageMaker
from .resume import ResumePoint
from .runs import RunFolder
from .stats import StatsSampler


@dataclass(eq=False)
class RunState:
    """Everything one run holds; built by Trainer._prepare, advanced by Trainer._epoch."""
    cfg: TrainConfig
    data: Data
    device: torch.device
    gm: Any  # torch.fx.GraphModule
    ci: Any  # CompileInfo
    loss_fn: nn.Module
    opt: torch.optim.Optimizer
    sched: Any
    forward: Callable[[torch.Tensor], torch.Tensor]
    sampler: StatsSampler
    health: Health
    images: ImageMaker
    folder: RunFolder | None
    t0: float
    n: int  # training samples (per epoch)
    bs: int
    steps_per_epoch: int
    start_epoch: int = 0
    resume: ResumePoint | None = None
    x: torch.Tensor | None = None  # in-memory training data on the device (the overfit subset in that mode)
    y: torch.Tensor | None = None
    loader: Any = None
    gen: torch.Generator = field(default_factory=torch.Generator)
    weights: list[nn.Parameter] = field(default_factory=list)
    params: list[nn.Parameter] = field(default_factory=list)
    trainable: list[nn.Parameter] = field(default_factory=list)  # what the optimizer updates (frozen nodes' are not)
    #: kept in eval mode while training: frozen nodes with running statistics; Dropout in overfit mode
    frozen: list[nn.Module] = field(default_factory=list)
    cls: bool = True
    epoch: int = 0  # epochs completed
    step: int = 0  # optimisation steps done
    samples: int = 0
    train_time: float = 0.0
    plain_ema: float | None = None  # seconds of an unsampled step, to charge the sampler its overhead
    selected_images: bool = False
    last_images: float = -math.inf
    warnings: list[ev.Warning] = field(default_factory=list)

    def train_mode(self) -> None:
        self.gm.train()
        for m in self.frozen:
            m.eval()


@dataclass(frozen=True)
class EpochTotals:
    """What one epoch's steps add up to (the Epoch event's training figures)."""
    loss_sum: float  # sum of the steps' objectives
    loss_n: int  # steps
    correct: int  # right predictions while training (classification)
    samples_per_s: float


def regularization(l2: float, l1: float, weights: Sequence[torch.Tensor]) -> torch.Tensor | float:
    """The term added to the data loss: ½·l2·ΣW² + l1·Σ|W| over the weight matrices and filters
    (not the biases); 0 when both are 0. ½·λ·ΣW² is the course's convention, and torch's
    ``weight_decay = λ``: its gradient is λ·W. (The torchrun export copies this function from its
    source.)"""
    terms = []
    if l2:
        terms.append(0.5 * l2 * sum((w * w).sum() for w in weights))
    if l1:
        terms.append(l1 * sum(w.abs().sum() for w in weights))
    return sum(terms)


def train_step(r: RunState, xb: torch.Tensor, yb: torch.Tensor, sample: bool) -> tuple[float, torch.Tensor]:
    """One optimisation step on a batch; returns (the objective's value, the prediction). A non-finite
    objective returns before the update (the caller diagnoses it)."""
    cfg = r.cfg
    if sample:
        r.sampler.begin()
    out = r.forward(xb)
    obj = r.loss_fn(out, yb)
    if cfg.l2 or cfg.l1:
        obj = obj + regularization(cfg.l2, cfg.l1, r.weights)
    lv = obj.item()
    if not math.isfinite(lv):
        r.sampler.cancel()
        return lv, out
    r.opt.zero_grad(set_to_none=True)
    obj.backward()
    if cfg.clip_grad_norm:
        nn.utils.clip_grad_norm_(r.params, cfg.clip_grad_norm)
    if sample:
        r.sampler.after_backward()
    r.opt.step()
    return lv, out



def chain_forward(gm: torch.fx.GraphModule) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """For a graph that is one chain (input → module → … → module → output), a function that calls the
    submodules in order — the same computation as ``gm.forward``; None for any other shape of graph.
    (GraphModule.__call__ adds Python layers that cost ~2.5% of a tiny MLP's step; submodules' own
    __call__ still runs, so statistics hooks fire.)"""
    nodes = list(gm.graph.nodes)
    if len(nodes) < 3 or nodes[0].op != "placeholder" or nodes[-1].op != "output":
        return None
    mods = []
    prev = nodes[0]
    for n in nodes[1:-1]:
        if n.op != "call_module" or n.args != (prev,) or n.kwargs:
            return None
        mods.append(gm.get_submodule(n.target))
        prev = n
    if nodes[-1].args != (prev,):
        return None

    def forward(x: torch.Tensor) -> torch.Tensor:
        for m in mods:
            x = m(x)
        return x
    return forward


def stack_samples(ds: Any, idx: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Samples ``idx`` of a torch Dataset as (inputs, targets) tensors."""
    xs, ys = zip(*(ds[i] for i in idx))
    return torch.stack(xs), torch.as_tensor(ys)


def first_batch(data: Data, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    return stack_samples(data.train_set, list(range(min(n, len(data.train_set)))))
