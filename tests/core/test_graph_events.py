"""Model events fire after the edit is complete, and a listener that raises breaks nothing else."""
from __future__ import annotations

import logging

import pytest

from graphlab.core import Edge, Graph, analyze
from graphlab.io import dumps


def _chain() -> Graph:
    g = Graph()
    g.add_node("Input", {"shape": [4]}, node_id="x")
    g.add_node("Linear", {"out_features": 3}, node_id="fc")
    g.add_node("ReLU", node_id="act")
    g.connect("x", "fc")
    g.connect("fc", "act")
    return g


def _consistent(g: Graph) -> None:
    """Every index agrees with the node and edge lists."""
    assert list(g.nx.nodes) == list(g.nodes) or set(g.nx.nodes) == set(g.nodes)
    live = sorted((e.src, e.dst, e.port) for e in g.edges if e.src in g.nodes and e.dst in g.nodes)
    assert sorted(g.nx.edges(keys=True)) == live
    for nid in g.nodes:
        assert g.inputs_of(nid) == sorted((e for e in g.edges if e.dst == nid), key=lambda e: e.port)
        assert g.outputs_of(nid) == [e for e in g.edges if e.src == nid]
        assert g.index_of(nid) == list(g.nodes).index(nid)
    for i, e in enumerate(g.edges):
        assert g.edges.index(e) == i and g.edges[i] == e


def test_node_added_fires_after_its_edges_exist_and_revision_moved():
    g = _chain()
    where = g.edge_positions("fc")
    node, edges, index = g.remove_node("fc")
    seen = []

    def on_added(n):
        seen.append(("node", n.id, g.revision, [(e.src, e.dst) for e in g.inputs_of(n.id) + g.outputs_of(n.id)],
                     g.nx.has_edge("x", "fc")))

    g.node_added.connect(on_added)
    g.edge_added.connect(lambda e: seen.append(("edge", e, g.revision, e in g.edges)))
    before = g.revision
    g.insert_node(node, edges, index, edge_at=[where[e] for e in edges])
    assert seen[0] == ("node", "fc", before + 1, [("x", "fc"), ("fc", "act")], True)
    assert [s[0] for s in seen[1:]] == ["edge", "edge"] and all(s[2] == before + 1 and s[3] for s in seen[1:])


def test_removal_events_fire_after_the_removal():
    g = _chain()
    seen = []
    g.edge_removed.connect(lambda e: seen.append(("edge", e not in g.edges, "fc" in g.nodes, g.revision)))
    g.node_removed.connect(lambda n: seen.append(("node", n.id not in g.nodes, "fc" in g.nx, g.revision)))
    before = g.revision
    g.remove_node("fc")
    assert seen == [("edge", True, False, before + 1), ("edge", True, False, before + 1),
                    ("node", True, False, before + 1)]


def test_param_move_and_meta_events_see_the_new_state():
    g = _chain()
    seen = []
    g.param_changed.connect(lambda nid, name: seen.append((name, g.nodes[nid].params.get(name), g.nodes[nid].init)))
    g.node_moved.connect(lambda nid, pos: seen.append(("pos", g.nodes[nid].pos, pos)))
    g.meta_changed.connect(lambda key: seen.append((key, g.name)))
    g.set_param("fc", "out_features", 7)
    g.set_init("fc", "xavier")
    g.move_node("fc", (3, 4))
    g.set_name("net")
    assert seen == [("out_features", 7, None), ("init", None, "xavier"), ("pos", (3.0, 4.0), (3.0, 4.0)),
                    ("name", "net")]


def test_a_raising_listener_is_reported_and_the_others_still_run(caplog):
    g = _chain()
    failures, after = [], []

    def broken(*args):
        raise RuntimeError("view bug")

    for ev in (g.node_added, g.node_removed, g.edge_added, g.edge_removed, g.param_changed, g.node_moved,
               g.changed):
        ev.connect(broken)
        ev.connect(lambda *a, name=ev.name: after.append(name))
    g.listener_failed.connect(lambda event, fn, exc: failures.append((event, fn, str(exc))))
    before = dumps(g)
    with caplog.at_level(logging.ERROR, logger="graphlab.core"):
        where = g.edge_positions("fc")
        node, edges, index = g.remove_node("fc")  # returns normally: undo keeps what it needs
        g.insert_node(node, edges, index, edge_at=[where[e] for e in edges])
        g.set_param("act", "inplace", None)
        g.move_node("act", (1, 1))
        at = g.disconnect(g.edges[0])
        g.connect("x", "fc", at=at)
    assert dumps(g).replace('"pos": [1, 1]', '"pos": [0, 0]') == before  # every edit applied, and undone exactly
    _consistent(g)
    assert analyze(g).ok
    assert after.count("changed") == 6 and "node_added" in after and "edge_removed" in after
    assert {f[0] for f in failures} == {"node_added", "node_removed", "edge_added", "edge_removed",
                                        "param_changed", "node_moved", "changed"}
    assert all(fn is broken and msg == "view bug" for _e, fn, msg in failures)
    assert "view bug" in caplog.text and "Traceback" in caplog.text


