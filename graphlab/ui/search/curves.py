"""The trials' intermediate values: each trial's validation curve (what it reported for pruning), by epoch.

Completed trials are drawn in one colour, pruned ones in another with an ✕ where they were stopped,
running ones in a third; the best trial is thick and the selected one dashed. Trials the parallel
coordinates' brushes leave out are not drawn. Like the coordinates, the lines of each kind are one
plot item (a ``connect`` array keeps the trials apart), so hundreds of trials cost a few items.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..views.theme import ThemedView, apply_plot_theme, make_theme, set_axis_label

KINDS = ("COMPLETE", "PRUNED", "RUNNING")


def curve_arrays(rows: list[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (epochs), y and ``connect`` of the rows' intermediate curves, one after another."""
    xs: list[float] = []
    ys: list[float] = []
    connect: list[bool] = []
    for r in rows:
        pts = sorted((int(k), float(v)) for k, v in r.intermediate.items() if v is not None and np.isfinite(v))
        for i, (x, y) in enumerate(pts):
            xs.append(x)
            ys.append(y)
            connect.append(i < len(pts) - 1)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), np.asarray(connect, dtype=bool)


class IntermediateCurves(ThemedView, QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search_curves")
        self.theme = make_theme(self.palette())
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)
        self.items = {k: pg.PlotDataItem() for k in KINDS}
        self.pruned_marks = pg.ScatterPlotItem(symbol="x", size=9)
        self.best_item = pg.PlotDataItem()
        self.sel_item = pg.PlotDataItem()
        for item in (*self.items.values(), self.best_item, self.sel_item):
            item.setSkipFiniteCheck(True)
            self.plot.addItem(item)
        self.plot.addItem(self.pruned_marks)
        self.legend = self.plot.getPlotItem().addLegend(offset=(-8, 8))
        for k, label in zip(KINDS, ("complete", "pruned (✕ where stopped)", "running")):
            self.legend.addItem(self.items[k], label)
        self.rows: list[Any] = []
        self.allowed: set[int] | None = None
        self.best: int | None = None
        self.selected: int | None = None
        self.metric = "value"
        self._ready = True
        self._apply_theme()

    def set_trials(self, rows: list[Any], metric: str, best: int | None) -> None:
        self.rows, self.best = list(rows), best
        if metric != self.metric:
            self.metric = metric
            set_axis_label(self.plot.getPlotItem(), "left", metric, self.theme)
        self._draw()

    def set_filter(self, allowed: set[int] | None) -> None:
        self.allowed = None if allowed is None else set(allowed)
        self._draw()

    def select(self, number: int | None) -> None:
        self.selected = number
        self._set(self.sel_item, [r for r in self.rows if r.number == number])

    def shown(self) -> list[Any]:
        return [r for r in self.rows if self.allowed is None or r.number in self.allowed]

    def _draw(self) -> None:
        rows = self.shown()
        for k, item in self.items.items():
            self._set(item, [r for r in rows if r.state == k and not r.stopped])
        pruned = [r for r in rows if r.state == "PRUNED" and r.intermediate]
        ends = [max(r.intermediate.items()) for r in pruned]
        self.pruned_marks.setData([float(e) for e, _ in ends], [float(v) for _, v in ends])
        self._set(self.best_item, [r for r in rows if r.number == self.best])
        self._set(self.sel_item, [r for r in rows if r.number == self.selected])

    @staticmethod
    def _set(item: pg.PlotDataItem, rows: list[Any]) -> None:
        x, y, c = curve_arrays(rows)
        if x.size:
            item.setData(x, y, connect=c)
        else:
            item.setData([], [])

    def _apply_theme(self) -> None:
        th = self.theme
        pi = self.plot.getPlotItem()
        apply_plot_theme(pi, th)
        self.plot.setBackground(th.background)
        set_axis_label(pi, "bottom", "epoch", th)
        set_axis_label(pi, "left", self.metric, th)
        self.items["COMPLETE"].setPen(pg.mkPen(th.faint(th.train, 0.55), width=1.2))
        self.items["PRUNED"].setPen(pg.mkPen(th.faint(th.foreground, 0.35), width=1))
        self.items["RUNNING"].setPen(pg.mkPen(th.lr, width=1.8))
        self.pruned_marks.setPen(pg.mkPen(th.error, width=1.5))
        self.pruned_marks.setBrush(pg.mkBrush(th.error))
        self.best_item.setPen(pg.mkPen(th.val, width=3))
        self.sel_item.setPen(pg.mkPen(th.highlight, width=2.5, style=Qt.PenStyle.DashLine))
