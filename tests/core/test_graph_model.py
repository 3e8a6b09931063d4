import pytest

from graphlab.core import Edge, Graph, GraphError, analyze


def test_edits_emit_events_and_keep_nx_in_sync():
    g = Graph()
    seen = []
    for name in ("node_added", "node_removed", "edge_added", "edge_removed", "param_changed", "node_moved"):
        getattr(g, name).connect(lambda *a, name=name: seen.append(name))
    changed = []
    g.changed.connect(lambda: changed.append(1))
    a = g.add_node("Input", {"shape": [4]})
    b = g.add_node("Linear", {"out_features": 3})
    e = g.connect(a.id, b.id)
    g.set_param(b.id, "out_features", 5)
    g.move_node(b.id, (10, 20))
    assert g.nx.has_edge(a.id, b.id)
    node, edges, index = g.remove_node(a.id)
    assert edges == [e] and index == 0 and not g.nx.has_edge(a.id, b.id)
    g.insert_node(node, edges, index)
    assert list(g.nodes) == [a.id, b.id] and g.nx.has_edge(a.id, b.id)
    assert seen[:6] == ["node_added", "node_added", "edge_added", "param_changed", "node_moved", "edge_removed"]
    assert len(changed) == 7  # one per edit: 2 adds, connect, param, move, remove, insert
    assert analyze(g).nodes[b.id].shape == (5,)


def test_refuses_impossible_edits():
    g = Graph()
    a = g.add_node("Input", {"shape": [4]})
    with pytest.raises(GraphError, match="already exists"):
        g.add_node("ReLU", node_id=a.id)
    with pytest.raises(GraphError, match="no node"):
        g.connect(a.id, "nope")
    with pytest.raises(GraphError, match="identifier"):
        g.add_node("ReLU", node_id="has space")
    r = g.add_node("ReLU")
    g.connect(a.id, r.id)
    with pytest.raises(GraphError, match="already connected"):
        g.connect(a.id, r.id)
    with pytest.raises(GraphError):
        g.disconnect(Edge(r.id, a.id))


def test_would_cycle_and_port_taken():
    g = Graph()
    ids = [g.add_node("ReLU").id for _ in range(3)]
    g.connect(ids[0], ids[1])
    g.connect(ids[1], ids[2])
    assert g.would_cycle(ids[2], ids[0]) and g.would_cycle(ids[1], ids[1])
    assert not g.would_cycle(ids[0], ids[2])
    assert g.port_taken(ids[1], 0) and not g.port_taken(ids[1], 1)


def test_new_ids_are_fresh_and_valid():
    g = Graph()
    ids = {g.add_node("Conv2d").id for _ in range(5)}
    assert ids == {f"conv2d{i}" for i in range(1, 6)}


def test_deep_graph_has_no_recursion_limit():
    g = Graph()
    prev = g.add_node("Input", {"shape": [8]}).id
    for _ in range(5000):
        n = g.add_node("ReLU").id
        g.connect(prev, n)
        prev = n
    a = analyze(g)
    assert a.ok and a.nodes[prev].shape == (8,) and len(a.order) == 5001


def test_long_cycle_is_reported_without_recursion():
    g = Graph()
    ids = [g.add_node("ReLU").id for _ in range(3000)]
    for s, d in zip(ids, ids[1:] + ids[:1]):
        g.connect(s, d)
    cyc = [p for p in analyze(g).problems if "cycle" in p.message]
    assert {p.node for p in cyc} == set(ids)


def test_undo_style_reinsertion_restores_file_order_exactly():
    from graphlab.io import dumps

    g = Graph()
    for t in ("Input", "ReLU", "ReLU", "Add", "ReLU"):
        g.add_node(t, {"shape": [4]} if t == "Input" else None)
    g.connect("input1", "relu1")
    g.connect("relu1", "relu2")
    g.connect("input1", "add1", 1)
    g.connect("relu2", "add1", 0)
    g.connect("add1", "relu3")
    before = dumps(g)
    where = g.edge_positions("relu2")
    node, edges, index = g.remove_node("relu2")
    g.insert_node(node, edges, index, edge_at=[where[e] for e in edges])
    assert dumps(g) == before
    at = g.disconnect(g.edges[2])
    assert at == 2
    g.connect("input1", "add1", 1, at=at)
    assert dumps(g) == before


def test_ports_are_bounded_and_new_ids_avoid_dangling_edge_names():
    from graphlab.io import loads

    g = Graph()
    a, b = g.add_node("Input", {"shape": [2]}).id, g.add_node("Add").id
    for bad in (-1, 256):
        with pytest.raises(GraphError, match="ports are whole numbers"):
            g.connect(a, b, bad)
    g = loads('{"graphlab": 1, "nodes": [{"id": "x", "type": "Input", "params": {"shape": [2]}}],'
              ' "edges": [{"from": "x", "to": "linear1"}]}')
    new = g.add_node("Linear").id
    assert new == "linear2" and analyze(g).nodes[new].problems  # not silently wired to the old edge
