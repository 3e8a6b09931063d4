"""What a running search reports: plain dataclasses, picklable, no torch, no Qt.

A :class:`~graphlab.search.workers.SearchProcess` delivers them from :meth:`poll`, in the order each
worker produced them::

    WorkerReady      a worker process is up (torch and Optuna imported, storage open)
    TrialStarted     a worker began a trial: its values, seed, epochs and run folder
    TrialEpoch       one epoch of a trial: the metric's value (what was reported for pruning)
    TrialFinished    COMPLETE (value), PRUNED (epoch), FAIL (message) or STOPPED (queued again)
    WorkerExited     a worker ended: "done" (nothing left), "stopped", or "died" (with the trial it held)
    Paused, Resumed  every worker's trial is paused / goes on
    SearchFinished   every worker has ended: "completed" (the study has its trials), "stopped" or "error"
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkerReady:
    worker: int
    pid: int
    seconds: float  # from the process's start to ready (imports, storage)


@dataclass(frozen=True)
class TrialStarted:
    number: int
    worker: int
    params: dict[str, Any]
    seed: int
    epochs: int
    run: str
    setup_seconds: float  # from Optuna's ask to the Trainer's start (values, files, config)


@dataclass(frozen=True)
class TrialEpoch:
    number: int
    epoch: int
    value: float | None  # the search's metric
    train_loss: float | None
    val_loss: float | None
    val_acc: float | None


@dataclass(frozen=True)
class TrialFinished:
    number: int
    worker: int
    state: str  # COMPLETE | PRUNED | FAIL | STOPPED
    value: float | None
    seconds: float
    message: str = ""  # why it failed, or where it was pruned


@dataclass(frozen=True)
class WorkerExited:
    worker: int
    reason: str  # done | stopped | died | error
    message: str = ""
    trial: int | None = None  # the trial a dead worker held (marked FAIL)


@dataclass(frozen=True)
class Paused:
    pass


@dataclass(frozen=True)
class Resumed:
    pass


@dataclass(frozen=True)
class SearchFinished:
    reason: str  # completed | stopped | error
    message: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # trials by state


Event = WorkerReady | TrialStarted | TrialEpoch | TrialFinished | WorkerExited | Paused | Resumed | SearchFinished


def to_json(e: Any) -> dict[str, Any]:
    return {"event": type(e).__name__, **asdict(e)}
