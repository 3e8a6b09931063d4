"""AccuracyPlot, LearningRatePlot and SeriesPlot: their data, bands, guides and readouts."""
from __future__ import annotations

import numpy as np
import pytest

from graphlab.ui.views import AccuracyPlot, LearningRatePlot, SeriesPlot
from graphlab.ui.views.plot_base import series_values
from graphlab.ui.views.series_plot import band_arrays


def test_accuracy_per_epoch_with_percent_readout(show):
    a = show(AccuracyPlot())
    a.update(epochs=[{"epoch": 1, "train_acc": 0.5, "val_acc": 0.4}, {"epoch": 2, "train_acc": 0.8, "val_acc": None}])
    a.append_epoch(3, val=0.75)
    a.flush()
    np.testing.assert_array_equal(series_values(a, "train")[0], [1, 2])
    np.testing.assert_array_equal(series_values(a, "val")[0], [1, 3])
    a.hover_x(1.2)
    assert a.readout.text() == "epoch 1 · train 50.0 % · validation 40.0 %"
    a.hover_x(2)
    assert a.readout.text() == "epoch 2 · train 80.0 %"
    a.hover_x(None)  # away from the plot: the latest epoch
    assert a.readout.text() == "epoch 3 · validation 75.0 %"
    a.add_run("r", [1, 2, 3], [0.3, 0.5, 0.6], "other run")
    assert a.overlay_items("r")[0].getOriginalDataset()[1].tolist() == [0.3, 0.5, 0.6]


def test_learning_rate_plot_starts_in_log_y(show):
    lr = show(LearningRatePlot())
    assert lr.log_y
    lr.append_steps(np.arange(1, 4), [0.1, 0.01, 0.001])
    lr.flush()
    np.testing.assert_allclose(lr.series["lr"].item.getData()[1], [-1, -2, -3])
    lr.hover_x(2)
    assert lr.readout.text() == "step 2 · lr 0.01"


def test_activation_band_is_mean_plus_minus_std(show):
    p = show(SeriesPlot.activation())
    x = np.arange(0, 100, 10)
    m = np.linspace(-1, 1, 10)
    s = np.linspace(0.1, 1.0, 10)
    p.set_band("act", x[:5], m[:5], s[:5])
    p.append_band("act", x[5:], m[5:], s[5:])
    p.flush()
    bx, lo, hi = band_arrays(p, "act")
    np.testing.assert_array_equal(bx, x)
    np.testing.assert_allclose(lo, m - s)
    np.testing.assert_allclose(hi, m + s)
    np.testing.assert_allclose(series_values(p, "act")[1], m)
    p.hover_x(30)
    assert p.readout.text() == "step 30 · activation −0.3333 ± 0.4"
    # the band is one filled item between the two curves
    assert len(p._bands) == 1 and p._bands["act"] in p.plot_item.items


def test_update_ratio_has_the_1e_3_guide_in_log_space(show):
    p = show(SeriesPlot.update_ratio())
    assert p.log_y
    guide = p.guide("rule")
    assert guide.value() == pytest.approx(-3.0) and "1e-3" in guide.label.toPlainText()
    p.set_series("weight", [1, 2], [1e-3, 1e-2])
    p.flush()
    np.testing.assert_allclose(p.series["weight"].item.getData()[1], [-3, -2])
    p.set_log_y(False)
    assert guide.value() == pytest.approx(1e-3)


def test_fractions_fixed_range_and_series_colours(show):
    p = show(SeriesPlot.fractions())
    p.set_series("dead", [0, 1, 2], [0.0, 0.5, 1.0])
    p.set_series("saturated", [0, 1, 2], [0.1, 0.1, 0.1])
    p.flush()
    (_, _), (y0, y1) = p.view_box.viewRange()
    assert y0 <= 0.0 and y1 >= 1.0 and y1 < 1.1
    assert not p.log_button.isVisible()
    c_dead = p.series["dead"].item.opts["pen"].color().name()
    c_sat = p.series["saturated"].item.opts["pen"].color().name()
    assert c_dead != c_sat


def test_series_replace_remove_and_clear(show):
    p = show(SeriesPlot.param_norms())
    p.set_series("weight", [1, 2, 3], [1.0, 2.0, 3.0])
    p.set_series("weight ∇", [1, 2, 3], [0.1, 0.2, 0.3], color="cycle:0", dash=True)
    p.flush()
    assert p.series["weight ∇"].item.opts["pen"].color().name() == p.series["weight"].item.opts["pen"].color().name()
    p.set_series("weight", [5], [9.0])  # a new node selected: replaced, not appended
    p.flush()
    assert series_values(p, "weight")[1].tolist() == [9.0]
    item = p.series["weight ∇"].item
    p.remove("weight ∇")
    assert "weight ∇" not in p.series and item not in p.plot_item.items
    p.clear()
    p.flush()
    assert series_values(p, "weight")[0].size == 0


def test_bad_input_says_what_is_wrong(show):
    p = show(SeriesPlot("x"))
    with pytest.raises(ValueError, match="equal length"):
        p.set_series("a", [1, 2, 3], [1.0, 2.0])
