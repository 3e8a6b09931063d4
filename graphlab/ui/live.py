"""Live analysis: re-run :func:`graphlab.core.analyze` once per event-loop turn after edits.

Every structural or parameter event marks the analysis dirty and starts a 0-ms single-shot timer,
so a burst of events (a paste of 50 nodes, an undo of a delete) costs one analysis. Moves do not
change shapes and do not trigger it. ``flush()`` runs a pending analysis now (tests, benchmarks).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..core import Analysis, Graph, analyze


class LiveAnalysis(QObject):
    updated = Signal(object)  # Analysis

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph: Graph | None = None
        self.analysis: Analysis | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.flush)
        self._dirty = False

    def set_graph(self, graph: Graph) -> None:
        if self.graph is not None:
            self._subscribe(self.graph, False)
        self.graph = graph
        self._subscribe(graph, True)
        self._dirty = True
        self.flush()

    def _subscribe(self, g: Graph, on: bool) -> None:
        for ev in (g.node_added, g.node_removed, g.edge_added, g.edge_removed, g.param_changed, g.meta_changed):
            (ev.connect if on else ev.disconnect)(self._mark)

    def _mark(self, *args: Any) -> None:
        self._dirty = True
        if not self._timer.isActive():
            self._timer.start()

    @property
    def pending(self) -> bool:
        return self._dirty

    def flush(self) -> Analysis | None:
        self._timer.stop()
        if self._dirty and self.graph is not None:
            self._dirty = False
            self.analysis = analyze(self.graph)
            self.updated.emit(self.analysis)
        return self.analysis
