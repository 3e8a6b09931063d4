"""The items the canvas overlay draws with (see :mod:`.overlay` for the API and its rules).

* :class:`TintItem` — a child of a card, stacked behind it, in scene units: the heat fill (the card
  paints no fill of its own while it is tinted) and the highlight outline around the card.
* :class:`BadgeItem` — a child of a card, drawn at a fixed size on screen (it ignores the view's
  zoom, so a badge stays readable on an overview): the badge pill and the warning mark, just right
  of the card's title band; the marks' reasons are its tooltip.
* :class:`CaptionItem` — a child of an edge, fixed size on screen, at the middle of the path: the
  value caption on one side of the edge, the gradient caption on the other (left and right of an
  edge that runs down, above and below one that runs across).

They are made when a node or edge first gets overlay state and dropped when it loses all of it;
updating them only changes what they paint, never the card or edge they belong to.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from . import style as st

if TYPE_CHECKING:
    from .node_item import NodeItem

OUTLINE_GAP = 4.0  # between the card and the highlight outline (scene units)
TINT_MARGIN = 16.0  # room around the card for the outline, however thick it grows zoomed out
BADGE_PX = 11  # badge and caption text size on screen


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


class TintItem(QGraphicsItem):
    def __init__(self, card: NodeItem) -> None:
        super().__init__(card)
        self.card = card
        self.fill: QColor | None = None
        self.outline: QColor | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def sync(self) -> None:
        """The card changed size."""
        self.prepareGeometryChange()
        self.update()

    def set_look(self, fill: QColor | None, outline: QColor | None) -> None:
        if fill != self.fill or outline != self.outline:
            self.fill, self.outline = fill, outline
            self.update()

    def boundingRect(self) -> QRectF:
        return self.card.card_rect().adjusted(-TINT_MARGIN, -TINT_MARGIN, TINT_MARGIN, TINT_MARGIN)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        rect = self.card.card_rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.fill is not None:
            base = QColor(self.card.style.node_fill)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(base)
            painter.drawRoundedRect(rect, 6, 6)
            tint = QColor(self.fill)
            tint.setAlphaF(0.55)
            painter.setBrush(tint)
            painter.drawRoundedRect(rect, 6, 6)
        if self.outline is not None:
            lod = option.levelOfDetailFromTransform(painter.worldTransform())
            width = min(2 * (TINT_MARGIN - OUTLINE_GAP) - 1, 3.0 / max(lod, 0.05) if lod < 1 else 3.0)
            painter.setPen(QPen(self.outline, width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            g = OUTLINE_GAP + width / 2
            painter.drawRoundedRect(rect.adjusted(-g, -g, g, g), 8, 8)


class BadgeItem(QGraphicsItem):
    def __init__(self, card: NodeItem) -> None:
        super().__init__(card)
        self.card = card
        self.text = ""
        self.color: QColor | None = None
        self.marks: tuple[str, ...] = ()
        self._font, self._metrics = _pixel_font(BADGE_PX)
        self._rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(2)
        self.sync()

    def sync(self) -> None:
        """Stay at the right of the card's title band."""
        self.setPos(QPointF(self.card.card_rect().right() + 3, 3.0))

    def set_content(self, text: str, color: QColor | None, marks: tuple[str, ...]) -> None:
        if (text, color, marks) == (self.text, self.color, self.marks):
            return
        self.text, self.color, self.marks = text, color, marks
        w = (self._metrics.horizontalAdvance(text) + 10) if text else 0.0
        if marks:
            w += self._metrics.height() + (4 if text else 0)
        rect = QRectF(0, 0, w, self._metrics.height() + 4)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        tip = "\n".join(marks)
        self.setToolTip(tip if not text else (f"{text}\n{tip}" if tip else text))
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        h = self._rect.height()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._font)
        x = 0.0
        if self.text:
            bg = QColor(self.color) if self.color is not None else QColor(self.card.style.node_border)
            w = self._metrics.horizontalAdvance(self.text) + 10
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bg)
            painter.drawRoundedRect(QRectF(0, 0, w, h), h / 2, h / 2)
            painter.setPen(_text_on(bg))
            painter.drawText(QRectF(0, 0, w, h), Qt.AlignmentFlag.AlignCenter, self.text)
            x = w + 4
        if self.marks:
            s = self.card.style
            painter.setPen(QPen(s.background, 1))
            painter.setBrush(s.warning)
            tri = [QPointF(x + h / 2, 0.5), QPointF(x + h - 0.5, h - 0.5), QPointF(x + 0.5, h - 0.5)]
            painter.drawPolygon(tri)
            painter.setPen(_text_on(s.warning))
            f = QFont(self._font)
            f.setBold(True)
            painter.setFont(f)
            painter.drawText(QRectF(x, 2, h, h - 2), Qt.AlignmentFlag.AlignCenter, "!")


class CaptionItem(QGraphicsItem):
    def __init__(self, edge_item: QGraphicsItem) -> None:
        super().__init__(edge_item)
        self.value = ""
        self.grad = ""
        self.value_color: QColor | None = None
        self.grad_color: QColor | None = None
        self.vertical = True
        self._font, self._metrics = _pixel_font(BADGE_PX, bold=True)
        self._rects: tuple[QRectF, QRectF] = (QRectF(), QRectF())
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(3)

    def set_direction(self, angle: float) -> None:
        vertical = abs(math.sin(math.radians(angle))) > 0.7
        if vertical != self.vertical:
            self.vertical = vertical
            self._relayout()

    def set_content(self, value: str, grad: str, value_color: QColor | None, grad_color: QColor | None) -> None:
        if (value, grad, value_color, grad_color) == (self.value, self.grad, self.value_color, self.grad_color):
            return
        self.value, self.grad, self.value_color, self.grad_color = value, grad, value_color, grad_color
        self._relayout()

    def rects(self) -> tuple[QRectF, QRectF]:
        """(value, gradient) plates in device pixels relative to the edge's midpoint."""
        return self._rects

    def _relayout(self) -> None:
        m = self._metrics
        h = m.height() + 2

        def size(t: str) -> float:
            return m.horizontalAdvance(t) + 8 if t else 0.0

        wv, wg = size(self.value), size(self.grad)
        if self.vertical:  # value left of the line, gradient right of it
            rv = QRectF(-5 - wv, -h / 2, wv, h) if wv else QRectF()
            rg = QRectF(5, -h / 2, wg, h) if wg else QRectF()
        else:  # value above, gradient below
            rv = QRectF(-wv / 2, -4 - h, wv, h) if wv else QRectF()
            rg = QRectF(-wg / 2, 4, wg, h) if wg else QRectF()
        self.prepareGeometryChange()
        self._rects = (rv, rg)
        self.update()

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
