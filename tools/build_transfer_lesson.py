"""Write the transfer-learning lesson (the course's §7.3; run from the repo root:
python tools/build_transfer_lesson.py).

Three examples in the "lessons" group, in the style of tools/build_training_examples.py:

* ``lesson_transfer_pretrain``: the digits CNN trained on the digits 0–4 (a 5-way head);
* ``lesson_transfer_finetune``: the same convolutions, frozen (``"trainable": false``), starting from
  the pretrained weights (``training.weights``), with a new head (a new id, so it starts fresh), trained
  on the digits 5–9 for one small budget;
* ``lesson_transfer_scratch``: the same network and budget from a fresh init, nothing frozen.

The pretrained weights are trained here, once, deterministically (seed 0), and shipped beside the
examples as ``lesson_transfer_pretrained.safetensors`` (a GraphLab checkpoint), so the fine-tune
example runs as it is. tests/run/test_transfer_lesson.py checks that the fine-tuned run beats the
one from scratch on validation at equal steps.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphlab.core import Graph  # noqa: E402
from graphlab.core.layout import layered_positions  # noqa: E402
from graphlab.io import save  # noqa: E402
from graphlab.run.config import parse_training  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "examples"
WEIGHTS = "lesson_transfer_pretrained.safetensors"
FIRST_ORDER = 12  # after the eleven lessons of build_training_examples.py

#: the digits resized to 20×20: at 8×8 the digits are nearly separable by any features, random ones
#: included, so a fresh net catches up at once; at 20×20 the 3×3 filters must learn strokes first
SIZE = 20
BASE = {"preprocess": "none", "optimizer": {"name": "adam", "lr": 0.003}, "batch_size": 32, "stats": {"budget": 0.02}}
PRETRAIN = {**BASE, "dataset": {"name": "digits", "classes": "0-4", "size": SIZE}, "epochs": 6}
#: the small budget both second-stage runs get: 10% of the digits 5–9 to learn from (~90 images), 3
#: epochs of batches of 32 (9 steps); the other 90% are the validation split they are compared on
SMALL = {**BASE, "dataset": {"name": "digits", "classes": "5-9", "size": SIZE}, "epochs": 3, "val_fraction": 0.9}

STEPS: dict[str, tuple[list[str], str]] = {
    "lesson_transfer_pretrain": (
        ["Press F5: the digits CNN trains on the digits 0–4 only (20×20 images, 6 epochs).",
         "Open lesson_transfer_finetune (File ▸ Examples ▸ Lessons): its convolutions start from weights "
         "trained like these and are frozen."],
        "Validation accuracy above 95% on five classes: conv1 and conv2 have learned strokes and corners that "
        "serve every digit."),
    "lesson_transfer_finetune": (
        ["Press F5: only the new head trains (the convolutions show ❄ on their cards: frozen): 9 steps on 90 "
         "images of the digits 5–9.",
         "Open lesson_transfer_scratch (File ▸ Examples ▸ Lessons) and press F5: the same network and budget "
         "from a fresh init.",
         "In the Runs dock tick All graphs in this folder, then tick both runs: their curves overlay."],
        "After the same 9 steps the fine-tuned run is far ahead on validation accuracy (~94% against ~60%): the "
        "frozen features learned on 0–4 already separate 5–9, and the head only has to read them."),
    "lesson_transfer_scratch": (
        ["Press F5: the same network trains from a fresh init for the same budget (9 steps on 90 images of the "
         "digits 5–9).",
         "In the Runs dock tick All graphs in this folder, then tick this run and lesson_transfer_finetune's."],
        "Its validation accuracy trails the fine-tuned run's at every step: 9 steps on 90 images are not enough "
        "to learn features and a head at once."),
}


def cnn(name: str, head: str, training: dict[str, Any], frozen: bool) -> Graph:
    """The digits CNN (examples/digits_cnn, with a BatchNorm after each convolution, so the features a new
    head reads are on a scale it can learn from quickly) with a 5-way head named ``head``."""
    g = Graph(name)
    layers = [("image", "Input", {"shape": [1, SIZE, SIZE]}),
              ("conv1", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}), ("bn1", "BatchNorm2d", {}),
              ("relu1", "ReLU", {}), ("conv2", "Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}),
              ("bn2", "BatchNorm2d", {}), ("relu2", "ReLU", {}), ("pool", "MaxPool2d", {"kernel_size": 2}), ("flatten", "Flatten", {}),
              (head, "Linear", {"out_features": 5}), ("loss", "CrossEntropyLoss", {})]
    prev = None
    for nid, type_, params in layers:
        g.add_node(type_, params, node_id=nid)
        if prev is not None:
            g.connect(prev, nid)
        prev = nid
    if frozen:
        for nid in ("conv1", "bn1", "conv2", "bn2"):
            g.nodes[nid].trainable = False
    g.training = training
    for nid, p in layered_positions(g).items():
        g.nodes[nid].pos = p
    parse_training(g.training)
    return g


def lesson(g: Graph, file: str, description: str, note: str) -> None:
    steps, look_for = STEPS[file]
    g.extra = {"example": {"group": "lessons", "order": FIRST_ORDER + list(STEPS).index(file),
                           "description": description, "note": note, "steps": steps, "look_for": look_for}}
    save(g, OUT / f"{file}.graphlab.json")


def pretrained_weights(g: Graph) -> None:
    """Train the pretrain example (seed 0) and ship its weights beside the examples."""
    from graphlab.run.checkpoint import save_weights
    from graphlab.run.trainer import Trainer

    t = Trainer(g, base_dir=OUT)
    fin = t.run()
    print(f"pretrained on 0–4: {fin.final}")
    save_weights(OUT / WEIGHTS, t.module.state_dict(), graph=g.name)


def main() -> None:
    pre = cnn("Lesson: transfer learning (1) pretrain on 0–4", "fc", PRETRAIN, False)
    lesson(pre, "lesson_transfer_pretrain", "Train the digits CNN on the digits 0–4 only",
           "Stage one of transfer learning: a network learns features on one task (the digits 0–4). The next "
           "lesson reuses its convolutions for another task, the digits 5–9.")
    pretrained_weights(pre)
    fine = cnn("Lesson: transfer learning (2) fine-tune on 5–9", "head", {**SMALL, "weights": WEIGHTS}, True)
    lesson(fine, "lesson_transfer_finetune", "Freeze the pretrained convolutions, train a new head on 5–9",
           "Stage two: conv1, bn1, conv2 and bn2 start from the weights trained on 0–4 (training.weights, matched by "
           "node id and shape) and are frozen (trainable: false, in the inspector); the head is new (another id, "
           "so nothing is loaded into it). Nine steps on 90 images of the digits 5–9 train the head alone.")
    scratch = cnn("Lesson: transfer learning (3) the same from scratch", "head", SMALL, False)
    lesson(scratch, "lesson_transfer_scratch", "The same network and budget on 5–9 from a fresh init",
           "The control: the same network, the same data and the same small budget, every layer from a fresh "
           "init. Compare its curves with lesson_transfer_finetune's.")


if __name__ == "__main__":
    main()
