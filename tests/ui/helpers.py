"""Shared helpers for the editor tests: scene <-> viewport positions, snapshots of model and scene."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from graphlab.io import dumps


def show_all(w: Any) -> None:
    """Actual size, centred on the nodes (the tests' graphs fit in the viewport)."""
    w.view.resetTransform()
    w.view.centerOn(w.scene.itemsBoundingRect().center())


def port_point(w: Any, node_id: str, kind: str, port: int = 0) -> QPoint:
    item = w.scene.node_items[node_id]
    return w.view.mapFromScene(item.port_scene_pos(kind, port))


def drag(w: Any, a: QPoint, b: QPoint, steps: int = 6) -> None:
    vp = w.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for i in range(1, steps + 1):
        QTest.mouseMove(vp, a + (b - a) * (i / steps))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)


def snapshot(w: Any) -> str:
    """The document as its file text: equal snapshots mean equal graphs, in file order."""
    return dumps(w.document.graph)


def scene_matches_model(w: Any) -> None:
    g = w.document.graph
    assert set(w.scene.node_items) == set(g.nodes)
    for nid, item in w.scene.node_items.items():
        assert (item.pos().x(), item.pos().y()) == g.nodes[nid].pos
    live = {e for e in g.edges if e.src in g.nodes and e.dst in g.nodes}
    assert set(w.scene.edge_items) == live


def focus(qtbot: Any, widget: Any) -> None:
    """Give a widget keyboard focus the way a click would (after pending layouts and shows)."""
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    top = widget.window()
    if not top.isActiveWindow():  # a popup (quick add) may have taken activation
        top.activateWindow()
        qtbot.waitUntil(top.isActiveWindow, timeout=2000)
    widget.setFocus(Qt.FocusReason.MouseFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=2000)
