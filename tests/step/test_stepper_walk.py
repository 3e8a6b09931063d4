"""The walk itself: the gates example's numbers, step/back/run_to/reset, fan-out, max routing, local
derivatives, train mode (buffers and RNG untouched, fixed masks), in-place modules, inputs and weights."""
import pytest
import torch
from torch import nn

import graphlab
from graphlab.step import StepError, Stepper
from tests.conftest import EXAMPLES
from tests.step.helpers import assert_matches_autograd, graph, rel

GATES = {"x": torch.tensor([[-2.0]]), "y": torch.tensor([[5.0]]), "z": torch.tensor([[-4.0]])}


def _gates():
    return graphlab.load(EXAMPLES / "backprop_gates.graphlab.json")


def test_gates_example_gives_the_course_numbers():
    st = Stepper(_gates(), inputs=GATES)
    assert sorted(st.order) == ["f", "q", "x", "y", "z"] and st.order[-1] == "f"
    assert st.order.index("q") > max(st.order.index("x"), st.order.index("y"))
    st.run()
    r = st.records
    assert r["q"].output.item() == 3.0 and r["f"].output.item() == -12.0
    assert r["f"].grad_output.item() == 1.0  # f is a single number: L = f itself
    assert r["x"].grad_output.item() == -4.0
    assert r["y"].grad_output.item() == -4.0
    assert r["z"].grad_output.item() == 3.0
    assert r["q"].grad_output.item() == -4.0
    # the local rules, with the numbers they used: multiply swaps, add distributes
    assert [d.item() for d in r["f"].local.derivatives] == [-4.0, 3.0]
    assert [d.item() for d in r["q"].local.derivatives] == [1.0, 1.0]
    assert "multiply swaps" in r["f"].local.rule and "add distributes" in r["q"].local.rule
    assert r["f"].local.numbers[0] == "∂L/∂q = ∂L/∂out · ∂out/∂q = 1 · -4 = -4"
    assert r["f"].local.numbers[1] == "∂L/∂z = ∂L/∂out · ∂out/∂z = 1 · 3 = 3"


def test_inputs_without_batch_dimension_are_one_sample():
    st = Stepper(_gates(), inputs={k: v[0] for k, v in GATES.items()})
    st.run()
    assert st.batch == 1 and st.records["x"].grad_output.item() == -4.0


def test_step_back_run_to_and_reset():
    st = Stepper(_gates(), inputs=GATES)
    assert (st.position, st.cursor, st.phase) == (0, None, "forward")
    rec = st.step()
    assert rec.node == "x" and st.cursor == "x" and st.phase == "forward"
    assert st.last_change.edges == (("x", "q", 0),) and not st.last_change.undone
    st.run_to("q")
    assert st.cursor == "q" and st.records["q"].output.item() == 3.0 and st.records["f"].output is None
    changes = st.run_to("q", "backward")
    want = st.walk[st.walk.index(("q", "forward")) + 1:st.walk.index(("q", "backward")) + 1]
    assert [(c.node, c.phase) for c in changes] == want
    assert want[0] == ("z", "forward") and want[-3:] == [("f", "backward"), ("z", "backward"), ("q", "backward")]
    assert st.phase == "backward" and st.last_change.edges == (("x", "q", 0), ("y", "q", 1))
    assert st.records["q"].grad_inputs[0].item() == -4.0
    back = st.back()
    assert back.undone and back.node == "q" and back.phase == "backward"
    assert st.records["q"].grad_output is None and st.records["q"].output is not None
    assert st.cursor == "z" and st.phase == "backward"
    st.run_to("x")  # backwards too
    assert st.cursor == "x" and st.records["q"].output is None and st.records["x"].output is not None
    st.run()
    assert st.done and st.phase == "done" and st.step() is None
    st.reset()
    assert st.position == 0 and all(r.output is None and r.grad_output is None for r in st.records.values())
    with pytest.raises(StepError, match="no step"):
        st.run_to("nope")


def test_back_is_cheap_results_are_cached():
    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    st = Stepper(g, batch=2)
    calls = []
    st.module.get_submodule("conv1").register_forward_hook(lambda *a: calls.append(1))
    st.run_to("conv1")
    assert len(calls) == 1
    out = st.records["conv1"].output
    st.back()
    assert st.records["conv1"].output is None
    st.step()
    assert len(calls) == 1 and st.records["conv1"].output is out
    st.reset()
    st.run_to("conv1")
    assert len(calls) == 2 and torch.equal(st.records["conv1"].output, out)


