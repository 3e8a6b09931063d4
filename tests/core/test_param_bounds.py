"""Values the catalogue refuses before torch sees them (issue 16, items 1, 2, 5 and 11).

* Conv2d and the pools bound their window parameters, and refuse a stride or a dilation larger than
  the padded input: torch's CPU convolution gradient crashed the process (stride (1, 100000)).
* RNN/LSTM/GRU count their parameters in closed form (checked against torch) and bound num_layers:
  2^31 layers made ``check`` loop for ever.
* An int parameter refuses a float that is no integer anyone wrote (1e308), and a count of 10^308
  units is counted and refused by the memory guard, never an OverflowError.
* An Input of more dimensions than the layers take is refused on the node, not deep in torch.
"""
from __future__ import annotations

import pytest
import torch

from graphlab.core import Graph, analyze
from graphlab.core.layers.conv import MAX_DILATION, MAX_KERNEL, MAX_PADDING, MAX_STRIDE
from graphlab.core.layers.inputs import MAX_RANK
from graphlab.core.layers.recurrent import MAX_LAYERS
from graphlab.core.spec import Param, ParamError
from graphlab.core.text import fmt_count
from tests.fuzz.harness import assert_clean, run_cli, write


def _one(type_: str, params: dict, shape: list[int]) -> Graph:
    g = Graph("t")
    g.add_node("Input", {"shape": shape}, node_id="x")
    g.add_node(type_, params, node_id="n")
    g.connect("x", "n")
    return g


def _errors(g: Graph) -> list[tuple[str | None, str | None, str]]:
    return [(p.node, p.field, p.message) for p in analyze(g).errors]


@pytest.mark.parametrize("name, value", [("stride", [1, 100000]), ("stride", 65536), ("dilation", [1, 10 ** 6]),
                                         ("kernel_size", 10 ** 5), ("padding", 10 ** 6)])
def test_conv_window_params_have_absolute_maxima_on_the_node(name: str, value: object) -> None:
    errors = _errors(_one("Conv2d", {name: value}, [1, 8, 8]))
    assert len(errors) == 1, errors
    node, field, message = errors[0]
    assert (node, field) == ("n", f"params.{name}") and "<= " in message and "\n" not in message


@pytest.mark.parametrize("layer", ["MaxPool2d", "AvgPool2d"])
def test_pool_stride_and_kernel_have_maxima(layer: str) -> None:
    assert [e[1] for e in _errors(_one(layer, {"stride": [1, 70000]}, [1, 8, 8]))] == ["params.stride"]
    assert [e[1] for e in _errors(_one(layer, {"kernel_size": 10 ** 6}, [1, 8, 8]))] == ["params.kernel_size"]


def test_the_maxima_are_above_every_network_people_draw() -> None:
    assert MAX_KERNEL >= 224 and MAX_STRIDE >= 32 and MAX_DILATION >= 32 and MAX_PADDING >= 112


@pytest.mark.parametrize("layer, params", [("Conv2d", {"stride": [1, 9]}), ("Conv2d", {"stride": [9, 1]}),
                                           ("Conv2d", {"kernel_size": 1, "dilation": [1, 9]}),
                                           ("MaxPool2d", {"kernel_size": 2, "stride": [1, 9]}),
                                           ("AvgPool2d", {"kernel_size": 2, "stride": 9})])
def test_a_stride_or_dilation_beyond_the_padded_input_is_refused_for_a_student(layer: str, params: dict) -> None:
    errors = _errors(_one(layer, params, [1, 8, 8]))
    assert len(errors) == 1, errors
    node, field, message = errors[0]
    assert (node, field) == ("n", "shape") and "padded input" in message and "8+2·0=8" in message, message
    assert "use a" in message  # says how to fix it


@pytest.mark.parametrize("stride, dilation, padding", [((1, 8), 1, 0), ((8, 3), 1, 0), ((2, 2), (1, 4), (0, 1)),
                                                       ((1, 10), 1, (0, 1))])
def test_a_stride_up_to_the_padded_input_still_matches_torch(stride, dilation, padding) -> None:
    g = _one("Conv2d", {"out_channels": 2, "stride": list(stride) if isinstance(stride, tuple) else stride,
                        "dilation": list(dilation) if isinstance(dilation, tuple) else dilation,
                        "padding": list(padding) if isinstance(padding, tuple) else padding}, [1, 8, 8])
    a = analyze(g)
    assert a.ok, a.errors
    conv = torch.nn.Conv2d(1, 2, 3, stride=stride, dilation=dilation, padding=padding)
    assert a.nodes["n"].shape == tuple(conv(torch.zeros(1, 1, 8, 8)).shape[1:])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True), (3, False), (5, True)])
