"""Receptive fields from the cost rules' windows against a brute-force footprint.

The oracle: with positive weights, zero biases, a positive input and average pooling in place of
max pooling (so no gradient cancels or is routed away), the input pixels that influence one output
unit are exactly where ∂out[unit]/∂input is not zero. The analysis's field for the centre unit,
clipped to the image, must be the bounding box of that region, on 40 random conv/pool/dilation
chains and Add/Concat DAGs; a VGG-16 stack gives pool5 the textbook field of 212 with stride 32.
"""
from __future__ import annotations

import random

import pytest
import torch
from torch import nn

from graphlab.compiler import compile_graph, info
from graphlab.core import Graph, analyze

# layers that keep the size (stride 1) and layers that halve it (stride 2, same size for every input)
KEEP = [("Conv2d", {"kernel_size": 3, "padding": 1}), ("Conv2d", {"kernel_size": 5, "padding": 2}),
        ("Conv2d", {"kernel_size": 3, "padding": 2, "dilation": 2}), ("Conv2d", {"kernel_size": 1}),
        ("MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1}), ("ReLU", {}), ("BatchNorm2d", {})]
HALVE = [("Conv2d", {"kernel_size": 3, "stride": 2, "padding": 1}), ("Conv2d", {"kernel_size": 1, "stride": 2}),
         ("Conv2d", {"kernel_size": 5, "stride": 2, "padding": 2})]
FREE = [("Conv2d", {"kernel_size": 2}), ("Conv2d", {"kernel_size": 3, "stride": 2}),
        ("Conv2d", {"kernel_size": 3, "dilation": 3}), ("Conv2d", {"kernel_size": 4, "stride": 3, "padding": 1}),
        ("MaxPool2d", {"kernel_size": 2}), ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
        ("AvgPool2d", {"kernel_size": 3, "stride": 1}), ("AvgPool2d", {"kernel_size": 2, "stride": 2}),
        ("ReLU", {})]


def _add(g: Graph, src: str, type_: str, params: dict, channels: int = 2) -> str:
    p = dict(params)
    if type_ == "Conv2d":
        p["out_channels"] = channels
    node = g.add_node(type_, p)
    g.connect(src, node.id)
    return node.id


def random_chain(rng: random.Random) -> Graph:
    g = Graph("chain")
    prev = g.add_node("Input", {"shape": [2, rng.randint(30, 48), rng.randint(30, 48)]}, node_id="x").id
    for _ in range(rng.randint(2, 6)):
        prev = _add(g, prev, *rng.choice(FREE))
    return g


def random_dag(rng: random.Random) -> Graph:
    """A trunk, then 2–3 branches joined by Add or Concat, then maybe more; the branches' strides agree."""
    g = Graph("dag")
    prev = g.add_node("Input", {"shape": [2, rng.randint(30, 48), rng.randint(30, 48)]}, node_id="x").id
    for _ in range(rng.randint(0, 2)):
        prev = _add(g, prev, *rng.choice(FREE))
    for _ in range(rng.randint(1, 2)):
        halve = rng.random() < 0.4
        ends = []
        for _b in range(rng.randint(2, 3)):
            end = prev
            if halve:
                end = _add(g, end, *rng.choice(HALVE))
            for _ in range(rng.randint(0 if not halve else 0, 3)):
                end = _add(g, end, *rng.choice(KEEP))
            if end == prev:  # an identity branch (a skip connection) needs a layer to be its own node
                end = _add(g, end, "ReLU", {})
            ends.append(end)
        join = g.add_node("Add" if rng.random() < 0.6 else "Concat")
        for port, end in enumerate(ends):
            g.connect(end, join.id, port)
        prev = join.id
        if rng.random() < 0.5:
            prev = _add(g, prev, *rng.choice(KEEP))
    return g


def footprint(g: Graph, unit: tuple[int, int]) -> tuple[int, int, int, int]:
    """Bounding box (top, left, bottom, right) of the input pixels whose gradient for out[0, :, unit] is not
    zero: positive weights, zero biases, average pooling instead of max pooling, batch norm in eval mode."""
    gm = compile_graph(g, seed=0)
    for name, m in list(gm.named_modules()):
        if isinstance(m, nn.MaxPool2d):
            gm.set_submodule(name, nn.AvgPool2d(m.kernel_size, m.stride, m.padding, count_include_pad=True))
        elif isinstance(m, nn.Conv2d):
            with torch.no_grad():
                m.weight.copy_(torch.rand_like(m.weight) + 0.5)
                m.bias.zero_()
    gm.eval()
    a = analyze(g)
    x = (torch.rand(1, *a.nodes["x"].shape, dtype=torch.float64) + 0.5).requires_grad_(True)
    out = gm.double()(x)
    out[0, :, unit[0], unit[1]].sum().backward()  # every channel at the position (a Concat's come from different branches)
    hit = (x.grad[0].abs().sum(0) > 0).nonzero()
    return (int(hit[:, 0].min()), int(hit[:, 1].min()), int(hit[:, 0].max()), int(hit[:, 1].max()))


def predicted(g: Graph, node: str, unit: tuple[int, int]) -> tuple[int, int, int, int]:
    a = analyze(g)
    rf = a.nodes[node].rf
    assert rf is not None, [p.text() for p in a.problems]
    _, h, w = a.nodes["x"].shape
    top, left, bottom, right = rf.rows(*unit)
    return max(top, 0), max(left, 0), min(bottom, h - 1), min(right, w - 1)


def _check(g: Graph) -> None:
    a = analyze(g)
    assert a.ok, [p.text() for p in a.problems]
    assert len(a.sinks) == 1
    last = a.sinks[0]
    _, oh, ow = a.nodes[last].shape
    unit = (oh // 2, ow // 2)  # the centre: near the borders part of a field falls on some layer's padding
    assert predicted(g, last, unit) == footprint(g, unit), [(n, g.nodes[n].type, g.nodes[n].params) for n in a.order]


def _sized(make, rng: random.Random) -> Graph:  # type: ignore[no-untyped-def]
    """A random graph whose shapes all work out (a stride-2 layer on a small map may not fit) and whose centre
    unit's field lies inside the image (where it does not, some of it falls on a layer's zero padding)."""
    for _ in range(200):
        g = make(rng)
        a = analyze(g)
        if not (a.ok and len(a.sinks) == 1 and len(a.nodes[a.sinks[0]].shape) == 3):
            continue
        _, oh, ow = a.nodes[a.sinks[0]].shape
        _, h, w = a.nodes["x"].shape
        top, left, bottom, right = a.nodes[a.sinks[0]].rf.rows(oh // 2, ow // 2)
        if top >= 0 and left >= 0 and bottom < h and right < w:  # beyond the image, part of it is padding
            return g
    raise AssertionError("no random graph fitted")


@pytest.mark.parametrize("seed", range(20))
def test_random_chains_match_the_gradient_footprint(seed: int) -> None:
    _check(_sized(random_chain, random.Random(seed)))


@pytest.mark.parametrize("seed", range(20))
def test_random_dags_match_the_gradient_footprint(seed: int) -> None:
    _check(_sized(random_dag, random.Random(1000 + seed)))


def test_vgg16_pool5_sees_212_pixels_with_stride_32() -> None:
    g = Graph("vgg16")
    prev = g.add_node("Input", {"shape": [3, 224, 224]}, node_id="x").id
    for block, convs in enumerate((2, 2, 3, 3, 3), 1):
        for _ in range(convs):
            prev = _add(g, prev, "Conv2d", {"kernel_size": 3, "padding": 1}, 8)
            prev = _add(g, prev, "ReLU", {})
        pool = g.add_node("MaxPool2d", node_id=f"pool{block}")
        g.connect(prev, pool.id)
        prev = pool.id
    rf = analyze(g).nodes["pool5"].rf
    assert (rf.size_h, rf.size_w, rf.stride_h, rf.stride_w) == (212, 212, 32, 32)
    assert rf.to_json() == {"size": [212, 212], "stride": [32, 32], "start": [-90, -90]}


def test_branches_that_do_not_line_up_give_a_warning_not_a_field() -> None:
    """Add(pool 2×2 stride 2, conv 9×9 stride 1) of a 16×16 image: both 8×8, on different grids."""
    g = Graph("g")
    g.add_node("Input", {"shape": [1, 16, 16]}, node_id="x")
    g.add_node("MaxPool2d", node_id="pool")
    g.add_node("Conv2d", {"out_channels": 1, "kernel_size": 9}, node_id="conv")
    g.add_node("Add", node_id="add")
    g.add_node("ReLU", node_id="relu")
    for a, b, port in (("x", "pool", 0), ("x", "conv", 0), ("pool", "add", 0), ("conv", "add", 1), ("add", "relu", 0)):
        g.connect(a, b, port)
    a = analyze(g)
    assert a.ok
    assert a.nodes["add"].rf is None and a.nodes["relu"].rf is None
    warnings = [p for p in a.problems if p.severity == "warning"]
    assert [p.node for p in warnings] == ["add"]
    assert "do not line up" in warnings[0].message and "2×2 and 1×1" in warnings[0].message


def test_units_that_are_not_image_positions_have_no_field() -> None:
    g = Graph("g")
    g.add_node("Input", {"shape": [1, 8, 8]}, node_id="x")
    g.add_node("Linear", {"out_features": 4}, node_id="fc")  # acts on the last axis: [1, 8, 4]
    g.add_node("Flatten", node_id="flat")
    g.connect("x", "fc")
    g.connect("fc", "flat")
    a = analyze(g)
    assert a.nodes["x"].rf.to_json() == {"size": [1, 1], "stride": [1, 1], "start": [0, 0]}
    assert a.nodes["fc"].rf is None and a.nodes["flat"].rf is None
