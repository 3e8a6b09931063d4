"""ConfusionMatrixView: counts per (true class, predicted class) with row-normalised colour.

Rows are the true classes, columns the predicted ones. A cell's colour is its share of the row
(the recall picture: a perfect classifier is a dark diagonal), on a ramp from the palette's
background to its highlight colour, so empty reads as empty in light and dark palettes. Each cell
shows its count (text in black or white, whichever reads on the cell) when cells are large
enough; class names label both axes. Hovering a cell fills the readout and emits
``cell_hovered(row, col)``.

API::

    cm = ConfusionMatrixView()
    cm.set_matrix(counts, class_names=None)    # (C, C) non-negative counts; names default to 0..C-1
    cm.counts, cm.shares                      # int array; row-normalised float array (0 for an empty row)
    cm.readout.text()                         # "true cat → predicted dog: 12 (8.0 % of cat)"
    cm.summary.text()                         # "accuracy 91.2 % (912 / 1,000)"
    cm.canvas.cell_rect(r, c) / cell_at(QPointF) / cell_color(r, c)
    cm.hover_cell(r, c); cm.clear()
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .theme import ThemedView, lut_color, make_lut, make_theme, to_index


class ConfusionCanvas(QWidget):
    hovered = Signal(int, int)

    def __init__(self, owner: ConfusionMatrixView) -> None:
        super().__init__(owner)
        self.owner = owner
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(320, 300)

    # -- geometry -------------------------------------------------------------------------------------------
    def _margins(self) -> tuple[float, float]:
        fm = QFontMetricsF(self.owner.theme.font)
        names = self.owner.class_names
        left = max((fm.horizontalAdvance(n) for n in names), default=0.0) + fm.height() + 10
        bottom = fm.height() * 2 + 8
        return min(left, self.width() * 0.35), bottom

    def _grid(self) -> tuple[float, float, float]:
        """(cell size, x0, y0)."""
        c = max(self.owner.n_classes, 1)
        left, bottom = self._margins()
        s = max(min((self.width() - left - 6) / c, (self.height() - bottom - 6) / c), 1.0)
        return s, left, 4.0

    def cell_rect(self, r: int, c: int) -> QRectF:
        s, x0, y0 = self._grid()
        return QRectF(x0 + c * s, y0 + r * s, s, s)

    def cell_at(self, pos: QPointF) -> tuple[int, int]:
        s, x0, y0 = self._grid()
        n = self.owner.n_classes
        c, r = int((pos.x() - x0) // s), int((pos.y() - y0) // s)
        return (r, c) if 0 <= r < n and 0 <= c < n and pos.x() >= x0 and pos.y() >= y0 else (-1, -1)

    def cell_color(self, r: int, c: int) -> QColor:
        idx = to_index(self.owner.shares[r:r + 1, c:c + 1], 0.0, 1.0)[0, 0]
        return lut_color(self.owner.lut, int(idx))

    # -- painting -------------------------------------------------------------------------------------------
    def paintEvent(self, ev: QPaintEvent) -> None:  # noqa: N802 - Qt override
        o = self.owner
        t = o.theme
        p = QPainter(self)
        p.fillRect(self.rect(), t.background)
        n = o.n_classes
        if n == 0:
            p.end()
            return
        s, x0, y0 = self._grid()
        fm = QFontMetricsF(t.font)
        idx = to_index(o.shares, 0.0, 1.0)
        show_counts = s >= fm.horizontalAdvance(f"{int(o.counts.max()):,}") + 4 and s >= fm.height()
        small = QFont(t.font)
        p.setFont(small)
        for r in range(n):
            for c in range(n):
                rect = QRectF(x0 + c * s, y0 + r * s, s, s)
                col = lut_color(o.lut, int(idx[r, c]))
                p.fillRect(rect, col)
                if show_counts and o.counts[r, c] > 0:
                    p.setPen(t.contrast_text(col))
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{int(o.counts[r, c]):,}")
        p.setPen(t.grid)
        if s >= 6:
            for i in range(1, n):
                p.drawLine(QPointF(x0 + i * s, y0), QPointF(x0 + i * s, y0 + n * s))
                p.drawLine(QPointF(x0, y0 + i * s), QPointF(x0 + n * s, y0 + i * s))
        p.drawRect(QRectF(x0, y0, n * s, n * s))
        # class names: every k-th so they do not overlap
        p.setPen(t.foreground)
        k = max(1, int(np.ceil(fm.height() / s)))
        left, _ = self._margins()
        for i in range(0, n, k):
            name = fm.elidedText(o.class_names[i], Qt.TextElideMode.ElideRight, left - fm.height() - 8)
            p.drawText(QRectF(fm.height() + 2, y0 + i * s, left - fm.height() - 6, s),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
        kx = max(1, int(np.ceil(max(fm.horizontalAdvance(nm) for nm in o.class_names) / s)))
        for i in range(0, n, kx):
            name = o.class_names[i]
            p.drawText(QRectF(x0 + i * s - s * (kx - 1) / 2, y0 + n * s + 2, s * kx, fm.height()),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, name)
        p.setPen(t.dim)
        p.drawText(QRectF(x0, y0 + n * s + fm.height() + 4, n * s, fm.height()),
                   Qt.AlignmentFlag.AlignHCenter, "predicted")
        p.save()
        p.translate(2, y0 + n * s / 2)
        p.rotate(-90)
        p.drawText(QRectF(-n * s / 2, 0, n * s, fm.height()), Qt.AlignmentFlag.AlignHCenter, "true")
        p.restore()
        if o.hover != (-1, -1):
            r, c = o.hover
            pen = p.pen()
            pen.setColor(t.foreground)
            pen.setWidthF(2.0)
            p.setPen(pen)
            p.drawRect(QRectF(x0 + c * s, y0 + r * s, s, s).adjusted(1, 1, -1, -1))
        p.end()

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.owner.hover_cell(*self.cell_at(ev.position()))

    def leaveEvent(self, ev: QEvent) -> None:  # noqa: N802 - Qt override
        self.owner.hover_cell(-1, -1)


class ConfusionMatrixView(ThemedView, QWidget):
    cell_hovered = Signal(int, int)

    def __init__(self, parent: QWidget | None = None, *, title: str = "Confusion matrix (validation)") -> None:
        super().__init__(parent)
        self.theme = make_theme(self.palette())
        self.lut = make_lut("ramp", self.theme)
        self.counts = np.zeros((0, 0), dtype=np.int64)
        self.shares = np.zeros((0, 0))
        self.class_names: list[str] = []
        self.hover = (-1, -1)
        self.title = QLabel(title)
        f = QFont(self.title.font())
        f.setBold(True)
        self.title.setFont(f)
        self.summary = QLabel("")
        self.readout = QLabel("")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.canvas = ConfusionCanvas(self)
        head = QHBoxLayout()
        head.setContentsMargins(4, 0, 4, 0)
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.summary)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.readout)
        self._ready = True

    @property
    def n_classes(self) -> int:
        return int(self.counts.shape[0])

    def set_matrix(self, counts: Any, class_names: Sequence[str] | None = None) -> None:
        c = np.asarray(counts)
        if c.ndim != 2 or c.shape[0] != c.shape[1]:
            raise ValueError(f"a confusion matrix must be square, got shape {c.shape}")
        if c.size and (not np.all(np.isfinite(c)) or c.min() < 0):
            raise ValueError("confusion counts must be finite and non-negative")
        self.counts = np.rint(c).astype(np.int64)
        n = self.counts.shape[0]
        names = [str(x) for x in (class_names if class_names is not None else range(n))]
        if len(names) != n:
            raise ValueError(f"{len(names)} class names for a {n}×{n} matrix")
        self.class_names = names
        tot = self.counts.sum(axis=1, keepdims=True)
        self.shares = np.where(tot > 0, self.counts / np.maximum(tot, 1), 0.0)
        total = int(self.counts.sum())
        right = int(np.trace(self.counts))
        self.summary.setText(f"accuracy {100 * right / total:.1f} % ({right:,} / {total:,})" if total else "")
        self.hover = (-1, -1)
        self.readout.setText("")
        self.canvas.update()

    def clear(self) -> None:
        self.set_matrix(np.zeros((0, 0)))

    def readout_for(self, r: int, c: int) -> str:
        if not (0 <= r < self.n_classes and 0 <= c < self.n_classes):
            return ""
        names = self.class_names
        return (f"true {names[r]} → predicted {names[c]}: {int(self.counts[r, c]):,} "
                f"({100 * self.shares[r, c]:.1f} % of {names[r]})")

    def hover_cell(self, r: int, c: int) -> None:
        if (r, c) == self.hover:
            return
        self.hover = (r, c)
        self.readout.setText(self.readout_for(r, c))
        self.canvas.update()
        self.cell_hovered.emit(r, c)

    def _apply_theme(self) -> None:
        self.lut = make_lut("ramp", self.theme)
        self.canvas.update()
