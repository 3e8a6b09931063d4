"""Pictures of nodes against the tensors they come from (hooks on a plain forward, the weights)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import graphlab
from graphlab.compiler import compile_graph, info
from graphlab.run.images import ImageMaker, feature_maps, filters, norm_tiles, templates


def scaled(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    lo, hi = a.min(), a.max()
    return (a - lo) / (hi - lo)


def test_each_tile_is_scaled_on_its_own():
    t = torch.stack([torch.arange(6.0).view(2, 3), 10 * torch.arange(6.0).view(2, 3), torch.full((2, 3), 4.0)])
    out = norm_tiles(t)
    assert out.dtype == np.float32 and out.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(out[0], scaled(t[0].numpy()), rtol=1e-6)
    np.testing.assert_allclose(out[1], out[0], rtol=1e-6)
    assert (out[2] == 0.5).all()  # a constant tile


def test_feature_maps_filters_and_templates_of_compiled_graphs(examples_dir):
    g = graphlab.load(examples_dir / "digits_cnn.graphlab.json")
    gm = compile_graph(g, seed=3)
    gm.train()
    probe = torch.randn(1, 1, 8, 8)
    maker = ImageMaker(gm, info(gm), probe, [str(i) for i in range(10)], gm.train)
    assert maker.available("conv1") == ["feature_maps", "filters"] and maker.available("fc") == []
    kept = {}
    h = gm.relu1.register_forward_hook(lambda m, a, o: kept.setdefault("relu1", o.detach()))
    gm.eval()
    with torch.no_grad():
        gm(probe)
    h.remove()
    gm.train()
    maps, seen = maker.make("relu1", 1, 5, request=9)
    assert (maps.kind, maps.request, maps.step) == ("feature_maps", 9, 5) and gm.training  # train mode restored
    # with the feature maps comes the probe sample they are of (where the view draws receptive fields)
    assert (seen.kind, seen.node, seen.request, seen.labels) == ("probe", "relu1", 9, ["probe sample"])
    np.testing.assert_allclose(seen.tiles[0], scaled(probe[0, 0].numpy()), atol=1e-6)
    for c in range(16):
        if kept["relu1"][0, c].max() > kept["relu1"][0, c].min():
            np.testing.assert_allclose(maps.tiles[c], scaled(kept["relu1"][0, c].numpy()), atol=1e-6)
    tiles, labels, ranges = filters(gm.conv1.weight)
    w4 = gm.conv1.weight[4, 0].detach().numpy()
    np.testing.assert_allclose(tiles[4], scaled(w4), atol=1e-6)
    assert labels[4] == "filter 4" and ranges[4] == pytest.approx((w4.min(), w4.max()))
    lo, hi = maps.ranges[3]  # the raw values come back from a tile and its range
    np.testing.assert_allclose(lo + maps.tiles[3] * (hi - lo), kept["relu1"][0, 3].numpy(), atol=1e-5)
    rgb, _, _ = filters(torch.randn(70, 3, 5, 5))
    assert rgb.shape == (64, 5, 5, 3)  # at most 64 tiles, channels last


def test_templates_of_a_linear_classifier_on_images():
    from graphlab.core import Graph

    g = Graph("lin")
    g.add_node("Input", {"shape": [3, 4, 5]}, node_id="x")
    g.add_node("Flatten", {}, node_id="flat")
    g.add_node("Linear", {"out_features": 10}, node_id="scores")
    g.add_node("CrossEntropyLoss", {}, node_id="loss")
    for a, b in (("x", "flat"), ("flat", "scores"), ("scores", "loss")):
        g.connect(a, b)
    gm = compile_graph(g)
    names = [f"class{i}" for i in range(10)]
    maker = ImageMaker(gm, info(gm), torch.randn(1, 3, 4, 5), names, gm.train)
    assert maker.available("scores") == ["templates"] and maker.available("flat") == []
    (img,) = maker.make("scores", 2, 7)
    assert img.tiles.shape == (10, 4, 5, 3) and img.labels == names
    w = gm.scores.weight.detach().numpy()
    np.testing.assert_allclose(img.tiles[2], scaled(w[2].reshape(3, 4, 5).transpose(1, 2, 0)), atol=1e-6)
    grey, _, _ = templates(torch.randn(3, 2 * 2 * 2), (2, 2, 2), [])
    assert grey.shape == (3, 2, 2)


@pytest.mark.parametrize("c", [1, 16])
def test_feature_maps_cap_and_label(c):
    tiles, labels, ranges = feature_maps(torch.randn(c * 5, 6, 7))
    assert len(ranges) == len(tiles)
    assert tiles.shape == (min(c * 5, 64), 6, 7) and labels[-1] == f"channel {min(c * 5, 64) - 1}"
