"""Regenerate the example graph files in examples/ (run: python tools/build_examples.py).

The examples are committed; this script documents how the larger ones (ResNet-18, VGG-11, AlexNet)
were written and keeps their layout tidy. Training sections and extra keys (the "example"
menu entry) already in a file are preserved.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphlab.core import Graph  # noqa: E402
from graphlab.core.layout import layered_positions  # noqa: E402
from graphlab.io import FileFormatError, load, save  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "examples"


class B:
    """Tiny chain builder: b.add(type, **params) connects to the previous node unless told otherwise."""

    def __init__(self, name: str) -> None:
        self.g = Graph(name)
        self.last: str | None = None

    def add(self, type_: str, id_: str | None = None, src: str | list[str] | None = "prev", **params) -> str:
        node = self.g.add_node(type_, params, node_id=id_)
        srcs = [self.last] if src == "prev" else ([] if src is None else [src] if isinstance(src, str) else src)
        for port, s in enumerate(s for s in srcs if s is not None):
            self.g.connect(s, node.id, port)
        self.last = node.id
        return node.id

    def save(self, filename: str) -> None:
        for nid, p in layered_positions(self.g).items():
            self.g.nodes[nid].pos = p
        path = OUT / filename
        try:
            old = load(path)
            self.g.training = old.training
            self.g.extra = old.extra  # e.g. the "example" menu entry (group, order, description)
        except FileFormatError:
            pass
        save(self.g, path)


def linear_classifier() -> None:
    b = B("Linear classifier (2-D points)")
    b.add("Input", "x", None, shape=[2])
    b.add("Linear", "scores", out_features=3)
    b.add("CrossEntropyLoss", "loss")
    b.save("linear_classifier.graphlab.json")


def two_layer() -> None:
    b = B("Two-layer net (2-D points)")
    b.add("Input", "x", None, shape=[2])
    b.add("Linear", "fc1", out_features=100)
    b.add("ReLU", "relu1")
    b.add("Linear", "scores", out_features=3)
    b.add("CrossEntropyLoss", "loss")
    b.save("two_layer_net.graphlab.json")


def lenet5() -> None:
    b = B("LeNet-5")
    b.add("Input", "input", None, shape=[1, 28, 28])
    b.add("Conv2d", "conv1", out_channels=6, kernel_size=5, padding=2)
    b.add("ReLU", "relu1")
    b.add("MaxPool2d", "pool1", kernel_size=2)
    b.add("Conv2d", "conv2", out_channels=16, kernel_size=5)
    b.add("ReLU", "relu2")
    b.add("MaxPool2d", "pool2", kernel_size=2)
    b.add("Flatten", "flatten")
    b.add("Linear", "fc1", out_features=120)
    b.add("ReLU", "relu3")
    b.add("Linear", "fc2", out_features=84)
    b.add("ReLU", "relu4")
    b.add("Linear", "fc3", out_features=10)
    b.add("CrossEntropyLoss", "loss")
    b.save("lenet5.graphlab.json")


def digits_cnn() -> None:
    b = B("Digits CNN (8×8)")
    b.add("Input", "image", None, shape=[1, 8, 8])
    b.add("Conv2d", "conv1", out_channels=16, kernel_size=3, padding=1)
    b.add("BatchNorm2d", "bn1")
    b.add("ReLU", "relu1")
    b.add("Conv2d", "conv2", out_channels=32, kernel_size=3, padding=1)
    b.add("ReLU", "relu2")
    b.add("MaxPool2d", "pool", kernel_size=2)
    b.add("Flatten", "flatten")
    b.add("Dropout", "drop", p=0.25)
    b.add("Linear", "fc", out_features=10)
    b.add("CrossEntropyLoss", "loss")
    b.save("digits_cnn.graphlab.json")


def resnet_block() -> None:
    b = B("ResNet basic block")
    x = b.add("Input", "x", None, shape=[64, 32, 32])
    b.add("Conv2d", "conv1", out_channels=64, kernel_size=3, padding=1, bias=False)
    b.add("BatchNorm2d", "bn1")
    b.add("ReLU", "relu1")
    b.add("Conv2d", "conv2", out_channels=64, kernel_size=3, padding=1, bias=False)
    bn2 = b.add("BatchNorm2d", "bn2")
    b.add("Add", "sum", [bn2, x])
    b.add("ReLU", "out")
    b.save("resnet_block.graphlab.json")


def inception_block() -> None:
    b = B("GoogLeNet inception block (3a)")
    x = b.add("Input", "x", None, shape=[192, 28, 28])
    b1 = b.add("Conv2d", "b1_1x1", x, out_channels=64, kernel_size=1)
    b.add("ReLU", "b1_relu")
    b2 = b.add("Conv2d", "b2_reduce", x, out_channels=96, kernel_size=1)
    b.add("ReLU", "b2_relu1")
    b.add("Conv2d", "b2_3x3", out_channels=128, kernel_size=3, padding=1)
    b.add("ReLU", "b2_relu2")
    b.add("Conv2d", "b3_reduce", x, out_channels=16, kernel_size=1)
    b.add("ReLU", "b3_relu1")
    b.add("Conv2d", "b3_5x5", out_channels=32, kernel_size=5, padding=2)
    b.add("ReLU", "b3_relu2")
    b.add("MaxPool2d", "b4_pool", x, kernel_size=3, stride=1, padding=1)
    b.add("Conv2d", "b4_proj", out_channels=32, kernel_size=1)
    b.add("ReLU", "b4_relu")
    del b1, b2
    b.add("Concat", "concat", ["b1_relu", "b2_relu2", "b3_relu2", "b4_relu"], dim=0)
    b.save("inception_block.graphlab.json")


def lstm_sequence() -> None:
    b = B("LSTM on sequences")
    b.add("Input", "seq", None, shape=[50, 2])
    b.add("LSTM", "lstm", hidden_size=64)
    b.add("Linear", "head", out_features=1)
    b.add("MSELoss", "loss")
    b.save("lstm_sequence.graphlab.json")


def backprop_gates() -> None:
    b = B("f = (x + y) · z")
    b.add("Input", "x", None, shape=[1])
    b.add("Input", "y", None, shape=[1])
    b.add("Input", "z", None, shape=[1])
    b.add("Add", "q", ["x", "y"])
    b.add("Multiply", "f", ["q", "z"])
    b.save("backprop_gates.graphlab.json")


def resnet18() -> None:
    b = B("ResNet-18")
    b.add("Input", "image", None, shape=[3, 224, 224])
    b.add("Conv2d", "conv1", out_channels=64, kernel_size=7, stride=2, padding=3, bias=False)
    b.add("BatchNorm2d", "bn1")
    b.add("ReLU", "relu")
    x = b.add("MaxPool2d", "maxpool", kernel_size=3, stride=2, padding=1)
    cin = 64
    for stage, cout in enumerate((64, 128, 256, 512), 1):
        for blk in range(2):
            p = f"layer{stage}_{blk}_"
            stride = 2 if (stage > 1 and blk == 0) else 1
            b.add("Conv2d", p + "conv1", x, out_channels=cout, kernel_size=3, stride=stride, padding=1, bias=False)
            b.add("BatchNorm2d", p + "bn1")
            b.add("ReLU", p + "relu1")
            b.add("Conv2d", p + "conv2", out_channels=cout, kernel_size=3, padding=1, bias=False)
            main = b.add("BatchNorm2d", p + "bn2")
            skip = x
            if stride != 1 or cin != cout:
                b.add("Conv2d", p + "down_conv", x, out_channels=cout, kernel_size=1, stride=stride, bias=False)
                skip = b.add("BatchNorm2d", p + "down_bn")
            b.add("Add", p + "add", [main, skip])
            x = b.add("ReLU", p + "out")
            cin = cout
    b.add("AdaptiveAvgPool2d", "avgpool", output_size=1)
    b.add("Flatten", "flatten")
    b.add("Linear", "fc", out_features=1000)
    b.add("CrossEntropyLoss", "loss")
    b.save("resnet18.graphlab.json")


def vgg11() -> None:
    b = B("VGG-11")
    b.add("Input", "image", None, shape=[3, 224, 224])
    n = 0
    for v in (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"):
        n += 1
        if v == "M":
            b.add("MaxPool2d", f"pool{n}", kernel_size=2, stride=2)
        else:
            b.add("Conv2d", f"conv{n}", out_channels=v, kernel_size=3, padding=1)
            b.add("ReLU", f"relu{n}")
    b.add("AdaptiveAvgPool2d", "avgpool", output_size=7)
    b.add("Flatten", "flatten")
    b.add("Linear", "fc1", out_features=4096)
    b.add("ReLU", "fc1_relu")
    b.add("Dropout", "drop1")
    b.add("Linear", "fc2", out_features=4096)
    b.add("ReLU", "fc2_relu")
    b.add("Dropout", "drop2")
    b.add("Linear", "fc3", out_features=1000)
    b.add("CrossEntropyLoss", "loss")
    b.save("vgg11.graphlab.json")


def alexnet() -> None:
    b = B("AlexNet")
    b.add("Input", "image", None, shape=[3, 224, 224])
    b.add("Conv2d", "conv1", out_channels=64, kernel_size=11, stride=4, padding=2)
    b.add("ReLU", "relu1")
    b.add("MaxPool2d", "pool1", kernel_size=3, stride=2)
    b.add("Conv2d", "conv2", out_channels=192, kernel_size=5, padding=2)
    b.add("ReLU", "relu2")
    b.add("MaxPool2d", "pool2", kernel_size=3, stride=2)
    b.add("Conv2d", "conv3", out_channels=384, kernel_size=3, padding=1)
    b.add("ReLU", "relu3")
    b.add("Conv2d", "conv4", out_channels=256, kernel_size=3, padding=1)
    b.add("ReLU", "relu4")
    b.add("Conv2d", "conv5", out_channels=256, kernel_size=3, padding=1)
    b.add("ReLU", "relu5")
    b.add("MaxPool2d", "pool5", kernel_size=3, stride=2)
    b.add("AdaptiveAvgPool2d", "avgpool", output_size=6)
    b.add("Flatten", "flatten")
    b.add("Dropout", "drop1")
    b.add("Linear", "fc1", out_features=4096)
    b.add("ReLU", "fc1_relu")
    b.add("Dropout", "drop2")
    b.add("Linear", "fc2", out_features=4096)
    b.add("ReLU", "fc2_relu")
    b.add("Linear", "fc3", out_features=1000)
    b.add("CrossEntropyLoss", "loss")
    b.save("alexnet.graphlab.json")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for fn in (linear_classifier, two_layer, lenet5, digits_cnn, resnet_block, inception_block, lstm_sequence,
               backprop_gates, resnet18, vgg11, alexnet):
        fn()
    print(f"wrote {len(list(OUT.glob('*.graphlab.json')))} examples to {OUT}")
