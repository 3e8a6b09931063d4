"""The node item: a card with the layer type, its id, its key params, its output shape and ports.

Data flows top to bottom (see :mod:`graphlab.core.layout`): input ports sit on the card's top
edge, the output port at the middle of its bottom edge. Input port 0 is at the centre, right above
the output port, so a chain's edges run straight down; further ports (Add, Multiply, Concat: the
connected ones plus one free) follow to its right, where the layout puts side branches.

The card sizes its text to fit: the id sits beside the type when both fit, on its own line when
they do not; a long type name drops to the body font before anything is cut; what is still cut
(a long error message, an id longer than the card) is elided and the full text is in the tooltip.
:meth:`NodeItem.card` returns the computed rectangles so tests can check them numerically.

Zoomed out below :data:`~.style.FULL_DETAIL`, a card draws its type, id, key parameters (when they
fit) and output shape in print sized in screen pixels, large enough to read (see :mod:`.style` and
:meth:`NodeItem.far_text`). Painting is cached per device transform, so a frame while
dragging costs one pixmap blit per node. View state that is not part of the document (badges,
highlight, heat) lives in child items made by :mod:`.overlay`, so changing it never repaints the
card's own cache.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFont, QFontMetricsF, QIcon, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from . import style as st

if TYPE_CHECKING:
    from .card_index import CardIndex
    from .edge_item import EdgeItem
    from .graph_scene import GraphScene

_LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
_RIGHT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
_CENTER = Qt.AlignmentFlag.AlignCenter
SMALL_PRINT = 0.8  # a far-out card's id and parameters, relative to its type and shape (at least 9 px)


@dataclass
class Card:
    """Where everything on a card goes, in item coordinates (computed once per state change)."""

    width: float
    height: float
    title: str
    title_font: QFont
    title_rect: QRectF  # the tight box of the drawn title text
    icon_rect: QRectF | None
    nid: str
    nid_rect: QRectF
    summary: str
    summary_rect: QRectF
    shape: str
    shape_rect: QRectF
    inputs: list[QPointF] = field(default_factory=list)
    output: QPointF = field(default_factory=QPointF)
    cut: bool = False  # some text was elided (the tooltip has it whole)

    def text_rects(self) -> list[QRectF]:
        return [r for r in (self.title_rect, self.nid_rect, self.summary_rect, self.shape_rect) if not r.isEmpty()]

    def port_rects(self) -> list[QRectF]:
        r = st.PORT_R
        return [QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r) for p in [*self.inputs, self.output]]


def _box(metrics: QFontMetricsF, text: str, x: float, top: float, align_right_at: float | None = None) -> QRectF:
    """The tight rectangle of ``text`` drawn from ``x`` (or ending at ``align_right_at``) on a line at ``top``."""
    if not text:
        return QRectF()
    w = metrics.horizontalAdvance(text)
    left = align_right_at - w if align_right_at is not None else x
    return QRectF(left, top, w, metrics.height())


def _shared_box(s: st.CanvasStyle, kind: str, text: str, x: float, top: float,
                align_right_at: float | None = None) -> QRectF:
    """:func:`_box`, shared between cards (never mutated): a parameter edit that changes a thousand
    shapes then makes a thousand small records, not ten thousand Qt objects for the collector."""
    key = ("box", kind, text, x, top, align_right_at)
    got = s.memo.get(key)
    if got is None:
        m = s.small_metrics if kind == "small" else s.body_metrics
        got = s.memo[key] = _box(m, text, x, top, align_right_at)
    return got


#: text longer than this is cut before it is measured or drawn: a card shows about 30 characters,
#: and measuring (and wrapping) a 10 MB type name froze the editor for a minute
MAX_CARD_CHARS = 200
#: the tooltip keeps more of it, but not all
MAX_TIP_CHARS = 2000


def clip_text(text: str, limit: int = MAX_CARD_CHARS) -> str:
    """``text`` cut to ``limit`` characters (the last one an ellipsis), so its cost is bounded."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def wrap_title(title: str) -> list[str]:
    """The type name on two lines for a zoomed-out card: broken at the space, hyphen or camel-case
    boundary that makes the longer line shortest ("Softmax / cross-entropy", "AdaptiveAvg / Pool2d")."""
    cuts = [i + 1 for i, ch in enumerate(title) if ch in " -" and 0 < i < len(title) - 1]
    cuts += [i for i in range(1, len(title)) if title[i].isupper() and title[i - 1].islower()]
    if not cuts:
        return [title]
    best = min(cuts, key=lambda i: max(len(title[:i].rstrip()), len(title[i:].lstrip())))
    return [title[:best].rstrip(), title[best:].lstrip()]


