"""The Node dock (objectName ``node``): what the selected node does during the run, over time.

Tabs: *Activations* (the output's mean ± std, the dead / saturated share for nodes whose spec has a
``saturation``, ‖∂L/∂out‖), *Histograms* (activations and log10 |∂L/∂out| as heatmaps: sampled
step × 64 fixed bins plus under/overflow, colour bar, a slider for one step), *Parameters* (per
parameter: norm, gradient norm, and the update/weight ratio with the 1e-3 guide) and *Images*
(feature maps of a convolution for the run's fixed probe sample, the first convolution's filters,
a Linear layer's class templates).

Only the visible tab is drawn, from the controller's History, when that node's statistics have
changed (≤ 10 Hz). The child makes images for the selected node only, at most once a second, and
only while the Images tab is showing (``TrainingController.select(node, images=...)``).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtWidgets import (
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...core import REGISTRY

if TYPE_CHECKING:
    from ..main_window import MainWindow
    from .controller import TrainingController

IMAGE_KINDS = (("feature_maps", "Feature maps (the probe sample)"), ("filters", "Filters (first convolution)"),
               ("templates", "Class templates (weight rows as images)"))
TAB_IMAGES = 3
#: seconds between redraws during a run (statistics are sampled a few times a second at most)
REDRAW_S = 1.0


class NodePanel(QWidget):
    def __init__(self, window: MainWindow, controller: TrainingController) -> None:
        super().__init__()
        from ..views import HeatmapView, ImageMosaic, SeriesPlot

        self.main_window, self.controller = window, controller
        self.node: str | None = None
        self.header = QLabel("Select a node on the canvas to see its statistics during a run.")
        self.header.setObjectName("node_header")
        self.header.setWordWrap(True)
        self.header.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.act = SeriesPlot.activation()
        self.fractions = SeriesPlot.fractions()
        self.grad = SeriesPlot.grad_norm()
        self.act_hist = HeatmapView("Activations", "activation")
        self.grad_hist = HeatmapView("Gradients", "log10 |∂L/∂out|")
        self.norms = SeriesPlot.param_norms()
        self.ratio = SeriesPlot.update_ratio()
        self.mosaics: dict[str, ImageMosaic] = {}
        self.mosaic_titles: dict[str, QLabel] = {}
        self.images_note = QLabel("Images come from the training process for the selected node, once a second.")
        self.images_note.setWordWrap(True)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._page(self.act, self.fractions, self.grad), "Activations")
        self.tabs.addTab(self._page(self.act_hist, self.grad_hist), "Histograms")
        self.tabs.addTab(self._page(self.norms, self.ratio), "Parameters")
        images = QWidget()
        il = QVBoxLayout(images)
        il.setContentsMargins(2, 2, 2, 2)
        il.addWidget(self.images_note)
        for kind, title in IMAGE_KINDS:
            lab = QLabel(f"<b>{title}</b>")
            m = ImageMosaic()
            m.setMinimumHeight(260)
            il.addWidget(lab)
            il.addWidget(m, 1)
            lab.hide()
            m.hide()
            self.mosaics[kind], self.mosaic_titles[kind] = m, lab
        il.addStretch(0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(images)
        self.tabs.addTab(scroll, "Images")
        self.tabs.currentChanged.connect(self._tab_changed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addWidget(self.header)
        lay.addWidget(self.tabs, 1)
        lay.addStretch(1)
        self._lay = lay
        self._show_tabs(False)  # until a node is selected
        self._keys: dict[int, Any] = {}
        self._images_seen: dict[str, Any] = {}
        self.dock_visible = False
        self._drawn_at = 0.0
        controller.refreshed.connect(self.refresh)
        controller.run_started.connect(self._run_started)
        window.scene.node_selection_changed.connect(self.selection_changed)

    @staticmethod
    def _page(*widgets: QWidget) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        for x in widgets:
            lay.addWidget(x, 1)
        return w

    # -- selection -----------------------------------------------------------------------------------------
    def selection_changed(self, ids: list[str]) -> None:
        node = ids[0] if len(ids) == 1 else None
        if node is None and self.node is not None and not ids:
            return  # a click on the background keeps the node shown
        self.show_node(node)

    def show_node(self, node: str | None) -> None:
        if node == self.node:
            return
        self.node = node
        self._keys.clear()
        self._images_seen.clear()
        for p in (self.act, self.fractions, self.grad, self.norms, self.ratio):
            p.clear()
        for h in (self.act_hist, self.grad_hist):
            h.clear()
        for kind in self.mosaics:
            self.mosaics[kind].clear()
            self.mosaics[kind].hide()
            self.mosaic_titles[kind].hide()
        self._header()
        self.controller.select(node, images=self.images_visible())
        self.refresh(now=True)

    def _header(self) -> None:
        node = self.node
        g = self.main_window.document
        if node is None or node not in g.nodes:
            self.header.setText("Select a node on the canvas to see its statistics during a run: activations, "
                                "gradients, parameters and images.")
            self._show_tabs(False)
            return
        self._show_tabs(True)
        t = g.nodes[node].type
        spec = REGISTRY.get(t)
        a = self.main_window.live.analysis
        info = a.nodes.get(node) if a is not None else None
        shape = f" · output {'×'.join(str(s) for s in info.shape)}" if info is not None and info.shape else ""
        text = f"<b>{node}</b> · {spec.display if spec else t}{shape}"
        if self.controller.run_history.started is not None and node not in self.controller.run_history.order:
            text += " · not measured (statistics are taken on nodes with a layer)"
        self.header.setText(text)
        sat = spec.saturation if spec else None
        self.fractions.setVisible(sat is not None)

    def _show_tabs(self, on: bool) -> None:
        self.tabs.setVisible(on)
        self._lay.setStretch(2, 0 if on else 1)  # the spacer takes the room only while the tabs are away

    def _run_started(self, _e: Any) -> None:
        node, self.node = self.node, None
        self.show_node(node)

    # -- visibility -----------------------------------------------------------------------------------------
    def images_visible(self) -> bool:
        return self.dock_visible and self.tabs.currentIndex() == TAB_IMAGES

    def set_dock_visible(self, visible: bool) -> None:
        self.dock_visible = visible
        self.controller.select(self.node, images=self.images_visible())
        if visible:
            self.refresh(now=True)

    def _tab_changed(self, _i: int) -> None:
        self.controller.select(self.node, images=self.images_visible())
        self.refresh(now=True)

    def flush(self) -> None:
        """Draw now what the views hold (tests; the views redraw ≤ 10 Hz on their own)."""
        for v in (self.act, self.fractions, self.grad, self.norms, self.ratio, self.act_hist, self.grad_hist):
            v.flush()

    # -- drawing --------------------------------------------------------------------------------------------
    def refresh(self, now: bool = False) -> None:
        node = self.node
        if node is None or not self.dock_visible:
            return
        t = time.monotonic()
        if not now and self.controller.active and t - self._drawn_at < REDRAW_S:
            return  # each redraw repaints two or three plots: once a second keeps up with the sampler
        self._drawn_at = t
        h = self.controller.run_history
        tab = self.tabs.currentIndex()
        if tab in (0, 2):
            key = (node, h.stats.n, h.stats.stride, h.latest_step.get(node))
            if self._keys.get(tab) == key:
                return
            self._keys[tab] = key
            (self._draw_activations if tab == 0 else self._draw_params)(node)
        elif tab == 1:
            key = (node, h.hists.n, h.hists.stride, h.latest_step.get(node))
            if self._keys.get(tab) == key:
                return
            self._keys[tab] = key
            self._draw_histograms(node)
        else:
            self._draw_images(node)

    def _draw_activations(self, node: str) -> None:
        s = self.controller.run_history.node_series(node)
        x = s["step"].copy()
        self.act.set_band("act", x, s["mean"], s["std"], label="activation")
        self.grad.set_series("grad", x, s["grad_norm"], label="‖∂L/∂out‖")
        spec = REGISTRY.get(self.main_window.document.nodes[node].type) if node in self.main_window.document.nodes else None
        sat = spec.saturation if spec else None
        if sat == "zero":
            self.fractions.set_series("dead", x, s["dead"], label="dead units", color="warning")
        elif sat is not None:
            self.fractions.set_series("saturated", x, s["saturated"], label="saturated outputs", color="warning")

    def _draw_params(self, node: str) -> None:
        h = self.controller.run_history
        for i, p in enumerate(h.params_of(node)):
            s = h.param_series(node, p)
            x = s["step"].copy()
            self.norms.set_series(p, x, s["norm"], label=f"‖{p}‖", color=f"cycle:{i}")
            self.norms.set_series(f"{p} ∇", x, s["grad_norm"], label=f"‖∇{p}‖", color=f"cycle:{i}", dash=True)
            self.ratio.set_series(p, x, s["update_ratio"], label=p, color=f"cycle:{i}")

    def _draw_histograms(self, node: str) -> None:
        h = self.controller.run_history
        for which, view in (("act", self.act_hist), ("grad", self.grad_hist)):
            steps, counts, edges = h.histograms(node, which)
            if not np.array_equal(view.edges, edges):
                view.set_edges(edges)
            ok = np.isfinite(counts).all(axis=1) if counts.size else np.zeros(0, bool)
            view.set_data(steps[ok], counts[ok])

    def _draw_images(self, node: str) -> None:
        got = self.controller.run_history.images.get(node, {})
        for kind, m in self.mosaics.items():
            e = got.get(kind)
            if e is None or self._images_seen.get(kind) is e:
                continue
            self._images_seen[kind] = e
            tips = [f"{lab}: raw range [{lo:.3g}, {hi:.3g}]" for lab, (lo, hi) in zip(e.labels, e.ranges)]
            # "channel 3" / "filter 3" as "3" (the tooltip says the rest); class templates keep their class
            caps = [lab.split(" ", 1)[1] if lab.startswith(("channel ", "filter ")) else lab for lab in e.labels]
            m.set_tiles(np.asarray(e.tiles, dtype=np.float32), captions=caps, tooltips=tips, normalize="none")
            m.show()
            self.mosaic_titles[kind].show()
        if got:
            self.images_note.setText(f"Images of {node} at step {max(e.step for e in got.values()):,} "
                                     "(made in the training process, at most once a second).")
