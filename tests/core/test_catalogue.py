"""Layer knowledge lives in the spec: every consumer handles every layer from its spec alone.

For each layer in the catalogue a graph is built from nothing but the spec (an Input of a rank the
shape rule accepts, wired to each port), then analysed, compiled and exported; shapes, parameter
counts and the spec's declared facts are checked against PyTorch, an independent oracle. A layer
defined only inside this test goes through analysis and compilation too: adding a layer touches
one file.
"""
from __future__ import annotations

import math

import pytest
import torch

import graphlab
from graphlab.compiler import compile_graph, info
from graphlab.compiler.layers import LayerBuildError, build_module, module_class
from graphlab.core import REGISTRY, Graph, Registry, analyze
from graphlab.core.init_schemes import INIT_HELP, INIT_SCHEMES
from graphlab.core.layers._common import nn_module, same
from graphlab.core.spec import LayerSpec, Param, TorchModule

SAMPLES = {1: (16,), 2: (6, 16), 3: (4, 12, 12)}
LAYERS = [t for t in REGISTRY.types() if not REGISTRY.get(t).is_input]


def sample_graph(spec: LayerSpec, registry: Registry = REGISTRY) -> tuple[Graph, tuple[int, ...]]:
    """Input -> the layer (every port from the Input), for the first sample rank its shape rule takes."""
    params, errors = spec.resolve({})
    assert not errors
    ports = 2 if spec.variadic else spec.inputs
    for rank, shape in SAMPLES.items():
        try:
            spec.shape(params, [shape] * ports)
        except Exception:
            continue
        g = Graph(f"one_{spec.type}")
        g.add_node("Input", {"shape": list(shape)}, node_id="x")
        g.add_node(spec.type, node_id="layer")
        for port in range(ports):
            g.connect("x", "layer", port)
        return g, shape
    pytest.fail(f"no sample input fits {spec.type}")


@pytest.mark.parametrize("type_name", LAYERS)
def test_analysis_and_compiler_agree_with_torch(type_name: str) -> None:
    spec = REGISTRY.get(type_name)
    g, shape = sample_graph(spec)
    a = analyze(g)
    assert a.ok, a.problems
    node = a.nodes["layer"]
    gm = compile_graph(g, seed=0)
    module = info(gm).loss if spec.is_loss else gm.get_submodule(info(gm).module_names["layer"])
    assert type(module) is module_class(spec.torch)
    assert node.params == sum(p.numel() for p in module.parameters()), "parameter count rule"
    assert spec.has_weights == any(True for _ in module.parameters())
    x = torch.randn(3, *shape)
    if spec.is_loss:
        target = torch.randint(0, shape[0], (3,)) if spec.task == "classification" else torch.randn(3, *shape)
        assert module(x, target).shape == torch.Size(node.shape)
    else:
        module.eval()
        y = gm(x)
        assert tuple(y.shape[1:]) == node.shape, "shape rule"


@pytest.mark.parametrize("type_name", LAYERS)
def test_declared_facts_hold_in_torch(type_name: str) -> None:
    spec = REGISTRY.get(type_name)
    params, _ = spec.resolve({})
    g, shape = sample_graph(spec)
    a = analyze(g)
    node = a.nodes["layer"]
    module = build_module(spec, node.resolved, node.input_shapes, node.shape)
    kwargs = spec.torch.kwargs(node.resolved, node.input_shapes, node.shape)
    assert all(isinstance(v, (int, float, bool, str, tuple)) for v in kwargs.values()), "kwargs are plain data"
    assert (spec.task is not None) == spec.is_loss and spec.task in (None, "classification", "regression")
    assert spec.backward, "a backward rule in words"
    if spec.init_gain is not None:
        torch.nn.init.calculate_gain(spec.init_gain)  # a name torch knows
    x = torch.linspace(-30, 30, math.prod(shape)).reshape(1, *shape)
    y = module.eval()(*[x] * (2 if spec.variadic else 1)) if not spec.is_loss else None
    if spec.saturation == "zero":
        assert torch.all(y[x < 0] == 0)
    elif spec.saturation == "sigmoid":
        assert y.min() < 1e-6 and y.max() > 1 - 1e-6 and torch.all((y >= 0) & (y <= 1))
    elif spec.saturation == "tanh":
        assert y.min() < -1 + 1e-6 and y.max() > 1 - 1e-6
    if spec.computes is not None:
        oracle = {"softmax": lambda t: torch.softmax(t, dim=1), "sigmoid": torch.sigmoid}[spec.computes]
        assert torch.allclose(y, oracle(x))
    for fn in spec.applies_first:  # the loss applies it itself: feeding it the function's output is a mistake
        assert fn == "softmax"
        s, t = torch.randn(4, 5), torch.tensor([0, 1, 2, 3])
        assert torch.allclose(module(s, t), torch.nn.functional.nll_loss(torch.log(torch.softmax(s, 1)), t))
    if spec.initial_loss is not None:  # CS231n's sanity check: small random weights give ~ this loss
        for classes in (2, 10):
            scores = torch.zeros(7, classes)
            target = torch.arange(7) % classes
            assert math.isclose(spec.initial_loss(params, classes), module(scores, target).item(), rel_tol=1e-6)