def test_fan_out_sums_the_gradients_of_every_consumer():
    g = graph([("x", "Input", {"shape": [5]}), ("a", "Tanh", {}), ("b1", "Linear", {"out_features": 3}),
               ("b2", "Linear", {"out_features": 3}), ("s", "Add", {}), ("m", "Multiply", {})],
              [("x", "a", 0), ("a", "b1", 0), ("a", "b2", 0), ("b1", "s", 0), ("b2", "s", 1), ("a", "m", 0),
               ("a", "m", 1)])
    # two sinks (s and m): L = Σ s·u_s + Σ m·u_m, m = a·a uses a twice
    st = Stepper(g, batch=3, dtype=torch.float64)
    st.run()
    assert set(st.upstream) == {"s", "m"}
    a = st.records["a"]
    parts = [st.records[d].grad_inputs[p] for d, p in st.consumers("a")]
    assert len(parts) == 4
    assert torch.allclose(a.grad_output, sum(parts), rtol=0, atol=1e-15)
    assert_matches_autograd(st, 1e-12)


def test_the_oracle_checks_each_fan_out_edge_not_only_their_sum():
    """Issue 10.1 "every grad_inputs matches autograd": a wrong split of a fan-out gradient between two
    consumers (their sum, and so every grad_output, unchanged) must be caught on the edge itself."""
    g = graph([("x", "Input", {"shape": [5]}), ("a", "Tanh", {}), ("b1", "Linear", {"out_features": 3}),
               ("b2", "Linear", {"out_features": 3}), ("s", "Add", {})],
              [("x", "a", 0), ("a", "b1", 0), ("a", "b2", 0), ("b1", "s", 0), ("b2", "s", 1)])
    st = Stepper(g, batch=3, dtype=torch.float64)
    st.run()
    assert_matches_autograd(st, 1e-12)
    shift = torch.full_like(st.records["b1"].grad_inputs[0], 0.25)
    for nid, sign in (("b1", 1.0), ("b2", -1.0)):  # still sums to a's grad_output
        st.records[nid].grad_inputs = [st.records[nid].grad_inputs[0] + sign * shift]
    assert torch.allclose(st.records["b1"].grad_inputs[0] + st.records["b2"].grad_inputs[0],
                          st.records["a"].grad_output)
    with pytest.raises(AssertionError, match=r"\('b[12]', 0, 'a', "):
        assert_matches_autograd(st, 1e-12)


def test_maxpool_routes_a_tie_to_the_first_maximum():
    g = graph([("x", "Input", {"shape": [1, 4, 4]}), ("p", "MaxPool2d", {"kernel_size": 2}), ("f", "Flatten", {})],
              [("x", "p", 0), ("p", "f", 0)])
    x = torch.tensor([[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 0.0], [3.0, 0.0, 5.0, 5.0], [0.0, 3.0, 5.0, 5.0]])
    up = torch.arange(1.0, 5.0).reshape(1, 4)
    st = Stepper(g, inputs={"x": x.reshape(1, 1, 4, 4)}, upstream=up)
    st.run()
    gx = st.records["x"].grad_output.reshape(4, 4)
    want = torch.zeros(4, 4)
    want[0, 0], want[0, 3], want[2, 0], want[2, 2] = 1.0, 2.0, 3.0, 4.0  # first max of each window, row-major
    assert torch.equal(gx, want)
    assert_matches_autograd(st, 0.0)


@pytest.mark.parametrize("type_,params,local", [
    ("ReLU", {}, lambda x: (x > 0).float()),
    ("Sigmoid", {}, lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    ("Tanh", {}, lambda x: 1 - torch.tanh(x) ** 2),
    ("LeakyReLU", {"negative_slope": 0.1}, lambda x: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, 0.1))),
    ("ELU", {"alpha": 1.0}, lambda x: torch.where(x > 0, torch.ones_like(x), torch.exp(x))),
    ("Dropout", {"p": 0.5}, lambda x: torch.ones_like(x)),  # eval mode: the identity
])
def test_elementwise_local_derivative(type_, params, local):
    g = graph([("x", "Input", {"shape": [6]}), ("n", type_, params)], [("x", "n", 0)])
    st = Stepper(g, batch=4, dtype=torch.float64)
    st.run()
    r = st.records["n"]
    x = r.inputs[0]
    assert r.local.elementwise
    assert torch.allclose(r.local.derivative, local(x).to(x.dtype), rtol=1e-12, atol=1e-14)
    assert torch.allclose(r.grad_inputs[0], r.grad_output * r.local.derivative, rtol=1e-12, atol=1e-14)
    assert r.local.rule  # the spec's words


