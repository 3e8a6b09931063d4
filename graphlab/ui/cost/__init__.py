"""What the network costs, in the editor: the Cost dock and the bars on the canvas.

``install(document, shell)`` builds the :class:`CostFeature` from the
:class:`~graphlab.ui.document.Document` and the :class:`~graphlab.ui.shell.Shell` (never from the main
window) and returns it (``window.cost``):

* the Cost dock (objectName ``cost``, in the Design workspace beside the inspector; View ▸ Panels,
  Ctrl+9): :class:`~.panel.CostPanel` — every node's MACs, FLOPs, backward FLOPs, element-wise ops,
  parameters, bytes and receptive field, sortable, with totals; a training step's memory in four
  stacked parts at the file's batch size with its optimizer, its FLOPs and the least time they take
  at this machine's matmul peak; export to CSV or Markdown (``shell.prompts.export_path``);
* the bars on the canvas (owner ``"cost"`` of the document's overlay): each card filled from its left
  edge by its share of the largest node's FLOPs, training memory or parameters (:meth:`set_bars`;
  View ▸ Panels ▸ Cost Bars, Ctrl+Alt+1/2/3, Ctrl+Alt+0 none; or the dock's selector).

The figures come from the document's live analysis (graphlab.core.cost); nothing here imports torch.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup

from ...core import cost_table
from ...core.cost import si
from ...core.memory import OPTIMIZER_SLOTS, fmt_bytes
from ..document import Document
from ..shell import Shell
from .panel import BAR_MODES, CostPanel

OWNER = "cost"
BAR_COLORS = {"flops": "#e45756", "memory": "#4c78a8", "params": "#54a24b"}


class CostFeature(QObject):
    def __init__(self, document: Document, shell: Shell) -> None:
        super().__init__(shell)
        self.document, self.shell = document, shell
        self.panel = CostPanel()
        self.panel.setMinimumSize(160, 120)
        self.dock = shell.add_dock("Cost", self.panel, Qt.DockWidgetArea.RightDockWidgetArea, OWNER, "Ctrl+9",
                                   ("design",))
        self.mode = "none"
        self._stale = True
        self.step: Any = None  # the graphlab.run.step_cost.StepCost shown
        self.bar_actions: dict[str, QAction] = {}
        if shell.panels_menu is not None:
            menu = shell.panels_menu.addMenu("Cost &Bars")
            group = QActionGroup(self)
            for i, (key, title) in enumerate(BAR_MODES):
                a = QAction(f"Bars: {title}" if key != "none" else "No bars", self)
                a.setObjectName(f"action_cost_bars_{key}")
                a.setShortcut(f"Ctrl+Alt+{i}")  # 0 none, 1 FLOPs, 2 memory, 3 parameters
                shell.add_action(a)
                a.setCheckable(True)
                a.setChecked(key == "none")
                a.triggered.connect(lambda _c=False, k=key: self.set_bars(k))
                group.addAction(a)
                menu.addAction(a)
                self.bar_actions[key] = a
        document.analysed.connect(self._analysed)
        document.training_changed.connect(self._analysed)
        shell.selection_changed.connect(self._selection)
        self.panel.node_clicked.connect(self._reveal)
        self.panel.bars_changed.connect(self.set_bars)
        self.panel.export_requested.connect(self.export)
        self.dock.visibilityChanged.connect(self._visible)
        self.refresh()

    # -- following the document ----------------------------------------------------------------------------
    def _analysed(self, *_: Any) -> None:
        self._stale = True
        if self.dock.isVisible():
            self.refresh()
        if self.mode != "none":
            self._draw_bars()

    def _visible(self, visible: bool) -> None:
        if visible and self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Rebuild the table, the totals and the training step from the document's analysis."""
        from ...run.step_cost import file_step_cost

        self._stale = False
        g, a = self.document.graph, self.document.analysis
        self.panel.model.set_rows(cost_table.rows(g, a))
        totals = cost_table.totals(a)
        self.panel.totals.setText(f"Total per sample: {cost_table.summary(totals)}.")
        self.step = file_step_cost(g, a)
        c = self.step.cost
        self.panel.memory.set_parts(c.parts())
        text = (f"<b>Training step</b> at batch {c.batch:,} with {c.optimizer}: <b>{fmt_bytes(c.total)}</b> = "
                f"{self.panel.parts_html(c.parts())}. {si(c.flops, 'FLOPs')} a step")
        text += self._predicted(c)
        if self.step.note:
            text += f" <i>({self.step.note})</i>"
        self.panel.step.setText(text)
        ids = self.shell.selected_nodes()
        self.panel.select_node(ids[0] if len(ids) == 1 else None)

    def _predicted(self, c: Any) -> str:
        from ...run.config import ConfigError, parse_training
        from ...run.peak import cached_peak

        try:
            device = parse_training(self.document.graph.training).device
        except ConfigError:
            device = "auto"
        peak = (cached_peak("cuda", 1) if device in ("cuda", "auto") else None) or (
            cached_peak("cpu", 1) if device != "cuda" else None)
        ms = c.ms_per_step(peak)
        if ms is None:
            return "; this machine's matmul peak is measured by the first run (then the least time a step takes shows here)."
        return (f"; at least <b>{ms:.3g} ms</b> a step at this machine's matmul peak ({peak:.3g} GFLOP/s, "
                f"1 thread) — a small network reaches a few % of it.")

    def _selection(self, ids: list[str]) -> None:
        self.panel.select_node(ids[0] if len(ids) == 1 else None)

    def _reveal(self, node: str) -> None:
        self.shell.select_nodes([node])
        self.shell.keep_in_view(node)

    # -- the bars on the canvas -----------------------------------------------------------------------------
    def set_bars(self, mode: str) -> None:
        """Bars on every card: ``"flops"``, ``"memory"``, ``"params"``, or ``"none"`` to remove them."""
        if mode not in dict(BAR_MODES):
            raise ValueError(f"cost bars: {mode!r} is not one of {[k for k, _ in BAR_MODES]}")
        self.mode = mode
        self.panel.set_bar_mode(mode)
        if mode in self.bar_actions:
            self.bar_actions[mode].setChecked(True)
        self._draw_bars()

    def bar_values(self) -> dict[str, int]:
        """Each node's value for the current bars: forward FLOPs; training memory at the file's batch (its
        weights, their gradients and optimizer state, and what it keeps for backward); parameters."""
        a = self.document.analysis
        if self.mode == "flops":
            return {nid: i.flops for nid, i in a.nodes.items()}
        if self.mode == "params":
            return {nid: i.params for nid, i in a.nodes.items()}
        if self.step is None or self._stale:
            self.refresh()
        c = self.step.cost
        per_weight = 2 + (OPTIMIZER_SLOTS.get(c.optimizer, 2) if c.optimizer else 0)
        return {nid: per_weight * i.param_bytes + c.batch * i.saved_bytes for nid, i in a.nodes.items()}

    def _draw_bars(self) -> None:
        ov = self.document.overlay
        ov.clear(OWNER)
        if self.mode == "none":
            return
        values = self.bar_values()
        top = max(values.values(), default=0)
        if top <= 0:
            return
        show = fmt_bytes if self.mode == "memory" else (lambda v: f"{v:,}" if self.mode == "params" else si(v))
        what = dict(BAR_MODES)[self.mode]
        ov.set_nodes(OWNER, {nid: {"bar": v / top, "bar_color": BAR_COLORS[self.mode],
                                   "bar_text": f"{what}: {show(v)} ({100 * v / top:.0f}% of the largest node)"}
                             for nid, v in values.items() if v > 0})

    # -- export --------------------------------------------------------------------------------------------------
    def export(self) -> None:
        """Ask where, then write the table as CSV (raw numbers) or Markdown (a .md file)."""
        doc = self.document
        stem = Path(doc.path).name.split(".")[0] if doc.path else (doc.graph.name or "graph")
        folder = doc.base_dir()
        path = self.shell.prompts.export_path(str(folder / f"{stem}-cost.csv"))
        if not path:
            return
        self.write(path)

    def write(self, path: str) -> bool:
        if self._stale:
            self.refresh()
        g, a = self.document.graph, self.document.analysis
        rows, totals = cost_table.rows(g, a), cost_table.totals(a)
        md = Path(path).suffix.lower() in (".md", ".markdown")
        text = cost_table.to_markdown(rows, totals, f"What {g.name} costs") if md else cost_table.to_csv(rows, totals)
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as e:
            self.shell.prompts.error("Export the cost table", f"Cannot write {path}: {e.strerror or e}")
            return False
        self.shell.show_hint(f"cost table written to {path}")
        return True


def install(document: Document, shell: Shell) -> CostFeature:
    return CostFeature(document, shell)


__all__ = ["CostFeature", "install"]
