"""The NaN tracer names the node where a non-finite value first appears, forward and backward."""
import math

import torch

import graphlab
from graphlab.step import Stepper
from tests.conftest import EXAMPLES
from tests.step.helpers import graph


def test_a_planted_nan_weight_is_named_in_the_forward_pass():
    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    weights = graphlab.compile(g).state_dict()
    weights["conv2.weight"][3, 1, 2, 2] = math.nan
    st = Stepper(g, weights=weights, batch=2, base_dir=EXAMPLES)
    changes = st.run()
    assert st.first_nonfinite == {"node": "conv2", "phase": "forward", "what": "weight conv2.weight"}
    assert changes[-1].node == "conv2" and st.cursor == "conv2" and not st.done
    assert bool(torch.isfinite(st.records["conv2"].inputs[0]).all())
    assert not bool(torch.isfinite(st.records["conv2"].output).all())
    st.run()  # a second run carries on to the end
    assert st.done and st.first_nonfinite["node"] == "conv2"


def test_a_forward_overflow_is_named_where_it_happens():
    g = graph([("x", "Input", {"shape": [4]}), ("fc1", "Linear", {"out_features": 8}), ("act", "ReLU", {}),
               ("fc2", "Linear", {"out_features": 3}), ("loss", "CrossEntropyLoss", {})],
              [("x", "fc1", 0), ("fc1", "act", 0), ("act", "fc2", 0), ("fc2", "loss", 0)])
    st = Stepper(g, inputs={"x": torch.ones(2, 4)})
    with torch.no_grad():
        st.module.fc2.weight.fill_(1e30)  # finite weights, finite inputs, an output past float32's 3.4e38
        st.module.fc1.weight.fill_(1e10)
    st.run()
    assert st.records["act"].output.abs().max() < 3e38
    assert st.first_nonfinite == {"node": "fc2", "phase": "forward", "what": "output"}


def test_a_backward_overflow_is_named_where_the_gradient_turns_non_finite():
    g = graph([("x", "Input", {"shape": [4]}), ("fc1", "Linear", {"out_features": 4, "bias": False}),
               ("fc2", "Linear", {"out_features": 1, "bias": False}), ("loss", "MSELoss", {})],
              [("x", "fc1", 0), ("fc1", "fc2", 0), ("fc2", "loss", 0)])
    st = Stepper(g, inputs={"x": torch.full((2, 4), 1e-30)}, targets=torch.ones(2, 1))
    with torch.no_grad():
        st.module.fc1.weight.fill_(1e20)
        st.module.fc2.weight.fill_(1e20)
    st.run_to("loss")
    assert st.first_nonfinite is None  # forward: 1e-30 · 1e20 · 1e20 · 16 is finite
    st.reset()
    st.run()
    assert st.first_nonfinite == {"node": "fc1", "phase": "backward", "what": "gradient to input 0 (x)"}
    assert bool(torch.isfinite(st.records["fc1"].grad_output).all())
    assert st.cursor == "fc1" and st.phase == "backward"


def test_nan_in_the_data_is_named_at_the_input():
    g = graphlab.load(EXAMPLES / "backprop_gates.graphlab.json")
    st = Stepper(g, inputs={"x": torch.tensor([[math.nan]]), "y": torch.ones(1, 1), "z": torch.ones(1, 1)})
    st.run()
    assert st.first_nonfinite == {"node": "x", "phase": "forward", "what": "input data"}


def test_nothing_is_reported_on_a_healthy_walk():
    st = Stepper(graphlab.load(EXAMPLES / "lenet5.graphlab.json"), batch=2, base_dir=EXAMPLES)
    st.run()
    assert st.first_nonfinite is None and st.done
