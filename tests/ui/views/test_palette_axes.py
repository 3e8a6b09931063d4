"""Every view follows the palette (light ↔ dark); log axes label decades without overlapping."""
from __future__ import annotations

import numpy as np
import pytest

from graphlab.ui.app import dark_palette
from graphlab.ui.views import (AccuracyPlot, ConfusionMatrixView, DatasetPreview, GradientFlowView, HeatmapView,
                               ImageMosaic, LearningRatePlot, LossPlot, SeriesPlot, TensorView)
from graphlab.ui.views.plot_base import YAxis

from .conftest import pixel

VIEWS = {
    "loss": (LossPlot, lambda w: w.plot_widget),
    "accuracy": (AccuracyPlot, lambda w: w.plot_widget),
    "lr": (LearningRatePlot, lambda w: w.plot_widget),
    "series": (SeriesPlot.activation, lambda w: w.plot_widget),
    "heatmap": (HeatmapView, lambda w: w.matrix),
    "flow": (GradientFlowView, lambda w: w.grad_matrix),
    "mosaic": (ImageMosaic, lambda w: w),
    "confusion": (ConfusionMatrixView, lambda w: w.canvas),
    "tensor": (TensorView, lambda w: w.hist_widget),
    "dataset": (DatasetPreview, lambda w: w.points_widget),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_view_follows_a_dark_palette(show, qtbot, name):
    make, part = VIEWS[name]
    w = show(make(), 400, 300)
    if name == "tensor":
        w.set_array(np.arange(1000.0))
    if name == "dataset":
        w.show_points(np.zeros((3, 2)), [0, 1, 2])
    qtbot.wait(5)
    assert pixel(part(w).grab().toImage(), 3, 3).lightness() > 180
    w.setPalette(dark_palette())
    qtbot.wait(5)
    assert w.theme.dark
    assert pixel(part(w).grab().toImage(), 3, 3).lightness() < 80


def test_log_axis_labels_decades_then_2_and_5():
    ax = YAxis("left")
    levels = ax.logTickValues(-4.5, -2.5, 300, [])
    assert levels[0] == (1.0, [-4.0, -3.0])
    np.testing.assert_allclose(sorted(levels[1][1]), sorted(np.log10([5e-5, 2e-4, 5e-4, 2e-3])))
    short = ax.logTickValues(np.log10(0.3), np.log10(0.9), 300, [])
    np.testing.assert_allclose(short[0][1], [np.log10(0.5)])  # no decade inside: 2·10^k, 5·10^k lead
