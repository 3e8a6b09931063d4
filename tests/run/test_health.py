"""Health warnings from real runs that have the problem, and none from runs that do not."""
from __future__ import annotations

import math

import pytest

from graphlab.core import Graph
from graphlab.run import events as ev
from graphlab.run.health import Health
from graphlab.run.trainer import train

from .test_trainer import mlp

DIGITS = {"dataset": "digits", "preprocess": "standardize", "epochs": 1, "batch_size": 64, "stats": {"budget": 1.0}}


def deep(act: str, layers: int = 10, width: int = 64, bn: bool = False) -> Graph:
    g = Graph("deep")
    g.add_node("Input", {"shape": [1, 8, 8]}, node_id="x")
    g.add_node("Flatten", {}, node_id="flat")
    g.connect("x", "flat")
    prev = "flat"
    for i in range(1, layers + 1):
        g.add_node("Linear", {"out_features": width}, node_id=f"fc{i}")
        g.connect(prev, f"fc{i}")
        prev = f"fc{i}"
        if bn:
            g.add_node("BatchNorm1d", {}, node_id=f"bn{i}")
            g.connect(prev, f"bn{i}")
            prev = f"bn{i}"
        if act:
            g.add_node(act, {}, node_id=f"act{i}")
            g.connect(prev, f"act{i}")
            prev = f"act{i}"
    g.add_node("Linear", {"out_features": 10}, node_id="scores")
    g.add_node("CrossEntropyLoss", {}, node_id="loss")
    g.connect(prev, "scores")
    g.connect("scores", "loss")
    return g


def warnings(events, kind=None):
    return [e for e in events if isinstance(e, ev.Warning) and (kind is None or e.kind == kind)]


def test_vanishing_gradients_in_a_deep_tanh_net_with_small_weights_and_not_with_xavier():
    g = deep("Tanh")
    g.training = {**DIGITS, "init": "small_gaussian", "optimizer": {"name": "sgd", "lr": 0.01}}
    events = train(g)[1]
    (w,) = warnings(events, "vanishing")
    assert w.node.startswith(("fc", "act")) and w.value < 1e-3 and w.step == 1
    g.training = {**DIGITS, "init": "xavier", "optimizer": {"name": "sgd", "lr": 0.01}}
    assert not warnings(train(g)[1], "vanishing")


def test_exploding_gradients_in_a_deep_linear_stack_with_unit_gaussian_weights():
    g = deep("", layers=6)
    g.training = {**DIGITS, "init": "gaussian", "optimizer": {"name": "sgd", "lr": 1e-9}}
    events = train(g)[1]
    ex = warnings(events, "exploding")
    assert ex and ex[0].value > 1e3 and ex[0].node.startswith("fc")
    assert warnings(events, "initial_loss")  # scores of that size are far from ln 10 at the start


def test_dead_units_warning_on_the_relu_node(monkeypatch):
    import graphlab.run.trainer as trainer_mod

    real = trainer_mod.compile_graph

    def with_dead_units(*args, **kwargs):
        gm = real(*args, **kwargs)
        gm.fc1.bias.data[:12] = -1e3  # 12 of 20 units can never fire
        return gm
    monkeypatch.setattr(trainer_mod, "compile_graph", with_dead_units)
    g = mlp(hidden=20, inp=(1, 8, 8), classes=10)
    g.training = DIGITS
    (w,) = warnings(train(g)[1], "dead")
    assert w.node == "act" and w.value == pytest.approx(12 / 20) and "dead" in w.message


def test_update_ratio_too_low_and_too_high():
    g = mlp(hidden=50, inp=(1, 8, 8), classes=10)
    g.training = {**DIGITS, "optimizer": {"name": "sgd", "lr": 1e-7}}
    low = warnings(train(g)[1], "update_low")
    assert {w.node for w in low} == {"fc1", "scores"} and all(w.value < 1e-5 for w in low)
    g.training = {**DIGITS, "optimizer": {"name": "sgd", "lr": 0.05}}
    assert not warnings(train(g)[1])
    g = mlp(hidden=50, inp=(1, 8, 8), classes=10, act="Tanh")  # tanh units survive lr 50; ReLUs would die
    g.training = {**DIGITS, "optimizer": {"name": "sgd", "lr": 50.0}}
    high = warnings(train(g)[1], "update_high")
    assert "fc1" in {w.node for w in high} and all(w.value > 0.1 for w in high)


def test_gradient_flow_compares_per_value_norms_and_names_the_node_nearest_the_output():
    h = Health(["a", "b", "c", "out"], {"a": 100, "b": 100, "c": 4, "out": 1}, "out")

    def stat(gn):
        return ev.NodeStat(0.0, 1.0, 0.0, None, gn)
    # per value: a 1e-5, b 1e-4, c 0.5 (norm 1 over 4 values), out 1
    ns = ev.NodeStats(1, 3, {"a": stat(1e-4), "b": stat(1e-3), "c": stat(1.0), "out": stat(1.0)})
    assert h.per_value(ns)["c"] == pytest.approx(0.5)
    (w,) = h.check(ns)
    assert (w.kind, w.node, w.step) == ("vanishing", "b", 3) and w.value == pytest.approx(1e-4)
    assert h.check(ns) == []  # once per node and kind
    h2 = Health(["a", "out"], {"a": 1, "out": 1}, "out")
    (w,) = h2.check(ev.NodeStats(1, 1, {"a": stat(2e3), "out": stat(1.0)}))
    assert (w.kind, w.node) == ("exploding", "a")
    assert Health(["a"], {"a": 1}, None).check(ev.NodeStats(1, 1, {"a": stat(math.nan)})) == []
