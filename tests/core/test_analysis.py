"""Validation: every kind of bad graph gets an error on the node that causes it, and nothing raises."""
import pytest

from graphlab.core import Graph, analyze


def chain(*specs, shape=(1, 28, 28)) -> Graph:
    g = Graph()
    prev = g.add_node("Input", {"shape": list(shape)}, node_id="inp").id
    for i, (t, p) in enumerate(specs):
        n = g.add_node(t, p, node_id=f"n{i}").id
        g.connect(prev, n)
        prev = n
    return g


def errors_on(a, node):
    return [p.message for p in a.problems if p.node == node and p.severity == "error"]


def only_error(g, node, *words):
    a = analyze(g)
    errs = [p for p in a.errors]
    assert errs and all(p.node == node for p in errs), [p.text() for p in errs]
    text = " ".join(p.message for p in errs)
    for w in words:
        assert w in text, text
    return a


@pytest.mark.parametrize("w,f,s,p,d", [(28, 5, 1, 0, 1), (32, 3, 2, 1, 1), (7, 3, 2, 0, 1), (31, 4, 3, 2, 2),
                                       (224, 11, 4, 2, 1), (5, 5, 1, 0, 1), (9, 3, 1, 0, 4)])
def test_conv_output_size_matches_pytorch(w, f, s, p, d):
    import torch

    g = chain(("Conv2d", {"out_channels": 2, "kernel_size": f, "stride": s, "padding": p, "dilation": d}),
              shape=(3, w, w + 1))
    got = analyze(g).nodes["n0"].shape
    want = torch.nn.Conv2d(3, 2, f, s, p, d)(torch.zeros(1, 3, w, w + 1)).shape[1:]
    assert got == tuple(want)


def test_kernel_larger_than_padded_input():
    g = chain(("Conv2d", {"kernel_size": 5}), ("Conv2d", {"kernel_size": 5}), ("Conv2d", {"kernel_size": 30}))
    only_error(g, "n2", "larger than the padded input", "20+2·0=20")


def test_errors_do_not_cascade_downstream():
    g = chain(("Conv2d", {"kernel_size": 99}), ("ReLU", {}), ("Flatten", {}), ("Linear", {}))
    a = only_error(g, "n0", "kernel 99")
    assert a.nodes["n3"].shape is None and a.nodes["inp"].shape == (1, 28, 28)


def test_mismatched_add_and_concat():
    g = chain(("Conv2d", {"out_channels": 4, "kernel_size": 3}))
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 5}, node_id="other")
    g.connect("inp", "other")
    g.add_node("Add", node_id="sum")
    g.connect("n0", "sum", 0)
    g.connect("other", "sum", 1)
    only_error(g, "sum", "input 1 is 4×24×24", "input 0 is 4×26×26")
    g.remove_node("sum")
    g.add_node("Concat", {"dim": 0}, node_id="cat")
    g.connect("n0", "cat", 0)
    g.connect("other", "cat", 1)
    only_error(g, "cat", "except dim 0")
    g.set_param("other", "padding", 1)
    a = analyze(g)
    assert a.ok and a.nodes["cat"].shape == (8, 26, 26)


def test_missing_input_and_too_many_inputs():
    g = chain(("ReLU", {}))
    g.add_node("Linear", node_id="lonely")
    only_error(g, "lonely", "missing input")
    g.connect("inp", "lonely", 0)
    g.connect("n0", "lonely", 1)
    only_error(g, "lonely", "too many inputs")


def test_two_edges_into_one_port():
    g = chain(("ReLU", {}), ("ReLU", {}))
    g.connect("inp", "n1")
    only_error(g, "n1", "port 0 gets both")


def test_variadic_needs_two_contiguous_ports():
    g = chain(("ReLU", {}))
    g.add_node("Add", node_id="s")
    g.connect("n0", "s")
    only_error(g, "s", "at least 2 inputs")
    g.connect("inp", "s", 2)
    only_error(g, "s", "port 1 is empty")


def test_cycle_names_its_nodes():
    g = chain(("ReLU", {}), ("ReLU", {}), ("Add", {}))
    g.connect("inp", "n2", 1)
    g.disconnect(next(e for e in g.edges if e.dst == "n0"))
    g.connect("n2", "n0")
    a = analyze(g)
    cyc = [p for p in a.errors if "cycle" in p.message]
    assert {p.node for p in cyc} == {"n0", "n1", "n2"}
    assert "n0 -> n1 -> n2 -> n0" in cyc[0].message


