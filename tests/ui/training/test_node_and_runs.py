"""The node dock (statistics over time and images of the selected node), the gradient flow's rows,
the end-of-run evaluation and the runs dock (overlays, "Load weights from run"), on the digits CNN."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from graphlab.run.runs import read_run
from graphlab.ui.training.plots_dock import TAB_EVALUATION, TAB_FLOW
from graphlab.ui.views.plot_base import series_values
from graphlab.ui.views.series_plot import band_arrays

from ...conftest import EXAMPLES
from .helpers import set_training, wait_state

DIGITS = EXAMPLES / "digits_cnn.graphlab.json"


@pytest.mark.slow
def test_node_dock_images_evaluation_and_runs(make_window, qtbot, tmp_path):
    w = make_window(DIGITS)
    ui = w.training.ui
    set_training(w, epochs=3, stats={"budget": 1.0})  # statistics on every step: a dense record
    w.scene.select_nodes(["conv1"])
    assert ui.node.node == "conv1" and w.training.selected == "conv1"
    assert "conv1" in ui.node.header.text() and "Conv" in ui.node.header.text()
    assert w.training.start()
    qtbot.waitUntil(lambda: ui.node_dock.isVisible(), timeout=60_000)
    ui.node.tabs.setCurrentIndex(3)  # Images: the child now makes conv1's images, once a second
    assert w.training.images_wanted
    qtbot.waitUntil(lambda: {"feature_maps", "filters"} <= set(w.training.run_history.images.get("conv1", {})),
                    timeout=120_000)
    ui.node.refresh(now=True)
    fm = ui.node.mosaics["feature_maps"]
    assert fm.isVisibleTo(ui.node) and fm.count == 16  # conv1's 16 channels for the probe sample
    assert ui.node.mosaics["filters"].count == 16 and ui.node.mosaics["filters"].tile_shape == (3, 3)
    wait_state(qtbot, w, "finished", "error")
    assert w.training.state == "finished"
    # the evaluation: confusion matrix on the validation split, misclassified samples, shown at the end
    ev_ = w.training.run_history.evaluation
    assert ev_ is not None and ui.plots.confusion.n_classes == 10 and ui.plots.tabs.currentIndex() == TAB_EVALUATION
    assert int(np.asarray(ev_.confusion).sum()) == w.training.run_history.started.n_val
    if ev_.images is not None and len(ev_.images):
        assert ui.plots.misclassified.count == len(ev_.images)
        assert "→" in ui.plots.misclassified.captions[0]

    # statistics over time, from the history, for the visible tab
    for tab in (0, 1, 2):
        ui.node.tabs.setCurrentIndex(tab)
        ui.node.refresh()
    ui.node.flush()
    s = w.training.run_history.node_series("conv1")
    assert len(s["step"]) > 20
    x, lo, hi = band_arrays(ui.node.act, "act")
    assert len(x) == len(s["step"])
    assert np.allclose((lo + hi) / 2, s["mean"]) and np.allclose((hi - lo) / 2, s["std"])
    hx, counts, _ = w.training.run_history.histograms("conv1", "act")
    assert len(ui.node.act_hist.counts) == len(hx) > 0
    assert set(ui.node.norms.series) >= {"weight", "weight ∇", "bias", "bias ∇"}
    rx, ratio = series_values(ui.node.ratio, "weight")
    assert len(rx) and ui.node.ratio.guide("rule") is not None  # the 1e-3 guide

    # a ReLU shows its dead-unit share
    w.scene.select_nodes(["relu1"])
    ui.node.tabs.setCurrentIndex(0)
    ui.node.refresh()
    assert ui.node.fractions.isVisibleTo(ui.node) and "dead" in ui.node.fractions.series

    # the gradient flow: a row per measured node; clicking a row selects the node
    ui.plots.tabs.setCurrentIndex(TAB_FLOW)
    ui.plots.flush()
    assert ui.plots.flow.nodes == w.training.run_history.order
    ui.plots.flow.node_clicked.emit("conv2")
    assert w.scene.selected_node_ids() == ["conv2"] and ui.node.node == "conv2"

    # the runs dock: the run with its figures; ticking overlays its curves; load its weights
    runs = ui.runs
    assert runs.tree.topLevelItemCount() == 1
    item = runs.tree.topLevelItem(0)
    info = read_run(item.data(0, Qt.ItemDataRole.UserRole + 1))
    assert item.text(1) == "completed" and item.text(2) == "3"
    assert item.text(5) == f"{100 * info.final['val_acc']:.1f} %"
    # what the run did with the machine: achieved GFLOP/s and the share of its matmul peak (docs/cost.md)
    assert item.text(6) == f"{info.final['gflops']:.3g} ({info.final['peak_percent']:.2g} %)"
    assert "GFLOP/s" in ui.controls.progress_text.text() and "matmul peak" in item.toolTip(6)
    item.setCheckState(0, Qt.CheckState.Checked)
    key = str(info.path)
    assert key in ui.plots.loss.overlay_ids() and key in ui.plots.acc.overlay_ids()
    ox = [it.getData()[0] for it in ui.plots.loss.overlay_items(key)][0]
    assert list(ox) == [e["step"] for e in w.training.history["epoch"]]  # each epoch at its step
    item.setCheckState(0, Qt.CheckState.Unchecked)
    assert key not in ui.plots.loss.overlay_ids()
    runs.tree.setCurrentItem(item)
    assert runs.load.isEnabled()
    runs.load.click()
    assert w.training.weights_path == info.path / "last.safetensors"
    # the stepper dock steps with them from now on (its settings say so)
    assert w.stepper_ui.settings.weights == str(info.path / "last.safetensors")
    assert "last.safetensors" in w.stepper_ui.settings.weights_label.text()
