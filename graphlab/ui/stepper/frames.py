"""What the worker thread hands the GUI after each stepper command: plain data, ready to draw.

The worker runs the :class:`graphlab.step.Stepper`; after every command it builds one :class:`Frame`
here — the captions and badges that changed on the canvas, the position in the walk, and a
:class:`NodeShow` with everything the dock shows for the current node (statistics, ≤ 64 values, a
histogram or sample 0's feature maps, the local rule and its numbers, ‖∂L/∂h_t‖ over t). The GUI
thread then only copies strings and small numpy arrays into widgets; it never touches a tensor, the
stepper or its lock.

Caption texts (:func:`value_text`, :func:`grad_text`): up to 4 numbers are written out ("−12",
"[1, −2]"); larger tensors give "mean ± std" for values and the L2 norm "‖∇‖ 0.0123" for gradients.

Torch is never imported here at module level: the functions receive records and tensors from the
worker, which has imported it.
"""
from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..numbers import fmt

#: at most this many numbers are written out in a caption or badge
CAPTION_VALUES = 4
#: tensors up to this size are shown as a table of numbers
TABLE_MAX = 64
HIST_BINS = 64
MOSAIC_MAX = 64
#: feature maps handed to the dock hold at most about this many pixels (sample 0, all channels shown):
#: larger maps are averaged over k×k blocks on the worker — the dock draws tiles of ~30-60 px anyway,
#: and composing 64 maps of 112×112 on the GUI thread took ~20 ms per view. None: full size.
MOSAIC_PIXELS: int | None = 64 * 64 * 64

Edge3 = tuple[str, str, int]


def _listed(values: Sequence[float], digits: int = 4) -> str:
    parts = [fmt(v, digits) for v in values]
    return parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"


def value_text(summary: Any, preview: Any) -> str:
    """Badge / value caption: the numbers (≤ 4), else mean ± std; NaN/inf counted."""
    if summary.numel <= CAPTION_VALUES and preview is not None:
        return _listed(preview.values)
    text = f"{fmt(summary.mean, 3)} ± {fmt(summary.std, 3)}"
    if summary.nonfinite:
        text += f" · {summary.nonfinite:,} NaN/inf"
    return text


def grad_text(summary: Any, preview: Any) -> str:
    """Gradient caption: the numbers (≤ 4), else the L2 norm."""
    if summary.numel <= CAPTION_VALUES and preview is not None:
        return _listed(preview.values)
    text = f"‖∇‖ {fmt(summary.norm, 3)}"
    if summary.nonfinite:
        text += f" · {summary.nonfinite:,} NaN/inf"
    return text


@dataclass
class TensorShow:
    """One tensor as the dock's TensorView draws it (only one of preview / images / hist is set)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    mean: float
    std: float
    min: float
    max: float
    nonfinite: int
    preview: list[float] | None = None  # all values, when ≤ TABLE_MAX
    images: Any = None  # numpy float32 [C, H, W]: sample 0's feature maps (≤ MOSAIC_MAX channels), maybe reduced
    ranges: list[tuple[float, float]] | None = None  # each map's (min, max) at full size (the tiles' tooltips)
    reduced: int = 1  # the maps were averaged over reduced × reduced blocks
    hist: tuple[list[int], list[float]] | None = None  # (counts, edges)
    channels: int = 0  # how many channels sample 0 has (images)
    alone: bool = False  # drawn on a row of its own (∂L/∂out, above the per-input rows)


@dataclass
class NodeShow:
    """The dock's picture of the current node."""

    node: str
    type: str
    phase: str  # "forward" | "backward"
    index: int  # 1-based position within the phase
    count: int  # nodes in the walk
    values: list[TensorShow] = field(default_factory=list)  # inputs, output (and the loss's target)
    grads: list[TensorShow] = field(default_factory=list)  # ∂L/∂out; per port local ∂out/∂in, ∂L/∂in; ∂L/∂θ
    rule: str = ""
    numbers: list[str] = field(default_factory=list)
    time_norms: list[float] | None = None


