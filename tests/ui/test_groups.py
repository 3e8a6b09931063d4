"""Groups on the canvas: Ctrl+G makes one (one undo step), a collapsed group is one card with its
shapes and parameters that expands in place, and groups survive save, undo and copy/paste."""
from __future__ import annotations

from pathlib import Path

from graphlab.core.cost import si
from graphlab.core.groups import members
from graphlab.importer import import_model
from graphlab.io import dumps, load, save
from graphlab.ui.scene.group_items import GroupCard, GroupFrame, card_key
from tests.importer import zoo


def _open_resnet(make_window, tmp_path: Path, fold: bool = False):
    result = import_model(f"{zoo.__file__}:resnet_basic", (3, 32, 32), fold=fold)
    path = tmp_path / "resnet.graphlab.json"
    save(result.graph, path)
    w = make_window(path)
    return w


def test_collapse_and_expand_in_place_with_undo(make_window, tmp_path: Path, qtbot) -> None:
    w = _open_resnet(make_window, tmp_path)
    g, sc = w.graph, w.scene
    before = {n: node.pos for n, node in g.nodes.items()}
    frames = [i for i in sc.items() if isinstance(i, GroupFrame)]
    assert {f.group_id for f in frames} >= {"layer1", "layer1_0", "layer4"}
    w.controller.set_collapsed("layer2", True)
    w.live.flush()
    card = sc.node_items[card_key("layer2")]
    assert isinstance(card, GroupCard) and card.isVisible()
    inside = members(g, "layer2")
    assert all(not sc.node_items[n].isVisible() for n in inside)
    assert card.title == "layer2" and card.shape_text == "→ 32×4×4" and card.summary.startswith("in 16×8×8 · ")
    params = sum(w.document.analysis.nodes[n].params for n in inside)
    flops = sum(w.document.analysis.nodes[n].flops for n in inside)  # the nodes' own figures, added up
    assert card.shown_id == f"{len(inside)} layers · {params / 1000:.3g}k p"
    assert flops > 0 and card.summary == f"in 16×8×8 · {si(flops, 'FLOPs')}"
    assert f"{params:,} parameters" in card.toolTip() and f"{si(flops, 'FLOPs')} a sample" in card.toolTip()
    # zoomed out (ResNet-50 opens at 0.6): the name, its size and the output; the input is the card above's output
    assert [t[0] for t in card.far_text(0.6)] == ["layer2", card.shown_id, "→ 32×4×4"]
    below = g.nodes["layer3_0_conv1"].pos[1]
    assert below < before["layer3_0_conv1"][1]  # the column closed up
    # the edges into and out of the group end at the card
    assert any(e.dst is card for e in sc.edge_items.values()) and any(e.src is card for e in sc.edge_items.values())
    assert '"collapsed": true' in dumps(g)
    w.undo_stack.undo()
    assert {n: node.pos for n, node in g.nodes.items()} == before and card_key("layer2") not in sc.node_items
    w.undo_stack.redo()
    w.controller.set_collapsed("layer2", False)  # expand in place
    assert {n: node.pos for n, node in g.nodes.items()} == before
    assert all(sc.node_items[n].isVisible() for n in inside)


def test_ctrl_g_groups_the_selection_as_one_undo_step(make_window, tmp_path: Path) -> None:
    w = make_window(Path(__file__).resolve().parents[2] / "examples" / "lenet5.graphlab.json")
    g = w.graph
    text = dumps(g)
    ids = list(g.nodes)[1:4]
    w.scene.select_nodes(ids)
    w.prompts.group_name_answer = "feature extractor"
    depth = w.undo_stack.count()
    gid = w.group_selection()
    assert w.undo_stack.count() == depth + 1
    assert g.groups[gid].name == "feature extractor" and members(g, gid) == ids
    w.controller.set_collapsed(gid, True)
    w.scene.select_nodes([card_key(gid)])
    assert w.scene.selected_node_ids() == ids  # the card stands for its members
    w.toggle_group()  # Ctrl+E on the card: expand
    assert not g.groups[gid].collapsed
    w.undo_stack.undo()
    w.undo_stack.undo()
    w.undo_stack.undo()
    assert dumps(g) == text


def test_nested_groups_save_and_reopen_identically(make_window, tmp_path: Path) -> None:
    w = _open_resnet(make_window, tmp_path, fold=True)
    g = w.graph
    assert all(g.groups[k].collapsed for k in ("layer1", "layer2", "layer3", "layer4"))
    assert g.groups["layer1_0"].parent == "layer1"
    out = tmp_path / "again.graphlab.json"
    assert w.save_file(out)
    assert out.read_bytes() == (tmp_path / "resnet.graphlab.json").read_bytes()
    assert dumps(load(out)) == dumps(g)


def test_groups_survive_copy_and_paste(make_window, tmp_path: Path) -> None:
    w = _open_resnet(make_window, tmp_path)
    g = w.graph
    block = members(g, "layer1_0")
    data = w.controller.copy_data(block)
    n_groups = len(g.groups)
    new = w.controller.paste(data)
    assert len(new) == len(block) and len(g.groups) == n_groups + 1
    made = [k for k in g.groups if k not in ("layer1_0",) and set(members(g, k)) == set(new)]
    assert made and g.groups[made[0]].name == "layer1.0" and g.groups[made[0]].parent is None
    w.undo_stack.undo()
    assert len(g.groups) == n_groups and not set(new) & set(g.nodes)
    # copying the whole stage keeps its nesting
    stage = members(g, "layer1")
    w.controller.paste(w.controller.copy_data(stage))
    names = sorted(grp.name for grp in g.groups.values())
    assert names.count("layer1.0") == 2 and names.count("layer1") == 2
    top = [k for k, grp in g.groups.items() if grp.name == "layer1" and k != "layer1"][0]
    assert sorted(grp.name for grp in g.groups.values() if grp.parent == top) == ["layer1.0", "layer1.1"]


def test_freezing_from_the_inspector_is_one_undo_step_shown_on_the_card(make_window) -> None:
    w = make_window(Path(__file__).resolve().parents[2] / "examples" / "lenet5.graphlab.json")
    conv = next(n for n, node in w.graph.nodes.items() if node.type == "Conv2d")
    w.scene.select_nodes([conv])
    ed = w.inspector.trainable_editor
    assert ed is not None and ed.widget.isChecked()
    ed.widget.click()  # untick: freeze
    w.live.flush()
    assert not w.graph.nodes[conv].trainable and '"trainable": false' in dumps(w.graph)
    assert w.scene.node_items[conv].summary.startswith("❄ Conv")
    w.undo_stack.undo()
    w.live.flush()
    assert w.graph.nodes[conv].trainable and w.inspector.trainable_editor.widget.isChecked()
    assert "❄" not in w.scene.node_items[conv].summary
    relu = next(n for n, node in w.graph.nodes.items() if node.type == "ReLU")
    w.scene.select_nodes([relu])
    assert w.inspector.trainable_editor is None  # nothing to freeze
