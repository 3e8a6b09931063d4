"""Training in a child process, controlled from the parent, as the editor will do it."""
from __future__ import annotations

import time

from graphlab.core import Graph
from graphlab.run import events as ev
from graphlab.run.process import TrainingProcess


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


def collect_until(proc, pred, timeout=60.0):
    got = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got += proc.poll(timeout=0.1)
        if any(pred(e) for e in got):
            return got
    raise AssertionError(f"timed out; got {[type(e).__name__ for e in got][-5:]}")


def test_pause_resume_stop_across_processes(tmp_path):
    proc = TrainingProcess(spiral_net(10_000_000), out_dir=tmp_path)
    proc.start()
    got = collect_until(proc, lambda e: isinstance(e, ev.Epoch) and e.epoch >= 3)
    assert isinstance(got[0], ev.RunStarted)
    proc.pause()
    got += collect_until(proc, lambda e: isinstance(e, ev.Paused))
    time.sleep(0.3)
    assert not [e for e in proc.poll() if isinstance(e, (ev.Step, ev.Epoch))]  # nothing while paused
    proc.resume()
    got += collect_until(proc, lambda e: isinstance(e, ev.Resumed))
    proc.stop()
    got += collect_until(proc, lambda e: isinstance(e, ev.Finished))
    proc.join(10)
    fin = got[-1]
    assert fin.reason == "stopped" and fin.checkpoint and proc.finished == fin


def test_a_run_to_the_end_finishes():
    proc = TrainingProcess(spiral_net(5))
    proc.start()
    got = collect_until(proc, lambda e: isinstance(e, ev.Finished))
    assert [type(e).__name__ for e in got].count("Epoch") == 5 and got[-1].reason == "completed"


def test_a_child_that_dies_still_ends_the_stream():
    proc = TrainingProcess(spiral_net(10_000_000))
    proc.start()
    collect_until(proc, lambda e: isinstance(e, ev.Epoch))
    proc.kill()
    got = collect_until(proc, lambda e: isinstance(e, ev.Finished))
    assert got[-2].kind == "internal" and "ended unexpectedly" in got[-2].message and got[-1].reason == "error"