@dataclass
class Frame:
    """The result of one command. Badge/caption dictionaries hold the new text, or None to remove it."""

    position: int
    total: int
    cursor: str | None
    phase: str  # "start" | "forward" | "backward" | "done"
    reset: bool = False
    badges: dict[str, str | None] = field(default_factory=dict)
    values: dict[Edge3, str | None] = field(default_factory=dict)
    grads: dict[Edge3, str | None] = field(default_factory=dict)
    node: NodeShow | None = None
    nonfinite: dict[str, str] | None = None
    stopped_at_nonfinite: bool = False
    message: str = ""  # for the status bar ("ran to relu1 (backward)")

    def label(self) -> str:
        """"forward 3/11: conv1", "ready: 0/22", "done"."""
        if self.phase == "start" or self.cursor is None:
            return f"ready: step 0 of {self.total}"
        n = self.node
        where = f"{n.phase} {n.index}/{n.count}: {n.node}" if n is not None else f"{self.phase}: {self.cursor}"
        if self.phase == "done":
            return f"done ({self.total} steps) · {where}"
        return where


# ---- built on the worker thread -----------------------------------------------------------------------

def _is_feature_map(shape: tuple[int, ...]) -> bool:
    return len(shape) == 4 and shape[2] >= 2 and shape[3] >= 2


def _dtype(t: Any) -> str:
    return str(t.dtype).replace("torch.", "")


def show_tensor(t: Any, name: str, rec: Any = None, what: str = "", index: Any = None,
                maps: bool = True) -> TensorShow:
    """A :class:`TensorShow` of ``t`` (a record field when ``rec``/``what`` are given: cached there).
    ``maps=False``: never a mosaic (a weight's gradient [out, in, kh, kw] is not a batch of maps)."""
    from graphlab.step import histogram, preview, summarize

    if rec is not None:
        s = rec.summary(what, index)
    else:
        s = summarize(t)
    shape = tuple(int(d) for d in s.shape)
    out = TensorShow(name, shape, _dtype(t), s.mean, s.std, s.min, s.max, s.nonfinite)
    if s.numel <= TABLE_MAX:
        p = rec.preview(what, index) if rec is not None else preview(t)
        out.preview = list(p.values)
    elif maps and _is_feature_map(shape):
        sample = t[0, :MOSAIC_MAX].detach().float()
        out.ranges = _ranges(sample)
        k = 1
        if MOSAIC_PIXELS is not None and sample.numel() > MOSAIC_PIXELS:
            k = math.ceil(math.sqrt(sample.numel() / MOSAIC_PIXELS))
        if k > 1:
            import torch.nn.functional as F  # noqa: N812 - torch's own name

            sample = F.avg_pool2d(sample[None], k, ceil_mode=True)[0]
        out.images = sample.numpy().copy()
        out.reduced = k
        out.channels = shape[1]
    else:
        h = rec.histogram(what, index, bins=HIST_BINS) if rec is not None else histogram(t, bins=HIST_BINS)
        out.hist = (list(h.counts), list(h.edges))
    return out


def _ranges(maps: Any) -> list[tuple[float, float]]:
    """(min, max) of each map's finite values (NaN, NaN when it has none)."""
    import torch

    flat = maps.reshape(maps.shape[0], -1)
    ok = torch.isfinite(flat)
    lo = torch.where(ok, flat, torch.full_like(flat, math.inf)).amin(1)
    hi = torch.where(ok, flat, torch.full_like(flat, -math.inf)).amax(1)
    return [(float(a), float(b)) if ok[i].any() else (math.nan, math.nan)
            for i, (a, b) in enumerate(zip(lo.tolist(), hi.tolist()))]


def _port_names(sources: list[str]) -> list[str]:
    """Name each input port by its source; a source feeding two ports gets the port number too."""
    return [s if sources.count(s) == 1 else f"{s} (port {i})" for i, s in enumerate(sources)]


