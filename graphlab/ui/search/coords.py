"""Parallel coordinates of a study's trials (pyqtgraph), with brushable axes.

One vertical axis per searched key, and the metric's axis last; each trial is a line through its
values. A numeric range's axis spans the range as searched (log ranges on a log scale), a choice's
axis spaces its values evenly; the metric's axis spans the values the trials reached. Lines are
coloured by their value (viridis, in :data:`BINS` bins: one plot item per bin, so 500 trials are a
dozen items, not 500); trials without a value (pruned, failed, running) are grey and end at the last
axis they have; the best trial is drawn thick, the selected one outlined.

*Brushing*: dragging up or down along an axis marks a range on it (a translucent band); only the
trials inside every marked range stay coloured, the others turn faint, and ``brushed`` emits the trial
numbers that pass (None when no axis is brushed), which the trials table then shows. A click on an
axis clears its band; :meth:`clear_brushes` clears them all. ``set_brush(axis, lo, hi)`` does what a
drag does (scripts, tests), in the axis' 0..1 coordinates.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QVBoxLayout, QWidget

from ..views.theme import ThemedView, apply_plot_theme, fmt, make_theme
from .trials_table import short_key, value_text

BINS = 8
#: how close (in axis spacings) a drag must start to an axis to brush it
GRAB = 0.3
BAND = 0.09


def axis_values(rows: list[Any], keys: list[str], dists: dict[str, Any], metric: str
                ) -> tuple[np.ndarray, list[tuple[str, str, str]]]:
    """Each trial's position on each axis, in 0..1 (NaN: no value), and each axis' (title, bottom, top)
    labels. Axes: the keys (their searched range), then the metric (the values reached)."""
    n, k = len(rows), len(keys)
    y = np.full((n, k + 1), np.nan)
    labels: list[tuple[str, str, str]] = []
    for j, key in enumerate(keys):
        d = dists.get(key)
        col = [r.params.get(key) for r in rows]
        if d is None or d.kind == "choice":
            choices = list(d.choices) if d is not None else sorted({value_text(v) for v in col})
            texts = [value_text(c) for c in choices]
            pos = {_tag(c): (i / (len(choices) - 1) if len(choices) > 1 else 0.5) for i, c in enumerate(choices)}
            y[:, j] = [pos.get(_tag(v), np.nan) for v in col] if d is not None else \
                [pos.get(_tag(c), np.nan) for c in (value_text(v) for v in col)]
            labels.append((short_key(key), texts[0] if texts else "", texts[-1] if texts else ""))
            continue
        lo, hi = float(d.lo), float(d.hi)
        try:
            vals = np.array([np.nan if v is None or isinstance(v, bool) else v for v in col], dtype=float)
        except (TypeError, ValueError):  # a value that is not a number (a study edited by hand)
            vals = np.array([float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
                             for v in col])
        if d.log and lo > 0:
            with np.errstate(invalid="ignore", divide="ignore"):
                t = (np.log10(vals) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) if hi > lo else vals * 0 + 0.5
        else:
            t = (vals - lo) / (hi - lo) if hi > lo else vals * 0 + 0.5
        y[:, j] = t
        labels.append((short_key(key) + (" (log)" if d.log else ""), fmt(d.lo), fmt(d.hi)))
    v = np.array([r.value if r.value is not None else np.nan for r in rows], dtype=float)
    finite = v[np.isfinite(v)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        y[:, k] = (v - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(v), 0.5, np.nan)
        labels.append((metric, fmt(lo), fmt(hi)))
    else:
        labels.append((metric, "", ""))
    return y, labels


def _tag(v: Any) -> tuple[bool, Any]:
    """A choice as a dict key that keeps true apart from 1 (``True == 1`` in Python)."""
    return (isinstance(v, bool), v)


def polyline_arrays(y: np.ndarray, rows_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and pyqtgraph's ``connect`` for the lines of ``rows_idx`` (only finite points; a line never
    joins the next one)."""
    if rows_idx.size == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    sub = y[rows_idx]
    m = sub.shape[1]
    xs = np.tile(np.arange(m, dtype=float), len(rows_idx))
    ys = sub.ravel()
    line = np.repeat(np.arange(len(rows_idx)), m)
    ok = np.isfinite(ys)
    xs, ys, line = xs[ok], ys[ok], line[ok]
    connect = np.zeros(len(xs), dtype=bool)
    if len(xs) > 1:
        connect[:-1] = line[1:] == line[:-1]
    return xs, ys, connect


