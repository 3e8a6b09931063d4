"""Look: the canvas follows the application palette; odd files still draw; nodes carry their text."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication

from graphlab.ui.app import dark_palette
from graphlab.ui.scene.style import is_dark


def test_canvas_follows_a_dark_palette_and_back(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    app = QApplication.instance()
    light = app.palette()
    assert not w.scene.style.dark
    try:
        app.setPalette(dark_palette())
        app.processEvents()
        assert w.scene.style.dark and is_dark(app.palette())
        assert w.scene.style.background.lightness() < 90
        assert all(i.style is w.scene.style for i in w.scene.node_items.values())
        assert w.scene.style.text.lightness() > 180  # light text on dark cards
    finally:
        app.setPalette(light)
        app.processEvents()
    assert not w.scene.style.dark and w.scene.style.background.lightness() > 180


def test_unknown_types_and_dangling_edges_still_draw(make_window, tmp_path):
    bad = tmp_path / "odd.graphlab.json"
    bad.write_text('{"graphlab": 1, "name": "odd", "nodes": ['
                   '{"id": "a", "type": "Input", "params": {"shape": [4]}},'
                   '{"id": "b", "type": "Wormhole", "pos": [200, 0]}],'
                   '"edges": [{"from": "a", "to": "b"}, {"from": "ghost", "to": "b", "port": 1}]}', "utf-8")
    w = make_window(bad)
    item = w.scene.node_items["b"]
    assert item.severity == "error" and "Wormhole" in item.message
    assert len(w.scene.edge_items) == 1  # the edge from a node that does not exist has nothing to draw
    assert any("ghost" in w.problems.item(i).text() for i in range(w.problems.count()))


def test_node_cards_show_type_summary_and_shape(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    conv1 = w.scene.node_items["conv1"]
    assert conv1.title == "Conv2d"
    assert conv1.summary == "Conv 5×5 ×6 s1 p2"
    assert conv1.shape_text == "→ 6×28×28"
    card = conv1.card()
    assert (card.title, card.nid, card.summary, card.shape) == ("Conv2d", "conv1", "Conv 5×5 ×6 s1 p2", "→ 6×28×28")
    assert not card.cut  # nothing cut
