"""LossPlot: data in the items, smoothing, NaN markers, the ln C guide, log toggle, hover, overlays."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtGui import QColor, QPalette

from graphlab.ui.app import dark_palette
from graphlab.ui.views import LossPlot
from graphlab.ui.views.plot_base import series_values

from .conftest import close, mouse_move, pixel, view_point


def naive_ema(y: np.ndarray, a: float) -> np.ndarray:
    s, out = 0.0, []
    for t, v in enumerate(y, 1):
        s = a * s + (1 - a) * v
        out.append(s / (1 - a ** t))
    return np.array(out)


def test_steps_reach_the_items_raw_and_smoothed(show):
    p = show(LossPlot())
    steps = np.arange(1, 501)
    loss = 2.0 + np.sin(steps / 7.0)
    p.append_steps(steps[:200], loss[:200])
    for s, v in zip(steps[200:], loss[200:]):  # live: one step at a time
        p.append_steps(s, v)
    p.flush()
    x, y = series_values(p, "raw")
    np.testing.assert_array_equal(x, steps)
    np.testing.assert_array_equal(y, loss)
    xs, ys = series_values(p, "smooth")
    np.testing.assert_array_equal(xs, steps)
    np.testing.assert_allclose(ys, naive_ema(loss, 0.9), rtol=1e-12)


def test_items_are_created_once_and_drawn_with_peak_downsampling(show):
    p = show(LossPlot())
    items_before = list(p.plot_item.items)
    raw_item = p.series["raw"].item
    for i in range(1, 301):
        p.append_steps(i, 1.0 / i)
        if i % 50 == 0:
            p.flush()
    assert p.plot_item.items == items_before
    assert p.series["raw"].item is raw_item
    for s in p.series.values():
        assert s.item.opts["autoDownsample"] and s.item.opts["downsampleMethod"] == "peak"
        assert s.item.opts["clipToView"]


def test_a_million_steps_draw_as_one_min_max_pair_per_pixel(show, qtbot):
    p = show(LossPlot(), 800, 400)
    n = 1_000_000
    y = np.random.default_rng(0).random(n)
    y[123_456] = 50.0  # one spike must survive downsampling
    p.append_steps(np.arange(1, n + 1), y)
    p.flush()
    qtbot.wait(30)  # let auto-range settle, as the event loop would
    x_disp, y_disp = p.series["raw"].item.getData()
    width = p.view_box.width()
    assert x_disp.size <= 2 * width + 8  # peak: a (max, min) pair per pixel column
    assert y_disp.max() == 50.0 and y_disp.min() == y.min()
    assert series_values(p, "raw")[0].size == n  # the item keeps the full-resolution data
    assert series_values(p, "raw")[0].dtype == np.int64


def test_redraws_slow_down_when_they_get_expensive(show):
    p = show(LossPlot())
    p._last_flush_ms = 45.0  # as a huge history would
    p.append_steps([1], [1.0])
    assert p._timer.interval() == 450
    p.flush()
    p._last_flush_ms = 1.0
    p.append_steps([2], [1.0])
    assert p._timer.interval() == p.redraw_interval_ms == 100


def test_updates_are_coalesced_and_drawn_by_the_timer(show, qtbot):
    p = show(LossPlot())
    p.append_steps([1, 2, 3], [3.0, 2.0, 1.0])
    assert series_values(p, "raw")[0].size == 0  # not drawn yet: one redraw per tick
    qtbot.waitUntil(lambda: series_values(p, "raw")[0].size == 3, timeout=2000)


def test_nonfinite_losses_are_markers_at_the_top_not_gaps(show, qtbot):
    p = show(LossPlot(), 600, 360)
    steps = np.arange(1, 101)
    loss = np.linspace(2.0, 0.5, 100)
    loss[39] = np.nan
    loss[79] = np.inf
    p.append_steps(steps, loss)
    p.flush()
    x, y = series_values(p, "raw")
    assert np.isfinite(y).all() and 40 not in x and 80 not in x  # the curve never sees them
    assert [(n, x_) for n, x_, _ in p.nonfinite_points()] == [("raw", 40.0), ("raw", 80.0)]
    qtbot.wait(20)
    p._place_markers()
    pts = p._markers.points()
    (_, _), (y0, y1) = p.view_box.viewRange()
    assert len(pts) == 2 and all(pt.pos().y() > y0 + 0.9 * (y1 - y0) for pt in pts)
    # the marker is drawn in the error colour
    img = p.grab().toImage()
    where = p.plot_widget.mapTo(p, view_point(p.plot_widget, p.view_box, 40.0, pts[0].pos().y()))
    reds = [pixel(img, where.x() + dx, where.y() + dy) for dx in range(-3, 4) for dy in range(-3, 4)]
    assert any(close(c, p.theme.error, 40) for c in reds)
    # the readout names it
    p.hover_x(40.1)
    assert "step 40" in p.readout.text() and "loss NaN" in p.readout.text()
    p.hover_x(80)
    assert "loss +inf" in p.readout.text()


def test_epochs_sit_at_their_end_step_and_show_in_the_readout(show):
    p = show(LossPlot())
    p.append_steps(np.arange(1, 21), np.linspace(2, 1, 20))
    p.append_epoch(1, train=1.8, val=1.9, step=10)
    p.append_epoch(2, train=1.2, val=1.4)  # at the last step seen
    p.flush()
    np.testing.assert_array_equal(series_values(p, "train")[0], [10, 20])
    np.testing.assert_array_equal(series_values(p, "val")[1], [1.9, 1.4])
    p.hover_x(7)
    assert p.readout.text().startswith("step 7 · loss") and "epoch 1: train 1.8, val 1.9" in p.readout.text()
    p.hover_x(15)
    assert "epoch 2: train 1.2, val 1.4" in p.readout.text()
    p.update(epochs=[{"epoch": 3, "train_loss": 0.9, "val_loss": None, "step": 30}])
    p.flush()
    np.testing.assert_array_equal(series_values(p, "train")[0], [10, 20, 30])
    assert series_values(p, "val")[0].size == 2


def test_many_epochs_at_once_equal_one_by_one(show):
    """update(epochs=[...]) appends all records in one go, with the same points and readouts."""
    recs = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": None if e % 3 else 2.0 / e, "step": 5 * e}
            for e in range(1, 301)]
    a, b = show(LossPlot()), show(LossPlot())
    for p in (a, b):
        p.append_steps(np.arange(1, 1501), np.linspace(2, 1, 1500))
    a.update(epochs=recs)
    for r in recs:
        b.append_epoch(r["epoch"], r["train_loss"], r["val_loss"], r["step"])
    for p in (a, b):
        p.flush()
    for name in ("train", "val"):
        for i in (0, 1):
            np.testing.assert_array_equal(series_values(a, name)[i], series_values(b, name)[i])
    a.hover_x(601)
    b.hover_x(601)
    assert a.readout.text() == b.readout.text() and "epoch 121" in a.readout.text()


def test_initial_loss_guide_marks_ln_c_and_the_measured_value(show):
    p = show(LossPlot())
    p.set_initial_loss(2.31, None, num_classes=10)
    p.flush()
    line = p.guide("expected")
    assert line.value() == pytest.approx(math.log(10))
    assert "expected ln C = ln 10 = 2.303" in line.label.toPlainText()
    assert "measured 2.31" in line.label.toPlainText() and "far off" not in line.label.toPlainText()
    assert series_values(p, "initial")[1].tolist() == [2.31]
    assert close(line.pen.color(), p.theme.guide, 2)
    p.set_initial_loss(9.7, math.log(10), num_classes=10)  # e.g. weights far too large
    line = p.guide("expected")
    assert "far off" in line.label.toPlainText()
    assert close(line.pen.color(), p.theme.warning, 2)
    p.set_initial_loss(float("nan"), math.log(10), num_classes=10)
    assert "measured NaN  (far off)" in p.guide("expected").label.toPlainText()
    assert close(p.guide("expected").pen.color(), p.theme.warning, 2)
    p.flush()
    assert ("initial", 0.0) in [(n, x) for n, x, _ in p.nonfinite_points()]


def test_log_toggle_maps_curves_and_guides(show, qtbot):
    p = show(LossPlot())
    p.append_steps([1, 2, 3], [10.0, 1.0, 0.1])
    p.set_initial_loss(2.3, math.log(10))
    p.flush()
    p.log_button.click()
    assert p.log_y and p.series["raw"].item.opts["logMode"] == [False, True]
    assert p.guide("expected").value() == pytest.approx(math.log10(math.log(10)))
    disp = p.series["raw"].item.getData()[1]
    np.testing.assert_allclose(disp, [1.0, 0.0, -1.0])
    p.set_log_y(False)
    assert not p.log_button.isChecked() and p.guide("expected").value() == pytest.approx(math.log(10))


def test_hover_with_the_mouse_reads_the_step_under_the_cursor(show, qtbot):
    p = show(LossPlot(), 700, 400)
    p.append_steps(np.arange(1, 101), np.linspace(3.0, 1.0, 100))
    p.flush()
    qtbot.wait(20)
    vp = p.plot_widget.viewport()
    mouse_move(vp, view_point(p.plot_widget, p.view_box, 50, 2.0))
    qtbot.waitUntil(lambda: p.readout.text().startswith(("step 49", "step 50", "step 51")), timeout=2000)
    assert "loss 2.0" in p.readout.text() or "loss 1.9" in p.readout.text()
    assert p._cross.isVisible()


def test_other_runs_overlay_in_their_own_colours_and_go_away(show):
    p = show(LossPlot())
    steps = np.arange(1, 51)
    p.append_steps(steps, np.linspace(2, 1, 50))
    p.add_run("a", steps, np.linspace(2.2, 0.8, 50), "run a")
    p.add_run("b", steps, np.linspace(2.4, 1.2, 50), "run b", epoch_steps=[25, 50], val_losses=[1.5, 1.3])
    assert p.run_ids() == ["a", "b"]
    ca = p.overlay_items("a")[0].opts["pen"].color()
    cb = p.overlay_items("b")[0].opts["pen"].color()
    own = {p.theme.train.name(), p.theme.val.name()}
    assert ca.name() != cb.name() and not ({ca.name(), cb.name()} & own)
    x, y = p.overlay_items("a")[0].getOriginalDataset()
    np.testing.assert_allclose(y, naive_ema(np.linspace(2.2, 0.8, 50), 0.9))
    items_b = p.overlay_items("b")
    assert len(items_b) == 2
    p.remove_run("b")
    assert p.run_ids() == ["a"] and not any(i in p.plot_item.items for i in items_b)
    p.add_run("c", steps, np.ones(50))  # takes the freed colour
    assert p.overlay_items("c")[0].opts["pen"].color().name() == cb.name()


def test_set_smoothing_recomputes_and_clear_forgets_the_run(show):
    p = show(LossPlot())
    y = np.random.default_rng(0).random(300)
    p.append_steps(np.arange(300), y)
    p.set_smoothing(0.5)
    p.flush()
    np.testing.assert_allclose(series_values(p, "smooth")[1], naive_ema(y, 0.5))
    p.add_run("other", np.arange(10), np.ones(10))
    p.clear()
    p.flush()
    assert series_values(p, "raw")[0].size == 0 and p.guide("expected") is None
    assert p.run_ids() == ["other"]


def test_follows_a_dark_palette(show, qtbot):
    p = show(LossPlot())
    p.append_steps([1, 2], [1.0, 0.5])
    p.flush()
    light_bg = pixel(p.plot_widget.grab().toImage(), 5, 5)
    assert light_bg.lightness() > 180
    p.setPalette(dark_palette())
    qtbot.wait(10)
    img = p.plot_widget.grab().toImage()
    assert pixel(img, 5, 5).lightness() < 80
    assert p.theme.dark and close(p.theme.background, dark_palette().color(QPalette.ColorRole.Base), 1)
    axis_text = p.plot_item.getAxis("bottom").textPen().color()
    assert axis_text.lightness() > 180
    assert isinstance(p.series["raw"].item.opts["pen"].color(), QColor)
