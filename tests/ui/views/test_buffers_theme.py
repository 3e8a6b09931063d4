"""Buffers, the EMA and colour mapping used by every view (no widgets needed)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphlab.ui.views.buffers import Ema, GrowBuffer, RowBuffer
from graphlab.ui.views.theme import fmt, nice_levels, to_index


def naive(y, a):
    s, out = 0.0, []
    for t, v in enumerate(y, 1):
        s = a * s + (1 - a) * v
        out.append(s / (1 - a ** t))
    return np.array(out)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=3000), st.sampled_from([0.0, 0.5, 0.9, 0.99, 0.999]),
       st.integers(1, 700))
def test_ema_in_pieces_equals_one_pass_and_the_definition(y, alpha, piece):
    y = np.array(y)
    whole = Ema(alpha).extend(y)
    e = Ema(alpha)
    parts = np.concatenate([e.extend(y[i:i + piece]) for i in range(0, y.size, piece)])
    np.testing.assert_allclose(whole, naive(y, alpha), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(parts, whole, rtol=1e-9, atol=1e-6)


def test_ema_rejects_bad_smoothing():
    with pytest.raises(ValueError, match="smoothing"):
        Ema(1.0)


def test_grow_buffer_views_never_change_under_a_plot():
    b = GrowBuffer(capacity=2)
    b.append([1.0, 2.0])
    v = b.view()
    b.append(np.arange(100.0))  # reallocates
    b.append(7.0)
    assert v.tolist() == [1.0, 2.0] and len(b) == 103 and b.last() == 7.0
    b.clear()
    assert v.tolist() == [1.0, 2.0] and len(b) == 0
    r = RowBuffer(3)
    r.append([1, 2, 3])
    r.append(np.ones((70, 3)))
    assert r.view().shape == (71, 3)
    with pytest.raises(ValueError, match="row of 2 values where 3"):
        r.append([1, 2])


def test_to_index_maps_levels_nan_and_infinities():
    idx = to_index(np.array([np.nan, -np.inf, -1.0, 0.0, 0.5, 1.0, 2.0, np.inf]), 0.0, 1.0)
    assert idx.dtype == np.uint8
    assert idx.tolist() == [0, 1, 1, 1, 128, 255, 255, 255]
    assert to_index(np.array([3.0]), 3.0, 3.0).tolist() == [1]  # no span: the bottom colour


def test_nice_levels_and_fmt():
    assert nice_levels(np.array([-2.3, -0.4, np.nan, -np.inf])) == (-3.0, 0.0)
    assert nice_levels(np.array([np.nan])) == (0.0, 1.0)
    assert fmt(-0.000123456) == "−0.0001235" and fmt(float("nan")) == "NaN" and fmt(1234) == "1,234"
    assert fmt(None) == "–" and fmt(float("-inf")) == "−inf"


def test_one_number_format_for_views_and_the_stepper():
    """The stepper's captions and the views' readouts write numbers by the same rules: integers (Python,
    numpy, and whole floats below a million) in full with separators and a real minus sign."""
    from graphlab.ui import numbers
    from graphlab.ui.stepper import frames
    from graphlab.ui.views import theme

    assert frames.fmt is numbers.fmt and theme.fmt is numbers.fmt
    for v in (-4, np.int64(-4), -4.0, np.float32(-4.0)):
        assert fmt(v) == "−4", v
    assert fmt(12345) == fmt(12345.0) == fmt(np.int32(12345)) == "12,345"
    assert fmt(2.5e6) == "2.5e+06" and fmt(True) == "1" and fmt(0.125, 2) == "0.12"
    assert fmt(3.0) == "3" and fmt(-12.0) == "−12" and fmt(1 / 3) == "0.3333"


def test_views_follow_the_palette_through_one_mixin():
    from graphlab.ui.views import (ConfusionMatrixView, DatasetPreview, GradientFlowView, HeatmapView, PlotPanel,
                                   TensorView)
    from graphlab.ui.views.matrix_plot import MatrixPlot
    from graphlab.ui.views.theme import ThemedView

    for cls in (ConfusionMatrixView, DatasetPreview, GradientFlowView, HeatmapView, MatrixPlot, PlotPanel,
                TensorView):
        assert issubclass(cls, ThemedView), cls
        assert "changeEvent" not in vars(cls), f"{cls.__name__} repeats the palette handler"
