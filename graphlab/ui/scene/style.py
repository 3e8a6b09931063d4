"""Canvas colours, fonts and card metrics, derived from the application palette and font.

Everything the items paint comes from one :class:`CanvasStyle`; the scene rebuilds it when the
palette changes and asks items to repaint. Category colours are fixed hues whose lightness adapts
to the palette.

Level of detail: at a zoom of :data:`FULL_DETAIL` or more a card shows everything (type, id, key
parameters, output shape) in the application font. Further out that print would be smaller than
9 px on screen, so a card shows its type, its id, its key parameters when they fit, and its output
shape, in fonts sized to :data:`FAR_TEXT_PX` pixels *on screen* (:meth:`CanvasStyle.far_font`),
shrinking to fit the card down to :data:`FAR_MIN_PX`. Cards are sized so that down to
:data:`LEGIBLE_SCALE` type, id and shape fit without cutting (a long type name wraps onto two
lines). Below :data:`FAR_MIN_SCALE` cards are plain coloured boxes (the overview is for finding
your way, not reading).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication, QPalette

NODE_W = 184.0  # card width (the layout's column pitch, 228, leaves a lane for routed edges)
PORT_R = 5.0  # port circle radius
PORT_GAP = 24.0  # distance between neighbouring input ports along the card's top edge
PORT_HIT = 9.0  # how close (manhattan, ×1.4) a press must be to a port to start an edge
PAD = 8.0  # horizontal text padding inside the card
ICON = 14.0  # the category icon's square at the left of the title (when the scene has icons)

FULL_DETAIL = 0.95  # zoom at and above which cards show all their text (the id's small print >= 9 px)
FAR_TEXT_PX = 12.0  # on-screen pixel size of a far-out card's type and shape (shrinks to fit)...
FAR_MAX_PX = 16.0  # ...growing towards this as the zoom approaches full detail
FAR_MIN_PX = 9.0  # never smaller than this on screen
FAR_MIN_SCALE = 0.2  # below this zoom, cards draw no text
LEGIBLE_SCALE = 0.5  # down to this zoom every card's type and shape fit it at >= FAR_MIN_PX on screen

# red is kept for errors, so no category is red
_HUES = {"Input": 140, "Dense": 210, "Convolution": 260, "Pooling": 290, "Activation": 30,
         "Normalization": 180, "Regularization": 85, "Shape": 50, "Recurrent": 110, "Merge": 320, "Loss": 235}

#: the overlay's heat scale, low to high (a perceptually ordered blue -> yellow -> red ramp)
HEAT_STOPS = ((0.0, QColor(49, 54, 149)), (0.25, QColor(69, 117, 180)), (0.5, QColor(254, 224, 144)),
              (0.75, QColor(244, 109, 67)), (1.0, QColor(165, 0, 38)))


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
    highlight: QColor
    value_caption: QColor
    grad_caption: QColor
    title_font: QFont
    body_font: QFont
    small_font: QFont
    title_metrics: QFontMetricsF
    body_metrics: QFontMetricsF
    small_metrics: QFontMetricsF
    _far: dict[tuple[float, bool], tuple[QFont, QFontMetricsF]] = field(default_factory=dict, repr=False)
    memo: dict = field(default_factory=dict, repr=False)  # per-style caches of text measurements (cards)

    def category_color(self, category: str | None) -> QColor:
        hue = _HUES.get(category or "", -1)
        if hue < 0:
            return QColor(self.node_border)
        return QColor.fromHsl(hue, 110, 70 if self.dark else 200)

    # ---- card metrics (scene units) ------------------------------------------------------------
    @property
    def title_h(self) -> float:
        """Height of the coloured band: clear of the input ports above, then one title line."""
        return PORT_R + 2 + self.title_metrics.height() + 4

    @property
    def line_h(self) -> float:
        return self.body_metrics.height() + 3

    @property
    def id_h(self) -> float:
        return self.small_metrics.height() + 3

    @property
    def bottom_pad(self) -> float:
        """Room under the last line so the output port's circle stays clear of it."""
        return PORT_R + 3

    # ---- far-out text -----------------------------------------------------------------------------
    def far_font(self, scale: float, bold: bool, screen_px: float = FAR_TEXT_PX) -> tuple[QFont, QFontMetricsF]:
        """A font that shows ``screen_px`` pixels tall on screen at zoom ``scale`` (cached)."""
        px = round(screen_px / max(scale, 1e-3), 1)
        key = (px, bold)
        got = self._far.get(key)
        if got is None:
            f = QFont(self.title_font if bold else self.body_font)
            f.setPixelSize(max(1, round(px)))
            got = (f, QFontMetricsF(f))
            if len(self._far) > 256:
                self._far.clear()
            self._far[key] = got
        return got


def heat_color(value: float) -> QColor:
    """The heat scale's colour for ``value`` in [0, 1] (clamped; NaN gives the scale's middle)."""
    if value != value:  # NaN
        value = 0.5
    v = min(1.0, max(0.0, float(value)))
    return QColor(_HEAT[round(v * _HEAT_STEPS)])


def _heat_rgb(v: float) -> QColor:
    for (a, ca), (b, cb) in zip(HEAT_STOPS, HEAT_STOPS[1:]):
        if v <= b:
            t = (v - a) / (b - a) if b > a else 0.0
            return QColor(round(ca.red() + (cb.red() - ca.red()) * t),
                          round(ca.green() + (cb.green() - ca.green()) * t),
                          round(ca.blue() + (cb.blue() - ca.blue()) * t))
    return QColor(HEAT_STOPS[-1][1])


_HEAT_STEPS = 512
_HEAT = [_heat_rgb(i / _HEAT_STEPS) for i in range(_HEAT_STEPS + 1)]


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
        highlight=QColor("#ffb000") if dark else QColor("#f08c00"),
        value_caption=QColor("#7fd17f") if dark else QColor("#1b7a1b"),
        grad_caption=QColor("#ff8080") if dark else QColor("#c02020"),
        title_font=title, body_font=body, small_font=small,
        title_metrics=QFontMetricsF(title), body_metrics=QFontMetricsF(body), small_metrics=QFontMetricsF(small))
