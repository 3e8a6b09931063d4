"""Mouse and keyboard on the canvas: drop from the palette, connect ports, refuse bad edges, move, keys."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtTest import QTest

from graphlab.core import analyze
from graphlab.core.layers._common import fmt
from graphlab.ui.scene.view import LAYER_MIME

from .helpers import drag, port_point, scene_matches_model, show_all


def test_drop_from_palette_adds_node_where_it_lands(make_window, qtbot):
    w = make_window()
    # the palette's own drag data, so the test checks what a real drag carries
    pal = w.layer_palette
    md = pal.tree.mimeData([pal.items["Conv2d"]])
    assert bytes(md.data(LAYER_MIME).data()) == b"Conv2d"
    target = QPoint(300, 200)
    ev = QDropEvent(QPointF(target), Qt.DropAction.CopyAction, md, Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier)
    w.view.dropEvent(ev)
    assert ev.isAccepted()
    (nid,) = w.document.graph.nodes
    node = w.document.graph.nodes[nid]
    assert node.type == "Conv2d"
    where = w.view.mapToScene(target)
    assert abs(node.pos[0] - where.x()) <= 5 and abs(node.pos[1] - where.y()) <= 5
    assert w.scene.selected_node_ids() == [nid]
    assert w.inspector.node_id == nid
    w.undo_stack.undo()
    assert not w.document.graph.nodes and not w.scene.node_items


def test_palette_search_filters_by_name_and_category(make_window):
    w = make_window()
    w.layer_palette.search.setText("pool")
    assert set(w.layer_palette.visible_types()) == {"MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"}
    w.layer_palette.search.setText("recurrent")
    assert set(w.layer_palette.visible_types()) == {"RNN", "LSTM", "GRU"}
    w.layer_palette.search.setText("")
    assert len(w.layer_palette.visible_types()) == len(w.layer_palette.items)


def test_connect_two_ports_with_the_mouse(make_window):
    w = make_window()
    c = w.controller
    a = c.add_node("Input", (0, 0), {"shape": [3, 8, 8]})
    b = c.add_node("Conv2d", (260, 40), {"out_channels": 4, "kernel_size": 3})
    w.live.flush()
    show_all(w)
    drag(w, port_point(w, a, "out"), port_point(w, b, "in", 0))
    assert [(e.src, e.dst, e.port) for e in w.document.graph.edges] == [(a, b, 0)]
    w.live.flush()
    (item,) = w.scene.edge_items.values()
    assert item.label == "3×8×8"
    assert w.scene.node_items[b].shape_text == "→ 4×6×6"
    # the reverse direction (input port to output port) works too
    r = c.add_node("ReLU", (520, 40))
    w.live.flush()
    show_all(w)
    drag(w, port_point(w, r, "in", 0), port_point(w, b, "out"))
    assert w.document.graph.inputs_of(r)[0].src == b
    scene_matches_model(w)


def test_cycle_is_refused_with_a_visible_hint(make_window):
    w = make_window()
    c = w.controller
    l1 = c.add_node("Linear", (0, 0))
    l2 = c.add_node("Linear", (260, 0))
    assert c.connect(l1, l2, 0)
    w.live.flush()
    show_all(w)
    before = list(w.document.graph.edges)
    vp = w.view.viewport()
    a, b = port_point(w, l2, "out"), port_point(w, l1, "in", 0)
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    QTest.mouseMove(vp, (a + b) / 2)
    QTest.mouseMove(vp, b)
    line = w.view._edge.line
    assert line.pen().color() == w.scene.style.error  # red while over the refused port
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
    assert w.document.graph.edges == before
    assert "cycle" in w.statusBar().currentMessage()
    assert line.scene() is w.scene  # the red line stays up for a moment


def test_occupied_one_input_port_is_refused(make_window):
    w = make_window()
    c = w.controller
    i1 = c.add_node("Input", (0, 0))
    i2 = c.add_node("Input", (0, 150))
    r = c.add_node("ReLU", (260, 0))
    c.connect(i1, r, 0)
    w.live.flush()
    show_all(w)
    drag(w, port_point(w, i2, "out"), port_point(w, r, "in", 0))
    assert len(w.document.graph.edges) == 1
    assert "already connected" in w.statusBar().currentMessage()


def test_variadic_node_shows_a_free_port(make_window):
    w = make_window()
    c = w.controller
    i1 = c.add_node("Input", (0, 0), {"shape": [4]})
    i2 = c.add_node("Input", (0, 150), {"shape": [4]})
    i3 = c.add_node("Input", (0, 300), {"shape": [4]})
    add = c.add_node("Add", (260, 100))
    w.live.flush()
    show_all(w)
    assert w.scene.node_items[add].n_inputs == 2
    drag(w, port_point(w, i1, "out"), port_point(w, add, "in", 0))
    drag(w, port_point(w, i2, "out"), port_point(w, add, "in", 1))
    w.live.flush()
    assert w.scene.node_items[add].n_inputs == 3  # two connected + one free
    drag(w, port_point(w, i3, "out"), port_point(w, add, "in", 2))
    w.live.flush()
    assert [e.port for e in w.document.graph.inputs_of(add)] == [0, 1, 2]
    assert w.scene.node_items[add].shape_text == "→ 4"


def test_drag_a_node_is_one_undoable_move(make_window):
    w = make_window()
    n = w.controller.add_node("ReLU", (0, 0))
    w.live.flush()
    show_all(w)
    item = w.scene.node_items[n]
    start = w.view.mapFromScene(item.mapToScene(60, 40))
    drag(w, start, start + QPoint(80, 30), steps=10)
    scale = w.view.transform().m11()
    x, y = w.document.graph.nodes[n].pos
    assert abs(x - 80 / scale) < 2 and abs(y - 30 / scale) < 2
    assert w.undo_stack.count() == 2  # add + one move, however many mouse-move events
    w.undo_stack.undo()
    assert w.document.graph.nodes[n].pos == (0.0, 0.0)
    assert (item.pos().x(), item.pos().y()) == (0.0, 0.0)


def test_delete_key_and_select_all(make_window):
    w = make_window()
    c = w.controller
    a = c.add_node("Input", (0, 0))
    b = c.add_node("ReLU", (260, 0))
    c.connect(a, b)
    w.view.setFocus()
    w.scene.select_nodes([b])
    QTest.keyClick(w.view, Qt.Key.Key_Delete)
    assert list(w.document.graph.nodes) == [a] and not w.document.graph.edges
    w.undo_stack.undo()
    QTest.keyClick(w.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert set(w.scene.selected_node_ids()) == {a, b}
    QTest.keyClick(w.view, Qt.Key.Key_Backspace)
    assert not w.document.graph.nodes
    scene_matches_model(w)


def test_rubber_band_and_ctrl_click_selection(make_window):
    w = make_window()
    c = w.controller
    ids = [c.add_node("ReLU", (i * 200, 0)) for i in range(3)]
    w.live.flush()
    w.view.resetTransform()
    w.view.centerOn(200, 30)
    vp = w.view.viewport()
    a = w.view.mapFromScene(QPointF(-40, -40))
    b = w.view.mapFromScene(QPointF(340, 120))
    drag(w, a, b)
    assert set(w.scene.selected_node_ids()) == set(ids[:2])
    third = w.view.mapFromScene(w.scene.node_items[ids[2]].mapToScene(60, 40))
    QTest.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, third)
    assert set(w.scene.selected_node_ids()) == set(ids)


def test_quick_add_with_tab_and_enter(make_window, qtbot):
    w = make_window()
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_Tab)
    assert w.quick.isVisible()
    QTest.keyClicks(w.quick.edit, "lst")
    assert w.quick.list.currentItem().data(Qt.ItemDataRole.UserRole + 1) == "LSTM"
    QTest.keyClick(w.quick.edit, Qt.Key.Key_Return)
    assert [n.type for n in w.document.graph.nodes.values()] == ["LSTM"]
    assert not w.quick.isVisible()


def test_wheel_zooms_and_problem_click_reveals_node(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    s0 = w.view.transform().m11()
    w.view.zoom(1.5)
    assert abs(w.view.transform().m11() - s0 * 1.5) < 1e-6
    w.controller.set_param("fc2", "out_features", 0)  # out of range: an error on fc2
    w.live.flush()
    assert w.problems.count() >= 1
    item = next(w.problems.item(i) for i in range(w.problems.count()) if "fc2" in w.problems.item(i).text())
    w.problems.itemClicked.emit(item)
    assert w.scene.selected_node_ids() == ["fc2"]
    center = w.view.mapToScene(w.view.viewport().rect().center())
    assert w.scene.node_items["fc2"].sceneBoundingRect().adjusted(-20, -20, 20, 20).contains(center)


def test_edge_labels_and_errors_match_the_analysis(make_window, examples_dir):
    w = make_window(examples_dir / "resnet_block.graphlab.json")
    a = analyze(w.document.graph)
    for edge, item in w.scene.edge_items.items():
        assert item.label == fmt(a.nodes[edge.src].shape)
    for nid, item in w.scene.node_items.items():
        assert item.severity == ("error" if not a.nodes[nid].ok else item.severity)
