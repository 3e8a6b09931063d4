"""The issue's "done when", by mouse and keyboard only: open an example, drag in a Conv2d, wire it,
see shapes propagate, make an error appear and go away, undo it all, save."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

from graphlab.io import load

from .helpers import drag, port_point, snapshot


def test_new_user_session(make_window, examples_dir, tmp_path):
    w = make_window(examples_dir / "two_layer_net.graphlab.json")
    g = w.document.graph
    original = snapshot(w)
    first = next(iter(g.nodes))  # the Input node
    assert g.nodes[first].type == "Input"
    # drop a Conv2d from the palette below the input
    w.view.resetTransform()
    w.view.centerOn(w.scene.node_items[first].sceneBoundingRect().center() + QPointF(250, 100))
    md = w.layer_palette.tree.mimeData([w.layer_palette.items["Conv2d"]])
    drop_at = w.view.mapFromScene(w.scene.node_items[first].pos() + QPointF(230, 160))
    w.view.dropEvent(QDropEvent(QPointF(drop_at), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))
    (conv,) = [n for n in g.nodes if g.nodes[n].type == "Conv2d"]
    w.live.flush()
    # wire input -> conv with the mouse: the input is a vector here, so the conv reports an error
    drag(w, port_point(w, first, "out"), port_point(w, conv, "in", 0))
    w.live.flush()
    assert (first, conv) in [(e.src, e.dst) for e in g.edges]
    item = w.scene.node_items[conv]
    assert w.live.analysis.nodes[first].shape == (2,)  # this example's input is a 2-D point
    assert item.severity == "error" and "Conv2d" in item.message  # a clear error on the conv node only
    # make the input an image: shapes propagate to the conv, its error goes away
    w.scene.select_nodes([first])
    shape_edit = w.inspector.editors["shape"].widget
    shape_edit.setText("3, 32, 32")
    shape_edit.editingFinished.emit()
    w.live.flush()
    assert item.severity == "" and item.shape_text == "→ 8×30×30"
    edge = next(e for e in w.scene.edge_items if e.dst == conv)
    assert w.scene.edge_items[edge].label == "3×32×32"
    # an error appears (kernel larger than the image) and goes away with the keyboard (spin box)
    w.scene.select_nodes([conv])
    box = w.inspector.editors["kernel_size"].boxes[0]
    box.setValue(40)
    w.live.flush()
    assert item.severity == "error" and w.status.text().startswith("✗")
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, "3")
    QTest.keyClick(box, Qt.Key.Key_Return)
    w.live.flush()
    assert item.severity == ""
    # undo it all with Ctrl+Z on the canvas
    w.view.setFocus()
    while w.undo_stack.canUndo():
        QTest.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    w.live.flush()
    assert snapshot(w) == original and not w.isWindowModified()
    # redo one step and save with Ctrl+S
    QTest.keyClick(w.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert w.isWindowModified()
    QTest.keyClick(w.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not w.isWindowModified()
    assert [n.type for n in load(w.path).nodes.values()].count("Conv2d") == 1


def test_dropping_a_file_on_the_canvas_opens_it(make_window, examples_dir, tmp_path):
    w = make_window()
    target = tmp_path / "dropped.graphlab.json"
    target.write_bytes((examples_dir / "lenet5.graphlab.json").read_bytes())
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(target))])
    w.view.dropEvent(QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                                Qt.KeyboardModifier.NoModifier))
    assert w.document.graph.name == "LeNet-5" and "dropped.graphlab.json" in w.windowTitle()


def test_middle_drag_and_space_drag_pan(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    vp = w.view.viewport()
    before = w.view.mapToScene(vp.rect().center())
    QTest.mousePress(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 300))
    QTest.mouseMove(vp, QPoint(200, 250))
    QTest.mouseRelease(vp, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(200, 250))
    after = w.view.mapToScene(vp.rect().center())
    scale = w.view.transform().m11()
    assert abs((after.x() - before.x()) * scale - 100) < 2 and abs((after.y() - before.y()) * scale - 50) < 2
    w.view.setFocus()
    QTest.keyPress(w.view, Qt.Key.Key_Space)
    drag(w, QPoint(200, 250), QPoint(260, 250))
    QTest.keyRelease(w.view, Qt.Key.Key_Space)
    again = w.view.mapToScene(vp.rect().center())
    assert abs((before.x() - again.x()) * scale - (-100 + 60)) < 2
    assert not w.undo_stack.count()  # panning never edits the graph
