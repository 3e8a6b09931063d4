"""The Runs dock (objectName ``runs``): this graph's earlier runs, to compare and to reuse.

Each row is a run folder (:mod:`graphlab.run.runs`): its name, status, epochs and final figures.
Ticking a run overlays its curves on the plots — training loss (solid) and validation loss (dashed)
per epoch on the loss plot's step axis, validation accuracy, learning rate — one colour per run.
"All graphs in this folder" lists every run beside the file (the lessons' pairs of files, e.g.
BatchNorm off and on, share their folder). "Load weights from run" makes those weights the ones a
later step-through or export uses: the document's ``set_weights(path)`` (the stepper follows it)
and ``TrainingController.weights_path``.

When another graph is put in the document the list follows it, and the Plots dock shows that
graph's last run (so reopening a graph shows its own last run again). Runs of a graph that has no
file yet go to the application's data folder, under the document's key; they move beside the file at
its first save and are listed from there.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...run import events as ev
from ...run.runs import (
    RunError,
    RunInfo,
    list_runs,
    load_curves,
    read_run,
    runs_folder,
    weights_path,
)
from ..document import Document
from ..shell import Shell

if TYPE_CHECKING:
    from .controller import TrainingController
    from .plots_dock import PlotsPanel

COLUMNS = ("run", "status", "epochs", "train loss", "val loss", "val acc", "GFLOP/s", "started")
PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def _fig(v: Any, pct: bool = False) -> str:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return "–"
    return f"{100 * v:.1f} %" if pct else f"{v:.4g}"


def _compute(f: dict[str, Any]) -> str:
    """The achieved GFLOP/s and their share of this machine's matmul peak: "8.92 (8.6 %)"."""
    g, pct = f.get("gflops"), f.get("peak_percent")
    if not isinstance(g, (int, float)) or isinstance(g, bool):
        return "–"
    return f"{g:.3g}" + (f" ({pct:.2g} %)" if isinstance(pct, (int, float)) else "")


def run_label(r: RunInfo) -> str:
    opt = r.config.get("optimizer") if isinstance(r.config, dict) else None
    if isinstance(opt, dict) and opt.get("name"):
        return f"{r.name} ({opt.get('name')}, lr {_fig(opt.get('lr'))})"
    return r.name


def runs_below(root: Path, depth: int) -> list[RunInfo]:
    """The run folders up to ``depth`` levels below ``root`` (oldest first)."""
    found: list[RunInfo] = []
    if not root.is_dir():
        return found
    for d in sorted(root.iterdir()):
        if not d.is_dir():
            continue
        r = read_run(d)
        if r is not None:
            found.append(r)
        elif depth > 1:
            found += runs_below(d, depth - 1)
    return sorted(found, key=lambda r: (r.started or "", r.name))


