"""The Node dock (objectName ``node``): what the selected node does during the run, over time.

Tabs: *Activations* (the output's mean ± std, the dead / saturated share for nodes whose spec has a
``saturation``, ‖∂L/∂out‖), *Histograms* (activations and log10 |∂L/∂out| as heatmaps: sampled
step × 64 fixed bins plus under/overflow, colour bar, a slider for one step), *Parameters* (per
parameter: norm, gradient norm, and the update/weight ratio with the 1e-3 guide) and *Images*
(feature maps of a convolution for the run's fixed probe sample, the first convolution's filters,
a Linear layer's class templates). With feature maps the probe sample itself is shown: hovering a
pixel of a feature map outlines that unit's receptive field on it (the analysis's field,
graphlab.core.cost; the caption under the probe says which rows and columns it sees).

Only the visible tab is drawn, from the controller's History, when that node's statistics have
changed (at most every 2 s during a run). Images: while a run goes, the child makes them for the
selected node, at most once a second, while the Images tab is showing
(``TrainingController.select(node, images=...)``); while it is paused the child answers a request for
them at once; once it has ended (or before any run) the editor's worker makes them from the run's
checkpoint (or the seeded initial weights) — so the Images tab shows the selected node's pictures at
any time, whichever tab was open during the run. Captions always name the selected node of the
graph in the document; another graph clears everything.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...core import REGISTRY
from ..document import Document
from ..shell import Shell

if TYPE_CHECKING:
    from .controller import TrainingController

IMAGE_KINDS = (("probe", "The probe sample (hover a feature map's pixel: its receptive field)"),
               ("feature_maps", "Feature maps (the probe sample)"), ("filters", "Filters (first convolution)"),
               ("templates", "Class templates (weight rows as images)"))
TAB_IMAGES = 3
#: seconds between redraws during a run (statistics are sampled a few times a second at most)
REDRAW_S = 2.0
IMAGES = "node-images"
IMAGES_NOTE = "Images come from the training process for the selected node, once a second."


def images_job(ctx: Any, graph_text: str, node: str, weights: str | None, base_dir: str | None) -> list[Any]:
    """On the worker: the node's pictures from a checkpoint (the run has ended) or the initial weights."""
    from ...io import loads
    from ...run.images import images_from_checkpoint

    return images_from_checkpoint(loads(graph_text), node, weights, base_dir)


