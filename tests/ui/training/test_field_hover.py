"""The Node dock's Images tab: hovering a feature map's pixel outlines that unit's receptive field on
the probe sample, which is shown with the feature maps (issue 17)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from ...conftest import EXAMPLES


def test_hovering_a_feature_map_pixel_draws_its_field_on_the_probe(make_window, qtbot):
    w = make_window(EXAMPLES / "digits_cnn.graphlab.json")
    ui = w.training.ui
    w.workspace.set("train")
    ui.node_dock.show()
    ui.node_dock.raise_()
    w.scene.select_nodes(["pool"])  # 32×4×4, a 6×6 field with stride 2 in the 8×8 image
    ui.node.tabs.setCurrentIndex(3)  # Images: made by the worker from the seeded initial weights
    probe, maps = ui.node.mosaics["probe"], ui.node.mosaics["feature_maps"]
    qtbot.waitUntil(lambda: probe.count == 1 and maps.count > 0, timeout=60_000)
    assert probe.isVisibleTo(ui.node) and probe.tile_shape == (8, 8) and maps.tile_shape == (4, 4)
    qtbot.waitUntil(lambda: maps.isVisible() and maps.width() > 50, timeout=10_000)

    # the mouse over channel 3, unit (2, 1): rows 2·2−2 … +5, columns 1·2−2 … +5 (clipped to 0..7)
    r = maps.tile_rect(3)
    at = QPointF(r.left() + 1.5 * r.width() / 4, r.top() + 2.5 * r.height() / 4)
    assert maps.pixel_at(at) == (3, 2, 1)
    move = QMouseEvent(QEvent.Type.MouseMove, at, maps.mapToGlobal(at), Qt.MouseButton.NoButton,
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(maps, move)  # what moving the mouse there delivers
    rf = w.document.analysis.nodes["pool"].rf
    top, left, bottom, right = rf.rows(2, 1)
    assert (top, left, bottom, right) == (2, 0, 7, 5)
    assert probe.boxes[0] == (2, 0, 7, 5) and maps.boxes == {3: (2, 1, 2, 1)}
    assert "unit (2, 1)" in ui.node.field_note.text() and "6×6" in ui.node.field_note.text()

    # a corner unit's field runs past the image: clipped, and the note says so
    ui.node.show_field(0, 0, 0)
    assert probe.boxes[0] == (0, 0, 3, 3) and "clipped" in ui.node.field_note.text()
    ui.node.show_field(-1, -1, -1)  # the mouse left
    assert not probe.boxes and not maps.boxes and ui.node.field_note.text() == ""
