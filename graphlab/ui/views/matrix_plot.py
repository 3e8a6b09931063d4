"""MatrixPlot: a rows × cols matrix of values as one ImageItem, with a colour bar and cell events.

The heatmap views build on it. Cell (r, c) is centred on (x=c, y=r), so axis ticks at integers
name cells. Values are mapped to a 256-entry LUT in numpy (:func:`.theme.to_index`: NaN →
transparent, over a hatch when ``missing="hatch"`` or the background when ``"plain"``; beyond the
levels → clamped) and the ImageItem only gets row-major uint8
data with levels (0, 255) — no NaNs, no autolevels.

API::

    m = MatrixPlot(cmap="viridis", invert_y=False, bar_label="log10 share", missing="hatch")
    m.set_values(values, levels=(lo, hi))     # (rows, cols) float; NaN = missing
    m.set_row_ticks([(row, "label"), ...])  or  m.set_row_labels(lambda row: ids[row], n_rows)
    m.set_col_labels(lambda col: str(steps[col]))
    m.add_bar_guide(-3.0, "1e-3")             # a line across the colour bar
    m.hovered(row, col)  /  m.clicked(row, col)   # signals; hovered(-1, -1) when the mouse leaves
    m.cell_color(row, col) -> QColor          # the colour the LUT gives that cell now
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsRectItem, QWidget

from .theme import ThemedView, ViewTheme, apply_plot_theme, lut_color, make_lut, make_theme, set_axis_label, to_index


class LabelAxis(pg.AxisItem):
    """An axis whose integer ticks are named by a function (column → step, row → node id)."""

    def __init__(self, orientation: str, **kw: Any) -> None:
        super().__init__(orientation, **kw)
        self.setStyle(textFillLimits=[(0, 0.98)])  # the stride below already keeps labels apart
        self.labeler: Callable[[int], str] | None = None
        self.count = 0

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802,N803
        if self.labeler is None:
            return super().tickValues(minVal, maxVal, size)
        minVal, maxVal = min(minVal, maxVal), max(minVal, maxVal)  # an inverted axis passes them swapped
        lo, hi = max(int(np.ceil(minVal)), 0), min(int(np.floor(maxVal)), self.count - 1)
        if hi < lo or size <= 0:
            return []
        # label every k-th cell so that labels do not overlap (rows: a line; columns: ~70 px)
        per_cell = size / max(maxVal - minVal, 1e-9)
        need = (self._line_height() * 1.1) if self.orientation in ("left", "right") else 70.0
        k = max(1, int(np.ceil(need / max(per_cell, 1e-9))))
        if k > 1:  # round the stride to 1, 2, 5 × 10^n so the labels land on round cells
            mag = 10 ** int(np.floor(np.log10(k)))
            k = next(m * mag for m in (1, 2, 5, 10) if m * mag >= k)
        first = ((lo + k - 1) // k) * k
        return [(float(k), [float(v) for v in range(first, hi + 1, k)])]

    def _line_height(self) -> float:
        font = self.style.get("tickFont")
        return QFontMetricsF(font).height() if font is not None else 14.0

    def tickStrings(self, values: Sequence[float], scale: float, spacing: float) -> list[str]:  # noqa: N802
        if self.labeler is None:
            return super().tickStrings(values, scale, spacing)
        return [self.labeler(int(round(v))) if 0 <= int(round(v)) < self.count else "" for v in values]


class HatchRect(QGraphicsRectItem):
    """A rectangle filled with its brush's pattern in device pixels (a hatch that does not zoom)."""

    def paint(self, painter: QPainter, option: Any, widget: Any = None) -> None:
        r = painter.transform().mapRect(self.rect())
        painter.save()
        painter.resetTransform()
        painter.fillRect(r, self.brush())
        painter.restore()


