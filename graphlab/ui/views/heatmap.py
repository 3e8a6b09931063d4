"""HeatmapView: a distribution over time — sampled step × fixed bins — plus one step's histogram.

Rows are the bins (bottom to top: underflow, the ``len(edges) - 1`` bins, overflow), columns the
sampled steps. Colour = log10 of the share of the step's values that fell in the bin (levels −4..0;
an empty bin shows the background "missing" colour, so zero never looks like "a few"). Thin lines
mark the range ends; the left axis names bin edges. A slider under the heatmap picks one step,
drawn below as a bar chart (under/overflow bars in the warning colour, outside the range); it
follows the newest step until the user moves it back.

API::

    h = HeatmapView(title="Activations", value_label="activation")
    h.set_edges(np.linspace(-4, 4, 65))            # 64 bins; rows of counts have 66 values
    h.append(step, counts)                          # counts = [under, 64 bins..., over]; cheap
    h.set_data(steps, counts_2d)                    # (n_steps, 66)
    h.select_index(i); h.selected_index             # which sampled step the bar chart shows
    h.flush()                                       # draw now (otherwise ≤ 10 Hz)
    h.readout.text()                                # hover: "step 300 · [−0.5, −0.375) · 12.5 %"
    h.bar_heights() -> np.ndarray                   # shares (0..1) the bar chart shows in %, 66 values
    h.clear()
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

from .buffers import GrowBuffer, RowBuffer
from .matrix_plot import MatrixPlot
from .header import style_readout, title_block
from .theme import ThemedView, apply_plot_theme, fmt, make_theme, set_axis_label

LOG_FLOOR = -4.0


def shares(counts: np.ndarray) -> np.ndarray:
    """Counts per row → share of the row's total (a row of zeros stays zeros)."""
    c = np.asarray(counts, dtype=np.float64)
    tot = c.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(tot > 0, c / np.where(tot > 0, tot, 1.0), 0.0)
    return out


