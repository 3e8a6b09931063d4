"""Groups in the model and the file: nesting, dissolving, folding moves, and what a file may get wrong."""
from __future__ import annotations

import pytest

from graphlab.core import Graph, GraphError
from graphlab.core.groups import Group, card_pos, fold_moves, folded_in, members, unfold_moves
from graphlab.core.layout import ROW
from graphlab.io import dumps, loads


def chain(n: int) -> Graph:
    g = Graph("chain")
    prev = None
    for i in range(n):
        g.add_node("Input" if i == 0 else "ReLU", node_id=f"n{i}", pos=(0, i * ROW))
        if prev:
            g.connect(prev, f"n{i}")
        prev = f"n{i}"
    return g


def test_add_and_remove_nested_groups_are_exact_inverses() -> None:
    g = chain(8)
    g.add_group(Group("inner", "inner"), ["n2", "n3"])
    g.add_group(Group("outer", "block"), ["n1", "n4"], ["inner"])
    assert g.groups["inner"].parent == "outer" and members(g, "outer") == ["n1", "n2", "n3", "n4"]
    assert g.groups_of("n3") == ["inner", "outer"]
    text = dumps(g)
    saved = g.remove_group("outer")
    assert g.groups["inner"].parent is None and g.nodes["n1"].group is None
    g.add_group(*saved[:3], index=saved[3])
    assert dumps(g) == text and loads(text).groups == g.groups
    with pytest.raises(GraphError):
        g.add_group(Group("x", "x"), ["n3"])  # n3 is in inner, not at the top level


def test_folding_moves_the_column_up_and_back() -> None:
    g = chain(10)
    g.add_group(Group("mid", "mid"), ["n3", "n4", "n5", "n6"])
    before = {n: node.pos for n, node in g.nodes.items()}
    moves = fold_moves(g, "mid")
    assert set(moves) == {"n7", "n8", "n9"} and moves["n7"][1] == 4 * ROW  # right under the card
    g.set_collapsed("mid", True, moves)
    assert folded_in(g, "n4") == "mid" and card_pos(g, "mid") == (0, 3 * ROW)
    g.set_collapsed("mid", False, unfold_moves(g, "mid"))
    assert {n: node.pos for n, node in g.nodes.items()} == before


def test_a_collapsed_group_moves_as_one_piece_when_another_unfolds() -> None:
    g = chain(12)
    g.add_group(Group("a", "a"), ["n1", "n2", "n3"])
    g.add_group(Group("b", "b"), ["n6", "n7", "n8"])
    before = {n: node.pos for n, node in g.nodes.items()}
    for gid in ("b", "a"):
        g.set_collapsed(gid, True, fold_moves(g, gid))
    for gid in ("a", "b"):
        g.set_collapsed(gid, False, unfold_moves(g, gid))
    assert {n: node.pos for n, node in g.nodes.items()} == before


@pytest.mark.parametrize("groups, nodes_group, words", [
    ([{"id": "a", "name": "a"}, {"id": "a", "name": "again"}], None, "used twice"),
    ([{"id": "a", "name": "a", "parent": "zz"}], None, "not a group"),
    ([{"id": "a", "name": "a", "parent": "b"}, {"id": "b", "name": "b", "parent": "a"}], None, "inside it"),
    ([{"id": "a", "name": "a"}], "nope", "not in groups"),
])
def test_a_broken_groups_section_loads_with_a_problem_named(groups, nodes_group, words) -> None:
    doc = {"graphlab": 2, "nodes": [{"id": "x", "type": "Input", "params": {"shape": [3]}, "group": nodes_group}],
           "edges": [], "groups": groups}
    import json

    g = loads(json.dumps(doc))
    assert any(words in p.message for p in g.load_problems), g.load_problems
    assert all(grp.parent is None or grp.parent in g.groups for grp in g.groups.values())


def test_malformed_group_entries_are_refused_naming_the_field() -> None:
    from graphlab.io import FileFormatError

    for groups, field in (([3], "groups[0]"), ([{"id": "1x"}], "groups[0].id"),
                          ([{"id": "a", "collapsed": "yes"}], "groups[0].collapsed")):
        with pytest.raises(FileFormatError, match=field.replace("[", r"\[").replace("]", r"\]")):
            loads('{"graphlab": 2, "groups": %s}' % __import__("json").dumps(groups))
    with pytest.raises(FileFormatError, match=r"nodes\[0\].trainable"):
        loads('{"graphlab": 2, "nodes": [{"id": "x", "type": "ReLU", "trainable": "no"}]}')
