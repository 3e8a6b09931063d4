"""Write the training sections of the examples and the training example files (run from the repo root:
python tools/build_training_examples.py).

* Existing examples: only their "training" key is (re)written.
* New files: the CS231n spiral pair, RNN vs LSTM vs GRU on the adding problem, the same MLP under the
  six optimizers, a GRU on noisy sine waves. Layout by graphlab.core.layout.layered_positions.
* Lessons (``lesson_*``; their "example" entry has group "lessons", an order, a one-line
  "description" for the Examples menu and a "note" saying what to look at): weight init, batch
  normalization, dropout, learning rates, stacking small filters (the receptive field).
  tests/run/test_lessons.py
  checks that each lesson's numbers show in the statistics the live views read.
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
#: the spiral case study's note (tests/run/test_headline.py checks the figure it quotes)
SPIRAL_NOTE = ("The CS231n case study with the course's settings: 100 hidden ReLUs, weights N(0, 0.01²), step size "
               "1.0, reg 1e-3 (L2 here is ½·λ·ΣW², the course's 0.5*reg*np.sum(W*W)), full-batch SGD, 10,000 steps. "
               "Train (F5): the loss starts at ln 3 = 1.0986 and the training accuracy reaches the course's ~98% "
               "(0.990 here), where spiral_linear stops near 52%.")
ADDING = {"dataset": {"name": "adding", "length": 50, "samples": 6000}, "optimizer": {"name": "adam", "lr": 0.01},
          "batch_size": 32, "epochs": 8, "clip_grad_norm": 1.0}
DIGITS = {"dataset": "digits", "preprocess": "standardize", "optimizer": {"name": "adam", "lr": 0.002},
          "batch_size": 32, "epochs": 15}
# ResNet-18, VGG-11 and AlexNet come without a training section: they train on ImageNet-sized images
# that do not ship with GraphLab, and a section naming a folder that is not there would show as an
# error the moment the example opens (the fit check). They are for shapes, costs and stepping.

EXISTING: dict[str, dict[str, Any]] = {
    "linear_classifier": {"dataset": "spiral", "optimizer": {"name": "sgd", "lr": 0.5},
                          "regularization": {"l2": 0.001}, "batch_size": 30, "epochs": 100},
    "two_layer_net": {"dataset": "spiral", "optimizer": {"name": "momentum", "lr": 0.1},
                      "regularization": {"l2": 0.001}, "batch_size": 30, "epochs": 300},
    "lenet5": {"dataset": {"name": "digits", "size": 28}, "preprocess": "standardize",
               "optimizer": {"name": "adam", "lr": 0.001}, "batch_size": 64, "epochs": 10},
    "digits_cnn": DIGITS,
    "lstm_sequence": ADDING,
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


def deep_tanh(name: str, init: str, bn: bool, epochs: int) -> Graph:
    """A 10-layer Tanh MLP (100 units a layer) on the digits, SGD lr 0.05, with or without BatchNorm."""
    layers: list[tuple[str, str, dict[str, Any]]] = [("image", "Input", {"shape": [1, 8, 8]}),
                                                      ("flatten", "Flatten", {})]
    for i in range(1, 11):
        layers.append((f"fc{i}", "Linear", {"out_features": 100}))
        if bn:
            layers.append((f"bn{i}", "BatchNorm1d", {}))
        layers.append((f"tanh{i}", "Tanh", {}))
    layers += [("scores", "Linear", {"out_features": 10}), ("loss", "CrossEntropyLoss", {})]
    return chain(name, layers, {"dataset": "digits", "preprocess": "standardize", "init": init,
                                "optimizer": {"name": "sgd", "lr": 0.05}, "batch_size": 64, "epochs": epochs,
                                "seed": 0, "stats": {"budget": 0.05}})


def wide_mlp(name: str, dropout: bool) -> Graph:
    layers: list[tuple[str, str, dict[str, Any]]] = [("image", "Input", {"shape": [1, 8, 8]}),
                                                      ("flatten", "Flatten", {})]
    for i in (1, 2):
        layers += [(f"fc{i}", "Linear", {"out_features": 256}), (f"relu{i}", "ReLU", {})]
        if dropout:
            layers.append((f"drop{i}", "Dropout", {"p": 0.5}))
    layers += [("scores", "Linear", {"out_features": 10}), ("loss", "CrossEntropyLoss", {})]
    return chain(name, layers, {"dataset": "digits", "preprocess": "standardize", "val_fraction": 0.75,
                                "optimizer": {"name": "adam", "lr": 0.003}, "batch_size": 64, "epochs": 20,
                                "seed": 0})


LESSON_ORDER = ("lesson_init_small_gaussian", "lesson_init_xavier", "lesson_batchnorm_off", "lesson_batchnorm_on",
                "lesson_dropout_off", "lesson_dropout_on", "lesson_lr_low", "lesson_lr_good", "lesson_lr_high",
                "lesson_receptive_field_stacked", "lesson_receptive_field_large")


#: each lesson's steps (what to do, naming the views to use) and what to look for; the editor shows them
#: when the lesson opens (graphlab.ui.lesson)
LESSON_STEPS = {
    "lesson_init_small_gaussian": (
        ["Press Train (F5): the Train workspace opens and the net trains for 3 epochs.",
         "Open the Plots dock's Gradient flow tab: one row per node, ‖∂L/∂out‖ over the steps.",
         "Select tanh1, then tanh10 on the canvas and compare them in the Node dock's Histograms tab.",
         "Open lesson_init_xavier (File ▸ Examples ▸ Lessons) and do the same."],
        "tanh1's activations spread to ±0.2 but tanh10's std is ~1e-10 of that: every unit outputs ~0, the "
        "gradient flow is dark at the bottom (the gradients vanish on the way back) and the loss stays at "
        "ln 10 = 2.30 on the Curves tab."),
    "lesson_init_xavier": (
        ["Press Train (F5): the Train workspace opens and the net trains for 3 epochs.",
         "Select the tanh nodes one by one and compare them in the Node dock's Histograms tab.",
         "Look at the Plots dock's Curves tab and the badges on the canvas.",
         "Compare with lesson_init_small_gaussian (File ▸ Examples ▸ Lessons)."],
        "Every tanh layer keeps an activation std of 0.2–0.6, the gradient flow stays bright to the first layer, "
        "and the loss falls (97% on the digits in 3 epochs)."),
    "lesson_batchnorm_off": (
        ["Press Train (F5) and watch the Plots dock's Curves tab.",
         "Open lesson_batchnorm_on (File ▸ Examples ▸ Lessons) and train it too.",
         "In the Runs dock tick All graphs in this folder, then tick both runs to overlay their loss curves."],
        "Without normalization the tiny initial weights make the signal die out layer by layer: the loss stays "
        "at ln 10 = 2.30."),
    "lesson_batchnorm_on": (
        ["Press Train (F5) and watch the Plots dock's Curves tab.",
         "Select a tanh node and look at the Node dock's Histograms tab.",
         "In the Runs dock tick All graphs in this folder, then tick this run and lesson_batchnorm_off's."],
        "BatchNorm re-scales each layer's pre-activations to zero mean and unit variance, so the tiny initial "
        "weights no longer matter: the activations keep their spread and the loss falls from the first epoch."),
    "lesson_dropout_off": (
        ["Press Train (F5) and watch the Plots dock's Curves tab: the train and validation points per epoch.",
         "Open lesson_dropout_on (File ▸ Examples ▸ Lessons) and train it too.",
         "In the Runs dock tick All graphs in this folder, then tick both runs to overlay them."],
        "With 256 + 256 hidden units and only 450 training images the net memorises the training set: the "
        "training loss goes to ~0 while the validation loss stays far above it."),
    "lesson_dropout_on": (
        ["Press Train (F5) and watch the Plots dock's Curves tab: the train and validation points per epoch.",
         "In the Runs dock tick All graphs in this folder, then tick this run and lesson_dropout_off's."],
        "Dropout zeroes half of the hidden units at random on every training step: the training loss stays "
        "higher, the validation loss lower, and the gap between the curves shrinks."),
    "lesson_lr_low": (
        ["Press Train (F5) and watch the Plots dock's Curves tab (tick log y).",
         "Select fc1 and look at the Node dock's Parameters tab: the update/weight ratio.",
         "Train lesson_lr_good and lesson_lr_high too, then tick the three runs in the Runs dock "
         "(All graphs in this folder)."],
        "The loss creeps down, nearly a straight line: after 1,000 steps it has barely left ln 3 = 1.10, and "
        "the update/weight ratios sit far below 1e-3."),
    "lesson_lr_good": (
        ["Press Train (F5) and watch the Plots dock's Curves tab (tick log y).",
         "Select fc1 and look at the Node dock's Parameters tab: the update/weight ratio.",
         "Train lesson_lr_low and lesson_lr_high too, then tick the three runs in the Runs dock "
         "(All graphs in this folder)."],
        "The loss falls fast and keeps falling (below 0.2 after 1,000 steps); the update/weight ratios sit "
        "near 1e-3."),
    "lesson_lr_high": (
        ["Press Train (F5) and watch the Plots dock's Curves tab (tick log y).",
         "Select fc1 and look at the Node dock's Parameters tab: the update/weight ratio.",
         "Train lesson_lr_low and lesson_lr_good too, then tick the three runs in the Runs dock "
         "(All graphs in this folder)."],
        "The loss jumps far above ln 3 in the first steps and stays high: the updates overshoot "
        "(update/weight ratios far above 1e-3)."),
    "lesson_receptive_field_stacked": (
        ["Open the Cost dock (Ctrl+9) and read the Params and FLOPs of conv1, conv2 and conv3; then open "
         "lesson_receptive_field_large (File ▸ Examples ▸ Lessons) and read its one big convolution's.",
         "Select relu3 and read its receptive field in the Inspector dock (or the Cost dock's last column).",
         "View ▸ Panels ▸ Cost Bars ▸ FLOPs: each card's bar is its share of the largest node's FLOPs.",
         "Press Train (F5), select relu3, and in the Node dock's Images tab hover a pixel of a feature map: "
         "its field is outlined on the probe sample."],
        "Three stacked 3×3 convolutions see a 7×7 window of their input (9×9 of the image, with the stem), "
        "exactly what one 7×7 convolution sees, with 3·9·C² weights instead of 49·C²: {stacked_params:,} "
        "against {large_params:,} parameters and {flops_saved:.0f}% fewer FLOPs in the block, and three "
        "ReLUs where the big filter has one."),
    "lesson_receptive_field_large": (
        ["Open the Cost dock (Ctrl+9): the big convolution has the most Params and FLOPs of the network.",
         "Select the big convolution and read its receptive field in the Inspector dock.",
         "Open lesson_receptive_field_stacked (File ▸ Examples ▸ Lessons) and compare the two Cost docks.",
         "Train both (F5) and tick both runs in the Runs dock (All graphs in this folder)."],
        "One 7×7 convolution sees the same 9×9 field of the image as three stacked 3×3 ones, but it costs "
        "{large_params:,} parameters against their {stacked_params:,}, and {flops_more:.0f}% more FLOPs, "
        "with a single ReLU."),
}


def lesson(g: Graph, file: str, description: str, note: str) -> None:
    """The Examples menu's entry (graphlab.assets) plus the lesson's note, its steps and what to look for."""
    steps, look_for = LESSON_STEPS[file]
    look_for = look_for.format(**_RF_FIGURES)
    g.extra = {"example": {"group": "lessons", "order": LESSON_ORDER.index(file) + 1, "description": description,
                           "note": note, "steps": steps, "look_for": look_for}}
    _save(g, file)


def field_net(name: str, stacked: bool) -> Graph:
    """The digits at 28×28: a 3×3 stem to 16 channels, then three 3×3 convolutions (each with a ReLU) or one
    7×7 convolution — the same 9×9 receptive field — then pooling and a classifier."""
    layers: list[tuple[str, str, dict[str, Any]]] = [("image", "Input", {"shape": [1, 28, 28]}),
                                                      ("stem", "Conv2d", {"out_channels": 16, "padding": 1}),
                                                      ("stem_relu", "ReLU", {})]
    if stacked:
        for i in (1, 2, 3):
            layers += [(f"conv{i}", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
                       (f"relu{i}", "ReLU", {})]
    else:
        layers += [("big", "Conv2d", {"out_channels": 16, "kernel_size": 7, "padding": 3}), ("big_relu", "ReLU", {})]
    layers += [("pool", "MaxPool2d", {"kernel_size": 4}), ("flatten", "Flatten", {}),
               ("scores", "Linear", {"out_features": 10}), ("loss", "CrossEntropyLoss", {})]
    return chain(name, layers, {"dataset": {"name": "digits", "size": 28}, "preprocess": "standardize",
                                "optimizer": {"name": "adam", "lr": 0.002}, "batch_size": 64, "epochs": 3,
                                "seed": 0})


def _block_figures() -> dict[str, float]:
    """The compared blocks' parameters and FLOPs, from the analysis (the lesson's text quotes them)."""
    from graphlab.core import analyze

    a, b = analyze(field_net("s", True)), analyze(field_net("l", False))
    sp = sum(a.nodes[n].params for n in ("conv1", "conv2", "conv3"))
    sf = sum(a.nodes[n].flops for n in ("conv1", "conv2", "conv3"))
    lp, lf = b.nodes["big"].params, b.nodes["big"].flops
    return {"stacked_params": sp, "large_params": lp, "flops_saved": 100 * (1 - sf / lf),
            "flops_more": 100 * (lf / sf - 1)}


_RF_FIGURES = _block_figures()


def lessons() -> None:
    look = ("Train, select the tanh nodes one by one and compare their activation histograms "
            "(node dock), or the activation std in each node's badge.")
    lesson(deep_tanh("Lesson: weight init (small Gaussian)", "small_gaussian", False, 3), "lesson_init_small_gaussian",
           "10 Tanh layers with N(0, 0.01²) weights: the activations collapse to zero layer by layer",
           "Each layer multiplies its input by weights of std 0.01, so the activations shrink about tenfold per "
           "layer: tanh1 spreads to ±0.2, tanh10's std is ~1e-10 of tanh1's — every unit outputs ~0, the "
           "gradients vanish on the way back (the gradient-flow view is dark at the bottom) and the loss stays at "
           f"ln 10 = 2.30. {look} Compare with lesson_init_xavier.")
    lesson(deep_tanh("Lesson: weight init (Xavier)", "xavier", False, 3), "lesson_init_xavier",
           "The same 10 Tanh layers scaled by 1/√fan-in: every layer keeps a healthy spread",
           "Xavier init scales each layer's weights by 1/√fan-in, so every tanh layer's activations keep a std of "
           f"0.2–0.6 and the net learns (97% on the digits in 3 epochs). {look} Compare with "
           "lesson_init_small_gaussian.")
    lesson(deep_tanh("Lesson: batch normalization (without)", "small_gaussian", False, 5), "lesson_batchnorm_off",
           "The 10-layer Tanh net with tiny initial weights: the loss stays at ln 10",
           "The 10-layer Tanh net of the init lesson, initialised with tiny weights: without normalization the "
           "signal dies out layer by layer and the loss stays at ln 10. Train it, then lesson_batchnorm_on, and "
           "tick both runs in the runs list to overlay their loss curves.")
    lesson(deep_tanh("Lesson: batch normalization (with)", "small_gaussian", True, 5), "lesson_batchnorm_on",
           "BatchNorm after every Linear rescues the badly initialised net: the loss falls",
           "BatchNorm re-scales each layer's pre-activations to zero mean and unit variance, so the tiny initial "
           "weights no longer matter: the activations keep their spread and the loss falls from the first epoch. "
           "Overlay its loss curve on lesson_batchnorm_off's in the runs list.")
    lesson(wide_mlp("Lesson: dropout (without)", False), "lesson_dropout_off",
           "A wide MLP on a quarter of the digits memorises them: a wide train/val gap",
           "With 256 + 256 hidden units and only 450 training images the net memorises the training set: the "
           "training loss goes to ~0 while the validation loss stays far above it. Watch the gap between the two "
           "curves in the epoch plot; compare with lesson_dropout_on.")
    lesson(wide_mlp("Lesson: dropout (with)", True), "lesson_dropout_on",
           "Dropout(0.5) after each hidden layer narrows the train/val gap",
           "Dropout zeroes half of the hidden units at random on every training step, so the net cannot rely on "
           "any one of them: the training loss stays higher, the validation loss lower, and the gap between the "
           "curves shrinks (validation accuracy rises a little). Compare with lesson_dropout_off.")
    spiral = [("x", "Input", {"shape": [2]}), ("fc1", "Linear", {"out_features": 100}), ("relu", "ReLU", {}),
              ("scores", "Linear", {"out_features": 3}), ("loss", "CrossEntropyLoss", {})]
    for key, lr, what, curve, note in (
            ("low", 0.01, "too low", "the loss barely moves", "the loss creeps down, nearly a straight line: after "
             "1,000 steps it has barely left ln 3 = 1.10, and the update/weight ratios sit far below 1e-3"),
            ("good", 1.0, "good", "the loss falls fast and far", "the loss falls fast and keeps falling (below 0.2 "
             "after 1,000 steps)"),
            ("high", 20.0, "too high", "the loss jumps up and stays high", "the loss jumps far above ln 3 in the "
             "first steps and stays high: the updates overshoot (update/weight ratios far above 1e-3)")):
        lesson(chain(f"Lesson: learning rate {what} (SGD lr {lr:g})", spiral,
                     {**CS231N, "regularization": {"l2": 0.0}, "optimizer": {"name": "sgd", "lr": lr},
                      "epochs": 1000}),
               f"lesson_lr_{key}", f"The spiral 2-layer net with SGD lr {lr:g}: {curve}",
               f"CS231n's learning-rate picture, one file per curve: {note}. Train lesson_lr_low, lesson_lr_good and "
               "lesson_lr_high and tick the three runs to overlay their loss curves (log-y helps).")
    f = _RF_FIGURES
    lesson(field_net("Lesson: receptive field (three 3×3 convolutions)", True), "lesson_receptive_field_stacked",
           "Three stacked 3×3 convolutions: a 7×7 field for fewer weights and FLOPs than one 7×7",
           f"CS231n's point about small filters: three 3×3 convolutions in a row see a 7×7 window, as one 7×7 "
           f"convolution does, with {f['stacked_params']:,} parameters instead of {f['large_params']:,} and "
           f"{f['flops_saved']:.0f}% fewer FLOPs, and with a ReLU after each. The Cost dock lists every node's "
           "parameters, FLOPs and receptive field; the Inspector shows the selected node's. Compare with "
           "lesson_receptive_field_large.")
    lesson(field_net("Lesson: receptive field (one 7×7 convolution)", False), "lesson_receptive_field_large",
           "One 7×7 convolution: the same field as three 3×3 ones, at a higher cost",
           f"The same 9×9 receptive field as lesson_receptive_field_stacked's relu3, from one 7×7 convolution: "
           f"{f['large_params']:,} parameters against {f['stacked_params']:,}, {f['flops_more']:.0f}% more FLOPs, "
           "one nonlinearity instead of three. Read the Cost dock and the Inspector in both files.")


def main() -> None:
    for name, training in EXISTING.items():
        g = load(OUT / f"{name}.graphlab.json")
        g.training = training
        parse_training(training)
        save(g, OUT / f"{name}.graphlab.json")

    _save(chain("CS231n spiral: linear softmax classifier",
                [("x", "Input", {"shape": [2]}), ("scores", "Linear", {"out_features": 3}),
                 ("loss", "CrossEntropyLoss", {})], {**CS231N, "epochs": 200}), "spiral_linear")
    two = chain("CS231n spiral: 2-layer net, 100 hidden ReLUs",
                [("x", "Input", {"shape": [2]}), ("fc1", "Linear", {"out_features": 100}), ("relu", "ReLU", {}),
                 ("scores", "Linear", {"out_features": 3}), ("loss", "CrossEntropyLoss", {})],
                {**CS231N, "epochs": 10000})
    two.extra = {"example": {"group": "basics", "order": 4,
                             "description": "100 hidden ReLUs bend the boundaries around the arms",
                             "note": SPIRAL_NOTE}}
    _save(two, "spiral_two_layer")
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
    lessons()
    print(f"wrote training sections and examples in {OUT}")


if __name__ == "__main__":
    main()
