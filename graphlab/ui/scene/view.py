"""The canvas view: zoom, pan, drops, and the mouse gestures that become commands.

* Left drag on a port: new edge (see :class:`NewEdgeInteraction`); on a node: move (one undo step on
  release); on the background: rubber-band selection; Ctrl-click toggles selection.
* Middle drag, or Space + left drag: pan. Wheel: zoom towards the cursor.
* Drop a palette entry (MIME ``application/x-graphlab-layer``) to add that layer where it lands;
  drop a file to open it. Double-click on the background opens the quick-add popup.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsView

from .graph_scene import GraphScene
from .interactions import NewEdgeInteraction

LAYER_MIME = "application/x-graphlab-layer"
MIN_SCALE, MAX_SCALE = 0.08, 3.0


class CanvasView(QGraphicsView):
    layer_dropped = Signal(str, QPointF)  # type name, scene position
    file_dropped = Signal(str)
    quick_add_requested = Signal(QPointF)  # scene position
    nodes_moved = Signal(dict)  # id -> (old pos, new pos)
    hint = Signal(str)

    def __init__(self, scene: GraphScene, parent: Any = None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("canvas")
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setAcceptDrops(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSceneRect(QRectF(-50000, -50000, 100000, 100000))
        self.check_connect = lambda src, dst, port: None
        self.commit_connect = lambda src, dst, port: False
        self._edge: NewEdgeInteraction | None = None
        self._pan_from: QPoint | None = None
        self._space = False
        self._press_pos: dict[str, tuple[float, float]] = {}

    def graph_scene(self) -> GraphScene:
        return self.scene()  # type: ignore[return-value]

    # ---- zoom and fit --------------------------------------------------------------------------
    def zoom(self, factor: float) -> None:
        s = self.transform().m11()
        factor = max(MIN_SCALE / s, min(MAX_SCALE / s, factor))
        self.scale(factor, factor)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom(1.0015 ** delta)
        event.accept()

    def fit_all(self, readable: bool = False) -> None:
        """Fit every node in the view. ``readable``: never zoom out past 85%; show the start instead."""
        rect = self.scene().itemsBoundingRect()
        if rect.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            return
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        s = self.transform().m11()
        low = 0.85 if readable else MIN_SCALE
        if s > 1.2:
            self.zoom(1.2 / s)
        elif s < low:
            self.zoom(low / s)
        if self.transform().m11() > s + 1e-9 and readable:
            vw = self.viewport().width() / self.transform().m11()
            self.centerOn(rect.left() - 30 + vw / 2, rect.center().y())
        else:
            self.centerOn(rect.center())

    def center_on_node(self, node_id: str) -> None:
        item = self.graph_scene().node_items.get(node_id)
        if item is not None:
            self.centerOn(item.sceneBoundingRect().center())

    # ---- mouse ----------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (event.button() == Qt.MouseButton.LeftButton
                                                              and self._space):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            pos = self.mapToScene(event.position().toPoint())
            item = self.graph_scene().node_at(pos)
            hit = item.port_at(pos) if item is not None else None
            if item is not None and hit is not None:
                self._edge = NewEdgeInteraction(self, item, hit[0], hit[1], self.check_connect, self.commit_connect,
                                                self.hint.emit)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_pos = {i.node_id: (i.pos().x(), i.pos().y())
                               for i in self.graph_scene().node_items.values() if i.isSelected()}

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            d = event.position().toPoint() - self._pan_from
            self._pan_from = event.position().toPoint()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - d.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - d.y())
            event.accept()
            return
        if self._edge is not None:
            self._edge.move(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        if self._edge is not None:
            edge, self._edge = self._edge, None
            edge.end(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self._press_pos:
            items = self.graph_scene().node_items
            moves = {}
            for nid, old in self._press_pos.items():
                it = items.get(nid)
                if it is not None and (it.pos().x(), it.pos().y()) != old:
                    moves[nid] = (old, (it.pos().x(), it.pos().y()))
            self._press_pos = {}
            if moves:
                self.nodes_moved.emit(moves)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = self.mapToScene(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and self.graph_scene().node_at(pos) is None:
            self.quick_add_requested.emit(pos)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    # ---- keys -------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and self._edge is not None:
            self._edge.cancel()
            self._edge = None
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def cursor_scene_pos(self) -> QPointF:
        """The mouse position in scene coordinates, or the view centre when the mouse is elsewhere."""
        p = self.viewport().mapFromGlobal(self.cursor().pos())
        if not self.viewport().rect().contains(p):
            p = self.viewport().rect().center()
        return self.mapToScene(p)

    # ---- drops ------------------------------------------------------------------------------------
    def _accepts(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
        md = event.mimeData()
        return md.hasFormat(LAYER_MIME) or (md.hasUrls() and any(u.isLocalFile() for u in md.urls()))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        md = event.mimeData()
        if md.hasFormat(LAYER_MIME):
            type_name = bytes(md.data(LAYER_MIME).data()).decode("utf-8", "replace")
            pos = self.mapToScene(event.position().toPoint())
            self.layer_dropped.emit(type_name, pos)
            event.acceptProposedAction()
            return
        files = [u.toLocalFile() for u in md.urls() if u.isLocalFile()] if md.hasUrls() else []
        if files:
            self.file_dropped.emit(files[0])
            event.acceptProposedAction()
            return
        event.ignore()
