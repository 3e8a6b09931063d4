"""The stepper dock's picture of the current node (imported when the first step arrives: numpy and
pyqtgraph are not loaded when the editor opens).

* ``header``: "conv1 · Conv2d — backward 3/11"; ``rule``: in the backward phase the layer's rule in
  words (its spec's ``backward``: add distributes, max routes, multiply swaps, ReLU gates) and the
  rule applied to this node's numbers; in the forward phase what the layer computes.
* Tabs: "Values" (each input and the output; the loss's target), "Gradients" (∂L/∂out, ∂L/∂in per
  input, the local derivative ∂out/∂in of elementwise nodes, ∂L/∂θ per parameter), "Over time"
  (recurrent nodes: ‖∂L/∂h_t‖ for t = 1..T, log scale) and "Gradient check".
  Each tensor is a :class:`~graphlab.ui.views.TensorView`: a table up to 64 values, sample 0's
  feature maps as a mosaic, a histogram otherwise. Views are pooled and re-used from step to step.

``views()`` maps the names shown ("output", "∂L/∂out", "∂L/∂x", …) to the visible TensorViews.
"""
from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase
from PySide6.QtWidgets import (QAbstractItemView, QGridLayout, QHeaderView, QLabel, QScrollArea, QSizePolicy,
                               QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from ...core.registry import REGISTRY
from ..views.series_plot import SeriesPlot
from ..views.tensor_view import TensorView
from .canvas import reading_color
from .frames import NodeShow, TensorShow, fmt

VIEW_W = 250  # a tensor view's width in the grid (columns follow the dock's width)
PLOT_H = 190  # height of a histogram view
MOSAIC_H = 280  # height of a feature-map mosaic (a row of its own)


class TensorGrid(QScrollArea):
    """TensorViews in as many columns as fit, re-used between steps."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.inner = QWidget()
        self.grid = QGridLayout(self.inner)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(6)
        self.setWidget(self.inner)
        self.pool: list[TensorView] = []
        self.shown: list[tuple[str, TensorView]] = []
        self.alone: set[str] = set()
        self._cols = 0
        self._todo: list[tuple[int, TensorShow]] = []  # views still to fill (begin / fill_one)
        self._filled: list[tuple[str, TensorView]] = []

    def show_tensors(self, tensors: list[TensorShow]) -> None:
        """Fill every view now (see :meth:`begin` / :meth:`fill_one` for one view per call)."""
        self.begin(tensors)
        while self.fill_one():
            pass

    def begin(self, tensors: list[TensorShow]) -> None:
        """Start showing ``tensors``: views past their count go; :meth:`fill_one` fills the rest one by
        one, and the grid is laid out again when the last is filled."""
        self.alone = {t.name for t in tensors if t.alone}
        self._todo = list(enumerate(tensors))  # views are made as they are first needed, one per call
        self._filled = []
        for tv in self.pool[len(tensors):]:
            tv.hide()
            tv.clear()
        if not tensors:
            self.shown = []
            self._place(force=True)

    def fill_one(self) -> bool:
        """Fill the next view; True while more remain."""
        todo = self._todo
        if not todo:
            return False
        i, t = todo.pop(0)
        if i == len(self.pool):
            tv = TensorView()
            tv.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.pool.append(tv)
        tv = self.pool[i]
        fill(tv, t, max(self.viewport().width(), VIEW_W))
        self._filled.append((t.name, tv))
        if not todo:
            self.shown = self._filled
            self._place(force=True)
        return bool(todo)

    @property
    def pending(self) -> bool:
        return bool(self._todo)

    def _columns(self) -> int:
        return max(1, min(3, self.viewport().width() // VIEW_W))

    def _place(self, force: bool = False) -> None:
        cols = self._columns()
        if cols == self._cols and not force:
            return
        self._cols = cols
        for tv in self.pool:
            self.grid.removeWidget(tv)
        for r in range(self.grid.rowCount()):
            self.grid.setRowStretch(r, 0)
        r = c = 0
        for name, tv in self.shown:
            if (_wide(tv) or name in self.alone) and cols > 1:  # maps, wide tables, ∂L/∂out: a row each
                if c:
                    r, c = r + 1, 0
                self.grid.addWidget(tv, r, 0, 1, cols, Qt.AlignmentFlag.AlignTop)
                r += 1
            else:
                self.grid.addWidget(tv, r, c, Qt.AlignmentFlag.AlignTop)
                c += 1
                if c == cols:
                    r, c = r + 1, 0
            tv.show()
        for col in range(3):
            self.grid.setColumnStretch(col, 1 if col < cols else 0)
        self.grid.setRowStretch(r + 1, 1)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.shown:
            self._place()


def _wide(tv: TensorView) -> bool:
    return tv.mode == "images" or (tv.mode == "table" and tv.table.columnCount() > 4)


def mosaic_columns(n: int, tile: tuple[int, int], width: float, height: float, caption: float) -> tuple[int, float]:
    """(columns, height needed): the column count that gives ``n`` tiles of ``tile`` (h, w) the largest
    scale in width × height, and the height that grid then takes."""
    h, w = tile
    best, best_s = 1, -1.0
    for cols in range(1, max(n, 1) + 1):
        rows = math.ceil(n / cols)
        s = min((width - 3 * (cols + 1)) / (cols * w), (height - 3 * (rows + 1) - caption * rows) / (rows * h))
        if s > best_s:
            best, best_s = cols, s
    rows = math.ceil(n / best)
    if best_s >= 2:
        best_s = math.floor(best_s)
    return best, rows * (h * best_s + caption) + 3 * (rows + 1)


def fill(tv: TensorView, t: TensorShow, width: float = 2 * VIEW_W) -> None:
    """Show a TensorShow in a TensorView and size the view for its body (``width``: what it will get)."""
    images = t.images
    kw: dict[str, Any] = {}
    need = 0.0
    if images is not None:  # the mosaic's grid, worked out before it is composed (once)
        n, h, w = images.shape[0], images.shape[1], images.shape[2]
        room = MOSAIC_H - 80
        cap = tv.mosaic.fontMetrics().height() + 2
        cols, need = mosaic_columns(n, (h, w), width - 8, room, cap)
        big = (width - 8) / cols >= 34
        if not big:
            cols, need = mosaic_columns(n, (h, w), width - 8, room, 0)
        tips = None
        if t.ranges is not None:
            tips = [f"ch {i}\nmin {fmt(lo)} · max {fmt(hi)}" for i, (lo, hi) in enumerate(t.ranges[:n])]
        kw = {"image_columns": cols, "image_captions": big, "image_tooltips": tips}
    tv.set_summary(t.shape, mean=t.mean, std=t.std, min=t.min, max=t.max, name=t.name, dtype=t.dtype,
                   preview=t.preview, hist=t.hist, images=images, nonfinite=t.nonfinite, **kw)
    if tv.mode == "images":
        note = f"sample 0 of {t.shape[0]}" if t.shape and t.shape[0] > 1 else ""
        if t.channels > 64:
            note += (" · " if note else "") + f"first 64 of {t.channels} channels"
        if t.reduced > 1:
            note += (" · " if note else "") + f"drawn averaged over {t.reduced}×{t.reduced} pixels"
        tv.note.setText(note)
    if tv.mode == "table":
        table = tv.table
        rows = table.rowCount()
        rh = max(table.verticalHeader().defaultSectionSize(), table.fontMetrics().height() + 6)
        head = table.horizontalHeader().sizeHint().height()
        body = head + rh * min(rows, 8) + 2 * table.frameWidth() + 4
        if sum(table.horizontalHeader().sectionSizeFromContents(c).width() for c in range(table.columnCount())) \
                > VIEW_W:
            body += table.horizontalScrollBar().sizeHint().height()
        lines = tv.header.sizeHint().height() + tv.stats.sizeHint().height()
        tv.setFixedHeight(body + lines + 10 + (tv.note.sizeHint().height() if tv.note.text() else 0))
    elif tv.mode == "images":
        lines = tv.header.sizeHint().height() + tv.stats.sizeHint().height() + tv.note.sizeHint().height()
        tv.setFixedHeight(int(min(MOSAIC_H, need + lines + 24)))
    else:
        tv.setFixedHeight(PLOT_H)


class CheckView(QWidget):
    """The gradient check's summary and one row per node: relative error and the course's reading."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Check gradients (Ctrl+Shift+G) compares every node's analytic gradient with "
                              "centred differences, in float64.")
        self.summary.setObjectName("gradcheck_summary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["node", "relative error", "reading"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)

    def set_running(self, text: str) -> None:
        self.summary.setText(text)

    def set_result(self, result: dict[str, Any]) -> None:
        nodes = {n: r for n, r in result["nodes"].items() if r is not None}
        failed = [n for n, r in nodes.items() if r.get("failed") or r.get("max_rel_error") is None]
        errs = [r["max_rel_error"] for r in nodes.values() if r.get("max_rel_error") is not None]
        worst = max(errs, default=0.0)
        if failed:
            text = (f"✗ {len(failed)} of {len(nodes)} nodes fail the gradient check: " + ", ".join(failed[:6]) +
                    ("…" if len(failed) > 6 else ""))
        else:
            text = f"✓ all {len(nodes)} nodes pass: worst relative error {fmt(worst, 2)}"
        text += (" — the course's reading: < 1e-7 fine, < 1e-4 uncomfortable, < 1e-2 acceptable only at kinks, "
                 "above wrong.")
        self.summary.setText(text)
        rows = sorted(nodes.items(), key=lambda kv: -(kv[1].get("max_rel_error") or math.inf) if
                      kv[1].get("max_rel_error") is not None else -math.inf)
        self.table.setRowCount(len(rows))
        for i, (nid, r) in enumerate(rows):
            err = r.get("max_rel_error")
            reading = r.get("reading", "")
            items = [QTableWidgetItem(nid), QTableWidgetItem(fmt(err, 2) if err is not None else "—"),
                     QTableWidgetItem(reading)]
            params = r.get("params") or {}
            tip = "\n".join(f"{k}: {fmt(v, 2) if v is not None else 'not finite'}" for k, v in params.items())
            c = QColor(reading_color(reading))
            c.setAlpha(60)
            for it in items:
                it.setToolTip(tip or reading)
                it.setBackground(QBrush(c))
                self.table.setItem(i, items.index(it), it)


class NodeView(QWidget):
    #: fill the tensor views on later event-loop turns (False: all at once, as before; benchmarks compare)
    deferred = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("step_node")
        self.header = QLabel("")
        self.header.setObjectName("step_node_header")
        f = QFont(self.header.font())
        f.setBold(True)
        self.header.setFont(f)
        self.rule = QLabel("")
        self.rule.setObjectName("step_rule")
        self.rule.setWordWrap(True)
        self.rule.setTextFormat(Qt.TextFormat.RichText)
        self.rule.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rule.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.values = TensorGrid()
        self.grads = TensorGrid()
        self.time_plot = SeriesPlot("‖∂L/∂h_t‖ over time", "norm", x_label="time step t", log_y=True)
        self.check = CheckView()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("step_tabs")
        self.tabs.addTab(self.values, "Values")
        self.tabs.addTab(self.grads, "Gradients")
        self.tabs.addTab(self.time_plot, "Over time")
        self.tabs.addTab(self.check, "Gradient check")
        self.tabs.setTabEnabled(1, False)
        self.tabs.setTabEnabled(2, False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        lay.addWidget(self.header)
        lay.addWidget(self.rule)
        lay.addWidget(self.tabs, 1)
        self.shown: NodeShow | None = None
        self._jobs: list[TensorGrid] = []
        self._fill_timer = QTimer(self)
        self._fill_timer.setSingleShot(True)
        self._fill_timer.setInterval(0)
        self._fill_timer.timeout.connect(self._fill_next)
        self._check_pinned = False  # the gradient check's tab was opened for a check: keep it up
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()

    def show_check_tab(self) -> None:
        """Show the gradient check's tab and keep it up (a frame arriving meanwhile does not switch away)
        until :meth:`release_check` — the next step the user asks for."""
        self._check_pinned = True
        self.tabs.setCurrentWidget(self.check)

    def release_check(self) -> None:
        self._check_pinned = False

    def _set_tabs(self, backward: bool, over_time: bool) -> None:
        """Enable the Gradients / Over time tabs and pick the tab for this phase. The current tab moves
        to Values *before* a tab is disabled: QTabWidget would otherwise jump to the next enabled tab
        (the gradient check), where later steps left it."""
        current = self.tabs.currentIndex()
        if current in (1, 2) and not (backward and (current == 1 or over_time)):
            self.tabs.setCurrentIndex(0)
        self.tabs.setTabEnabled(1, backward)
        self.tabs.setTabEnabled(2, over_time)
        if self._check_pinned:
            self.tabs.setCurrentWidget(self.check)
        elif backward:
            if self.tabs.currentIndex() not in (1, 2):
                self.tabs.setCurrentIndex(1)
        else:
            self.tabs.setCurrentIndex(0)

    def show_node(self, show: NodeShow | None) -> None:
        """Show a step's node: header, rule and tabs now; the tensor views one per event-loop turn, the
        visible tab's first (a feature-map mosaic costs a few ms), so the window never stalls on a step.
        A newer step drops what is left of this one's."""
        self.shown = show
        self._jobs = []
        if show is None:
            self.header.setText("")
            self.rule.setText("")
            self.values.show_tensors([])
            self.grads.show_tensors([])
            self._set_tabs(False, False)
            return
        self.header.setText(f"{show.node} · {show.type} — {show.phase} {show.index}/{show.count}")
        backward = show.phase == "backward"
        if show.time_norms:
            t = np.arange(1, len(show.time_norms) + 1)
            self.time_plot.set_series("norm", t, np.asarray(show.time_norms, dtype=np.float64),
                                      label="‖∂L/∂h_t‖")
            self.time_plot.flush()
        self._set_tabs(backward, bool(show.time_norms))
        self.rule.setText(self._rule_html(show))
        first = self.grads if self.tabs.currentWidget() is self.grads else self.values
        for grid, tensors in sorted(((self.values, show.values), (self.grads, show.grads)),
                                    key=lambda job: job[0] is not first):
            grid.begin(tensors)
            if grid.pending:
                self._jobs.append(grid)
        if not self.deferred:
            self.flush()
        elif self._jobs:
            self._fill_timer.start()

    @property
    def busy(self) -> bool:
        """Tensor views of the current step are still being filled (on later event-loop turns)."""
        return bool(self._jobs)

    def _fill_next(self) -> None:
        """One tensor view (a timer's turn); the next turn does the next."""
        if not self._jobs:
            return
        grid = self._jobs[0]
        if not grid.fill_one():
            self._jobs.pop(0)
        if self._jobs:
            self._fill_timer.start()

    def flush(self) -> None:
        """Fill whatever is left now."""
        self._fill_timer.stop()
        while self._jobs:
            grid = self._jobs[0]
            if not grid.fill_one():
                self._jobs.pop(0)

    def _rule_html(self, show: NodeShow) -> str:
        spec = REGISTRY.get(show.type)
        if show.phase != "backward":
            what = spec.help if spec is not None else ""
            return f"<b>Forward:</b> {html.escape(what)}" if what else ""
        lines = [f"<b>Backward:</b> {html.escape(show.rule)}"] if show.rule else []
        for n in show.numbers:
            lines.append(f'<span style="font-family:\'{self._mono}\'">{html.escape(n.replace("-", "−"))}</span>')
        return "<br>".join(lines)

    def views(self) -> dict[str, TensorView]:
        """The TensorViews of the current step, by name (values and gradients; fills what is left)."""
        self.flush()
        return {**dict(self.values.shown), **dict(self.grads.shown)}
