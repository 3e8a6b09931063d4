"""Parameter importance: each searched key's share of the metric's variance (Optuna's fANOVA), as bars.

The largest share on top. Until two trials have completed with different values there is nothing to
tell, and the note says so. The importances are computed on the editor's worker (seconds at hundreds of
trials) and handed here as ``{key: share}``.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ..views.theme import ThemedView, apply_plot_theme, make_theme, set_axis_label
from .trials_table import short_key

EMPTY = "Parameter importance appears once two trials have completed with different values."


class ImportanceBars(ThemedView, QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search_importance")
        self.theme = make_theme(self.palette())
        self.note = QLabel(EMPTY)
        self.note.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(False, False)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.6, width=[])
        self.plot.addItem(self.bars)
        self.labels: list[pg.TextItem] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.note)
        lay.addWidget(self.plot, 1)
        self.values: dict[str, float] = {}
        self._ready = True
        self._apply_theme()

    def set_importances(self, values: dict[str, float]) -> None:
        self.values = dict(sorted(values.items(), key=lambda kv: -kv[1]))
        keys = list(self.values)
        n = len(keys)
        y = np.arange(n, dtype=float)[::-1]  # the largest on top
        w = np.array([self.values[k] for k in keys], dtype=float)
        self.bars.setOpts(x0=np.zeros(n), y=y, height=0.6, width=w)
        for t in self.labels:
            self.plot.removeItem(t)
        self.labels = []
        for yi, k in zip(y, keys):
            t = pg.TextItem(f"{short_key(k, 30)}  {100 * self.values[k]:.0f} %", color=self.theme.foreground,
                            anchor=(0, 0.5))
            t.setFont(self.theme.font)
            t.setPos(0.01, yi)
            self.plot.addItem(t)
            self.labels.append(t)
        self.plot.getPlotItem().getAxis("left").setTicks([[(float(yi), "") for yi in y]])
        self.plot.setXRange(0, 1, padding=0.02)
        self.plot.setYRange(-0.6, max(n - 1, 0) + 0.6, padding=0)
        self.note.setText(EMPTY if not n else "Each key's share of the variance of the metric (fANOVA over the "
                                                 "completed trials): the keys worth refining first.")

    def _apply_theme(self) -> None:
        th = self.theme
        pi = self.plot.getPlotItem()
        apply_plot_theme(pi, th)
        self.plot.setBackground(th.background)
        set_axis_label(pi, "bottom", "share of the variance", th)
        self.bars.setOpts(brush=pg.mkBrush(th.faint(th.train, 0.45)), pen=pg.mkPen(th.train))
        for t in self.labels:
            t.setColor(th.foreground)
