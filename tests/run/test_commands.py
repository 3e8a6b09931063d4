"""The command channel: requests reach the running trainer and come back as events with their ids."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from graphlab.run import events as ev
from graphlab.run.checkpoint import read_weights
from graphlab.run.commands import Request
from graphlab.run.trainer import Trainer

from .test_trainer import SPIRAL_FULL, mlp


def run_with(trainer, plan):
    """Run to the end; ``plan(event, trainer)`` may send requests as events arrive."""
    out = []
    for e in trainer.events():
        out.append(e)
        plan(e, trainer)
    return out


def replies(events):
    return {e.request: e for e in events if isinstance(e, ev.Reply)}


def test_requests_queued_before_the_start_are_answered_at_the_first_step(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 3, "stats": {"budget": 0}}
    t = Trainer(g, out_dir=tmp_path)
    t.request(Request("status", id=1))
    t.request(Request("bogus", id=2))
    t.request(Request("images", "nope", id=3))
    t.request(Request("stats_budget", value=2.0, id=4))
    t.request("not even a request")
    events = run_with(t, lambda e, t: None)
    r = replies(events)
    assert r[1].ok and r[1].step == 0 and r[1].data["paused"] is False
    assert not r[2].ok and "unknown request 'bogus'" in r[2].message
    assert not r[3].ok and "nope: no such node" in r[3].message
    assert not r[4].ok and "from 0 to 1" in r[4].message
    assert not r[0].ok and "not a request" in r[0].message
    assert isinstance(events[-1], ev.Finished) and events[-1].reason == "completed"


def test_a_snapshot_writes_the_weights_of_that_moment(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 6, "stats": {"budget": 0}}
    kept = {}

    def plan(e, t):
        if isinstance(e, ev.Epoch) and e.epoch == 3:
            kept.update({k: v.detach().clone() for k, v in t.module.state_dict().items()})
            t.request(Request("snapshot", id=7))
    events = run_with(Trainer(g, out_dir=tmp_path), plan)
    rep = replies(events)[7]
    assert rep.ok and rep.step == 3 and rep.data["path"].endswith("snapshot-step3.safetensors")
    w = read_weights(rep.data["path"])
    assert set(w) == set(kept) and all(torch.equal(w[k], kept[k]) for k in kept)
    t = Trainer(g)  # no output folder: nothing to write into
    t.request(Request("snapshot", id=1))
    assert not replies(run_with(t, lambda e, t: None))[1].ok


def test_the_statistics_budget_changes_while_running():
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 20, "stats": {"budget": 1.0}}

    def plan(e, t):
        if isinstance(e, ev.Epoch) and e.epoch == 5:
            t.request(Request("stats_budget", value=0.0, id=1))
    events = run_with(Trainer(g), plan)
    rep = replies(events)[1]
    assert rep.ok and rep.data["budget"] == 0.0
    steps = [e.step for e in events if isinstance(e, ev.NodeStats)]
    assert steps == [1, 2, 3, 4, 5]  # every step until the request, none after it


def test_select_gives_per_unit_detail_and_images_at_most_once_a_second(monkeypatch):
    import graphlab.run.handlers as handlers
    import graphlab.run.trainer as trainer_mod

    clock = {"t": 0.0}
    monkeypatch.setattr(trainer_mod.time, "perf_counter", lambda: clock["t"])  # shared by handlers' time module
    g = mlp(inp=(1, 8, 8), classes=10)
    g.training = {"dataset": "digits", "epochs": 1, "batch_size": 64, "stats": {"budget": 1.0}}

    def plan(e, t):
        if isinstance(e, ev.Step):
            clock["t"] += 0.25  # four steps a second
    t = Trainer(g)
    t.request(Request("select", "fc1", id=1))
    events = run_with(t, plan)
    assert handlers.time.perf_counter() == clock["t"]
    assert replies(events)[1].data["kinds"] == ["templates"]
    imgs = [e for e in events if isinstance(e, ev.Images)]
    steps = [e.step for e in imgs]
    assert imgs and all(e.kind == "templates" and e.request is None for e in imgs)
    assert all(b - a >= 4 for a, b in zip(steps, steps[1:]))  # >= 1 s of (fake) time apart
    assert imgs[0].tiles.shape == (20, 8, 8) and imgs[0].labels[:2] == ["unit 0", "unit 1"]
    detail = [e.nodes["fc1"].detail for e in events if isinstance(e, ev.NodeStats)]
    assert detail and all(d is not None and len(d["mean"]) == 20 for d in detail)


def test_pause_then_requests_are_served_while_paused_and_nothing_trains(tmp_path):
    """Deterministic: while paused, status replies report the step the pause happened at."""
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 100000, "stats": {"budget": 0}}
    t = Trainer(g, out_dir=tmp_path)
    seen: list = []
    got_reply = threading.Condition()

    def listen(e):
        with got_reply:
            seen.append(e)
            got_reply.notify_all()

    def wait_for(pred):
        with got_reply:
            assert got_reply.wait_for(lambda: any(pred(e) for e in seen), timeout=60)
            return next(e for e in seen if pred(e))

    th = threading.Thread(target=t.run, args=(listen,))
    th.start()
    wait_for(lambda e: isinstance(e, ev.Epoch) and e.epoch >= 3)
    t.pause()
    paused = wait_for(lambda e: isinstance(e, ev.Paused))
    for rid in (1, 2, 3):
        t.request(Request("status", id=rid))
        rep = wait_for(lambda e, rid=rid: isinstance(e, ev.Reply) and e.request == rid)
        assert rep.step == paused.step and rep.data["paused"] is True
    n_steps = sum(isinstance(e, ev.Step) for e in seen)
    t.request(Request("status", id=4))
    wait_for(lambda e: isinstance(e, ev.Reply) and e.request == 4)
    assert sum(isinstance(e, ev.Step) for e in seen) == n_steps
    t.resume()
    resumed = wait_for(lambda e: isinstance(e, ev.Resumed))
    assert resumed.step == paused.step
    wait_for(lambda e: isinstance(e, ev.Epoch) and e.epoch >= paused.epoch + 2)
    t.request(Request("stop", id=5))
    th.join(30)
    assert not th.is_alive() and seen[-1].reason == "stopped" and replies(seen)[5].ok


def test_images_requested_for_conv_nodes(examples_dir):
    import graphlab

    g = graphlab.load(examples_dir / "digits_cnn.graphlab.json")
    g.training = {**g.training, "epochs": 1, "stats": {"budget": 0}}
    t = Trainer(g)
    for i, node in enumerate(("conv1", "conv2", "relu2", "fc", "flatten"), 1):
        t.request(Request("images", node, id=i))
    events = run_with(t, lambda e, t: None)
    r = replies(events)
    assert r[1].data["kinds"] == ["feature_maps", "filters"] and r[2].data["kinds"] == ["feature_maps"]
    assert r[3].data["kinds"] == ["feature_maps"] and r[4].data["kinds"] == [] and not r[4].ok
    assert not r[5].ok
    by = {(e.node, e.kind): e for e in events if isinstance(e, ev.Images)}
    assert by[("conv1", "filters")].tiles.shape == (16, 3, 3) and by[("conv2", "feature_maps")].tiles.shape == (32, 8, 8)
    for e in by.values():
        assert e.tiles.dtype == np.float32 and e.tiles.min() >= 0 and e.tiles.max() <= 1
    assert ev.to_json(by[("conv1", "filters")])["tiles"][0][0][0] == pytest.approx(float(by[("conv1", "filters")].tiles[0, 0, 0]))
