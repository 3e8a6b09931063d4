"""What the trainer tells its listener: plain, picklable dataclasses (floats, ints, strings, dicts,
lists, and — only in :class:`Images` and :class:`Evaluation` — small numpy arrays).

No tensors ever appear here, so events can cross a process boundary (the editor runs the trainer in
a child process) or be written as JSON (:func:`to_json`: NaN/inf become null, numpy arrays become
lists). A run emits, in order::

    RunStarted · [Warning(initial_loss)]
    · (Step* · NodeStats* · Warning* · Paused/Resumed* · Reply* · Images*)* per Epoch · Epoch ...
    · [OverfitResult] · [Evaluation] · [Error] · Finished

``Finished`` is always the last event, also after an ``Error`` or a stop. ``Reply`` and ``Images``
answer :class:`graphlab.run.commands.Request` s (matched by ``request``, the request's id); a
selected node's ``Images`` also arrive unasked, at most once a second, with ``request`` None.

Histograms (``NodeStat.act_hist`` / ``grad_hist``) hold ``HIST_BINS + 2`` counts: the underflow
count, the 64 bins, the overflow count. Activation bins are linear over ``NodeStat.act_range``,
fixed per node for the whole run (see :mod:`graphlab.run.stats`); gradient bins are over
log10 |∂L/∂out| in :data:`GRAD_LOG_RANGE`, the same for every node and step, so both line up over
time as heatmaps.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ..core.spec import Task

#: bins of every histogram, plus one underflow and one overflow count in front and behind
HIST_BINS = 64
#: log10 |gradient| range of the gradient histograms: 64 bins of 0.25 decade from 1e-14 to 1e2
GRAD_LOG_RANGE = (-14.0, 2.0)


def _eq_with_arrays(a: Any, b: Any) -> bool:
    """Field-wise equality for events holding numpy arrays (which have no truth value of ==)."""
    if type(a) is not type(b):
        return NotImplemented
    for f in fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if hasattr(x, "shape") or hasattr(y, "shape"):
            if not (hasattr(x, "shape") and hasattr(y, "shape") and x.shape == y.shape and x.dtype == y.dtype
                    and bool((x == y).all())):
                return False
        elif x != y:
            return False
    return True


@dataclass(frozen=True)
class Preparing:
    """Before the first step: what the training process is doing ("importing PyTorch", "building the
    dataset digits", "compiling the graph"), so a window can say why nothing is plotted yet."""

    what: str


@dataclass(frozen=True)
class RunStarted:
    graph: str
    dataset: str
    task: Task
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
    order: list[str] = field(default_factory=list)  # the nodes with a module, in forward order
    class_names: list[str] = field(default_factory=list)
    run_dir: str | None = None  # the run's folder (metrics.jsonl, weights, run.json), if any
    overfit: int | None = None  # the overfit-a-small-batch check: its number of samples
    probe: int | None = None  # index (in the validation split, else training) of the images' probe sample
    #: FLOPs of one training step at the run's batch size (forward + backward, 2 × MACs: graphlab.core.cost)
    flops_per_step: int | None = None
    peak_gflops: float | None = None  # this machine's calibrated matmul GFLOP/s (graphlab.run.peak)

    @property
    def predicted_ms(self) -> float | None:
        """The ms a step's FLOPs take at the peak: a lower bound of the real step time."""
        if not self.flops_per_step or not self.peak_gflops:
            return None
        return self.flops_per_step / (self.peak_gflops * 1e9) * 1e3


@dataclass(frozen=True)
class Step:
    epoch: int  # 1-based
    step: int  # global optimisation step, 1-based: the last of the `steps` this event covers
    loss: float  # objective (data loss + regularisation) averaged over the `steps` since the last Step
    steps: int = 1
    lr: float = 0.0
    acc: float | None = None  # running training accuracy over the same steps (classification)
    losses: list[float] | None = None  # each step's objective when steps > 1 (full resolution), else None
    seconds: float = 0.0  # wall time of the run so far


@dataclass(frozen=True)
class Epoch:
    epoch: int
    train_loss: float  # mean objective over the epoch's steps (with the regularisation term)
    train_acc: float | None  # running accuracy over the epoch (classification)
    val_loss: float | None  # data loss on the validation split (None without one)
    val_acc: float | None
    lr: float
    seconds: float  # wall time of the whole run so far
    samples_per_s: float  # training samples per second in this epoch
    step: int = 0  # the global step the epoch ended on (places the epoch on a step axis; 0 in older logs)


@dataclass(frozen=True)
class ParamStat:
    norm: float
    grad_norm: float
    update_ratio: float | None  # ‖Δw‖ / ‖w‖ of this step's update (rule of thumb: ~1e-3)


@dataclass(frozen=True)
class NodeStat:
    mean: float
    std: float
    zero_frac: float  # share of exact zeros among the outputs (sparsity, not dead units)
    saturated_frac: float | None  # share of outputs in a Sigmoid/Tanh's flat region; None for other nodes
    grad_norm: float | None  # ‖∂L/∂output‖ of the node's output on this batch
    params: dict[str, ParamStat] = field(default_factory=dict)  # "weight", "bias", ...
    dead_frac: float | None = None  # share of units zero for every sample of the batch (spec.saturation "zero")
    saturated_units: float | None = None  # share of units saturated on >= 90% of the batch (Sigmoid/Tanh)
    units: int = 0  # units (features) or channels of the output
    act_hist: list[int] | None = None  # HIST_BINS + 2 counts over act_range (under, bins, over)
    act_range: tuple[float, float] | None = None  # fixed for the node for the whole run
    grad_hist: list[int] | None = None  # HIST_BINS + 2 counts over log10 |∂L/∂out| in GRAD_LOG_RANGE
    detail: dict[str, list[float]] | None = None  # the selected node only: per-unit "mean", "std", "dead"


@dataclass(frozen=True)
class NodeStats:
    epoch: int
    step: int
    nodes: dict[str, NodeStat]  # node id -> statistics of that node on this step's batch


@dataclass(frozen=True)
class Warning:  # noqa: A001 - the event's name
    message: str
    node: str | None = None
    #: dead | saturated | update_high | update_low | vanishing | exploding | initial_loss (None: other)
    kind: str | None = None
    value: float | None = None  # the figure that triggered it (fraction, ratio, loss)
    step: int | None = None  # the sampled step it was seen on


@dataclass(frozen=True)
class Paused:
    epoch: int
    step: int


@dataclass(frozen=True)
class Resumed:
    epoch: int
    step: int


@dataclass(frozen=True)
class Reply:
    """The answer to a :class:`graphlab.run.commands.Request` (``request`` is its id)."""
    request: int
    command: str
    ok: bool
    message: str = ""
    epoch: int = 0  # where the run was when it handled the request
    step: int = 0
    data: dict[str, Any] = field(default_factory=dict)  # e.g. {"path": ...} for a snapshot


@dataclass(frozen=True, eq=False)
class Images:
    """Pictures of one node, made in the child from the current weights.

    kind ``feature_maps``: the node's output channels for the run's fixed probe sample, float32
    [k, H, W] (k <= 64), each tile scaled to 0..1 on its own; ``probe``: that sample itself, as the
    network's input sees it, one tile ([1, H, W, 3] or [1, H, W]), sent with the feature maps. ``filters``: the first convolution's
    filters, [k, kh, kw, 3] (RGB input) or [k, kh, kw] (grey), each scaled to 0..1 on its own.
    ``templates``: a Linear layer fed by an image through Flatten — its weight rows reshaped to the
    image, one per class ([C, H, W, 3] or [C, H, W]), each scaled to 0..1 on its own (the course's
    linear-classifier picture). ``labels`` names each tile; ``ranges`` gives each tile's raw
    (min, max), so raw = min + tile · (max − min)."""
    node: str
    kind: str  # feature_maps | probe | filters | templates
    tiles: Any = field(repr=False)  # numpy.ndarray, float32, values in [0, 1]
    labels: list[str]
    epoch: int
    step: int
    request: int | None = None
    ranges: list[tuple[float, float]] = field(default_factory=list)  # each tile's raw (min, max) before scaling

    __eq__ = _eq_with_arrays


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Classification, end of a run: the confusion matrix on ``split`` (the validation split, or the
    training split when there is none), and for image datasets the most confidently misclassified
    samples: ``images`` uint8 [k, H, W] or [k, H, W, 3] (each scaled to 0..255 on its own, from the
    preprocessed data), with their true and predicted classes and the softmax confidence of the
    prediction."""
    split: str
    class_names: list[str]
    confusion: list[list[int]]  # [true class][predicted class] counts
    accuracy: float
    loss: float
    images: Any = field(default=None, repr=False)  # numpy.ndarray or None (non-image datasets)
    true: list[int] = field(default_factory=list)
    pred: list[int] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    index: list[int] = field(default_factory=list)  # sample indices in the split

    __eq__ = _eq_with_arrays


@dataclass(frozen=True)
class OverfitResult:
    """The overfit-a-small-batch check: did the net memorise ``samples`` training samples?"""
    reached: bool
    samples: int
    steps: int
    train_acc: float | None  # on the samples, eval mode (classification)
    loss: float  # data loss on the samples at the end
    initial_loss: float
    causes: list[str] = field(default_factory=list)  # the likely reasons when it did not


@dataclass(frozen=True)
class Error:
    kind: str  # graph | config | data | fit | checkpoint | io | nan | runtime | oom | internal
    message: str
    node: str | None = None
    field: str | None = None


@dataclass(frozen=True)
class Finished:
    reason: str  # completed | stopped | error
    epochs: int  # epochs completed (counting resumed ones)
    #: train_loss, train_acc (the whole training split at the end, eval mode, data loss without the
    #: regularisation term), val_loss, val_acc, epochs, seconds, samples_per_s; gflops (the matrix
    #: products' FLOPs per second of training), peak_gflops (this machine's matmul peak) and
    #: peak_percent (the share of it, %) — None where unknown
    final: dict[str, Any]
    checkpoint: str | None = None  # the last weights written, if any
    log: str | None = None  # the metrics log, if any


#: what ``Finished.final``'s train and validation figures are: the terminal and the editor say it with them
FINAL_NOTE = "measured after training on the whole training split, eval mode, without the regularization term"


def final_figures(final: dict[str, Any]) -> str:
    """``Finished.final``'s figures in words: "train loss 0.0015, accuracy 100.0 %; validation loss
    0.0315, accuracy 99.4 %" (what is there: no accuracy for regression, no validation without a split)."""
    def part(name: str, loss: Any, acc: Any) -> str:
        bits = []
        if isinstance(loss, (int, float)) and loss == loss:
            bits.append(f"{name} loss {loss:.4g}")
        if isinstance(acc, (int, float)) and acc == acc:
            bits.append(f"{'' if bits else name + ' '}accuracy {100 * acc:.1f} %")
        return ", ".join(bits)

    parts = (part("train", final.get("train_loss"), final.get("train_acc")),
             part("validation", final.get("val_loss"), final.get("val_acc")))
    return "; ".join(p for p in parts if p)


def compute_figures(final: dict[str, Any]) -> str:
    """What the run did with the machine, from ``Finished.final``: "6.7 GFLOP/s, 6.7 % of this machine's
    matmul peak (99.2 GFLOP/s)"; "" when unknown."""
    g, peak, pct = final.get("gflops"), final.get("peak_gflops"), final.get("peak_percent")
    if not isinstance(g, (int, float)):
        return ""
    text = f"{g:.3g} GFLOP/s"
    if isinstance(pct, (int, float)) and isinstance(peak, (int, float)):
        text += f", {pct:.2g} % of this machine's matmul peak ({peak:.3g} GFLOP/s)"
    return text


def predicted_text(e: RunStarted) -> str:
    """Before the first step: "145 MFLOPs a step; at least 1.46 ms a step at this machine's matmul peak
    (99.2 GFLOP/s)"; "" when the run has no FLOPs figure."""
    from ..core.cost import si

    if not e.flops_per_step:
        return ""
    text = f"{si(e.flops_per_step, 'FLOPs')} a step"
    ms = e.predicted_ms
    if ms is not None:
        text += f"; at least {ms:.3g} ms a step at this machine's matmul peak ({e.peak_gflops:.3g} GFLOP/s)"
    return text


Event = (Preparing | RunStarted | Step | Epoch | NodeStats | Warning | Paused | Resumed | Reply | Images
         | Evaluation | OverfitResult | Error | Finished)
EVENT_TYPES = (Preparing, RunStarted, Step, Epoch, NodeStats, Warning, Paused, Resumed, Reply, Images, Evaluation,
               OverfitResult, Error, Finished)


def _clean(v: Any) -> Any:
    if isinstance(v, float):
        return None if v != v or v in (float("inf"), float("-inf")) else v
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "tolist") and hasattr(v, "dtype"):  # a numpy array or scalar
        return _clean(v.tolist())
    if hasattr(v, "__dataclass_fields__"):
        return {f.name: _clean(getattr(v, f.name)) for f in fields(v)}
    return v


def to_json(event: Event) -> dict[str, Any]:
    """``{"event": "Epoch", ...fields}``: JSON-ready (NaN/inf become None, arrays become lists)."""
    return {"event": type(event).__name__, **{f.name: _clean(getattr(event, f.name)) for f in fields(event)}}
