"""FLOPs from the cost rules against torch's own counter (an independent oracle).

``torch.utils.flop_counter.FlopCounterMode`` on meta tensors counts the matrix products of
convolutions, linear maps and RNN/LSTM/GRU gates exactly (2 × MACs; nothing for element-wise work),
without allocating anything: each node's ``flops`` must equal its count for that node's module at
batch 1, for every layer in the palette and every node of every example. The backward pass is
checked the same way: a whole training step's forward + backward count equals the analysis's
``flops + flops_backward`` summed over the nodes, at batch 3.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from graphlab.compiler.layers import build_module
from graphlab.core import REGISTRY, Graph, analyze
from graphlab.io import load

from .test_catalogue import LAYERS, sample_graph

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.graphlab.json"))


def _count(fn) -> int:  # type: ignore[no-untyped-def]
    counter = FlopCounterMode(display=False)
    with counter:
        fn()
    return int(counter.get_total_flops())


def node_flops(graph: Graph, nid: str) -> int:
    """FlopCounterMode's count for one node's module, on meta tensors, batch 1."""
    a = analyze(graph)
    info = a.nodes[nid]
    spec = REGISTRY.get(graph.nodes[nid].type)
    with torch.device("meta"):
        module = build_module(spec, info.resolved, info.input_shapes, info.shape).eval()  # BN at batch 1
        xs = [torch.empty((1, *s)) for s in info.input_shapes]
        if spec.is_loss:
            target = (torch.zeros(1, dtype=torch.long) if spec.task == "classification"
                      else torch.empty((1, *info.input_shapes[0])))
            return _count(lambda: module(xs[0], target))
    return _count(lambda: module(*xs))


@pytest.mark.parametrize("type_name", LAYERS)
def test_each_layer_type_counts_what_torch_counts(type_name: str) -> None:
    g, _ = sample_graph(REGISTRY.get(type_name))
    assert analyze(g).nodes["layer"].flops == node_flops(g, "layer")


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, False), (1, True), (3, True)])
def test_recurrent_layers_count_every_gate(kind: str, layers: int, bidirectional: bool) -> None:
    g = Graph("rnn")
    g.add_node("Input", {"shape": [9, 5]}, node_id="x")
    g.add_node(kind, {"hidden_size": 7, "num_layers": layers, "bidirectional": bidirectional,
                      "output": "sequence"}, node_id="layer")
    g.connect("x", "layer")
    flops = analyze(g).nodes["layer"].flops
    assert flops > 0 and flops == node_flops(g, "layer")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name.split(".")[0])
def test_every_node_of_every_example(path: Path) -> None:
    g = load(path)
    a = analyze(g)
    assert a.ok, a.errors
    for nid in a.order:
        if REGISTRY.get(g.nodes[nid].type).is_input:
            continue
        assert a.nodes[nid].flops == node_flops(g, nid), nid


def _step_flops(graph: Graph, batch: int) -> int:
    """FlopCounterMode over a training step (forward, loss, backward) of the compiled graph on meta."""
    from graphlab.compiler import compile_graph, info

    with torch.device("meta"):
        gm = compile_graph(graph, seed=0)
        ci = info(gm)
        a = analyze(graph)
        xs = [torch.empty((batch, *a.nodes[nid].shape)) for nid in a.inputs]
        if a.loss is None:  # a graph without a loss: the gradient of its output's sum (sum counts nothing)
            return _count(lambda: gm(*xs).sum().backward())
        loss_spec = REGISTRY.get(graph.nodes[a.loss].type)
        out_shape = a.nodes[a.output].shape
        y = (torch.zeros(batch, dtype=torch.long) if loss_spec.task == "classification"
             else torch.empty((batch, *out_shape)))
        return _count(lambda: ci.loss(gm(*xs), y).backward())


@pytest.mark.parametrize("name", ["digits_cnn", "lenet5", "resnet18", "inception_block", "adding_lstm",
                                  "sine_gru", "adding_rnn", "two_layer_net", "lesson_batchnorm_on"])
def test_a_training_step_forward_and_backward(name: str) -> None:
    g = load(Path(__file__).resolve().parents[2] / "examples" / f"{name}.graphlab.json")
    a = analyze(g)
    batch = 3
    predicted = batch * sum(i.flops + i.flops_backward for i in a.nodes.values())
    assert predicted == _step_flops(g, batch)


def test_every_layer_in_the_palette_states_its_own_cost_rule() -> None:
    """A new layer brings its own cost rule (the default answers zero for everything)."""
    from graphlab.core import spec as spec_module

    for type_name in REGISTRY.types():
        assert REGISTRY.get(type_name).cost is not spec_module._no_cost, type_name
