"""HeatmapView (step × bins with one step's histogram) and GradientFlowView (nodes × steps)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from graphlab.ui.views import GradientFlowView, HeatmapView

from .conftest import close, mouse_click, mouse_move


def hist_row(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    c = np.histogram(values, bins=edges)[0]
    return np.concatenate([[np.sum(values < edges[0])], c, [np.sum(values >= edges[-1])]])


def test_heatmap_colours_are_log10_shares_and_empty_bins_are_empty(show):
    h = show(HeatmapView("acts", "activation"), 500, 500)
    edges = np.linspace(-2, 2, 65)
    h.set_edges(edges)
    rng = np.random.default_rng(0)
    rows = [hist_row(rng.normal(0, 1 + s, 1000), edges) for s in range(5)]
    rows[0] = hist_row(rng.uniform(0.0, 1.9, 1000), edges)  # nothing below 0
    for s, r in enumerate(rows):
        h.append(s * 10, r)
    h.flush()
    v = h.matrix.values
    assert v.shape == (66, 5)  # under, 64 bins, over × steps
    share = rows[2] / rows[2].sum()
    expect = np.where(share > 0, np.maximum(np.log10(np.where(share > 0, share, 1)), -4), np.nan)
    np.testing.assert_allclose(v[:, 2], expect, rtol=1e-5)
    assert h.matrix.levels == (-4.0, 0.0)
    empty = int(np.flatnonzero(rows[0] == 0)[0])
    assert h.matrix.cell_color(empty, 0).alpha() == 0  # transparent: the background shows
    # a bin holding every value is the top of the colour map
    h.set_data([0], [np.r_[0, 1000, np.zeros(64)]])
    h.flush()
    top = pg.colormap.get("viridis").map(1.0, mode="qcolor")
    assert close(h.matrix.cell_color(1, 0), top, 3)


def test_slider_follows_the_newest_step_until_moved_back(show):
    h = show(HeatmapView(), 400, 400)
    edges = np.linspace(0, 1, 5)  # 4 bins → rows of 6
    h.set_edges(edges)
    for s in range(3):
        h.append(s, [0, s + 1, 1, 0, 0, 2])
    h.flush()
    assert h.selected_index == 2
    np.testing.assert_allclose(h.bar_heights(), np.array([0, 3, 1, 0, 0, 2]) / 6)
    assert h.step_label.text().startswith("step 2: 6 values · 0.0 % below 0 · 33.3 % above 1")
    h.select_index(0)
    np.testing.assert_allclose(h.bar_heights(), np.array([0, 1, 1, 0, 0, 2]) / 4)
    h.append(3, [4, 0, 0, 0, 0, 0])
    h.flush()
    assert h.selected_index == 0  # the user looked back: stay
    h.select_index(3)
    h.append(4, [0, 0, 0, 0, 1, 0])
    h.flush()
    assert h.selected_index == 4  # at the end again: follow
    np.testing.assert_allclose(h.bar_heights(), [0, 0, 0, 0, 1, 0])
    bars = h.bars.opts["height"]
    np.testing.assert_allclose(bars, [0, 0, 0, 0, 100, 0])


def test_heatmap_hover_names_the_bin_and_click_selects_the_step(show, qtbot):
    h = show(HeatmapView(), 500, 500)
    h.set_edges(np.linspace(-1, 1, 5))
    h.set_data([100, 200, 300], [[1, 0, 0, 3, 0, 0], [0, 1, 1, 1, 1, 0], [0, 0, 0, 0, 0, 4]])
    h.flush()
    assert h.readout.text() == "3 sampled steps · click a column to show that step"
    qtbot.wait(20)
    vp = h.matrix.viewport()
    mouse_move(vp, h.matrix.mapFromScene(h.matrix.scene_pos_of(3, 1)))
    qtbot.waitUntil(lambda: h.readout.text() != "", timeout=2000)
    assert h.readout.text() == "step 200 · [0, 0.5) · 25.00 %"
    assert h.readout_for(0, 0) == "step 100 · below −1 · 25.00 %"
    assert h.readout_for(5, 2) == "step 300 · above 1 · 100.00 %"
    mouse_click(vp, h.matrix.mapFromScene(h.matrix.scene_pos_of(2, 0)))
    assert h.selected_index == 0


def test_heatmap_rejects_rows_of_the_wrong_length(show):
    h = show(HeatmapView())
    h.set_edges(np.linspace(0, 1, 65))
    with pytest.raises(ValueError, match="66 counts"):
        h.append(0, np.zeros(64))
    with pytest.raises(ValueError, match="increasing"):
        h.set_edges([0, 0, 1])


NODES = ["x", "conv1", "relu1", "fc", "loss"]


def test_gradient_flow_rows_are_nodes_in_forward_order(show):
    g = show(GradientFlowView(), 600, 400)
    g.set_nodes(NODES)
    g.append(10, {"conv1": 1e-2, "relu1": 1e-3, "fc": 0.1, "loss": 1.0, "x": 0.0},
             {"conv1": 1e-3, "fc": 1e-1})
    g.append(20, [1e-2, 1e-2, 1e-2, 1e-2, 1e-2], None)
    g.flush()
    v = g.grad_matrix.values
    assert v.shape == (5, 2)
    np.testing.assert_allclose(v[1:, 0], [-2, -3, -1, 0])
    assert v[0, 0] == -np.inf  # a zero norm: vanished, drawn in the lowest colour
    assert g.grad_matrix.levels == (-3.0, 0.0)  # whole decades around the data
    assert close(g.grad_matrix.cell_color(0, 0), pg.colormap.get("viridis").map(0.0, mode="qcolor"), 3)
    r = g.ratio_matrix.values
    assert r[1, 0] == pytest.approx(-3) and r[3, 0] == pytest.approx(-1)
    assert np.isnan(r[2, 0]) and g.ratio_matrix.cell_color(2, 0).alpha() == 0  # no weights: hatched
    assert g.ratio_matrix.levels == (-6.0, 0.0)
    assert [v for v, _ in g.ratio_matrix._bar_guides] == [-3.0]
    # the −3 guide is the middle of the diverging map
    mid = g.ratio_matrix.cell_color(1, 0)
    assert abs(mid.red() - mid.blue()) < 40
    assert [g.grad_matrix.left_axis.labeler(i) for i in range(5)] == NODES


def test_gradient_flow_click_emits_node_and_outlines_it(show, qtbot):
    g = show(GradientFlowView(), 600, 400)
    g.set_nodes(NODES)
    g.set_data([1, 2, 3], np.full((5, 3), 0.01), np.full((5, 3), 1e-3))
    g.flush()
    assert g.readout.text() == "5 nodes × 3 sampled steps · click a row to select its node"
    qtbot.wait(20)
    vp = g.grad_matrix.viewport()
    with qtbot.waitSignal(g.node_clicked, timeout=2000) as sig:
        mouse_click(vp, g.grad_matrix.mapFromScene(g.grad_matrix.scene_pos_of(3, 1)))
    assert sig.args == ["fc"]
    assert g.selected_node == "fc"
    box = g._outlines["grad"]
    assert box.isVisible() and box.rect().center().y() == pytest.approx(3.0)
    g.select_node(None)
    assert not box.isVisible()
    mouse_move(vp, g.grad_matrix.mapFromScene(g.grad_matrix.scene_pos_of(1, 2)))
    qtbot.waitUntil(lambda: g.readout.text().startswith("conv1 · step 3"), timeout=2000)
    assert "0.01 (log10 −2)" in g.readout.text()
    assert g.readout_for("ratio", 1, 0) == "conv1 · step 1 · ‖Δw‖/‖w‖ 0.001 (log10 −3)"


def test_gradient_flow_set_nodes_clears_and_checks_lengths(show):
    g = show(GradientFlowView())
    g.set_nodes(NODES)
    g.append(1, np.ones(5))
    g.set_nodes(NODES[:2])
    g.flush()
    assert g.grad_matrix.values.shape == (2, 0)
    with pytest.raises(ValueError, match="3 values for 2 nodes"):
        g.append(2, [1, 2, 3])
