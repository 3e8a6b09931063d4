"""Card geometry and text, measured (issue 7, A5): ports in line, never over text, nothing cut."""
from __future__ import annotations

import pytest

import graphlab
from graphlab.core import REGISTRY, Graph, analyze
from graphlab.ui.scene import style as st
from graphlab.ui.scene.node_item import NodeItem
from tests.conftest import EXAMPLES

ALL = sorted(EXAMPLES.glob("*.graphlab.json"))


def check_card(item: NodeItem, aligned: bool = True) -> None:
    card = item.card()
    box = item.card_rect()
    texts = card.text_rects()
    ports = card.port_rects()
    for t in texts:
        assert box.contains(t), (item.node_id, t, box)
        for p in ports:
            assert not t.intersects(p), (item.node_id, "port over text", t, p)
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            assert not a.intersects(b), (item.node_id, "text over text", a, b)
    # the output port is right under input port 0: a chain's edges have no kink
    if item.n_inputs and aligned:
        assert item.input_port_pos(0).x() == item.output_port_pos().x()
    assert item.output_port_pos().y() == box.bottom() and all(p.y() == 0 for p in card.inputs)


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name.split(".")[0])
def test_example_cards_show_everything_and_keep_ports_off_the_text(make_window, path):
    w = make_window(path)
    for nid, item in w.scene.node_items.items():
        check_card(item)
        card = item.card()
        assert not card.cut, (nid, card.title, card.nid, card.summary, card.shape)  # nothing elided
        assert card.title == item.title and card.nid == nid  # the id is never dropped
        assert card.summary == item.summary and card.shape == item.shape_text


def test_every_layer_type_fits_its_card_with_a_long_id(make_window):
    """Every catalogue type (its display name is the title) beside a ResNet-length id."""
    w = make_window()
    g = Graph("all")
    for i, t in enumerate(REGISTRY.types()):
        g.add_node(t, {}, (0.0, i * 200.0), node_id=f"layer3_0_{t.lower()}")
    w.scene.set_graph(g)
    w.scene.apply_analysis(analyze(g))
    for item in w.scene.node_items.values():
        check_card(item)
        card = item.card()  # unconnected, so the shape line is an error message (which may be cut)
        assert (card.title, card.nid, card.summary) == (item.title, item.node_id, item.summary), card


def test_long_summary_keeps_the_stride(make_window):
    w = make_window()
    g = Graph("conv")
    n = g.add_node("Conv2d", {"out_channels": 128, "kernel_size": 3, "stride": 2, "padding": 1}, (0, 0),
                   node_id="layer2_0_conv1")
    w.scene.set_graph(g)
    w.scene.apply_analysis(analyze(g))
    card = w.scene.node_items[n.id].card()
    assert card.summary == "Conv 3×3 ×128 s2 p1" and card.nid == "layer2_0_conv1"


def test_merge_nodes_put_their_ports_on_the_edge_not_on_the_text(make_window, examples_dir):
    w = make_window(examples_dir / "inception_block.graphlab.json")
    concat = w.scene.node_items["concat"]
    assert concat.n_inputs == 5  # four connected and one free
    check_card(concat)
    xs = [concat.input_port_pos(i).x() for i in range(concat.n_inputs)]
    assert xs == sorted(xs) and all(b - a >= 2 * st.PORT_R + 2 for a, b in zip(xs, xs[1:]))
    assert all(0 < x < concat.width for x in xs)


def test_many_ports_stay_on_the_card(make_window):
    w = make_window()
    g = Graph("wide")
    add = g.add_node("Add", {}, (0, 300), node_id="sum")
    for i in range(12):
        src = g.add_node("Input", {"shape": [4]}, (i * 230.0, 0))
        g.connect(src.id, add.id, i)
    w.scene.set_graph(g)
    w.scene.apply_analysis(analyze(g))
    item = w.scene.node_items["sum"]
    check_card(item, aligned=False)  # 13 ports: spread over the whole edge
    xs = [item.input_port_pos(i).x() for i in range(item.n_inputs)]
    assert all(0 < x < item.width for x in xs) and len(set(xs)) == len(xs)


def test_straight_chain_edges_are_straight_lines(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    for edge, item in w.scene.edge_items.items():
        r = item.path().boundingRect()
        assert r.width() < 0.5, (edge, r)  # vertical, no S-kink


def test_resnet_shortcuts_go_around_the_cards(make_window, examples_dir):
    w = make_window(examples_dir / "resnet18.graphlab.json")
    cards = {nid: it.mapRectToScene(it.card_rect()) for nid, it in w.scene.node_items.items()}
    skips = [e for e in w.scene.edge_items if w.document.graph.nodes[e.dst].type == "Add" and e.port == 1]
    assert len(skips) == 8
    for e in skips:
        path = w.scene.edge_items[e].path()
        n = 200
        for nid, r in cards.items():
            if nid in (e.src, e.dst):
                continue
            inner = r.adjusted(1, 1, -1, -1)
            assert not any(inner.contains(path.pointAtPercent(i / n)) for i in range(1, n)), (e, nid)


def test_tooltip_has_the_whole_text(make_window, examples_dir):
    w = make_window(examples_dir / "resnet18.graphlab.json")
    item = w.scene.node_items["layer2_0_conv1"]
    tip = item.toolTip()
    for part in ("layer2_0_conv1", "Conv2d", "Conv 3×3 ×128 s2 p1", "→ 128×28×28"):
        assert part in tip


def test_an_error_message_that_is_cut_is_whole_in_the_tooltip(make_window):
    w = make_window()
    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    g.set_param("fc1", "out_features", 120)
    g.set_param("conv2", "kernel_size", 40)  # too big: a long error on the card
    w.scene.set_graph(g)
    w.scene.apply_analysis(analyze(g))
    item = w.scene.node_items["conv2"]
    assert item.severity == "error"
    check_card(item)
    assert item.message in item.toolTip()
    if item.card().cut:
        assert item.card().shape.endswith("…")
