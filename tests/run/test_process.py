"""Training in a child process, controlled from the parent, as the editor will do it."""
from __future__ import annotations

import time

import numpy as np
import pytest

import graphlab
from graphlab.core import Graph
from graphlab.run import events as ev
from graphlab.run.history import History
from graphlab.run.process import MAX_IN_FLIGHT, TrainingProcess


def spiral_net(epochs: int) -> Graph:
    g = Graph("spiral")
    g.add_node("Input", {"shape": [2]}, node_id="x")
    g.add_node("Linear", {"out_features": 50}, node_id="fc1")
    g.add_node("ReLU", {}, node_id="relu")
    g.add_node("Linear", {"out_features": 3}, node_id="scores")
    g.add_node("CrossEntropyLoss", {}, node_id="loss")
    for a, b in (("x", "fc1"), ("fc1", "relu"), ("relu", "scores"), ("scores", "loss")):
        g.connect(a, b)
    g.training = {"dataset": "spiral", "val_fraction": 0, "batch_size": "full", "epochs": epochs}
    return g


def collect_until(proc, pred, timeout=60.0, into=None):
    got = [] if into is None else into
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got += proc.poll(timeout=0.1)
        if any(pred(e) for e in got):
            return got
    raise AssertionError(f"timed out; got {[type(e).__name__ for e in got][-5:]}")


def reply_to(rid):
    return lambda e: isinstance(e, ev.Reply) and e.request == rid


@pytest.mark.slow
def test_pause_resume_stop_across_processes(tmp_path):
    """Deterministic: while paused, the child answers status requests at the step it paused on."""
    proc = TrainingProcess(spiral_net(10_000_000), out_dir=tmp_path)
    proc.start()
    got = collect_until(proc, lambda e: isinstance(e, ev.Epoch) and e.epoch >= 3)
    assert [type(e) for e in got[:3]] == [ev.Preparing, ev.Preparing, ev.RunStarted]  # what it did before
    proc.pause()
    collect_until(proc, lambda e: isinstance(e, ev.Paused), into=got)
    paused = next(e for e in got if isinstance(e, ev.Paused))
    for _ in range(3):
        rid = proc.status()
        rep = next(e for e in collect_until(proc, reply_to(rid), into=got) if reply_to(rid)(e))
        assert rep.ok and rep.step == paused.step and rep.data["paused"] is True
    assert max(e.step for e in got if isinstance(e, ev.Step)) <= paused.step
    proc.resume()
    collect_until(proc, lambda e: isinstance(e, ev.Resumed), into=got)
    collect_until(proc, lambda e: isinstance(e, ev.Epoch) and e.epoch > paused.epoch + 1, into=got)
    rid = proc.stop()
    collect_until(proc, lambda e: isinstance(e, ev.Finished), into=got)
    proc.join(10)
    fin = got[-1]
    assert fin.reason == "stopped" and fin.checkpoint and proc.finished == fin
    assert any(reply_to(rid)(e) for e in got)


@pytest.mark.slow
def test_a_run_to_the_end_finishes():
    proc = TrainingProcess(spiral_net(5))
    proc.start()
    got = collect_until(proc, lambda e: isinstance(e, ev.Finished))
    assert [type(e).__name__ for e in got].count("Epoch") == 5 and got[-1].reason == "completed"


@pytest.mark.slow
def test_a_child_that_dies_still_ends_the_stream():
    proc = TrainingProcess(spiral_net(10_000_000))
    proc.start()
    collect_until(proc, lambda e: isinstance(e, ev.Epoch))
    proc.kill()
    got = collect_until(proc, lambda e: isinstance(e, ev.Finished))
    assert got[-2].kind == "internal" and "ended unexpectedly" in got[-2].message and got[-1].reason == "error"


@pytest.mark.slow
def test_the_queue_stays_bounded_when_the_parent_does_not_read():
    """The child may have at most MAX_IN_FLIGHT unread batches; what it holds meanwhile is coalesced:
    one NodeStats per batch, and yet every step's loss arrives, once."""
    g = spiral_net(300)
    g.training = {**g.training, "batch_size": 30, "stats": {"budget": 1.0}}  # 10 steps an epoch, all sampled
    proc = TrainingProcess(g, step_interval=0)
    proc.start()
    end = time.monotonic() + 120
    while proc.produced < 1500 and proc.alive and time.monotonic() < end:
        time.sleep(0.05)  # not reading: the child must hold back
    assert proc.produced >= 1500
    first = proc.poll()
    assert proc.batches <= MAX_IN_FLIGHT
    got = collect_until(proc, lambda e: isinstance(e, ev.Finished), timeout=300, into=list(first))
    stats = [e for e in got if isinstance(e, ev.NodeStats)]
    assert len(stats) <= proc.batches and len(stats) < 3000
    h = History()
    h.extend(got)
    steps, loss = h.step_loss()
    assert steps.tolist() == list(range(1, 3001)) and np.isfinite(loss).all()
    assert [e["epoch"] for e in h.epochs] == list(range(1, 301))
    assert got[-1].reason == "completed"