class _BrushBox(pg.ViewBox):
    """A view box whose left-drags brush the nearest axis instead of panning."""

    def __init__(self, owner: "ParallelCoordinates") -> None:
        super().__init__(enableMenu=False)
        self.owner = owner
        self.setMouseEnabled(False, False)
        self._drag: tuple[int, float] | None = None

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:  # noqa: N802 - pyqtgraph override
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        p0 = self.mapSceneToView(ev.buttonDownScenePos())
        p1 = self.mapSceneToView(ev.scenePos())
        if ev.isStart():
            j = int(round(p0.x()))
            self._drag = (j, p0.y()) if abs(p0.x() - j) <= GRAB and 0 <= j < self.owner.n_axes else None
        if self._drag is None:
            ev.ignore()
            return
        ev.accept()
        j, y0 = self._drag
        self.owner.set_brush(j, y0, p1.y(), final=ev.isFinish())
        if ev.isFinish():
            self._drag = None

    def mouseClickEvent(self, ev: Any) -> None:  # noqa: N802 - pyqtgraph override
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        p = self.mapSceneToView(ev.scenePos())
        j = int(round(p.x()))
        if abs(p.x() - j) <= GRAB and j in self.owner.brushes:
            ev.accept()
            self.owner.clear_brush(j)
        else:
            ev.ignore()