def short_summary(summary: str) -> str:
    """The key parameters without the layer's own name: "Conv 3×3 ×64 s2 p1" → "3×3 ×64 s2 p1",
    "FC 10" → "10" (the far-out card already shows the type)."""
    head, _, rest = summary.partition(" ")
    return rest if rest and head.isalpha() else summary


def far_height(s: st.CanvasStyle, title: str, width: float) -> float:
    """The card height a zoomed-out card needs to show its type (wrapped if need be), its id and its
    shape at :data:`~.style.FAR_MIN_PX` on screen at the zoom :data:`~.style.LEGIBLE_SCALE`."""
    fb, mb = s.far_font(st.LEGIBLE_SCALE, True, st.FAR_MIN_PX)
    _, m = s.far_font(st.LEGIBLE_SCALE, False, st.FAR_MIN_PX)
    inner = width - 2 * st.PAD
    lines = 1 if mb.horizontalAdvance(title) <= inner else len(wrap_title(title))
    return lines * mb.height() + 2 * m.height() + 2 * (st.PORT_R + 1)  # type line(s), id, shape


def input_ports(n: int, width: float) -> list[QPointF]:
    """Port 0 at the centre of the top edge, the rest to its right; squeezed if they do not fit."""
    if n <= 0:
        return []
    c = width / 2
    room = c - st.PAD - st.PORT_R
    gap = st.PORT_GAP if n == 1 else min(st.PORT_GAP, room / (n - 1))
    if n > 1 and gap < 2.5 * st.PORT_R:  # too many for the right half: spread over the whole edge
        gap = (width - 2 * st.PAD - 2 * st.PORT_R) / (n - 1)
        return [QPointF(st.PAD + st.PORT_R + i * gap, 0.0) for i in range(n)]
    return [QPointF(c + i * gap, 0.0) for i in range(n)]


def _title_fit(s: st.CanvasStyle, title: str, has_icon: bool) -> tuple[str, QFont, QFontMetricsF, QRectF, bool, float]:
    """The title as drawn (text, font, metrics, rect, cut) and the far-out height it needs; cached."""
    key = ("title", title, has_icon)
    got = s.memo.get(key)
    if got is not None:
        return got
    inner = st.NODE_W - 2 * st.PAD
    icon_w = st.ICON + 4 if has_icon else 0.0
    top = st.PORT_R + 2
    text, cut = title, False
    title_font, tm = s.title_font, s.title_metrics
    room = inner - icon_w
    if tm.horizontalAdvance(title) > room:  # the title font, else the (smaller) body font in bold, else elided
        f = QFont(s.body_font)
        f.setBold(True)
        m = QFontMetricsF(f)
        if m.horizontalAdvance(title) <= room:
            title_font, tm = f, m
        else:
            text = tm.elidedText(title, Qt.TextElideMode.ElideRight, room)
            cut = True
    rect = _box(tm, text, st.PAD + icon_w, top + (s.title_metrics.height() - tm.height()) / 2)
    got = (text, title_font, tm, rect, cut, far_height(s, title, st.NODE_W))
    if len(s.memo) > 4096:
        s.memo.clear()
    s.memo[key] = got
    return got