def test_recurrent_parameter_count_in_closed_form_matches_torch(kind: str, layers: int, bidirectional: bool) -> None:
    g = _one(kind, {"hidden_size": 5, "num_layers": layers, "bidirectional": bidirectional}, [4, 3])
    a = analyze(g)
    assert a.ok, a.errors
    module = getattr(torch.nn, kind)(3, 5, num_layers=layers, bidirectional=bidirectional, batch_first=True)
    assert a.nodes["n"].params == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("value", [2 ** 31, 10 ** 18, 1e308, MAX_LAYERS + 1, 100_000])
def test_num_layers_beyond_its_maximum_is_refused_on_the_node(value: object) -> None:
    errors = _errors(_one("LSTM", {"num_layers": value}, [4, 3]))
    assert [(e[0], e[1]) for e in errors] == [("n", "params.num_layers")], errors


def test_the_largest_num_layers_is_counted_exactly() -> None:
    g = _one("GRU", {"hidden_size": 4, "num_layers": MAX_LAYERS, "bidirectional": True}, [4, 3])
    a = analyze(g)
    module = torch.nn.GRU(3, 4, num_layers=MAX_LAYERS, bidirectional=True)
    assert a.ok and a.nodes["n"].params == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("value", [1e308, -1e308, 2.0 ** 60, 1e16, 2.5])
def test_an_int_param_refuses_a_float_no_one_typed_as_an_integer(value: float) -> None:
    with pytest.raises(ParamError) as e:
        Param("out_features", "int", min=1).coerce(value)
    assert "must be a whole number" in str(e.value)  # a float that is no integer anyone typed
    for layer, name, shape in (("Linear", "out_features", [4]), ("Conv2d", "out_channels", [1, 8, 8]),
                               ("Maxout", "pieces", [4]), ("LSTM", "hidden_size", [4, 3])):
        assert [e[1] for e in _errors(_one(layer, {name: value}, shape))] == [f"params.{name}"]


def test_an_int_param_still_takes_whole_floats_people_write() -> None:
    assert Param("n", "int").coerce(3.0) == 3 and Param("n", "int").coerce(1e9) == 10 ** 9


def _chain_file(tmp_path, nodes: list[dict], name: str = "g") -> object:
    edges = [{"from": a["id"], "to": b["id"]} for a, b in zip(nodes, nodes[1:])]
    return write(tmp_path / f"{name}.graphlab.json", {"graphlab": 1, "name": name, "nodes": nodes, "edges": edges})


def test_a_count_of_ten_to_the_308_is_refused_by_size_never_an_overflow(tmp_path) -> None:
    path = _chain_file(tmp_path, [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                                  {"id": "fc", "type": "Linear", "params": {"out_features": 10 ** 308}},
                                  {"id": "loss", "type": "CrossEntropyLoss"}])
    code, out, _ = run_cli("check", path)
    assert code == 0 and "5.0e+308 params" in out and max(len(line) for line in out.splitlines()) < 120
    for argv in (("step", path, "--batch", 1), ("gradcheck", path)):
        result = run_cli(*argv)
        assert_clean(result, codes=(1,), what=str(argv))
        assert ": fc: its weights need " in result[2] and "(5.0e+308 parameters)" in result[2]


def test_fmt_count() -> None:
    assert fmt_count(1234567) == "1,234,567" and fmt_count(10 ** 18 - 1) == "999,999,999,999,999,999"
    assert fmt_count(5 * 10 ** 308) == "5.0e+308" and fmt_count(-(12 * 10 ** 20)) == "-1.2e+21"
    assert "digit" in fmt_count(10 ** 5000)


def test_an_input_of_65_dims_is_refused_on_the_node(tmp_path) -> None:
    path = _chain_file(tmp_path, [{"id": "x", "type": "Input", "params": {"shape": [1] * 65}},
                                  {"id": "fc", "type": "Linear", "params": {"out_features": 1}},
                                  {"id": "loss", "type": "MSELoss"}])
    for argv in (("check", path), ("step", path, "--batch", 1), ("gradcheck", path)):
        code, out, err = run_cli(*argv)
        assert_clean((code, out, err), codes=(1,), what=str(argv))
        assert "x" in out + err and "65 dimensions" in out + err
    assert analyze(_one("Linear", {}, [1] * MAX_RANK)).ok


def test_gradcheck_of_an_elu_alpha_of_1e300_is_a_report(tmp_path) -> None:
    path = _chain_file(tmp_path, [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                                  {"id": "e", "type": "ELU", "params": {"alpha": 1e300}},
                                  {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
                                  {"id": "loss", "type": "CrossEntropyLoss"}])
    assert_clean(run_cli("gradcheck", path), codes=(0, 1))
    assert_clean(run_cli("step", path), codes=(0, 1, 2))
