"""The canvas overlay channel (issue 7, B5): view state that is not part of the document."""
from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage

from graphlab.core import Graph
from graphlab.core.graph import Edge
from graphlab.io import dumps
from graphlab.ui.scene.node_item import NodeItem
from graphlab.ui.scene.overlay_items import CaptionItem
from graphlab.ui.scene.style import heat_color


def settle(qtbot: Any) -> None:
    for _ in range(3):
        qtbot.wait(5)


def render(w: Any) -> QImage:
    return w.view.viewport().grab().toImage()


def region(img: QImage, w: Any, nid: str, margin: int = 60) -> QImage:
    item = w.scene.node_items[nid]
    r = w.view.mapFromScene(item.sceneBoundingRect()).boundingRect().adjusted(-margin, -margin, margin, margin)
    return img.copy(r.intersected(QRect(0, 0, img.width(), img.height())))


def paint_everything(w: Any) -> None:
    ov = w.scene.overlay
    ov.set_node("conv1", "training", badge="3.1e-4", badge_color="#3070c0", heat=0.9,
                marks=["62% of units dead (zero for every sample)"])
    ov.set_node("relu1", "stepper", highlight=True)
    edge = next(e for e in w.document.graph.edges if e.src == "conv1")
    ov.set_edge(edge, "stepper", value="μ=0.12", grad="‖∂L‖=3e-3")
    return edge


