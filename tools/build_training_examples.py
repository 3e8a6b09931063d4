"""Write the training sections of the examples and the training example files (run from the repo root:
python tools/build_training_examples.py).

* Existing examples: only their "training" key is (re)written.
* New files: the CS231n spiral pair, RNN vs LSTM vs GRU on the adding problem, the same MLP under the
  six optimizers, a GRU on noisy sine waves. Layout by graphlab.core.layout.layered_positions.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphlab.core import Graph  # noqa: E402
from graphlab.core.layout import layered_positions  # noqa: E402
from graphlab.io import load, save  # noqa: E402
from graphlab.run.config import parse_training  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "examples"

CS231N = {"dataset": {"name": "spiral", "classes": 3, "points": 100}, "val_fraction": 0, "init": "small_gaussian",
          "optimizer": {"name": "sgd", "lr": 1.0}, "regularization": {"l2": 0.001}, "batch_size": "full"}
ADDING = {"dataset": {"name": "adding", "length": 50, "samples": 6000}, "optimizer": {"name": "adam", "lr": 0.01},
          "batch_size": 32, "epochs": 8, "clip_grad_norm": 1.0}
DIGITS = {"dataset": "digits", "preprocess": "standardize", "optimizer": {"name": "adam", "lr": 0.002},
          "batch_size": 32, "epochs": 15}
IMAGENET = {"dataset": {"name": "image_folder", "path": "data/images", "size": [224, 224]},
            "preprocess": "per_channel_mean", "augment": {"hflip": True, "crop_padding": 16},
            "optimizer": {"name": "momentum", "lr": 0.01, "momentum": 0.9}, "schedule": {"name": "cosine"},
            "regularization": {"l2": 0.0001}, "batch_size": 32, "epochs": 30}

EXISTING: dict[str, dict[str, Any]] = {
    "linear_classifier": {"dataset": "spiral", "optimizer": {"name": "sgd", "lr": 0.5},
                          "regularization": {"l2": 0.001}, "batch_size": 30, "epochs": 100},
    "two_layer_net": {"dataset": "spiral", "optimizer": {"name": "momentum", "lr": 0.1},
                      "regularization": {"l2": 0.001}, "batch_size": 30, "epochs": 300},
    "lenet5": {"dataset": {"name": "digits", "size": 28}, "preprocess": "standardize",
               "optimizer": {"name": "adam", "lr": 0.001}, "batch_size": 64, "epochs": 10},
    "digits_cnn": DIGITS,
    "lstm_sequence": ADDING,
    "resnet18": IMAGENET,
    "vgg11": IMAGENET,
    "alexnet": IMAGENET,
}


def _save(g: Graph, name: str) -> None:
    for nid, p in layered_positions(g).items():
        g.nodes[nid].pos = p
    parse_training(g.training)  # never write a section the trainer would refuse
    path = OUT / f"{name}.graphlab.json"
    if path.exists():
        g.extra = {**load(path).extra, **g.extra}  # keep the "example" menu entry
    save(g, path)


def chain(name: str, layers: list[tuple[str, str, dict[str, Any]]], training: dict[str, Any]) -> Graph:
    g = Graph(name)
    prev = None
    for nid, type_, params in layers:
        g.add_node(type_, params, node_id=nid)
        if prev is not None:
            g.connect(prev, nid)
        prev = nid
    g.training = training
    return g


def main() -> None:
    for name, training in EXISTING.items():
        g = load(OUT / f"{name}.graphlab.json")
        g.training = training
        parse_training(training)
        save(g, OUT / f"{name}.graphlab.json")

    _save(chain("CS231n spiral: linear softmax classifier",
                [("x", "Input", {"shape": [2]}), ("scores", "Linear", {"out_features": 3}),
                 ("loss", "CrossEntropyLoss", {})], {**CS231N, "epochs": 200}), "spiral_linear")
    _save(chain("CS231n spiral: 2-layer net, 100 hidden ReLUs",
                [("x", "Input", {"shape": [2]}), ("fc1", "Linear", {"out_features": 100}), ("relu", "ReLU", {}),
                 ("scores", "Linear", {"out_features": 3}), ("loss", "CrossEntropyLoss", {})],
                {**CS231N, "epochs": 10000}), "spiral_two_layer")
    for kind in ("RNN", "LSTM", "GRU"):
        _save(chain(f"Adding problem (T = 50): {kind}",
                    [("seq", "Input", {"shape": [50, 2]}), ("rnn", kind, {"hidden_size": 32}),
                     ("head", "Linear", {"out_features": 1}), ("loss", "MSELoss", {})], ADDING),
              f"adding_{kind.lower()}")
    for opt, lr in (("sgd", 0.1), ("momentum", 0.05), ("nesterov", 0.05), ("adagrad", 0.05), ("rmsprop", 0.001),
                    ("adam", 0.001)):
        _save(chain(f"Digits MLP: {opt}",
                    [("image", "Input", {"shape": [1, 8, 8]}), ("flatten", "Flatten", {}),
                     ("fc1", "Linear", {"out_features": 100}), ("relu", "ReLU", {}),
                     ("scores", "Linear", {"out_features": 10}), ("loss", "CrossEntropyLoss", {})],
                    {"dataset": "digits", "preprocess": "standardize", "optimizer": {"name": opt, "lr": lr},
                     "batch_size": 64, "epochs": 20, "seed": 0}), f"optimizer_{opt}")
    _save(chain("Next value of a noisy sine wave (GRU)",
                [("seq", "Input", {"shape": [20, 1]}), ("gru", "GRU", {"hidden_size": 32}),
                 ("head", "Linear", {"out_features": 1}), ("loss", "MSELoss", {})],
                {"dataset": {"name": "sine", "length": 20}, "optimizer": {"name": "adam", "lr": 0.005},
                 "batch_size": 32, "epochs": 10}), "sine_gru")
    print(f"wrote training sections and examples in {OUT}")


if __name__ == "__main__":
    main()
