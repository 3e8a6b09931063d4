"""Per-node statistics against numpy computed on the very tensors of a step (independent oracle)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from graphlab.run import events as ev
from graphlab.run.stats import StatsSampler, nice_ceil, unit_dims
from graphlab.run.trainer import train

from .test_trainer import SPIRAL_FULL, mlp


def sampled_step(model: nn.Module, modules: dict, saturation: dict, x, y, selected=None, lr=0.1):
    """One SGD step with the sampler on, and the outputs/gradients recorded independently."""
    s = StatsSampler(modules, saturation, budget=1.0)
    s.selected = selected
    outs, grads = {}, {}
    hooks = []
    for nid, m in modules.items():
        def hook(mod, args, out, nid=nid):
            outs[nid] = out.detach().clone()
            out.register_hook(lambda g, nid=nid: grads.__setitem__(nid, g.detach().clone()))
        hooks.append(m.register_forward_hook(hook))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    s.begin()
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    s.after_backward()
    opt.step()
    for h in hooks:
        h.remove()
    return s.finish(1, 1), {k: v.numpy() for k, v in outs.items()}, {k: v.numpy() for k, v in grads.items()}


def test_dead_units_are_counted_per_unit_and_a_sparse_unit_is_alive():
    torch.manual_seed(0)
    lin, relu, head = nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3)
    x = torch.randn(32, 4)
    with torch.no_grad():
        lin.bias[:2] = -100.0  # units 0 and 1: zero for every sample — dead
        lin.weight[2] = torch.tensor([10.0, 0, 0, 0])
        lin.bias[2] = -10.0 * float(x[:, 0].max()) + 1.0  # unit 2 fires for one sample only: sparse, alive
    model = nn.Sequential(lin, relu, head)
    ns, outs, _ = sampled_step(model, {"fc": lin, "relu": relu, "out": head}, {"relu": "zero"}, x,
                               torch.randint(0, 3, (32,)))
    a = outs["relu"]
    assert (a[:, 2] > 0).sum() == 1
    st = ns.nodes["relu"]
    assert st.dead_frac == pytest.approx((a == 0).all(axis=0).mean()) == pytest.approx(2 / 6)
    assert st.zero_frac == pytest.approx((a == 0).mean()) and st.zero_frac > st.dead_frac
    assert st.units == 6 and ns.nodes["fc"].dead_frac is None  # only "zero"-saturating nodes count dead units


def test_dead_channels_of_a_conv_output():
    torch.manual_seed(1)
    conv, relu, flat, head = nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)
    with torch.no_grad():
        conv.bias[1] = -100.0
    model = nn.Sequential(conv, relu, flat, head)
    ns, outs, _ = sampled_step(model, {"conv": conv, "relu": relu, "head": head}, {"relu": "zero"},
                               torch.randn(8, 1, 8, 8), torch.randint(0, 3, (8,)), selected="relu")
    a = outs["relu"]
    st = ns.nodes["relu"]
    assert st.units == 4 and st.dead_frac == pytest.approx((a == 0).all(axis=(0, 2, 3)).mean()) == 0.25
    assert st.detail["dead"] == [float(v) for v in (a == 0).all(axis=(0, 2, 3))]
    np.testing.assert_allclose(st.detail["mean"], a.mean(axis=(0, 2, 3)), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(st.detail["std"], a.reshape(8, 4, 36).transpose(1, 0, 2).reshape(4, -1).std(1, ddof=1),
                               rtol=1e-4, atol=1e-6)
    assert ns.nodes["conv"].detail is None  # only the selected node gets per-unit detail


def test_saturation_share_and_saturated_units_of_tanh_and_sigmoid():
    torch.manual_seed(2)
    lin, tanh, lin2, sig, head = nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 3)
    with torch.no_grad():
        lin.weight.mul_(8.0)
        lin2.weight.mul_(6.0)
    model = nn.Sequential(lin, tanh, lin2, sig, head)
    ns, outs, _ = sampled_step(model, {"t": tanh, "s": sig, "h": head}, {"t": "tanh", "s": "sigmoid"},
                               torch.randn(64, 5), torch.randint(0, 3, (64,)))
    t, s = outs["t"], outs["s"]
    ft, fs = np.abs(t) > 0.99, (s < 0.01) | (s > 0.99)
    assert ns.nodes["t"].saturated_frac == pytest.approx(ft.mean())
    assert ns.nodes["s"].saturated_frac == pytest.approx(fs.mean())
    assert ns.nodes["t"].saturated_units == pytest.approx((ft.mean(0) >= 0.9).mean())
    assert ns.nodes["s"].saturated_units == pytest.approx((fs.mean(0) >= 0.9).mean())
    assert 0 < ns.nodes["t"].saturated_frac < 1 and ns.nodes["h"].saturated_frac is None
    assert ns.nodes["t"].act_range == (-1.0, 1.0) and ns.nodes["s"].act_range == (0.0, 1.0)


def _hist(values, lo, hi):
    inside = values[(values >= lo) & (values <= hi)]
    counts, _ = np.histogram(inside, bins=ev.HIST_BINS, range=(lo, hi))
    return [int((values < lo).sum()), *counts.tolist(), int((values > hi).sum())]


def test_histograms_match_numpy_with_fixed_edges():
    torch.manual_seed(3)
    lin, relu, head = nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 4)
    model = nn.Sequential(lin, relu, head)
    ns, outs, grads = sampled_step(model, {"fc": lin, "relu": relu, "head": head}, {"relu": "zero"},
                                   torch.randn(50, 3), torch.randint(0, 4, (50,)))
    for nid in ("fc", "relu", "head"):
        st, a = ns.nodes[nid], outs[nid]
        lo, hi = st.act_range
        top = nice_ceil(2 * np.abs(a).max())
        assert (lo, hi) == ((0.0, top) if nid == "relu" else (-top, top))
        assert len(st.act_hist) == ev.HIST_BINS + 2 and sum(st.act_hist) == a.size
        want = _hist(a.ravel().astype(np.float64), lo, hi)
        assert st.act_hist[0] == want[0] and st.act_hist[-1] == want[-1]
        assert np.abs(np.array(st.act_hist) - want).sum() <= 2  # a value on a bin edge may round either way
        g = np.abs(grads[nid].ravel()).astype(np.float64)
        glo, ghi = ev.GRAD_LOG_RANGE
        with np.errstate(divide="ignore"):
            lg = np.log10(g)
        want = [int((g < 10 ** glo).sum()), *np.histogram(lg[(g >= 10 ** glo) & (g <= 10 ** ghi)], ev.HIST_BINS,
                                                          (glo, ghi))[0].tolist(), int((g > 10 ** ghi).sum())]
        assert sum(st.grad_hist) == g.size and np.abs(np.array(st.grad_hist) - want).sum() <= 2
        assert st.grad_norm == pytest.approx(float(np.sqrt((grads[nid].astype(np.float64) ** 2).sum())), rel=1e-5)


def test_activation_ranges_stay_fixed_for_the_whole_run():
    g = mlp(hidden=16)
    g.training = {**SPIRAL_FULL, "epochs": 30, "optimizer": {"name": "sgd", "lr": 1.0}, "stats": {"budget": 1.0}}
    stats = [e for e in train(g)[1] if isinstance(e, ev.NodeStats)]
    assert len(stats) == 30  # budget 1: every step is sampled
    for nid in ("fc1", "act", "scores"):
        assert len({s.nodes[nid].act_range for s in stats}) == 1
        assert all(sum(s.nodes[nid].act_hist) == 300 * s.nodes[nid].units for s in stats)
    from graphlab.compiler import compile_graph
    from graphlab.run.config import parse_training
    from graphlab.run.datasets import build_dataset

    x = build_dataset(parse_training(g.training)).x_train
    h = compile_graph(g, seed=0).fc1(x).detach()
    assert stats[0].nodes["fc1"].act_range == (-nice_ceil(2 * float(h.abs().max())), nice_ceil(2 * float(h.abs().max())))


@pytest.mark.parametrize("x, want", [(0.3, 0.5), (0.5, 0.5), (0.51, 1.0), (1.0, 1.0), (1.2, 2.0), (3.0, 5.0),
                                     (7.0, 10.0), (2e-7, 2e-7), (0.0, 1.0), (float("nan"), 1.0)])
def test_nice_ceil(x, want):
    assert nice_ceil(x) == pytest.approx(want)


def test_units_are_features_for_vectors_and_sequences_and_channels_for_images():
    assert unit_dims(2) == (0,) and unit_dims(3) == (0, 1) and unit_dims(4) == (0, 2, 3)
