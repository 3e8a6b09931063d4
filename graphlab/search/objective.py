"""One trial: the graph with the trial's values, trained by the same Trainer as Train, in a run folder.

:func:`run_trial` is the objective a worker gives Optuna. It

1. asks the trial for a value of every key of the search space (``suggest_float`` with ``log`` for
   ``log_uniform``, ``suggest_int`` for ``int``/``int_log``, ``suggest_categorical`` for ``choice``;
   Optuna's parameter names are the section's keys);
2. picks the trial's seed (the training section's seed + the trial number, or the seed a stopped
   trial had when it is run again) and records it, with the epochs, the validation share, the run
   folder, the host and the process id, as the trial's user attributes;
3. writes ``graph.graphlab.json`` (the graph as the trial trains it) into its run folder
   ``<runs>/search-<study>/trial-00007/`` and runs :class:`~graphlab.run.trainer.Trainer` there with
   one thread and no statistics, so the folder is a normal run (run.json, metrics.jsonl,
   last.safetensors);
4. reports the validation metric after each epoch (every epoch up to :data:`MAX_REPORTS`, evenly
   spaced beyond) and, with pruning on, stops the run when Optuna's pruner says so;
5. returns the final validation figure of ``graphlab train --json``'s ``final`` — measured after the
   last epoch in eval mode — so ``graphlab train`` on the graph ``--best`` writes gives the same value.

Every step of the way goes to ``emit`` as plain-data events (:mod:`graphlab.search.events`).
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from ..core.graph import Graph
from ..io import save
from ..run.schema import MAX_SEED
from . import events as sev
from .space import SearchSpec
from .study import host
from .targets import apply_values, trial_val_fraction

#: at most this many intermediate values per trial (a long trial reports evenly spaced epochs)
MAX_REPORTS = 100
GRAPH_FILE = "graph.graphlab.json"


class TrialStopped(Exception):
    """The user stopped the search while this trial ran (it is queued again)."""


class TrialFailed(Exception):
    """The trial's run ended with an error (the message is the run's one line)."""


@dataclass
class TrialContext:
    graph: Graph
    spec: SearchSpec
    source: str  # the graph file
    base_dir: str  # its folder (relative dataset paths)
    trials_dir: Path  # runs/search-<study>
    base_seed: int
    emit: Callable[[Any], None]
    worker: int = 0
    #: set while a trial trains: the Trainer (the worker's control thread pauses and stops it)
    trainer: Any = None
    stopping: bool = False


def suggest(trial: Any, spec: SearchSpec) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, d in spec.space.items():
        if d.kind == "choice":
            values[key] = trial.suggest_categorical(key, list(d.choices))
        elif d.whole:
            values[key] = trial.suggest_int(key, int(d.lo), int(d.hi), log=d.log)  # type: ignore[arg-type]
        else:
            values[key] = trial.suggest_float(key, float(d.lo), float(d.hi), log=d.log)  # type: ignore[arg-type]
    return values


def report_epochs(epochs: int, start: int = 0) -> set[int]:
    """The epochs whose validation value is reported: all when few, else MAX_REPORTS evenly spaced."""
    n = epochs - start
    if n <= MAX_REPORTS:
        return set(range(start + 1, epochs + 1))
    return {start + math.ceil(n * (i + 1) / MAX_REPORTS) for i in range(MAX_REPORTS)}


def trial_setup(trial: Any, ctx: TrialContext) -> tuple[dict[str, Any], Graph, Path]:
    """The trial's values, its graph (values, seed, epochs and split applied) and its run folder."""
    from ..run.config import parse_training

    values = suggest(trial, ctx.spec)
    seed = trial.user_attrs.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        seed = (ctx.base_seed + trial.number) % (MAX_SEED + 1)
    base = parse_training(ctx.graph.training)
    epochs = ctx.spec.epochs or base.epochs
    val_fraction = trial_val_fraction(ctx.graph, ctx.spec)
    run = ctx.trials_dir / f"trial-{trial.number:05d}"
    for k, v in {"seed": seed, "epochs": epochs, "val_fraction": val_fraction, "run": str(run), "host": host(),
                 "pid": os.getpid()}.items():
        trial.set_user_attr(k, v)
    return values, apply_values(ctx.graph, values, seed=seed, epochs=epochs, val_fraction=val_fraction), run


def run_trial(trial: Any, ctx: TrialContext) -> float:
    """The objective: train the trial's graph and return its final validation figure."""
    import optuna

    from ..run import events as ev
    from ..run.config import ConfigError, parse_training
    from ..run.trainer import Trainer

    t0 = time.perf_counter()
    values, graph, run = trial_setup(trial, ctx)
    seed = trial.user_attrs["seed"]
    try:
        cfg = replace(parse_training(graph.training), threads=1, stats_budget=0.0)
    except ConfigError as e:
        raise TrialFailed(str(e)) from None
    run.mkdir(parents=True, exist_ok=True)
    save(graph, run / GRAPH_FILE)
    ctx.emit(sev.TrialStarted(trial.number, ctx.worker, values, seed, cfg.epochs, str(run),
                              round(time.perf_counter() - t0, 4)))
    trainer = Trainer(graph, cfg, base_dir=ctx.base_dir, out_dir=run, source=ctx.source, step_interval=1.0,
                      checkpoint_interval=math.inf)
    due = report_epochs(cfg.epochs)
    metric = ctx.spec.metric
    pruned_at: int | None = None
    error = fin = None
    ctx.trainer = trainer
    try:
        if ctx.stopping:
            trainer.stop()
        for e in trainer.events():
            if isinstance(e, ev.Epoch):
                value = e.val_acc if metric == "val_acc" else e.val_loss
                ctx.emit(sev.TrialEpoch(trial.number, e.epoch, value, e.train_loss, e.val_loss, e.val_acc))
                if value is not None and math.isfinite(value) and e.epoch in due and pruned_at is None:
                    trial.report(value, e.epoch)
                    if ctx.spec.pruning and trial.should_prune():
                        pruned_at = e.epoch
                        trainer.stop()
            elif isinstance(e, ev.Error):
                error = e
            elif isinstance(e, ev.Finished):
                fin = e
    finally:
        ctx.trainer = None
    if ctx.stopping and pruned_at is None:
        trial.set_user_attr("stopped", True)
        raise TrialStopped(f"trial {trial.number} was stopped")
    if pruned_at is not None:
        raise optuna.TrialPruned(f"pruned at epoch {pruned_at}")
    if error is not None:
        where = f"{error.node}: " if error.node else ""
        raise TrialFailed(f"{where}{error.message}")
    assert fin is not None
    value = fin.final.get(metric)
    if value is None or not math.isfinite(value):
        raise TrialFailed(f"the run gave no {metric} (is there a validation split?)")
    return float(value)
