"""The overfit-a-small-batch check (issue 9, item 7)."""
from __future__ import annotations


import pytest

import graphlab
from graphlab.run import events as ev
from graphlab.run.trainer import train

from .test_trainer import mlp


def result(events):
    (r,) = [e for e in events if isinstance(e, ev.OverfitResult)]
    return r


def test_the_spiral_net_memorises_20_samples(examples_dir):
    g = graphlab.load(examples_dir / "spiral_two_layer.graphlab.json")
    fin, events = train(g, overfit=20)
    r = result(events)
    start = events[0]
    assert (start.n_train, start.n_val, start.steps_per_epoch, start.overfit) == (20, 0, 1, 20)
    assert r.reached and r.samples == 20 and r.train_acc == 1.0 and r.causes == []
    assert 1 <= r.steps < 2000 and fin.reason == "completed" and fin.final["train_acc"] == 1.0
    assert [e.epoch for e in events if isinstance(e, ev.Epoch)][-1] == r.steps  # stopped when it got there
    assert not [e for e in events if isinstance(e, ev.Evaluation)]


def test_regularisation_and_dropout_are_off():
    g = mlp(hidden=32)
    g.add_node("Dropout", {"p": 0.5}, node_id="drop")
    g.disconnect(next(e for e in g.edges if e.src == "act"))
    g.connect("act", "drop")
    g.connect("drop", "scores")
    g.training = {"dataset": "spiral", "regularization": {"l2": 1.0}, "optimizer": {"name": "adam", "lr": 0.01},
                  "init": "xavier"}
    fin, events = train(g, overfit=12)
    first = next(e for e in events if isinstance(e, ev.Step))
    # the first step's objective is the eval-mode data loss of the untrained net on the same samples:
    # no λ·ΣW² term and no dropout mask
    assert first.loss == pytest.approx(events[0].initial_loss, rel=1e-6)
    assert result(events).reached and result(events).samples == 12


def test_a_linear_model_cannot_and_says_why(examples_dir):
    g = graphlab.load(examples_dir / "spiral_linear.graphlab.json")
    fin, events = train(g, overfit=20, overfit_steps=300)
    r = result(events)
    assert not r.reached and r.steps == 300 and r.train_acc < 1.0 and fin.reason == "completed"
    assert any("linear model" in c for c in r.causes) and any("only 9 parameters" in c for c in r.causes)


@pytest.mark.parametrize("lr, words", [(1e-6, "is probably too low"), (1e9, "is probably too high"),
                                       (1e30, "NaN or infinite")])
def test_bad_learning_rates_are_named(examples_dir, lr, words):
    g = graphlab.load(examples_dir / "spiral_two_layer.graphlab.json")
    g.training = {**g.training, "optimizer": {"name": "sgd", "lr": lr}}
    fin, events = train(g, overfit=20, overfit_steps=200)
    r = result(events)
    assert not r.reached and any(words in c for c in r.causes), r.causes
    if lr == 1e30:  # the run ends with the NaN error, after the check's verdict
        assert [type(e).__name__ for e in events[-3:]] == ["OverfitResult", "Error", "Finished"]


def test_cli_overfit_exit_codes(examples_dir, tmp_path, cli):
    ok = cli("train", examples_dir / "spiral_two_layer.graphlab.json", "--overfit", "--out", tmp_path / "a")
    assert ok.returncode == 0 and "overfit check passed: the net memorised all 20 samples" in ok.stdout
    bad = cli("train", examples_dir / "spiral_two_layer.graphlab.json", "--overfit", "5", "--lr", "1e-7", "--json",
              "--out", tmp_path / "b")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    import json

    lines = [json.loads(x) for x in bad.stdout.splitlines()]
    (r,) = [x["overfit"] for x in lines if "overfit" in x]
    assert r["reached"] is False and r["samples"] == 5 and r["causes"]
