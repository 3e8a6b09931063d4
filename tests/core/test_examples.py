"""Every shipped example loads, checks clean, and survives a save/load round trip unchanged."""
import pytest

import graphlab
from graphlab.core import analyze
from graphlab.io import dumps, loads
from tests.conftest import EXAMPLES

FILES = sorted(EXAMPLES.glob("*.graphlab.json"))


def test_examples_exist():
    names = {f.name.split(".")[0] for f in FILES}
    assert {"linear_classifier", "two_layer_net", "lenet5", "digits_cnn", "resnet_block", "inception_block",
            "lstm_sequence", "backprop_gates"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_is_valid_and_stable(path):
    g = graphlab.load(path)
    a = analyze(g)
    assert a.ok, [p.text() for p in a.errors]
    assert a.inputs, "an example needs an Input"
    text = path.read_text()
    assert dumps(loads(text)) == text, "example is not in canonical saved form"


def test_expected_example_shapes():
    def shape(name, node):
        return analyze(graphlab.load(EXAMPLES / f"{name}.graphlab.json")).nodes[node].shape

    assert shape("lenet5", "conv1") == (6, 28, 28) and shape("lenet5", "pool2") == (16, 5, 5)
    assert shape("inception_block", "concat") == (256, 28, 28)
    assert shape("resnet18", "layer4_1_out") == (512, 7, 7)
    assert shape("backprop_gates", "f") == (1,)
    assert shape("lstm_sequence", "lstm") == (64,)
