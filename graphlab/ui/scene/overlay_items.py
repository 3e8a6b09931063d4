"""The items the canvas overlay draws with (see :mod:`.overlay` for the API and its rules).

* :class:`OverlayLayer` — two per scene, each ONE item over the whole graph, so that changing the
  state of a thousand nodes is a dictionary update and one repaint request, with no per-node items
  for Qt to track, index and re-render:

  - below the cards (above the edges): the heat fill (a card paints no fill of its own while it is
    tinted), the cost bar (a share of the card's width from its left edge, behind the card's text) and
    the highlight outline around a card, in scene units;
  - above the cards: the badge pill and the warning mark above the card's top-right corner (placed by
    :func:`.labels.place_badge`: never over another card; a long one runs on past the card's edge into
    free space, and is shortened only when that is not enough), at a
    fixed size on screen (readable on an overview), left out further out than :data:`BADGE_MIN_SCALE`.

  Both paint only what lies in the exposed rectangle and read each card's current position, so a
  dragged card's tint and badge follow it. They take no mouse buttons and have no shape: clicks,
  rubber bands and tooltips go to the cards (a card's tooltip lists its marks' reasons).
* :class:`CaptionItem` — one per captioned edge, fixed size on screen, above the cards and edges
  (its translucent plate keeps lines crossing it from garbling it): the value caption over the
  gradient caption (second colour), or side by side; placed beside its wire by the overlay
  (:func:`.labels.place_captions`), hidden where it finds no free place.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from . import style as st
from .labels import BADGE_PX, BADGE_SPILL_PX, PLATE_PAD, pixel_font, place_badge

if TYPE_CHECKING:
    from .graph_scene import GraphScene
    from .node_item import NodeItem

OUTLINE_GAP = 4.0  # between the card and the highlight outline (scene units)
BADGE_MIN_SCALE = 0.3  # further out, cards are too small for a badge


def _text_on(bg: QColor) -> QColor:
    """Black or white, whichever reads better on ``bg``."""
    lum = 0.299 * bg.redF() + 0.587 * bg.greenF() + 0.114 * bg.blueF()
    return QColor(20, 20, 20) if lum > 0.55 else QColor(250, 250, 250)


def _pixel_font(px: int, bold: bool = False) -> tuple[QFont, QFontMetricsF]:
    return pixel_font(px, bold)


@dataclass
class Look:
    """What the overlay draws on one node (merged over its owners)."""

    fill: QColor | None = None
    outline: QColor | bool | None = None  # True: the style's highlight colour (follows light/dark)
    badge: str = ""
    badge_color: QColor | None = None
    badge_w: float = 0.0  # the pill's width on screen
    marks: tuple[str, ...] = ()
    bar: float | None = None  # share of the card's width, 0..1
    bar_color: QColor | None = None
    bar_text: str = ""


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
        if self.below:
            return r.adjusted(-20, -20, 20, 20)
        spill = BADGE_SPILL_PX / BADGE_MIN_SCALE
        return r.adjusted(-2 - spill, -self.badge_reach(BADGE_MIN_SCALE), 2 + spill, 2)

    def badge_reach(self, scale: float) -> float:
        """How far above its card a badge may reach at zoom ``scale`` (scene units)."""
        return (self.metrics.height() + 8) / max(scale, 1e-3)

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
        else:  # a badge sits above its card: cards just below the exposed area may draw into it
            spill = BADGE_SPILL_PX / max(lod, BADGE_MIN_SCALE)  # and cards beside it may spill into it
            self._paint_badges(painter, lod, exposed, self._cards_near(exposed.adjusted(-8 - spill, -8, 8 + spill,
                                                                                        self.badge_reach(lod))))

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
            if look.fill is not None or look.bar is not None:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(item.style.node_fill)
                painter.drawRoundedRect(rect, 6, 6)
            if look.fill is not None:
                tint = QColor(look.fill)
                tint.setAlphaF(0.55)
                painter.setBrush(tint)
                painter.drawRoundedRect(rect, 6, 6)
            if look.bar:
                bar = QColor(look.bar_color if look.bar_color is not None else item.style.highlight)
                bar.setAlphaF(0.45)
                painter.setBrush(bar)
                painter.save()
                clip = QPainterPath()
                clip.addRoundedRect(rect, 6, 6)
                painter.setClipPath(clip, Qt.ClipOperation.IntersectClip)
                painter.drawRect(QRectF(rect.left(), rect.top(), rect.width() * look.bar, rect.height()))
                painter.restore()
            if look.outline is not None:
                painter.setPen(QPen(item.style.highlight if look.outline is True else look.outline, width))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(rect.adjusted(-g, -g, g, g), 8, 8)

    def badge_rect(self, item: NodeItem, scale: float) -> tuple[QRectF, str, int]:
        """(scene rectangle, text as drawn, pixel size) of a node's badge and mark at zoom ``scale``."""
        look = self.looks.get(item.node_id)
        if look is None or (not look.badge and not look.marks) or scale < BADGE_MIN_SCALE:
            return QRectF(), "", BADGE_PX
        card = item.mapRectToScene(item.card_rect())
        ports = [item.mapToScene(p).x() for p in item.card().inputs]
        reach = self.badge_reach(scale)
        spill = BADGE_SPILL_PX / scale
        near = [o.mapRectToScene(o.card_rect()) for o in
                self._scene.cards.near(card.adjusted(-spill, -reach, spill, reach - card.height()))
                if o is not item]
        return place_badge(card, ports, look.badge, bool(look.marks), scale, near)

    def badge_rects(self, scale: float) -> dict[str, QRectF]:
        """Every badge's scene rectangle at zoom ``scale`` (tests, and the captions keep clear of them)."""
        out = {}
        for nid in self.looks:
            item = self._scene.node_items.get(nid)
            if item is not None:
                r = self.badge_rect(item, scale)[0]
                if not r.isEmpty():
                    out[nid] = r
        return out

    def _paint_badges(self, painter: QPainter, lod: float, exposed: QRectF, cards: list) -> None:
        world = painter.worldTransform()
        painter.save()
        painter.resetTransform()  # draw in screen pixels from here
        warning = self._scene.style.warning
        edge = self._scene.style.background
        h = self.metrics.height() + 4
        for item in cards:
            look = self.looks[item.node_id]
            rect, text, px = self.badge_rect(item, lod)
            if rect.isEmpty():
                continue
            r = world.mapRect(rect)
            x, y = r.left(), r.top()
            if text:
                font, metrics = pixel_font(px)
                w = metrics.horizontalAdvance(text) + 2 * PLATE_PAD
                bg = look.badge_color if look.badge_color is not None else item.style.node_border
                plate = QRectF(x, y, w, h)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(bg)
                painter.drawRoundedRect(plate, h / 2, h / 2)
                painter.setFont(font)
                painter.setPen(_text_on(bg))
                painter.drawText(plate, Qt.AlignmentFlag.AlignCenter, text)
                x += w + 4
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
        return self.metrics.horizontalAdvance(text) + 2 * PLATE_PAD if text else 0.0


