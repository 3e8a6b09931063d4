"""AccuracyPlot (train/validation per epoch) and LearningRatePlot (per step), small PlotPanels.

API::

    acc = AccuracyPlot()
    acc.append_epoch(epoch, train=0.91, val=0.88)     # fractions in [0, 1]; None skips a value
    acc.update(epochs=[{"epoch": 1, "train_acc": .9, "val_acc": .8}, ...])
    acc.add_run("run-2", epochs, val_accs, label="dropout 0.5"); acc.remove_run("run-2")
    acc.readout.text()                                  # "epoch 3 · train 91.0 % · val 88.0 %"

    lr = LearningRatePlot()                             # log y by default
    lr.append_steps(steps, lrs); lr.add_run("run-2", steps, lrs); lr.remove_run("run-2")

Both share :class:`.plot_base.PlotPanel` (log toggle, hover readout, non-finite markers, ``flush()``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtWidgets import QWidget

from .plot_base import PlotPanel
from .theme import fmt


def _pct(v: float) -> str:
    s = fmt(v)
    return s if s in ("NaN", "+inf", "−inf") else f"{100.0 * v:.1f} %"


class AccuracyPlot(PlotPanel):
    def __init__(self, parent: QWidget | None = None, *, title: str = "Accuracy") -> None:
        # no legend of its own: its train/validation colours are the loss plot's, whose legend names them
        super().__init__(title, "epoch", "accuracy", parent=parent, legend=False)
        self.add_series("train", "train", "train", width=1.2, symbol="o", dash=True)
        self.add_series("val", "validation", "val", width=1.6, symbol="s")

    def append_epoch(self, epoch: int, train: float | None = None, val: float | None = None) -> None:
        if train is not None:
            self.append("train", [epoch], [train])
        if val is not None:
            self.append("val", [epoch], [val])

    def update(self, epochs: Iterable[Mapping[str, Any]] = ()) -> None:
        """Append epoch records (dicts with ``epoch``, ``train_acc``, ``val_acc``): one append per curve."""
        for name, keys in (("train", ("train_acc", "train")), ("val", ("val_acc", "val"))):
            pts = [(int(e["epoch"]), v) for e in epochs
                   if (v := e.get(keys[0], e.get(keys[1]))) is not None]
            if pts:
                self.append(name, [p[0] for p in pts], [p[1] for p in pts])

    def clear(self) -> None:
        self.clear_data()

    def add_run(self, run_id: str, epochs: Any, val_acc: Any, label: str | None = None) -> None:
        self.remove_overlay(run_id)
        self.add_overlay(run_id, epochs, val_acc, label or run_id, symbol="s")

    def remove_run(self, run_id: str) -> None:
        self.remove_overlay(run_id)

    def readout_at(self, x: float) -> str:
        if self.latest_x() is None:
            return ""
        sx = self._snap_x(x)
        parts = []
        for name in ("train", "val"):
            s = self.series[name]
            p = s.nearest(sx)
            if p is not None and p[0] == sx:
                parts.append(f"{s.label} {_pct(p[1])}")
        return f"epoch {fmt(sx)} · " + " · ".join(parts)


class LearningRatePlot(PlotPanel):
    def __init__(self, parent: QWidget | None = None, *, title: str = "Learning rate") -> None:
        super().__init__(title, "step", "lr", parent=parent, legend=False, log_y=True)
        self.add_series("lr", "lr", "lr", width=1.6, integer_x=True)

    def append_steps(self, steps: Any, lrs: Any) -> None:
        self.append("lr", steps, lrs)

    def update(self, steps: Any = None, lrs: Any = None) -> None:
        if steps is not None and lrs is not None:
            self.append_steps(steps, lrs)

    def clear(self) -> None:
        self.clear_data()

    def add_run(self, run_id: str, steps: Any, lrs: Any, label: str | None = None) -> None:
        self.remove_overlay(run_id)
        self.add_overlay(run_id, steps, lrs, label or run_id)

    def remove_run(self, run_id: str) -> None:
        self.remove_overlay(run_id)
