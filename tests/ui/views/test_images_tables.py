"""ImageMosaic, ConfusionMatrixView, TensorView and DatasetPreview: what they hold and draw."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from graphlab.ui.views import ConfusionMatrixView, DatasetPreview, ImageMosaic, TensorView
from graphlab.ui.views.image_mosaic import as_tiles

from .conftest import close, mouse_click, mouse_move, pixel


# -- ImageMosaic -------------------------------------------------------------------------------------------
def test_each_tile_is_normalised_on_its_own(show):
    m = show(ImageMosaic(), 400, 300)
    ramp = np.tile(np.linspace(0, 1, 8, dtype=np.float32), (8, 1))
    m.set_tiles(np.stack([ramp * 1000, ramp - 5, np.full((8, 8), 3.0)]), captions=["big", "shifted", "flat"])
    np.testing.assert_allclose(m.normalized[0], ramp, atol=1e-6)
    np.testing.assert_allclose(m.normalized[1], ramp, atol=1e-6)
    assert np.all(m.normalized[2] == 0.5)  # a constant tile is mid grey, not black
    img = m.grab().toImage()
    for i in (0, 1):
        r = m.tile_rect(i)
        left = pixel(img, r.left() + 1, r.center().y())
        right = pixel(img, r.right() - 1, r.center().y())
        assert left.lightness() < 20 and right.lightness() > 235
    c = pixel(img, m.tile_rect(2).center().x(), m.tile_rect(2).center().y())
    assert 110 < c.lightness() < 145
    assert m.tooltip_for(0) == "big\nmin 0 · max 1,000"


def test_rgb_filters_channel_first_and_channel_last(show):
    m = show(ImageMosaic(), 300, 300)
    f = np.zeros((2, 3, 4, 4), np.float32)
    f[0, 0] = 1.0  # a red filter
    f[1, 2] = 1.0  # a blue one
    m.set_tiles(f)
    assert m.normalized.shape == (2, 4, 4, 3)
    img = m.grab().toImage()
    red = pixel(img, m.tile_rect(0).center().x(), m.tile_rect(0).center().y())
    blue = pixel(img, m.tile_rect(1).center().x(), m.tile_rect(1).center().y())
    assert (red.red(), red.green(), red.blue()) == (255, 0, 0)
    assert (blue.red(), blue.green(), blue.blue()) == (0, 0, 255)
    a, rgb = as_tiles(np.moveaxis(f, 1, -1))
    assert rgb and a.shape == (2, 4, 4, 3)
    a, rgb = as_tiles(np.zeros((5, 1, 6, 7)))
    assert not rgb and a.shape == (5, 6, 7)


def test_mosaic_keeps_at_most_64_tiles_and_lays_them_out(show):
    m = show(ImageMosaic(), 500, 500)
    m.set_tiles(np.random.default_rng(0).random((100, 5, 5)))
    assert m.count == 64 and m.truncated == 36 and (m.columns, m.rows) == (8, 8)
    rects = [m.tile_rect(i) for i in range(64)]
    assert all(not rects[i].intersects(rects[j]) for i in range(0, 64, 7) for j in range(i + 1, 64, 5))
    assert m.tile_at(rects[10].center()) == 10 and m.tile_at(QPointF(-5, -5)) == -1


def test_mosaic_click_and_bad_shapes(show, qtbot):
    m = show(ImageMosaic(), 300, 300)
    m.set_tiles(np.zeros((4, 6, 6)))
    with qtbot.waitSignal(m.tile_clicked, timeout=1000) as sig:
        mouse_click(m, m.tile_rect(3).center().toPoint())
    assert sig.args == [3]
    with pytest.raises(ValueError, match="5 channels"):
        m.set_tiles(np.zeros((2, 5, 4, 4)))
    with pytest.raises(ValueError, match="share one shape"):
        m.set_tiles([np.zeros((3, 3)), np.zeros((4, 4))])


def test_mosaic_clear_empties_it(show):
    """clear() used to fail: an empty array cannot be reshaped to (0, -1)."""
    m = show(ImageMosaic(), 200, 200)
    m.set_tiles(np.ones((3, 4, 4)))
    m.clear()
    assert m.count == 0 and m.rows == 0
    m.grab()  # paints the empty mosaic


# -- ConfusionMatrixView ---------------------------------------------------------------------------------------
def test_confusion_counts_row_shares_and_summary(show):
    cm = show(ConfusionMatrixView(), 400, 400)
    counts = np.array([[8, 2, 0], [0, 5, 5], [0, 0, 0]])
    cm.set_matrix(counts, ["cat", "dog", "eel"])
    np.testing.assert_allclose(cm.shares, [[0.8, 0.2, 0], [0, 0.5, 0.5], [0, 0, 0]])
    assert cm.summary.text() == "accuracy 65.0 % (13 / 20)"
    assert cm.readout_for(1, 2) == "true dog → predicted eel: 5 (50.0 % of dog)"
    img = cm.canvas.grab().toImage()
    full = cm.canvas.cell_rect(0, 0).center()
    empty = cm.canvas.cell_rect(2, 0).center()
    assert close(pixel(img, full.x() - 8, full.y() - 8), cm.canvas.cell_color(0, 0), 3)
    assert close(pixel(img, empty.x() - 8, empty.y() - 8), cm.theme.background, 3)  # empty reads as empty
    assert cm.canvas.cell_color(0, 0).lightness() != cm.canvas.cell_color(0, 1).lightness()


def test_confusion_hover_with_the_mouse(show, qtbot):
    cm = show(ConfusionMatrixView(), 400, 400)
    cm.set_matrix(np.eye(4, dtype=int) * 3 + 1)
    with qtbot.waitSignal(cm.cell_hovered, timeout=1000) as sig:
        mouse_move(cm.canvas, cm.canvas.cell_rect(2, 3).center().toPoint())
    assert sig.args == [2, 3]
    assert cm.readout.text() == "true 2 → predicted 3: 1 (14.3 % of 2)"
    with pytest.raises(ValueError, match="square"):
        cm.set_matrix(np.zeros((2, 3)))


# -- TensorView --------------------------------------------------------------------------------------------------
def test_small_tensors_are_shape_aware_tables(show):
    tv = show(TensorView(), 500, 400)
    m = np.array([[-2.0, 5.0, -4.0], [3.0, -12.0, 1.0]])
    tv.set_array(m, name="grad")
    assert tv.mode == "table" and (tv.table.rowCount(), tv.table.columnCount()) == (2, 3)
    np.testing.assert_array_equal(tv.table_values(), m)
    assert tv.table.item(1, 1).text() == "−12"
    assert tv.header.text() == "grad  [2, 3]  float64"
    assert tv.stats.text() == "mean −1.5 · std 5.56 · min −12 · max 5"
    tv.set_array(np.arange(40.0))
    assert (tv.table.rowCount(), tv.table.columnCount()) == (5, 8)
    assert tv.table.verticalHeaderItem(2).text() == "16" and tv.table.item(2, 3).text() == "19"
    tv.set_array(np.arange(24.0).reshape(2, 3, 4))
    assert (tv.table.rowCount(), tv.table.columnCount()) == (6, 4)
    assert tv.table.verticalHeaderItem(4).text() == "[1, 1, :]" and tv.table.item(4, 0).text() == "16"
    tv.set_array(np.float32(3.5))
    assert tv.table_values().tolist() == [[3.5]]


def test_feature_maps_become_a_mosaic_and_the_rest_a_histogram(show):
    tv = show(TensorView(), 500, 400)
    fm = np.random.default_rng(0).random((2, 8, 12, 12)).astype(np.float32)
    tv.set_array(fm, name="conv1")
    assert tv.mode == "images" and tv.mosaic.count == 8
    np.testing.assert_allclose(tv.mosaic.normalized[3], (fm[0, 3] - fm[0, 3].min()) / np.ptp(fm[0, 3]), atol=1e-6)
    assert tv.note.text() == "sample 0 of 2"
    v = np.random.default_rng(1).normal(size=1000)
    v[:3] = np.nan
    tv.set_array(v, name="fc")
    assert tv.mode == "hist" and tv.hist_counts().sum() == 997
    assert "3 NaN/inf" in tv.stats.text()
    assert f"mean {np.nanmean(v):.4g}".replace("-", "−") in tv.stats.text()
    tv.set_array(np.arange(100.0), layout="table")
    assert tv.note.text() == "first 64 of 100 values" and tv.table_values().size == 64


def test_summaries_from_the_stepper(show):
    tv = show(TensorView(), 500, 400)
    edges = np.linspace(-1, 1, 5)
    tv.set_summary((8, 100), mean=0.1, std=0.5, min=-3, max=2, name="h", hist=([2, 1, 1, 1, 1, 4], edges))
    assert tv.mode == "hist" and tv.hist_counts().tolist() == [2, 1, 1, 1, 1, 4]
    assert len(tv.bars.opts["x"]) == 6  # under- and overflow bars outside the range
    tv.set_summary((2, 2), mean=1.0, std=0.5, min=0.5, max=1.5, preview=[0.5, 1, 1, 1.5])
    assert tv.mode == "table" and tv.table_values().tolist() == [[0.5, 1.0], [1.0, 1.5]]
    with pytest.raises(ValueError, match="expected numbers"):
        tv.set_array(np.array(["a"]))


# -- DatasetPreview -----------------------------------------------------------------------------------------------
def test_points_coloured_by_class_with_counts(show):
    dp = show(DatasetPreview(), 400, 400)
    x = np.random.default_rng(0).normal(size=(30, 2))
    y = np.array([0] * 10 + [1] * 15 + [2] * 5)
    dp.show_points(x, y, ["a", "b", "c"])
    assert dp.mode == "points"
    sx, sy = dp.scatter.getData()
    np.testing.assert_array_equal(sx, x[:, 0])
    brushes = [p.brush().color().name() for p in dp.scatter.points()]
    assert len({brushes[i] for i in range(10)}) == 1 and brushes[0] != brushes[12] != brushes[-1]
    assert dp.info.text() == "30 samples · sample shape (2,) · 3 classes: a: 10 · b: 15 · c: 5"


def test_images_and_sequences(show):
    dp = show(DatasetPreview(), 500, 400)
    imgs = np.random.default_rng(0).random((100, 1, 8, 8))
    labels = np.arange(100) % 4
    dp.show_images(imgs, labels, ["zero", "one", "two", "three"])
    assert dp.mode == "images" and dp.mosaic.count == 64
    assert dp.mosaic.captions[:5] == ["zero", "one", "two", "three", "zero"]
    assert dp.info.text().startswith("100 samples · sample shape (1, 8, 8) · 4 classes: zero: 25")
    seqs = np.random.default_rng(1).random((10, 20, 2))
    dp.show_sequences(seqs, targets=np.arange(10.0))
    assert dp.mode == "sequences"
    assert len(dp.seq_curves) == 2
    x, y = dp.seq_curves[0].getData()
    assert x.size == 6 * 20  # six sequences of 20 steps in one item
    connect = dp.seq_curves[0].opts["connect"]
    assert connect.sum() == 6 * 19 and not connect[19] and connect[18]  # no line from one sequence to the next
    assert dp.info.text() == "10 sequences · sample shape (20, 2) · 2 features · showing 6"
    with pytest.raises(ValueError, match=r"points must be \[N, 2\]"):
        dp.show_points(np.zeros((5, 3)))


def test_uint8_images_are_shown_as_they_are(show):
    dp = show(DatasetPreview(), 300, 300)
    imgs = np.zeros((2, 4, 4, 3), np.uint8)
    imgs[0] = 128  # a flat mid-grey picture stays mid grey; a stretched tile would be too
    imgs[1, ..., 1] = 255
    dp.show_images(imgs, [0, 1])
    np.testing.assert_allclose(dp.mosaic.normalized[0], 128 / 255, atol=1e-6)
    assert dp.mosaic.normalized[1][..., 1].min() == 1.0 and dp.mosaic.normalized[1][..., 0].max() == 0.0


def test_gradient_flow_before_nodes_are_set(show):
    from graphlab.ui.views import GradientFlowView

    g = show(GradientFlowView())
    g.append(1, {"a": 1.0})  # no nodes yet: nothing to show, nothing breaks
    g.select_node("a")
    g.flush()
    assert g.selected_node is None and g.grad_matrix.values.shape == (0, 1)
