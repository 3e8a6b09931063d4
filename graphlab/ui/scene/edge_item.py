"""The edge item: a bezier from an output port to an input port, labelled with the shape it carries.

The label is drawn at the middle of the curve on a small plate in the canvas colour, so it stays
legible where it crosses other edges. ``adjust()`` recomputes the path from the two node items'
port positions; the node items call it when they move.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from ...core.graph import Edge
from . import style as st

if TYPE_CHECKING:
    from .node_item import NodeItem


SKIP_MIN_SPAN = 260.0  # an edge longer than this that runs level would pass behind nodes…
SKIP_LEVEL = 60.0  # …when its ends are within this height of each other
SKIP_LIFT = 75.0  # so it detours this far above them (a ResNet skip connection)


def bezier(a: QPointF, b: QPointF) -> QPainterPath:
    """The path of an edge: an S-curve, or an arch over the nodes for a long level skip connection."""
    path = QPainterPath(a)
    if b.x() - a.x() > SKIP_MIN_SPAN and abs(b.y() - a.y()) < SKIP_LEVEL:
        top = min(a.y(), b.y()) - SKIP_LIFT
        path.cubicTo(QPointF(a.x() + 40, a.y()), QPointF(a.x() + 40, top), QPointF(a.x() + 80, top))
        path.lineTo(QPointF(b.x() - 80, top))
        path.cubicTo(QPointF(b.x() - 40, top), QPointF(b.x() - 40, b.y()), b)
        return path
    dx = max(40.0, abs(b.x() - a.x()) * 0.5)
    path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path


class EdgeItem(QGraphicsItem):
    Type = QGraphicsItem.UserType + 2

    def __init__(self, edge: Edge, src: NodeItem, dst: NodeItem, style: st.CanvasStyle) -> None:
        super().__init__()
        self.edge = edge
        self.src, self.dst = src, dst
        self.style = style
        self.label = ""
        self.bad = False
        self._path = QPainterPath()
        self._label_rect = QRectF()
        self._bounds = QRectF()
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
            self.adjust()

    def set_style(self, style: st.CanvasStyle) -> None:
        self.style = style
        self.adjust()

    def adjust(self) -> None:
        a = self.src.port_scene_pos("out")
        b = self.dst.port_scene_pos("in", self.edge.port)
        self.prepareGeometryChange()
        self._path = bezier(a, b)
        bounds = self._path.boundingRect().adjusted(-3, -3, 3, 3)
        if self.label:
            m = self.style.small_metrics
            w, h = m.horizontalAdvance(self.label) + 8, m.height() + 2
            mid = self._path.pointAtPercent(0.5)
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h - 2, w, h)
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
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= 0.5)  # far out: cheap lines, no labels
        color = s.selection if self.isSelected() else (s.error if self.bad else s.edge)
        painter.setPen(QPen(color, 2.5 if self.isSelected() else 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if self.label and lod >= 0.5:
            bg = s.background
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bg)
            painter.drawRoundedRect(self._label_rect, 3, 3)
            painter.setFont(s.small_font)
            painter.setPen(s.dim_text if not self.bad else s.error)
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)
