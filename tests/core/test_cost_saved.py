"""Saved-for-backward bytes from the cost rules against what autograd records.

The oracle is ``torch.autograd.graph.saved_tensors_hooks``: every tensor autograd keeps for the
backward pass goes through its pack hook during the forward pass. Each storage is counted once (a
ReLU's output that the next convolution keeps as its input is one tensor), and parameters are not
counted (they are the weights, not activations). For every example at batch 8 the whole graph's
estimate (:meth:`Analysis.saved_bytes`) is within ±10 % of that.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from graphlab.compiler import compile_graph, info
from graphlab.core import REGISTRY, Graph, analyze
from graphlab.io import load
from graphlab.run.setup import freeze

from .test_catalogue import LAYERS, sample_graph

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.graphlab.json"))
#: the examples whose batch of 8 needs more than ~1 GB (VGG-11, AlexNet at 224×224)
BIG = {"vgg11", "alexnet"}
BATCH = 8


def recorded_bytes(graph: Graph, batch: int = BATCH) -> int:
    """Bytes of the distinct non-parameter storages autograd saves in one training forward pass."""
    a = analyze(graph)
    torch.manual_seed(0)
    gm = compile_graph(graph, seed=0, analysis=a)
    gm.train()
    ci = info(gm)
    # frozen nodes ("trainable": false) as the trainer freezes them: no gradient, so nothing kept for one
    freeze(graph, {nid: gm.get_submodule(name) for nid, name in ci.module_names.items()})
    params = {p.untyped_storage().data_ptr() for p in gm.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        s = t.untyped_storage()
        if s.data_ptr() not in params:
            seen[s.data_ptr()] = s.nbytes()
        return t

    xs = [torch.rand(batch, *a.nodes[nid].shape) + 0.1 for nid in a.inputs]
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = gm(*xs)
        if a.loss is not None:
            spec = REGISTRY.get(graph.nodes[a.loss].type)
            n_out = a.nodes[a.output].shape
            y = (torch.randint(0, n_out[0], (batch,)) if spec.task == "classification"
                 else torch.randn(batch, *n_out))
            ci.loss(out, y)
    return sum(seen.values())


def estimated_bytes(graph: Graph, batch: int = BATCH) -> int:
    per_sample, fixed = analyze(graph).saved_bytes()
    return per_sample * batch + fixed


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name.split(".")[0])
def test_every_example_within_ten_percent(path: Path) -> None:
    name = path.name.split(".")[0]
    if name in BIG:
        pytest.skip("measured in test_big_examples (slow)")
    g = load(path)
    got, want = estimated_bytes(g), recorded_bytes(g)
    assert abs(got - want) <= 0.10 * want, f"estimate {got:,} vs autograd {want:,} bytes"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BIG))
def test_big_examples(name: str) -> None:
    g = load(Path(__file__).resolve().parents[2] / "examples" / f"{name}.graphlab.json")
    got, want = estimated_bytes(g), recorded_bytes(g)
    assert abs(got - want) <= 0.10 * want, f"estimate {got:,} vs autograd {want:,} bytes"


def _after_weights(type_name: str) -> Graph:
    """Input -> Linear/Conv -> the layer, so the layer's input needs a gradient (it takes part)."""
    spec = REGISTRY.get(type_name)
    g, shape = sample_graph(spec)
    g.remove_node("layer")
    first = "Conv2d" if len(shape) == 3 else "Linear"
    g.add_node(first, {"out_channels": shape[0], "padding": 1} if first == "Conv2d" else {"out_features": shape[-1]},
               node_id="w")
    g.connect("x", "w")
    g.add_node(type_name, node_id="layer")
    for port in range(2 if spec.variadic else spec.inputs):
        g.connect("w", "layer", port)
    return g


@pytest.mark.parametrize("type_name", LAYERS)
def test_each_layer_type_after_a_weighted_layer(type_name: str) -> None:
    g = _after_weights(type_name)
    a = analyze(g)
    assert a.ok, a.errors
    got, want = estimated_bytes(g), recorded_bytes(g)
    assert abs(got - want) <= 0.10 * want, f"estimate {got:,} vs autograd {want:,} bytes"


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers,bidirectional,output", [(1, False, "last"), (2, False, "sequence"),
                                                           (1, True, "last"), (2, True, "sequence")])
def test_recurrent_layers_on_the_cpu(kind: str, layers: int, bidirectional: bool, output: str) -> None:
    g = Graph("rnn")
    g.add_node("Input", {"shape": [12, 6]}, node_id="x")
    g.add_node(kind, {"hidden_size": 20, "num_layers": layers, "bidirectional": bidirectional, "output": output},
               node_id="layer")
    g.connect("x", "layer")
    got, want = estimated_bytes(g, 16), recorded_bytes(g, 16)
    assert abs(got - want) <= 0.10 * want, f"estimate {got:,} vs autograd {want:,} bytes"


def test_nothing_is_kept_where_nothing_needs_a_gradient() -> None:
    """Input -> MaxPool -> ReLU -> Conv: the pool and the ReLU see no gradient, the convolution keeps its input."""
    g = Graph("g")
    g.add_node("Input", {"shape": [3, 8, 8]}, node_id="x")
    g.add_node("MaxPool2d", node_id="pool")
    g.add_node("ReLU", node_id="relu")
    g.add_node("Conv2d", {"out_channels": 4}, node_id="conv")
    g.connect("x", "pool")
    g.connect("pool", "relu")
    g.connect("relu", "conv")
    a = analyze(g)
    assert a.nodes["pool"].saved_bytes == a.nodes["relu"].saved_bytes == 0
    assert a.nodes["conv"].saved_bytes == a.nodes["relu"].activation_bytes
    assert estimated_bytes(g) == recorded_bytes(g)
