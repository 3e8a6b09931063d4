"""The numerical gradient check: passes on every palette layer, fails on a deliberately wrong backward."""
import contextlib
import io
import json
import math

import pytest
import torch

from graphlab.cli import main
from graphlab.core import REGISTRY, analyze
from graphlab.io import save
from graphlab.step import Stepper
from graphlab.step.gradcheck import check_function, check_stepper, gradcheck, reading
from tests.step.helpers import graph
from tests.step.wrong_layer import wrong_layer  # noqa: F401 - the fixture

CANDIDATE_SHAPES = ([3, 6, 6], [5, 3], [6])
#: non-default configurations worth checking too
EXTRA = [("Conv2d", {"out_channels": 4, "kernel_size": [3, 2], "stride": 2, "padding": 1, "dilation": 2}),
         ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
         ("RNN", {"hidden_size": 4, "num_layers": 2, "bidirectional": True, "nonlinearity": "relu"}),
         ("LSTM", {"hidden_size": 4, "num_layers": 2, "output": "sequence"}),
         ("GRU", {"hidden_size": 4, "bidirectional": True, "output": "sequence"}),
         ("MultiMarginLoss", {"p": 2, "margin": 0.5}), ("PReLU", {"num_parameters": 3}),
         ("Softmax", {"dim": 1}), ("Concat", {"dim": 1}), ("BatchNorm1d", {"affine": False}),
         ("Dropout", {"p": 0.3}),
         ("Conv2d", {"out_channels": 6, "groups": 3, "padding": 1}), ("Conv2d", {"out_channels": 3, "groups": 3}),
         ("MaxPool2d", {"kernel_size": 4, "stride": 4, "ceil_mode": True}),
         ("AvgPool2d", {"kernel_size": 4, "stride": 4, "padding": 1, "ceil_mode": True, "count_include_pad": False}),
         ("LayerNorm", {"dims": 3}), ("LayerNorm", {"bias": False}), ("GELU", {"approximate": "tanh"})]


def _graph_for(type_: str, params: dict):
    spec = REGISTRY.get(type_)
    n_in = 2 if spec.variadic else spec.inputs
    for shape in CANDIDATE_SHAPES:
        nodes = [(f"x{i}", "Input", {"shape": shape}) for i in range(n_in)] + [("n", type_, params)]
        g = graph(nodes, [(f"x{i}", "n", i) for i in range(n_in)])
        if analyze(g).ok:
            return g
    raise AssertionError(f"no input shape fits {type_}")


PALETTE = [s.type for s in REGISTRY._specs.values() if s.inputs != 0]


def test_the_palette_is_covered():
    assert {"Linear", "Conv2d", "LSTM", "CrossEntropyLoss", "Concat", "Maxout"} <= set(PALETTE)


@pytest.mark.parametrize("type_,params", [(t, {}) for t in PALETTE] + EXTRA,
                         ids=[t for t in PALETTE] + [f"{t}-{i}" for i, (t, _) in enumerate(EXTRA)])
def test_gradcheck_passes_on_every_palette_layer(type_, params):
    report = gradcheck(_graph_for(type_, params), batch=3)
    check = report.nodes["n"]
    assert report.ok, check
    assert check.max_rel_error < 1e-5, check  # well below the course's "wrong" (1e-2)
    assert check.coords > 0 and check.kinks <= check.coords // 4
    spec = REGISTRY.get(type_)
    if spec.has_weights and params.get("affine", True):
        assert check.params, "a layer with weights has its parameters checked"




def _net_with(type_):
    return graph([("x", "Input", {"shape": [6]}), ("fc", "Linear", {"out_features": 5}), ("act", type_, {}),
                  ("out", "Linear", {"out_features": 3}), ("loss", "CrossEntropyLoss", {})],
                 [("x", "fc", 0), ("fc", "act", 0), ("act", "out", 0), ("out", "loss", 0)])


def test_gradcheck_fails_on_a_wrong_backward(wrong_layer):
    report = gradcheck(_net_with("WrongTanh"))
    assert not report.ok and report.failed == ["act"]
    assert report.nodes["act"].max_rel_error > 1e-2 and reading(report.nodes["act"].max_rel_error) == "wrong"
    assert report.nodes["fc"].max_rel_error < 1e-7  # the other nodes are fine
    assert gradcheck(_net_with("Tanh")).ok


