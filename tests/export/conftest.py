"""Helpers for the export tests: import a generated script, graphs that use every layer type."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

from graphlab.core import Graph


def import_script(path: Path, name: str | None = None) -> ModuleType:
    """Import a generated .py file from anywhere, as a fresh module."""
    name = name or f"_exported_{path.stem}_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def randomize(state: dict[str, torch.Tensor], seed: int) -> dict[str, torch.Tensor]:
    """Every float tensor redrawn (BN running stats kept positive), so no test leans on init values."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, v in state.items():
        if v.is_floating_point():
            r = torch.randn(v.shape, generator=g) * 0.3
            out[k] = r.abs() + 0.5 if k.endswith("running_var") else r
        else:
            out[k] = v.clone()
    return out


def zoo_graph() -> Graph:
    """One graph that uses every non-loss layer type, with non-default params where they exist."""
    g = Graph("Layer zoo")
    g.add_node("Input", {"shape": [3, 12, 12]}, node_id="img")
    g.add_node("Input", {"shape": [7, 5]}, node_id="seq")
    chain = [
        ("Conv2d", {"out_channels": 4, "kernel_size": [3, 2], "stride": [1, 2], "padding": 1, "dilation": 1,
                    "bias": False}, "conv"),
        ("BatchNorm2d", {"eps": 1e-3, "momentum": 0.2}, "bn2"),
        ("PReLU", {"num_parameters": 4}, "prelu"),
        ("MaxPool2d", {"kernel_size": 2, "stride": 1, "padding": 1}, "maxpool"),
        ("AvgPool2d", {"kernel_size": [2, 3]}, "avgpool"),
        ("AdaptiveAvgPool2d", {"output_size": [2, 3]}, "adapt"),
        ("Flatten", {}, "flat"),
        ("Dropout", {"p": 0.25}, "drop"),
        ("Linear", {"out_features": 6}, "fc"),
        ("BatchNorm1d", {"affine": False}, "bn1"),
        ("LeakyReLU", {"negative_slope": 0.2}, "leaky"),
    ]
    prev = "img"
    for t, p, nid in chain:
        g.add_node(t, p, node_id=nid)
        g.connect(prev, nid)
        prev = nid
    # recurrent branch: RNN(sequence, bidirectional) -> GRU(sequence, 2 layers) -> LSTM(last)
    g.add_node("RNN", {"hidden_size": 4, "nonlinearity": "relu", "bidirectional": True, "output": "sequence"},
               node_id="rnn")
    g.add_node("GRU", {"hidden_size": 5, "num_layers": 2, "output": "sequence"}, node_id="gru")
    g.add_node("LSTM", {"hidden_size": 6, "bidirectional": True}, node_id="lstm")
    g.add_node("Linear", {"out_features": 6, "bias": False}, node_id="proj")
    g.connect("seq", "rnn"), g.connect("rnn", "gru"), g.connect("gru", "lstm"), g.connect("lstm", "proj")
    g.add_node("Maxout", {"out_features": 6, "pieces": 3}, node_id="maxout")
    g.connect("proj", "maxout")
    g.add_node("ELU", {"alpha": 0.5}, node_id="elu")
    g.add_node("Tanh", {}, node_id="tanh")
    g.add_node("Sigmoid", {}, node_id="sigm")
    g.add_node("ReLU", {}, node_id="relu")
    g.connect("leaky", "elu"), g.connect("maxout", "tanh"), g.connect("maxout", "sigm"), g.connect("fc", "relu")
    g.add_node("Multiply", {}, node_id="mul")
    g.connect("tanh", "mul", 0), g.connect("sigm", "mul", 1)
    g.add_node("Add", {}, node_id="add")
    g.connect("elu", "add", 0), g.connect("mul", "add", 1), g.connect("relu", "add", 2)
    # the layers of modern networks: depthwise conv, ceil-mode pools, LayerNorm and the newer activations
    modern = [("Conv2d", {"out_channels": 6, "groups": 3, "padding": 1}, "dwconv"), ("ReLU6", {}, "relu6"),
              ("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, "ceilpool"),
              ("AvgPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                             "count_include_pad": False}, "avgpad"),
              ("Hardswish", {}, "hswish"), ("Flatten", {}, "flat2"), ("Linear", {"out_features": 6}, "fc2"),
              ("LayerNorm", {"eps": 1e-4}, "ln"), ("SiLU", {}, "silu"), ("GELU", {"approximate": "tanh"}, "gelu"),
              ("Hardsigmoid", {}, "hsig"), ("Identity", {}, "ident")]
    prev = "img"
    for t, p, nid in modern:
        g.add_node(t, p, node_id=nid)
        g.connect(prev, nid)
        prev = nid
    g.connect("ident", "add", 3)
    g.add_node("Concat", {"dim": -1}, node_id="cat")
    g.connect("add", "cat", 0), g.connect("mul", "cat", 1)
    g.add_node("Softmax", {"dim": 0}, node_id="soft")
    g.connect("cat", "soft")
    g.add_node("MSELoss", {}, node_id="loss")
    g.connect("soft", "loss")
    return g


@pytest.fixture
def zoo() -> Graph:
    return zoo_graph()
