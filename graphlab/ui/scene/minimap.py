"""The overview (mini-map): the whole graph in a small panel in the canvas's bottom-right corner.

It shows each card as a box in its category colour and the part of the graph the view shows as a
frame. Click or drag on it and the view centres there. It shows itself only while the graph is
larger than the view (nothing to find otherwise).

The boxes are drawn once into a pixmap, again only when what it shows changed: the graph's geometry
(the scene's ``geometry_changed``: nodes added, removed, moved, another graph) or its look
(``look_changed``: edges added or removed, a card's category or error state, the palette), each
coalesced by a timer the panel owns into one redraw per event-loop turn; moving the view repaints
just the frame over it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from .view import CanvasView

MAX_W, MAX_H = 200, 240  # the panel's largest size in pixels (and at most 40% of the canvas)
INSET = 6  # pixels between the panel's edge and the graph drawn in it
CORNER = 12  # pixels between the panel and the canvas's corner


class MiniMap(QWidget):
    def __init__(self, view: CanvasView) -> None:
        super().__init__(view)
        self.setObjectName("minimap")
        self.view = view
        self._pixmap: QPixmap | None = None
        self._rect = QRectF()  # the scene rectangle the panel shows
        self._dirty = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.rebuild)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self.hide()
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(0)
        self._redraw.timeout.connect(self.redraw)
        view.graph_scene().geometry_changed.connect(self.schedule)
        view.graph_scene().look_changed.connect(self.schedule_redraw)

    # ---- state ------------------------------------------------------------------------------------
    def schedule(self) -> None:
        self._dirty = True
        self._timer.start()

    def schedule_redraw(self) -> None:
        """Edges or a card's colour changed: draw the boxes again (once, on the next event-loop turn)."""
        if not self._redraw.isActive():
            self._redraw.start()

    def redraw(self) -> None:
        self._pixmap = None
        if self.isVisible():
            self.update()

    def rebuild(self) -> None:
        """Re-measure the graph and redraw its boxes (after its geometry changed)."""
        self._dirty = False
        self._pixmap = None
        self._rect = self.view.graph_scene().nodes_rect()
        self.place()
        self.refresh_view()

    def needed(self) -> bool:
        """True when some of the graph is outside the view."""
        r = self._rect
        if r.isEmpty():
            return False
        shown = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        return not shown.contains(r)

    def refresh_view(self) -> None:
        """The view moved or zoomed: show or hide, and redraw the frame."""
        if self._dirty:
            self.schedule()
            return
        want = self.needed()
        if want != self.isVisible():
            self.setVisible(want)
        if want:
            self.update()

    def place(self) -> None:
        r = self._rect
        if r.isEmpty():
            return
        vp = self.view.viewport().geometry()
        max_w, max_h = min(MAX_W, 0.4 * vp.width()), min(MAX_H, 0.4 * vp.height())
        k = min((max_w - 2 * INSET) / r.width(), (max_h - 2 * INSET) / r.height())
        w = max(40, int(r.width() * k + 2 * INSET))
        h = max(40, int(r.height() * k + 2 * INSET))
        self.setGeometry(vp.right() - w - CORNER, vp.bottom() - h - CORNER, w, h)
        self._pixmap = None

    # ---- coordinates ----------------------------------------------------------------------------
    def _scale(self) -> tuple[float, float, float]:
        r = self._rect
        k = min((self.width() - 2 * INSET) / max(r.width(), 1e-6), (self.height() - 2 * INSET) / max(r.height(), 1e-6))
        ox = (self.width() - r.width() * k) / 2
        oy = (self.height() - r.height() * k) / 2
        return k, ox, oy

    def to_panel(self, scene_rect: QRectF) -> QRectF:
        k, ox, oy = self._scale()
        r = self._rect
        return QRectF(ox + (scene_rect.left() - r.left()) * k, oy + (scene_rect.top() - r.top()) * k,
                      scene_rect.width() * k, scene_rect.height() * k)

    def to_scene(self, p: QPointF) -> QPointF:
        k, ox, oy = self._scale()
        return QPointF(self._rect.left() + (p.x() - ox) / k, self._rect.top() + (p.y() - oy) / k)

    # ---- painting ---------------------------------------------------------------------------------
    def _draw_graph(self) -> QPixmap:
        dpr = self.devicePixelRatioF()
        pm = QPixmap(int(self.width() * dpr), int(self.height() * dpr))
        pm.setDevicePixelRatio(dpr)
        pm.fill(Qt.GlobalColor.transparent)
        sc = self.view.graph_scene()
        p = QPainter(pm)
        style = sc.style
        panel = QColor(style.background)
        panel.setAlphaF(0.92)
        p.setPen(QPen(style.node_border, 1))
        p.setBrush(panel)
        p.drawRoundedRect(QRectF(0.5, 0.5, self.width() - 1, self.height() - 1), 5, 5)
        k, ox, oy = self._scale()
        r0 = self._rect
        x0, y0 = ox - r0.left() * k, oy - r0.top() * k
        boxes: dict[str, list[QRectF]] = {}
        centre: dict[str, tuple[float, float, float, float]] = {}
        for nid, item in sc.node_items.items():
            pos, w, h = item.pos(), item.width, item.height
            left, top = x0 + pos.x() * k, y0 + pos.y() * k
            centre[nid] = (left + w * k / 2, top, top + h * k, 0.0)
            color = style.error.name() if item.severity == "error" else style.category_color(item.category).name()
            boxes.setdefault(color, []).append(QRectF(left, top, max(2.0, w * k), max(1.5, h * k)))
        lines = []
        for e in sc.edge_items:
            a, b = centre.get(e.src), centre.get(e.dst)
            if a is not None and b is not None:
                lines.append(QLineF(a[0], a[2], b[0], b[1]))
        p.setPen(QPen(QColor(style.edge), 0))
        p.drawLines(lines)
        p.setPen(Qt.PenStyle.NoPen)
        for color, rects in boxes.items():
            p.setBrush(QColor(color))
            p.drawRects(rects)
        p.end()
        return pm

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._rect.isEmpty():
            return
        if self._pixmap is None or self._pixmap.width() != int(self.width() * self.devicePixelRatioF()):
            self._pixmap = self._draw_graph()
        p = QPainter(self)
        p.drawPixmap(0, 0, self._pixmap)
        shown = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        frame = self.to_panel(shown).intersected(QRectF(1, 1, self.width() - 2, self.height() - 2))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        sel = QColor(self.view.graph_scene().style.selection)
        p.setPen(QPen(sel, 1.5))
        sel.setAlphaF(0.15)
        p.setBrush(sel)
        p.drawRect(frame)
        p.end()

    # ---- mouse ------------------------------------------------------------------------------------
    def _go(self, event: QMouseEvent) -> None:
        self.view.centerOn(self.to_scene(event.position()))
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._go(event)
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event)
        else:
            super().mouseMoveEvent(event)

    def wheelEvent(self, event: Any) -> None:
        self.view.wheelEvent(event)
