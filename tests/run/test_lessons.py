"""The lesson examples (issue 9, item 9): each lesson's point shows in the numbers the live views read
(History, fed by the trainer's events), not only in the text of its note."""
from __future__ import annotations

import math

import numpy as np
import pytest

import graphlab
from graphlab.run import events as ev
from graphlab.run.history import History
from graphlab.run.trainer import train

from ..conftest import EXAMPLES

LESSONS = sorted(p.name.split(".")[0] for p in EXAMPLES.glob("lesson_*.graphlab.json"))
LESSON_ORDER = ["lesson_init_small_gaussian", "lesson_init_xavier", "lesson_batchnorm_off", "lesson_batchnorm_on",
                "lesson_dropout_off", "lesson_dropout_on", "lesson_lr_low", "lesson_lr_good", "lesson_lr_high",
                "lesson_receptive_field_stacked", "lesson_receptive_field_large",
                "lesson_transfer_pretrain", "lesson_transfer_finetune", "lesson_transfer_scratch"]


def run(name: str) -> History:
    fin, events = train(graphlab.load(EXAMPLES / f"{name}.graphlab.json"))
    assert fin.reason == "completed", events[-2]
    h = History()
    h.extend(events)
    return h


def test_every_lesson_is_grouped_and_described():
    assert sorted(LESSON_ORDER) == LESSONS
    for name in LESSONS:
        g = graphlab.load(EXAMPLES / f"{name}.graphlab.json")
        meta = g.extra["example"]  # the Examples menu's entry (graphlab.assets reads group, order, description)
        assert meta["group"] == "lessons" and meta["order"] == LESSON_ORDER.index(name) + 1
        assert 20 < len(meta["description"]) <= 100 and len(meta["note"]) > 150
        assert graphlab.io.loads(graphlab.io.dumps(g)).extra == g.extra  # kept when the file is saved again


def first_std(h: History, node: str) -> float:
    return float(h.node_series(node)["std"][0])


# Each lesson's check takes the Histories of its runs, so the editor's tests (tests/ui/training) apply
# the same thresholds to runs started from the window.

@pytest.mark.slow
def test_init_small_gaussian_collapses_and_xavier_does_not():
    check_init(run("lesson_init_small_gaussian"), run("lesson_init_xavier"))


def check_init(small: History, xavier: History) -> None:
    for h in (small, xavier):
        assert [n for n in h.order if n.startswith("tanh")] == [f"tanh{i}" for i in range(1, 11)]
    assert first_std(small, "tanh10") < 1e-2 * first_std(small, "tanh1")
    assert first_std(xavier, "tanh10") > 0.2 * first_std(xavier, "tanh1")
    # the histograms (fixed range -1..1) at the first sampled step: all of tanh10 in the two middle bins
    _, counts, edges = small.histograms("tanh10", "act")
    mid = ev.HIST_BINS // 2
    assert edges[0] == -1 and edges[-1] == 1 and counts[0, mid:mid + 2].sum() == counts[0].sum()
    _, counts, _ = xavier.histograms("tanh10", "act")
    assert (counts[0] > 0).sum() >= 20  # a healthy spread over many bins
    assert [w.kind for w in small.warnings if w.kind == "vanishing"] == ["vanishing"]
    assert not [w for w in xavier.warnings if w.kind == "vanishing"]
    nodes, _, flow = small.gradient_flow()
    assert flow[nodes.index("fc1"), 0] < flow[nodes.index("scores"), 0] - 5  # 1e5 smaller near the input
    assert small.epochs[-1]["train_loss"] == pytest.approx(math.log(10), abs=0.02)
    assert xavier.finished.final["train_acc"] > 0.9


@pytest.mark.slow
def test_batchnorm_makes_the_loss_fall():
    check_batchnorm(run("lesson_batchnorm_off"), run("lesson_batchnorm_on"))


def check_batchnorm(off: History, on: History) -> None:
    _, loss_off = off.epoch_series("train_loss")
    _, loss_on = on.epoch_series("train_loss")
    assert len(loss_off) == len(loss_on) == 5
    assert abs(loss_off[-1] - math.log(10)) < 0.02  # stuck at ln 10
    assert (loss_on < loss_off).all() and loss_on[-1] < loss_off[-1] - 0.5
    assert loss_on[0] - loss_on[-1] > 0.5  # and it keeps falling
    assert on.finished.final["val_acc"] > 2 * off.finished.final["val_acc"]


@pytest.mark.slow
def test_dropout_shrinks_the_train_val_gap():
    check_dropout(run("lesson_dropout_off"), run("lesson_dropout_on"))


def check_dropout(off: History, on: History) -> None:
    def plotted_gap(h):  # what the epoch plot shows at the end: val loss minus train loss
        return h.epochs[-1]["val_loss"] - h.epochs[-1]["train_loss"]

    def final_gap(h):  # both measured in eval mode after training
        return h.finished.final["val_loss"] - h.finished.final["train_loss"]
    assert plotted_gap(off) > 0.08 and plotted_gap(on) < 0.6 * plotted_gap(off)
    assert final_gap(on) < final_gap(off)
    assert off.finished.final["train_acc"] == 1.0  # memorised the training set
    assert on.finished.final["val_acc"] >= off.finished.final["val_acc"]


@pytest.mark.slow
def test_learning_rates_order_as_the_course_says():
    check_learning_rates(run("lesson_lr_low"), run("lesson_lr_good"), run("lesson_lr_high"))


def check_learning_rates(low: History, good: History, high: History) -> None:
    init = math.log(3)
    curves = {k: h.step_loss()[1] for k, h in (("low", low), ("good", good), ("high", high))}
    assert all(len(c) == 1000 for c in curves.values())
    assert curves["good"][-1] < 0.2 < curves["low"][-1] and curves["good"][-1] < curves["high"][-1]
    assert init - 0.05 < curves["low"][-1] < init and np.all(np.diff(curves["low"]) <= 1e-6)  # creeping down
    assert curves["high"].max() > 3 * init and curves["high"][-1] > init  # overshoots and stays up
    # update/weight ratios after the first step (whose update is large next to the tiny initial weights)
    flows = {k: h.update_flow()[2] for k, h in (("low", low), ("good", good), ("high", high))}
    assert all(f.shape[1] >= 3 for f in flows.values())  # the 2% budget samples a 1,000-step run several times
    ratio = {k: np.nanmedian(f[:, 1:]) for k, f in flows.items()}
    assert ratio["low"] < ratio["good"] < ratio["high"] and ratio["low"] < -3 < ratio["high"]
