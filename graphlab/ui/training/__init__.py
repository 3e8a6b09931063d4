"""The training workbench in the editor: train in a child process and watch inside the network.

``install(document, shell)`` is the one entry point (the main window calls it; it only assembles);
it returns the :class:`~.controller.TrainingController` the window keeps as ``window.training``::

    controller.py       the run: TrainingProcess (a snapshot of the graph), polling, History, state
    fit_check.py        before a run: what Train would refuse, checked by itself on the worker
    preflight.py        the worker's jobs: the dataset preview, the devices torch sees
    run_controls.py     Run menu, toolbar (Train F5, Pause/Resume F6, Stop Shift+F5, device), status bar
    settings_form.py    the form generated from graphlab.run.schema; settings_dock.py: form + preview
    commands.py         SetTrainingCommand: every settings change is one undo step
    plots_dock.py       loss / accuracy / lr, gradient flow, confusion matrix, misclassified samples
    node_dock.py        the selected node over time: activations, histograms, parameters, images
    runs_dock.py        earlier runs: final figures, overlays, "Load weights from run"
    canvas_feedback.py  badges, warning marks and the failing node on the canvas; problems list lines

Everything is built from the :class:`~graphlab.ui.document.Document` and the
:class:`~graphlab.ui.shell.Shell`, never from the main window. Docks (objectNames): ``training``
(the Design and Train workspaces), ``plots``, ``node``, ``runs`` (the Train workspace; View ▸ Panels
toggles them: Ctrl+4 … Ctrl+7). Train (F5) switches to the Train workspace. Nothing here imports
torch: the training child and the editor's worker do. Everything drawn on the canvas goes through
the document's overlay (owner "training"); nothing here edits the document except the settings
form's undo commands.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt

from ..document import Document
from ..shell import Shell
from .controller import TrainingController

__all__ = ["TrainingController", "Workbench", "install"]


class Workbench(QObject):
    """The panels of the training workbench and their wiring (``window.training.ui``)."""

    def __init__(self, document: Document, shell: Shell, controller: TrainingController) -> None:
        super().__init__(shell)
        from .canvas_feedback import CanvasFeedback
        from .fit_check import FitCheck
        from .node_dock import NodePanel
        from .plots_dock import PlotsPanel
        from .run_controls import RunControls
        from .runs_dock import RunsPanel
        from .settings_dock import TrainingSettingsPanel

        self.document, self.shell, self.controller = document, shell, controller
        self.fit = FitCheck(document, shell)
        controller.fit = self.fit
        self.settings = TrainingSettingsPanel(document, shell)
        self.plots = PlotsPanel(document, shell, controller)
        self.node = NodePanel(document, shell, controller)
        self.runs = RunsPanel(document, shell, controller, self.plots)
        self.canvas = CanvasFeedback(document, shell, controller)
        self.controls = RunControls(document, shell, controller, self.fit)

        # explicit minimum sizes: a hidden, tabified dock's content still counts towards the window's
        # minimum size before the first show (Qt), and the plots' own minimums would grow the window
        for panel, (mw, mh) in ((self.settings, (160, 120)), (self.plots, (240, 120)), (self.node, (180, 160)),
                                (self.runs, (160, 80))):
            panel.setMinimumSize(mw, mh)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.training_dock = shell.add_dock("Training", self.settings, right, "training", "Ctrl+4", ("design", "train"))
        self.node_dock = shell.add_dock("Node", self.node, bottom, "node", "Ctrl+6", ("train",))
        self.plots_dock = shell.add_dock("Plots", self.plots, right, "plots", "Ctrl+5", ("train",))
        self.runs_dock = shell.add_dock("Runs", self.runs, bottom, "runs", "Ctrl+7", ("train",))
        for dock in (self.plots_dock, self.node_dock, self.runs_dock):
            dock.hide()  # until the Train workspace shows them
        self.node_dock.visibilityChanged.connect(self.node.set_dock_visible)
        document.analysed.connect(controller.document_edited)
        document.replaced.connect(controller.document_replaced)
        document.path_changed.connect(controller.path_changed)
        controller.starting.connect(self.starting)
        shell.open_run_hook = self.open_run

    def starting(self) -> None:
        """Train was pressed: the Train workspace shows what a run is watched with — the plots, the node
        dock, the runs — while the child starts, so the relayout happens now rather than during the run."""
        self.shell.switch_workspace("train")
        for dock in (self.plots_dock, self.node_dock):
            if not dock.isVisible():
                dock.show()
        self.plots_dock.raise_()
        self.node_dock.raise_()


    def open_run(self, folder: Path, title: str) -> bool:
        """Show a run folder that is not the live run (a search trial): its curves on the Plots dock, and
        listed (selected) in the Runs dock, where its weights can be loaded (``shell.open_run``)."""
        from ...run.runs import read_run

        run = read_run(folder)
        if run is None:
            self.shell.show_hint(f"{title}: {folder} is not a run folder (no run.json)")
            return False
        if self.controller.active:
            self.shell.show_hint(f"{title}: listed in the Runs dock (the plots show the run in progress)")
        else:
            self.plots.show_run(run, title)
            self.plots_dock.show()
            self.plots_dock.raise_()
        self.runs.show_extra(run)
        self.runs_dock.show()
        self.runs_dock.raise_()
        return True


def install(document: Document, shell: Shell) -> TrainingController:
    """Build the training workbench; the controller becomes ``window.training``."""
    controller = TrainingController(document, shell, warm=shell.preference("training/warm_process", True))
    controller.ui = Workbench(document, shell, controller)
    return controller
