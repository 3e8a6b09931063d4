"""What the trainer tells its listener: plain, picklable dataclasses (floats, ints, strings, dicts).

No tensors ever appear here, so events can cross a process boundary (the editor runs the trainer in
a child process) or be written as JSON (:func:`to_json`). A run emits, in order::

    RunStarted · (Step* · NodeStats* · Warning* · Paused/Resumed*)* per Epoch · Epoch ... · [Error] · Finished

``Finished`` is always the last event, also after an ``Error`` or a stop.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunStarted:
    graph: str
    dataset: str
    task: str  # "classification" | "regression"
    n_train: int
    n_val: int
    num_classes: int | None
    params: int
    device: str
    epochs: int
    steps_per_epoch: int
    initial_loss: float  # data loss of the untrained net on (up to 1,024) training samples
    expected_loss: float | None  # ln C for softmax cross-entropy: the sanity check for initial_loss
    start_epoch: int = 0  # > 0 when resumed from a checkpoint


@dataclass(frozen=True)
class Step:
    epoch: int  # 1-based
    step: int  # global optimisation step, 1-based
    loss: float  # objective (data loss + regularisation) averaged over the `steps` since the last Step
    steps: int = 1
    lr: float = 0.0
    acc: float | None = None  # running training accuracy over the same steps (classification)


@dataclass(frozen=True)
class Epoch:
    epoch: int
    train_loss: float  # mean objective over the epoch's steps
    train_acc: float | None  # running accuracy over the epoch (classification)
    val_loss: float | None  # data loss on the validation split (None without one)
    val_acc: float | None
    lr: float
    seconds: float  # wall time of the whole run so far
    samples_per_s: float  # training samples per second in this epoch


@dataclass(frozen=True)
class ParamStat:
    norm: float
    grad_norm: float
    update_ratio: float | None  # ‖Δw‖ / ‖w‖ of this step's update (rule of thumb: ~1e-3)


@dataclass(frozen=True)
class NodeStat:
    mean: float
    std: float
    zero_frac: float  # fraction of exact zeros (dead ReLUs)
    saturated_frac: float | None  # sigmoid outside (0.01, 0.99) / tanh with |x| > 0.99; None otherwise
    grad_norm: float | None  # ‖∂L/∂output‖ of the node's output
    params: dict[str, ParamStat] = field(default_factory=dict)  # "weight", "bias", ...


@dataclass(frozen=True)
class NodeStats:
    epoch: int
    step: int
    nodes: dict[str, NodeStat]  # node id -> statistics of that node on this step's batch


@dataclass(frozen=True)
class Warning:  # noqa: A001 - the event's name
    message: str
    node: str | None = None


@dataclass(frozen=True)
class Paused:
    epoch: int
    step: int


@dataclass(frozen=True)
class Resumed:
    epoch: int
    step: int


@dataclass(frozen=True)
class Error:
    kind: str  # graph | config | data | fit | checkpoint | nan | runtime | oom
    message: str
    node: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class Finished:
    reason: str  # completed | stopped | error
    epochs: int  # epochs completed (counting resumed ones)
    final: dict[str, Any]  # train_loss, train_acc, val_loss, val_acc, epochs, seconds, samples_per_s
    checkpoint: str | None = None  # the last weights written, if any
    log: str | None = None  # the metrics log, if any


Event = RunStarted | Step | Epoch | NodeStats | Warning | Paused | Resumed | Error | Finished


def to_json(event: Event) -> dict[str, Any]:
    """``{"event": "Epoch", ...fields}``: JSON-ready (NaN/inf become None)."""
    def clean(v: Any) -> Any:
        if isinstance(v, float) and v != v or v in (float("inf"), float("-inf")):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v
    return {"event": type(event).__name__, **clean(asdict(event))}