def test_batchnorm_eval_is_elementwise_with_gamma_over_sigma():
    g = graph([("x", "Input", {"shape": [3, 4, 4]}), ("bn", "BatchNorm2d", {})], [("x", "bn", 0)])
    st = Stepper(g, batch=2, dtype=torch.float64)
    bn = st.module.get_submodule("bn")
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, -2.0, 0.5]))
        bn.running_var.copy_(torch.tensor([4.0, 1.0, 0.25]))
    st.run()
    want = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).reshape(1, 3, 1, 1).expand(2, 3, 4, 4)
    assert torch.allclose(st.records["bn"].local.derivative, want)


@pytest.mark.parametrize("type_,params", [("Linear", {"out_features": 6}), ("Softmax", {"dim": 0}),
                                          ("Conv2d", {"out_channels": 1, "padding": 1})])
def test_nodes_that_mix_elements_have_no_local_derivative(type_, params):
    shape = [1, 4, 4] if type_ == "Conv2d" else [6]
    g = graph([("x", "Input", {"shape": shape}), ("n", type_, params)], [("x", "n", 0)])
    st = Stepper(g, batch=2)
    st.run()
    assert st.records["n"].local.derivative is None and st.records["n"].local.numbers


def test_upstream_without_a_loss_is_seeded_noise():
    g = graphlab.load(EXAMPLES / "resnet_block.graphlab.json")
    a, b, c = Stepper(g, batch=2), Stepper(g, batch=2), Stepper(g, batch=2, seed=1)
    (sink,) = a.upstream
    assert a.upstream[sink].shape == a.inputs["x"].shape[:1] + a.upstream[sink].shape[1:]
    assert torch.equal(a.upstream[sink], b.upstream[sink])
    assert not torch.equal(a.upstream[sink], c.upstream[sink])
    assert 0.5 < float(a.upstream[sink].std()) < 1.5


def test_train_mode_leaves_buffers_and_rng_alone_and_fixes_dropout_masks():
    g = graphlab.load(EXAMPLES / "digits_cnn.graphlab.json")
    st = Stepper(g, batch=8, train_mode=True, base_dir=EXAMPLES)
    buffers = {k: v.clone() for k, v in st.module.state_dict().items()}
    torch.manual_seed(1234)
    rng = torch.get_rng_state()
    st.run()
    assert torch.equal(torch.get_rng_state(), rng)
    for k, v in st.module.state_dict().items():
        assert torch.equal(v, buffers[k]), k
    # BatchNorm used the batch's statistics: each channel comes out centred over the batch
    bn = st.records["bn1"].output
    assert bn.mean(dim=(0, 2, 3)).abs().max() < 1e-5
    # Dropout drew a mask (some units zeroed, the rest scaled by 1/(1-p)), the same one after a reset
    drop = st.records["drop"]
    kept = drop.output != 0
    assert 0 < int((~kept).sum()) < kept.numel()
    assert torch.allclose(drop.output[kept], drop.inputs[0][kept] / 0.75)
    first = drop.output.clone()
    st.reset()
    st.run()
    assert torch.equal(st.records["drop"].output, first)
    # and the walk equals autograd run with the same per-node streams (on a copy: buffers move there)
    import copy

    module = copy.deepcopy(st.module)
    names = {v: k for k, v in st.info.module_names.items()}
    assert_matches_autograd(st, 1e-5, module=module, context=lambda target: st.node_context(names[target],
                                                                                        module.get_submodule(target)))
    assert torch.equal(torch.get_rng_state(), rng)


def test_batchnorm_in_train_mode_with_one_sample_is_one_clear_error():
    g = graph([("x", "Input", {"shape": [4]}), ("bn", "BatchNorm1d", {})], [("x", "bn", 0)])
    st = Stepper(g, batch=1, train_mode=True)
    with pytest.raises(StepError, match="bn: Expected more than 1 value per channel") as e:
        st.run()
    assert e.value.node == "bn" and e.value.kind == "run" and "\n" not in str(e.value)


def _with_inplace_relu(st: Stepper, name: str) -> None:
    st.module.get_submodule(name).inplace = True


def test_inplace_relu_does_not_corrupt_recorded_inputs():
    g = graphlab.load(EXAMPLES / "digits_cnn.graphlab.json")
    plain = Stepper(g, batch=4, base_dir=EXAMPLES)
    plain.run()
    st = Stepper(g, batch=4, base_dir=EXAMPLES)
    _with_inplace_relu(st, "relu1")  # made in-place after set-up: found when autograd refuses it
    st.run()
    assert "relu1" in st._mutates
    before = st.records["relu1"].inputs[0]
    assert float(before.min()) < 0  # still the BatchNorm output, not rectified
    assert torch.equal(before, st.records["bn1"].output)
    for nid in st.order:
        a, b = st.records[nid], plain.records[nid]
        assert torch.equal(a.output, b.output), nid
        assert torch.equal(a.grad_output, b.grad_output), nid
    assert torch.equal(st.records["relu1"].local.derivative, (before > 0).float())
    _params_and_inputs_match_autograd(st, 1e-5)


