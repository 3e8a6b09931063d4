"""DatasetPreview: what a dataset looks like — 2-D points by class, sample images, or sequences.

One widget with three pages and an info line giving the sample shape and the class counts (over
every sample given, not only those drawn):

- ``show_points(points, labels=None, class_names=None)``: a scatter of [N, 2] points coloured by
  class (the spiral), one ScatterPlotItem.
- ``show_images(images, labels=None, class_names=None)``: a grid of up to 64 samples
  ([N, H, W], [N, 1|3, H, W] or [N, H, W, 3]) captioned with their class, via :class:`ImageMosaic`
  (uint8 images are shown as they are, others with each tile stretched to its own range).
- ``show_sequences(seqs, targets=None, max_sequences=6)``: [N, T] or [N, T, F] sequences, each in
  its own band (scaled to the band, features in distinct colours), drawn as one PlotCurveItem per
  feature with a ``connect`` array (stack facts: cheaper than one item per line), the target
  written at the right of each band.

API::

    dp = DatasetPreview()
    dp.show_points(X, y, class_names=["a", "b", "c"]); dp.show_images(imgs, y, names)
    dp.show_sequences(seqs, targets); dp.clear()
    dp.mode                 # "points" | "images" | "sequences" | "empty"
    dp.info.text()          # "2,000 samples · sample shape (2,) · 3 classes: a: 700 · b: 700 · c: 600"
    dp.scatter, dp.mosaic, dp.seq_curves   # the items, for tests
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget

from .image_mosaic import MAX_TILES, ImageMosaic
from .theme import ThemedView, apply_plot_theme, fmt, make_theme


def class_counts(labels: Any) -> tuple[np.ndarray, np.ndarray]:
    lab = np.asarray(labels).reshape(-1)
    classes, counts = np.unique(lab, return_counts=True)
    return classes, counts


class DatasetPreview(ThemedView, QWidget):

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = make_theme(self.palette())
        self.mode = "empty"
        self._labels: np.ndarray | None = None
        self._classes = np.zeros(0)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.points_widget = pg.PlotWidget()
        self.points_plot: pg.PlotItem = self.points_widget.getPlotItem()
        self.points_plot.setMenuEnabled(False, True)
        self.points_plot.hideButtons()
        self.points_plot.setAspectLocked(True)
        self.scatter = pg.ScatterPlotItem(size=5, pxMode=True)
        self.points_plot.addItem(self.scatter)

        self.mosaic = ImageMosaic()

        self.seq_widget = pg.PlotWidget()
        self.seq_plot: pg.PlotItem = self.seq_widget.getPlotItem()
        self.seq_plot.setMenuEnabled(False, True)
        self.seq_plot.hideButtons()
        self.seq_plot.hideAxis("left")
        self.seq_curves: list[pg.PlotCurveItem] = []
        self._seq_texts: list[pg.TextItem] = []

        self.empty = QLabel("")
        self.stack = QStackedWidget()
        for w in (self.empty, self.points_widget, self.mosaic, self.seq_widget):
            self.stack.addWidget(w)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(2)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.info)
        self._apply_theme()
        self._ready = True

    # -- pages ----------------------------------------------------------------------------------------------
    def show_points(self, points: Any, labels: Any = None, class_names: Sequence[str] | None = None) -> None:
        p = np.asarray(points, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != 2:
            raise ValueError(f"points must be [N, 2], got shape {p.shape}")
        self._set_labels(labels, p.shape[0])
        self._draw_points(p)
        self.info.setText(self._info(p.shape[0], (2,), class_names))
        self._set_mode("points")

    def _draw_points(self, p: np.ndarray) -> None:
        self._points = p
        if self._labels is None:
            brushes: Any = pg.mkBrush(self.theme.train)
        else:
            per_class = {c: pg.mkBrush(self.theme.cycle(i)) for i, c in enumerate(self._classes)}
            brushes = [per_class[c] for c in self._labels]
        self.scatter.setData(p[:, 0], p[:, 1], brush=brushes, pen=pg.mkPen(None))
        self.points_plot.autoRange()

    def show_images(self, images: Any, labels: Any = None, class_names: Sequence[str] | None = None) -> None:
        raw = np.asarray(images)
        a = raw.astype(np.float32)
        if a.ndim not in (3, 4):
            raise ValueError(f"images must be [N, H, W], [N, C, H, W] or [N, H, W, C], got shape {a.shape}")
        self._set_labels(labels, a.shape[0])
        caps = None
        if self._labels is not None:
            names = self._names(class_names)
            caps = [names.get(c, str(c)) for c in self._labels[:MAX_TILES]]
        if raw.dtype == np.uint8:  # 8-bit pictures as they are; anything else each tile stretched
            self.mosaic.set_tiles(a[:MAX_TILES] / 255.0, captions=caps, normalize="none")
        else:
            self.mosaic.set_tiles(a[:MAX_TILES], captions=caps)
        self.info.setText(self._info(a.shape[0], a.shape[1:], class_names))
        self._set_mode("images")

    def show_sequences(self, seqs: Any, targets: Any = None, max_sequences: int = 6) -> None:
        s = np.asarray(seqs, dtype=np.float64)
        if s.ndim == 2:
            s = s[..., None]
        if s.ndim != 3:
            raise ValueError(f"sequences must be [N, T] or [N, T, F], got shape {s.shape}")
        n_all = s.shape[0]
        self._labels, self._classes = None, np.zeros(0)
        shown = s[:max_sequences]
        k, t, f = shown.shape
        for item in self.seq_curves[f:]:
            item.setData([], [])
        while len(self.seq_curves) < f:
            c = pg.PlotCurveItem()
            self.seq_plot.addItem(c)
            self.seq_curves.append(c)
        x = np.tile(np.append(np.arange(t, dtype=np.float64), np.nan), k)
        connect = np.tile(np.append(np.ones(t - 1, dtype=bool), [False, False]), k)
        for j in range(f):
            ys = []
            for i in range(k):
                v = shown[i, :, j]
                fin = v[np.isfinite(v)]
                lo, hi = (float(fin.min()), float(fin.max())) if fin.size else (0.0, 1.0)
                band = (v - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)
                ys.append(np.append(-1.25 * i + 0.9 * band, np.nan))
            y = np.concatenate(ys)
            ok = np.isfinite(y)
            self.seq_curves[j].setData(x[ok], y[ok], connect=connect[ok])
            self.seq_curves[j].setPen(pg.mkPen(self.theme.cycle(j), width=1.4))
        for txt in self._seq_texts:
            self.seq_plot.removeItem(txt)
        self._seq_texts = []
        if targets is not None:
            tg = np.asarray(targets)
            for i in range(min(k, tg.shape[0])):
                val = tg[i]
                label = fmt(float(val)) if np.ndim(val) == 0 else "[" + ", ".join(fmt(float(v)) for v in np.ravel(val)[:4]) + "]"
                txt = pg.TextItem(f"→ {label}", color=self.theme.foreground, anchor=(0, 0.5))
                txt.setPos(t - 0.5, -1.25 * i + 0.45)
                self.seq_plot.addItem(txt)
                self._seq_texts.append(txt)
        self.seq_plot.setXRange(0, t + max(3, t * 0.12), padding=0.02)
        self.seq_plot.setYRange(-1.25 * (k - 1) - 0.1, 1.0, padding=0.02)
        extra = f" · {f} features" if f > 1 else ""
        self.info.setText(f"{n_all:,} sequences · sample shape {tuple(s.shape[1:]) if f > 1 else (t,)}"
                          f"{extra} · showing {k}")
        self._set_mode("sequences")

    def clear(self) -> None:
        self.info.setText("")
        self._set_mode("empty")

    # -- helpers --------------------------------------------------------------------------------------------
    def _set_labels(self, labels: Any, n: int) -> None:
        if labels is None:
            self._labels, self._classes = None, np.zeros(0)
            return
        lab = np.asarray(labels).reshape(-1)
        if lab.size != n:
            raise ValueError(f"{lab.size} labels for {n} samples")
        self._labels = lab
        self._classes = np.unique(lab)

    def _names(self, class_names: Sequence[str] | None) -> dict[Any, str]:
        out = {}
        for c in self._classes:
            i = int(c) if isinstance(c, (int, np.integer)) or (isinstance(c, (float, np.floating))
                                                                and float(c).is_integer()) else None
            ok = class_names is not None and i is not None and 0 <= i < len(class_names)
            out[c] = class_names[i] if ok else str(c)  # type: ignore[index]
        return out

    def _info(self, n: int, shape: tuple[int, ...], class_names: Sequence[str] | None) -> str:
        text = f"{n:,} samples · sample shape {tuple(int(s) for s in shape)}"
        if self._labels is not None:
            classes, counts = class_counts(self._labels)
            names = self._names(class_names)
            text += f" · {classes.size} classes: " + " · ".join(f"{names[c]}: {int(k):,}" for c, k in zip(classes, counts))
        return text

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.stack.setCurrentWidget({"empty": self.empty, "points": self.points_widget, "images": self.mosaic,
                                     "sequences": self.seq_widget}[mode])

    def _apply_theme(self) -> None:
        for w, item in ((self.points_widget, self.points_plot), (self.seq_widget, self.seq_plot)):
            w.setBackground(self.theme.background)
            apply_plot_theme(item, self.theme)
        if self.mode == "points":
            self._draw_points(self._points)
        for j, c in enumerate(self.seq_curves):
            c.setPen(pg.mkPen(self.theme.cycle(j), width=1.4))
        for txt in self._seq_texts:
            txt.setColor(self.theme.foreground)
