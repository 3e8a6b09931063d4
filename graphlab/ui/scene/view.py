"""The canvas view: zoom, pan, drops, and the mouse gestures that become commands.

* Left drag on a port: new edge (see :class:`NewEdgeInteraction`); on a node: move (one undo step on
  release); on the background: rubber-band selection; Ctrl-click toggles selection.
* Middle drag, or Space + left drag: pan. Wheel: zoom towards the cursor.
* Drop a palette entry (MIME ``application/x-graphlab-layer``) to add that layer where it lands;
  drop a file to open it. Double-click on the background opens the quick-add popup.

Zoom: :meth:`CanvasView.show_initial` is what a freshly opened file gets: the whole graph when it
fits at a zoom where the cards are readable (:data:`LEGIBLE_SCALE`: their far-out print is at
least 9 px on screen), else at :data:`START_SCALE` on the graph's inputs (the top), with the overview in the
corner to find the rest. :meth:`fit_all` fits everything; F (:meth:`fit_key`) does too when the cards
stay readable, else first shows the graph's width at the furthest legible zoom, and everything when pressed
again. :meth:`focus_node` (a click
in the problems list) zooms in to full detail when the view is further out, and centres the node.
The overview (:class:`~.minimap.MiniMap`) shows itself while the graph is larger than the view.
"""
from __future__ import annotations

import time

from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsView

from . import style as st
from .graph_scene import GraphScene
from .interactions import NewEdgeInteraction
from .minimap import MiniMap

LAYER_MIME = "application/x-graphlab-layer"
MIN_SCALE, MAX_SCALE = 0.08, 3.0
LEGIBLE_SCALE = st.LEGIBLE_SCALE  # the far-out card print still fits the cards at >= 9 px on screen
START_SCALE = 0.6  # a graph too large to fit legibly opens here on its inputs (type and shape at 12 px)
MARGIN = 30.0  # scene units kept around a fitted graph
REFIT_SETTLE_S = 0.8  # after another workspace is shown, resizes within this long refit the graph


