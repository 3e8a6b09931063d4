"""SeriesPlot: per-node time series over sampled steps — lines, mean ± std bands, guide lines.

Series are created on first use and then only updated (``setData``); a band is a mean line plus a
filled mean ± std region. Presets set the title, the axis and the guides the node dock needs::

    act = SeriesPlot.activation()          # band "act": activation mean ± std
    act.set_band("act", steps, means, stds)          # or append_band("act", step, mean, std)
    frac = SeriesPlot.fractions()          # y fixed to [0, 1]; e.g. set_series("dead", steps, f)
    norms = SeriesPlot.param_norms()       # log y; e.g. set_series("weight", x, ‖w‖),
                                           #   set_series("weight ∇", x, ‖∇w‖, color="cycle:0", dash=True)
    grad = SeriesPlot.grad_norm()          # log y; ‖∂L/∂out‖ of the node
    ratio = SeriesPlot.update_ratio()      # log y with the 1e-3 guide ("rule of thumb")

    plot.set_series(name, x, y, *, label=None, color=None, dash=False)   # replace
    plot.append_series(name, x, y, ...)                                    # append
    plot.remove(name); plot.clear()        # clear() empties every series (a new node was selected)

Colours: each new series takes the next colour of the theme's cycle unless ``color`` names one
(``"cycle:N"``, ``"train"``, ``"val"``, ...). Readout: each series' value at the hovered step, bands
as ``mean ± std``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from .plot_base import PlotPanel, Series, as_xy, resolve_color
from .theme import ViewTheme, fmt


class SeriesPlot(PlotPanel):
    def __init__(self, title: str, y_label: str = "", *, x_label: str = "step", log_y: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, x_label, y_label, log_y=log_y, parent=parent)
        self._bands: dict[str, pg.FillBetweenItem] = {}
        self._n_colors = 0

    # -- presets ----------------------------------------------------------------------------------------
    @classmethod
    def activation(cls, parent: QWidget | None = None) -> SeriesPlot:
        p = cls("Activation (mean ± std)", "value", parent=parent)
        p.ensure_band("act", "activation")
        return p

    @classmethod
    def fractions(cls, parent: QWidget | None = None) -> SeriesPlot:
        p = cls("Dead / saturated units", "fraction", parent=parent)
        p.view_box.enableAutoRange(y=False)
        p.plot_item.setYRange(0.0, 1.0, padding=0.02)
        p.log_button.hide()
        return p

    @classmethod
    def param_norms(cls, parent: QWidget | None = None) -> SeriesPlot:
        return cls("Parameter norms", "norm", log_y=True, parent=parent)

    @classmethod
    def grad_norm(cls, parent: QWidget | None = None) -> SeriesPlot:
        return cls("Gradient norm ‖∂L/∂out‖", "norm", log_y=True, parent=parent)

    @classmethod
    def update_ratio(cls, parent: QWidget | None = None) -> SeriesPlot:
        p = cls("Update / weight ratio", "‖Δw‖ / ‖w‖", log_y=True, parent=parent)
        p.add_guide("rule", 1e-3, "1e-3 (rule of thumb)")
        return p

    # -- series -----------------------------------------------------------------------------------------
    def ensure_series(self, name: str, label: str | None = None, *, color: str | None = None,
                      dash: bool = False) -> Series:
        if name in self.series:
            return self.series[name]
        if color is None:
            color = f"cycle:{self._n_colors}"
            self._n_colors += 1
        return self.add_series(name, label or name, color, width=1.6, dash=dash)

    def set_series(self, name: str, x: Any, y: Any, *, label: str | None = None, color: str | None = None,
                   dash: bool = False) -> None:
        self.ensure_series(name, label, color=color, dash=dash)
        self.set_data(name, x, y)

    def append_series(self, name: str, x: Any, y: Any, *, label: str | None = None, color: str | None = None,
                      dash: bool = False) -> None:
        self.ensure_series(name, label, color=color, dash=dash)
        self.append(name, x, y)

    # -- bands -------------------------------------------------------------------------------------------
    def ensure_band(self, name: str, label: str | None = None, *, color: str | None = None) -> Series:
        if name in self._bands:
            return self.series[name]
        mean = self.ensure_series(name, label or name, color=color)
        lo = self.add_series(f"{name}:lo", "", mean.color, width=0.8, alpha=0.35, legend=False, readout=False)
        hi = self.add_series(f"{name}:hi", "", mean.color, width=0.8, alpha=0.35, legend=False, readout=False)
        fill = pg.FillBetweenItem(lo.item, hi.item)
        fill.setZValue(-1)
        self.plot_item.addItem(fill)
        self._bands[name] = fill
        self._style_band(name)
        return mean

    def _style_band(self, name: str) -> None:
        c = resolve_color(self.theme, self.series[name].color)
        self._bands[name].setBrush(pg.mkBrush(self.theme.faint(c, 0.22)))

    def set_band(self, name: str, x: Any, mean: Any, std: Any, *, label: str | None = None) -> None:
        self.ensure_band(name, label)
        xa, m = as_xy(x, mean)
        _, s = as_xy(x, std)
        self.set_data(name, xa, m)
        self.set_data(f"{name}:lo", xa, m - s)
        self.set_data(f"{name}:hi", xa, m + s)

    def append_band(self, name: str, x: Any, mean: Any, std: Any, *, label: str | None = None) -> None:
        self.ensure_band(name, label)
        xa, m = as_xy(x, mean)
        _, s = as_xy(x, std)
        self.append(name, xa, m)
        self.append(f"{name}:lo", xa, m - s)
        self.append(f"{name}:hi", xa, m + s)

    # -- removal ------------------------------------------------------------------------------------------
    def remove(self, name: str) -> None:
        names = [name, f"{name}:lo", f"{name}:hi"]
        fill = self._bands.pop(name, None)
        if fill is not None:
            self.plot_item.removeItem(fill)
        for n in names:
            s = self.series.pop(n, None)
            if s is not None:
                self.plot_item.removeItem(s.item)
        self._schedule()

    def clear(self) -> None:
        self.clear_data()

    # -- readout -----------------------------------------------------------------------------------------
    def readout_at(self, x: float) -> str:
        if self.latest_x() is None:
            return ""
        sx = self._snap_x(x)
        parts = []
        for s in self.series.values():
            if not s.readout:
                continue
            p = s.nearest(sx)
            if p is None or p[0] != sx:
                continue
            if not np.isfinite(p[1]):  # not measured (e.g. an Input): a dash, never "NaN ± NaN"
                parts.append(f"{s.label} —")
                continue
            text = f"{s.label} {fmt(p[1])}"
            if s.name in self._bands:
                lo, hi = self.series[f"{s.name}:lo"].nearest(sx), self.series[f"{s.name}:hi"].nearest(sx)
                if lo is not None and hi is not None and lo[0] == sx and hi[0] == sx:
                    text = f"{s.label} {fmt(p[1])} ± {fmt((hi[1] - lo[1]) / 2)}"
            parts.append(text)
        return f"{self.x_label} {fmt(sx)} · " + " · ".join(parts) if parts else ""

    def on_theme(self, theme: ViewTheme) -> None:
        for name in getattr(self, "_bands", {}):
            self._style_band(name)


def band_arrays(plot: SeriesPlot, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, lower, upper) of a band as its curves hold them (for tests)."""
    lo = plot.series[f"{name}:lo"].item.getOriginalDataset()
    hi = plot.series[f"{name}:hi"].item.getOriginalDataset()
    return lo[0], lo[1], hi[1]
