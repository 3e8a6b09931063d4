"""The node item: a rounded card with the layer type, its key params, its output shape and ports.

Input ports sit on the left (one per input; a variadic node shows its connected ports plus one
free port), the output port on the right. The item holds no model state beyond what it draws: the
scene sets it from the graph and the analysis (:meth:`NodeItem.set_state`), and the item reports
moves to its edges. Text is elided once per state change, and painting is cached per device, so a
frame while dragging costs one pixmap blit per node.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from . import style as st

if TYPE_CHECKING:
    from .edge_item import EdgeItem
    from .graph_scene import GraphScene


class NodeItem(QGraphicsItem):
    Type = QGraphicsItem.UserType + 1

    def __init__(self, node_id: str, style: st.CanvasStyle) -> None:
        super().__init__()
        self.node_id = node_id
        self.style = style
        self.edges: list[EdgeItem] = []
        self.n_inputs = 0
        self.title = ""
        self.category: str | None = None
        self.summary = ""
        self.shape_text = ""
        self.message = ""
        self.severity = ""
        self._elided: tuple[str, str, str, str] = ("", "", "", "")
        self._height = 56.0
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)

    def type(self) -> int:
        return self.Type

    # ---- state ------------------------------------------------------------------------------
    def set_state(self, title: str, category: str | None, summary: str, shape_text: str, n_inputs: int,
                  message: str, severity: str) -> None:
        if n_inputs != self.n_inputs:
            self.prepareGeometryChange()
            self.n_inputs = n_inputs
            self._height = max(56.0, st.TITLE_H + 12 + (n_inputs - 1) * st.PORT_GAP + 12)
        self.title, self.category, self.summary = title, category, summary
        self.shape_text, self.message, self.severity = shape_text, message, severity
        self._relayout()
        tip = f"{self.node_id} ({title})"
        if message:
            tip += "\n" + message
        self.setToolTip(tip)
        self.update()
        for e in self.edges:
            e.adjust()

    def set_style(self, style: st.CanvasStyle) -> None:
        self.style = style
        self._relayout()
        self.update()

    def _relayout(self) -> None:
        s = self.style
        inner = st.NODE_W - 16
        title = s.title_metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, inner)
        room = inner - s.title_metrics.horizontalAdvance(title) - 8
        nid = self.node_id if s.small_metrics.horizontalAdvance(self.node_id) <= room else ""
        summary = s.body_metrics.elidedText(self.summary, Qt.TextElideMode.ElideRight, inner)
        mode = Qt.TextElideMode.ElideRight if self.shape_text.startswith("⚠") else Qt.TextElideMode.ElideMiddle
        shape = s.body_metrics.elidedText(self.shape_text, mode, inner)
        self._elided = (title, nid, summary, shape)

    # ---- geometry ---------------------------------------------------------------------------
    @property
    def height(self) -> float:
        return self._height

    def boundingRect(self) -> QRectF:
        r = st.PORT_R + 2
        return QRectF(-r, -2, st.NODE_W + 2 * r, self._height + 4)

    def shape(self) -> QPainterPath:
        p = QPainterPath()
        p.addRect(self.boundingRect())
        return p

    def input_port_pos(self, port: int) -> QPointF:
        """Port position in item coordinates (ports past the drawn ones stack below the last)."""
        return QPointF(0.0, st.TITLE_H + 12 + port * st.PORT_GAP)

    def output_port_pos(self) -> QPointF:
        return QPointF(st.NODE_W, st.TITLE_H + (self._height - st.TITLE_H) / 2)

    def port_scene_pos(self, kind: str, port: int = 0) -> QPointF:
        return self.mapToScene(self.output_port_pos() if kind == "out" else self.input_port_pos(port))

    def port_at(self, scene_pos: QPointF) -> tuple[str, int] | None:
        """('in', i) or ('out', 0) when scene_pos is on a port, else None."""
        p = self.mapFromScene(scene_pos)
        o = self.output_port_pos()
        if (p - o).manhattanLength() <= st.PORT_HIT * 1.4:
            return ("out", 0)
        for i in range(self.n_inputs):
            if (p - self.input_port_pos(i)).manhattanLength() <= st.PORT_HIT * 1.4:
                return ("in", i)
        return None

    # ---- painting ---------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        s = self.style
        w, h = st.NODE_W, self._height
        rect = QRectF(0, 0, w, h)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(s.node_fill)
        painter.drawRoundedRect(rect, 6, 6)
        head = QPainterPath()
        head.addRoundedRect(rect, 6, 6)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, w, st.TITLE_H))
        painter.setBrush(s.category_color(self.category))
        painter.drawPath(head.intersected(clip))
        if self.isSelected():
            pen = QPen(s.selection, 2.5)
        elif self.severity == "error":
            pen = QPen(s.error, 2.5)
        elif self.severity == "warning":
            pen = QPen(s.warning, 2)
        else:
            pen = QPen(s.node_border, 1)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, 6, 6)
        if self.isSelected() and self.severity == "error":
            painter.setPen(QPen(s.error, 1.5))
            painter.drawRoundedRect(rect.adjusted(3, 3, -3, -3), 4, 4)
        title, nid, summary, shape = self._elided
        painter.setPen(s.text)
        painter.setFont(s.title_font)
        painter.drawText(QRectF(8, 0, w - 16, st.TITLE_H), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        if nid:
            painter.setFont(s.small_font)
            painter.setPen(s.dim_text)
            painter.drawText(QRectF(8, 0, w - 16, st.TITLE_H),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, nid)
        painter.setFont(s.body_font)
        painter.setPen(s.dim_text)
        body = QRectF(8, st.TITLE_H + 3, w - 16, st.LINE_H)
        painter.drawText(body, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, summary)
        painter.setPen(s.error if self.severity == "error" else s.text)
        painter.drawText(body.translated(0, st.LINE_H), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         shape)
        painter.setPen(QPen(s.node_border, 1))
        painter.setBrush(QBrush(s.port))
        for i in range(self.n_inputs):
            painter.drawEllipse(self.input_port_pos(i), st.PORT_R, st.PORT_R)
        painter.drawEllipse(self.output_port_pos(), st.PORT_R, st.PORT_R)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for e in self.edges:
                e.adjust()
        return super().itemChange(change, value)

    def graph_scene(self) -> GraphScene:
        return self.scene()  # type: ignore[return-value]
