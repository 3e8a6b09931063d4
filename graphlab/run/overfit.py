"""The course's first sanity check: overfit a small batch.

``Trainer(graph, overfit=20)`` (``graphlab train FILE --overfit``; the editor's one-click check)
trains on 20 samples of the training split (a seeded choice) with everything that fights
memorisation turned off — regularisation (l2, l1), augmentation, the schedule, and the layers whose
spec says ``stochastic`` (Dropout) are put in eval mode — full batch, one step per "epoch", until
the accuracy on those samples (eval mode) reaches 100% (for regression: the loss falls below 1% of
its initial value) or :data:`OVERFIT_MAX_STEPS` steps pass. A net that cannot do this has a bug or a
bad setting, and more data will not help; :func:`likely_causes` says which, from what the run saw.

The result arrives as an :class:`~graphlab.run.events.OverfitResult` before ``Finished``.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Iterable

from ..core.graph import Graph
from ..core.registry import REGISTRY
from ..core.spec import Task

from .config import AugmentConfig, ScheduleConfig, TrainConfig
from .events import Warning
from .runstate import RunState

OVERFIT_SAMPLES = 20
OVERFIT_MAX_STEPS = 2000
#: regression: "memorised" when the loss falls below this share of the initial loss
REGRESSION_TARGET = 0.01


def overfit_config(cfg: TrainConfig, steps: int) -> TrainConfig:
    """The config of an overfit check: no regularisation, augmentation or schedule; full batch;
    one step per epoch, ``steps`` epochs; no statistics budget change."""
    return replace(cfg, l2=0.0, l1=0.0, augment=AugmentConfig(), schedule=ScheduleConfig(), batch_size=None,
                   epochs=steps)


def reached(task: Task, acc: float | None, loss: float, initial: float) -> bool:
    if task == "classification":
        return acc is not None and acc >= 1.0
    return math.isfinite(loss) and loss <= REGRESSION_TARGET * initial


def likely_causes(*, losses: list[float], initial: float, steps: int, lr: float, optimizer: str,
                  warnings: Iterable[Warning], linear: bool, params: int, samples: int) -> list[str]:
    """Plain-language reasons an overfit check failed, most likely first."""
    out: list[str] = []
    finite = [v for v in losses if math.isfinite(v)]
    if len(finite) < len(losses) or not finite:
        out.append(f"the loss became NaN or infinite: the learning rate ({optimizer} lr {lr:g}) is far too high; "
                   "lower it tenfold or set training.clip_grad_norm")
        return out
    best, last = min(finite), finite[-1]
    drop = (initial - best) / initial if initial > 0 else 0.0
    if last > 1.05 * initial or max(finite) > 2.0 * initial:
        out.append(f"the loss rose above its initial value ({initial:.3g} -> {max(finite):.3g}): the learning rate "
                   f"({optimizer} lr {lr:g}) is probably too high; lower it tenfold")
    elif drop < 0.1:
        out.append(f"the loss fell only {drop:.0%} in {steps} steps ({initial:.3g} -> {best:.3g}): the learning rate "
                   f"({optimizer} lr {lr:g}) is probably too low; raise it tenfold")
    else:
        out.append(f"the loss fell {drop:.0%} ({initial:.3g} -> {best:.3g}) but not every sample is memorised after "
                   f"{steps} steps: give it more steps or a higher learning rate")
    if linear:
        out.append("the graph has no activation layer, so it is a linear model: it can only separate classes by "
                   "hyperplanes and cannot memorise samples that are not linearly separable; add hidden layers "
                   "with ReLU")
    if params < samples:
        out.append(f"the network has only {params} parameters for {samples} samples: it may be too small")
    for w in warnings:
        if w.kind in ("dead", "saturated", "vanishing", "exploding"):
            out.append(f"{w.node}: {w.message}")
    return out


def run_causes(graph: Graph, r: RunState, losses: list[float], init_loss: float) -> list[str]:
    """:func:`likely_causes` from what the run ``r`` of ``graph`` saw (``losses``: the check's losses so far)."""
    specs = [REGISTRY.get(graph.nodes[nid].type) for nid in graph.nodes]
    linear = not any(s.nonlinear and not s.is_loss for s in specs if s is not None)
    return likely_causes(losses=losses, initial=init_loss, steps=r.step, lr=r.cfg.optimizer.lr,
                         optimizer=r.cfg.optimizer.name, warnings=r.warnings, linear=linear,
                         params=sum(p.numel() for p in r.params), samples=r.n)