def layout_card(s: st.CanvasStyle, node_id: str, title: str, summary: str, shape_text: str, n_inputs: int,
                has_icon: bool) -> Card:
    w = st.NODE_W
    inner = w - 2 * st.PAD
    top = st.PORT_R + 2
    title, title_font, tm, title_rect, cut, far_h = _title_fit(s, title, has_icon)
    icon_rect = (QRectF(st.PAD, top + (s.title_metrics.height() - st.ICON) / 2, st.ICON, st.ICON)
                 if has_icon else None)
    y = s.title_h + 3
    # id: beside the title when both fit, else on its own line
    sm = s.small_metrics
    beside = title_rect.right() + 8 + _fit(s, "small", node_id, inner)[1] <= w - st.PAD
    if beside:
        nid = node_id
        nid_rect = _shared_box(s, "small", nid, 0, top + (s.title_metrics.height() - sm.height()) / 2,
                               align_right_at=w - st.PAD)
    else:
        nid, _, cut_id = _fit(s, "small", node_id, inner, Qt.TextElideMode.ElideMiddle)
        cut = cut or cut_id
        nid_rect = _shared_box(s, "small", nid, st.PAD, y + 1)
        y += s.id_h
    bm = s.body_metrics
    summary, _, cut_s = _fit(s, "body", summary, inner)
    summary_rect = _shared_box(s, "body", summary, st.PAD, y + 1)
    if summary:
        y += s.line_h
    mode = Qt.TextElideMode.ElideRight if shape_text.startswith("⚠") else Qt.TextElideMode.ElideMiddle
    shape, _, cut_h = _fit(s, "body", shape_text, inner, mode)
    cut = cut or cut_s or cut_h
    shape_rect = _shared_box(s, "body", shape, st.PAD, y + 1)
    y += s.line_h
    rows3 = s.title_h + 3 + 2 * s.line_h + s.bottom_pad  # every card has room for a type and a shape
    height = max(rows3, y + s.bottom_pad, far_h)
    ports = s.memo.get(("ports", n_inputs))
    if ports is None:
        ports = s.memo[("ports", n_inputs)] = input_ports(n_inputs, w)
    out = s.memo.get(("out", height))
    if out is None:
        out = s.memo[("out", height)] = QPointF(w / 2, height)
    return Card(w, height, title, title_font, title_rect, icon_rect, nid, nid_rect, summary, summary_rect, shape,
                shape_rect, ports, out, cut)