class CaptionItem(QGraphicsItem):
    """An edge's value caption over its gradient caption (``stacked``), or side by side; its position is
    the plate's top-left corner in the scene, its drawing in screen pixels."""

    def __init__(self, edge_item: QGraphicsItem) -> None:
        super().__init__()
        self.edge_item = edge_item
        self.value = ""
        self.grad = ""
        self.value_color: QColor | None = None
        self.grad_color: QColor | None = None
        self.stacked = True
        self._font, self._metrics = _pixel_font(BADGE_PX, bold=True)
        self._rects: tuple[QRectF, QRectF] = (QRectF(), QRectF())
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(3)

    def set_content(self, value: str, grad: str, value_color: QColor | None, grad_color: QColor | None) -> bool:
        """Returns True when the text changed (its size may have: the overlay places it again)."""
        if (value, grad, value_color, grad_color) == (self.value, self.grad, self.value_color, self.grad_color):
            return False
        resized = (value, grad) != (self.value, self.grad)
        self.value, self.grad, self.value_color, self.grad_color = value, grad, value_color, grad_color
        self._layout()
        self.update()
        return resized

    def set_stacked(self, stacked: bool) -> None:
        if stacked != self.stacked:
            self.stacked = stacked
            self._layout()

    def _layout(self) -> None:
        m = self._metrics
        h = m.height() + 2
        wv = m.horizontalAdvance(self.value) + 2 * PLATE_PAD if self.value else 0.0
        wg = m.horizontalAdvance(self.grad) + 2 * PLATE_PAD if self.grad else 0.0
        rv = QRectF(0, 0, wv, h) if self.value else QRectF()
        if self.stacked:
            rg = QRectF(0, (h + 1 if self.value else 0), wg, h) if self.grad else QRectF()
        else:
            rg = QRectF((wv + 3 if self.value else 0), 0, wg, h) if self.grad else QRectF()
        self.prepareGeometryChange()
        self._rects = (rv, rg)

    def rects(self) -> tuple[QRectF, QRectF]:
        """(value, gradient) plates in screen pixels relative to the caption's position."""
        return self._rects

    def scene_rect(self, scale: float) -> QRectF:
        """The caption's rectangle in scene units at zoom ``scale`` (where it is placed)."""
        rv, rg = self._rects
        r = rv.united(rg)
        p = self.pos()
        return QRectF(p.x(), p.y(), r.width() / scale, r.height() / scale)

    def boundingRect(self) -> QRectF:
        rv, rg = self._rects
        return rv.united(rg).adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        s: st.CanvasStyle = self.edge_item.style  # type: ignore[attr-defined]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(self._font)
        for text, rect, color in ((self.value, self._rects[0], self.value_color or s.value_caption),
                                  (self.grad, self._rects[1], self.grad_color or s.grad_caption)):
            if not text:
                continue
            painter.setPen(QPen(QColor(s.node_border), 1))
            plate = QColor(s.background)
            plate.setAlphaF(0.88)  # translucent: a line crossing it shows faintly, the numbers stay clear
            painter.setBrush(plate)
            painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
            painter.setPen(color)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