def _eval_fn(spec: LayerSpec, shape: tuple[int, ...]):
    """The layer as a float64 function of its input (every port fed the same tensor, as sample_graph wires it)."""
    g, _ = sample_graph(spec)
    node = analyze(g).nodes["layer"]
    torch.manual_seed(0)
    module = build_module(spec, node.resolved, node.input_shapes, node.shape).double()
    ports = 2 if spec.variadic else spec.inputs
    if spec.is_loss:
        target = (torch.arange(4) % shape[0]) if spec.task == "classification" else torch.randn(4, *shape).double()
        return module, lambda x: module(x, target)
    return module, lambda x: module(*[x] * ports)


@pytest.mark.parametrize("type_name", LAYERS)
def test_nonlinear_says_whether_the_layer_is_affine_in_torch(type_name: str) -> None:
    """Oracle: an affine map keeps affine combinations, f(a·x + (1−a)·y) = a·f(x) + (1−a)·f(y), in eval mode.
    The overfit check's "a linear model" cause is decided from this flag alone."""
    spec = REGISTRY.get(type_name)
    _, shape = sample_graph(spec)
    module, f = _eval_fn(spec, shape)
    module.eval()
    gen = torch.Generator().manual_seed(1)
    affine = True
    with torch.no_grad():
        for a in (0.3, 2.5, -1.5):
            x, y = (torch.randn(4, *shape, generator=gen, dtype=torch.float64) * 3 for _ in range(2))
            if not torch.allclose(f(a * x + (1 - a) * y), a * f(x) + (1 - a) * f(y), rtol=1e-9, atol=1e-9):
                affine = False
    assert spec.nonlinear == (not affine), f"{type_name}: nonlinear={spec.nonlinear}, but torch says affine={affine}"


@pytest.mark.parametrize("type_name", LAYERS)
def test_stochastic_says_whether_the_layer_draws_random_numbers_while_training(type_name: str) -> None:
    """Oracle: in training mode two seeds give different outputs, in eval mode never."""
    spec = REGISTRY.get(type_name)
    _, shape = sample_graph(spec)
    module, f = _eval_fn(spec, shape)
    x = torch.randn(4, *shape, dtype=torch.float64)
    outs = {}
    with torch.no_grad():
        for mode in (True, False):
            module.train(mode)
            runs = []
            for seed in (1, 2):
                torch.manual_seed(seed)
                runs.append(f(x))
            outs[mode] = not torch.equal(*runs)
    assert not outs[False], f"{type_name} is random in eval mode"
    assert spec.stochastic == outs[True], f"{type_name}: stochastic={spec.stochastic}, torch says {outs[True]}"


def test_the_overfit_check_reads_linearity_and_dropout_from_the_specs() -> None:
    by_type = {t: REGISTRY.get(t) for t in REGISTRY.types()}
    assert [t for t, s in by_type.items() if s.stochastic] == ["Dropout"]
    assert not by_type["AvgPool2d"].nonlinear and by_type["MaxPool2d"].nonlinear and by_type["LSTM"].nonlinear


def test_every_activation_that_saturates_or_has_a_gain_says_so() -> None:
    by_type = {t: REGISTRY.get(t) for t in REGISTRY.types()}
    assert by_type["ReLU"].saturation == "zero" and by_type["ReLU"].init_gain == "relu"
    assert by_type["Tanh"].init_gain == "tanh" and by_type["Sigmoid"].init_gain == "sigmoid"
    assert "softmax" in by_type["CrossEntropyLoss"].applies_first and by_type["Softmax"].computes == "softmax"


def test_softmax_before_a_loss_that_applies_it_warns_from_the_specs() -> None:
    g = Graph()
    g.add_node("Input", {"shape": [5]}, node_id="x")
    g.add_node("Softmax", node_id="sm")
    g.add_node("CrossEntropyLoss", node_id="loss")
    g.connect("x", "sm")
    g.connect("sm", "loss")
    warnings = [p for p in analyze(g).problems if p.severity == "warning"]
    assert [(p.node, p.field) for p in warnings] == [("loss", "edges")] and "'sm' applies softmax" in warnings[0].message
    g.set_param("sm", "dim", 0)
    g.disconnect(g.edges[1])
    g.add_node("MultiMarginLoss", node_id="svm")  # the SVM does not apply softmax: no warning
    g.remove_node("loss")
    g.connect("sm", "svm")
    assert not [p for p in analyze(g).problems if p.severity == "warning"]


