"""History: the series the plots read, from event streams (real runs and synthetic ones)."""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from graphlab.run import events as ev
from graphlab.run.history import Growable, History
from graphlab.run.process import merge_steps
from graphlab.run.trainer import train

from .test_trainer import SPIRAL_FULL, mlp


def stat(mean=0.0, gn=1.0, ratio=1e-3, hist=True):
    h = [1] * ev.HIST_BINS
    return ev.NodeStat(mean, 1.0, 0.0, None, gn, {"weight": ev.ParamStat(2.0, 0.5, ratio)}, dead_frac=0.25,
                       units=4, act_hist=[0, *h, 2] if hist else None, act_range=(-2.0, 2.0),
                       grad_hist=[3, *h, 0] if hist else None)


def test_a_real_run_fills_every_series():
    g = mlp(hidden=8)
    g.training = {**SPIRAL_FULL, "val_fraction": 0.2, "epochs": 12, "stats": {"budget": 1.0}}
    fin, events = train(g)
    h = History()
    h.extend(events)
    steps, loss = h.step_loss()
    assert steps.tolist() == list(range(1, 13))
    assert loss.tolist() == [e.loss for e in events if isinstance(e, ev.Step)]
    ep, val = h.epoch_series("val_loss")
    assert ep.tolist() == list(range(1, 13)) and val.tolist() == [e.val_loss for e in events if isinstance(e, ev.Epoch)]
    assert set(h.node_stats) == {"fc1", "act", "scores"} and h.node_stats["act"]["step"] == 12
    nodes, st, flow = h.gradient_flow()
    assert nodes == ["fc1", "act", "scores"] and st.tolist() == list(range(1, 13)) and flow.shape == (3, 12)
    last = [e for e in events if isinstance(e, ev.NodeStats)][-1]
    assert flow[2, -1] == pytest.approx(math.log10(last.nodes["scores"].grad_norm))
    assert h.gradient_flow(log=False)[2][2, -1] == pytest.approx(last.nodes["scores"].grad_norm)
    unodes, _, uflow = h.update_flow()
    assert unodes == ["fc1", "scores"]
    assert uflow[0, -1] == pytest.approx(math.log10(last.nodes["fc1"].params["weight"].update_ratio), rel=1e-6)
    hs, counts, edges = h.histograms("act", "act")
    assert counts.shape == (12, ev.HIST_BINS + 2) and counts[-1].tolist() == last.nodes["act"].act_hist
    assert edges[0] == last.nodes["act"].act_range[0] and len(edges) == ev.HIST_BINS + 1
    assert h.histograms("act", "grad")[2][0] == ev.GRAD_LOG_RANGE[0]
    d = h.as_dict()
    assert d["step_loss"] == loss.tolist() and [x["epoch"] for x in d["epoch"]] == list(range(1, 13))
    assert d["final"] == ev.to_json(fin)["final"] and d["initial_loss"] == events[0].initial_loss
    assert pickle.loads(pickle.dumps(d)) == d


def test_merged_steps_keep_every_loss_at_its_step():
    h = History()
    a = ev.Step(1, 3, 2.0, 3, 0.1, None, [1.0, 2.0, 3.0])
    b = ev.Step(1, 5, 4.5, 2, 0.1, None, [4.0, 5.0])
    h.add(merge_steps(a, b))
    h.add(ev.Step(2, 6, 6.0))
    steps, loss = h.step_loss()
    assert steps.tolist() == [1, 2, 3, 4, 5, 6] and loss.tolist() == [1, 2, 3, 4, 5, 6]
    m = merge_steps(ev.Step(1, 1, 1.0, acc=0.5), ev.Step(1, 3, 2.0, steps=2, losses=[2.0, 2.0], acc=1.0))
    assert m.steps == 3 and m.loss == pytest.approx(5 / 3) and m.acc == pytest.approx(2.5 / 3)


def test_nan_losses_are_kept_as_values():
    h = History()
    h.add(ev.Step(1, 1, float("nan")))
    h.add(ev.Step(1, 2, float("inf")))
    assert np.isnan(h.step_loss()[1][0]) and np.isinf(h.step_loss()[1][1])
    assert h.as_dict()["step_loss"] == [None, None]


def test_sampled_tables_thin_evenly_and_stay_bounded():
    h = History(max_samples=64, max_hist_samples=16)
    for k in range(1, 1001):
        h.add(ev.NodeStats(1, k, {"a": stat(mean=k), "b": stat(mean=-k)}))
    s = h.node_series("a")
    n = len(s["step"])
    assert 32 <= n <= 64 and h.stats.stride == 16
    assert np.all(np.diff(s["step"]) == 16) and s["step"][0] == 1  # evenly thinned, whole length kept
    assert s["mean"].tolist() == s["step"].astype(float).tolist()
    assert h.node_series("b")["mean"].tolist() == (-s["step"]).astype(float).tolist()
    hs, counts, _ = h.histograms("a")
    assert 8 <= len(hs) <= 16 and counts.shape == (len(hs), ev.HIST_BINS + 2)
    assert h.node_stats["a"]["mean"] == 1000.0  # the latest always kept


def test_a_node_appearing_later_gets_nan_before():
    h = History()
    h.add(ev.NodeStats(1, 1, {"a": stat()}))
    h.add(ev.NodeStats(1, 2, {"a": stat(), "b": stat(gn=10.0)}))
    g = h.node_series("b")["grad_norm"]
    assert np.isnan(g[0]) and g[1] == 10.0
    assert np.isnan(h.node_series("zzz")["mean"]).all() and len(h.node_series("zzz")["mean"]) == 2


def test_memory_grows_little_over_many_updates():
    """10^5 updates: 10^5 steps' losses (16 B each) + capped tables; well under 20 MB."""
    h = History()
    nodes = {f"n{i}": stat() for i in range(10)}
    for k in range(1, 100_001):
        if k % 10 == 0:
            h.add(ev.NodeStats(1, k, nodes))
        else:
            h.add(ev.Step(1, k, 0.5))
    assert h.updates == 100_000 and h.nbytes < 20e6
    assert len(h.step_loss()[0]) == 90_000


def test_growable_doubles_and_extends():
    g = Growable(np.float64, capacity=2)
    for i in range(5):
        g.append(i)
    g.extend(np.arange(5, 40))
    assert g.view().tolist() == list(range(40)) and len(g.a) >= 40


def test_the_ui_side_modules_import_no_torch():
    import subprocess
    import sys

    code = ("import sys, graphlab.run.history, graphlab.run.runs, graphlab.run.commands, graphlab.run.events; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr


def test_final_figures_in_words_say_only_what_is_there():
    from graphlab.run.events import final_figures

    assert final_figures({"train_loss": 0.001495, "train_acc": 1.0, "val_loss": 0.03152, "val_acc": 0.9944}) == (
        "train loss 0.001495, accuracy 100.0 %; validation loss 0.03152, accuracy 99.4 %")
    assert final_figures({"train_loss": 0.5, "train_acc": None, "val_loss": None, "val_acc": None}) == "train loss 0.5"
    assert final_figures({"train_loss": None, "train_acc": 0.5}) == "train accuracy 50.0 %"
    assert final_figures({}) == ""