class MatrixPlot(ThemedView, pg.GraphicsLayoutWidget):
    hovered = Signal(int, int)
    clicked = Signal(int, int)

    def __init__(self, cmap: str = "viridis", *, invert_y: bool = False, bar_label: str = "",
                 x_label: str = "", y_label: str = "", missing: str = "hatch",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = make_theme(self.palette())
        self.cmap = cmap
        self.levels = (0.0, 1.0)
        self.values = np.zeros((0, 0), dtype=np.float32)
        self._bar_label = bar_label
        self._labels = (x_label, y_label)
        self.ci.layout.setContentsMargins(2, 2, 2, 2)

        self.bottom_axis = LabelAxis("bottom")
        self.left_axis = LabelAxis("left")
        self.plot: pg.PlotItem = self.addPlot(row=0, col=0,
                                              axisItems={"bottom": self.bottom_axis, "left": self.left_axis})
        self.plot.setMenuEnabled(False, True)
        self.plot.hideButtons()
        self.plot.getViewBox().invertY(invert_y)
        self.plot.getViewBox().setMouseEnabled(x=True, y=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self._missing = missing
        self._under = HatchRect()  # shows through missing (transparent) cells
        self._under.setZValue(-10)
        self._under.setPen(pg.mkPen(None))
        self.plot.addItem(self._under, ignoreBounds=True)

        self.bar: pg.PlotItem = self.addPlot(row=0, col=1)
        self.bar.setMenuEnabled(False)
        self.bar.hideButtons()
        self.bar.setMouseEnabled(x=False, y=False)
        self.bar.hideAxis("bottom")
        self.bar.hideAxis("left")
        self.bar.showAxis("right")
        self.bar.setFixedWidth(62 if bar_label else 48)
        self.bar_image = pg.ImageItem(np.arange(1, 256, dtype=np.uint8)[:, None], axisOrder="row-major")
        self.bar.addItem(self.bar_image)
        self._bar_guides: list[tuple[float, pg.InfiniteLine]] = []

        self.scene().sigMouseMoved.connect(self._on_moved)
        self.scene().sigMouseClicked.connect(self._on_clicked)
        self._apply_theme()
        self._ready = True
        self._place_bar()

    # -- data ------------------------------------------------------------------------------------------
    def set_values(self, values: np.ndarray, levels: tuple[float, float]) -> None:
        v = np.ascontiguousarray(values, dtype=np.float32)
        if v.ndim != 2:
            raise ValueError(f"a matrix needs 2 dimensions, got shape {v.shape}")
        shape_changed = v.shape != self.values.shape
        self.values = v
        self.levels = (float(levels[0]), float(levels[1]))
        idx = to_index(v, *self.levels) if v.size else np.zeros((1, 1), np.uint8)
        self.image.setImage(idx, autoLevels=False, levels=(0, 255))
        rows, cols = v.shape
        self.left_axis.count, self.bottom_axis.count = rows, cols
        if shape_changed:
            self.image.setRect(QRectF(-0.5, -0.5, max(cols, 1), max(rows, 1)))
            self._under.setRect(QRectF(-0.5, -0.5, cols, rows))
            if rows and cols:
                self.plot.getViewBox().setLimits(xMin=-0.5, xMax=cols - 0.5, yMin=-0.5, yMax=rows - 0.5)
                self.plot.setRange(xRange=(-0.5, cols - 0.5), yRange=(-0.5, rows - 0.5), padding=0)
        self._place_bar()

    def cell_color(self, row: int, col: int) -> QColor:
        return lut_color(self._lut, int(to_index(self.values[row:row + 1, col:col + 1], *self.levels)[0, 0]))

    def set_row_ticks(self, ticks: list[tuple[float, str]]) -> None:
        self.left_axis.labeler = None
        self.left_axis.setTicks([ticks])
        self._fit_left_axis([t for _, t in ticks])

    def set_row_labels(self, labeler: Callable[[int], str], count: int) -> None:
        self.left_axis.labeler = labeler
        self.left_axis.setTicks(None)
        self._fit_left_axis([labeler(i) for i in range(count)])

    def _fit_left_axis(self, labels: list[str]) -> None:
        """Make the left axis wide enough for its longest label (it would drop wider ones)."""
        fm = QFontMetricsF(self.theme.font)
        text = max((fm.horizontalAdvance(t) for t in labels), default=0.0)
        label_w = 22.0 if self._labels[1] else 0.0
        self.left_axis.setWidth(int(text + 16 + label_w))
        self.left_axis.picture = None
        self.left_axis.update()

    def set_col_labels(self, labeler: Callable[[int], str]) -> None:
        self.bottom_axis.labeler = labeler
        self.bottom_axis.picture = None
        self.bottom_axis.update()

    def set_cmap(self, name: str) -> None:
        self.cmap = name
        self._apply_theme()

    # -- colour bar --------------------------------------------------------------------------------------
    def add_bar_guide(self, value: float, text: str = "") -> None:
        line = pg.InfiniteLine(angle=0, pos=value, movable=False, label=text or None,
                               labelOpts={"position": 0.5, "anchors": [(0.5, 1), (0.5, 1)]})
        self.bar.addItem(line)
        self._bar_guides.append((value, line))
        self._style_bar_guides()

    def _place_bar(self) -> None:
        lo, hi = self.levels
        self.bar_image.setRect(QRectF(0, lo, 1, hi - lo))
        self.bar.setRange(xRange=(0, 1), yRange=(lo, hi), padding=0)
        self._style_bar_guides()

    def _style_bar_guides(self) -> None:
        for value, line in self._bar_guides:
            idx = int(to_index(np.array([value]), *self.levels)[0])
            c = self.theme.contrast_text(lut_color(self._lut, idx))
            line.setPen(pg.mkPen(c, width=1.5, style=Qt.PenStyle.DashLine))
            if line.label is not None:
                line.label.setColor(c)
                line.label.setFont(self.theme.font)

    # -- events -------------------------------------------------------------------------------------------
    def cell_at(self, scene_pos: QPointF) -> tuple[int, int]:
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return (-1, -1)
        p = vb.mapSceneToView(scene_pos)
        r, c = int(np.floor(p.y() + 0.5)), int(np.floor(p.x() + 0.5))
        rows, cols = self.values.shape
        return (r, c) if 0 <= r < rows and 0 <= c < cols else (-1, -1)

    def scene_pos_of(self, row: int, col: int) -> QPointF:
        """Where cell (row, col)'s centre is in scene coordinates (tests use it to hover/click)."""
        return self.plot.getViewBox().mapViewToScene(QPointF(col, row))

    def _on_moved(self, pos: QPointF) -> None:
        self.hovered.emit(*self.cell_at(pos))

    def _on_clicked(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        r, c = self.cell_at(ev.scenePos())
        if r >= 0:
            self.clicked.emit(r, c)

    def leaveEvent(self, ev: QEvent) -> None:  # noqa: N802 - Qt override
        self.hovered.emit(-1, -1)
        super().leaveEvent(ev)

    # -- theme ---------------------------------------------------------------------------------------------
    def _apply_theme(self) -> None:
        t: ViewTheme = self.theme
        self.setBackground(t.background)
        self._lut = make_lut(self.cmap, t)
        self.image.setLookupTable(self._lut)
        self.bar_image.setLookupTable(self._lut)
        self.bar_image.setLevels((0, 255))
        if self._missing == "hatch":
            self._under.setBrush(QBrush(t.missing, Qt.BrushStyle.BDiagPattern))
        else:
            self._under.setBrush(pg.mkBrush(None))
        for item in (self.plot, self.bar):
            apply_plot_theme(item, t)
        x_label, y_label = self._labels
        if x_label:
            set_axis_label(self.plot, "bottom", x_label, t)
        if y_label:
            set_axis_label(self.plot, "left", y_label, t)
        if self._bar_label:
            set_axis_label(self.bar, "right", self._bar_label, t)
        self._style_bar_guides()