def _params_and_inputs_match_autograd(st: Stepper, tol: float) -> None:
    """Against one plain forward/backward of the in-place module itself (per-node outputs are not
    observable there: the in-place op overwrites them)."""
    x = {k: v.clone().requires_grad_() for k, v in st.inputs.items()}
    pred = st.module(*[x[i].clone() for i in st.info.input_ids])  # an in-place first layer may not write into a leaf
    st.module.zero_grad()
    st.loss_module(pred, st.targets).backward() if st.loss_module else (pred * st.upstream[st.order[-1]]).sum().backward()
    for nid in st.order:
        if nid in x:
            assert rel(st.records[nid].grad_output, x[nid].grad) <= tol
        elif nid in st.info.module_names:
            sub = st.module.get_submodule(st.info.module_names[nid])
            for name, g in st.records[nid].grad_params.items():
                assert rel(g, sub.get_parameter(name).grad) <= tol, (nid, name)


def test_inplace_flag_at_set_up_is_seen_up_front(monkeypatch):
    g = graph([("x", "Input", {"shape": [6]}), ("r", "ReLU", {}), ("o", "Linear", {"out_features": 2})],
              [("x", "r", 0), ("r", "o", 0)])
    real = nn.ReLU

    class InplaceReLU(real):
        def __init__(self, *a, **k):
            super().__init__(inplace=True)

    monkeypatch.setattr(nn, "ReLU", InplaceReLU)
    st = Stepper(g, batch=3)
    monkeypatch.undo()
    assert st.module.get_submodule("r").inplace and "r" in st._mutates
    st.run()
    assert float(st.records["r"].inputs[0].min()) < 0
    assert torch.equal(st.records["r"].inputs[0], st.records["x"].output)
    _params_and_inputs_match_autograd(st, 1e-6)


class _Sneaky(nn.Module):
    """Writes into its input behind autograd's back (under no_grad), then returns a ReLU."""

    def forward(self, x):
        with torch.no_grad():
            x.clamp_(min=0)
        return torch.relu(x)


def test_a_module_writing_into_its_input_without_autograd_is_replayed_with_copies():
    g = graph([("x", "Input", {"shape": [6]}), ("a", "Linear", {"out_features": 6}), ("r", "ReLU", {}),
               ("o", "Linear", {"out_features": 2})], [("x", "a", 0), ("a", "r", 0), ("r", "o", 0)])
    st = Stepper(g, batch=3)
    st.module.r = _Sneaky()
    st.run()
    assert "r" in st._mutates
    assert float(st.records["r"].inputs[0].min()) < 0
    assert torch.equal(st.records["r"].inputs[0], st.records["a"].output)


def test_explicit_inputs_are_checked_node_by_node():
    g = _gates()
    with pytest.raises(StepError, match="no values for Input node 'z'") as e:
        Stepper(g, inputs={"x": GATES["x"], "y": GATES["y"]})
    assert e.value.node == "z"
    with pytest.raises(StepError, match="input 'y' has shape 1×2 but Input node 'y' takes 1 per sample") as e:
        Stepper(g, inputs={**GATES, "y": torch.zeros(1, 2)})
    assert e.value.node == "y"
    with pytest.raises(StepError, match="'w' is not an Input node"):
        Stepper(g, inputs={**GATES, "w": torch.zeros(1, 1)})
    with pytest.raises(StepError, match="2 samples but the other inputs have 1"):
        Stepper(g, inputs={**GATES, "z": torch.zeros(2, 1)})


def test_targets_are_checked():
    g = graphlab.load(EXAMPLES / "spiral_two_layer.graphlab.json")
    x = torch.randn(4, 2)
    with pytest.raises(StepError, match="class index in 0..2"):
        Stepper(g, inputs={"x": x} if "x" in g.nodes else {next(iter(g.nodes)): x}, targets=torch.tensor([0, 1, 5, 0]))
    st = Stepper(g, inputs={next(iter(g.nodes)): x}, targets=[0, 1, 2, 0])
    assert st.targets.tolist() == [0, 1, 2, 0]


