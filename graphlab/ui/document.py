"""The document: one graph being edited, and everything every panel needs to follow it.

A :class:`Document` owns the :class:`~graphlab.core.Graph`, the file it came from (``path``; None
for a new graph or an example), the undo stack and the :class:`~.controller.Controller` that
turns intents into undo commands, the live analysis, the canvas scene with its overlay channel
(``overlay``: view state that is never saved), and the :class:`~.problem_sink.ProblemSink`.

It is one object for the window's whole life; opening another file *replaces* the graph inside
it. Panels subscribe once, to its signals, each defined here and nowhere else:

* ``replaced()`` — another graph is in the document (open, New, Revert, an example, recovery):
  everything shown about the old one goes. The analysis of the new graph is ready when it fires
  (``analysis``) and ``analysed`` follows it.
* ``analysed(Analysis)`` — the analysis ran again (once per event-loop turn after edits).
* ``structure_changed()`` — nodes, edges or parameters changed (not a move, not the name): work
  computed for the graph as it was (a step-through, a fit check) is stale.
* ``training_changed()`` — the training section changed; ``section_changed(key)`` for any other
  section of the file (``step``, ``search``, …; ``training`` too).
* ``path_changed(old, new)`` — the document was saved under another name.
* ``weights_changed(path)`` — the weights stepping and export use (a run's checkpoint) changed.

A panel is built from a Document and a :class:`~.shell.Shell` (docks, menus, hints, prompts,
revealing a node), never from the main window; tests build panels against a bare Document.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QIcon

from ..core import Analysis, Graph
from ..core.layout import spread_stacked
from .controller import Controller
from .live import LiveAnalysis
from .problem_sink import ProblemSink
from .scene.graph_scene import GraphScene

UNTITLED = "untitled"


class Document(QObject):
    replaced = Signal()
    analysed = Signal(object)  # Analysis
    structure_changed = Signal()
    training_changed = Signal()
    section_changed = Signal(str)
    path_changed = Signal(object, object)  # old path | None, new path
    weights_changed = Signal(object)  # Path | None

    def __init__(self, graph: Graph | None = None, path: str | None = None, parent: QObject | None = None,
                 category_icon: Callable[[str | None], QIcon | None] | None = None) -> None:
        super().__init__(parent)
        self.graph = graph if graph is not None else Graph(UNTITLED)
        self.path = path
        self.title: str | None = None  # shown instead of a file name: "LeNet-5 (example)", "Recovered"
        #: names the runs of a document that has no file yet (they move beside the file at its first save)
        self.key = uuid.uuid4().hex[:12]
        self.weights: Path | None = None
        self.controller = Controller(self.graph, self)
        self.undo_stack = self.controller.stack
        self.problems = ProblemSink(self)
        self.scene = GraphScene(self)
        if category_icon is not None:
            self.scene.category_icon = category_icon
        self.overlay = self.scene.overlay
        self.live = LiveAnalysis(self)
        self._replacing = False
        self.live.updated.connect(self._analysed)
        self._follow(self.graph, True)
        spread_stacked(self.graph)
        self.scene.set_graph(self.graph)
        self.live.set_graph(self.graph)

    # -- reading ------------------------------------------------------------------------------------
    @property
    def analysis(self) -> Analysis:
        a = self.live.analysis
        assert a is not None  # set_graph ran in __init__
        return a

    def flush(self) -> Analysis:
        """Run a pending analysis now (tests, and before a decision that needs it)."""
        self.live.flush()
        return self.analysis

    def base_dir(self) -> Path:
        """Where the graph's relative paths (its dataset) start: the file's folder, or the cwd."""
        return Path(self.path).resolve().parent if self.path else Path.cwd()

    # -- changing -----------------------------------------------------------------------------------
    def replace(self, graph: Graph, path: str | None = None, title: str | None = None, key: str | None = None) -> None:
        """Put another graph in the document (open, New, Revert, an example, recovery). ``key`` names the
        runs of a graph without a file (an example's name, so reopening the example finds them)."""
        spread_stacked(graph)  # nodes without positions (allowed in files) are laid out, not piled up
        self._follow(self.graph, False)
        self.graph, self.path, self.title = graph, path, title
        self.key = key or uuid.uuid4().hex[:12]
        self.controller.set_graph(graph)
        self.problems.clear_extra()
        self.scene.set_graph(graph)
        self._follow(graph, True)
        if self.weights is not None:
            self.weights = None
            self.weights_changed.emit(None)
        self._replacing = True
        try:
            self.live.set_graph(graph)
        finally:
            self._replacing = False
        self.replaced.emit()
        self.analysed.emit(self.analysis)

    def set_path(self, path: str | None) -> None:
        """The document now lives in ``path`` (a Save As)."""
        old, self.path = self.path, path
        self.title = None
        if old != path:
            self.path_changed.emit(old, path)

    def set_weights(self, path: str | Path | None) -> None:
        """The weights stepping and export use from now on (None: the seeded initialisation)."""
        new = Path(path) if path else None
        if new != self.weights:
            self.weights = new
            self.weights_changed.emit(new)

    def detach(self) -> None:
        """Stop following the graph (the window closes; the graph object may outlive it)."""
        self._follow(self.graph, False)
        blank = Graph(UNTITLED)
        self.scene.set_graph(blank)
        self.live.set_graph(blank)

    # -- following the graph ------------------------------------------------------------------------
    def _follow(self, g: Graph, on: bool) -> None:
        for ev in (g.node_added, g.node_removed, g.edge_added, g.edge_removed, g.param_changed):
            (ev.connect if on else ev.disconnect)(self._structure)
        (g.meta_changed.connect if on else g.meta_changed.disconnect)(self._meta)

    def _structure(self, *_: Any) -> None:
        self.structure_changed.emit()

    def _meta(self, key: str, *_: Any) -> None:
        if key == "name":
            return
        if key == "training":
            self.training_changed.emit()
        self.section_changed.emit(key)

    def _analysed(self, a: Analysis) -> None:
        self.problems.set_analysis(a)
        if not self._replacing:
            self.analysed.emit(a)