def test_a_raising_error_listener_is_logged_not_raised(caplog):
    g = _chain()
    g.param_changed.connect(lambda *a: 1 / 0)
    g.listener_failed.connect(lambda *a: [][1])
    with caplog.at_level(logging.ERROR, logger="graphlab.core"):
        g.set_param("fc", "out_features", 2)
    assert g.nodes["fc"].params["out_features"] == 2
    assert "ZeroDivisionError" in caplog.text and "IndexError" in caplog.text


def test_keyboard_interrupt_in_a_listener_still_propagates():
    g = _chain()

    def stop(*a):
        raise KeyboardInterrupt

    g.node_moved.connect(stop)
    with pytest.raises(KeyboardInterrupt):
        g.move_node("fc", (1, 2))
    assert g.nodes["fc"].pos == (1.0, 2.0)  # the edit itself was complete before anyone heard of it


def test_a_refused_edit_changes_nothing():
    g = _chain()
    before, rev = dumps(g), g.revision
    from graphlab.core import GraphError, Node

    with pytest.raises(GraphError):  # the second edge is a duplicate: the node must not be half-added
        g.insert_node(Node("n", "ReLU"), [Edge("act", "n"), Edge("act", "n")])
    with pytest.raises(GraphError):
        g.insert_node(Node("n", "ReLU"), [Edge("act", "n", 999)])
    with pytest.raises(GraphError):
        g.insert_node(Node("n", "ReLU"), [Edge("act", "n")], edge_at=[0, 1])
    assert dumps(g) == before and g.revision == rev and "n" not in g.nx
    _consistent(g)


def test_indexes_stay_consistent_through_random_edits():
    """Random adds, connects (at random file positions), disconnects and removes with undo, checked
    against a plain-list model of the file order after every step."""
    import random

    rng = random.Random(7)
    g = Graph()
    for step in range(600):
        op = rng.random()
        ids = list(g.nodes)
        if op < 0.3 or len(ids) < 3:
            g.add_node(rng.choice(["ReLU", "Add", "Linear"]))
        elif op < 0.6:
            s, d = rng.sample(ids, 2)
            e = Edge(s, d, rng.randrange(3))
            if e not in g.edges:
                g.connect(s, d, e.port, at=rng.choice([None, rng.randrange(len(g.edges) + 1)]))
        elif op < 0.75 and len(g.edges):
            e = g.edges[rng.randrange(len(g.edges))]
            before = list(g.edges)
            at = g.disconnect(e)
            assert before[at] == e
            if rng.random() < 0.5:
                g.connect(e.src, e.dst, e.port, at=at)
                assert list(g.edges) == before
        else:
            nid = rng.choice(ids)
            text = dumps(g)
            where = g.edge_positions(nid)
            node, edges, index = g.remove_node(nid)
            if rng.random() < 0.6:
                g.insert_node(node, edges, index, edge_at=[where[e] for e in edges])
                assert dumps(g) == text
        if step % 25 == 0:
            _consistent(g)
    _consistent(g)


def test_new_ids_reuse_freed_numbers_like_fresh_id():
    from graphlab.core.graph import fresh_id

    g = Graph()
    ids = [g.add_node("Conv2d").id for _ in range(5)]
    g.remove_node(ids[1])
    g.remove_node(ids[3])
    assert g.new_id("Conv2d") == fresh_id("Conv2d", g.taken_ids()) == "conv2d2"
    g.add_node("Conv2d")
    assert g.new_id("Conv2d") == "conv2d4"
    g.add_node("Input", {"shape": [2]}, node_id="x")
    g.connect("x", "conv2d1")
    g.remove_node("conv2d1")  # the edge went with it: the name is free again
    assert g.new_id("Conv2d") == "conv2d1"