def test_dataset_batch_and_its_targets():
    g = graphlab.load(EXAMPLES / "digits_cnn.graphlab.json")
    st = Stepper(g, batch=5, base_dir=EXAMPLES)
    assert st.inputs["image"].shape == (5, 1, 8, 8) and st.targets.shape == (5,) and st.targets.dtype == torch.long
    assert "validation" in st.notes[0] and "digits" in st.notes[0]
    from graphlab.run.config import parse_training
    from graphlab.run.datasets import build_dataset

    data = build_dataset(parse_training(g.training), EXAMPLES)
    assert torch.equal(st.inputs["image"], data.x_val[:5]) and torch.equal(st.targets, data.y_val[:5])


def test_missing_dataset_falls_back_to_random_inputs_with_a_note(tmp_path):
    g = graphlab.load(EXAMPLES / "resnet18.graphlab.json")
    g.training = {"dataset": {"name": "npz", "path": "nothing.npz"}}
    st = Stepper(g, batch=1, base_dir=tmp_path)
    assert "could not be loaded" in st.notes[0] and st.inputs["image"].shape[0] == 1
    assert st.warnings == st.notes[:1]
    assert Stepper(graphlab.load(EXAMPLES / "lenet5.graphlab.json"), batch=1, base_dir=EXAMPLES).warnings == []


def test_weights_from_a_checkpoint_a_run_folder_and_refusing_another_graph(tmp_path):
    from graphlab.run.checkpoint import save_checkpoint

    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    trained = graphlab.compile(g, seed=5)
    save_checkpoint(tmp_path / "last.safetensors", trained, None, epoch=1, step=1, graph=g.name)
    for where in (tmp_path / "last.safetensors", tmp_path):
        st = Stepper(g, weights=where, batch=2, base_dir=EXAMPLES)
        for k, v in trained.state_dict().items():
            assert torch.equal(st.module.state_dict()[k], v)
    other = graphlab.load(EXAMPLES / "digits_cnn.graphlab.json")
    with pytest.raises(StepError, match="does not fit this graph") as e:
        Stepper(other, weights=tmp_path, batch=2, base_dir=EXAMPLES)
    assert "\n" not in str(e.value)
    with pytest.raises(StepError, match="no such checkpoint"):
        Stepper(g, weights=tmp_path / "missing.safetensors")


def test_a_graph_with_errors_is_refused_with_its_first_problem():
    g = graph([("x", "Input", {"shape": [6]}), ("l", "Linear", {"out_features": 0})], [("x", "l", 0)])
    with pytest.raises(StepError, match="the graph has errors") as e:
        Stepper(g)
    assert e.value.kind == "graph" and e.value.node == "l"


def test_record_summaries_histograms_and_previews():
    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    st = Stepper(g, batch=2, base_dir=EXAMPLES)
    st.run_to("conv1")
    r = st.records["conv1"]
    s = r.summary("output")
    t = r.output.double()
    assert s.shape == (2, 6, 28, 28) and abs(s.mean - float(t.mean())) < 1e-6
    assert abs(s.std - float(t.std())) < 1e-5 and s.min == float(t.min()) and s.max == float(t.max())
    assert r.summary("output") is s  # cached
    h = r.histogram("output", bins=10)
    assert len(h.counts) == 10 and sum(h.counts) == t.numel() and h.edges[0] == s.min and h.edges[-1] == s.max
    fixed = r.histogram("output", bins=4, lo=-0.1, hi=0.1)
    assert fixed.underflow == int((t < -0.1).sum()) and fixed.overflow == int((t > 0.1).sum())
    p = r.preview("output")
    assert len(p.values) == 64 and p.truncated and p.values == r.output.reshape(-1)[:64].tolist()
    assert r.summary("grad_output") is None  # not yet
    assert st.records["input"].preview("output").shape == (2, 1, 28, 28)
    st.run_to("conv1", "backward")
    assert set(r.grad_params) == {"weight", "bias"} and r.summary("grad_params", "weight").shape == (6, 1, 5, 5)
    assert r.preview("inputs", 0).shape == (2, 1, 28, 28)


def test_loss_node_record_holds_targets_and_the_loss():
    g = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    st = Stepper(g, batch=3, base_dir=EXAMPLES)
    st.run_to("loss")
    r = st.records["loss"]
    assert r.output.dim() == 0 and torch.equal(r.target, st.targets)
    want = nn.functional.cross_entropy(r.inputs[0], st.targets)
    assert rel(r.output, want) < 1e-6
    st.run_to("loss", "backward")
    assert r.grad_output.item() == 1.0
    p = torch.softmax(r.inputs[0], 1)
    p[torch.arange(3), st.targets] -= 1
    assert rel(r.grad_inputs[0], p / 3) < 1e-5  # ds = (softmax − onehot) / N
