"""The items the canvas overlay draws with (see :mod:`.overlay` for the API and its rules).

* :class:`OverlayLayer` — two per scene, each ONE item over the whole graph, so that changing the
  state of a thousand nodes is a dictionary update and one repaint request, with no per-node items
  for Qt to track, index and re-render:

  - below the cards (above the edges): the heat fill (a card paints no fill of its own while it is
    tinted) and the highlight outline around a card, in scene units;
  - above the cards: the badge pill and the warning mark just right of a card's title band, at a
    fixed size on screen (readable on an overview), left out further out than :data:`BADGE_MIN_SCALE`.

  Both paint only what lies in the exposed rectangle and read each card's current position, so a
  dragged card's tint and badge follow it. They take no mouse buttons and have no shape: clicks,
  rubber bands and tooltips go to the cards (a card's tooltip lists its marks' reasons).
* :class:`CaptionItem` — a child of an edge, fixed size on screen: the value caption over the
  gradient caption (second colour), right of the edge just under its source.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from . import style as st

if TYPE_CHECKING:
    from .graph_scene import GraphScene

OUTLINE_GAP = 4.0  # between the card and the highlight outline (scene units)
BADGE_PX = 11  # badge and caption text size on screen
BADGE_MIN_SCALE = 0.3  # further out, cards are too small for a badge beside them
BADGE_ROOM = 420.0  # scene units right of the cards a badge may take at BADGE_MIN_SCALE


def _text_on(bg: QColor) -> QColor:
    """Black or white, whichever reads better on ``bg``."""
    lum = 0.299 * bg.redF() + 0.587 * bg.greenF() + 0.114 * bg.blueF()
    return QColor(20, 20, 20) if lum > 0.55 else QColor(250, 250, 250)


def _pixel_font(px: int, bold: bool = False) -> tuple[QFont, QFontMetricsF]:
    from PySide6.QtGui import QGuiApplication

    f = QFont(QGuiApplication.font())
    f.setPixelSize(px)
    f.setBold(bold)
    return f, QFontMetricsF(f)


@dataclass
class Look:
    """What the overlay draws on one node (merged over its owners)."""

    fill: QColor | None = None
    outline: QColor | bool | None = None  # True: the style's highlight colour (follows light/dark)
    badge: str = ""
    badge_color: QColor | None = None
    badge_w: float = 0.0  # the pill's width on screen
    marks: tuple[str, ...] = ()


class OverlayLayer(QGraphicsItem):
    def __init__(self, scene: GraphScene, looks: dict[str, Look], below: bool) -> None:
        super().__init__()
        self._scene = scene
        self.looks = looks
        self.below = below
        self._bounds = QRectF()
        self.font, self.metrics = _pixel_font(BADGE_PX)
        self._bold = QFont(self.font)
        self._bold.setBold(True)
        self.setZValue(0.5 if below else 2.0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def sync(self, rect: QRectF) -> None:
        """Cover ``rect`` (the scene rectangle: every card with a wide margin)."""
        want = QRectF(rect)
        if want != self._bounds:
            self.prepareGeometryChange()
            self._bounds = want

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return QPainterPath()  # never hit: clicks and tooltips belong to the cards

    def around(self, node_id: str) -> QRectF:
        """The scene rectangle this layer may draw in for one node (to repaint after a change)."""
        item = self._scene.node_items.get(node_id)
        if item is None:
            return QRectF()
        r = item.mapRectToScene(item.card_rect())
        return r.adjusted(-20, -20, 20, 20) if self.below else r.adjusted(0, -4, BADGE_ROOM, 20)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self.looks:
            return
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if not self.below and lod < BADGE_MIN_SCALE:
            return
        exposed = option.exposedRect
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.below:
            self._paint_below(painter, lod, exposed, self._cards_near(exposed.adjusted(-24, -24, 24, 24)))
        else:
            reach = BADGE_ROOM * BADGE_MIN_SCALE / lod  # a badge's width, in scene units, at most
            self._paint_badges(painter, lod, exposed, self._cards_near(exposed.adjusted(-reach - 8, -24, 8, 24)))

    def _cards_near(self, rect: QRectF) -> list:
        """The decorated cards whose rectangles meet ``rect``."""
        if len(self.looks) <= 64:
            items = [self._scene.node_items.get(n) for n in self.looks]
            return [i for i in items if i is not None and i.sceneBoundingRect().intersects(rect)]
        return [i for i in self._scene.cards.near(rect) if i.node_id in self.looks]

    def _paint_below(self, painter: QPainter, lod: float, exposed: QRectF, cards: list) -> None:
        width = 3.0 if lod >= 1 else min(2 * (20 - OUTLINE_GAP) - 1, 3.0 / max(lod, 0.05))
        g = OUTLINE_GAP + width / 2
        for item in cards:
            look = self.looks[item.node_id]
            p = item.pos()
            rect = QRectF(p.x(), p.y(), item.width, item.height)
            if look.fill is not None:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(item.style.node_fill)
                painter.drawRoundedRect(rect, 6, 6)
                tint = QColor(look.fill)
                tint.setAlphaF(0.55)
                painter.setBrush(tint)
                painter.drawRoundedRect(rect, 6, 6)
            if look.outline is not None:
                painter.setPen(QPen(item.style.highlight if look.outline is True else look.outline, width))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rect.adjusted(-g, -g, g, g), 8, 8)

    def _paint_badges(self, painter: QPainter, lod: float, exposed: QRectF, cards: list) -> None:
        h = self.metrics.height() + 4
        world = painter.worldTransform()
        painter.save()
        painter.resetTransform()  # draw in screen pixels from here
        warning = self._scene.style.warning
        edge = self._scene.style.background
        for item in cards:
            look = self.looks[item.node_id]
            if not look.badge and not look.marks:
                continue
            p = item.pos()
            at = world.map(QPointF(p.x() + item.width, p.y() + 3))
            x, y = at.x() + 3, at.y()
            if look.badge:
                bg = look.badge_color if look.badge_color is not None else item.style.node_border
                r = QRectF(x, y, look.badge_w, h)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(bg)
                painter.drawRoundedRect(r, h / 2, h / 2)
                painter.setFont(self.font)
                painter.setPen(_text_on(bg))
                painter.drawText(r, Qt.AlignmentFlag.AlignCenter, look.badge)
                x += look.badge_w + 4
            if look.marks:
                painter.setPen(QPen(edge, 1))
                painter.setBrush(warning)
                painter.drawPolygon([QPointF(x + h / 2, y + 0.5), QPointF(x + h - 0.5, y + h - 0.5),
                                     QPointF(x + 0.5, y + h - 0.5)])
                painter.setPen(_text_on(warning))
                painter.setFont(self._bold)
                painter.drawText(QRectF(x, y + 2, h, h - 2), Qt.AlignmentFlag.AlignCenter, "!")
        painter.restore()

    def badge_width(self, text: str) -> float:
        return self.metrics.horizontalAdvance(text) + 10 if text else 0.0


class CaptionItem(QGraphicsItem):
    """The value caption over the gradient caption, right of the edge at the item's position."""

    def __init__(self, edge_item: QGraphicsItem) -> None:
        super().__init__(edge_item)
        self.value = ""
        self.grad = ""
        self.value_color: QColor | None = None
        self.grad_color: QColor | None = None
        self._font, self._metrics = _pixel_font(BADGE_PX, bold=True)
        self._rects: tuple[QRectF, QRectF] = (QRectF(), QRectF())
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(3)

    def set_content(self, value: str, grad: str, value_color: QColor | None, grad_color: QColor | None) -> None:
        if (value, grad, value_color, grad_color) == (self.value, self.grad, self.value_color, self.grad_color):
            return
        self.value, self.grad, self.value_color, self.grad_color = value, grad, value_color, grad_color
        m = self._metrics
        h = m.height() + 2
        rv = QRectF(5, 3, m.horizontalAdvance(value) + 8, h) if value else QRectF()
        rg = QRectF(5, 3 + (h + 1 if value else 0), m.horizontalAdvance(grad) + 8, h) if grad else QRectF()
        self.prepareGeometryChange()
        self._rects = (rv, rg)
        self.update()

    def rects(self) -> tuple[QRectF, QRectF]:
        """(value, gradient) plates in screen pixels relative to the caption's anchor on the edge."""
        return self._rects

    def boundingRect(self) -> QRectF:
        rv, rg = self._rects
        return rv.united(rg).adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        edge = self.parentItem()
        s: st.CanvasStyle = edge.style  # type: ignore[attr-defined]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._font)
        for text, rect, color in ((self.value, self._rects[0], self.value_color or s.value_caption),
                                  (self.grad, self._rects[1], self.grad_color or s.grad_caption)):
            if not text:
                continue
            painter.setPen(Qt.PenStyle.NoPen)
            plate = QColor(s.background)
            plate.setAlphaF(0.9)
            painter.setBrush(plate)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setPen(color)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
