"""PlotPanel: the shared base of the line plots (loss, accuracy, learning rate, per-node series).

A header row (title · hover readout · "log y" toggle) over a themed pyqtgraph PlotWidget. The panel
holds *named series*; each series keeps its full-resolution data in append-only buffers and owns
one PlotDataItem created once, drawn with peak downsampling + clip-to-view and updated with
``setData`` (never clear-and-replot).

API (subclasses add domain methods on top):

- ``add_series(name, label, color, *, width=1.5, alpha=1.0, symbol=None, dash=False, legend=True,
  readout=True, integer_x=False)`` — ``color`` is a theme role (``"train"``, ``"val"``, ``"lr"``,
  ``"guide"``) or ``"cycle:N"``; colours follow palette changes. ``integer_x`` stores x as int64
  (steps): pyqtgraph then knows x is finite and skips a full isfinite pass and copy per redraw.
- ``append(name, x, y)`` — cheap: copies into the buffers and schedules one redraw (at most every
  ``redraw_interval_ms``, default 100 ms = 10 Hz; stretched to 10× the last redraw's cost when a
  huge history makes redraws slow, so drawing never takes more than ~10% of the GUI thread).
  ``set_data(name, x, y)`` replaces the data. ``clear_data(name=None)``. ``flush()`` redraws now
  (tests, benchmarks, end of run). ``x`` must be non-decreasing within a series (steps, epochs).
- Non-finite values (NaN, ±inf) never reach the curve: they are kept apart and drawn as markers
  (error colour) at the top of the view (−inf at the bottom), and the readout names them.
- ``add_guide(key, value, text)`` / ``remove_guide(key)``: a dashed horizontal line at a data value
  (it follows the log toggle), labelled.
- ``set_log_y(on)`` / ``log_y``; ``add_overlay(run_id, x, y, label)`` / ``remove_overlay(run_id)`` /
  ``overlay_ids()``: other runs' curves, one colour per run id.
- ``readout.text()``: the values at the hovered x (or the latest values when the mouse is away);
  ``readout_at(x)`` computes that text (subclasses override it); ``hover_x(x)`` sets it as a hover
  would.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QToolButton, QVBoxLayout, QWidget

from .buffers import GrowBuffer
from .header import style_readout, title_block
from .theme import ThemedView, ViewTheme, apply_plot_theme, fmt, make_theme, set_axis_label


class YAxis(pg.AxisItem):
    """A y axis whose log mode labels decades first and 2·10^k, 5·10^k only when they fit.

    pyqtgraph's log ticks put all of 1..9 × 10^k on the first level when the view spans fewer than
    a few decades, and the first level is always labelled: the labels overlap.
    """

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: list) -> list:  # noqa: N802,N803
        lo, hi = min(minVal, maxVal), max(minVal, maxVal)
        decades = [float(v) for v in range(int(np.ceil(lo)), int(np.floor(hi)) + 1)]
        v0, v1 = int(np.floor(lo)), int(np.ceil(hi))
        mid = [v + np.log10(m) for v in range(v0, v1) for m in (2, 5)]
        rest = [v + np.log10(m) for v in range(v0, v1) for m in (3, 4, 6, 7, 8, 9)]
        inside = lambda vs: [x for x in vs if lo < x < hi]  # noqa: E731
        if len(decades) >= 2:
            return [(1.0, decades), (None, inside(mid)), (None, inside(rest))]
        return [(None, sorted(decades + inside(mid))), (None, inside(rest))]


def peak_downsample(item: pg.PlotDataItem) -> None:
    """Peak downsampling + clip-to-view, one min/max pair per pixel column.

    pyqtgraph's default keeps ~5 samples per pixel; with the peak method one bucket per pixel
    already draws the exact envelope, and 5× fewer segments cost 5× less to stroke.
    """
    item.setDownsampling(auto=True, method="peak")
    item.setClipToView(True)
    item.opts["autoDownsampleFactor"] = 1.0


def resolve_color(theme: ViewTheme, color: str) -> QColor:
    if color.startswith("cycle:"):
        return theme.cycle(int(color[6:]))
    return QColor(getattr(theme, color))


@dataclass
class Series:
    """One named line: finite points in the buffers, non-finite ones kept apart for markers."""

    name: str
    label: str
    color: str
    item: pg.PlotDataItem
    width: float = 1.5
    alpha: float = 1.0
    dash: bool = False
    symbol: str | None = None
    readout: bool = True
    line: bool = True
    integer_x: bool = False
    x: GrowBuffer = field(default_factory=GrowBuffer)
    y: GrowBuffer = field(default_factory=GrowBuffer)
    bad_x: GrowBuffer = field(default_factory=GrowBuffer)
    bad_y: GrowBuffer = field(default_factory=GrowBuffer)
    dirty: bool = False

    def __post_init__(self) -> None:
        if self.integer_x:
            self.x = GrowBuffer(np.int64)

    def add(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Append; returns the mask of finite values."""
        ok = np.isfinite(y)
        if ok.all():
            self.x.append(x)
            self.y.append(y)
        else:
            self.x.append(x[ok])
            self.y.append(y[ok])
            self.bad_x.append(x[~ok])
            self.bad_y.append(y[~ok])
        self.dirty = True
        return ok

    def reset(self) -> None:
        for b in (self.x, self.y, self.bad_x, self.bad_y):
            b.clear()
        self.dirty = True

    def nearest(self, x: float) -> tuple[float, float] | None:
        """The (x, y) point nearest to ``x``, finite or not."""
        best: tuple[float, float] | None = None
        for xs, ys in ((self.x.view(), self.y.view()), (self.bad_x.view(), self.bad_y.view())):
            if xs.size == 0:
                continue
            i = int(np.searchsorted(xs, x))
            for j in (i - 1, i):
                if 0 <= j < xs.size and (best is None or abs(xs[j] - x) < abs(best[0] - x)):
                    best = (float(xs[j]), float(ys[j]))
        return best


