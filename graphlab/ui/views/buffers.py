"""Append-only numpy buffers for live plots, and an incremental exponential moving average.

``GrowBuffer`` keeps a 1-D array with spare capacity (doubling), so appending one value costs O(1)
amortised and ``view()`` hands the filled part to ``setData`` without a copy. A ``RowBuffer`` does
the same for rows of fixed width (a histogram per sampled step, a vector per node). ``clear()``
allocates fresh storage, so arrays already given to a plot item never change under it.

``Ema`` smooths a series the way TensorBoard does (debiased: the first values are not pulled
towards 0): ``s_t = a·s_{t-1} + (1-a)·y_t``, shown as ``s_t / (1 - a^t)``. ``Ema.extend(y)`` is
vectorised in blocks, so a 10⁶-point history smooths in milliseconds, and continues exactly where
the previous call stopped (appending in pieces gives the same result as one call).
"""
from __future__ import annotations

import math

import numpy as np


class GrowBuffer:
    def __init__(self, dtype: type = np.float64, capacity: int = 256) -> None:
        self._dtype = dtype
        self._data = np.empty(max(capacity, 1), dtype=dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, values: np.ndarray | float) -> None:
        v = np.atleast_1d(np.asarray(values, dtype=self._dtype))
        m = v.shape[0]
        if self._n + m > self._data.shape[0]:
            cap = max(self._data.shape[0] * 2, self._n + m)
            new = np.empty(cap, dtype=self._dtype)
            new[: self._n] = self._data[: self._n]
            self._data = new
        self._data[self._n: self._n + m] = v
        self._n += m

    def view(self) -> np.ndarray:
        """The filled part (no copy; later appends never change it)."""
        return self._data[: self._n]

    def last(self) -> float | None:
        return float(self._data[self._n - 1]) if self._n else None

    def clear(self) -> None:
        self._data = np.empty(256, dtype=self._dtype)
        self._n = 0

    @property
    def nbytes(self) -> int:
        return self._data.nbytes


class RowBuffer:
    """Rows of a fixed width, appended one or many at a time."""

    def __init__(self, width: int, dtype: type = np.float64, capacity: int = 64) -> None:
        self.width = width
        self._dtype = dtype
        self._data = np.empty((max(capacity, 1), width), dtype=dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, rows: np.ndarray) -> None:
        r = np.asarray(rows, dtype=self._dtype)
        if r.ndim == 1:
            r = r[None, :]
        if r.shape[1] != self.width:
            raise ValueError(f"row of {r.shape[1]} values where {self.width} are expected")
        m = r.shape[0]
        if self._n + m > self._data.shape[0]:
            cap = max(self._data.shape[0] * 2, self._n + m)
            new = np.empty((cap, self.width), dtype=self._dtype)
            new[: self._n] = self._data[: self._n]
            self._data = new
        self._data[self._n: self._n + m] = r
        self._n += m

    def view(self) -> np.ndarray:
        return self._data[: self._n]

    def clear(self) -> None:
        self._data = np.empty((64, self.width), dtype=self._dtype)
        self._n = 0


class Ema:
    """Debiased exponential moving average over an appended series (``alpha`` = weight of the past)."""

    def __init__(self, alpha: float = 0.9) -> None:
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {alpha}")
        self.alpha = alpha
        self._s = 0.0  # biased running value
        self._t = 0  # values seen
        # block length so that alpha**-block stays far from overflow (≤ 1e30)
        self._block = 1024 if alpha == 0.0 else max(1, min(1024, int(30 * math.log(10) / -math.log(alpha))))

    def reset(self) -> None:
        self._s = 0.0
        self._t = 0

    def extend(self, y: np.ndarray) -> np.ndarray:
        """Smoothed values for ``y`` (finite values only), continuing the running state."""
        y = np.asarray(y, dtype=np.float64)
        out = np.empty_like(y)
        a = self.alpha
        if y.size == 1:  # the common live case, without numpy overhead
            self._s = a * self._s + (1.0 - a) * float(y[0])
            self._t += 1
            out[0] = self._s / (1.0 - a ** self._t)
            return out
        for start in range(0, y.size, self._block):
            chunk = y[start: start + self._block]
            m = chunk.size
            p = a ** np.arange(1, m + 1, dtype=np.float64)  # a^(i+1)
            if a == 0.0:
                s = chunk.copy()
            else:
                s = p * self._s + (1.0 - a) * (p / a) * np.cumsum(chunk / (p / a))
            self._s = float(s[-1])
            t = self._t + np.arange(1, m + 1)
            out[start: start + m] = s / (1.0 - a ** t)
            self._t += m
        return out
