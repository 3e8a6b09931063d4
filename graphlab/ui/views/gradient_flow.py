"""GradientFlowView: nodes (forward order, top to bottom) × sampled steps, two tabs.

Tab "‖∂L/∂out‖": colour = log10 of the norm of the loss gradient w.r.t. each node's output
(viridis; levels span the data in whole decades, so the colour bar reads in powers of ten; a zero
norm clamps to the bottom colour). Tab "update / weight": colour = log10 of ‖Δw‖/‖w‖ on a diverging
map centred on −3 (levels −6..0), with the −3 guide on the colour bar: the course's rule of thumb
is ~1e-3, so white-ish is healthy, blue too small, red too large. NaN means "no value" (a node
without weights, a step that did not sample it) and is drawn in the missing colour.

API::

    g = GradientFlowView()
    g.set_nodes(["x", "conv1", "relu1", ...])      # forward order; clears the data
    g.append(step, grad_norms, update_ratios=None)  # each a {node: value} mapping or a sequence
                                                    # aligned with the nodes; missing → NaN
    g.set_data(steps, grad_norms, update_ratios=None)   # (n_nodes, n_steps) arrays
    g.node_clicked.connect(...)                     # emits the node id of a clicked row
    g.select_node("conv1")                          # outline a row (emits nothing)
    g.show_tab("ratio" | "grad"); g.flush(); g.readout.text(); g.clear()
    g.grad_matrix / g.ratio_matrix                  # the two MatrixPlots (cell_color, levels, values)
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer, Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from .buffers import GrowBuffer, RowBuffer
from .matrix_plot import MatrixPlot
from .header import style_readout, title_block
from .theme import ThemedView, fmt, make_theme, nice_levels

RATIO_LEVELS = (-6.0, 0.0)
RATIO_GUIDE = -3.0


def _elide(s: str, n: int = 16) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


class GradientFlowView(ThemedView, QWidget):
    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = make_theme(self.palette())
        self.redraw_interval_ms = 100
        self.nodes: list[str] = []
        self._index: dict[str, int] = {}
        self.steps = GrowBuffer()
        self._grad = RowBuffer(0)
        self._ratio = RowBuffer(0)
        self._selected: str | None = None
        self._dirty = False

        head, self.title, self.readout = title_block("Gradient flow", self.theme)

        self.grad_matrix = MatrixPlot("viridis", invert_y=True, bar_label="log10 ‖∂L/∂out‖", x_label="step")
        self.ratio_matrix = MatrixPlot("diverging", invert_y=True, bar_label="log10 ‖Δw‖/‖w‖", x_label="step")
        self.ratio_matrix.add_bar_guide(RATIO_GUIDE, "−3")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.grad_matrix, "‖∂L/∂out‖")
        self.tabs.addTab(self.ratio_matrix, "update / weight")
        self._outlines = {}
        for key, m in (("grad", self.grad_matrix), ("ratio", self.ratio_matrix)):
            m.hovered.connect(lambda r, c, key=key: self._on_hover(key, r, c))
            m.clicked.connect(self._on_clicked)
            box = pg.QtWidgets.QGraphicsRectItem()
            box.setZValue(10)
            box.hide()
            m.plot.addItem(box, ignoreBounds=True)
            self._outlines[key] = box

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.tabs, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self._apply_theme()
        self._ready = True

    # -- data ---------------------------------------------------------------------------------------------
    def set_nodes(self, node_ids: Sequence[str]) -> None:
        self.nodes = [str(n) for n in node_ids]
        self._index = {n: i for i, n in enumerate(self.nodes)}
        self.steps.clear()
        self._grad = RowBuffer(len(self.nodes))
        self._ratio = RowBuffer(len(self.nodes))
        labeler = (lambda i: _elide(self.nodes[i]) if 0 <= i < len(self.nodes) else "")
        for m in (self.grad_matrix, self.ratio_matrix):
            m.set_row_labels(labeler, len(self.nodes))
        self._dirty = True
        self._schedule()

    def _row(self, values: Mapping[str, float | None] | Sequence[float | None] | np.ndarray | None) -> np.ndarray:
        out = np.full(len(self.nodes), np.nan)
        if values is None:
            return out
        if isinstance(values, Mapping):
            for k, v in values.items():
                i = self._index.get(str(k))
                if i is not None and v is not None:
                    out[i] = float(v)
            return out
        arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        if arr.size != len(self.nodes):
            raise ValueError(f"{arr.size} values for {len(self.nodes)} nodes")
        return arr

    def append(self, step: float, grad_norms: Any, update_ratios: Any = None) -> None:
        self.steps.append(float(step))
        self._grad.append(self._row(grad_norms))
        self._ratio.append(self._row(update_ratios))
        self._dirty = True
        self._schedule()

    def set_data(self, steps: Any, grad_norms: Any, update_ratios: Any = None) -> None:
        s = np.atleast_1d(np.asarray(steps, dtype=np.float64))
        g = np.asarray(grad_norms, dtype=np.float64).reshape(len(self.nodes), s.size)
        r = (np.full_like(g, np.nan) if update_ratios is None
             else np.asarray(update_ratios, dtype=np.float64).reshape(len(self.nodes), s.size))
        self.steps.clear()
        self._grad.clear()
        self._ratio.clear()
        self.steps.append(s)
        self._grad.append(g.T)
        self._ratio.append(r.T)
        self._dirty = True
        self._schedule()

    def clear(self) -> None:
        self.set_nodes(self.nodes)

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start(self.redraw_interval_ms)

    @staticmethod
    def _log(v: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log10(np.abs(v))
        return out  # 0 → −inf (clamps to the bottom colour); NaN stays NaN (missing)

    def flush(self) -> None:
        self._timer.stop()
        if not self._dirty:
            return
        self._dirty = False
        g = self._log(self._grad.view().T)
        r = self._log(self._ratio.view().T)
        self.grad_matrix.set_values(g, nice_levels(g))
        self.ratio_matrix.set_values(r, RATIO_LEVELS)
        steps = self.steps.view()
        for m in (self.grad_matrix, self.ratio_matrix):
            m.set_col_labels(lambda i: fmt(int(steps[i])) if 0 <= i < steps.size else "")
        self._place_outline()
        if not self.readout.text() or self.readout.text().endswith("its node"):
            self.readout.setText(self._idle_text())

    def log_grad(self) -> np.ndarray:
        """log10 ‖∂L/∂out‖ as drawn: (n_nodes, n_steps)."""
        return self._log(self._grad.view().T)

    def log_ratio(self) -> np.ndarray:
        return self._log(self._ratio.view().T)

    # -- selection and events -------------------------------------------------------------------------------
    def show_tab(self, which: str) -> None:
        self.tabs.setCurrentIndex(1 if which == "ratio" else 0)

    def select_node(self, node_id: str | None) -> None:
        self._selected = node_id if node_id in self._index else None
        self._place_outline()

    @property
    def selected_node(self) -> str | None:
        return self._selected

    def _place_outline(self) -> None:
        for box in self._outlines.values():
            if self._selected is None:
                box.hide()
                continue
            r = self._index[self._selected]
            box.setRect(QRectF(-0.5, r - 0.5, max(len(self.steps), 1), 1.0))
            box.show()

    def _on_clicked(self, row: int, col: int) -> None:
        if 0 <= row < len(self.nodes):
            self.select_node(self.nodes[row])
            self.node_clicked.emit(self.nodes[row])

    def readout_for(self, which: str, row: int, col: int) -> str:
        if row < 0 or row >= len(self.nodes) or col >= len(self.steps):
            return ""
        buf = self._grad if which == "grad" else self._ratio
        v = float(buf.view()[col, row])
        what = "‖∂L/∂out‖" if which == "grad" else "‖Δw‖/‖w‖"
        head = f"{self.nodes[row]} · step {fmt(int(self.steps.view()[col]))} · {what} "
        if np.isnan(v):
            return head + "–"
        lg = self._log(np.array([v]))[0]
        return head + f"{v:.3g} (log10 {fmt(lg, 3)})"

    def _on_hover(self, which: str, row: int, col: int) -> None:
        self.readout.setText(self.readout_for(which, row, col) or self._idle_text())

    def _idle_text(self) -> str:
        n = len(self.steps)
        return f"{len(self.nodes)} nodes × {n:,} sampled steps · click a row to select its node" if n else ""

    # -- theme ------------------------------------------------------------------------------------------------
    def _apply_theme(self) -> None:
        style_readout(self.readout, self.theme)
        pen = pg.mkPen(self.theme.foreground, width=2)
        pen.setCosmetic(True)
        for box in self._outlines.values():
            box.setPen(pen)
            box.setBrush(pg.mkBrush(None))
