"""Each lesson example, opened from File ▸ Examples and trained from the window: its numbers hold in
what the live views read (the same checks and thresholds as tests/run/test_lessons.py), and the
runs of a lesson's pair overlay in the plots."""
from __future__ import annotations

import pytest

from graphlab.assets import list_examples
from graphlab.run.history import History

from ...conftest import EXAMPLES
from ...run.test_lessons import (
    check_batchnorm,
    check_dropout,
    check_init,
    check_learning_rates,
)
from .helpers import RUN_TIMEOUT, wait_state

PAIRS = {
    "init": (["lesson_init_small_gaussian", "lesson_init_xavier"], check_init),
    "batchnorm": (["lesson_batchnorm_off", "lesson_batchnorm_on"], check_batchnorm),
    "dropout": (["lesson_dropout_off", "lesson_dropout_on"], check_dropout),
    "learning_rates": (["lesson_lr_low", "lesson_lr_good", "lesson_lr_high"], check_learning_rates),
}


def train_from_window(w, qtbot, name: str) -> History:
    path = EXAMPLES / f"{name}.graphlab.json"
    assert path.name in [e.path.name for e in list_examples()["lessons"]]  # listed in File ▸ Examples
    assert w.open_example(path)  # as File ▸ Examples opens it: an untitled copy
    w.live.flush()
    assert w.files.path is None
    assert w.training.start(), w.training.blocker()
    wait_state(qtbot, w, "finished", "error", timeout=RUN_TIMEOUT)
    h = w.training.run_history
    assert w.training.state == "finished" and h.finished.reason == "completed", h.error
    return h


@pytest.mark.slow
@pytest.mark.parametrize("lesson", list(PAIRS))
def test_lesson_numbers_hold_when_trained_from_the_window(make_window, qtbot, lesson, tmp_path, monkeypatch):
    monkeypatch.setattr("graphlab.ui.training.controller.untitled_runs_folder", lambda: tmp_path / "runs")
    names, check = PAIRS[lesson]
    w = make_window()
    histories = []
    for n in names:
        histories.append(train_from_window(w, qtbot, n))
        if n == "lesson_init_small_gaussian":  # the health warnings show on the canvas and in the problems list
            warn = next(x for x in histories[-1].warnings if x.kind == "vanishing")
            assert warn.message in w.scene.overlay.node_view(warn.node)["marks"]
            assert warn.message in w.scene.node_items[warn.node].toolTip()
            assert any(p.item(i).text() == f"{warn.node}: {warn.message}" for p in [w.problems]
                       for i in range(p.count()))
    check(*histories)
    # the untitled copies' runs sit in the application's runs folder; the runs dock lists them all
    runs = w.training.ui.runs
    runs.all_graphs.setChecked(True)
    assert runs.tree.topLevelItemCount() == len(names)
    for key in list(runs.runs):
        runs.set_overlay(key, True)
    assert len(w.training.ui.plots.loss.overlay_ids()) == len(names)  # the lesson's curves overlaid
