"""What a training run starts from, prepared before its first step.

Used by :class:`~graphlab.run.trainer.Trainer` while it prepares a run:

* :func:`training_tensors` — the in-memory training tensors (a seeded choice of samples in overfit
  mode), or none for data read lazily;
* :func:`probe_input` — the one sample the pictures (:mod:`graphlab.run.images`) are drawn from;
* :func:`new_state` — the :class:`~graphlab.run.runstate.RunState` with its statistics sampler,
  health checks and image maker; :func:`attach_training_data` — the data its epochs draw from;
* :func:`start_weights` — ``training.weights``, the weights the run starts from;
* :func:`restore_checkpoint` / :func:`restore_rng` — a resumed run's weights, optimizer state,
  counters, schedule and (inside an epoch) random generator state;
* :func:`open_run_folder` — the run's folder (:mod:`graphlab.run.runs`).

Each failure raises :class:`Abort`, which carries the :class:`~graphlab.run.events.Error` the run
ends with.
"""
from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import torch

from ..core.text import error_line
from . import events as ev
from .checkpoint import CheckpointError, read_checkpoint, restore
from .config import TrainConfig
from .datasets import Data
from .health import Health
from .images import ImageMaker
from .resume import ResumeError, resume_point
from .runs import RunFolder
from .runstate import RunState, chain_forward, stack_samples
from .setup import make_scheduler
from .stats import StatsSampler
from .weights import check_fits


class Abort(Exception):
    """Ends a run with ``error`` (the trainer yields it, then Finished)."""

    def __init__(self, error: ev.Error) -> None:
        super().__init__(error.message)
        self.error = error


def training_tensors(data: Data, seed: int, overfit: int | None) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """The training split as (x, y) held in memory: with ``overfit``, a seeded choice of that many
    samples; else the whole split when the data is in memory, or (None, None)."""
    if overfit is not None:
        k = max(1, min(overfit, data.n_train))
        pick = torch.randperm(data.n_train, generator=torch.Generator().manual_seed(seed))[:k]
        if data.in_memory:
            x, y = (t[pick] for t in data.tensors("train"))
            return x, y
        return stack_samples(data.train_set, pick.tolist())
    if data.in_memory:
        return data.tensors("train")
    return None, None


def probe_input(data: Data, x: torch.Tensor | None, overfit: int | None) -> torch.Tensor:
    """A batch of one sample to draw pictures from: the first validation sample, else the first training one."""
    if data.n_val and overfit is None and data.in_memory:
        return data.tensors("val")[0][:1]
    if x is not None:
        return x[:1]
    return (data.val_set if data.n_val else data.train_set)[0][0].unsqueeze(0)


def new_state(cfg: TrainConfig, a: Any, data: Data, device: torch.device, gm: torch.fx.GraphModule, ci: Any,
              modules: dict[str, torch.nn.Module], specs: dict[str, Any], opt: torch.optim.Optimizer,
              probe_x: torch.Tensor, t0: float, n: int, bs: int) -> RunState:
    """The RunState of a run of ``n`` training samples in batches of ``bs``, with its statistics sampler,
    health checks and image maker (``a``: the analysis; ``specs``: node id -> layer spec of ``modules``)."""
    order = [nid for nid in a.order if nid in modules]
    sampler = StatsSampler(modules, {nid: s.saturation if s else None for nid, s in specs.items()},
                           cfg.stats_budget)
    elems = {nid: math.prod(a.nodes[nid].shape) for nid in order if a.nodes[nid].shape is not None}
    assert ci.loss is not None  # check_graph found the loss
    r: RunState  # the pictures put the run's training state back: its train_mode, once r exists
    images = ImageMaker(gm, ci, probe_x.to(device), list(data.class_names), lambda: r.train_mode())
    r = RunState(cfg, data, device, gm, ci, ci.loss.to(device), opt, make_scheduler(cfg, opt),
                 chain_forward(gm) or gm.forward, sampler, Health(order, elems, ci.output_id),
                 images, None, t0, n, bs, math.ceil(n / bs))
    return r


def attach_training_data(r: RunState, x: torch.Tensor | None, y: torch.Tensor | None) -> None:
    """What the epochs draw from: ``x``, ``y`` moved to the device, else a DataLoader over the training
    split, shuffled with the run's generator."""
    if x is not None and y is not None:
        r.x, r.y = x.to(r.device), y.to(r.device)
    else:
        r.loader = torch.utils.data.DataLoader(r.data.train_set, batch_size=r.bs, shuffle=True, generator=r.gen,
                                               num_workers=0, drop_last=False)


def start_weights(gm: Any, ci: Any, cfg: TrainConfig, base_dir: str | os.PathLike[str] | None) -> Any:
    """Load ``training.weights`` into ``gm``; returns the match report (see :mod:`graphlab.run.weights_match`)."""
    from .weights_match import start_from

    try:
        return start_from(gm, ci.module_names, str(cfg.weights), base_dir)
    except ValueError as e:
        raise Abort(ev.Error("config", f"training.weights: {e}", None, "training.weights")) from None


def restore_checkpoint(r: RunState, cfg: TrainConfig, path: str) -> None:
    """Put the checkpoint at ``path`` into the run: weights, optimizer state, where it stopped (every
    field validated, :mod:`graphlab.run.resume`), and the schedule replayed up to there."""
    try:
        read = read_checkpoint(path)
        model, optim, meta = read
        check_fits(r.gm, model, path)  # the weights first: a mismatch names its node
        point = resume_point(path, meta, optim, r.trainable, optimizer=cfg.optimizer.name, epochs=cfg.epochs,
                             batch_size=r.bs, n_train=r.n, steps_per_epoch=r.steps_per_epoch)
        restore(path, r.gm, r.opt, read=read)
    except ResumeError as e:
        raise Abort(ev.Error("checkpoint", str(e), None, e.field)) from None
    except CheckpointError as e:
        raise Abort(ev.Error("checkpoint", str(e), e.node)) from None
    r.resume, r.start_epoch, r.step = point, point.epoch, point.step
    if r.sched is not None:  # the schedule steps once per epoch: replay the epochs done (deterministic)
        with warnings.catch_warnings():  # torch warns that no optimizer.step() came first: none is due here
            warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)` before",
                                    category=UserWarning)
            for _ in range(r.start_epoch):
                r.sched.step()


def restore_rng(rng: torch.Tensor, path: str | os.PathLike[str] | None) -> None:
    """Set the CPU generator to the state a checkpoint written inside an epoch holds."""
    try:
        torch.set_rng_state(rng)
    except RuntimeError as e:
        raise Abort(ev.Error("checkpoint", f"{path}: the random generator state rng.cpu is "
                             f"not valid ({error_line(e)})", None, "rng.cpu")) from None


def open_run_folder(out_dir: Path, meta: dict[str, Any], start_epoch: int) -> RunFolder:
    """The run's folder, opened for writing (a resumed run's log kept up to ``start_epoch``)."""
    folder = RunFolder(out_dir, meta)
    try:
        folder.open(start_epoch)
    except OSError as e:
        folder.close()
        raise Abort(ev.Error("config", f"--out {out_dir}: cannot write there ({e.strerror or e})",
                             None, "out")) from None
    return folder