class ParallelCoordinates(ThemedView, QWidget):
    #: the trial numbers inside every brushed range (None: no axis brushed)
    brushed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search_coordinates")
        self.theme = make_theme(self.palette())
        self.box = _BrushBox(self)
        self.plot = pg.PlotWidget(viewBox=self.box)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        pi = self.plot.getPlotItem()
        pi.hideAxis("left")
        pi.setContentsMargins(4, 20, 4, 4)
        self.note = QLabel("Each line is a trial. Drag along an axis to keep the trials in that range; click a band "
                           "to clear it.")
        self.note.setWordWrap(True)
        self.note.setObjectName("search_coordinates_note")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.note)
        lay.addWidget(self.plot, 1)
        self.rows: list[Any] = []
        self.numbers = np.zeros(0, dtype=int)
        self.y = np.zeros((0, 1))
        self.n_axes = 0
        self.best: int | None = None
        self.selected: int | None = None
        self.brushes: dict[int, tuple[float, float]] = {}
        self._bands: dict[int, QGraphicsRectItem] = {}
        self._labels: list[pg.TextItem] = []
        self._axes = pg.PlotDataItem(connect="pairs")
        self._faint = pg.PlotDataItem()
        self._grey = pg.PlotDataItem()
        self._bins = [pg.PlotDataItem() for _ in range(BINS)]
        self._best = pg.PlotDataItem()
        self._sel = pg.PlotDataItem()
        for item in (self._axes, self._faint, self._grey, *self._bins, self._best, self._sel):
            item.setSkipFiniteCheck(True)
            self.box.addItem(item)
        self.box.setRange(xRange=(-0.3, 0.3), yRange=(-0.05, 1.05), padding=0)
        self._ready = True
        self._apply_theme()

    # -- data ----------------------------------------------------------------------------------------
    def set_trials(self, rows: list[Any], keys: list[str], dists: dict[str, Any], metric: str,
                   best: int | None) -> None:
        """Draw these trials (every call replaces the lines; the items are made once)."""
        self.rows, self.best = list(rows), best
        self.y, labels = axis_values(self.rows, keys, dists, metric)
        self.numbers = np.array([r.number for r in self.rows], dtype=int)
        if self.y.shape[1] != self.n_axes or [t for t, _, _ in labels] != getattr(self, "_titles", None):
            self.n_axes = self.y.shape[1]
            self._titles = [t for t, _, _ in labels]
            self.brushes = {j: b for j, b in self.brushes.items() if j < self.n_axes}
            self._frame(labels)
        else:
            for j, (_, lo, hi) in enumerate(labels):
                self._labels[2 * j].setText(lo)
                self._labels[2 * j + 1].setText(hi)
        self._draw()
        if self.brushes:
            self._emit_brushed()  # the new trials go through the bands too

    def select(self, number: int | None) -> None:
        self.selected = number
        self._draw_highlight(self._sel, number)

    def passing(self) -> np.ndarray:
        """A mask of the trials inside every brushed range."""
        ok = np.ones(len(self.rows), dtype=bool)
        for j, (lo, hi) in self.brushes.items():
            col = self.y[:, j]
            with np.errstate(invalid="ignore"):
                ok &= (col >= lo) & (col <= hi)
        return ok

    # -- brushing ------------------------------------------------------------------------------------
    def set_brush(self, axis: int, y0: float, y1: float, final: bool = True) -> None:
        lo, hi = sorted((max(-0.05, min(1.05, y0)), max(-0.05, min(1.05, y1))))
        self.brushes[axis] = (lo, hi)
        band = self._bands.get(axis)
        if band is None:
            band = self._bands[axis] = QGraphicsRectItem()
            band.setPen(pg.mkPen(self.theme.highlight, width=1))
            fill = QColor(self.theme.highlight)
            fill.setAlphaF(0.25)
            band.setBrush(pg.mkBrush(fill))
            band.setZValue(20)
            self.box.addItem(band)
        band.setRect(QRectF(QPointF(axis - BAND, lo), QPointF(axis + BAND, hi)))
        self._draw()
        if final:
            self._emit_brushed()

    def clear_brush(self, axis: int) -> None:
        self.brushes.pop(axis, None)
        band = self._bands.pop(axis, None)
        if band is not None:
            self.box.removeItem(band)
        self._draw()
        self._emit_brushed()

    def clear_brushes(self) -> None:
        for j in list(self.brushes):
            band = self._bands.pop(j, None)
            if band is not None:
                self.box.removeItem(band)
        self.brushes.clear()
        self._draw()
        self._emit_brushed()

    def _emit_brushed(self) -> None:
        self.brushed.emit(None if not self.brushes else {int(n) for n in self.numbers[self.passing()]})

    # -- drawing -------------------------------------------------------------------------------------
    def _frame(self, labels: list[tuple[str, str, str]]) -> None:
        for t in self._labels:
            self.box.removeItem(t)
        self._labels = []
        m = len(labels)
        xs = np.repeat(np.arange(m, dtype=float), 2)
        ys = np.tile([0.0, 1.0], m)
        self._axes.setData(xs, ys)
        for j, (title, lo, hi) in enumerate(labels):  # the range's ends at the axis' ends
            for text, y, anchor in ((lo, 0.0, (0.5, 0.0)), (hi, 1.0, (0.5, 1.0))):
                item = pg.TextItem(text, color=self.theme.foreground, anchor=anchor)
                item.setFont(self.theme.font)
                item.setPos(j, y)
                self.box.addItem(item)
                self._labels.append(item)
        # the axes' names as the bottom axis' labels (pyqtgraph keeps them in view whatever the height)
        self.plot.getPlotItem().getAxis("bottom").setTicks([[(float(j), t) for j, (t, _, _) in enumerate(labels)], []])
        for j in list(self._bands):
            if j >= m:
                self.box.removeItem(self._bands.pop(j))
        self._fit()

    def _fit(self) -> None:
        """The axes from 0 to 1 with room for their end labels above and below (a label's height in pixels)."""
        h = max(self.box.height(), 60.0)
        pad = 1.4 * self.fontMetrics().height() / h
        self.box.setRange(xRange=(-0.5, max(self.n_axes - 1, 0) + 0.5), yRange=(-pad, 1 + pad), padding=0)

    def resizeEvent(self, e: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(e)
        self._fit()

    def _draw(self) -> None:
        n = len(self.rows)
        ok = self.passing() if n else np.zeros(0, dtype=bool)
        v = self.y[:, -1] if n else np.zeros(0)
        has = np.isfinite(v)
        inside = np.flatnonzero(ok & has)
        _lines(self._faint, self.y, np.flatnonzero(~ok))
        _lines(self._grey, self.y, np.flatnonzero(ok & ~has))
        bins = np.minimum((v[inside] * BINS).astype(int), BINS - 1) if inside.size else np.zeros(0, dtype=int)
        for b, item in enumerate(self._bins):
            _lines(item, self.y, inside[bins == b])
        self._draw_highlight(self._best, self.best)
        self._draw_highlight(self._sel, self.selected)

    def _draw_highlight(self, item: pg.PlotDataItem, number: int | None) -> None:
        idx = np.flatnonzero(self.numbers == number) if number is not None and len(self.numbers) else np.zeros(0, int)
        _lines(item, self.y, idx)

    def _apply_theme(self) -> None:
        th = self.theme
        apply_plot_theme(self.plot.getPlotItem(), th)
        self.plot.setBackground(th.background)
        axis = self.plot.getPlotItem().getAxis("bottom")
        axis.setPen(pg.mkPen(None))
        axis.setTextPen(pg.mkPen(th.foreground))
        cmap = pg.colormap.get("viridis")
        self._axes.setPen(pg.mkPen(th.dim, width=1.5))
        self._faint.setPen(pg.mkPen(th.faint(th.foreground, 0.08), width=1))
        self._grey.setPen(pg.mkPen(th.faint(th.foreground, 0.35), width=1, style=Qt.PenStyle.DashLine))
        for b, item in enumerate(self._bins):
            c = cmap.map(0.1 + 0.85 * (b + 0.5) / BINS, mode="qcolor")
            c.setAlphaF(0.75)
            item.setPen(pg.mkPen(c, width=1.3))
        self._best.setPen(pg.mkPen(th.val, width=3.5))
        self._sel.setPen(pg.mkPen(th.highlight, width=2.5, style=Qt.PenStyle.DashLine))
        for t in self._labels:
            t.setColor(th.foreground)


def _lines(item: pg.PlotDataItem, y: np.ndarray, idx: np.ndarray) -> None:
    xs, ys, connect = polyline_arrays(y, idx)
    if xs.size:
        item.setData(xs, ys, connect=connect)
    else:
        item.setData([], [])
