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


_EMPTY = (np.zeros(0), np.zeros(0))


def trial_curve(r: Any) -> tuple[np.ndarray, np.ndarray]:
    """One trial's reported (epoch, value) points, finite ones, by epoch."""
    d = r.intermediate
    if not d:
        return _EMPTY
    x = np.fromiter(d.keys(), dtype=float, count=len(d))
    y = np.fromiter((np.nan if v is None else v for v in d.values()), dtype=float, count=len(d))
    if len(x) > 1 and np.any(np.diff(x) < 0):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    ok = np.isfinite(y)
    return (x, y) if ok.all() else (x[ok], y[ok])


class CurveCache:
    """Each trial's arrays, made again only when its curve grew or its state changed (a study read again
    every second holds the same finished trials)."""

    def __init__(self) -> None:
        self._cache: dict[int, tuple[Any, tuple[np.ndarray, np.ndarray]]] = {}

    def get(self, r: Any) -> tuple[np.ndarray, np.ndarray]:
        key = (len(r.intermediate), r.state, r.epochs)
        hit = self._cache.get(r.number)
        if hit is not None and hit[0] == key:
            return hit[1]
        xy = trial_curve(r)
        self._cache[r.number] = (key, xy)
        return xy

    def clear(self) -> None:
        self._cache.clear()


def curve_arrays(rows: list[Any], cache: CurveCache | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (epochs), y and ``connect`` of the rows' intermediate curves, one after another."""
    parts = [cache.get(r) if cache is not None else trial_curve(r) for r in rows]
    parts = [p for p in parts if p[0].size]
    if not parts:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    connect = np.ones(len(x), dtype=bool)
    connect[np.cumsum([len(p[0]) for p in parts]) - 1] = False
    return x, y, connect


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
        self.legend = self.plot.getPlotItem().addLegend(offset=(-8, -8))  # bottom right: curves rise
        for k, label in zip(KINDS, ("complete", "pruned (✕ where stopped)", "running")):
            self.legend.addItem(self.items[k], label)
        self.rows: list[Any] = []
        self.allowed: set[int] | None = None
        self.best: int | None = None
        self.selected: int | None = None
        self.metric = "value"
        self.cache = CurveCache()
        self._ready = True
        self._apply_theme()

    def set_trials(self, rows: list[Any], metric: str, best: int | None) -> None:
        if not rows:
            self.cache.clear()  # another study (the dock shows none first), or none yet
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
        ends = [self.cache.get(r) for r in rows if r.state == "PRUNED"]
        ends = [(x[-1], y[-1]) for x, y in ends if x.size]
        self.pruned_marks.setData([float(e) for e, _ in ends], [float(v) for _, v in ends])
        self._set(self.best_item, [r for r in rows if r.number == self.best])
        self._set(self.sel_item, [r for r in rows if r.number == self.selected])

    def _set(self, item: pg.PlotDataItem, rows: list[Any]) -> None:
        x, y, c = curve_arrays(rows, self.cache)
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