@pytest.mark.slow
def test_commands_reach_the_child_and_images_come_back(examples_dir, tmp_path):
    g = graphlab.load(examples_dir / "digits_cnn.graphlab.json")
    g.training = {**g.training, "epochs": 1000}
    proc = TrainingProcess(g, out_dir=tmp_path, base_dir=examples_dir)
    proc.start()
    got = collect_until(proc, lambda e: isinstance(e, ev.Step))
    rid = proc.images("conv1")
    collect_until(proc, reply_to(rid), into=got)
    imgs = [e for e in got if isinstance(e, ev.Images) and e.request == rid]
    assert {e.kind for e in imgs} == {"feature_maps", "probe", "filters"} and imgs[0].tiles.dtype == np.float32
    rid = proc.select("conv2")
    collect_until(proc, lambda e: isinstance(e, ev.Images) and e.node == "conv2" and e.request is None, into=got)
    collect_until(proc, lambda e: isinstance(e, ev.NodeStats) and e.nodes.get("conv2") is not None
                  and e.nodes["conv2"].detail is not None, into=got)
    rid = proc.snapshot()
    rep = next(e for e in collect_until(proc, reply_to(rid), into=got) if reply_to(rid)(e))
    assert rep.ok and rep.data["path"].startswith(str(tmp_path))
    proc.stop()
    got = collect_until(proc, lambda e: isinstance(e, ev.Finished), into=got)
    assert got[-1].reason == "stopped"


@pytest.mark.slow
def test_failures_end_with_an_error_and_a_finished(tmp_path):
    g = spiral_net(5)
    g.training = {**g.training, "dataset": {"name": "npz", "path": "missing/data.npz"}}
    proc = TrainingProcess(g, base_dir=tmp_path)
    proc.start()
    got = collect_until(proc, lambda e: isinstance(e, ev.Finished))
    err = got[-2]
    assert (err.kind, err.field) == ("data", "training.dataset") and "no such file" in err.message
    g = spiral_net(50)
    g.training = {**g.training, "optimizer": {"name": "sgd", "lr": 1e30}}
    proc = TrainingProcess(g)
    proc.start()
    got = collect_until(proc, lambda e: isinstance(e, ev.Finished))
    assert got[-2].kind == "nan" and got[-2].node in ("fc1", "scores") and got[-1].reason == "error"


def _fds() -> int:
    import os

    return len(os.listdir("/proc/self/fd"))


def _feeders() -> int:
    import threading

    return sum(t.name == "QueueFeederThread" for t in threading.enumerate())


def _settle(proc, threads_at_most: int) -> None:
    """Wait (with a deadline) for the closed process to be reaped and its feeder thread to end."""
    proc.join(60)
    end = time.monotonic() + 30
    while (_feeders() > threads_at_most or proc.alive) and time.monotonic() < end:
        time.sleep(0.01)
    assert not proc.alive and _feeders() <= threads_at_most


@pytest.mark.slow
def test_finished_runs_kept_alive_hold_no_file_descriptors_or_threads():
    """The editor keeps old TrainingProcess objects: once poll() has delivered Finished they must have
    released their queues' pipes, the command queue's feeder thread and the process handle (each used
    to keep +6 fds and a QueueFeederThread)."""
    kept = []
    counts = []
    feeders = _feeders()
    for i in range(4):
        proc = TrainingProcess(spiral_net(2))
        proc.start()
        proc.status()  # a command: starts the command queue's feeder thread in this process
        got = collect_until(proc, lambda e: isinstance(e, ev.Finished))
        assert got[-1].reason == "completed" and proc.closed
        _settle(proc, feeders)
        kept.append(proc)
        counts.append(_fds())
    assert counts[-1] <= counts[0], counts  # runs 2-4 left nothing behind (run 1 may open one-off fds)
    proc = kept[-1]  # closed: later calls are harmless no-ops
    assert proc.poll() == [] and proc.poll(timeout=0.05) == []
    assert isinstance(proc.status(), int) and isinstance(proc.stop(), int)
    proc.close()
    proc.kill()
    proc.join(1)
    assert not proc.alive and proc.finished.reason == "completed"