class CanvasView(QGraphicsView):
    layer_dropped = Signal(str, QPointF)  # type name, scene position
    file_dropped = Signal(str)
    quick_add_requested = Signal(QPointF)  # scene position
    nodes_moved = Signal(dict)  # id -> (old pos, new pos)
    hint = Signal(str)
    zoomed = Signal(float)  # the new scale

    def __init__(self, scene: GraphScene, parent: Any = None) -> None:
        super().__init__(scene, parent)
        self.setObjectName("canvas")
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self._refit_until = 0.0  # refit_settling: until then a resize fits the graph again
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setAcceptDrops(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.check_connect = lambda src, dst, port: None
        self.commit_connect = lambda src, dst, port: False
        self._edge: NewEdgeInteraction | None = None
        self._pan_from: QPoint | None = None
        self._space = False
        self._press_pos: dict[str, tuple[float, float]] = {}
        self.minimap = MiniMap(self)
        self._shown = QRectF()
        self._legible_fit: tuple[float, float, float] | None = None  # the view the last first-F left (fit_key)

    def graph_scene(self) -> GraphScene:
        return self.scene()  # type: ignore[return-value]

    # ---- zoom and fit --------------------------------------------------------------------------
    def scale_now(self) -> float:
        return self.transform().m11()

    def _min_scale(self) -> float:
        """Never further out than needed to see everything (big graphs may need < MIN_SCALE)."""
        return min(MIN_SCALE, 0.9 * self.fit_scale())

    def set_scale(self, scale: float) -> None:
        scale = max(self._min_scale(), min(MAX_SCALE, scale))
        self.zoom(scale / self.scale_now())

    def zoom(self, factor: float) -> None:
        s = self.scale_now()
        factor = max(self._min_scale() / s, min(MAX_SCALE / s, factor))
        if abs(factor - 1.0) > 1e-12:
            self.scale(factor, factor)
            self.zoomed.emit(self.scale_now())
            self.minimap.refresh_view()
        self.graph_scene().set_view_scale(self.scale_now())

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom(1.0015 ** delta)
        event.accept()

    def graph_rect(self) -> QRectF:
        """The nodes' bounding rectangle in scene coordinates (empty for an empty graph)."""
        return self.graph_scene().nodes_rect()

    def fit_scale(self, rect: QRectF | None = None) -> float:
        """The scale at which ``rect`` (default: the whole graph) fills the viewport."""
        rect = self.graph_rect() if rect is None else rect
        if rect.isEmpty():
            return 1.0
        vp = self.viewport().rect()
        return min(vp.width() / (rect.width() + 2 * MARGIN), vp.height() / (rect.height() + 2 * MARGIN))

    def fit_all(self, readable: bool = False) -> None:
        """Fit every node in the view (never past 100%). ``readable``: see :meth:`show_initial`."""
        if readable:
            self.show_initial()
            return
        rect = self.graph_rect()
        if rect.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            self.graph_scene().set_view_scale(1.0)
            return
        self.resetTransform()
        self.set_scale(min(1.0, self.fit_scale(rect)))
        self.centerOn(rect.center())
        self.minimap.refresh_view()

    def fit_key(self) -> None:
        """What F does. When the whole graph fits at a zoom where its cards read (:data:`~.style.LEGIBLE_SCALE`
        or more), fit it. A tall network would shrink to coloured boxes, so the first F shows as much as
        reads instead: the graph's width at the furthest legible zoom, around the selection (else where the
        view is), and a hint says so; F again, with the view left where that put it, fits everything."""
        rect = self.graph_rect()
        if rect.isEmpty() or self.fit_scale(rect) >= st.LEGIBLE_SCALE or self._at_legible_fit():
            self._legible_fit = None
            self.fit_all()
            return
        vp = self.viewport().rect()
        across = vp.width() / (rect.width() + 2 * MARGIN)
        self.resetTransform()
        self.set_scale(max(st.LEGIBLE_SCALE, min(1.0, across)))
        sc = self.graph_scene()
        chosen = [sc.node_items[n].sceneBoundingRect() for n in sc.selected_node_ids() if n in sc.node_items]
        if chosen:
            focus = chosen[0]
            for r in chosen[1:]:
                focus = focus.united(r)
            centre = focus.center()
        else:
            centre = self._centre_before
        half_w = vp.width() / self.scale_now() / 2
        half_h = vp.height() / self.scale_now() / 2
        cx = rect.center().x() if rect.width() + 2 * MARGIN <= 2 * half_w else centre.x()
        top, bottom = rect.top() - MARGIN + half_h, rect.bottom() + MARGIN - half_h
        cy = min(max(centre.y(), top), max(top, bottom))
        self.centerOn(QPointF(cx, cy))
        self.minimap.refresh_view()
        self._legible_fit = self._view_key()
        self.hint.emit(f"the whole graph would be drawn at {self.fit_scale(rect):.0%}, too small to read: "
                       f"showing it at {self.scale_now():.0%} (the overview, bottom right, has the rest); "
                       f"press F again to fit all of it")

    @property
    def _centre_before(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    def _view_key(self) -> tuple[float, float, float]:
        c = self._centre_before
        return (round(self.scale_now(), 6), round(c.x(), 1), round(c.y(), 1))

    def _at_legible_fit(self) -> bool:
        """The view is still where the last legible fit (the first F on a tall graph) put it."""
        return self._legible_fit == self._view_key()

    def show_initial(self) -> None:
        """The view a freshly opened graph gets: fitted when legible, else full detail on the inputs."""
        rect = self.graph_rect()
        fit = self.fit_scale(rect)
        if rect.isEmpty() or fit >= LEGIBLE_SCALE:
            self.fit_all()
            return
        self.resetTransform()
        self.set_scale(START_SCALE)
        vp = self.viewport().rect()
        half_w = vp.width() / self.scale_now() / 2
        half_h = vp.height() / self.scale_now() / 2
        inputs = self.inputs_rect()
        cx = inputs.center().x()
        if rect.width() + 2 * MARGIN <= 2 * half_w:  # the width fits: centre the graph across
            cx = rect.center().x()
        else:  # keep the inputs in view, and the graph's left edge if it is near
            cx = max(cx, rect.left() - MARGIN + half_w) if cx - half_w < rect.left() else cx
        self.centerOn(QPointF(cx, rect.top() - MARGIN + half_h))
        self.minimap.refresh_view()

    def inputs_rect(self) -> QRectF:
        """Where the graph's inputs are: the cards no edge enters (the whole graph when none)."""
        sc = self.graph_scene()
        fed = {e.dst for e in sc.edge_items}
        rect = QRectF()
        for nid, item in sc.node_items.items():
            if nid not in fed:
                rect = rect.united(item.sceneBoundingRect())
        return rect if not rect.isEmpty() else self.graph_rect()

    def center_on_node(self, node_id: str) -> None:
        item = self.graph_scene().node_items.get(node_id)
        if item is not None:
            self.centerOn(item.sceneBoundingRect().center())
            self.minimap.refresh_view()

    def focus_node(self, node_id: str) -> None:
        """Bring a node into view at a readable size (zooming in to full detail if further out)."""
        if node_id not in self.graph_scene().node_items:
            return
        if self.scale_now() < st.FULL_DETAIL:
            self.set_scale(1.0)
        self.center_on_node(node_id)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        """Keep the overview's frame in step with any change of the view (cheap when nothing moved)."""
        super().drawForeground(painter, rect)
        self.graph_scene().set_view_scale(self.scale_now())  # however the zoom changed (deferred work only)
        shown = self.mapToScene(self.viewport().rect()).boundingRect()
        if shown != self._shown:
            self._shown = shown
            self.minimap.refresh_view()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.minimap.refresh_view()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.minimap.place()
        if time.monotonic() < self._refit_until:  # the docks around are still settling: keep it fitted
            self.fit_all(readable=True)

    def refit_settling(self, seconds: float = REFIT_SETTLE_S) -> None:
        """Fit the graph now and again whenever the view is resized in the next ``seconds`` (another
        workspace's docks take their sizes over a few event-loop turns)."""
        self._refit_until = time.monotonic() + seconds
        self.fit_all(readable=True)

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