def test_a_layer_defined_in_one_place_analyses_and_compiles() -> None:
    """Hardtanh is not in the catalogue: declaring its spec is all analysis and compilation need."""
    hardtanh = LayerSpec(
        type="Hardtanh", display="Hardtanh", category="Activation",
        params=(Param("min_val", "float", -1.0, "lower clip"), Param("max_val", "float", 1.0, "upper clip")),
        shape=same, torch=nn_module("Hardtanh", lambda p, ins, out: {"min_val": p["min_val"], "max_val": p["max_val"]}),
        saturation="tanh", init_gain="tanh", backward="dx = dout inside [min_val, max_val], else 0",
        help="Clips to [min_val, max_val].")
    registry = Registry([REGISTRY.get(t) for t in REGISTRY.types()] + [hardtanh])
    g = Graph()
    g.add_node("Input", {"shape": [6]}, node_id="x")
    g.add_node("Linear", {"out_features": 4}, node_id="fc")
    g.add_node("Hardtanh", {"max_val": 0.5}, node_id="clip")
    g.connect("x", "fc")
    g.connect("fc", "clip")
    assert analyze(g).ok is False  # the built-in catalogue does not know it
    a = analyze(g, registry)
    assert a.ok and a.nodes["clip"].shape == (4,)
    gm = compile_graph(g, seed=0, registry=registry, init="kaiming")
    x = torch.randn(5, 6)
    assert torch.equal(gm(x), torch.nn.functional.hardtanh(gm.fc(x), -1.0, 0.5))
    from graphlab.compiler.fx_builder import _nonlinearity_after

    assert _nonlinearity_after(g, "fc", registry) == "tanh"  # its init gain comes from its spec


def test_a_spec_can_only_name_modules_of_torch_nn_or_graphlab() -> None:
    for ref in (TorchModule("Linear", own=True), TorchModule("os"), TorchModule("_final_state", own=True),
                TorchModule("functional"), TorchModule("Module.__subclasses__")):
        with pytest.raises(LayerBuildError):
            module_class(ref)


def test_one_list_of_init_schemes() -> None:
    from graphlab.compiler.init import SCHEMES
    from graphlab.run.config import INIT_SCHEMES as config_schemes

    assert SCHEMES is INIT_SCHEMES is config_schemes and tuple(INIT_HELP) == INIT_SCHEMES
    assert all(INIT_HELP[s] and "\n" not in INIT_HELP[s] for s in INIT_SCHEMES)
    g = graphlab.load(graphlab.__path__[0] + "/../examples/lenet5.graphlab.json")
    for scheme in INIT_SCHEMES:  # every listed scheme compiles
        compile_graph(g, init=scheme)


@pytest.mark.parametrize("type_name", [t for t in LAYERS if REGISTRY.get(t).has_weights])
def test_initialisable_says_whether_a_nodes_init_changes_its_weights(type_name: str) -> None:
    """A node's ``init`` changes the compiled weights exactly when its spec says ``initialisable``; where
    it does not apply, analysis warns naming the node (the inspector offers no drop-down there)."""
    spec = REGISTRY.get(type_name)
    g, _ = sample_graph(spec)
    name = None
    weights = {}
    for scheme in (None, "gaussian"):
        g.set_init("layer", scheme)
        gm = compile_graph(g, seed=0)
        name = info(gm).module_names["layer"]
        weights[scheme] = {k: v.clone() for k, v in gm.get_submodule(name).state_dict().items()}
    changed = any(not torch.equal(weights[None][k], weights["gaussian"][k]) for k in weights[None])
    assert changed == spec.initialisable, type_name
    warnings = [p for p in analyze(g).problems if p.field == "init"]
    if spec.initialisable:
        assert not warnings
    else:
        assert [(p.node, p.severity) for p in warnings] == [("layer", "warning")] and "gaussian" in warnings[0].message


def test_init_on_a_layer_without_weights_warns() -> None:
    g, _ = sample_graph(REGISTRY.get("ReLU"))
    g.set_init("layer", "xavier")
    (p,) = [p for p in analyze(g).problems if p.field == "init"]
    assert p.node == "layer" and p.severity == "warning" and "no weights" in p.message
    g.set_init("layer", "default")  # "default" is what happens anyway: nothing to say
    assert not [p for p in analyze(g).problems if p.field == "init"]