def as_xy(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    xa = np.atleast_1d(np.asarray(x, dtype=np.float64))
    ya = np.atleast_1d(np.asarray(y, dtype=np.float64))
    if xa.shape != ya.shape or xa.ndim != 1:
        raise ValueError(f"x and y must be 1-D and of equal length, got shapes {xa.shape} and {ya.shape}")
    return xa, ya


#: the legend's row in the PlotItem's grid: below the x axis (row 3); its entries flow in columns of
#: about LEGEND_COLUMN_PX each (as many as the panel's width holds)
LEGEND_ROW, LEGEND_COLUMNS, LEGEND_COLUMN_PX = 4, 3, 160


class PlotPanel(ThemedView, QWidget):
    """Title, readout and log toggle over a themed plot that holds named, appendable series."""

    def __init__(self, title: str, x_label: str, y_label: str, *, log_y: bool = False,
                 legend: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = make_theme(self.palette())
        self.x_label = x_label
        self._y_label = y_label
        self.redraw_interval_ms = 100
        self.series: dict[str, Series] = {}
        self._guides: dict[str, tuple[float, pg.InfiniteLine, str]] = {}
        self._overlays: dict[str, tuple[int, list[pg.PlotDataItem]]] = {}
        self._hover: float | None = None
        self._last_flush_ms = 0.0

        self.log_button = QToolButton()
        self.log_button.setText("log y")
        self.log_button.setCheckable(True)
        self.log_button.setToolTip("Logarithmic y axis")
        self.log_button.toggled.connect(self.set_log_y)
        self.log_button.setAutoRaise(True)
        head, self.title, self.readout = title_block(title, self.theme, [self.log_button])
        self._build_plot(legend)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.setSpacing(1)
        lay.addLayout(head)
        lay.addWidget(self.plot_widget, 1)
        self._build_markers()

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self.view_box.sigRangeChanged.connect(self._place_markers)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot_widget.viewport().installEventFilter(self)
        self._apply_theme()
        self._ready = True
        if log_y:
            self.log_button.setChecked(True)

    def _build_plot(self, legend: bool) -> None:
        """The pyqtgraph plot (no menu, no buttons, peak downsampling) and its legend under the x axis."""
        self.plot_widget = pg.PlotWidget(axisItems={"left": YAxis("left")})
        self.plot_item: pg.PlotItem = self.plot_widget.getPlotItem()
        self.view_box: pg.ViewBox = self.plot_item.getViewBox()
        self.plot_item.setMenuEnabled(False, True)  # no "Plot options" (its log switch would bypass ours)
        self.plot_item.hideButtons()
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        # PlotItem.addItem imposes the PlotItem's own modes on every PlotDataItem it is given
        self.plot_item.setDownsampling(auto=True, mode="peak")
        self.plot_item.setClipToView(True)
        self.view_box.setLimits(xMin=0)  # steps and epochs: a run of one point shows no negative axis
        if legend:  # under the x axis, outside the data area: a legend never covers a curve
            self.legend = pg.LegendItem(labelTextSize=f"{self.theme.font.pointSizeF():.0f}pt", verSpacing=-6,
                                        colCount=LEGEND_COLUMNS)
            self.plot_item.legend = self.legend  # PlotItem.addItem lists named items in it
            self.legend.hide()  # shown (in the layout) once it names two curves: one is named by the title
        else:
            self.legend = None
        self._legend_shown = False

    def _build_markers(self) -> None:
        """The markers of NaN/inf points (at the view's edge) and the hover line at the cursor."""
        self._markers = pg.ScatterPlotItem(size=9, pxMode=True)
        self._markers.setZValue(20)
        self.plot_item.addItem(self._markers, ignoreBounds=True)
        self._cross = pg.InfiniteLine(angle=90, movable=False)
        self._cross.setZValue(15)
        self._cross.hide()
        self.plot_item.addItem(self._cross, ignoreBounds=True)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.legend is not None:
            cols = max(1, self.width() // LEGEND_COLUMN_PX)
            if cols != self.legend.columnCount:
                self.legend.setColumnCount(cols)

    # -- series ---------------------------------------------------------------------------------
    def add_series(self, name: str, label: str, color: str, *, width: float = 1.5, alpha: float = 1.0,
                   symbol: str | None = None, dash: bool = False, legend: bool = True,
                   readout: bool = True, line: bool = True, integer_x: bool = False, z: float = 0.0) -> Series:
        item = pg.PlotDataItem(name=label if legend else None)
        item.setZValue(z)
        self.plot_item.addItem(item)
        peak_downsample(item)
        s = Series(name, label, color, item, width=width, alpha=alpha, dash=dash, symbol=symbol,
                   readout=readout, line=line, integer_x=integer_x)
        self.series[name] = s
        self._style_series(s)
        self._fit_legend()
        return s

    def _fit_legend(self) -> None:
        """The legend takes its row under the axis only while it names two curves or more."""
        if self.legend is None:
            return
        show = len(self.legend.items) >= 2
        if show == self._legend_shown:
            return
        self._legend_shown = show
        if show:
            self.plot_item.layout.addItem(self.legend, LEGEND_ROW, 1)
            self.legend.show()
        else:
            self.plot_item.layout.removeItem(self.legend)
            self.legend.hide()

    def _style_series(self, s: Series) -> None:
        c = self.theme.faint(resolve_color(self.theme, s.color), s.alpha)
        pen = pg.mkPen(c, width=s.width, style=Qt.PenStyle.DashLine if s.dash else Qt.PenStyle.SolidLine)
        s.item.setPen(pen if s.line else None)
        if s.symbol:
            s.item.setSymbol(s.symbol)
            s.item.setSymbolSize(13 if s.symbol == "star" else 7)
            s.item.setSymbolBrush(pg.mkBrush(c))
            s.item.setSymbolPen(pg.mkPen(self.theme.background, width=1))

    def set_symbol(self, name: str, symbol: str | None) -> None:
        """A series' point markers (None: the line alone — thousands of markers cost most of a redraw)."""
        s = self.series[name]
        if s.symbol == symbol:
            return
        s.symbol = symbol
        if symbol is None:
            s.item.setSymbol(None)
        self._style_series(s)

    def append(self, name: str, x: Any, y: Any) -> None:
        xa, ya = as_xy(x, y)
        self.series[name].add(xa, ya)
        self._schedule()

    def set_data(self, name: str, x: Any, y: Any) -> None:
        xa, ya = as_xy(x, y)
        s = self.series[name]
        s.reset()
        s.add(xa, ya)
        self._schedule()

    def clear_data(self, name: str | None = None) -> None:
        for s in ([self.series[name]] if name else self.series.values()):
            s.reset()
        if name is None:  # a new run: the axes fit its data again, whatever the last one was zoomed to
            self.view_box.enableAutoRange()
        self._schedule()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start(max(self.redraw_interval_ms, int(10 * self._last_flush_ms)))

    def flush(self) -> None:
        """Push buffered data into the plot items now."""
        self._timer.stop()
        t0 = time.perf_counter()
        for s in self.series.values():
            if s.dirty:
                s.item.setData(s.x.view(), s.y.view())
                s.dirty = False
        self._place_markers()
        if self._hover is None:
            self._update_readout()
        self._last_flush_ms = (time.perf_counter() - t0) * 1e3

    # -- non-finite markers ---------------------------------------------------------------------
    def nonfinite_points(self) -> list[tuple[str, float, float]]:
        """(series name, x, value) of every NaN/inf point, as the markers show them."""
        out = []
        for s in self.series.values():
            out += [(s.name, float(x), float(y)) for x, y in zip(s.bad_x.view(), s.bad_y.view())]
        return out

    def _place_markers(self, *_: Any) -> None:
        pts = self.nonfinite_points()
        if not pts:
            if self._markers.points().size:
                self._markers.setData([], [])
            return
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        pad = (y1 - y0) * 0.03
        xs = np.array([p[1] for p in pts])
        ys = np.array([y0 + pad if p[2] == -np.inf else y1 - pad for p in pts])
        sym = ["t1" if p[2] == -np.inf else ("t" if p[2] == np.inf else "d") for p in pts]
        brush = pg.mkBrush(self.theme.error)
        self._markers.setData(xs, ys, symbol=sym, brush=brush, pen=pg.mkPen(self.theme.background))

    # -- guides -----------------------------------------------------------------------------------
    def add_guide(self, key: str, value: float, text: str = "", *, color: str = "guide",
                  label_pos: float = 0.03, below: bool = False) -> pg.InfiniteLine:
        """A horizontal guide line; its label sits above the line (``below``: under it, for a guide at
        the top of the data, such as the initial loss, whose label would be cut off above)."""
        self.remove_guide(key)
        anchor = (0, 0) if below else (0, 1)
        line = pg.InfiniteLine(angle=0, movable=False, label=text or None,
                               labelOpts={"position": label_pos, "anchors": [anchor, anchor],
                                          "color": resolve_color(self.theme, color),
                                          "fill": self.theme.faint(self.theme.background, 0.8)})
        line.setZValue(5)
        self.plot_item.addItem(line, ignoreBounds=True)
        self._guides[key] = (value, line, color)
        self._style_guide(key)
        return line

    def remove_guide(self, key: str) -> None:
        g = self._guides.pop(key, None)
        if g is not None:
            self.plot_item.removeItem(g[1])

    def guide(self, key: str) -> pg.InfiniteLine | None:
        g = self._guides.get(key)
        return g[1] if g else None

    def _style_guide(self, key: str) -> None:
        value, line, color = self._guides[key]
        c = resolve_color(self.theme, color)
        line.setPen(pg.mkPen(c, width=1.2, style=Qt.PenStyle.DashLine))
        if line.label is not None:
            line.label.setColor(c)
            line.label.setFont(self.theme.font)
            line.label.fill = pg.mkBrush(self.theme.faint(self.theme.background, 0.9))
            line.label.update()
        pos = np.log10(value) if self.log_y and value > 0 else value
        line.setPos(float(pos))
        line.setVisible(not (self.log_y and value <= 0))

    # -- log toggle -----------------------------------------------------------------------------
    @property
    def log_y(self) -> bool:
        return self.log_button.isChecked()

    def set_log_y(self, on: bool) -> None:
        if self.log_button.isChecked() != on:
            self.log_button.setChecked(on)  # re-enters through toggled
            return
        self.plot_item.setLogMode(y=on)
        for key in self._guides:
            self._style_guide(key)
        self._place_markers()

    # -- overlays of other runs -------------------------------------------------------------------
    def add_overlay(self, run_id: str, x: Any, y: Any, label: str | None = None, *,
                    symbol: str | None = None, dash: bool = False, legend: bool = True) -> QColor:
        """Draw another run's curve in its own colour (one colour per run id, stable while shown)."""
        xa, ya = as_xy(x, y)
        ok = np.isfinite(ya)
        if run_id in self._overlays:
            idx, items = self._overlays[run_id]
        else:
            used = {i for i, _ in self._overlays.values()}
            idx = next(i for i in range(2, 1000) if i not in used)  # 0, 1: this run's train/val hues
            items = []
            self._overlays[run_id] = (idx, items)
        item = pg.PlotDataItem(name=(label or run_id) if legend else None)
        item.setZValue(-5)
        c = self.theme.cycle(idx)
        item.setPen(pg.mkPen(c, width=1.5, style=Qt.PenStyle.DashLine if dash else Qt.PenStyle.SolidLine))
        if symbol:
            item.setSymbol(symbol)
            item.setSymbolSize(6)
            item.setSymbolBrush(pg.mkBrush(c))
            item.setSymbolPen(pg.mkPen(self.theme.background))
        self.plot_item.addItem(item)
        peak_downsample(item)
        item.setData(xa[ok], ya[ok])
        items.append(item)
        self._fit_legend()
        return c

    def remove_overlay(self, run_id: str) -> None:
        entry = self._overlays.pop(run_id, None)
        if entry is None:
            return
        for item in entry[1]:
            self.plot_item.removeItem(item)
        self._fit_legend()

    def overlay_ids(self) -> list[str]:
        return list(self._overlays)

    def overlay_items(self, run_id: str) -> list[pg.PlotDataItem]:
        return list(self._overlays[run_id][1])

    # -- hover readout ------------------------------------------------------------------------------
    def readout_at(self, x: float) -> str:
        """The text of the readout for x (data units): each series' value at its nearest point."""
        parts: list[str] = []
        for s in self.series.values():
            if not s.readout:
                continue
            p = s.nearest(x)
            if p is not None:
                parts.append(f"{s.label} {fmt(p[1])}")
        if not parts:
            return ""
        return f"{self.x_label} {fmt(self._snap_x(x))} · " + " · ".join(parts)

    def _snap_x(self, x: float) -> float:
        """The data x nearest to x among all series (what the readout reports)."""
        best = None
        for s in self.series.values():
            p = s.nearest(x)
            if p is not None and (best is None or abs(p[0] - x) < abs(best - x)):
                best = p[0]
        return x if best is None else (int(best) if float(best).is_integer() else best)

    def latest_x(self) -> float | None:
        xs = [v for s in self.series.values() for v in (s.x.last(), s.bad_x.last()) if v is not None]
        return max(xs) if xs else None

    def _update_readout(self) -> None:
        x = self._hover if self._hover is not None else self.latest_x()
        self.readout.setText("" if x is None else self.readout_at(x))

    def hover_x(self, x: float | None) -> None:
        """Show the readout (and the cross line) for data x, or the latest values for None."""
        self._hover = x
        if x is None:
            self._cross.hide()
        else:
            self._cross.setPos(x)
            self._cross.show()
        self._update_readout()

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if not self.view_box.sceneBoundingRect().contains(pos):
            self.hover_x(None)
            return
        self.hover_x(float(self.view_box.mapSceneToView(pos).x()))

    def eventFilter(self, obj: Any, ev: QEvent) -> bool:  # noqa: N802 - Qt override
        if ev.type() == QEvent.Type.Leave:
            self.hover_x(None)
        return super().eventFilter(obj, ev)

    # -- theme ------------------------------------------------------------------------------------
    def _apply_theme(self) -> None:
        t = self.theme
        self.plot_widget.setBackground(t.background)
        set_axis_label(self.plot_item, "bottom", self.x_label, t)
        if self._y_label:
            set_axis_label(self.plot_item, "left", self._y_label, t)
        apply_plot_theme(self.plot_item, t)
        # log minor labels (2..9 × 10^k) crowd each decade's top: only with plenty of room
        self.plot_item.getAxis("left").setStyle(textFillLimits=[(0, 0.8), (2, 0.4), (4, 0.25)])
        self._cross.setPen(pg.mkPen(t.guide, width=1))
        style_readout(self.readout, t)
        for s in self.series.values():
            self._style_series(s)
        for key in self._guides:
            self._style_guide(key)
        for idx, items in self._overlays.values():
            for item in items:
                pen = pg.mkPen(t.cycle(idx), width=1.5, style=item.opts["pen"].style())
                item.setPen(pen)
                if item.opts.get("symbol"):
                    item.setSymbolBrush(pg.mkBrush(t.cycle(idx)))
        self._place_markers()
        self.on_theme(t)

    def on_theme(self, theme: ViewTheme) -> None:
        """Hook for subclasses: restyle what they added."""


def series_values(panel: PlotPanel, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) a series' plot item holds now, before downsampling (tests and benchmarks read them)."""
    x, y = panel.series[name].item.getOriginalDataset()
    return (np.asarray([]) if x is None else x), (np.asarray([]) if y is None else y)


def iter_items(panel: PlotPanel) -> Iterable[pg.PlotDataItem]:
    yield from (s.item for s in panel.series.values())
