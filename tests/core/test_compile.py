"""Compilation against PyTorch as the oracle: shapes, parameter counts, outputs, seeding, init."""
import pytest
import torch

import graphlab
from graphlab.compiler import CompileError, count_parameters, info
from graphlab.core import REGISTRY, Graph, GraphError, analyze
from tests.conftest import EXAMPLES

SMALL = ["linear_classifier", "two_layer_net", "lenet5", "digits_cnn", "resnet_block", "inception_block",
         "lstm_sequence", "backprop_gates"]


@pytest.mark.parametrize("name", SMALL)
def test_every_node_shape_and_count_match_torch(name):
    g = graphlab.load(EXAMPLES / f"{name}.graphlab.json")
    a = analyze(g)
    assert a.ok, [p.text() for p in a.problems]
    gm = graphlab.compile(g)
    ci = info(gm)
    seen = {}
    hooks = [gm.get_submodule(m).register_forward_hook(lambda mod, i, o, nid=nid: seen.__setitem__(nid, o.shape))
             for nid, m in ci.module_names.items()]
    gm.eval()
    with torch.no_grad():
        gm(*[torch.randn(3, *a.nodes[i].shape) for i in ci.input_ids])
    for h in hooks:
        h.remove()
    for nid, shape in seen.items():
        assert tuple(shape) == (3, *a.nodes[nid].shape), nid
        assert sum(p.numel() for p in gm.get_submodule(ci.module_names[nid]).parameters()) == a.nodes[nid].params
    assert count_parameters(gm) == a.total_params


def test_backprop_gates_compute_the_seed_example():
    g = graphlab.load(EXAMPLES / "backprop_gates.graphlab.json")
    gm = graphlab.compile(g)
    x, y, z = (torch.tensor([[v]], requires_grad=True) for v in (-2.0, 5.0, -4.0))
    f = gm(x, y, z)
    f.backward()
    assert f.item() == -12.0 and (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)


def test_code_reads_like_pytorch_and_node_map_is_complete():
    g = graphlab.load(EXAMPLES / "resnet_block.graphlab.json")
    gm = graphlab.compile(g)
    assert "sum_1 = self.sum(bn2, x)" in gm.code or "self.sum(bn2, x)" in gm.code
    ci = info(gm)
    assert set(ci.node_map) == set(g.nodes)
    assert all(n.graph is gm.graph for n in ci.node_map.values())
    assert ci.node_map["conv1"].target == "conv1" and ci.output_id == "out" and ci.loss_id is None


def test_loss_is_kept_apart():
    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    gm = graphlab.compile(g)
    ci = info(gm)
    assert isinstance(ci.loss, torch.nn.CrossEntropyLoss) and ci.loss_id == "loss" and ci.output_id == "fc3"
    assert "loss" not in dict(gm.named_modules())


def test_same_seed_same_weights_and_schemes_differ():
    g = graphlab.load(EXAMPLES / "two_layer_net.graphlab.json")
    a = graphlab.compile(g, seed=3).state_dict()
    b = graphlab.compile(g, seed=3).state_dict()
    c = graphlab.compile(g, seed=4).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a) and not torch.equal(a["fc1.weight"], c["fc1.weight"])
    small = graphlab.compile(g, init="small_gaussian").state_dict()["fc1.weight"]
    unit = graphlab.compile(g, init="gaussian").state_dict()["fc1.weight"]
    assert 0.007 < small.std() < 0.013 and 0.8 < unit.std() < 1.2
    g.set_init("fc1", "kaiming")
    k = graphlab.compile(g, init="xavier").state_dict()
    assert abs(k["fc1.weight"].std() - (2 / 2) ** 0.5) < 0.35  # fan_in 2: std sqrt(2/2)
    assert abs(k["scores.weight"].std() - (2 / 103) ** 0.5) < 0.05
    assert torch.count_nonzero(k["fc1.bias"]) == 0


def test_compile_refuses_graphs_with_errors():
    g = Graph()
    g.add_node("Linear", node_id="x")
    with pytest.raises(CompileError) as e:
        graphlab.compile(g)
    assert "x.edges: missing input" in str(e.value) and e.value.problems[0].node == "x"


def test_reserved_ids_get_safe_module_names():
    g = Graph()
    g.add_node("Input", {"shape": [3]}, node_id="x")
    g.add_node("Linear", {"out_features": 2}, node_id="training")
    g.add_node("ReLU", node_id="forward")
    g.connect("x", "training")
    g.connect("training", "forward")
    gm = graphlab.compile(g)
    assert info(gm).module_names == {"training": "training_", "forward": "forward_"}
    assert gm(torch.ones(1, 3)).shape == (1, 2)


def test_renamed_modules_never_collide_with_other_ids():
    g = Graph()
    g.add_node("Input", {"shape": [4]}, node_id="x")
    g.add_node("Linear", {"out_features": 5}, node_id="train")
    g.add_node("Linear", {"out_features": 3}, node_id="train_")
    g.connect("x", "train")
    g.connect("train", "train_")
    gm = graphlab.compile(g)
    names = info(gm).module_names
    assert len(set(names.values())) == 2 and names["train_"] == "train_"
    assert count_parameters(gm) == analyze(g).total_params == 4 * 5 + 5 + 5 * 3 + 3
    assert gm(torch.ones(2, 4)).shape == (2, 3)


def test_self_is_not_a_node_id():
    with pytest.raises(GraphError):
        Graph().add_node("Input", {"shape": [2]}, node_id="self")


_SAMPLE_INPUT = {1: (16,), 2: (6, 16), 3: (4, 12, 12)}


@pytest.mark.parametrize("type_name", [t for t in REGISTRY.types() if t != "Input"])
def test_catalogue_seams_agree_with_torch(type_name):
    """The spec's declared knowledge matches the module PyTorch builds (an independent oracle):
    has_weights ⇔ the module has parameters; a loss with task classification takes class indices."""
    spec = REGISTRY.get(type_name)
    params, _ = spec.resolve({})
    for rank in (1, 2, 3):
        ins = [_SAMPLE_INPUT[rank]] * (2 if spec.variadic else spec.inputs)
        try:
            out = spec.shape(params, ins)
        except Exception:
            continue
        from graphlab.compiler.layers import build_module

        module = build_module(spec, params, ins, out)
        assert spec.has_weights == any(True for _ in module.parameters()), type_name
        break
    else:
        pytest.fail(f"no sample input fits {type_name}")
    assert (spec.task is not None) == spec.is_loss
    assert spec.backward, f"{type_name} has no backward rule in words"
    assert spec.saturation in (None, "zero", "sigmoid", "tanh")