class RunsPanel(QWidget):
    def __init__(self, document: Document, shell: Shell, controller: TrainingController, plots: PlotsPanel) -> None:
        super().__init__()
        self.document, self.shell, self.controller, self.plots = document, shell, controller, plots
        self.tree = QTreeWidget()
        self.tree.setObjectName("runs_list")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.all_graphs = QCheckBox("All graphs in this folder")
        self.all_graphs.setToolTip("list every run beside the file, e.g. to overlay a lesson's other file")
        self.all_graphs.toggled.connect(self._all_toggled)
        self.load = QPushButton("Load weights from run")
        self.load.setObjectName("load_weights")
        self.load.setToolTip("use the selected run's weights for stepping through the graph and for export")
        self.load.setEnabled(False)
        self.load.clicked.connect(self.load_selected)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.reload)
        self.weights_label = QLabel("")
        self.weights_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.all_graphs)
        row.addStretch(1)
        row.addWidget(refresh)
        row.addWidget(self.load)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addLayout(row)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.weights_label)
        self.runs: dict[str, RunInfo] = {}
        self.overlaid: set[str] = set()
        #: run folders shown besides the graph's own (a search trial opened from the Search dock)
        self.extra: dict[str, RunInfo] = {}
        controller.finished.connect(self._run_finished)
        controller.reset.connect(self._reset)
        controller.runs_changed.connect(self.reload)
        self._reset()

    # -- listing ---------------------------------------------------------------------------------------------
    def where(self) -> tuple[str, Path]:
        """(the graph file, or the pseudo file of an untitled graph; its runs folder)."""
        return self.controller.runs_location()

    def _reset(self) -> None:
        """Another graph: its runs, and its last run on the plots."""
        for rid in list(self.overlaid):
            self._overlay(rid, False)
        self.extra.clear()
        self.weights_label.setText("")
        self.reload()
        if not self.controller.active:
            last = self.last_run()
            if last is not None:
                self.plots.show_run(last)

    def last_run(self) -> RunInfo | None:
        """This graph's newest run that has epochs to show (the overfit check's are not runs of it)."""
        file, folder = self.where()
        try:
            found = list_runs(file, folder=folder)
        except OSError:
            return None
        done = [r for r in found if r.overfit is None and r.epochs > 0]
        return done[-1] if done else None

    def reload(self) -> None:
        file, folder = self.where()
        try:
            if self.all_graphs.isChecked():
                # an untitled graph's folder is one of many under the untitled runs root: list them all
                root = folder if self.document.path else folder.parent
                found = runs_below(root, depth=1 if self.document.path else 2)
            else:
                found = list_runs(file, folder=folder)
        except OSError as e:
            self.shell.show_hint(f"cannot list the runs in {folder}: {e.strerror or e}")
            found = []
        found = [r for r in found if str(r.path) not in self.extra] + list(self.extra.values())
        self.tree.blockSignals(True)
        self.tree.clear()
        self.runs = {}
        for r in reversed(found):  # newest first (opened trials on top)
            key = str(r.path)
            self.runs[key] = r
            f = r.final or {}
            it = QTreeWidgetItem([r.name, r.status, str(r.epochs), _fig(f.get("train_loss")), _fig(f.get("val_loss")),
                                  _fig(f.get("val_acc"), pct=True), _compute(f), (r.started or "").replace("T", " ")])
            it.setToolTip(6, ev.compute_figures(f) or "no compute figures (a run made before they were measured)")
            it.setData(0, PATH_ROLE, key)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(0, Qt.CheckState.Checked if key in self.overlaid else Qt.CheckState.Unchecked)
            it.setToolTip(0, run_label(r))
            self.tree.addTopLevelItem(it)
        self.tree.blockSignals(False)
        for i in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(i)
        for rid in list(self.overlaid):
            if rid not in self.runs:
                self._overlay(rid, False)

    def show_extra(self, run: RunInfo) -> None:
        """List a run folder that is not one of the graph's own (a search trial) and select it, so its
        curves can be overlaid and its weights loaded."""
        key = str(run.path)
        self.extra.pop(key, None)
        self.extra[key] = run
        self.reload()
        it = self.item_for(key)
        if it is not None:
            self.tree.setCurrentItem(it)

    def _all_toggled(self, _on: bool) -> None:
        self.reload()

    def _run_finished(self, _fin: Any) -> None:
        self.reload()

    # -- overlays -----------------------------------------------------------------------------------------------
    def item_for(self, key: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(i)
            if it.data(0, PATH_ROLE) == key:
                return it
        return None

    def set_overlay(self, key: str, on: bool) -> None:
        """Tick or untick a run (as a click on its box does)."""
        it = self.item_for(key)
        if it is not None:
            it.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            key = item.data(0, PATH_ROLE)
            self._overlay(key, item.checkState(0) == Qt.CheckState.Checked)

    def _overlay(self, key: str, on: bool) -> None:
        p = self.plots
        if not on:
            self.overlaid.discard(key)
            p.loss.remove_overlay(key)
            p.acc.remove_run(key)
            p.lr.remove_run(key)
            return
        r = self.runs.get(key)
        if r is None:
            return
        c = load_curves(r)
        epochs = c["epoch"]
        if not epochs:
            self.shell.show_hint(f"run {r.name} has no epochs to show")
            return
        self.overlaid.add(key)
        started = self.controller.run_history.started
        spe = started.steps_per_epoch if started is not None else 1
        x = [s if isinstance(s, int) and s > 0 else e * spe for e, s in zip(epochs, c["step"])]
        label = run_label(r)

        def pts(ys: list[Any]) -> tuple[list[float], list[float]]:
            xs = [a for a, y in zip(x, ys) if y is not None]
            return xs, [y for y in ys if y is not None]
        p.loss.add_overlay(key, *pts(c["train_loss"]), label)
        if any(v is not None for v in c["val_loss"]):
            p.loss.add_overlay(key, *pts(c["val_loss"]), symbol="s", dash=True, legend=False)
        acc = c["val_acc"] if any(v is not None for v in c["val_acc"]) else c["train_acc"]
        if any(v is not None for v in acc):
            ep = [e for e, v in zip(epochs, acc) if v is not None]
            p.acc.add_run(key, ep, [v for v in acc if v is not None], label)
        if any(v is not None for v in c["lr"]):
            p.lr.add_run(key, *pts(c["lr"]), label)

    # -- weights --------------------------------------------------------------------------------------------------
    def _current_changed(self, item: QTreeWidgetItem | None, _prev: Any) -> None:
        r = self.runs.get(item.data(0, PATH_ROLE)) if item is not None else None
        self.load.setEnabled(r is not None and r.checkpoint is not None)

    def load_selected(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self.load_weights(item.data(0, PATH_ROLE))

    def load_weights(self, key: str) -> Path | None:
        r = self.runs.get(key) or read_run(key)
        try:
            path = weights_path(r if r is not None else key)
        except RunError as e:
            self.shell.show_hint(str(e))
            return None
        self.controller.weights_path = path
        self.document.set_weights(path)
        name = r.name if r is not None else Path(key).name
        self.weights_label.setText(f"Weights for stepping and export: <b>{name}</b>")
        self.shell.show_hint(f"weights from run {name} will be used for stepping and export")
        return path