@pytest.mark.parametrize("params,field,words", [
    ({"out_channels": "six"}, "params.out_channels", "must be an integer"),
    ({"out_channels": 0}, "params.out_channels", ">= 1"),
    ({"kernel_size": [3, 3, 3]}, "params.kernel_size", "[h, w]"),
    ({"padding": -1}, "params.padding", ">= 0"),
    ({"bias": "yes"}, "params.bias", "true or false"),
    ({"kernal_size": 3}, "params.kernal_size", "unknown parameter"),
])
def test_bad_params_name_the_field(params, field, words):
    g = chain(("Conv2d", params))
    a = only_error(g, "n0", words)
    assert a.errors[0].field == field


def test_missing_required_shape_and_bad_dropout():
    g = chain(("Dropout", {"p": 1.0}))
    only_error(g, "n0", "'p' must be")
    g = Graph()
    g.add_node("Input", {"shape": "28x28"}, node_id="i")
    only_error(g, "i", "'shape' must be")


def test_unknown_type():
    g = chain(("Conv3d", {}))
    only_error(g, "n0", "unknown layer type 'Conv3d'")


@pytest.mark.parametrize("layer,shape,words", [
    ("Conv2d", (10,), "expects an image"), ("LSTM", (3, 32, 32), "expects a sequence"),
    ("MaxPool2d", (5, 4), "expects an image"), ("BatchNorm2d", (10,), "BatchNorm1d"),
    ("CrossEntropyLoss", (3, 8, 8), "vector of class scores"),
])
def test_wrong_rank(layer, shape, words):
    only_error(chain((layer, {}), shape=shape), "n0", words)


def test_edge_to_missing_node_and_duplicate_ids():
    from graphlab.io import loads

    g = loads('{"graphlab": 1, "nodes": [{"id": "a", "type": "Input", "params": {"shape": [2]}},'
              ' {"id": "b", "type": "ReLU"}, {"id": "b", "type": "ReLU"}],'
              ' "edges": [{"from": "a", "to": "b"}, {"from": "a", "to": "ghost"}, {"from": "zz", "to": "b_dup1"}]}')
    a = analyze(g)
    msgs = {(p.node, p.message.split(";")[0]) for p in a.errors}
    assert ("a", "edge a -> ghost refers to node 'ghost', which does not exist") in msgs
    assert ("b_dup1", "edge zz -> b_dup1 refers to node 'zz', which does not exist") in msgs
    assert any(p.node == "b_dup1" and "duplicate id 'b'" in p.message for p in a.errors)


def test_graph_rules_input_and_loss():
    g = Graph()
    g.add_node("ReLU", node_id="r")
    assert any(p.node is None and "no Input" in p.message for p in analyze(g).errors)
    g = chain(("Flatten", {}), ("Linear", {}), ("Softmax", {}), ("CrossEntropyLoss", {}))
    a = analyze(g)
    assert a.ok and a.loss == "n3" and a.output == "n2"
    assert any(p.severity == "warning" and "Softmax" in p.message for p in a.problems)
    g.add_node("ReLU", node_id="after")
    g.connect("n3", "after")
    only_error(g, "n3", "loss must be the last node")


def test_huge_linear_is_counted_not_allocated():
    g = chain(("Linear", {"out_features": 10**12}), shape=(1000,))
    a = analyze(g)
    assert a.nodes["n0"].shape == (10**12,) and a.nodes["n0"].params == 1000 * 10**12 + 10**12


def test_analysis_never_raises_on_garbage_params():
    g = Graph()
    g.add_node("Input", {"shape": [None, {}]}, node_id="i")
    for t in ("Conv2d", "Linear", "LSTM", "Concat", "Softmax", "MultiMarginLoss"):
        n = g.add_node(t, {p: {"x": [1]} for p in ("out_channels", "dim", "hidden_size", "p", "kernel_size")})
        g.connect("i", n.id)
    a = analyze(g)
    assert not a.ok and all(isinstance(p.message, str) for p in a.problems)