def node_show(stepper: Any, local: bool = True) -> NodeShow | None:
    """What the dock shows for the stepper's current step (None before the first)."""
    if stepper.position == 0:
        return None
    nid, phase = stepper.walk[stepper.position - 1]
    rec = stepper.records[nid]
    n = len(stepper.order)
    index = stepper.position if phase == "forward" else stepper.position - n
    show = NodeShow(nid, rec.type, phase, index, n)
    names = _port_names(rec.sources)
    if rec.inputs is not None:
        for port, name in enumerate(names):
            show.values.append(show_tensor(rec.inputs[port], f"input ← {name}", rec, "inputs", port))
    if rec.output is not None:
        show.values.append(show_tensor(rec.output, "output" if nid not in stepper.inputs else "data", rec, "output"))
    if rec.target is not None:
        show.values.append(show_tensor(rec.target, "target", rec, "target"))
    if phase == "backward" and rec.grad_output is not None:
        upstream = show_tensor(rec.grad_output, "∂L/∂out", rec, "grad_output")
        upstream.alone = True
        show.grads.append(upstream)
        derivs = rec.local.derivatives if (local and rec.local is not None) else None
        for port, name in enumerate(names):  # per input: local derivative, then what goes down the edge
            if derivs is not None and port < len(derivs):
                show.grads.append(show_tensor(derivs[port], f"∂out/∂{name} (local)"))
            if rec.grad_inputs is not None and port < len(rec.grad_inputs):
                show.grads.append(show_tensor(rec.grad_inputs[port], f"∂L/∂{name}", rec, "grad_inputs", port))
        for pname, g in (rec.grad_params or {}).items():
            show.grads.append(show_tensor(g, f"∂L/∂{pname}", rec, "grad_params", pname, maps=False))
        if rec.local is not None:
            show.rule = rec.local.rule
            show.numbers = rec.local.numbers if local else []
        show.time_norms = list(rec.time_grad_norms) if rec.time_grad_norms else None
    return show


def make_frame(stepper: Any, changes: Sequence[Any], *, reset: bool = False, message: str = "",
               stopped: bool = False) -> Frame:
    """The frame after ``changes`` (a list of :class:`graphlab.step.Change`, in the order they happened)."""
    pos, total = stepper.position, len(stepper.walk)
    if pos == 0:
        phase = "start"
    elif pos == total:
        phase = "done"
    else:
        phase = stepper.walk[pos - 1][1]
    f = Frame(pos, total, stepper.cursor, phase, reset=reset, message=message, stopped_at_nonfinite=stopped)
    for c in changes:
        rec = stepper.records[c.node]
        if c.phase == "forward":
            text = None
            if not c.undone:
                s = rec.summary("output")
                text = value_text(s, rec.preview("output") if s.numel <= CAPTION_VALUES else None)
            f.badges[c.node] = text
            for e in c.edges:
                f.values[e] = text
        else:
            for e in c.edges:
                text = None
                if not c.undone and rec.grad_inputs is not None:
                    s = rec.summary("grad_inputs", e[2])
                    text = grad_text(s, rec.preview("grad_inputs", e[2]) if s.numel <= CAPTION_VALUES else None)
                f.grads[e] = text
    f.node = node_show(stepper)
    f.nonfinite = dict(stepper.first_nonfinite) if stepper.first_nonfinite else None
    return f


def full_frame(stepper: Any, message: str = "") -> Frame:
    """Everything the walk shows now, from scratch (after a build, or to resynchronise after an error)."""
    from graphlab.step import Change

    changes = []
    for nid, phase in stepper.walk[:stepper.position]:
        if phase == "forward":
            edges = tuple((nid, d, p) for d, p in stepper.consumers(nid))
        else:
            edges = tuple((s, nid, p) for p, s in enumerate(stepper.sources(nid)))
        changes.append(Change(nid, phase, False, edges))
    return make_frame(stepper, changes, reset=True, message=message)

