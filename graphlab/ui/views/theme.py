"""Colours for the view widgets, derived from a widget's palette so light and dark both read.

``make_theme(palette)`` returns a :class:`ViewTheme`: background/foreground from the palette's
Base/Text roles, a few fixed hues (train, validation, runs, series) whose lightness adapts to the
palette, an error and a warning colour (the canvas's), and a muted guide colour.

Colour maps for image items are 256-entry uint8 RGBA look-up tables (stack facts: ≤ 256 entries,
explicit levels, no NaNs). Entry 0 is reserved for *missing* (NaN, no data) and is transparent, so
whatever lies under the image shows (the plot background, or a hatch in the theme's ``missing``
colour); entries 1..255 hold the map. :func:`to_index` turns float values into
those indices in numpy (NaN → 0, ±inf clamp to the ends), so an ``ImageItem`` only ever sees
uint8 data with levels (0, 255).

``apply_plot_theme(plot_item, theme)`` restyles a pyqtgraph PlotItem (axes, grid, title, legend).
Widgets call it again on ``QEvent.PaletteChange``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from ..numbers import fmt  # noqa: F401 - the one number format, re-exported for the views
from ..scene.style import is_dark  # the one test of a dark palette (the canvas's)

# hue, saturation per named role; lightness adapts to the palette
_HUES = {"train": (210, 200), "val": (28, 230), "lr": (150, 170), "extra": (280, 150)}
_CYCLE = (210, 28, 130, 280, 180, 330, 55, 0, 240, 95)


def _hue(h: int, s: int, dark: bool) -> QColor:
    return QColor.fromHsl(h, s, 165 if dark else 100)


@dataclass(frozen=True)
class ViewTheme:
    dark: bool
    background: QColor
    foreground: QColor
    dim: QColor
    grid: QColor
    guide: QColor
    missing: QColor
    error: QColor
    warning: QColor
    highlight: QColor
    train: QColor
    val: QColor
    lr: QColor
    font: QFont = field(compare=False)

    def cycle(self, i: int) -> QColor:
        """The i-th colour of a fixed sequence of distinct hues (runs, parameters, classes)."""
        h = _CYCLE[i % len(_CYCLE)]
        s = 200 if i < len(_CYCLE) else 120  # a second round is paler
        return _hue(h, s, self.dark)

    def faint(self, c: QColor, alpha: float) -> QColor:
        out = QColor(c)
        out.setAlphaF(alpha)
        return out

    def contrast_text(self, bg: QColor) -> QColor:
        """Black or white, whichever reads better on ``bg``."""
        lum = 0.2126 * bg.redF() + 0.7152 * bg.greenF() + 0.0722 * bg.blueF()
        return QColor(20, 20, 20) if lum > 0.5 else QColor(245, 245, 245)


def make_theme(palette: QPalette | None = None) -> ViewTheme:
    pal = palette or QGuiApplication.palette()
    dark = is_dark(pal)
    base = pal.color(QPalette.ColorRole.Base)
    text = pal.color(QPalette.ColorRole.Text)
    dim = QColor(text)
    dim.setAlphaF(0.7)
    grid = QColor(text)
    grid.setAlphaF(0.12)
    guide = QColor(text)
    guide.setAlphaF(0.55)
    missing = QColor(text)
    missing.setAlphaF(0.3)
    f = QFont(QGuiApplication.font())
    size = f.pointSizeF() if f.pointSizeF() > 0 else 9.0
    f.setPointSizeF(size * 0.9)
    return ViewTheme(
        dark=dark, background=base, foreground=text, dim=dim, grid=grid, guide=guide, missing=missing,
        error=QColor("#ff5555") if dark else QColor("#d01c1c"),
        warning=QColor("#e0a030") if dark else QColor("#b07000"),
        highlight=pal.color(QPalette.ColorRole.Highlight),
        train=_hue(*_HUES["train"], dark), val=_hue(*_HUES["val"], dark), lr=_hue(*_HUES["lr"], dark), font=f)


# -- plots ---------------------------------------------------------------------------------------

def apply_plot_theme(plot_item: pg.PlotItem, theme: ViewTheme) -> None:
    """Axes, tick labels, grid, title and legend of a PlotItem in the theme's colours."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot_item.getAxis(name)
        axis.setPen(pg.mkPen(theme.dim))
        axis.setTextPen(pg.mkPen(theme.foreground))
        axis.setTickFont(theme.font)
        axis.enableAutoSIPrefix(False)  # "(x0.001)" on a log axis reads as nonsense
        axis.setStyle(maxTickLevel=1)  # major + minor grid lines; a third level tripled the paint cost
        if axis.label is not None:
            axis.label.setDefaultTextColor(theme.foreground)
    legend = plot_item.legend
    if legend is not None:
        legend.setLabelTextColor(theme.foreground)
        bg = QColor(theme.background)
        bg.setAlphaF(0.75)
        legend.setBrush(pg.mkBrush(bg))
        legend.setPen(pg.mkPen(theme.grid))
    if plot_item.titleLabel is not None:
        plot_item.titleLabel.item.setDefaultTextColor(theme.foreground)


