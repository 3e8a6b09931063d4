"""The overfit check from the Run menu, the dataset preview, and closing the window mid-run."""
from __future__ import annotations

import multiprocessing

import pytest
from PySide6.QtGui import QAction

from ...conftest import EXAMPLES
from .helpers import set_training, wait_epochs, wait_state

SPIRAL = EXAMPLES / "spiral_two_layer.graphlab.json"


@pytest.mark.slow
def test_overfit_a_small_batch_reaches_100_percent_on_spiral(make_window, qtbot):
    w = make_window(SPIRAL)
    w.findChild(QAction, "action_overfit").trigger()
    assert w.training.overfit == 20 and w.training.run_dir is None  # a check, not a run to keep
    wait_state(qtbot, w, "finished", "error")
    r = w.training.run_history.overfit
    assert r is not None and r.reached and r.samples == 20 and r.train_acc == 1.0
    banner = w.training.ui.plots.banner.text()
    assert "Overfit check passed" in banner and "20 training samples" in banner and "100%" in banner


@pytest.mark.slow
def test_overfit_that_fails_gives_the_likely_causes(make_window, qtbot):
    w = make_window(EXAMPLES / "spiral_linear.graphlab.json")
    assert w.training.overfit_check()
    wait_state(qtbot, w, "finished", "error", timeout=300_000)
    r = w.training.run_history.overfit
    assert r is not None and not r.reached and r.causes
    banner = w.training.ui.plots.banner.text()
    assert "Overfit check failed" in banner and "Likely causes" in banner and "linear" in banner


def test_dataset_preview_spiral_points_and_digits_images(make_window, qtbot):
    w = make_window(SPIRAL)
    s = w.training.ui.settings
    w.training.ui.training_dock.show()
    w.training.ui.training_dock.raise_()
    s.tabs.setCurrentIndex(1)  # the Dataset tab: builds the preview off the GUI thread
    qtbot.waitUntil(lambda: s.preview.mode == "points", timeout=120_000)
    assert s.preview.info.text().startswith("300 samples · sample shape (2,) · 3 classes: 0: 100 · 1: 100 · 2: 100")
    x, y = s.preview.scatter.getData()
    assert len(x) == 300
    set_training(w, dataset="digits")
    qtbot.waitUntil(lambda: s.preview.mode == "images", timeout=120_000)
    assert "1,797 samples · sample shape (1, 8, 8) · 10 classes" in s.preview.info.text()
    assert s.preview.mosaic.count == 64 and s.preview.mosaic.captions[:10] == [str(i) for i in range(10)]
    set_training(w, dataset={"name": "npz", "path": "nowhere.npz"})
    qtbot.waitUntil(lambda: "nowhere.npz" in s.preview_status.text(), timeout=120_000)


@pytest.mark.slow
def test_closing_the_window_mid_run_stops_the_child(make_window, qtbot):
    w = make_window(SPIRAL)
    set_training(w, epochs=10_000_000)
    assert w.training.start()
    wait_epochs(qtbot, w, 2)
    proc = w.training.proc
    assert proc.alive
    w.undo_stack.setClean()  # nothing to ask about
    assert w.close()
    assert not proc.alive and proc.reaped  # stopped and reaped: no zombie
    assert proc._proc not in multiprocessing.active_children()
    assert (w.training.run_dir / "last.safetensors").is_file()  # the stop saved a checkpoint
    qtbot.wait(2000)  # nothing scheduled outlives the window
    assert w.training.closed
