"""A 10 MB type name or id costs a card nothing (issue 16, item 14).

The card cuts its text to MAX_CARD_CHARS before measuring or drawing it (the tooltip keeps
MAX_TIP_CHARS), and a problem's text shortens a node id, so the problems list stays one short
line per problem. Measuring and wrapping a 10 MB type name froze the editor for a minute.
"""
from __future__ import annotations

import json

from graphlab.core import Graph, analyze
from graphlab.ui.scene.node_item import MAX_CARD_CHARS, MAX_TIP_CHARS, clip_text

LONG = 1_000_000


def test_clip_text() -> None:
    assert clip_text("abc") == "abc" and clip_text("a" * 5, 4) == "aaa…" and len(clip_text("x" * LONG)) == MAX_CARD_CHARS


def test_a_megabyte_type_and_id_open_with_bounded_cards(make_window, examples_dir, tmp_path) -> None:
    doc = json.loads((examples_dir / "two_layer_net.graphlab.json").read_text())
    doc["nodes"][2]["type"] = "Ab cD-" * (LONG // 6)  # spaces, hyphens and camel case: wrap_title's worst
    doc["nodes"][3]["id"] = "a" * LONG
    path = tmp_path / "long.graphlab.json"
    path.write_text(json.dumps(doc))
    w = make_window(path)
    for nid in (doc["nodes"][2]["id"], "a" * LONG):
        item = w.scene.node_items[nid]
        card = item.card()
        assert len(item.title) <= MAX_CARD_CHARS and len(card.title) <= MAX_CARD_CHARS
        assert len(card.nid) <= MAX_CARD_CHARS and len(item.toolTip()) <= 2 * MAX_TIP_CHARS
    assert w.scene.node_items["a" * LONG].node_id == "a" * LONG  # the model's id is untouched
    for nid in (doc["nodes"][2]["id"], "a" * LONG):  # the inspector shows them cut too
        w.scene.select_nodes([nid])
        ins = w.inspector
        assert len(ins.header.text()) < 3 * MAX_CARD_CHARS and len(ins.help.text()) < 2 * MAX_CARD_CHARS
        assert len(ins.errors.text()) < 5000
    assert all(len(p.text()) < 1000 for p in analyze(w.document.graph).problems)
    assert w.save_file(path) and json.loads(path.read_text())["nodes"][2]["type"] == doc["nodes"][2]["type"]


def test_a_problem_shortens_a_long_node_id() -> None:
    g = Graph()
    g.add_node("ReLU", node_id="r" * LONG)
    texts = [p.text() for p in analyze(g).problems]
    assert texts and all(len(t) < 1000 and "\n" not in t for t in texts)
