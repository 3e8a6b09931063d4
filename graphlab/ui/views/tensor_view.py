"""TensorView: one tensor for the stepper — numbers, feature maps or a histogram, plus its statistics.

The header names the tensor, its shape and dtype; a stats line gives mean, std, min, max (over the
finite values) and the count of NaN/inf in the error colour. The body depends on the tensor:

- ≤ 64 elements: a table of the numbers, shape-aware — a scalar is one cell, a vector a row (rows
  of 8 when longer than 16), a matrix its grid, higher ranks rows of the last axis labelled by their
  leading indices ("[0, 1, :]"). Cells are tinted by sign and size; tooltips give full precision.
- Feature maps: a 4-D [N, C, H, W] tensor shows sample 0's channels as an :class:`ImageMosaic`
  (≤ 64 tiles, each normalised on its own); a 3-D [C, H, W] tensor too (H, W ≥ 4).
- Otherwise: a 64-bin histogram of the finite values.

API::

    tv = TensorView()
    tv.set_array(arr, name="output", layout=None)   # numpy (or anything np.asarray takes)
        # layout forces a body: "table" (first 64 values), "images", "hist"
    tv.set_summary(shape, mean=.., std=.., min=.., max=.., name="", dtype="float32",
                   preview=None, hist=None, images=None, nonfinite=0)
        # for records that carry summaries: preview = ≤ 64 values; hist = (counts, edges) with
        # len(counts) == len(edges) - 1, or len(edges) + 1 with under/overflow first and last;
        # images = [C, H, W]
    tv.mode                 # "table" | "images" | "hist" | "empty"
    tv.table_values()       # the numbers the table shows, as a 2-D array
    tv.hist_counts()        # the bar heights the histogram shows
    tv.header.text(), tv.stats.text(); tv.mosaic (ImageMosaic); tv.clear()
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (QHeaderView, QLabel, QSizePolicy, QStackedWidget, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from .image_mosaic import ImageMosaic
from .theme import ThemedView, apply_plot_theme, fmt, make_theme, set_axis_label

TABLE_MAX = 64
HIST_BINS = 64


def table_layout(shape: tuple[int, ...]) -> tuple[int, int, list[str], list[str]]:
    """(rows, cols, row labels, column labels) for a tensor of ≤ 64 elements."""
    n = int(np.prod(shape)) if shape else 1
    if len(shape) == 0:
        return 1, 1, [""], [""]
    if len(shape) == 1:
        cols = n if n <= 16 else 8
        rows = max(1, math.ceil(n / cols))
        return rows, cols, [str(r * cols) for r in range(rows)], [str(c) if rows == 1 else f"+{c}" for c in range(cols)]
    if len(shape) == 2:
        return shape[0], shape[1], [str(r) for r in range(shape[0])], [str(c) for c in range(shape[1])]
    lead = shape[:-1]
    rows = int(np.prod(lead))
    labels = ["[" + ", ".join(str(i) for i in idx) + ", :]" for idx in np.ndindex(*lead)]
    return rows, shape[-1], labels, [str(c) for c in range(shape[-1])]


def finite_stats(a: np.ndarray) -> tuple[float, float, float, float, int]:
    """(mean, std, min, max) over finite values, and the count of non-finite ones."""
    flat = np.asarray(a, dtype=np.float64).reshape(-1)
    ok = np.isfinite(flat)
    bad = int(flat.size - ok.sum())
    f = flat[ok] if bad else flat
    if f.size == 0:
        return (math.nan,) * 4 + (bad,)  # type: ignore[return-value]
    return float(f.mean()), float(f.std()), float(f.min()), float(f.max()), bad


class TensorView(ThemedView, QWidget):

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = make_theme(self.palette())
        self.mode = "empty"
        self._table_vals = np.zeros((0, 0))
        self._hist = np.zeros(0)
        self.header = QLabel("")
        f = QFont(self.header.font())
        f.setBold(True)
        self.header.setFont(f)
        self.stats = QLabel("")
        self.stats.setTextFormat(Qt.TextFormat.RichText)
        self.stats.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.note = QLabel("")
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.mosaic = ImageMosaic()
        self.hist_widget = pg.PlotWidget()
        self.hist_plot: pg.PlotItem = self.hist_widget.getPlotItem()
        self.hist_plot.setMenuEnabled(False, True)
        self.hist_plot.hideButtons()
        self.hist_plot.getAxis("left").enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x=np.zeros(1), height=np.zeros(1), width=1.0)
        self.hist_plot.addItem(self.bars)
        self.empty = QLabel("")
        self.stack = QStackedWidget()
        for w in (self.empty, self.table, self.mosaic, self.hist_widget):
            self.stack.addWidget(w)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        lay.addWidget(self.header)
        lay.addWidget(self.stats)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.note)
        self._apply_theme()
        self._ready = True

    # -- inputs -------------------------------------------------------------------------------------------
    def set_array(self, arr: Any, *, name: str = "", layout: str | None = None) -> None:
        a = np.asarray(arr)
        if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
            raise ValueError(f"{name or 'tensor'}: expected numbers, got dtype {a.dtype}")
        mean, std, lo, hi, bad = finite_stats(a)
        self._set_head(name, tuple(a.shape), str(a.dtype), mean, std, lo, hi, bad)
        mode = layout or self._auto_mode(a.shape)
        self.note.setText("")
        if mode == "table":
            flat = a.reshape(-1)[:TABLE_MAX]
            shape = tuple(a.shape) if a.size <= TABLE_MAX else (flat.size,)
            if a.size > TABLE_MAX:
                self.note.setText(f"first {TABLE_MAX} of {a.size:,} values")
            self._show_table(flat.reshape(shape))
        elif mode == "images":
            self._show_images(a)
        elif mode == "hist":
            flat = a.reshape(-1).astype(np.float64)
            fin = flat[np.isfinite(flat)]
            if fin.size:
                lo_, hi_ = float(fin.min()), float(fin.max())
                if hi_ <= lo_:
                    lo_, hi_ = lo_ - 0.5, hi_ + 0.5
                counts, edges = np.histogram(fin, bins=HIST_BINS, range=(lo_, hi_))
            else:
                counts, edges = np.zeros(HIST_BINS), np.linspace(0, 1, HIST_BINS + 1)
            self._show_hist(counts, edges)
        else:
            raise ValueError(f"layout must be 'table', 'images' or 'hist', got {layout!r}")

    def set_summary(self, shape: Sequence[int], *, mean: float, std: float, min: float, max: float,  # noqa: A002
                    name: str = "", dtype: str = "float32", preview: Any = None, hist: Any = None,
                    images: Any = None, nonfinite: int = 0, image_columns: int | None = None,
                    image_captions: bool = True, image_tooltips: Sequence[str] | None = None) -> None:
        """Show a tensor from its summary. ``images`` [C, H, W] (or [N, C, H, W]: sample 0) as a mosaic in
        ``image_columns`` columns (None: a square grid), captioned "ch i" unless ``image_captions`` is
        False, with ``image_tooltips`` per tile (default: the tile's name and value range)."""
        shape = tuple(int(s) for s in shape)
        self._set_head(name, shape, dtype, mean, std, min, max, nonfinite)
        n = int(np.prod(shape)) if shape else 1
        self.note.setText("")
        if preview is not None and n <= TABLE_MAX:
            self._show_table(np.asarray(preview).reshape(shape))
        elif images is not None:
            self._show_images(np.asarray(images), image_columns, image_captions, image_tooltips)
        elif hist is not None:
            counts, edges = hist
            self._show_hist(np.asarray(counts, dtype=np.float64), np.asarray(edges, dtype=np.float64))
        elif preview is not None:
            p = np.asarray(preview).reshape(-1)
            self.note.setText(f"first {p.size} of {n:,} values")
            self._show_table(p)
        else:
            self._set_mode("empty")

    def clear(self) -> None:
        self.header.setText("")
        self.stats.setText("")
        self.note.setText("")
        self._set_mode("empty")

    # -- bodies ----------------------------------------------------------------------------------------------
    @staticmethod
    def _auto_mode(shape: tuple[int, ...]) -> str:
        n = int(np.prod(shape)) if shape else 1
        if n <= TABLE_MAX:
            return "table"
        if len(shape) == 4 and shape[2] >= 2 and shape[3] >= 2:
            return "images"
        if len(shape) == 3 and shape[1] >= 4 and shape[2] >= 4:
            return "images"
        return "hist"

    def _set_head(self, name: str, shape: tuple[int, ...], dtype: str, mean: float, std: float,
                  lo: float, hi: float, bad: int) -> None:
        shp = "[" + ", ".join(str(s) for s in shape) + "]"
        self.header.setText(f"{name}  {shp}  {dtype}".strip())
        text = f"mean {fmt(mean)} · std {fmt(std)} · min {fmt(lo)} · max {fmt(hi)}"
        if bad:
            text += f' · <span style="color:{self.theme.error.name()}">{bad:,} NaN/inf</span>'
        self.stats.setText(text)

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.stack.setCurrentWidget({"empty": self.empty, "table": self.table, "images": self.mosaic,
                                     "hist": self.hist_widget}[mode])

    def _show_table(self, a: np.ndarray) -> None:
        rows, cols, rlab, clab = table_layout(tuple(a.shape))
        flat = a.reshape(-1).astype(np.float64)
        vals = np.full(rows * cols, np.nan)
        vals[: flat.size] = flat
        vals = vals.reshape(rows, cols)
        self._table_vals = vals
        self._table_src = a
        self.table.clear()
        self.table.setRowCount(rows)
        self.table.setColumnCount(cols)
        self.table.setVerticalHeaderLabels(rlab)
        self.table.setHorizontalHeaderLabels(clab)
        fin = np.abs(flat[np.isfinite(flat)])
        scale = float(fin.max()) if fin.size and fin.max() > 0 else 1.0
        for i in range(flat.size):
            r, c = divmod(i, cols)
            v = float(flat[i])
            item = QTableWidgetItem(fmt(v))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(repr(v))
            if math.isfinite(v):
                if v != 0:
                    tint = self.theme.faint(self.theme.train if v > 0 else self.theme.val, 0.08 + 0.4 * abs(v) / scale)
                    item.setBackground(QBrush(tint))
            else:
                item.setForeground(QBrush(self.theme.error))
            self.table.setItem(r, c, item)
        self._set_mode("table")

    def _show_images(self, a: np.ndarray, columns: int | None = None, captions: bool = True,
                     tooltips: Sequence[str] | None = None) -> None:
        note = ""
        if a.ndim == 4:
            note = f"sample 0 of {a.shape[0]}" if a.shape[0] > 1 else ""
            a = a[0]
        if a.ndim != 3:
            raise ValueError(f"feature maps must be [C, H, W] or [N, C, H, W], got shape {a.shape}")
        c = a.shape[0]
        self.mosaic.set_tiles(a.astype(np.float32, copy=False),
                              captions=[f"ch {i}" for i in range(min(c, 64))] if captions else None,
                              tooltips=tooltips, columns=columns)
        if self.mosaic.truncated:
            note += (" · " if note else "") + f"first 64 of {c} channels"
        self.note.setText(note)
        self._set_mode("images")

    def _show_hist(self, counts: np.ndarray, edges: np.ndarray) -> None:
        e = edges
        if counts.size == e.size + 1:  # under, bins..., over
            w = float(np.mean(np.diff(e)))
            centres = np.concatenate([[e[0] - w], (e[:-1] + e[1:]) / 2, [e[-1] + w]])
            widths = np.concatenate([[w], np.diff(e), [w]])
            brushes = [pg.mkBrush(self.theme.train)] * counts.size
            brushes[0] = brushes[-1] = pg.mkBrush(self.theme.warning)
        elif counts.size == e.size - 1:
            centres = (e[:-1] + e[1:]) / 2
            widths = np.diff(e)
            brushes = [pg.mkBrush(self.theme.train)] * counts.size
        else:
            raise ValueError(f"{counts.size} histogram counts for {e.size} bin edges")
        self._hist = counts.astype(np.float64)
        self.bars.setOpts(x=centres, height=self._hist, width=widths * 0.92, brushes=brushes, pen=pg.mkPen(None))
        self.hist_plot.autoRange()
        self._set_mode("hist")

    def table_values(self) -> np.ndarray:
        return self._table_vals.copy()

    def hist_counts(self) -> np.ndarray:
        return self._hist.copy()

    # -- theme ---------------------------------------------------------------------------------------------------
    def _apply_theme(self) -> None:
        self.hist_widget.setBackground(self.theme.background)
        apply_plot_theme(self.hist_plot, self.theme)
        set_axis_label(self.hist_plot, "bottom", "value", self.theme)
        set_axis_label(self.hist_plot, "left", "count", self.theme)
        if self.mode == "table":  # cell tints come from the theme
            self._show_table(self._table_src)