class HeatmapView(ThemedView, QWidget):
    step_selected = Signal(int)  # index of the sampled step the bar chart shows

    def __init__(self, title: str = "Distribution", value_label: str = "value", *,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = make_theme(self.palette())
        self.value_label = value_label
        self.redraw_interval_ms = 100
        self.edges = np.linspace(-1.0, 1.0, 65)
        self.steps = GrowBuffer()
        self.counts = RowBuffer(self.edges.size + 1)
        self._follow = True
        self._dirty = False

        head, self.title, self.readout = title_block(title, self.theme)

        self.matrix = MatrixPlot("viridis", bar_label="log10 share", x_label="step", y_label=value_label,
                                 missing="plain")
        self.matrix.hovered.connect(self._on_hover)
        self.matrix.clicked.connect(lambda r, c: self.select_index(c))
        self._cursor = pg.InfiniteLine(angle=90, movable=False)
        self.matrix.plot.addItem(self._cursor)
        self._range_lines = [pg.InfiniteLine(angle=0, movable=False) for _ in range(2)]
        for line in self._range_lines:
            self.matrix.plot.addItem(line)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self._on_slider)
        self.step_label = QLabel("")
        self.step_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.bars_widget = pg.PlotWidget()
        self.bars_plot: pg.PlotItem = self.bars_widget.getPlotItem()
        self.bars_plot.setMenuEnabled(False, True)
        self.bars_plot.hideButtons()
        self.bars_plot.setMouseEnabled(x=False, y=False)
        self.bars_plot.getAxis("left").enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x=np.zeros(1), height=np.zeros(1), width=1.0)
        self.bars_plot.addItem(self.bars)
        self._heights = np.zeros(self.edges.size + 1)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.matrix, 3)
        lay.addWidget(self.slider)
        lay.addWidget(self.step_label)
        lay.addWidget(self.bars_widget, 2)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self.set_edges(self.edges)
        self._apply_theme()
        self._ready = True

    # -- data --------------------------------------------------------------------------------------------
    @property
    def n_bins(self) -> int:
        return self.edges.size - 1

    def set_edges(self, edges: Any) -> None:
        """Bin edges (increasing, ≥ 2 values); clears the data when the bin count changes."""
        e = np.asarray(edges, dtype=np.float64)
        if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
            raise ValueError("bin edges must be a 1-D increasing array of at least 2 values")
        if e.size != self.edges.size:
            self.steps.clear()
            self.counts = RowBuffer(e.size + 1)
        self.edges = e
        rows = e.size + 1
        n = e.size - 1
        ticks = [(k + 0.5, fmt(e[k], 3)) for k in range(0, n + 1, max(1, n // 4))]
        self.matrix.set_row_ticks(ticks)
        self._range_lines[0].setPos(0.5)
        self._range_lines[1].setPos(rows - 1.5)
        w = float(np.mean(np.diff(e)))
        centres = np.concatenate([[e[0] - w], (e[:-1] + e[1:]) / 2, [e[-1] + w]])
        widths = np.concatenate([[w], np.diff(e), [w]]) * 0.9
        self._heights = np.zeros(rows)
        self.bars.setOpts(x=centres, width=widths, height=self._heights, brushes=self._bar_brushes(rows))
        self._dirty = True
        self._schedule()

    def append(self, step: float, counts: Any) -> None:
        c = np.asarray(counts, dtype=np.float64).reshape(-1)
        if c.size != self.counts.width:
            raise ValueError(f"a histogram row needs {self.counts.width} counts "
                             f"(under, {self.n_bins} bins, over), got {c.size}")
        self.steps.append(float(step))
        self.counts.append(c)
        self._dirty = True
        self._schedule()

    def set_data(self, steps: Any, counts: Any) -> None:
        s = np.atleast_1d(np.asarray(steps, dtype=np.float64))
        c = np.asarray(counts, dtype=np.float64).reshape(s.size, -1) if s.size else np.zeros((0, self.counts.width))
        if c.shape[1] != self.counts.width:
            raise ValueError(f"histogram rows need {self.counts.width} counts, got {c.shape[1]}")
        self.steps.clear()
        self.counts.clear()
        self.steps.append(s)
        self.counts.append(c)
        self._follow = True
        self._dirty = True
        self._schedule()

    def clear(self) -> None:
        self.set_data([], np.zeros((0, self.counts.width)))

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start(self.redraw_interval_ms)

    def flush(self) -> None:
        self._timer.stop()
        if not self._dirty:
            return
        self._dirty = False
        n = len(self.steps)
        sh = shares(self.counts.view())  # (n_steps, rows)
        with np.errstate(divide="ignore"):
            logs = np.where(sh > 0, np.log10(np.maximum(sh, 1e-300)), np.nan)
        logs = np.maximum(logs, LOG_FLOOR)
        self.matrix.set_values(logs.T if n else np.zeros((self.counts.width, 0)), (LOG_FLOOR, 0.0))
        steps = self.steps.view()
        self.matrix.set_col_labels(lambda i: fmt(int(steps[i])) if 0 <= i < steps.size else "")
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(n - 1, 0))
        if self._follow and n:
            self.slider.setValue(n - 1)
        self.slider.blockSignals(False)
        self._show_step(self.slider.value())
        if not self.readout.text() or self.readout.text().endswith("that step"):
            self.readout.setText(self._idle_text())

    # -- the selected step ------------------------------------------------------------------------------
    @property
    def selected_index(self) -> int:
        return self.slider.value()

    def select_index(self, i: int) -> None:
        self.slider.setValue(int(i))

    def _on_slider(self, i: int) -> None:
        self._follow = i >= self.slider.maximum()
        self._show_step(i)
        self.step_selected.emit(i)

    def _show_step(self, i: int) -> None:
        n = len(self.steps)
        if n == 0:
            self._heights = np.zeros(self.counts.width)
            self.step_label.setText("")
            self._cursor.hide()
        else:
            i = min(max(i, 0), n - 1)
            row = self.counts.view()[i]
            self._heights = shares(row)
            tot = row.sum()
            self.step_label.setText(
                f"step {fmt(int(self.steps.view()[i]))}: {fmt(int(tot))} values · "
                f"{100 * self._heights[0]:.1f} % below {fmt(self.edges[0], 3)} · "
                f"{100 * self._heights[-1]:.1f} % above {fmt(self.edges[-1], 3)}")
            self._cursor.setPos(i)
            self._cursor.show()
        self.bars.setOpts(height=100.0 * self._heights)

    def bar_heights(self) -> np.ndarray:
        return self._heights.copy()

    # -- hover -------------------------------------------------------------------------------------------
    def readout_for(self, row: int, col: int) -> str:
        if row < 0 or col >= len(self.steps):
            return ""
        e = self.edges
        if row == 0:
            where = f"below {fmt(e[0], 3)}"
        elif row == e.size:
            where = f"above {fmt(e[-1], 3)}"
        else:
            where = f"[{fmt(e[row - 1], 3)}, {fmt(e[row], 3)})"
        share = shares(self.counts.view()[col])[row]
        return f"step {fmt(int(self.steps.view()[col]))} · {where} · {100 * share:.2f} %"

    def _on_hover(self, row: int, col: int) -> None:
        self.readout.setText(self.readout_for(row, col) or self._idle_text())

    def _idle_text(self) -> str:
        n = len(self.steps)
        return f"{n:,} sampled steps · click a column to show that step" if n else ""

    # -- theme ---------------------------------------------------------------------------------------------
    def _bar_brushes(self, rows: int) -> list:
        b = [pg.mkBrush(self.theme.train)] * rows
        b[0] = b[-1] = pg.mkBrush(self.theme.warning)
        return b

    def _apply_theme(self) -> None:
        t = self.theme
        style_readout(self.readout, t)
        self.bars_widget.setBackground(t.background)
        apply_plot_theme(self.bars_plot, t)
        set_axis_label(self.bars_plot, "bottom", self.value_label, t)
        set_axis_label(self.bars_plot, "left", "% of values", t)
        self._cursor.setPen(pg.mkPen(t.foreground, width=1.2, style=Qt.PenStyle.DashLine))
        for line in self._range_lines:
            line.setPen(pg.mkPen(t.background, width=1))
        self.bars.setOpts(brushes=self._bar_brushes(self.counts.width), pen=pg.mkPen(None))
