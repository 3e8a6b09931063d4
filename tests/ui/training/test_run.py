"""Train the spiral example from the window: epochs arrive, the plots and the canvas follow them,
Pause holds the step count and Resume continues it, Stop ends with a checkpoint. One run serves
all of these (a spawn costs seconds); every wait is on something the run reports."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest

from graphlab.io import dumps
from graphlab.run import events as ev
from graphlab.ui.views.plot_base import series_values

from ...conftest import EXAMPLES
from .helpers import set_training, status_reply, wait_epochs, wait_state

SPIRAL = EXAMPLES / "spiral_two_layer.graphlab.json"


def action(w, name: str) -> QAction:
    a = w.findChild(QAction, name)
    assert a is not None, name
    return a


@pytest.mark.slow
def test_train_watch_pause_resume_stop(make_window, qtbot, tmp_path):
    w = make_window(SPIRAL)
    ui = w.training.ui
    set_training(w, epochs=10_000_000)  # runs until stopped
    assert w.training.state == "idle" and action(w, "action_train").isEnabled()
    assert not action(w, "action_pause").isEnabled() and not action(w, "action_stop").isEnabled()
    before = dumps(w.document.graph)

    w.view.setFocus()
    QTest.keyClick(w, Qt.Key.Key_F5)  # Train
    assert w.training.state == "running"
    assert not action(w, "action_train").isEnabled() and action(w, "action_stop").isEnabled()
    wait_epochs(qtbot, w, 5)
    assert ui.plots_dock.isVisible() and ui.node_dock.isVisible()

    # -- Pause: the child stops stepping; its replies say where, and the count does not move
    QTest.keyClick(w, Qt.Key.Key_F6)
    wait_state(qtbot, w, "paused")
    assert action(w, "action_pause").text() == "&Resume"
    paused = w.training.paused_at
    first, second = status_reply(qtbot, w), status_reply(qtbot, w)
    assert first.data["paused"] and second.data["paused"] and first.step == second.step == paused.step
    steps, _ = w.training.run_history.step_loss()
    assert int(steps[-1]) <= paused.step

    # while paused everything shown is complete: one point per epoch in the plots
    w.training.poll()
    ui.plots.flush()
    h = w.training.history
    n = len(h["epoch"])
    assert n >= 5 and [e["epoch"] for e in h["epoch"]] == list(range(1, n + 1))
    assert len(series_values(ui.plots.loss, "train")[0]) == n
    assert len(series_values(ui.plots.acc, "train")[0]) == n
    x, _ = series_values(ui.plots.loss, "train")
    assert list(x) == [e["step"] for e in h["epoch"]]  # each epoch at the step it ended on (full batch: = epoch)
    assert len(h["step_loss"]) == len(series_values(ui.plots.loss, "raw")[0]) == int(steps[-1])
    measured, expected, classes = ui.plots.loss.initial_loss
    assert classes == 3 and abs(expected - math.log(3)) < 1e-6 and abs(measured - math.log(3)) < 0.01  # ln C at the start

    # badges and node_stats cover every node
    order = w.training.run_history.order
    assert order == ["fc1", "relu", "scores"] and set(w.training.node_stats) == set(order)
    ui.canvas.refresh(force=True)
    ov = w.scene.overlay
    for nid in w.document.graph.nodes:
        assert ov.node_view(nid).get("badge"), nid
    g = w.training.node_stats["scores"]["grad_norm"]
    assert ov.node_view("scores")["badge"].startswith(f"∇ {g:.1e}")
    assert "dead" in ov.node_view("relu")["badge"] and ov.node_view("loss")["badge"].startswith("L ")
    assert ov.node_view("fc1")["badge_color"] is not None

    # -- Resume: the step count moves on from where it stopped
    QTest.keyClick(w, Qt.Key.Key_F6)
    wait_state(qtbot, w, "running")
    qtbot.waitUntil(lambda: status_reply(qtbot, w).step > paused.step + 10, timeout=60_000)

    # -- Stop: ends with a checkpoint, through the `finished` signal
    with qtbot.waitSignal(w.training.finished, timeout=60_000) as sig:
        QTest.keyClick(w, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    fin = sig.args[0]
    assert isinstance(fin, ev.Finished) and fin.reason == "stopped"
    assert fin.checkpoint and Path(fin.checkpoint).is_file()
    assert w.training.state == "finished" and action(w, "action_train").isEnabled()
    assert dumps(w.document.graph) == before  # the run never touched the document
    run_dir = w.training.run_dir
    assert run_dir is not None and run_dir.parent == tmp_path / "runs" and (run_dir / "run.json").is_file()
    assert "stopped" in ui.plots.banner.text()
    # the runs dock lists it with its figures
    assert ui.runs.tree.topLevelItemCount() == 1 and ui.runs.tree.topLevelItem(0).text(1) == "stopped"
    qtbot.waitUntil(lambda: not w.training.proc.alive, timeout=30_000)


@pytest.mark.slow
def test_editing_during_a_run_changes_the_next_run_only(make_window, qtbot):
    w = make_window(SPIRAL)
    set_training(w, epochs=10_000_000)
    assert w.training.start()
    wait_epochs(qtbot, w, 2)
    assert "as it was at" in w.training.ui.plots.banner.text()
    assert "edited since" not in w.training.ui.plots.banner.text()
    w.controller.set_param("fc1", "out_features", 20)  # one undo step, during the run
    w.live.flush()
    assert w.training.edited_since_start and w.document.graph.nodes["fc1"].params["out_features"] == 20
    assert "edited since" in w.training.ui.plots.banner.text()
    assert "next run" in w.statusBar().currentMessage()
    assert w.isWindowModified()
    w.training.stop()
    wait_state(qtbot, w, "finished")
    # the run trained the snapshot: fc1 kept its 100 units
    assert w.training.node_stats["fc1"]["units"] == 100
    w.undo_stack.undo()
    assert w.document.graph.nodes["fc1"].params.get("out_features") == 100


@pytest.mark.slow
def test_losses_in_history_are_plain_numbers(make_window, qtbot):
    """`history` is plain data: JSON-ready lists, one loss per step."""
    import json

    w = make_window(SPIRAL)
    set_training(w, epochs=40)
    picker = w.training.ui.controls.device
    assert [picker.itemData(i) for i in range(picker.count())][:2] == ["auto", "cpu"]
    picker.setCurrentIndex(picker.findData("cpu"))
    assert w.training.device == "cpu"
    action(w, "action_train").trigger()
    assert w.training.state == "running"
    wait_state(qtbot, w, "finished", "error")
    assert w.training.run_history.started.device == "cpu"
    qtbot.waitUntil(lambda: w.training.ui.controls.devices is not None, timeout=120_000)  # Train asked for them
    offered = [picker.itemData(i) for i in range(picker.count())]
    assert offered == ["auto", *w.training.ui.controls.devices] and "cpu" in offered
    h = w.training.history
    assert w.training.state == "finished" and len(h["step_loss"]) == 40 and len(h["epoch"]) == 40
    json.dumps(h)
    assert "completed" in w.training.ui.controls.progress_text.text()
    # the final figures say what they are (they differ from the last epoch's running average)
    final = w.training.run_history.finished.final
    assert f"train loss {final['train_loss']:.4g}" in w.training.ui.controls.progress_text.text()
    assert "whole training split" in w.training.ui.controls.progress_text.toolTip()
    assert "whole training split" in w.training.ui.plots.banner.text()
    assert np.all(np.isfinite(h["step_loss"]))
    # a completed classification run ends with the confusion matrix
    ev_ = w.training.run_history.evaluation
    assert ev_ is not None and w.training.ui.plots.confusion.n_classes == 3
