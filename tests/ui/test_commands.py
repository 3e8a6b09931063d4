"""Undo/redo of every command kind: after undo the file text is what it was, after redo what it became,
and the scene mirrors the model each time."""
from __future__ import annotations

from graphlab.core.layout import layered_positions
from graphlab.io import dumps

from .helpers import scene_matches_model, snapshot


def round_trip(w, action) -> None:
    before = snapshot(w)
    n = w.undo_stack.index()
    action()
    after = snapshot(w)
    assert after != before, "the action changed nothing"
    assert w.undo_stack.index() == n + 1 and w.undo_stack.count() == n + 1, "one user action must be one undo step"
    scene_matches_model(w)
    w.undo_stack.undo()
    assert snapshot(w) == before
    scene_matches_model(w)
    w.undo_stack.redo()
    assert snapshot(w) == after
    scene_matches_model(w)
    w.undo_stack.undo()
    assert snapshot(w) == before
    w.live.flush()


def test_add_node(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    round_trip(w, lambda: w.controller.add_node("Dropout", (50, 300), {"p": 0.25}))


def test_delete_nodes_restores_edges_and_file_order(make_window, examples_dir):
    w = make_window(examples_dir / "resnet_block.graphlab.json")
    ids = list(w.document.graph.nodes)
    middle = ids[2:4]
    round_trip(w, lambda: w.controller.delete(middle))
    assert list(w.document.graph.nodes) == ids


def test_delete_a_selected_edge(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    edge = w.document.graph.edges[3]
    w.scene.clearSelection()
    w.scene.edge_items[edge].setSelected(True)
    round_trip(w, w.delete_selection)


def test_connect_and_disconnect(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    edge = w.document.graph.edges[-1]
    round_trip(w, lambda: w.controller.disconnect(edge))
    w.controller.disconnect(edge)
    round_trip(w, lambda: w.controller.connect(edge.src, edge.dst, edge.port))


def test_set_param_and_init(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    round_trip(w, lambda: w.controller.set_param("conv1", "out_channels", 12))
    round_trip(w, lambda: w.controller.set_param("conv1", "padding", None))  # back to default
    round_trip(w, lambda: w.controller.set_param("conv1", "init", "kaiming"))


def test_param_changes_in_quick_succession_merge(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    before = snapshot(w)
    for v in (7, 8, 9, 10):
        w.controller.set_param("conv1", "out_channels", v)
    assert w.undo_stack.count() == 1
    assert w.document.graph.nodes["conv1"].params["out_channels"] == 10
    w.controller.set_param("conv2", "out_channels", 20)  # another node: a new step
    assert w.undo_stack.count() == 2
    w.undo_stack.undo()
    w.undo_stack.undo()
    assert snapshot(w) == before


def test_move_and_auto_layout(make_window, examples_dir):
    w = make_window(examples_dir / "resnet_block.graphlab.json")
    old = w.document.graph.nodes["input"].pos if "input" in w.document.graph.nodes else next(iter(w.document.graph.nodes.values())).pos
    nid = next(iter(w.document.graph.nodes))
    round_trip(w, lambda: w.controller.move_nodes({nid: (old, (old[0] + 35, old[1] - 20))}))
    w.controller.move_nodes({nid: (old, (old[0] + 500, old[1] + 500))})
    round_trip(w, w.controller.auto_layout)
    w.controller.auto_layout()
    want = layered_positions(w.document.graph)
    assert {k: tuple(map(float, v)) for k, v in want.items()} == {k: n.pos for k, n in w.document.graph.nodes.items()}


def test_paste_and_duplicate(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.scene.select_nodes(["conv1", "relu1"])
    assert w.copy_selection()
    round_trip(w, w.paste)
    w.scene.select_nodes(["fc1"])
    round_trip(w, w.duplicate)


def test_copy_paste_gives_fresh_ids_same_params_and_inner_edges(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    g = w.document.graph
    w.scene.select_nodes(["conv1", "relu1", "pool1"])
    w.copy_selection()
    new = w.paste()
    assert len(new) == 3 and not set(new) & {"conv1", "relu1", "pool1"}
    assert all(n in g.nodes for n in new)
    # the mouse is not over the canvas: the copies land at its centre, keeping their relative positions
    centre = w.view.mapToScene(w.view.viewport().rect().center())
    corner = (min(g.nodes[n].pos[0] for n in new), min(g.nodes[n].pos[1] for n in new))
    assert corner == (round(centre.x() / 10) * 10, round(centre.y() / 10) * 10)
    dx, dy = g.nodes[new[0]].pos[0] - g.nodes["conv1"].pos[0], g.nodes[new[0]].pos[1] - g.nodes["conv1"].pos[1]
    for old, fresh in zip(["conv1", "relu1", "pool1"], new):
        assert g.nodes[fresh].type == g.nodes[old].type
        assert g.nodes[fresh].params == g.nodes[old].params
        assert g.nodes[fresh].params is not g.nodes[old].params
        ox, oy = g.nodes[old].pos
        assert g.nodes[fresh].pos == (ox + dx, oy + dy)
    inner = sorted((e.src, e.dst) for e in g.edges if e.src in new or e.dst in new)
    assert inner == sorted([(new[0], new[1]), (new[1], new[2])])  # conv1->relu1->pool1, not input->conv1
    assert set(w.scene.selected_node_ids()) == set(new)
    again = w.paste()  # pasting twice at the same spot gives other fresh ids, one step further
    assert not set(again) & set(new)
    assert g.nodes[again[0]].pos == (g.nodes[new[0]].pos[0] + 40, g.nodes[new[0]].pos[1] + 40)
    assert dumps(g).count('"Conv2d"') == 4


def test_undo_redo_actions_in_the_menu_have_shortcuts(make_window):
    w = make_window()
    for key, seq in (("undo", "Ctrl+Z"), ("redo", "Ctrl+Shift+Z")):
        assert w.actions_[key].shortcut().toString() == seq
    w.controller.add_node("ReLU")
    assert w.actions_["undo"].isEnabled()
    w.actions_["undo"].trigger()
    assert not w.document.graph.nodes
    w.actions_["redo"].trigger()
    assert len(w.document.graph.nodes) == 1
