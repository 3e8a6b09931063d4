"""Frozen nodes (``"trainable": false``): their weights come out of training unchanged to the bit, a
frozen BatchNorm keeps its running statistics, the optimizer never holds them, and the rest trains."""
from __future__ import annotations

import pytest
import torch

from graphlab.core import Graph
from graphlab.io import dumps, loads
from graphlab.run.trainer import Trainer, train


def _net() -> Graph:
    g = Graph("freeze")
    g.add_node("Input", {"shape": [2]}, node_id="x")
    for nid, t, p in (("fc1", "Linear", {"out_features": 16}), ("bn", "BatchNorm1d", {}), ("act", "ReLU", {}),
                      ("fc2", "Linear", {"out_features": 3}), ("loss", "CrossEntropyLoss", {})):
        g.add_node(t, p, node_id=nid)
    for a, b in (("x", "fc1"), ("fc1", "bn"), ("bn", "act"), ("act", "fc2"), ("fc2", "loss")):
        g.connect(a, b)
    g.training = {"dataset": "spiral", "val_fraction": 0, "batch_size": 32, "epochs": 2, "stats": {"budget": 0},
                  "optimizer": {"name": "adam", "lr": 0.05}, "regularization": {"l2": 1e-3}}
    return g


def _trained(g: Graph) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], Trainer]:
    t = Trainer(g)
    from graphlab.compiler import compile_graph

    before = {k: v.clone() for k, v in compile_graph(g, seed=0).state_dict().items()}
    assert t.run().reason == "completed"
    return before, {k: v.detach().clone() for k, v in t.module.state_dict().items()}, t


def test_frozen_weights_and_batchnorm_statistics_are_unchanged_to_the_bit() -> None:
    g = _net()
    g.set_trainable("fc1", False)
    g.set_trainable("bn", False)
    before, after, t = _trained(g)
    for k in before:
        if k.startswith(("fc1.", "bn.")):
            assert torch.equal(before[k], after[k]), k  # weights, running_mean, running_var, num_batches_tracked
        elif k.startswith("fc2."):
            assert not torch.equal(before[k], after[k]), k
    held = {id(p) for group in t.state.opt.param_groups for p in group["params"]}
    assert held == {id(p) for p in t.module.fc2.parameters()}


def test_without_freezing_the_same_run_changes_them() -> None:
    before, after, _ = _trained(_net())
    assert not torch.equal(before["fc1.weight"], after["fc1.weight"])
    assert not torch.equal(before["bn.running_mean"], after["bn.running_mean"])


def test_freezing_everything_is_refused_in_one_line() -> None:
    g = _net()
    for nid in ("fc1", "bn", "fc2"):
        g.set_trainable(nid, False)
    fin, events = train(g)
    err = events[-2]
    assert fin.reason == "error" and err.field == "trainable"
    assert "nothing to train" in err.message and "\n" not in err.message


def test_trainable_false_is_saved_beside_id_type_and_params() -> None:
    g = _net()
    g.set_trainable("fc1", False)
    text = dumps(g)
    assert '"graphlab": 3' in text and '"trainable": false' in text
    assert not loads(text).nodes["fc1"].trainable and loads(text).nodes["fc2"].trainable
    g.set_trainable("fc1", True)
    assert '"graphlab": 2' in dumps(g) and "trainable" not in dumps(g)


def test_the_training_cost_counts_gradients_and_optimizer_state_of_trained_weights_only() -> None:
    """The four-part estimate against the trainer itself: its optimizer's state after a step, and the
    gradients autograd left on the parameters (frozen ones get none)."""
    from graphlab.core import analyze
    from graphlab.core.training_cost import training_cost

    g = _net()
    g.set_trainable("fc1", False)
    g.set_trainable("bn", False)
    cost = training_cost(analyze(g), 32, "adam")
    _, _, t = _trained(g)
    grads = sum(p.grad.numel() * p.grad.element_size() for p in t.module.parameters() if p.grad is not None)
    state = sum(v.numel() * v.element_size() for s in t.state.opt.state.values() for v in s.values()
                if torch.is_tensor(v) and v.dim() > 0)  # Adam's two moments (its step counts are scalars)
    assert cost.gradients == grads == 4 * sum(p.numel() for p in t.module.fc2.parameters())
    assert cost.optimizer_state == state == 2 * grads
    assert cost.weights == 4 * sum(p.numel() for p in t.module.parameters())
