"""RNN/LSTM/GRU unrolled step by step: the same outputs as PyTorch's modules, ‖∂L/∂h_t‖ checked
against PyTorch restarted from h_t, and the course's vanishing-gradient picture on the adding problem."""
import pytest
import torch
from torch import nn

import graphlab
from graphlab.compiler import modules as gl_modules
from graphlab.step import Stepper
from graphlab.step.recurrent import supports, time_grad_norms, unroll
from tests.conftest import EXAMPLES

def make_recurrent(kind, input_size, hidden, layers, act, bidir, out):
    """The module GraphLab compiles for a recurrent node (graphlab.compiler.modules)."""
    extra = {"nonlinearity": act} if kind == "RNN" else {}
    return getattr(gl_modules, kind)(input_size=input_size, hidden_size=hidden, num_layers=layers,
                                     bidirectional=bidir, output=out, **extra)


CONFIGS = [(kind, act, layers, bidir, out) for kind, act in (("RNN", "tanh"), ("RNN", "relu"), ("LSTM", "tanh"),
                                                                ("GRU", "tanh"))
           for layers in (1, 2) for bidir in (False, True) for out in ("last", "sequence")]


@pytest.mark.parametrize("kind,act,layers,bidir,out", CONFIGS)
def test_unrolled_forward_matches_the_torch_module(kind, act, layers, bidir, out):
    torch.manual_seed(0)
    m = make_recurrent(kind, 3, 5, layers, act, bidir, out)
    assert supports(m)
    x = torch.randn(4, 7, 3)
    with torch.no_grad():
        want = m(x)
        got, last = unroll(m, x)
    assert got.shape == want.shape
    assert (got - want).abs().max() < 1e-6
    assert len(last) == (2 if bidir else 1) and len(last[0]) == 7
    seq = torch.stack([torch.cat([hs[t] for hs in last], -1) for t in range(7)], 1)
    with torch.no_grad():  # the last layer's states, as torch returns them for the whole sequence
        torch_seq = type(m).__mro__[1].forward(m, x)[0]
    assert (seq - torch_seq).abs().max() < 1e-6


def _restart_oracle(m: nn.RNNBase, x: torch.Tensor, g: torch.Tensor) -> list[float]:
    """‖∂L/∂h_t‖ by running torch's own module from t with h_t as a leaf (c_t held fixed), L = Σ h_T · g."""
    base = type(m).__mro__[1]  # nn.RNN / nn.LSTM / nn.GRU, whose forward returns (seq, state)
    steps = x.shape[1]
    norms = []
    for t in range(steps):
        if t == steps - 1:
            norms.append(float(g.norm()))
            continue
        with torch.no_grad():
            _, state = base.forward(m, x[:, :t + 1])
        if isinstance(state, tuple):
            h = state[0].clone().requires_grad_()
            _, (hT, _) = base.forward(m, x[:, t + 1:], (h, state[1]))
        else:
            h = state.clone().requires_grad_()
            _, hT = base.forward(m, x[:, t + 1:], h)
        (grad,) = torch.autograd.grad((hT[-1] * g).sum(), h)
        norms.append(float(grad.norm()))
    return norms


@pytest.mark.parametrize("kind,act", [("RNN", "tanh"), ("LSTM", "tanh"), ("GRU", "tanh")])
def test_per_step_gradient_norms_match_torch_restarted_at_each_step(kind, act):
    torch.manual_seed(1)
    m = make_recurrent(kind, 2, 6, 1, act, False, "last").double()
    x = torch.randn(3, 9, 2, dtype=torch.float64)
    g = torch.randn(3, 6, dtype=torch.float64)
    got = time_grad_norms(m, x, g)
    want = _restart_oracle(m, x, g)
    assert len(got) == 9
    for a, b in zip(got, want):
        assert abs(a - b) <= 1e-10 * max(b, 1e-30), (got, want)


def test_the_stepper_records_per_step_norms_for_a_recurrent_node():
    g = graphlab.load(EXAMPLES / "adding_lstm.graphlab.json")
    st = Stepper(g, batch=4, dtype=torch.float64, base_dir=EXAMPLES)
    st.run()
    r = st.records["rnn"]
    assert len(r.time_grad_norms) == 50
    want = time_grad_norms(st.module.get_submodule("rnn"), r.inputs[0], r.grad_output)
    assert r.time_grad_norms == want
    assert st.records["head"].time_grad_norms is None
    # at the last step ∂L/∂h_T is the node's own ∂L/∂output
    assert abs(r.time_grad_norms[-1] - float(r.grad_output.norm())) < 1e-12


@pytest.mark.slow
def test_vanilla_rnn_gradients_vanish_over_time_where_a_trained_lstms_do_not(tmp_path):
    """The course's picture, on the adding examples trained as their files say (8 epochs). At PyTorch's
    default initialisation both decay (the LSTM's forget gates start near σ(0) = 0.5): see docs/stepper.md."""
    from graphlab.run.trainer import Trainer

    ratios, losses = {}, {}
    for name in ("adding_rnn", "adding_lstm"):
        g = graphlab.load(EXAMPLES / f"{name}.graphlab.json")
        fin = Trainer(g, base_dir=EXAMPLES, out_dir=tmp_path / name).run()
        losses[name] = fin.final["val_loss"]
        st = Stepper(g, weights=tmp_path / name, batch=32, base_dir=EXAMPLES)
        st.run()
        norms = st.records["rnn"].time_grad_norms
        ratios[name] = norms[0] / norms[-1]  # ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖
    assert losses["adding_lstm"] < 0.05 < losses["adding_rnn"]  # the LSTM solved it, the RNN did not
    assert ratios["adding_rnn"] < 1e-8
    assert ratios["adding_lstm"] > 1e-3