def set_axis_label(plot_item: pg.PlotItem, side: str, text: str, theme: ViewTheme) -> None:
    plot_item.setLabel(side, text, color=theme.foreground.name(), **{"font-size": f"{theme.font.pointSizeF():.1f}pt"})


# -- colour maps -----------------------------------------------------------------------------------

CMAPS = ("viridis", "grey", "diverging", "ramp")


@lru_cache(maxsize=16)
def _map_rgb(name: str) -> np.ndarray:
    """255 RGB rows (uint8) for the named sequential/diverging map (theme-independent ones)."""
    if name == "viridis":
        return pg.colormap.get("viridis").getLookupTable(nPts=255, alpha=False).astype(np.uint8)
    if name == "diverging":
        return pg.colormap.get("CET-D1A").getLookupTable(nPts=255, alpha=False).astype(np.uint8)
    if name == "grey":
        g = np.linspace(0, 255, 255).round().astype(np.uint8)
        return np.stack([g, g, g], axis=1)
    raise ValueError(f"unknown colour map {name!r}; one of {', '.join(CMAPS)}")


def make_lut(name: str, theme: ViewTheme) -> np.ndarray:
    """A (256, 4) uint8 RGBA table: entry 0 = transparent (missing), 1..255 = the map.

    ``ramp`` runs from the palette's background to its highlight colour (for counts, where empty
    should look empty in both light and dark palettes).
    """
    lut = np.empty((256, 4), dtype=np.uint8)
    lut[:, 3] = 255
    lut[0] = (0, 0, 0, 0)
    if name == "ramp":
        a = np.array(theme.background.getRgb()[:3], dtype=float)
        b = np.array(theme.highlight.getRgb()[:3], dtype=float)
        t = np.linspace(0.0, 1.0, 255)[:, None]
        lut[1:, :3] = np.round(a + (b - a) * t).astype(np.uint8)
    else:
        lut[1:, :3] = _map_rgb(name)
    return lut


def lut_color(lut: np.ndarray, index: int) -> QColor:
    r, g, b, a = (int(v) for v in lut[index])
    return QColor(r, g, b, a)


def to_index(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map float values to LUT indices (uint8): NaN → 0, lo..hi → 1..255, beyond → clamped."""
    v = np.asarray(values, dtype=np.float32)
    span = float(hi - lo)
    scale = 254.0 / span if span > 0 and math.isfinite(span) else 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        t = (v - np.float32(lo)) * np.float32(scale)
        np.clip(t, 0.0, 254.0, out=t)
        nan = np.isnan(t)
        t[nan] = -1.0
        out = (t + 1.5).astype(np.uint8)  # round half up, shifted past the reserved 0; NaN → 0
    return out


def nice_levels(values: np.ndarray, *, pad_decades: bool = True) -> tuple[float, float]:
    """(lo, hi) spanning the finite values, widened to whole numbers (decades of a log10 map)."""
    v = np.asarray(values, dtype=np.float64)
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return (0.0, 1.0)
    lo, hi = float(finite.min()), float(finite.max())
    if pad_decades:
        lo, hi = math.floor(lo), math.ceil(hi)
    if hi <= lo:
        hi = lo + 1.0
    return (lo, hi)


class ThemedView:
    """Mixin for view widgets that follow the application palette (put it before the Qt base class).

    On a palette change (the widget's or the application's) it sets ``self.theme`` to a new
    :class:`ViewTheme` and calls ``self._apply_theme()`` — once the widget sets ``_ready`` at the end of
    its constructor (palette events arrive while it is being built)."""

    _ready = False
    theme: ViewTheme

    def changeEvent(self, ev: QEvent) -> None:  # noqa: N802 - Qt override
        if ev.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) and self._ready:
            self.theme = make_theme(self.palette())  # type: ignore[attr-defined]
            self._apply_theme()
        super().changeEvent(ev)  # type: ignore[misc]

    def _apply_theme(self) -> None:
        raise NotImplementedError
