"""Copy, paste and duplicate, and where a paste lands.

Copy puts the selected nodes (with the edges between them) on the system clipboard as JSON, under
MIME ``application/x-graphlab-nodes`` and as text. Paste adds copies with fresh ids as one undo
step, keeping their relative positions, with the group's top-left corner at the mouse cursor — the
last position the mouse had over the canvas — or at the centre of the canvas when the mouse is not
over it (a paste from the Edit menu). Pasting again at the same spot steps each copy 40 px further
so copies do not hide each other. Duplicate (Ctrl+D) copies in place, 40 px down and right.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QMimeData, QObject, QPointF
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QGraphicsView

from ..io.values import position
from .controller import CLIP_MIME

if TYPE_CHECKING:
    from .main_window import MainWindow

GRID = 10.0
STEP = 40.0


class CursorTracker(QObject):
    """Remembers where the mouse last was over a view's viewport; forgets it when the mouse leaves."""

    def __init__(self, view: QGraphicsView) -> None:
        super().__init__(view)
        self.view = view
        self.last: QPointF | None = None  # viewport coordinates
        view.viewport().installEventFilter(self)

    def eventFilter(self, obj: Any, event: QEvent) -> bool:
        t = event.type()
        if t in (QEvent.Type.MouseMove, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
                 QEvent.Type.DragMove, QEvent.Type.Drop):
            self.last = QPointF(event.position())  # type: ignore[attr-defined]
        elif t in (QEvent.Type.Leave, QEvent.Type.DragLeave):
            self.last = None
        return False

    def scene_pos(self) -> QPointF:
        """The scene position under the mouse, or the view's centre when the mouse is elsewhere."""
        vp = self.view.viewport()
        if self.last is not None and vp.rect().contains(self.last.toPoint()):
            return self.view.mapToScene(self.last.toPoint())
        return self.view.mapToScene(vp.rect().center())


def _snap(v: float) -> float:
    return round(v / GRID) * GRID


class Clipboard(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.cursor = CursorTracker(window.view)
        self._last_target: tuple[float, float] | None = None
        self._repeats = 0

    def copy(self) -> bool:
        ids = self.w.scene.selected_node_ids()
        if not ids:
            return False
        c = self.w.controller
        raw = c.encode(c.copy_data(ids))
        md = QMimeData()
        md.setData(CLIP_MIME, raw)
        md.setText(raw.decode("utf-8"))
        QGuiApplication.clipboard().setMimeData(md)
        self._last_target = None
        self.w.show_hint(f"copied {len(ids)} node{'s' * (len(ids) != 1)}")
        return True

    def _read(self) -> dict[str, Any] | None:
        md = QGuiApplication.clipboard().mimeData()
        if md is None:
            return None
        if md.hasFormat(CLIP_MIME):
            raw = bytes(md.data(CLIP_MIME).data())
        elif md.hasText():
            raw = md.text().encode("utf-8")
        else:
            return None
        return self.w.controller.decode(raw) if raw else None

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Paste with the group's top-left at ``at`` (scene), by default under the mouse cursor."""
        data = self._read()
        if data is None:
            self.w.show_hint("nothing to paste: copy some nodes first")
            return []
        corner = _corner(data)
        target = at if at is not None else self.cursor.scene_pos()
        tx, ty = _snap(target.x()), _snap(target.y())
        self._repeats = self._repeats + 1 if self._last_target == (tx, ty) else 0
        self._last_target = (tx, ty)
        step = STEP * self._repeats
        ids = self.w.controller.paste(data, offset=(tx + step - corner[0], ty + step - corner[1]))
        self.w.scene.select_nodes(ids)
        return ids

    def duplicate(self) -> list[str]:
        ids = self.w.controller.duplicate(self.w.scene.selected_node_ids())
        self.w.scene.select_nodes(ids)
        return ids


def _corner(data: dict[str, Any]) -> tuple[float, float]:
    """The top-left of the clipboard's node positions (0, 0 when none can be read)."""
    xs, ys = [], []
    for raw in data.get("nodes", []):
        pos = position(raw.get("pos", (0, 0))) if isinstance(raw, dict) else None
        if pos is None:  # not two finite numbers ("nan", 1e999): the controller refuses the paste
            continue
        xs.append(pos[0])
        ys.append(pos[1])
    return (min(xs), min(ys)) if xs else (0.0, 0.0)