class NodePanel(QWidget):
    def __init__(self, document: Document, shell: Shell, controller: TrainingController) -> None:
        super().__init__()
        self.document, self.shell, self.controller = document, shell, controller
        self.node: str | None = None
        self._build_widgets()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._page(self.act, self.fractions, self.grad), "Activations")
        self.tabs.addTab(self._page(self.act_hist, self.grad_hist), "Histograms")
        self.tabs.addTab(self._page(self.norms, self.ratio), "Parameters")
        self.tabs.addTab(self._build_images_page(), "Images")
        self.tabs.currentChanged.connect(self._tab_changed)
        self._build_layout()
        self._show_tabs(False)  # until a node is selected
        self._init_state()
        self._connect(controller, shell)

    def _build_widgets(self) -> None:
        """The header, the plots and heatmaps of the first three tabs, the Images tab's note."""
        from ..views import HeatmapView, ImageMosaic, SeriesPlot

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
        self.images_note = QLabel(IMAGES_NOTE)
        self.images_note.setWordWrap(True)

    def _build_images_page(self) -> QScrollArea:
        """The Images tab: one titled mosaic per kind, the probe sample beside the feature maps."""
        from ..views import ImageMosaic

        images = QWidget()
        il = QVBoxLayout(images)
        il.setContentsMargins(2, 2, 2, 2)
        il.addWidget(self.images_note)
        columns: dict[str, QVBoxLayout] = {}
        pair = QHBoxLayout()  # the probe sample beside the feature maps: hover one, see the other
        pair.setContentsMargins(0, 0, 0, 0)
        for kind, title in IMAGE_KINDS:
            lab = QLabel(f"<b>{title}</b>")
            lab.setWordWrap(True)
            m = ImageMosaic()
            m.setMinimumHeight(260)
            col = il
            if kind in ("probe", "feature_maps"):
                col = columns[kind] = QVBoxLayout()
                pair.addLayout(col, 1 if kind == "probe" else 2)
            col.addWidget(lab)
            col.addWidget(m, 1)
            lab.hide()
            m.hide()
            self.mosaics[kind], self.mosaic_titles[kind] = m, lab
            if kind == "probe":
                il.addLayout(pair, 1)
        self.field_note = QLabel("")
        self.field_note.setObjectName("node_field_note")
        self.field_note.setWordWrap(True)
        columns["probe"].addWidget(self.field_note)  # under the probe sample
        self.mosaics["probe"].setMinimumHeight(120)
        self.mosaics["feature_maps"].pixel_hovered.connect(self.show_field)
        il.addStretch(0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(images)
        return scroll

    def _build_layout(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addWidget(self.header)
        lay.addWidget(self.tabs, 1)
        lay.addStretch(1)
        self._lay = lay

    def _init_state(self) -> None:
        self._keys: dict[int, Any] = {}
        self._images_seen: dict[str, Any] = {}
        self.images: dict[str, Any] = {}  # kind -> the Images shown (from the run, or made by the worker)
        self._images_gen = -1
        self._images_asked: Any = None
        self._images_source = ""
        self.dock_visible = False
        self._drawn_at = 0.0

    def _connect(self, controller: TrainingController, shell: Shell) -> None:
        controller.refreshed.connect(self.refresh)
        controller.run_started.connect(self._run_started)
        controller.state_changed.connect(self._state_changed)
        controller.reset.connect(self._reset)
        shell.selection_changed.connect(self.selection_changed)
        shell.worker.done.connect(self._worker_done)
        shell.worker.failed.connect(self._worker_failed)

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
        if node != self.node:
            self._show(node)

    def _show(self, node: str | None) -> None:
        self.node = node
        self._keys.clear()
        self._images_seen.clear()
        self.images = {}
        self._images_asked = None
        self.shell.worker.cancel(IMAGES)
        self.images_note.setText(IMAGES_NOTE)
        self.field_note.setText("")
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
        g = self.document.graph
        if node is None or node not in g.nodes:
            self.header.setText("Select a node on the canvas to see its statistics during a run: activations, "
                                "gradients, parameters and images.")
            self._show_tabs(False)
            return
        self._show_tabs(True)
        t = g.nodes[node].type
        spec = REGISTRY.get(t)
        a = self.document.live.analysis
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

    def _state_changed(self, _state: str) -> None:
        self._images_asked = None  # paused, resumed or ended: where the pictures come from changed
        self.refresh(now=True)

    def _reset(self) -> None:
        """Another graph is in the document: nothing of the old one's node stays."""
        self._show(None)

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
            return  # each redraw repaints two or three plots: every 2 s keeps up with the sampler
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
        if self.controller.run_history.started is not None and node not in self.controller.run_history.order:
            for p in (self.act, self.fractions, self.grad):
                p.clear()
            return  # not measured (the header says so): nothing to draw, no "NaN ± NaN"
        s = self.controller.run_history.node_series(node)
        x = s["step"].copy()
        self.act.set_band("act", x, s["mean"], s["std"], label="activation")
        self.grad.set_series("grad", x, s["grad_norm"], label="‖∂L/∂out‖")
        g = self.document.graph
        spec = REGISTRY.get(g.nodes[node].type) if node in g.nodes else None
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
        c = self.controller
        got = dict(c.run_history.images.get(node, {}))
        from_worker = not got
        if from_worker:
            got = {k: e for k, e in self.images.items() if e.node == node}
        if not got:
            self._ask_images(node)
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
            if from_worker:
                self.images_note.setText(f"Images of {node}: {self._images_source}.")
            else:
                self.images_note.setText(f"Images of {node} at step {max(e.step for e in got.values()):,} "
                                         "(made in the training process, at most once a second).")

    def show_field(self, tile: int, row: int, col: int) -> None:
        """Feature-map pixel (row, col) of channel ``tile`` is hovered (tile −1: none): outline that unit on
        the feature map and its receptive field on the probe sample."""
        probe, maps = self.mosaics["probe"], self.mosaics["feature_maps"]
        maps.clear_boxes()
        probe.clear_boxes()
        self.field_note.setText("")
        a = self.document.live.analysis
        info = a.nodes.get(self.node) if a is not None and self.node else None
        if tile < 0 or info is None:
            return
        maps.set_box(tile, (row, col, row, col))
        rf = info.rf
        if rf is None:
            self.field_note.setText(f"{self.node} has no receptive field in the input image.")
            return
        h, w = probe.tile_shape
        src = a.nodes.get(a.inputs[0]) if a.inputs else None
        if probe.count == 0 or src is None or tuple(src.shape or ())[1:] != (h, w):
            return  # no probe picture (yet), or not the input's size: nothing to draw on
        top, left, bottom, right = rf.rows(row, col)
        box = (max(top, 0), max(left, 0), min(bottom, h - 1), min(right, w - 1))
        probe.set_box(0, box)
        cut = " (clipped to the image: the rest is padding)" if box != (top, left, bottom, right) else ""
        self.field_note.setText(f"{self.node}, channel {tile}, unit ({row}, {col}) sees input rows {box[0]}–{box[2]} "
                                f"and columns {box[1]}–{box[3]}: a {rf.size_h}×{rf.size_w} field, stride "
                                f"{rf.stride_h}×{rf.stride_w}{cut}.")

    # -- pictures outside a run ----------------------------------------------------------------------------
    def _ask_images(self, node: str) -> None:
        """No pictures of the node from the run: ask the paused child, or the worker after the run."""
        c = self.controller
        key = (node, c.state, id(self.document.graph))
        if self._images_asked == key:
            return
        self._images_asked = key
        if c.state == "running":
            return  # the child sends them within a second (the Images tab is showing)
        if c.state == "paused":
            c.request_images(node)
            return
        text, weights, source = c.trained_graph_text(), c.checkpoint(), ""
        if weights is not None:
            source = f"made from the checkpoint {weights.parent.name}/{weights.name}"
        else:
            source = "made from the seeded initial weights (no run has saved weights yet)"
        if node not in self.document.graph.nodes or not self.document.graph.training:
            return
        self._images_source = source
        self.images_note.setText(f"Making the images of {node}…")
        self._images_gen = self.shell.worker.submit(IMAGES, images_job, text, node,
                                                    str(weights) if weights else None,
                                                    str(self.document.base_dir()), needs_torch=True)

    def _worker_done(self, key: str, gen: int, result: Any) -> None:
        if key != IMAGES or gen != self._images_gen:
            return
        self.images = {e.kind: e for e in result}
        if not result and self.node is not None:
            self.images_note.setText(f"{self.node} has no images (feature maps, filters or class templates).")
        if self.node is not None and self.images_visible():
            self._draw_images(self.node)

    def _worker_failed(self, key: str, gen: int, exc: Any) -> None:
        if key == IMAGES and gen == self._images_gen:
            from ...core.text import error_line

            self.images_note.setText(f"No images of {self.node}: {error_line(exc)}")
