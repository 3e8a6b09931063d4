"""Warm worker processes that run a study's trials.

Each worker is a process started with ``spawn`` that imports torch (one thread) and Optuna once, opens
the study's storage and then runs trials one after another until the study has its target number
(:func:`claim`), so a trial costs no interpreter start and no torch import. A worker::

    while not stopped:
        claim()                  # under the pool's lock: a WAITING trial, or room for a new one?
        study.optimize(run_trial, n_trials=1)   # ask (lock released once the trial exists), train, tell
        # Optuna's optimize keeps a database trial's heartbeat and fails other workers' stale trials

A trial that a stop cut short is marked FAIL with the user attribute ``stopped`` (it does not count
towards the target) and queued again with the same values and seed (``enqueue_trial``), so a
stopped study continues where it stopped. When there is nothing left to start but other trials are
still running (here or on another machine), the worker waits for them, failing stale ones
(``fail_stale_trials``: a database storage's heartbeats) — so every worker ends when the study is
complete.

The pool's lock makes the count-then-ask step exact between the workers of one process; workers on
other machines (``graphlab search --worker``) can race it, which at worst adds one trial per
concurrent worker at the very end.

A worker whose parent has gone stops as if told to. :mod:`graphlab.search.process` drives a pool.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.text import error_line
from . import events as sev

#: seconds between a waiting worker's looks at the study
WAIT_INTERVAL = 0.5
#: seconds between the control thread's looks at the pause/stop flags and the parent
CONTROL_INTERVAL = 0.05
PAUSE, STOP = 0, 1


@dataclass(frozen=True)
class Job:
    """Everything a worker needs, as plain data (it travels to a spawned process)."""

    graph_text: str
    source: str  # the graph file (absolute)
    storage: str  # path or URL
    study: str
    spec: dict[str, Any]  # the study's search section
    target: int
    trials_dir: str
    heartbeat: int
    base_seed: int


def make_sampler(spec: Any, worker: int = 0) -> Any:
    """The section's sampler; seeded with ``seed + worker`` when the section has a seed."""
    import optuna

    seed = None if spec.seed is None else spec.seed + worker
    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(constant_liar=True, seed=seed)
    if spec.sampler == "grid":
        return optuna.samplers.GridSampler({k: d.grid() for k, d in spec.space.items()}, seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def make_pruner(spec: Any, epochs: int) -> Any:
    """The course's early stopping of bad trials: below the median of earlier trials at the same epoch,
    after 5 finished trials and the first fifth of the epochs."""
    import optuna

    if not spec.pruning:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=max(1, epochs // 5))


def target_of(spec: Any, target: int) -> int:
    """The number of trials a study runs: its target, or a grid's size when that is smaller."""
    if spec.sampler == "grid":
        from .space import grid_size

        return min(target, grid_size(spec))
    return target


def claim(study: Any, target: int, lock: Any) -> str:
    """``run`` (the lock is held: the caller asks for the trial, then releases it), ``wait`` (others'
    trials are still running) or ``done``."""
    from .study import counted, trial_rows

    lock.acquire()
    rows = trial_rows(study)
    if any(r.state == "WAITING" for r in rows) or counted(rows) < target:
        return "run"
    lock.release()
    return "wait" if any(r.state == "RUNNING" for r in rows) else "done"


class _Control(threading.Thread):
    """Applies the parent's pause and stop flags to the trial that is training; stops when the parent has gone."""

    def __init__(self, flags: Any, ctx: Any) -> None:
        super().__init__(name="graphlab-search-control", daemon=True)
        self.flags, self.ctx = flags, ctx
        self.parent = os.getppid()
        self.paused = False
        self.done = threading.Event()

    @property
    def stopping(self) -> bool:
        return bool(self.flags[STOP]) or os.getppid() != self.parent

    def run(self) -> None:
        while not self.done.wait(CONTROL_INTERVAL):
            trainer = self.ctx.trainer
            if self.stopping:
                self.ctx.stopping = True
                if trainer is not None:
                    trainer.stop()
                continue
            want = bool(self.flags[PAUSE])
            if trainer is not None and want != self.paused:
                (trainer.pause if want else trainer.resume)()
                self.paused = want
            elif trainer is None:
                self.paused = False


def worker_main(job: Job, index: int, events: Any, flags: Any, lock: Any) -> None:
    """A worker process's body (spawned)."""
    t0 = time.perf_counter()
    try:
        _work(job, index, events, flags, lock, t0)
    except BaseException as e:  # noqa: BLE001 - the parent must always hear the end
        events.put(sev.WorkerExited(index, "error", error_line(e, with_type=True)))
    finally:  # send it now: the interpreter's teardown (torch, Optuna) would hold the queue's thread ~1 s
        events.close()
        events.join_thread()


def _work(job: Job, index: int, events: Any, flags: Any, lock: Any, t0: float) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in a terminal reaches the whole group: the parent decides
    import torch
    import torch._dynamo  # noqa: F401 - the first optimizer imports it (~1 s): once per worker, not per trial

    torch.set_num_threads(1)
    import optuna

    from ..run import trainer  # noqa: F401 - warm: compiler, datasets, checkpoints

    from ..io import loads
    from .objective import TrialContext
    from .space import SearchSpec, parse_settings
    from .study import open_storage

    space, settings = parse_settings(job.spec)
    spec = SearchSpec(space, **settings)
    storage = open_storage(job.storage, heartbeat=job.heartbeat)
    graph = loads(job.graph_text)
    from ..run.config import parse_training

    epochs = spec.epochs or parse_training(graph.training).epochs
    study = optuna.load_study(study_name=job.study, storage=storage, pruner=make_pruner(spec, epochs))
    # seeded: seed + worker (+ the trials already there, so a resumed study does not draw its first trials again)
    study.sampler = make_sampler(spec, index + len(study.get_trials(deepcopy=False)))
    ctx = TrialContext(graph, spec, job.source, str(Path(job.source).parent), Path(job.trials_dir), job.base_seed,
                       events.put, index)
    control = _Control(flags, ctx)
    control.start()
    events.put(sev.WorkerReady(index, os.getpid(), round(time.perf_counter() - t0, 3)))
    target = target_of(spec, job.target)
    reason = "done"
    try:
        while True:
            if control.stopping:
                reason = "stopped"
                break
            if flags[PAUSE]:  # paused between trials: start none
                time.sleep(CONTROL_INTERVAL)
                continue
            got = claim(study, target, lock)
            if got == "done":
                break
            if got == "wait":
                optuna.storages.fail_stale_trials(study)
                time.sleep(WAIT_INTERVAL)
                continue
            _one_trial(study, ctx, lock, events, index)
    finally:
        control.done.set()
    events.put(sev.WorkerExited(index, reason))


def _one_trial(study: Any, ctx: Any, lock: Any, events: Any, index: int) -> None:
    """One ``optimize(n_trials=1)``: the lock (held by :func:`claim`) is released once the trial exists."""
    from .objective import TrialStopped, run_trial

    held = [True]
    outcome: dict[str, Any] = {}
    t0 = time.perf_counter()

    def objective(trial: Any) -> float:
        lock.release()
        held[0] = False
        try:
            return run_trial(trial, ctx)
        except TrialStopped:
            outcome["stopped"] = True
            raise
        except Exception as e:
            outcome["message"] = error_line(e)
            raise

    def told(study: Any, frozen: Any) -> None:
        state = "STOPPED" if outcome.get("stopped") else frozen.state.name
        message = outcome.get("message", "")
        if state == "PRUNED" and frozen.intermediate_values:
            message = f"pruned at epoch {max(frozen.intermediate_values)}"
        events.put(sev.TrialFinished(frozen.number, index, state, frozen.value if state == "COMPLETE" else None,
                                     round(time.perf_counter() - t0, 4), message))
        if state == "STOPPED":  # run it again, with the same values and seed, when the study resumes
            study.enqueue_trial(dict(frozen.params), user_attrs={"seed": frozen.user_attrs.get("seed"),
                                                                 "requeued_from": frozen.number})

    try:
        study.optimize(objective, n_trials=1, catch=(Exception,), callbacks=[told], gc_after_trial=False)
    finally:
        if held[0]:
            lock.release()