def test_the_cli_exits_1_and_names_the_failing_node(wrong_layer, tmp_path):
    path = tmp_path / "wrong.graphlab.json"
    save(_net_with("WrongTanh"), path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["gradcheck", str(path), "--json"])
    assert code == 1
    doc = json.loads(out.getvalue())
    assert doc["ok"] is False and doc["nodes"]["act"]["max_rel_error"] > 1e-2
    assert doc["nodes"]["act"]["reading"] == "wrong" and doc["nodes"]["fc"]["params"]["weight"] < 1e-7


def test_a_correct_lstm_passes_when_every_sampled_coordinate_has_a_vanished_gradient(examples_dir):
    """`gradcheck examples/lstm_sequence --coords 4 --dataset` printed `lstm 1.3e-02 wrong`, exit 1: the
    four sampled input coordinates sat at early time steps whose gradient vanished, and the relative
    error's floor came from those four alone, i.e. from round-off."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["gradcheck", str(examples_dir / "lstm_sequence.graphlab.json"), "--coords", "4", "--dataset",
                     "--json"])
    doc = json.loads(out.getvalue())
    assert code == 0 and doc["ok"] is True, out.getvalue()
    assert doc["nodes"]["lstm"]["max_rel_error"] < 1e-4 and doc["nodes"]["lstm"]["reading"] != "wrong"


def test_an_analytic_gradient_wrongly_near_zero_still_fails():
    """The floor follows the larger of the analytic and the numerical gradient's size, so a backward that
    returns ~0 everywhere cannot lower the floor and pass."""
    class Vanishing(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3.0

        @staticmethod
        def backward(ctx, g):
            return g * 1e-12

    check = check_function("v", Vanishing.apply, [torch.randn(40, dtype=torch.float64)], {}, coords=4)
    assert check.max_rel_error > 0.99


def test_a_non_contiguous_explicit_input_is_checked(tmp_path):
    """A transposed array given as the input (strided, not contiguous) crashed in t.view(-1)."""
    g = graph([("x", "Input", {"shape": [3]}), ("fc", "Linear", {"out_features": 2}), ("t", "Tanh", {})],
              [("x", "fc", 0), ("fc", "t", 0)])
    x = torch.randn(3, 4, dtype=torch.float64).t()
    assert not x.is_contiguous()
    report = gradcheck(g, inputs={"x": x})
    assert report.ok and report.nodes["fc"].max_rel_error < 1e-7
    st = Stepper(g, inputs={"x": x}, dtype=torch.float64)
    torch.testing.assert_close(st.inputs["x"], x.contiguous(), rtol=0, atol=0)
    # a node input that is a strided view is copied too
    check = check_function("sum", lambda a: a.sum(1), [torch.randn(5, 3, dtype=torch.float64).t()], {})
    assert check.max_rel_error < 1e-7


def test_kinks_are_nudged_away():
    """ReLU after ReLU and a max pool over exact zeros: ties and zeros everywhere, still fine."""
    g = graph([("x", "Input", {"shape": [2, 6, 6]}), ("r1", "ReLU", {}), ("r2", "ReLU", {}),
               ("p", "MaxPool2d", {"kernel_size": 2})], [("x", "r1", 0), ("r1", "r2", 0), ("r2", "p", 0)])
    st = Stepper(g, inputs={"x": torch.zeros(2, 2, 6, 6).double()}, dtype=torch.float64)
    report = check_stepper(st)
    assert report.ok and all(c.max_rel_error < 1e-7 for c in report.nodes.values())


def test_a_kink_that_stays_is_left_out_not_failed():
    # |x| at 0 is nudged away; max(a, b) with a == b exactly is nudged apart too
    check = check_function("max", lambda a: a.reshape(-1, 2).amax(1), [torch.tensor([0.5, 0.5, 1.0, 2.0]).double()], {})
    assert check.max_rel_error < 1e-7 and check.coords + check.kinks == 4


def test_gradcheck_leaves_the_stepper_module_alone():
    g = _net_with("Sigmoid")
    st = Stepper(g, dtype=torch.float64, batch=2)
    before = {k: v.clone() for k, v in st.module.state_dict().items()}
    check_stepper(st)
    for k, v in st.module.state_dict().items():
        assert torch.equal(v, before[k])
    with pytest.raises(ValueError, match="float64"):
        check_stepper(Stepper(g, batch=2))


def test_the_reading():
    assert [reading(v) for v in (1e-9, 1e-6, 1e-3, 0.5, math.inf)] == [
        "fine", "uncomfortable", "acceptable only at kinks", "wrong", "wrong (not finite)"]