def _fit(s: st.CanvasStyle, kind: str, text: str, room: float,
         mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> tuple[str, float, bool]:
    """(text as drawn, its full width, whether it was cut) in the small or body font; cached."""
    key = (kind, text, room, mode)
    got = s.memo.get(key)
    if got is None:
        m = s.small_metrics if kind == "small" else s.body_metrics
        width = m.horizontalAdvance(text)
        got = (m.elidedText(text, mode, room), width, True) if width > room else (text, width, False)
        if len(s.memo) > 8192:
            s.memo.clear()
        s.memo[key] = got
    return got


class NodeItem(QGraphicsItem):
    Type = QGraphicsItem.UserType + 1

    def __init__(self, node_id: str, style: st.CanvasStyle) -> None:
        super().__init__()
        self.node_id = node_id
        self.shown_id = clip_text(node_id)  # what the card measures and draws
        self.style = style
        self.edges: list[EdgeItem] = []
        self.n_inputs = 0
        self.title = ""
        self.category: str | None = None
        self.summary = ""
        self.shape_text = ""
        self.message = ""
        self.severity = ""
        self.icon: QIcon | None = None
        self.tinted = False  # the overlay paints the card's fill (a heat colour) underneath
        self.paints = 0  # how often the card was drawn (its cache re-rendered): tests and benchmarks
        self.decorated = False  # the overlay draws something on this card (it follows moves)
        self.index: CardIndex | None = None  # the scene's card index, which it keeps up to date
        self._tip = ""
        self._extra_tip = ""
        self._card = layout_card(style, self.shown_id, "", "", "", 0, False)
        self._far_cache: tuple[float, list[tuple[str, QFont, QRectF, str]]] | None = None
        self._bounds = QRectF(-2, -st.PORT_R - 2, self._card.width + 4, self._card.height + 2 * st.PORT_R + 4)
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)

    def type(self) -> int:
        return self.Type

    # ---- state ------------------------------------------------------------------------------
    def set_state(self, title: str, category: str | None, summary: str, shape_text: str, n_inputs: int,
                  message: str, severity: str) -> None:
        self.n_inputs = n_inputs
        title, summary, shape_text = clip_text(title), clip_text(summary), clip_text(shape_text)
        message = clip_text(message, MAX_TIP_CHARS)
        self.title, self.category, self.summary = title, category, summary
        self.shape_text, self.message, self.severity = shape_text, message, severity
        self._relayout()
        tip = f"{self.shown_id} ({title})"
        if summary:
            tip += f"\n{summary}"
        if shape_text and not shape_text.startswith("⚠"):
            tip += f"\n{shape_text}"
        if message:
            tip += "\n" + message
        self._tip = clip_text(tip, MAX_TIP_CHARS)
        self.setToolTip(self._tip + (f"\n{self._extra_tip}" if self._extra_tip else ""))
        self.update()

    def set_style(self, style: st.CanvasStyle) -> None:
        self.style = style
        self._relayout()
        self.update()

    def set_icon(self, icon: QIcon | None) -> None:
        """A small category icon left of the title (None: the title starts at the card's edge)."""
        self.icon = icon if icon is not None and not icon.isNull() else None
        self._relayout()
        self.update()

    def set_extra_tip(self, text: str) -> None:
        """More tooltip lines (the overlay's warning marks); the card's drawing is untouched."""
        self._extra_tip = text = clip_text(text, MAX_TIP_CHARS)
        self.setToolTip(self._tip + (f"\n{text}" if text else ""))

    def set_tinted(self, tinted: bool) -> None:
        if tinted != self.tinted:
            self.tinted = tinted
            self.update()

    def _relayout(self) -> None:
        old = self._card
        card = layout_card(self.style, self.shown_id, self.title, self.summary, self.shape_text, self.n_inputs,
                           self.icon is not None)
        if card.height != old.height or card.width != old.width:
            self.prepareGeometryChange()
        self._card = card
        self._far_cache = None
        r = st.PORT_R + 2
        self._bounds = QRectF(-2, -r, card.width + 4, card.height + 2 * r)
        if card.height != old.height or len(card.inputs) != len(old.inputs):
            for e in self.edges:
                e.adjust()
            if self.decorated:  # the overlay's tint and badge follow the card's size
                self.graph_scene().overlay.node_moved(self.node_id)

    # ---- geometry ---------------------------------------------------------------------------
    def card(self) -> Card:
        return self._card

    @property
    def height(self) -> float:
        return self._card.height

    @property
    def width(self) -> float:
        return self._card.width

    def card_rect(self) -> QRectF:
        return QRectF(0, 0, self._card.width, self._card.height)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        p.addRect(self._bounds)
        return p

    def input_port_pos(self, port: int) -> QPointF:
        """Port position in item coordinates (ports past the drawn ones continue to the right)."""
        ins = self._card.inputs
        if 0 <= port < len(ins):
            return QPointF(ins[port])
        last = ins[-1] if ins else QPointF(self._card.width / 2, 0.0)
        return QPointF(last.x() + (port - len(ins) + 1) * st.PORT_GAP, 0.0)

    def output_port_pos(self) -> QPointF:
        return QPointF(self._card.output)

    def port_scene_pos(self, kind: str, port: int = 0) -> QPointF:
        return self.mapToScene(self.output_port_pos() if kind == "out" else self.input_port_pos(port))

    def port_at(self, scene_pos: QPointF) -> tuple[str, int] | None:
        """('in', i) or ('out', 0) when scene_pos is on a port, else None."""
        p = self.mapFromScene(scene_pos)
        if (p - self.output_port_pos()).manhattanLength() <= st.PORT_HIT * 1.4:
            return ("out", 0)
        for i in range(self.n_inputs):
            if (p - self.input_port_pos(i)).manhattanLength() <= st.PORT_HIT * 1.4:
                return ("in", i)
        return None

    # ---- painting ---------------------------------------------------------------------------
    def _border_pen(self, lod: float) -> QPen:
        s = self.style
        grow = max(1.0, st.FULL_DETAIL / max(lod, 1e-3))  # outlines stay visible zoomed out
        if self.isSelected():
            return QPen(s.selection, 2.5 * grow)
        if self.severity == "error":
            return QPen(s.error, 2.5 * grow)
        if self.severity == "warning":
            return QPen(s.warning, 2 * grow)
        return QPen(s.node_border, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        s, c = self.style, self._card
        self.paints += 1
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        rect = QRectF(0, 0, c.width, c.height)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        far = lod < st.FULL_DETAIL - 1e-6
        band = s.category_color(self.category)
        if not self.tinted:
            painter.setBrush(band if far else s.node_fill)
            painter.drawRoundedRect(rect, 6, 6)
        if not far:
            head = QPainterPath()
            head.addRoundedRect(rect, 6, 6)
            clip = QPainterPath()
            clip.addRect(QRectF(0, 0, c.width, s.title_h))
            painter.setBrush(band)
            painter.drawPath(head.intersected(clip))
        elif self.tinted:
            painter.setBrush(band)
            painter.drawRoundedRect(QRectF(0, 0, c.width, s.title_h), 6, 6)
        painter.setPen(self._border_pen(lod))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, 6, 6)
        if self.isSelected() and self.severity == "error":
            painter.setPen(QPen(s.error, 1.5 * max(1.0, st.FULL_DETAIL / max(lod, 1e-3))))
            painter.drawRoundedRect(rect.adjusted(3, 3, -3, -3), 4, 4)
        if far:
            self._paint_far(painter, lod)
        else:
            self._paint_full(painter)
        painter.setPen(QPen(s.node_border, 1))
        painter.setBrush(QBrush(s.port))
        for p in c.inputs:
            painter.drawEllipse(p, st.PORT_R, st.PORT_R)
        painter.drawEllipse(c.output, st.PORT_R, st.PORT_R)

    def _paint_full(self, painter: QPainter) -> None:
        s, c = self.style, self._card
        if self.icon is not None and c.icon_rect is not None:
            self.icon.paint(painter, c.icon_rect.toRect())
        painter.setPen(s.text)
        painter.setFont(c.title_font)
        painter.drawText(c.title_rect, _LEFT, c.title)
        painter.setFont(s.small_font)
        painter.setPen(s.dim_text)
        painter.drawText(c.nid_rect, _LEFT, c.nid)
        painter.setFont(s.body_font)
        painter.drawText(c.summary_rect, _LEFT, c.summary)
        painter.setPen(s.error if self.severity == "error" else s.text)
        painter.drawText(c.shape_rect, _LEFT, c.shape)

    def far_text(self, lod: float) -> list[tuple[str, QFont, QRectF, str]]:
        """What a zoomed-out card draws at zoom ``lod``: (text, font, rect, role) per line, role one of
        "type", "id", "params", "shape" — the type (bold; wrapped onto two lines if need be), the id
        (so the stepper dock and the problems list can be matched to the card), the key parameters
        when they fit ("3×3 ×64 s2 p1": beside the id, or on a line of their own), and the shape.

        The print is as large as fits, from :data:`~.style.FAR_TEXT_PX` on screen (growing towards
        :data:`~.style.FAR_MAX_PX` as the zoom nears full detail) down to :data:`~.style.FAR_MIN_PX`;
        the cards are tall enough for type, id and shape at 9 px down to :data:`~.style.LEGIBLE_SCALE`.
        The id and parameters are small print (0.8 of the type's size, at least 9 px); the parameters
        show when they fit beside the id or on a line of their own, the print shrinking for them no
        further than :data:`~.style.FAR_TEXT_PX` (nor at all when it is already smaller).
        Further out the parameters go first, then the id, then the shape; the type is elided last."""
        if lod < st.FAR_MIN_SCALE:
            return []
        cached = self._far_cache
        if cached is not None and cached[0] == lod:
            return cached[1]
        out = self._far_lines(lod)
        self._far_cache = (lod, out)
        return out

    def _far_lines(self, lod: float) -> list[tuple[str, QFont, QRectF, str]]:
        s, c = self.style, self._card
        inner = c.width - 2 * st.PAD
        room_h = c.height - 2 * (st.PORT_R + 1)
        shape = [(self.shape_text, "shape")] if self.shape_text else []
        params = short_summary(self.summary) if self.summary else ""
        nid = [(self.shown_id, "id")]
        types = [[(self.title, "type")]]
        wrapped = wrap_title(self.title)
        if len(wrapped) > 1:
            types.append([(t, "type") for t in wrapped])

        def fit(lines: list[tuple[str, str]], px: float) -> list[tuple[str, QFont, QFontMetricsF, str]] | None:
            small = max(st.FAR_MIN_PX, SMALL_PRINT * px)  # the id and parameters: small print, as at full detail
            fonts = [s.far_font(lod, role == "type", px if role in ("type", "shape") else small)
                     for _, role in lines]
            if sum(m.height() for _, m in fonts) > room_h:
                return None
            if any(m.horizontalAdvance(t) > inner for (t, _), (_, m) in zip(lines, fonts)):
                return None
            return [(t, f, m, role) for (t, role), (f, m) in zip(lines, fonts)]

        def largest(middle: list[tuple[str, str]]) -> tuple[list[tuple[str, QFont, QFontMetricsF, str]] | None, float]:
            px = min(st.FAR_MAX_PX, max(st.FAR_TEXT_PX, st.FAR_TEXT_PX * lod / 0.6))  # bigger cards, bigger print
            while px >= st.FAR_MIN_PX - 1e-9:
                for t in types:
                    got = fit(t + middle + shape, px)
                    if got is not None:
                        return got, px
                px -= 0.5
            return None, 0.0

        chosen, px = largest(nid)  # type, id and shape, as large as they fit (>= FAR_MIN_PX)...
        if chosen is not None and params:  # ...and the parameters when they fit at that size, or a smaller
            floor = min(px, st.FAR_TEXT_PX)  # one no smaller than the usual FAR_TEXT_PX
            middles = ([(f"{self.shown_id} · {params}", "id")], nid + [(params, "params")])
            more = None
            while more is None and px >= floor - 1e-9:
                more = next((got for middle in middles for t in types
                             if (got := fit(t + middle + shape, px)) is not None), None)
                px -= 0.5
            chosen = more or chosen
        if chosen is None:  # further out than LEGIBLE_SCALE: type and shape only
            chosen, _ = largest([])
        if chosen is None:  # too far out to read it all: the type alone, cut if it must be
            f, m = s.far_font(lod, True, st.FAR_MIN_PX)
            if m.height() > room_h:
                return []
            chosen = [(m.elidedText(self.title, Qt.TextElideMode.ElideRight, inner), f, m, "type")]
        tall = sum(m.height() for _, _, m, _ in chosen)
        out: list[tuple[str, QFont, QRectF, str]] = []
        y = (c.height - tall) / 2
        for text, font, m, role in chosen:
            out.append((text, font, QRectF(st.PAD, y, inner, m.height()), role))
            y += m.height()
        return out

    def _paint_far(self, painter: QPainter, lod: float) -> None:
        s = self.style
        for text, font, rect, role in self.far_text(lod):
            painter.setFont(font)
            if role == "shape" and self.severity == "error":
                painter.setPen(s.error)
            else:
                painter.setPen(s.dim_text if role in ("id", "params") else s.text)
            painter.drawText(rect, _CENTER, text)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            if self.index is not None:
                self.index.put(self)
            for e in self.edges:
                e.adjust()
            if self.decorated:
                self.graph_scene().overlay.node_moved(self.node_id)
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and self.decorated:
            self.graph_scene().overlay.node_moved(self.node_id)  # repaint where it was
        return super().itemChange(change, value)

    def graph_scene(self) -> GraphScene:
        return self.scene()  # type: ignore[return-value]
