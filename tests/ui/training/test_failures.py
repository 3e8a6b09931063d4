"""Failures: the fit check before a run, a graph with errors, NaN, a bad dataset path, a child that
dies. The run stops, the node is selected and outlined, the message is in the problems list, the
window stays responsive and the user's edits are untouched."""
from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QAction

from graphlab.io import dumps

from ...conftest import EXAMPLES
from .helpers import edit_field, problems_text, set_training, wait_epochs, wait_state

SPIRAL = EXAMPLES / "spiral_two_layer.graphlab.json"


def train_action(w) -> QAction:
    return w.findChild(QAction, "action_train")


@pytest.mark.slow
def test_nan_selects_and_names_the_node(make_window, qtbot):
    w = make_window(SPIRAL)
    set_training(w, epochs=200, optimizer={"name": "sgd", "lr": 1e9})
    before, undo_index = dumps(w.document.graph), w.undo_stack.index()
    assert w.training.start()
    wait_state(qtbot, w, "error", "finished")
    assert w.training.state == "error"
    err = w.training.run_history.error
    assert err.kind == "nan" and err.node == "scores" and "NaN" in err.message
    assert w.scene.selected_node_ids() == ["scores"]  # selected ...
    assert w.scene.overlay.node_view("scores").get("highlight") is not None  # ... and outlined
    lines = problems_text(w)
    assert any(node == "scores" and "NaN" in text and text.startswith("scores") for text, node in lines)
    assert w.training.ui.plots.loss.nonfinite_points()  # the diverging step is a marker on the loss plot
    assert "error" in w.training.ui.plots.banner.text() and "scores" in w.training.ui.plots.banner.text()
    assert dumps(w.document.graph) == before and w.undo_stack.index() == undo_index  # nothing of the user's changed
    assert train_action(w).isEnabled()  # and a new run can start


def test_fit_check_shows_on_the_node_before_a_run(make_window, qtbot):
    w = make_window(SPIRAL)
    edit_field(w, "@dataset", "digits")  # the spiral net's Input [2] does not fit 8×8 images
    fit = w.training.ui.fit  # checks by itself after every edit: no Train needed
    qtbot.waitUntil(lambda: not fit.pending and bool(fit.problems()), timeout=2000)
    w.live.flush()
    (err,) = fit.problems()
    assert err.node == "x" and err.field == "shape"
    lines = problems_text(w)
    assert any(node == "x" and "does not fit dataset digits" in text for text, node in lines), lines
    assert not train_action(w).isEnabled()
    assert "does not fit dataset digits" in train_action(w).toolTip()
    look = w.scene.overlay.node_view("x")  # the node to fix, outlined on the canvas with the reason
    assert look.get("highlight") is not None and "does not fit dataset digits" in look["marks"][0]
    assert not w.training.start() and w.training.state == "idle"
    # undo the edit: the check passes again, Train comes back
    w.undo_stack.undo()
    w.live.flush()
    qtbot.waitUntil(lambda: not fit.pending, timeout=120_000)
    assert fit.problems() == [] and train_action(w).isEnabled()
    assert not any("does not fit" in text for text, _ in problems_text(w))
    assert not w.scene.overlay.node_view("x")


def test_a_graph_with_errors_cannot_start(make_window):
    w = make_window(SPIRAL)
    w.controller.set_param("fc1", "out_features", 0)
    w.live.flush()
    assert not train_action(w).isEnabled()
    assert train_action(w).toolTip().startswith("Cannot train: the graph has 1 error")
    assert not w.training.start() and w.training.state == "idle"
    w.undo_stack.undo()
    w.live.flush()
    assert train_action(w).isEnabled()


def test_a_bad_dataset_path_is_found_before_a_run_and_f5_waits_for_it(make_window, qtbot, tmp_path):
    doc = json.loads(SPIRAL.read_text())
    doc["training"]["dataset"] = {"name": "npz", "path": "missing.npz"}
    path = tmp_path / "npz.graphlab.json"
    path.write_text(json.dumps(doc))
    w = make_window(path)
    fit = w.training.ui.fit
    assert fit.pending  # a file dataset is read on the worker, after the debounce
    assert w.training.start()  # F5 now: the run waits for the check's answer instead of starting doomed
    qtbot.waitUntil(lambda: not fit.pending, timeout=10_000)
    qtbot.wait(50)
    assert w.training.state == "idle" and w.training.proc is None  # no run was started
    (p,) = fit.problems()
    assert p.field == "training.dataset" and "missing.npz" in p.message
    lines = problems_text(w)
    assert sum("missing.npz" in text for text, _ in lines) == 1, lines  # listed once
    assert not train_action(w).isEnabled() and "missing.npz" in train_action(w).toolTip()


@pytest.mark.slow
def test_a_child_that_dies_ends_the_run(make_window, qtbot):
    w = make_window(SPIRAL)
    set_training(w, epochs=10_000_000)
    assert w.training.start()
    wait_epochs(qtbot, w, 2)
    w.training.proc.kill()
    wait_state(qtbot, w, "error")
    err = w.training.run_history.error
    assert err.kind == "internal" and "ended unexpectedly" in err.message
    assert any("ended unexpectedly" in text for text, _ in problems_text(w))
    assert w.training.finished  # the signal exists; the Finished event is in the history
    assert w.training.run_history.finished.reason == "error"
    qtbot.waitUntil(lambda: not w.training.proc.alive, timeout=10_000)
    qtbot.waitUntil(lambda: w.training.proc.reaped, timeout=10_000)  # no zombie
    # the window still works: edit and train again
    w.controller.set_param("fc1", "out_features", 10)
    w.live.flush()
    set_training(w, epochs=3)
    assert w.training.start()
    wait_state(qtbot, w, "finished", "error")
    assert w.training.state == "finished" and w.training.node_stats["fc1"]["units"] == 10


def test_a_far_off_initial_loss_is_a_warning(make_window, qtbot):
    """The course's first sanity check: untrained, softmax's loss should be ln C; N(0, 1) weights miss it."""
    w = make_window(SPIRAL)
    set_training(w, epochs=2, init="gaussian")
    assert w.training.start()
    wait_state(qtbot, w, "finished", "error")
    warns = [x for x in w.training.run_history.warnings if x.kind == "initial_loss"]
    assert warns and "ln" in warns[0].message
    assert any(text == f"graph: {warns[0].message}" for text, _ in problems_text(w))
    guide = w.training.ui.plots.loss.guide("expected")
    assert guide is not None and "far off" in guide.label.toPlainText()
