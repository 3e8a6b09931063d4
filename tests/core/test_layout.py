import graphlab
from graphlab.core import Graph
from graphlab.core.layout import layered_positions
from tests.conftest import EXAMPLES


def test_chain_is_one_row_left_to_right():
    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    pos = layered_positions(g)
    assert len({y for _, y in pos.values()}) == 1
    xs = [pos[n][0] for n in g.nodes]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)


def test_branches_keep_rows_and_never_overlap():
    g = graphlab.load(EXAMPLES / "inception_block.graphlab.json")
    pos = layered_positions(g, dy=110)
    for a in pos:
        for b in pos:
            if a < b and pos[a][0] == pos[b][0]:
                assert abs(pos[a][1] - pos[b][1]) >= 110 - 1e-6, (a, b)
    # each branch stays on its own row
    assert pos["b2_reduce"][1] == pos["b2_relu1"][1] == pos["b2_3x3"][1] == pos["b2_relu2"][1]
    assert pos["b4_pool"][1] == pos["b4_proj"][1] == pos["b4_relu"][1]
    for n in g.nodes:  # every edge points right
        for e in g.outputs_of(n):
            assert pos[e.dst][0] > pos[n][0]


def test_cyclic_graph_still_gets_positions():
    g = Graph()
    a, b = g.add_node("ReLU").id, g.add_node("ReLU").id
    g.connect(a, b)
    g.connect(b, a)
    assert set(layered_positions(g)) == {a, b}
