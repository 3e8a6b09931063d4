"""Mouse gestures as small objects with start / move / end / cancel (not branches in mousePressEvent).

``NewEdgeInteraction``: press on a port, drag, release on a port of another node. Either end may be
the output: a drag that starts on an input port looks for an output port. While dragging, the
temporary curve is green over an allowed target, red (with the reason as a tooltip and in the
status bar) over a refused one; releasing on a refused target leaves the red curve up for a moment.

Lifetime: the view drops its reference to the interaction on release, so the delayed removal of the
red curve must not depend on that Python object surviving by itself. PySide6 keeps no reference to
a bound method handed to ``QTimer.singleShot`` (the object was freed and the call ran on freed
memory: a segfault ~0.9 s after every refused connection). The removal timer is therefore a child
of the view (it dies with the view and never fires after it) whose slot is a closure that owns the
interaction until it has run.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem, QToolTip

from .edge_item import bezier
from .node_item import NodeItem

if TYPE_CHECKING:
    from .view import CanvasView

REFUSED_LINE_MS = 900


class NewEdgeInteraction:
    def __init__(self, view: CanvasView, item: NodeItem, kind: str, port: int,
                 check: Callable[[str, str, int], str | None], commit: Callable[[str, str, int], bool],
                 hint: Callable[[str], None]) -> None:
        self.view, self.item, self.kind, self.port = view, item, kind, port
        self.check, self.commit, self.hint = check, commit, hint
        self.anchor = item.port_scene_pos(kind, port)
        self.line = QGraphicsPathItem()
        self.line.setZValue(5)
        self._set_color(None)
        view.scene().addItem(self.line)
        self.move(self.anchor)

    def _set_color(self, ok: bool | None) -> None:
        style = self.view.scene().style
        color = style.edge if ok is None else (style.ok_hint if ok else style.error)
        pen = QPen(color, 2)
        pen.setStyle(Qt.PenStyle.DashLine if ok is None else Qt.PenStyle.SolidLine)
        self.line.setPen(pen)

    def target(self, scene_pos: QPointF) -> tuple[str, str, int, str | None] | None:
        """(src, dst, port, refusal or None) for the port under scene_pos, or None."""
        for it in self.view.scene().items(scene_pos):
            if not isinstance(it, NodeItem):
                continue
            hit = it.port_at(scene_pos)
            if hit is None or it is self.item:
                if it is self.item:
                    return None
                continue
            kind, port = hit
            if kind == self.kind:
                return None
            if self.kind == "out":
                src, dst, dport = self.item.node_id, it.node_id, port
            else:
                src, dst, dport = it.node_id, self.item.node_id, self.port
            return src, dst, dport, self.check(src, dst, dport)
        return None

    def move(self, scene_pos: QPointF) -> None:
        t = self.target(scene_pos)
        end = scene_pos
        if t is not None:
            src, dst, port, reason = t
            other = dst if self.kind == "out" else src
            it = self.view.scene().node_items[other]
            end = it.port_scene_pos("in", port) if self.kind == "out" else it.port_scene_pos("out")
            self._set_color(reason is None)
            if reason:
                QToolTip.showText(self.view.mapToGlobal(self.view.mapFromScene(scene_pos)), reason, self.view)
                self.hint(reason)
        else:
            self._set_color(None)
            QToolTip.hideText()
        a, b = (self.anchor, end) if self.kind == "out" else (end, self.anchor)
        self.line.setPath(bezier(a, b))

    def end(self, scene_pos: QPointF) -> bool:
        t = self.target(scene_pos)
        QToolTip.hideText()
        if t is None:
            self.cancel()
            return False
        src, dst, port, reason = t
        if reason is not None:
            self.hint(reason)
            self._expire_later(REFUSED_LINE_MS)
            return False
        self.cancel()
        return self.commit(src, dst, port)

    def _expire_later(self, ms: int) -> None:
        timer = QTimer(self.view)  # owned by the view: never fires after the view is gone
        timer.setSingleShot(True)

        def expire() -> None:  # a closure, held by the connection: keeps this interaction alive
            self.cancel()
            timer.deleteLater()

        timer.timeout.connect(expire)
        timer.start(ms)

    def cancel(self) -> None:
        try:
            if self.line.scene() is not None:
                self.line.scene().removeItem(self.line)
        except RuntimeError:  # the scene went away first (window closed)
            pass
