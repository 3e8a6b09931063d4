"""The Plots dock (objectName ``plots``): the run's curves, the gradient flow and the end-of-run evaluation.

* A banner says what is being trained: the graph *as it was when the run started* (and, once the
  graph is edited during the run, that the edits apply to the next run); the overfit check's result;
  how the run ended.
* Tabs, each with the whole dock's room (the Train workspace gives the dock the right ~60% of the
  window at full height, so the loss plot is ≥ 250 px tall at 1024×700):
  *Curves* — loss per step (raw, faint, and smoothed) with the epochs' train and validation losses
  on the same step axis, the initial loss and ln C marked at step 0; accuracy per epoch
  (classification); the learning rate per step. A "log y" toggle for the loss; hover readouts come
  with the plots. *Gradient flow* — nodes in forward order × sampled steps, ‖∂L/∂out‖ and the update
  ratio; clicking a row selects the node on the canvas. *Evaluation* — the confusion matrix on the
  validation split, and for images the most confidently misclassified samples (shown when a run
  ends).
* Another graph in the document (``reset``): everything goes; the Runs dock then shows that graph's
  last run here (:meth:`PlotsPanel.show_run`: its per-epoch curves and figures, read from its folder).

Data come from the controller's :class:`graphlab.run.history.History` on each ``refreshed`` (≤ 2 Hz):
the plots get only what is new since the last refresh (``append``; the plot items are made once),
the gradient flow its bounded sample table (≤ 2,048 columns). Hidden tabs are not redrawn.
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...run import events as ev
from ...run.runs import RunInfo, load_curves
from ..document import Document
from ..shell import Shell

if TYPE_CHECKING:
    from .controller import TrainingController

#: above this many epochs the epoch curves are drawn without markers
DENSE_EPOCHS = 200
#: seconds between updates of the secondary views (accuracy, learning rate, gradient flow): each
#: update repaints a plot (~5 ms in software rendering); the loss follows every refresh (≤ 2 Hz)
SECONDARY_S = 2.0
TAB_CURVES, TAB_FLOW, TAB_EVALUATION = 0, 1, 2
IDLE_TEXT = "Press Train (F5) to train the graph; its curves appear here."


class PlotsPanel(QWidget):
    def __init__(self, document: Document, shell: Shell, controller: TrainingController) -> None:
        super().__init__()
        self.document, self.shell, self.controller = document, shell, controller
        self._build_widgets(shell)
        top = QHBoxLayout()
        top.addWidget(self.banner, 1)
        top.addWidget(self.log_y)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("plots_tabs")
        self.tabs.addTab(self._build_curves_page(), "Curves")
        self.tabs.addTab(self.flow, "Gradient flow")
        self.tabs.addTab(self._build_evaluation_page(), "Evaluation")
        self.tabs.currentChanged.connect(self._tab_changed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addLayout(top)
        lay.addWidget(self.tabs, 1)

        self.started: ev.RunStarted | None = None
        self.shown_run: RunInfo | None = None  # a finished run shown from its folder (not the live one)
        self._n_steps = self._n_epochs = self._n_lr = 0
        self._flow_key: Any = None
        self._outcome = ""
        self._secondary_at = 0.0
        self._connect(controller)

    def _build_widgets(self, shell: Shell) -> None:
        """The banner, the log-y toggle, the plots and the evaluation's views."""
        from ..views import (
            AccuracyPlot,
            ConfusionMatrixView,
            GradientFlowView,
            ImageMosaic,
            LearningRatePlot,
            LossPlot,
        )

        self.banner = QLabel(IDLE_TEXT)
        self.banner.setObjectName("training_banner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.RichText)
        self.log_y = QCheckBox("log y")
        self.log_y.setObjectName("loss_log_y")
        self.log_y.setToolTip("logarithmic loss axis")
        self.log_y.toggled.connect(self._log_toggled)
        self.loss = LossPlot()
        self.acc = AccuracyPlot()
        self.lr = LearningRatePlot()
        self.flow = GradientFlowView()
        self.flow.node_clicked.connect(shell.reveal_node)
        self.confusion = ConfusionMatrixView()
        self.misclassified = ImageMosaic()
        self.misclassified_title = QLabel("Most confidently misclassified (true → predicted, confidence)")
        self.eval_note = QLabel("The confusion matrix appears when a classification run completes.")
        self.eval_note.setWordWrap(True)

    def _build_curves_page(self) -> QWidget:
        """The loss above, accuracy and learning rate side by side below."""
        curves = QWidget()
        cl = QVBoxLayout(curves)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.loss, 3)
        row = QHBoxLayout()
        row.addWidget(self.acc)
        row.addWidget(self.lr)
        cl.addLayout(row, 2)
        return curves

    def _build_evaluation_page(self) -> QWidget:
        """The note, then the confusion matrix beside the misclassified samples."""
        evaluation = QWidget()
        el = QVBoxLayout(evaluation)
        el.setContentsMargins(2, 2, 2, 2)
        el.addWidget(self.eval_note)
        split = QSplitter(Qt.Orientation.Horizontal)  # the matrix square on the left, the samples beside it
        split.addWidget(self.confusion)
        mis = QWidget()
        ml = QVBoxLayout(mis)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(self.misclassified_title)
        ml.addWidget(self.misclassified, 1)
        split.addWidget(mis)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.misclassified_title.setWordWrap(True)
        el.addWidget(split, 1)
        return evaluation

    def _connect(self, controller: TrainingController) -> None:
        controller.starting.connect(self.starting)
        controller.run_started.connect(self.run_started)
        controller.refreshed.connect(self.refresh)
        controller.finished.connect(self.run_finished)
        controller.snapshot_changed.connect(self.update_banner)
        controller.event_batch.connect(self._events)
        controller.reset.connect(self.reset)

    def reset(self) -> None:
        """Another graph is in the document: nothing of the last one's run stays."""
        self.starting()
        self._outcome = ""
        self.banner.setText(IDLE_TEXT)

    def show_run(self, run: RunInfo, title: str | None = None) -> None:
        """Show a finished run of this graph from its folder: its per-epoch curves and final figures
        (the graph's last run, when the graph is opened; ``title`` says what else it is: a search trial)."""
        self.starting()
        self.shown_run = run
        rows = load_curves(run)
        records = [{k: rows[k][i] for k in rows} for i in range(len(rows["epoch"]))]
        if records:
            self.loss.update(epochs=records)
            self.acc.update(epochs=records)
            steps = [r["step"] or r["epoch"] for r in records if r.get("lr") is not None]
            lrs = [r["lr"] for r in records if r.get("lr") is not None]
            if lrs:
                self.lr.append_steps(steps, lrs)
        figures = ev.final_figures(run.final or {})
        when = (run.finished or run.started or "").replace("T", " ")
        what = f"{_esc(title)}, run" if title else "The last run of this graph"
        self.banner.setText(f"{what}: <b>{_esc(run.name)}</b> ({_esc(run.status)}, "
                            f"{run.epochs} epoch{'s' * (run.epochs != 1)}{', ' + when if when else ''})"
                            + (f" — {figures}" if figures else "")
                            + ("." if title else ". Press Train (F5) to train it again."))
        for view in (self.loss, self.acc, self.lr):
            view.flush()

    # -- a run ------------------------------------------------------------------------------------------
    def starting(self) -> None:
        """Train was pressed: the last run's curves go; the child takes a few seconds to start."""
        self.started = None
        self._n_steps = self._n_epochs = self._n_lr = 0
        self._flow_key = None
        self._outcome = ""
        self.loss.clear()
        self.acc.clear()
        self.lr.clear()
        self.flow.set_nodes([])
        self.confusion.clear()
        self.misclassified.clear()
        self.tabs.setCurrentIndex(TAB_CURVES)
        self.shown_run = None
        self.banner.setText("Starting the training process (it loads PyTorch and builds the dataset)…")

    def run_started(self, e: ev.RunStarted) -> None:
        if self._n_steps or self._n_epochs:
            self.starting()  # not through start() (a script drove the controller): start clean
        self.started = e
        self.loss.set_initial_loss(e.initial_loss, e.expected_loss, num_classes=e.num_classes)
        self.flow.set_nodes(e.order)
        self.acc.setVisible(e.task == "classification")
        # one step per epoch, or thousands of epochs: the epoch curves without markers (each marker is a
        # symbol pyqtgraph draws on every redraw; 10,000 of them were most of the GUI's time)
        sym = None if e.steps_per_epoch <= 1 or e.epochs > DENSE_EPOCHS else "o"
        for plot in (self.loss, self.acc):
            plot.set_symbol("train", sym)
            plot.set_symbol("val", None if sym is None else "s")
        self.update_banner()

    def _events(self, events: list[Any]) -> None:
        for e in events:
            t = type(e)
            if t is ev.Error and e.kind == "nan":
                steps, _ = self.controller.run_history.step_loss()
                last = int(steps[-1]) if len(steps) else 0
                self.refresh(everything=True)
                self.loss.append_steps([last + 1], [math.nan])  # the step that diverged: a marker, not a gap
            elif t is ev.Preparing and self.started is None:
                self.banner.setText(f"Preparing the run: {_esc(e.what)}…")
            elif t is ev.Evaluation:
                self.show_evaluation(e)
            elif t is ev.OverfitResult:
                self._outcome = overfit_text(e)
                self.update_banner()

    def refresh(self, everything: bool = False) -> None:
        h = self.controller.run_history
        steps, loss = h.step_loss()
        if len(steps) > self._n_steps:
            self.loss.append_steps(steps[self._n_steps:], loss[self._n_steps:])
            self._n_steps = len(steps)
        now = time.monotonic()
        if not everything and now - self._secondary_at < SECONDARY_S:
            return
        self._secondary_at = now
        if len(h.epochs) > self._n_epochs:
            new = h.epochs[self._n_epochs:]
            self.loss.update(epochs=new)
            self.acc.update(epochs=new)
            self._n_epochs = len(h.epochs)
        ls, lv = h.lr()
        if len(ls) > self._n_lr:
            self.lr.append_steps(ls[self._n_lr:], lv[self._n_lr:])
            self._n_lr = len(ls)
        self._refresh_flow()

    def _refresh_flow(self, force: bool = False) -> None:
        h = self.controller.run_history
        t = h.stats
        key = (t.n, t.stride, t.steps[-1] if t.n else None)
        if key == self._flow_key and not force:
            return
        if not self.flow.isVisible() and not force:
            return
        self._flow_key = key
        order = self.flow.nodes
        if not order:
            return
        grads = np.vstack([t.column((n, "grad_norm")) for n in order])
        ratios = np.vstack([t.column((n, "weight.update_ratio")) for n in order])
        self.flow.set_data(t.steps.copy(), grads, ratios)

    def flush(self) -> None:
        """Take everything the history holds and draw it now (the end of a run; tests)."""
        self.refresh(everything=True)
        self._refresh_flow(force=True)
        for view in (self.loss, self.acc, self.lr, self.flow):
            view.flush()

    def run_finished(self, fin: ev.Finished) -> None:
        self.flush()
        if self.controller.run_history.evaluation is not None:
            self.tabs.setCurrentIndex(TAB_EVALUATION)  # the run is over: how it does on the validation split
        h = self.controller.run_history
        if fin.reason == "error" and h.error is not None:
            where = f" at node <b>{h.error.node}</b>" if h.error.node else ""
            self._outcome = self._outcome or f"The run stopped with an error{where}: {_esc(h.error.message)}"
        elif not self._outcome:
            figures = ev.final_figures(fin.final or {})
            note = f" {ev.FINAL_NOTE[0].upper()}{ev.FINAL_NOTE[1:]}: {figures}." if figures else ""
            self._outcome = f"Run {fin.reason} after {fin.epochs} epoch{'s' * (fin.epochs != 1)}.{note}"
        self.update_banner()

    def show_evaluation(self, e: ev.Evaluation) -> None:
        self.confusion.set_matrix(np.asarray(e.confusion), e.class_names or None)
        split = "validation" if e.split == "val" else "training"
        self.confusion.title.setText(f"Confusion matrix ({split})")
        self.eval_note.setText(f"On the {split} split{' (this run holds none out)' if split == 'training' else ''}: "
                               "rows are the true class, columns the predicted one.")
        names = e.class_names or []

        def name(i: int) -> str:
            return names[i] if i < len(names) else str(i)
        if e.images is not None and len(e.images):
            caps = [f"{name(t)} → {name(p)} ({c:.2f})" for t, p, c in zip(e.true, e.pred, e.confidence)]
            self.misclassified.set_tiles(np.asarray(e.images, dtype=np.float32) / 255.0, captions=caps,
                                         normalize="none")
        else:
            self.misclassified.clear()
        self.misclassified.setVisible(e.images is not None)
        self.misclassified_title.setVisible(e.images is not None)

    # -- the banner ---------------------------------------------------------------------------------------
    def update_banner(self) -> None:
        c = self.controller
        parts = []
        if c.started_at is not None and c.state != "idle":
            when = time.strftime("%H:%M:%S", time.localtime(c.started_at))
            what = "The overfit check trains" if c.overfit else "This run trains"
            folder = f" (run folder {c.run_dir.name})" if c.run_dir is not None else ""
            parts.append(f"{what} the graph <b>as it was at {when}</b>, when it started{folder}.")
            if c.edited_since_start:
                parts.append("<b>The graph has been edited since</b>: your edits apply to the next run.")
        if self._outcome:
            parts.append(self._outcome)
        if parts:
            self.banner.setText(" ".join(parts))

    def _tab_changed(self, _index: int) -> None:
        self._refresh_flow(force=True)

    def _log_toggled(self, on: bool) -> None:
        self.loss.set_log_y(on)


def overfit_text(r: ev.OverfitResult) -> str:
    if r.reached:
        acc = f"{r.train_acc:.0%} accuracy" if r.train_acc is not None else f"loss {r.loss:.3g}"
        return (f"<b>Overfit check passed</b>: the net memorised {r.samples} training samples ({acc}) in "
                f"{r.steps:,} steps.")
    causes = "; ".join(_esc(c) for c in r.causes) or "no likely cause found"
    acc = f" (accuracy {r.train_acc:.0%})" if r.train_acc is not None else ""
    return (f"<b>Overfit check failed</b>: {r.samples} samples not memorised in {r.steps:,} steps{acc}. "
            f"Likely causes: {causes}.")


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
