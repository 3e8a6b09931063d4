"""graphlab.step.summary's histogram against numpy.histogram, including ranges wider than float64 holds."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from graphlab.step.summary import histogram


@pytest.mark.parametrize("values, bins", [
    ([-1e308, 0.0, 1e308], 4),  # hi - lo overflows: every edge was NaN and every count 0
    ([-1.7e308, -4e307, 0.0, 5e307, 1.79e308, 3.0], 8),
    ([1e308, 1.5e308, 1.7e308], 3),  # (x - lo) · bins overflows although hi - lo does not
    ([-3.0, -1.0, 0.5, 2.0, 7.0], 5),
    (list(np.random.default_rng(0).normal(size=1000)), 32),
])
def test_histogram_counts_and_edges_match_numpy(values, bins):
    x = np.array(values, dtype=np.float64)
    h = histogram(torch.tensor(x), bins=bins)
    assert all(math.isfinite(e) for e in h.edges)
    counts, _ = np.histogram(x / 16, bins=bins)  # numpy bins the same data scaled into its range
    assert h.counts == counts.tolist() and sum(h.counts) == len(values)
    np.testing.assert_allclose(h.edges, np.linspace(x.min() / 16, x.max() / 16, bins + 1) * 16, rtol=1e-12)
    assert (h.underflow, h.overflow, h.nonfinite) == (0, 0, 0)


def test_infinite_bounds_mean_the_largest_float_and_non_finite_values_are_counted_apart():
    h = histogram(torch.tensor([-1e308, 1.0, 1e308, math.inf, math.nan], dtype=torch.float64), bins=2,
                  lo=-math.inf, hi=math.inf)
    assert h.edges == [-1.7976931348623157e308, 0.0, 1.7976931348623157e308]
    assert h.counts == [1, 2] and h.nonfinite == 2
    fixed = histogram(torch.tensor([-1e308, 0.0, 1e308], dtype=torch.float64), bins=2, lo=-1.0, hi=1.0)
    assert (fixed.underflow, fixed.counts, fixed.overflow) == (1, [0, 1], 1)
