"""A run's history: the series the live plots and views read, accumulated from events.

No Qt, no torch (numpy only), so it is tested headless and the UI only reads it::

    h = History()
    for e in proc.poll():
        h.add(e)
    steps, loss = h.step_loss()                  # full resolution, numpy views (no copy)
    h.epochs                                     # [{"epoch", "train_loss", "train_acc", "val_loss", ...}]
    h.epoch_series("val_loss")                   # (epochs, values) arrays, NaN where missing
    h.lr()                                       # (steps, lr) per Step event
    h.node_stats["conv1"]                        # latest statistics of a node, plain data
    h.node_series("conv1")                       # {"step", "mean", "std", "dead", "saturated", "grad_norm"}
    h.param_series("conv1", "weight")            # {"step", "norm", "grad_norm", "update_ratio"}
    h.histograms("conv1", "act")                 # (steps, counts [k, 66], edges [65])
    h.gradient_flow()                            # (nodes in forward order, steps, log10 ‖∂L/∂out‖ [nodes, k])
    h.update_flow()                              # (nodes with weights, steps, log10 update ratio [nodes, k])
    h.gradient_flow(log=False)                   # the raw norms / ratios (GradientFlowView.set_data logs itself)
    h.warnings_for("conv1"); h.images["conv1"]["feature_maps"]; h.evaluation; h.overfit; h.finished
    h.as_dict()                                  # {"step_loss": [...], "epoch": [...], ...} plain lists

Memory is bounded and appends are O(1) amortised. Step losses grow by 16 bytes a step (growable
buffers that double). Sampled statistics live in tables of at most ``max_samples`` rows
(histograms: ``max_hist_samples``): when one is full it keeps every other row and from then on
takes every other sample (the stride doubles), so a long run keeps an evenly thinned record of its
whole length. The latest statistics of each node are always kept in full.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import events as ev

HIST_WIDTH = ev.HIST_BINS + 2


class Growable:
    """A numpy buffer that doubles when full: ``append``/``extend`` O(1) amortised, ``view`` no copy."""

    def __init__(self, dtype: Any, width: int | None = None, capacity: int = 1024, fill: float = 0) -> None:
        self.width, self.fill = width, fill
        self.a = np.full((capacity,) if width is None else (capacity, width), fill, dtype=dtype)
        self.n = 0

    def _room(self, k: int) -> None:
        if self.n + k > len(self.a):
            cap = max(2 * len(self.a), self.n + k)
            b = np.full((cap, *self.a.shape[1:]), self.fill, dtype=self.a.dtype)
            b[:self.n] = self.a[:self.n]
            self.a = b

    def append(self, v: Any) -> None:
        self._room(1)
        self.a[self.n] = v
        self.n += 1

    def extend(self, vs: Any) -> None:
        vs = np.asarray(vs, dtype=self.a.dtype)
        self._room(len(vs))
        self.a[self.n:self.n + len(vs)] = vs
        self.n += len(vs)

    def view(self) -> np.ndarray:
        return self.a[:self.n]

    def keep_every_other(self) -> None:
        k = (self.n + 1) // 2
        self.a[:k] = self.a[:self.n:2]
        self.a[k:self.n] = self.fill
        self.n = k

    @property
    def nbytes(self) -> int:
        return self.a.nbytes


class SampleTable:
    """Rows = sampled steps, columns = (node, figure) float series; thinned when full (see module doc).

    Every column is a numpy array as long as the table's capacity (NaN where not set), so adding a row
    touches no column; the columns grow together, by doubling, up to ``max_rows``."""

    def __init__(self, max_rows: int, width: int | None = None) -> None:
        self.max_rows, self.width = max_rows, width
        self.cap = min(64, max_rows)
        self.n = 0
        self._steps = np.zeros(self.cap, dtype=np.int64)
        self.cols: dict[tuple[str, str], np.ndarray] = {}
        self.stride = 1
        self._seen = 0

    def _blank(self, cap: int) -> np.ndarray:
        return np.full((cap,) if self.width is None else (cap, self.width), np.nan,
                       dtype=np.float64 if self.width is None else np.float32)

    def take(self) -> bool:
        """Whether the next sample gets a row (every ``stride``-th one does)."""
        self._seen += 1
        return (self._seen - 1) % self.stride == 0

    def new_row(self, step: int) -> None:
        if self.n >= self.max_rows:  # full: keep every other row, take every other sample from now on
            k = (self.n + 1) // 2
            self._steps[:k] = self._steps[:self.n:2]
            for a in self.cols.values():
                a[:k] = a[:self.n:2]
                a[k:] = np.nan
            self.n = k
            self.stride *= 2
        elif self.n >= self.cap:  # grow every column together
            cap = min(2 * self.cap, self.max_rows)
            steps = np.zeros(cap, dtype=np.int64)
            steps[:self.n] = self._steps[:self.n]
            self._steps = steps
            for key, a in self.cols.items():
                b = self._blank(cap)
                b[:self.n] = a[:self.n]
                self.cols[key] = b
            self.cap = cap
        self._steps[self.n] = step
        self.n += 1

    def set(self, key: tuple[str, str], value: Any) -> None:
        a = self.cols.get(key)
        if a is None:
            a = self.cols[key] = self._blank(self.cap)
        a[self.n - 1] = value

    @property
    def steps(self) -> np.ndarray:
        return self._steps[:self.n]

    def column(self, key: tuple[str, str]) -> np.ndarray:
        a = self.cols.get(key)
        if a is None:
            return self._blank(self.n)
        return a[:self.n]

    @property
    def nbytes(self) -> int:
        return self._steps.nbytes + sum(a.nbytes for a in self.cols.values())


def _f(v: Any) -> float:
    return float("nan") if v is None else float(v)


class History:
    def __init__(self, max_samples: int = 2048, max_hist_samples: int = 512) -> None:
        self.started: ev.RunStarted | None = None
        self.order: list[str] = []
        self._steps = Growable(np.int64)
        self._loss = Growable(np.float64)
        self._lr = Growable(np.float64, width=2, capacity=256)  # (step, lr) per Step event
        self.epochs: list[dict[str, Any]] = []
        self._latest: dict[str, ev.NodeStat] = {}
        self.latest_step: dict[str, int] = {}
        self.stats = SampleTable(max_samples)
        self.hists = SampleTable(max_hist_samples, HIST_WIDTH)
        self.act_ranges: dict[str, tuple[float, float]] = {}
        self.warnings: list[ev.Warning] = []
        self.images: dict[str, dict[str, ev.Images]] = {}
        self.replies: dict[int, ev.Reply] = {}
        self.evaluation: ev.Evaluation | None = None
        self.overfit: ev.OverfitResult | None = None
        self.error: ev.Error | None = None
        self.finished: ev.Finished | None = None
        self.paused = False
        self.updates = 0

    # -- accumulate --------------------------------------------------------------------------------
    def extend(self, events: Any) -> None:
        for e in events:
            self.add(e)

    def add(self, e: ev.Event) -> None:
        """Take one event into the history (an event this history does not keep, e.g. Preparing, is
        counted and dropped)."""
        self.updates += 1
        match e:
            case ev.Step():
                self._add_step(e)
            case ev.NodeStats():
                self._add_stats(e)
            case ev.Epoch():  # non-finite figures as JSON holds them: None
                self.epochs.append({k: None if type(v) is float and not math.isfinite(v) else v
                                    for k, v in e.__dict__.items()})
            case ev.RunStarted():
                self.started, self.order = e, list(e.order)
            case ev.Warning():
                self.warnings.append(e)
            case ev.Images():
                self.images.setdefault(e.node, {})[e.kind] = e
            case ev.Reply():
                self.replies[e.request] = e
            case ev.Paused():
                self.paused = True
            case ev.Resumed():
                self.paused = False
            case ev.Evaluation():
                self.evaluation = e
            case ev.OverfitResult():
                self.overfit = e
            case ev.Error():
                self.error = e
            case ev.Finished():
                self.finished = e
            case _:
                pass

    def _add_step(self, e: ev.Step) -> None:
        if e.losses is not None:
            k = len(e.losses)
            self._steps.extend(np.arange(e.step - k + 1, e.step + 1))
            self._loss.extend(e.losses)
        else:
            self._steps.append(e.step)
            self._loss.append(e.loss)
        self._lr.append((e.step, e.lr))

    def _add_stats(self, e: ev.NodeStats) -> None:
        for nid, s in e.nodes.items():
            self._latest[nid] = s
            self.latest_step[nid] = e.step
            if s.act_range is not None:
                lo, hi = s.act_range
                self.act_ranges[nid] = (lo, hi)
        tab = self.stats
        if tab.take():
            tab.new_row(e.step)
            for nid, s in e.nodes.items():
                tab.set((nid, "mean"), s.mean)
                tab.set((nid, "std"), s.std)
                tab.set((nid, "grad_norm"), _f(s.grad_norm))
                if s.dead_frac is not None:
                    tab.set((nid, "dead"), s.dead_frac)
                if s.saturated_frac is not None:
                    tab.set((nid, "saturated"), s.saturated_frac)
                for pname, ps in s.params.items():
                    tab.set((nid, f"{pname}.norm"), ps.norm)
                    tab.set((nid, f"{pname}.grad_norm"), ps.grad_norm)
                    tab.set((nid, f"{pname}.update_ratio"), _f(ps.update_ratio))
        tab = self.hists
        if any(s.act_hist is not None for s in e.nodes.values()) and tab.take():
            tab.new_row(e.step)
            for nid, s in e.nodes.items():
                if s.act_hist is not None:
                    tab.set((nid, "act"), s.act_hist)
                if s.grad_hist is not None:
                    tab.set((nid, "grad"), s.grad_hist)

    # -- read ----------------------------------------------------------------------------------------
    def step_loss(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, objective per step): every step when the events carried every loss."""
        return self._steps.view(), self._loss.view()

    def lr(self) -> tuple[np.ndarray, np.ndarray]:
        v = self._lr.view()
        return v[:, 0].astype(np.int64), v[:, 1]

    def epoch_series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(epoch numbers, values of ``key``) with NaN where a value is missing (None)."""
        return (np.array([d["epoch"] for d in self.epochs], dtype=np.int64),
                np.array([_f(d.get(key)) for d in self.epochs], dtype=np.float64))

    @property
    def node_stats(self) -> dict[str, dict[str, Any]]:
        """Node id -> its latest statistics as plain data (histograms as lists)."""
        return {nid: {"step": self.latest_step[nid], **ev._clean(s)} for nid, s in self._latest.items()}

    def latest(self, node: str) -> ev.NodeStat | None:
        return self._latest.get(node)

    def node_series(self, node: str) -> dict[str, np.ndarray]:
        t = self.stats
        return {"step": t.steps, **{k: t.column((node, k)) for k in ("mean", "std", "dead", "saturated",
                                                                            "grad_norm")}}

    def param_series(self, node: str, param: str) -> dict[str, np.ndarray]:
        t = self.stats
        return {"step": t.steps, **{k: t.column((node, f"{param}.{k}"))
                                           for k in ("norm", "grad_norm", "update_ratio")}}

    def params_of(self, node: str) -> list[str]:
        s = self._latest.get(node)
        return list(s.params) if s is not None else []

    def histograms(self, node: str, which: str = "act") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sampled steps, counts [k, 66] (underflow, 64 bins, overflow), the 65 bin edges). Activation
        edges are the node's fixed range; gradient edges are log10 |∂L/∂out| (GRAD_LOG_RANGE)."""
        lo, hi = ev.GRAD_LOG_RANGE if which == "grad" else self.act_ranges.get(node, (0.0, 1.0))
        return self.hists.steps, self.hists.column((node, which)), np.linspace(lo, hi, ev.HIST_BINS + 1)

    def _flow(self, nodes: list[str], key: str, log: bool) -> tuple[list[str], np.ndarray, np.ndarray]:
        t = self.stats
        rows = [t.column((n, key)) for n in nodes]
        m = np.vstack(rows) if rows else np.zeros((0, t.n))
        if log:
            with np.errstate(divide="ignore", invalid="ignore"):
                m = np.where(m > 0, np.log10(np.where(m > 0, m, 1.0)), np.nan)
        return nodes, t.steps, m

    def gradient_flow(self, log: bool = True) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Nodes in forward order × sampled steps of log10 ‖∂L/∂out‖ (NaN where not measured);
        ``log=False``: the norms themselves (what GradientFlowView.set_data takes)."""
        order = self.order or list(self._latest)
        nodes = [n for n in order if (n, "grad_norm") in self.stats.cols]
        return self._flow(nodes, "grad_norm", log)

    def update_flow(self, log: bool = True) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Nodes with a weight × sampled steps of log10 of its update/weight ratio (the guide is −3);
        ``log=False``: the ratios themselves."""
        order = self.order or list(self._latest)
        nodes = [n for n in order if (n, "weight.update_ratio") in self.stats.cols]
        return self._flow(nodes, "weight.update_ratio", log)

    def warnings_for(self, node: str) -> list[ev.Warning]:
        return [w for w in self.warnings if w.node == node]

    @property
    def nbytes(self) -> int:
        """Bytes held by the numpy buffers (the bulk of the memory)."""
        return (self._steps.nbytes + self._loss.nbytes + self._lr.nbytes + self.stats.nbytes + self.hists.nbytes)

    def as_dict(self) -> dict[str, Any]:
        """Plain data: ``step_loss`` (floats, one per step), ``step`` (their step numbers), ``epoch``
        (dicts), ``lr``, ``initial_loss``, ``expected_loss``, ``nodes`` (latest statistics),
        ``warnings``, ``final``."""
        steps, loss = self.step_loss()
        return {
            "step": steps.tolist(), "step_loss": [None if not math.isfinite(v) else v for v in loss.tolist()],
            "epoch": list(self.epochs), "lr": self.lr()[1].tolist(),
            "initial_loss": self.started.initial_loss if self.started else None,
            "expected_loss": self.started.expected_loss if self.started else None,
            "nodes": self.node_stats, "warnings": [ev.to_json(w) for w in self.warnings],
            "final": ev.to_json(self.finished)["final"] if self.finished else None,
        }
