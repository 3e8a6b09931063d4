"""Property test: random valid graphs; every inferred shape and parameter count equals what the
compiled PyTorch module really produces (PyTorch is the oracle)."""
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphlab
from graphlab.compiler import info
from graphlab.core import Graph, analyze

small = st.integers


def layer_for(draw, shape):
    """Draw a layer type and params that may (or may not) fit an input of `shape`."""
    r = len(shape)
    pair = st.one_of(small(1, 4), st.lists(small(1, 4), min_size=2, max_size=2))
    options = ["ReLU", "Sigmoid", "Tanh", "ELU", "LeakyReLU", "Dropout", "Flatten", "Linear", "Maxout", "PReLU",
               "Softmax"]
    if r == 3:
        options += ["Conv2d"] * 4 + ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d"]
    if r == 2:
        options += ["RNN", "LSTM", "GRU", "BatchNorm1d"]
    if r == 1:
        options += ["BatchNorm1d"]
    t = draw(st.sampled_from(options))
    p = {}
    if t == "Conv2d":
        p = {"out_channels": draw(small(1, 5)), "kernel_size": draw(pair), "stride": draw(small(1, 3)),
             "padding": draw(small(0, 2)), "dilation": draw(small(1, 2)), "bias": draw(st.booleans())}
    elif t in ("MaxPool2d", "AvgPool2d"):
        k = draw(small(1, 3))
        p = {"kernel_size": k, "stride": draw(st.one_of(st.none(), small(1, 3))), "padding": draw(small(0, k // 2))}
    elif t == "AdaptiveAvgPool2d":
        p = {"output_size": draw(st.one_of(small(1, 3), st.lists(small(1, 3), min_size=2, max_size=2)))}
    elif t == "Linear":
        p = {"out_features": draw(small(1, 8)), "bias": draw(st.booleans())}
    elif t == "Maxout":
        p = {"out_features": draw(small(1, 5)), "pieces": draw(small(1, 3))}
    elif t == "PReLU":
        p = {"num_parameters": draw(st.sampled_from([1, shape[0] if shape else 1]))}
    elif t == "Softmax":
        p = {"dim": draw(small(-r, r - 1))}
    elif t in ("RNN", "LSTM", "GRU"):
        p = {"hidden_size": draw(small(1, 5)), "num_layers": draw(small(1, 2)), "bidirectional": draw(st.booleans()),
             "output": draw(st.sampled_from(["last", "sequence"]))}
        if t == "RNN":
            p["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    return t, p


@st.composite
def graphs(draw):
    g = Graph("random")
    kind = draw(st.sampled_from(["image", "sequence", "vector"]))
    shape = {"image": [draw(small(1, 4)), draw(small(3, 12)), draw(small(3, 12))],
             "sequence": [draw(small(1, 6)), draw(small(1, 5))], "vector": [draw(small(1, 8))]}[kind]
    g.add_node("Input", {"shape": shape}, node_id="x")
    shapes = {"x": tuple(shape)}
    for _ in range(draw(small(1, 10))):
        if len(shapes) >= 2 and draw(st.booleans()):
            # try a merge of two existing nodes
            a, b = draw(st.lists(st.sampled_from(sorted(shapes)), min_size=2, max_size=2, unique=True))
            t = draw(st.sampled_from(["Add", "Multiply", "Concat"]))
            params = {"dim": draw(small(-1, 1))} if t == "Concat" else {}
            node = g.add_node(t, params)
            g.connect(a, node.id, 0)
            g.connect(b, node.id, 1)
        else:
            src = draw(st.sampled_from(sorted(shapes)))
            t, params = layer_for(draw, shapes[src])
            node = g.add_node(t, params)
            g.connect(src, node.id)
        info_ = analyze(g).nodes[node.id]
        if info_.ok and info_.shape is not None:
            shapes[node.id] = info_.shape
        else:
            g.remove_node(node.id)
    return g


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.integers(0, 2**16))
def test_inferred_shapes_and_counts_match_pytorch(g, seed):
    a = analyze(g)
    assert a.ok, [p.text() for p in a.problems]
    gm = graphlab.compile(g, seed=seed)
    ci = info(gm)
    seen = {}
    for nid, name in ci.module_names.items():
        gm.get_submodule(name).register_forward_hook(lambda m, i, o, nid=nid: seen.__setitem__(nid, tuple(o.shape)))
    gm.eval()
    with torch.no_grad():
        gm(torch.randn(3, *a.nodes["x"].shape))
    assert set(seen) == set(ci.module_names)
    for nid, shape in seen.items():
        assert shape == (3, *a.nodes[nid].shape), (nid, g.nodes[nid].type, g.nodes[nid].params)
        real = sum(p.numel() for p in gm.get_submodule(ci.module_names[nid]).parameters())
        assert real == a.nodes[nid].params, (nid, g.nodes[nid].type)
