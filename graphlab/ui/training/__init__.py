"""The training workbench in the editor: train in a child process and watch inside the network.

``install(window)`` is the one entry point (called by the main window, which only assembles); it
returns the :class:`~.controller.TrainingController` the window keeps as ``window.training``::

    controller.py       the run: TrainingProcess (a snapshot of the graph), polling, History, state
    fit_check.py        before a run: training-section errors and the fit check, off the GUI thread
    preflight.py        the worker thread for what needs torch (fit check, dataset preview, devices)
    run_controls.py     Run menu, toolbar (Train F5, Pause/Resume F6, Stop Shift+F5, device), status bar
    settings_form.py    the form generated from graphlab.run.schema; settings_dock.py: form + preview
    commands.py         SetTrainingCommand: every settings change is one undo step
    plots_dock.py       loss / accuracy / lr, gradient flow, confusion matrix, misclassified samples
    node_dock.py        the selected node over time: activations, histograms, parameters, images
    runs_dock.py        earlier runs: final figures, overlays, "Load weights from run"
    canvas_feedback.py  badges, warning marks and the failing node on the canvas; problems list lines

Docks (objectNames): ``training`` (tabbed with the inspector), ``plots``, ``node``, ``runs`` (shown
when a run starts; View ▸ Panels toggles them: Ctrl+4 … Ctrl+7). Nothing here imports torch: the
training child and the preflight worker do. Everything drawn on the canvas goes through the
overlay (owner "training"); nothing here edits the document except the settings form's undo
commands.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer

from .controller import TrainingController

if TYPE_CHECKING:
    from ..main_window import MainWindow

__all__ = ["TrainingController", "Workbench", "install"]


class Workbench(QObject):
    """The panels of the training workbench and their wiring to the window (``window.training.ui``)."""

    def __init__(self, window: MainWindow, controller: TrainingController) -> None:
        super().__init__(window)
        from .canvas_feedback import CanvasFeedback
        from .fit_check import FitCheck
        from .node_dock import NodePanel
        from .plots_dock import PlotsPanel
        from .run_controls import RunControls
        from .runs_dock import RunsPanel
        from .settings_dock import TrainingSettingsPanel

        self.window, self.controller = window, controller
        self.fit = FitCheck(window, controller)
        controller.fit = self.fit
        self.settings = TrainingSettingsPanel(window, self.fit)
        self.plots = PlotsPanel(window, controller)
        self.node = NodePanel(window, controller)
        self.runs = RunsPanel(window, controller, self.plots)
        self.canvas = CanvasFeedback(window, controller)
        self.controls = RunControls(window, controller, self.fit)

        # explicit minimum sizes: a hidden, tabified dock's content still counts towards the window's
        # minimum size before the first show (Qt), and the plots' own minimums would grow the window
        for panel, (mw, mh) in ((self.settings, (160, 120)), (self.plots, (240, 120)), (self.node, (180, 160)),
                                (self.runs, (160, 80))):
            panel.setMinimumSize(mw, mh)
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        self.training_dock = window.add_dock("Training", self.settings, right, "training", "Ctrl+4")
        self.node_dock = window.add_dock("Node", self.node, right, "node", "Ctrl+6")
        self.plots_dock = window.add_dock("Plots", self.plots, bottom, "plots", "Ctrl+5")
        self.runs_dock = window.add_dock("Runs", self.runs, bottom, "runs", "Ctrl+7")
        inspector, problems = getattr(window, "inspector_dock", None), getattr(window, "problems_dock", None)
        if inspector is not None:
            window.tabifyDockWidget(inspector, self.training_dock)
            window.tabifyDockWidget(inspector, self.node_dock)
            inspector.raise_()
        if problems is not None:  # the plots left of the problems list (with the runs behind it)
            window.splitDockWidget(self.plots_dock, problems, Qt.Orientation.Horizontal)
            window.tabifyDockWidget(problems, self.runs_dock)
            problems.raise_()
        for dock in (self.plots_dock, self.node_dock, self.runs_dock):
            dock.hide()  # until a run starts: the canvas keeps its room
        self._sized = False
        self.node_dock.visibilityChanged.connect(self.node.set_dock_visible)
        window.live.updated.connect(self.analysis_updated)
        controller.starting.connect(self.starting)
        self._doc: Any = None

    def analysis_updated(self, _analysis: Any = None) -> None:
        """After every edit (and when another document opens): follow the document."""
        if self.controller.closed:
            return
        opened = self.window.document is not self._doc
        self._doc = self.window.document
        self.controller.document_edited()
        self.fit.document_edited()
        self.settings.document_edited()
        self.runs.document_edited()
        if opened:
            self.controls.document_opened()
            if self.controller.state != "idle" and not self.controller.active:
                self.window.scene.overlay.clear("training")
        self.controls.update_actions()

    def starting(self) -> None:
        """Train was pressed: show what a run is watched with — the plots and the node dock — while the
        child starts (seconds), so the relayout happens now rather than during the run. The user may hide
        them again. The first time in a window the plots get ~40% of its height and most of its width."""
        w = self.window
        first = not self._sized and not self.plots_dock.isVisible()
        for dock in (self.plots_dock, self.runs_dock, self.node_dock):
            if not dock.isVisible():
                dock.show()
        self.plots_dock.raise_()
        self.node_dock.raise_()
        if first:
            self._sized = True
            problems = getattr(w, "problems_dock", None)
            w.resizeDocks([self.plots_dock], [int(w.height() * 0.42)], Qt.Orientation.Vertical)
            if problems is not None and not self.plots_dock.isFloating():
                width = w.width()
                w.resizeDocks([self.plots_dock, problems], [int(width * 0.75), int(width * 0.25)],
                              Qt.Orientation.Horizontal)
            if not self.node_dock.isFloating():
                w.resizeDocks([self.node_dock], [max(self.node_dock.width(), 400)], Qt.Orientation.Horizontal)
            QTimer.singleShot(0, self, self.refit)  # the canvas lost room to the docks: show the graph again

    def refit(self) -> None:
        self.window.view.fit_all(readable=True)


def install(window: MainWindow) -> TrainingController:
    """Build the training workbench into ``window``; the controller becomes ``window.training``."""
    controller = TrainingController(window)
    controller.ui = Workbench(window, controller)
    return controller