@pytest.mark.slow
def test_closing_a_running_process_kills_it_and_releases_it():
    proc = TrainingProcess(spiral_net(10_000_000))
    proc.start()
    collect_until(proc, lambda e: isinstance(e, ev.Epoch))
    proc.close()
    proc.join(60)
    assert not proc.alive and proc.poll() == []
    never = TrainingProcess(spiral_net(2))  # closed before it started
    never.close()
    assert not never.alive and never.poll() == []


class _Sink:
    """A stand-in for the queue and the shared counters: records what the child would send."""

    def __init__(self):
        self.batches = []
        self.value = 0

    def put(self, batch):
        self.batches.append(batch)


def _stat(mean):
    return ev.NodeStat(mean, 1.0, 0.0, None, 1.0)


def test_coalescing_keeps_the_order_of_events_across_barriers():
    """While the parent is behind, a NodeStats (or an unasked Images) produced after an Epoch used to be
    merged into the one pending before it, so it arrived before that Epoch."""
    from graphlab.run.process import Outbox

    sink, acked, produced = _Sink(), _Sink(), _Sink()
    box = Outbox(sink, acked, produced, max_in_flight=0)  # nothing is read: everything stays pending
    tiles = np.zeros((1, 2, 2), np.float32)
    seq = [ev.Step(1, 1, 1.0), ev.NodeStats(1, 1, {"fc1": _stat(1.0)}),
           ev.Images("fc1", "feature_maps", tiles, ["0"], 1, 1),
           ev.Step(1, 2, 0.9), ev.NodeStats(1, 2, {"fc1": _stat(2.0)}),  # merged: same epoch, no barrier between
           ev.Images("fc1", "feature_maps", tiles, ["0"], 1, 2),
           ev.Epoch(1, 0.95, None, None, None, 0.1, 1.0, 10.0),
           ev.Step(2, 3, 0.8), ev.NodeStats(2, 3, {"fc1": _stat(3.0)}),
           ev.Images("fc1", "feature_maps", tiles, ["0"], 2, 3),
           ev.Finished("completed", 2, {})]
    for e in seq:
        box.put(e)
    got = [e for batch in sink.batches for e in batch]
    assert [type(e).__name__ for e in got] == ["Step", "NodeStats", "Images", "Epoch", "Step", "NodeStats", "Images",
                                               "Finished"]
    assert [e.step for e in got if isinstance(e, (ev.NodeStats, ev.Images))] == [2, 2, 3, 3]
    assert got[1].nodes["fc1"].mean == 2.0 and got[0].steps == 2 and got[0].losses == [1.0, 0.9]
    # every event produced after the Epoch comes after it
    epoch_at = next(i for i, e in enumerate(got) if isinstance(e, ev.Epoch))
    assert all(getattr(e, "epoch", 2) == 2 for e in got[epoch_at + 1:])


def test_a_spare_process_takes_the_run_with_torch_already_imported(tmp_path):
    """The warm start: the spare imports torch before the run exists; handed a run, it says nothing about
    importing PyTorch and trains it like a fresh child."""
    from graphlab.run.process import SpareProcess

    spare = SpareProcess()
    end = time.monotonic() + 120
    while not spare.ready and time.monotonic() < end:
        time.sleep(0.05)
    assert spare.ready and spare.usable
    proc = TrainingProcess(spiral_net(3), out_dir=tmp_path, spare=spare)
    assert proc.warm and not spare.usable
    proc.start()
    got = collect_until(proc, lambda e: isinstance(e, ev.Finished))
    preparing = [e.what for e in got if isinstance(e, ev.Preparing)]
    assert preparing == ["building the dataset and compiling the graph"]  # torch was imported already
    fin = next(e for e in got if isinstance(e, ev.Finished))
    assert fin.reason == "completed" and fin.epochs == 3
    proc.join(10)
    assert not proc.alive


def test_an_untaken_spare_ends_when_closed():
    from graphlab.run.process import SpareProcess

    spare = SpareProcess()
    spare.close(timeout=30)
    assert not spare.proc.is_alive() and not spare.usable


@pytest.mark.slow
def test_a_spare_warms_up_the_dataset_it_is_told_of():
    """warm_up imports what building a built-in dataset needs (scikit-learn for the digits) and nothing
    for the others; in a fresh interpreter, since the test process has imported everything already."""
    import subprocess
    import sys

    code = ("import sys; from graphlab.run.datasets import warm_up; warm_up('spiral'); warm_up(None); "
            "assert 'sklearn' not in sys.modules; warm_up('digits'); assert 'sklearn.datasets' in sys.modules")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