def test_overlay_changes_neither_document_nor_undo_nor_modified_mark(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    before, rev, count = dumps(w.document.graph), w.document.graph.revision, w.undo_stack.count()
    assert not w.isWindowModified()
    paint_everything(w)
    w.scene.overlay.clear("training")
    paint_everything(w)
    assert dumps(w.document.graph) == before and w.document.graph.revision == rev
    assert w.undo_stack.count() == count and w.undo_stack.isClean()
    assert not w.isWindowModified()


def test_overlay_shows_and_clearing_restores_the_plain_look(make_window, examples_dir, qtbot):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.view.set_scale(1.0)
    w.view.center_on_node("relu1")
    settle(qtbot)
    plain = render(w)
    edge = paint_everything(w)
    settle(qtbot)
    painted = render(w)
    for nid in ("conv1", "relu1"):
        assert region(painted, w, nid) != region(plain, w, nid), nid
    look = w.scene.overlay.look("conv1")
    assert look.fill == heat_color(0.9) and look.badge == "3.1e-4" and look.badge_color == QColor("#3070c0")
    assert w.scene.node_items["conv1"].tinted
    assert "62% of units dead" in w.scene.node_items["conv1"].toolTip()  # the mark's reason, on hover
    assert w.scene.overlay.look("relu1").outline is True  # drawn in the style's highlight colour
    cap = w.scene.overlay.caption_for(edge)
    assert (cap.value, cap.grad) == ("μ=0.12", "‖∂L‖=3e-3")
    v, g = cap.rects()
    assert cap.isVisible() and not v.isEmpty() and not g.isEmpty() and not v.intersects(g)
    # value over gradient, or (where two lines do not fit between the rows) value, then gradient
    assert g.top() >= v.bottom() if cap.stacked else g.left() >= v.right()
    w.scene.overlay.clear("training")
    w.scene.overlay.clear("stepper")
    settle(qtbot)
    assert render(w) == plain
    assert not [i for i in w.scene.items() if isinstance(i, CaptionItem)] and not w.scene.overlay.looks
    assert "62%" not in w.scene.node_items["conv1"].toolTip()


def test_owners_keep_their_own_state(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    ov = w.scene.overlay
    ov.set_node("conv1", "training", badge="1e-3")
    ov.set_node("conv1", "stepper", highlight=True, badge="step")
    assert ov.node_view("conv1")["badge"] == "step"  # the later owner wins by default
    ov.set_priority("training", 5)
    assert ov.node_view("conv1")["badge"] == "1e-3"
    ov.clear("stepper")
    assert ov.node_view("conv1") == {"badge": "1e-3"}  # the trainer's badge stays
    ov.set_node("conv1", "training", badge=None)
    assert ov.node_view("conv1") == {} and ov.look("conv1") is None


def test_keywords_left_out_keep_their_value_and_none_removes(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    ov = w.scene.overlay
    ov.set_node("fc1", "training", badge="a", heat=0.2)
    ov.set_node("fc1", "training", badge="b")
    assert ov.node_view("fc1") == {"badge": "b", "heat": 0.2}
    ov.set_node("fc1", "training", heat=None)
    assert ov.node_view("fc1") == {"badge": "b"}
    assert not w.scene.node_items["fc1"].tinted
    with pytest.raises(ValueError):
        ov.set_node("fc1", "training", badge_color="not a colour")
    with pytest.raises(TypeError):
        ov.set_nodes("training", {"fc1": {"colour": "red"}})
    ov.set_node("no_such_node", "training", badge="x")  # ignored: the caller may be a step behind
    assert ov.node_view("no_such_node") == {}


def test_overlay_survives_edits_and_leaves_with_its_node(make_window, examples_dir, qtbot):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    ov = w.scene.overlay
    ov.set_node("conv2", "training", badge="x", heat=0.5)
    edge = Edge("conv2", "relu2", 0)
    ov.set_edge(edge, "stepper", value="1", grad="2")
    w.controller.set_param("conv2", "out_channels", 20)
    w.live.flush()
    assert ov.node_view("conv2")["badge"] == "x" and ov.look("conv2").badge == "x"
    w.controller.delete(["conv2"], [])
    w.live.flush()
    assert ov.node_view("conv2") == {} and ov.edge_view(edge) == {}
    w.undo_stack.undo()
    w.live.flush()
    assert "conv2" in w.scene.node_items and ov.node_view("conv2") == {}  # back, plain
    assert ov.look("conv2") is None and not w.scene.node_items["conv2"].tinted
    settle(qtbot)


def test_a_new_document_starts_plain(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.scene.overlay.set_node("conv1", "training", badge="x")
    w.new_file()
    assert w.scene.overlay.owners() == set()


def test_badge_updates_make_no_items_and_never_repaint_the_cards(make_window, qtbot):
    w = make_window()
    g = Graph("many")
    prev = g.add_node("Input", {"shape": [8]}, (0, 0)).id
    for i in range(1, 1000):
        n = g.add_node("ReLU", {}, ((i % 25) * 228.0, (i // 25) * 112.0)).id
        g.connect(prev, n)
        prev = n
    w.set_document(g, None)
    w.live.flush()
    w.view.fit_all()
    settle(qtbot)
    ov = w.scene.overlay
    ov.set_nodes("training", {n: {"badge": "0.0", "heat": 0.1} for n in g.nodes})
    settle(qtbot)
    n_items = len(w.scene.items())
    cards: list[NodeItem] = list(w.scene.node_items.values())
    paints = sum(c.paints for c in cards)
    assert paints >= len(cards)  # each card drew (into its cache) at least once
    for step in range(3):
        ov.set_nodes("training", {n: {"badge": f"{step + 1}.{i % 10}", "heat": (i % 7) / 7}
                                  for i, n in enumerate(g.nodes)})
        settle(qtbot)
    assert len(w.scene.items()) == n_items  # nothing made, nothing dropped
    assert sum(c.paints for c in cards) == paints  # the cards' cached drawing was never redone
    assert ov.look(prev).badge == "3.9"


def test_heat_colour_scale_ends_and_clamps():
    assert heat_color(0.0) != heat_color(1.0)
    assert heat_color(-5) == heat_color(0.0) and heat_color(7) == heat_color(1.0)
    assert isinstance(heat_color(float("nan")), QColor)


def test_a_dragged_card_takes_its_overlay_along_and_leaves_nothing_behind(make_window, examples_dir, qtbot):
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QGuiApplication

    def shown() -> QImage:  # the backing store: what partial repaints left on screen
        vp = w.view.viewport()
        g = vp.mapToGlobal(QPoint(0, 0))
        return QGuiApplication.primaryScreen().grabWindow(0, g.x(), g.y(), vp.width(), vp.height()).toImage()

    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.view.set_scale(1.0)
    w.view.center_on_node("relu1")
    w.scene.overlay.set_node("relu1", "training", badge="4.2e-3", heat=0.3, highlight="#00a0ff", marks=["why"])
    settle(qtbot)
    item = w.scene.node_items["relu1"]
    p = item.pos()
    for k in range(1, 6):  # what a mouse drag does: setPos on the item, frame by frame
        item.setPos(QPointF(p.x() + 23 * k, p.y() + 7 * k))
        settle(qtbot)
    after = shown()
    w.view.viewport().update()
    settle(qtbot)
    assert after == shown()
