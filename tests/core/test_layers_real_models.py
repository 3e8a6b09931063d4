"""The layer options real models need, checked against PyTorch (the oracle) beyond the defaults the
catalogue tests use: grouped and depthwise convolution, pools with ceil_mode and count_include_pad,
LayerNorm over several dimensions, GELU's tanh form. Shapes, parameter counts and outputs."""
from __future__ import annotations

import itertools
import random

import pytest
import torch

from graphlab.compiler import compile_graph
from graphlab.core import Graph, analyze


def _one(layer: str, params: dict, shape: list[int]) -> Graph:
    g = Graph("t")
    g.add_node("Input", {"shape": shape}, node_id="x")
    g.add_node(layer, params, node_id="n")
    g.connect("x", "n")
    return g


def _agree(g: Graph, oracle: torch.nn.Module, shape: list[int]) -> None:
    a = analyze(g)
    assert a.ok, a.problems
    x = torch.randn(3, *shape)
    gm = compile_graph(g, seed=0).eval()
    got = gm(x)
    assert tuple(got.shape[1:]) == a.nodes["n"].shape == tuple(oracle(x).shape[1:])
    assert a.nodes["n"].params == sum(p.numel() for p in oracle.parameters())
    module = gm.get_submodule("n")
    oracle.load_state_dict(module.state_dict())
    assert torch.allclose(got, oracle.eval()(x), atol=1e-6)


@pytest.mark.parametrize("c_in, c_out, groups", [(4, 8, 2), (6, 6, 6), (3, 12, 3), (8, 8, 4)])
def test_grouped_and_depthwise_convolution(c_in: int, c_out: int, groups: int) -> None:
    g = _one("Conv2d", {"out_channels": c_out, "kernel_size": 3, "padding": 1, "groups": groups}, [c_in, 7, 7])
    _agree(g, torch.nn.Conv2d(c_in, c_out, 3, padding=1, groups=groups), [c_in, 7, 7])


def test_groups_that_do_not_divide_the_channels_are_refused_on_the_node() -> None:
    for params, shape in (({"out_channels": 8, "groups": 3}, [6, 5, 5]), ({"out_channels": 9, "groups": 2}, [4, 5, 5])):
        errors = analyze(_one("Conv2d", params, shape)).errors
        assert [(p.node, "groups" in p.message) for p in errors] == [("n", True)]


def test_pool_shapes_match_torch_over_random_windows() -> None:
    rng = random.Random(0)
    cases = 0
    for _ in range(300):
        k, s = rng.randint(1, 5), rng.randint(1, 4)
        p = rng.randint(0, k // 2)
        h, w = rng.randint(max(k, s), 13), rng.randint(max(k, s), 13)  # a stride past the input is refused by design
        for ceil, layer in itertools.product((False, True), ("MaxPool2d", "AvgPool2d")):
            g = _one(layer, {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil}, [2, h, w])
            a = analyze(g)
            cls = getattr(torch.nn, layer)
            try:
                want = tuple(cls(k, s, p, ceil_mode=ceil)(torch.zeros(1, 2, h, w)).shape[1:])
            except RuntimeError:
                assert not a.ok
                continue
            assert a.ok and a.nodes["n"].shape == want, (layer, k, s, p, ceil, h, w)
            cases += 1
    assert cases > 500


@pytest.mark.parametrize("include", [True, False])
def test_avg_pool_count_include_pad_and_ceil_mode_compute_as_torch(include: bool) -> None:
    params = {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": include}
    g = _one("AvgPool2d", params, [2, 8, 8])
    _agree(g, torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=include), [2, 8, 8])


@pytest.mark.parametrize("dims, shape, affine, bias", [(1, [6], True, True), (2, [5, 4], True, False),
                                                       (3, [2, 3, 4], True, True), (1, [5, 4], False, True)])
def test_layernorm_over_the_last_dims(dims: int, shape: list[int], affine: bool, bias: bool) -> None:
    g = _one("LayerNorm", {"dims": dims, "affine": affine, "bias": bias, "eps": 1e-3}, shape)
    oracle = torch.nn.LayerNorm(shape[-dims:], eps=1e-3, elementwise_affine=affine, bias=bias)
    _agree(g, oracle, shape)
    too_many = analyze(_one("LayerNorm", {"dims": len(shape) + 1}, shape)).errors
    assert [p.node for p in too_many] == ["n"] and "dims" in too_many[0].message


@pytest.mark.parametrize("layer, params, oracle", [
    ("GELU", {"approximate": "tanh"}, torch.nn.GELU(approximate="tanh")), ("ReLU6", {}, torch.nn.ReLU6()),
    ("SiLU", {}, torch.nn.SiLU()), ("Hardswish", {}, torch.nn.Hardswish()), ("Hardsigmoid", {}, torch.nn.Hardsigmoid()),
    ("Identity", {}, torch.nn.Identity())])
def test_the_new_activations_compute_as_torch(layer: str, params: dict, oracle: torch.nn.Module) -> None:
    _agree(_one(layer, params, [4, 5]), oracle, [4, 5])


def test_defaults_leave_exported_constructor_calls_unchanged() -> None:
    """groups=1, ceil_mode=False, count_include_pad=True and bias=True are not written: files and
    exports made before these options existed build the same modules."""
    from graphlab.core import REGISTRY

    conv = REGISTRY.get("Conv2d")
    p, _ = conv.resolve({})
    assert "groups" not in conv.torch.kwargs(p, [(3, 8, 8)], (8, 6, 6))
    for layer in ("MaxPool2d", "AvgPool2d"):
        spec = REGISTRY.get(layer)
        p, _ = spec.resolve({})
        assert set(spec.torch.kwargs(p, [(3, 8, 8)], (3, 4, 4))) == {"kernel_size", "stride", "padding"}
