"""Canvas colours and metrics, derived from the application palette (so light and dark both work).

Everything the items paint comes from one :class:`CanvasStyle`; the scene rebuilds it when the
palette changes and asks items to repaint. Category colours are fixed hues whose lightness adapts
to the palette.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication, QPalette

NODE_W = 124.0
TITLE_H = 20.0
LINE_H = 15.0
PORT_R = 5.0
PORT_GAP = 16.0
PORT_HIT = 9.0

# red is kept for errors, so no category is red
_HUES = {"Input": 140, "Dense": 210, "Convolution": 260, "Pooling": 290, "Activation": 30,
         "Normalization": 180, "Regularization": 85, "Shape": 50, "Recurrent": 110, "Merge": 320, "Loss": 235}


@dataclass
class CanvasStyle:
    dark: bool
    background: QColor
    grid: QColor
    node_fill: QColor
    node_border: QColor
    text: QColor
    dim_text: QColor
    selection: QColor
    error: QColor
    warning: QColor
    edge: QColor
    port: QColor
    ok_hint: QColor
    title_font: QFont
    body_font: QFont
    small_font: QFont
    title_metrics: QFontMetricsF
    body_metrics: QFontMetricsF
    small_metrics: QFontMetricsF

    def category_color(self, category: str | None) -> QColor:
        hue = _HUES.get(category or "", -1)
        if hue < 0:
            return QColor(self.node_border)
        return QColor.fromHsl(hue, 110, 70 if self.dark else 200)


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def make_style(palette: QPalette | None = None) -> CanvasStyle:
    pal = palette or QGuiApplication.palette()
    dark = is_dark(pal)
    base = pal.color(QPalette.ColorRole.Base)
    window = pal.color(QPalette.ColorRole.Window)
    text = pal.color(QPalette.ColorRole.Text)
    background = window.darker(115) if dark else window.darker(104)
    grid = background.lighter(125) if dark else background.darker(108)
    dim = QColor(text)
    dim.setAlphaF(0.65)
    edge = QColor(text)
    edge.setAlphaF(0.55)
    f = QGuiApplication.font()
    size = f.pointSizeF() if f.pointSizeF() > 0 else 9.0
    title = QFont(f)
    title.setPointSizeF(size)
    title.setBold(True)
    body = QFont(f)
    body.setPointSizeF(size * 0.9)
    small = QFont(f)
    small.setPointSizeF(size * 0.8)
    return CanvasStyle(
        dark=dark, background=background, grid=grid, node_fill=base,
        node_border=pal.color(QPalette.ColorRole.Mid), text=text, dim_text=dim,
        selection=pal.color(QPalette.ColorRole.Highlight),
        error=QColor("#ff5555") if dark else QColor("#d01c1c"),
        warning=QColor("#e0a030") if dark else QColor("#b07000"),
        edge=edge, port=pal.color(QPalette.ColorRole.Mid).lighter(130) if dark else QColor("#8a8a8a"),
        ok_hint=QColor("#4caf50"),
        title_font=title, body_font=body, small_font=small,
        title_metrics=QFontMetricsF(title), body_metrics=QFontMetricsF(body), small_metrics=QFontMetricsF(small))
