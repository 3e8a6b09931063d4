"""The edge item: a path from an output port down to an input port, labelled with the shape it carries.

The path comes from :func:`.routing.route`: straight down between a card and the one under it, and
around the cards in between for an edge that skips rows. The label is drawn beside the middle of
the path on a small plate in the canvas colour, so it stays legible where it crosses other edges;
it is drawn only on an edge that skips rows (between neighbouring cards it would repeat the
source card's "→ shape" right above it) and only at full detail. ``adjust()``
recomputes the path from the two node items' port positions; the node items call it when they move.

Overlay captions (the stepper's values and gradients, see :mod:`.overlay`) replace the label while
they are set; the overlay places them beside the wire (:meth:`EdgeItem.points_at` gives it points
along the path) in an item of their own, so setting them never touches the path.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from ...core.graph import Edge
from ...core.layout import ROW
from . import style as st
from .routing import LANE_GAP, Seg, middle, point_at, route_segments, s_curve, s_curve_segments, to_path

if TYPE_CHECKING:
    from .node_item import NodeItem


def bezier(a: QPointF, b: QPointF) -> QPainterPath:
    """The unrouted path of an edge from output port ``a`` to input port ``b`` (used while dragging)."""
    return s_curve(a, b)


ROUTE_MIN_SPAN = ROW * 1.3  # edges spanning more than one row gap look for cards in their way
PIECEWISE = 1200.0  # a path longer than this is drawn piece by piece, only where it is exposed


class EdgeItem(QGraphicsItem):
    Type = QGraphicsItem.UserType + 2

    def __init__(self, edge: Edge, src: NodeItem, dst: NodeItem, style: st.CanvasStyle) -> None:
        super().__init__()
        self.edge = edge
        self.port = edge.port  # the input port drawn (another one where a collapsed group's card stands for dst)
        self.src, self.dst = src, dst
        self.style = style
        self.label = ""
        self.bad = False
        self.captions = None  # the overlay's caption item, when it has one for this edge
        self._path = QPainterPath()
        self._segments: list[Seg] = []
        self._mid = QPointF()
        self.long = False  # spans more than a row: routed, and labelled
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self._pieces: list[tuple[QRectF, QPainterPath]] = []
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        src.edges.append(self)
        dst.edges.append(self)
        self.adjust()

    def type(self) -> int:
        return self.Type

    def detach(self) -> None:
        for n in (self.src, self.dst):
            if self in n.edges:
                n.edges.remove(self)

    def set_label(self, text: str, bad: bool = False) -> None:
        if text != self.label or bad != self.bad:
            self.label, self.bad = text, bad
            self.prepareGeometryChange()
            self._place_label()
            self.update()

    def set_style(self, style: st.CanvasStyle) -> None:
        self.style = style
        self.adjust()

    def path(self) -> QPainterPath:
        return QPainterPath(self._path)

    def midpoint(self) -> QPointF:
        return QPointF(self._mid)

    def _obstacles(self, a: QPointF, b: QPointF) -> list[QRectF]:
        scene = self.scene()
        if scene is None:
            return []
        reach = st.NODE_W * 1.5
        band = QRectF(min(a.x(), b.x()) - reach, min(a.y(), b.y()), abs(b.x() - a.x()) + 2 * reach, abs(b.y() - a.y()))
        return [it.mapRectToScene(it.card_rect()) for it in scene.cards.near(band)  # type: ignore[attr-defined]
                if it is not self.src and it is not self.dst]

    def adjust(self) -> None:
        """Recompute the path (routed around the cards in its way when it skips rows)."""
        a = self.src.port_scene_pos("out")
        b = self.dst.port_scene_pos("in", self.port)
        self.prepareGeometryChange()
        pa, pb = (a.x(), a.y()), (b.x(), b.y())
        dy = pb[1] - pa[1]
        self.long = dy > ROUTE_MIN_SPAN or abs(pb[0] - pa[0]) > ROUTE_MIN_SPAN or dy < 0
        if dy < 0:  # upwards: climb a lane right of both cards
            lane = max(self.src.sceneBoundingRect().right(), self.dst.sceneBoundingRect().right()) + LANE_GAP
            segments = route_segments(pa, pb, [], ROW, back_lane=lane)
        elif dy > ROUTE_MIN_SPAN:
            boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in self._obstacles(a, b)]
            segments = route_segments(pa, pb, boxes, ROW)
        else:
            segments = s_curve_segments(pa, pb)
        self._path = to_path(segments)
        self._segments = segments
        (mx, my), _, length = middle(segments)
        self._mid = QPointF(mx, my)
        pieces = self._split(segments) if length > PIECEWISE else []
        if bool(pieces) != bool(self._pieces):  # only a long edge needs its exposed rectangle
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, bool(pieces))
        self._pieces = pieces
        self._place_label()
        if self.captions is not None:
            scene = self.scene()
            if scene is not None:
                scene.overlay.schedule_captions()  # type: ignore[attr-defined]

    def points_at(self, fractions: tuple[float, ...]) -> list[tuple[QPointF, QPointF]]:
        """(point, direction) at these fractions of the path's length (where captions may go)."""
        return [(QPointF(*p), QPointF(*d)) for p, d in (point_at(self._segments, t) for t in fractions)]

    @staticmethod
    def _split(segments: list[Seg]) -> list[tuple[QRectF, QPainterPath]]:
        """The path in pieces, each with its bounding box (a long path is drawn only where exposed)."""
        out = []
        for seg in segments:
            piece = to_path([seg])
            out.append((piece.boundingRect().adjusted(-3, -3, 3, 3), piece))
        return out

    def _place_label(self) -> None:
        bounds = self._path.boundingRect().adjusted(-3, -3, 3, 3)
        if self.label:
            m = self.style.small_metrics
            w, h = m.horizontalAdvance(self.label) + 8, m.height() + 2
            self._label_rect = QRectF(self._mid.x() + 5, self._mid.y() - h / 2, w, h)
            bounds = bounds.united(self._label_rect)
        else:
            self._label_rect = QRectF()
        self._bounds = bounds

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self._path)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        s = self.style
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= 0.4)  # far out: cheap lines
        color = s.selection if self.isSelected() else (s.error if self.bad else s.edge)
        width = 2.5 if self.isSelected() else 1.6
        if width * lod >= 1.0:
            painter.setPen(QPen(color, width))
        else:  # far out: a one-pixel (cosmetic) line, cheaper than a thin scaled stroke and still visible
            pen = QPen(color, 1.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self._pieces:  # a long path: only the pieces on screen (stroking all of it costs ~1 ms)
            exposed = option.exposedRect
            for box, piece in self._pieces:
                if box.intersects(exposed):
                    painter.drawPath(piece)
        else:
            painter.drawPath(self._path)
        if self.label and self.long and lod >= st.FULL_DETAIL - 1e-6 and self.captions is None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(s.background)
            painter.drawRoundedRect(self._label_rect, 3, 3)
            painter.setFont(s.small_font)
            painter.setPen(s.dim_text if not self.bad else s.error)
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)
