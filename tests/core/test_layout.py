"""The automatic layout: top to bottom, main paths straight, branches beside, nothing stacked."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest

import graphlab
from graphlab.core import Graph
from graphlab.core.layout import COLUMN, ROW, layered_positions, spread_stacked, stacked_nodes
from graphlab.io import dumps, loads
from tests.conftest import EXAMPLES

ALL = sorted(EXAMPLES.glob("*.graphlab.json"))


def test_chain_runs_straight_down():
    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    pos = layered_positions(g)
    assert len({x for x, _ in pos.values()}) == 1  # one column
    ys = [pos[n][1] for n in g.nodes]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    assert all(b - a == ROW for a, b in zip(ys, ys[1:]))


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name.split(".")[0])
def test_every_edge_points_down_and_no_two_cards_share_a_row_slot(path):
    g = graphlab.load(path)
    pos = layered_positions(g)
    for e in g.edges:
        assert pos[e.dst][1] > pos[e.src][1], e
    rows = defaultdict(list)
    for x, y in pos.values():
        rows[y].append(x)
    for xs in rows.values():
        xs.sort()
        assert all(b - a >= COLUMN - 1e-6 for a, b in zip(xs, xs[1:]))


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name.split(".")[0])
def test_examples_are_saved_with_the_layout(path):
    """The committed examples are what tools/build_examples.py writes: laid out by this layout."""
    g = graphlab.load(path)
    want = layered_positions(g)
    assert {n: node.pos for n, node in g.nodes.items()} == {n: (float(x), float(y)) for n, (x, y) in want.items()}


def test_resnet_main_path_is_one_straight_column_with_shortcuts_to_its_right():
    g = graphlab.load(EXAMPLES / "resnet18.graphlab.json")
    pos = layered_positions(g)
    side = [n for n in g.nodes if "_down_" in n]  # the projection shortcuts (1×1 conv + BN)
    main = [n for n in g.nodes if n not in side]
    assert len(side) == 6 and len({pos[n][0] for n in main}) == 1
    spine = pos[main[0]][0]
    assert all(pos[n][0] == spine + COLUMN for n in side)
    # every Add sits under its block's main path, not between the main path and the shortcut
    assert all(pos[n][0] == spine for n in g.nodes if g.nodes[n].type == "Add")


def test_inception_branches_get_their_own_columns_spread_under_the_input():
    g = graphlab.load(EXAMPLES / "inception_block.graphlab.json")
    pos = layered_positions(g)
    branches = [["b1_1x1", "b1_relu"], ["b2_reduce", "b2_relu1", "b2_3x3", "b2_relu2"],
                ["b3_reduce", "b3_relu1", "b3_5x5", "b3_relu2"], ["b4_pool", "b4_proj", "b4_relu"]]
    cols = []
    for b in branches:
        assert len({pos[n][0] for n in b}) == 1, b
        cols.append(pos[b[0]][0])
    assert cols == sorted(cols)  # file order, left to right
    assert pos["x"][0] == pos["concat"][0] == sum(cols) / 4  # symmetric: input and concat centred


def test_a_source_sits_just_above_its_first_consumer():
    g = graphlab.load(EXAMPLES / "backprop_gates.graphlab.json")
    pos = layered_positions(g)
    assert pos["x"][1] == pos["y"][1] == 0
    assert pos["z"][1] == pos["q"][1]  # z joins at the multiply, beside q
    assert pos["f"][1] == pos["q"][1] + ROW


def test_cyclic_graph_still_gets_positions():
    g = Graph()
    a, b = g.add_node("ReLU").id, g.add_node("ReLU").id
    g.connect(a, b)
    g.connect(b, a)
    assert set(layered_positions(g)) == {a, b}


def test_a_file_without_positions_is_spread_out():
    doc = json.loads(dumps(graphlab.load(EXAMPLES / "resnet18.graphlab.json")))
    for n in doc["nodes"]:
        n.pop("pos")
    g = loads(json.dumps(doc))
    assert len(stacked_nodes(g)) == len(g.nodes)
    moved = spread_stacked(g)
    assert len(moved) == len(g.nodes) and not stacked_nodes(g)
    assert {n: node.pos for n, node in g.nodes.items()} == layered_positions(g)


def test_only_stacked_nodes_move_and_they_land_beside_the_placed_ones():
    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    before = {n: node.pos for n, node in g.nodes.items()}
    assert before["input"] == (0.0, 0.0)
    extra = [g.add_node("ReLU").id for _ in range(3)]  # pasted without positions: on top of "input"
    g.connect(extra[0], extra[1])
    g.connect(extra[1], extra[2])
    moved = set(spread_stacked(g))
    assert moved == set(extra) | {"input"}  # the pile; nobody else
    assert not stacked_nodes(g)
    for n, p in before.items():
        if n not in moved:
            assert g.nodes[n].pos == p
    right = max(p[0] for n, p in before.items() if n not in moved)
    assert all(g.nodes[n].pos[0] > right for n in moved)


def test_a_graph_with_distinct_positions_is_left_alone():
    g = graphlab.load(EXAMPLES / "inception_block.graphlab.json")
    before = {n: node.pos for n, node in g.nodes.items()}
    assert spread_stacked(g) == []
    assert {n: node.pos for n, node in g.nodes.items()} == before
