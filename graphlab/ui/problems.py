"""The problems list: a view of the document's :class:`~.problem_sink.ProblemSink` — every error and
warning of the analysis, then those other parts of the editor add (the fit check, a run's failure,
the stepper's NaN tracer, a failed gradient check), each once; a click selects the node.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle

from .problem_sink import ProblemSink

NODE_ROLE = Qt.ItemDataRole.UserRole + 1


class ProblemsWidget(QListWidget):
    node_requested = Signal(str)

    def __init__(self, sink: ProblemSink, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("problems")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.sink = sink
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)
        sink.changed.connect(self._refill)
        self._refill()

    def _refill(self) -> None:
        shown = self.sink.problems()
        self.clear()
        err = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        for p in shown:
            it = QListWidgetItem(err if p.severity == "error" else warn, p.text())
            it.setData(NODE_ROLE, p.node)
            it.setToolTip(p.text())
            self.addItem(it)

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if self.count() == 0:  # say so, rather than show an empty box
            p = QPainter(self.viewport())
            p.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            p.drawText(self.viewport().rect().adjusted(8, 6, -8, -6), Qt.AlignmentFlag.AlignLeft,
                       "No problems.")
            p.end()

    def _clicked(self, item: QListWidgetItem) -> None:
        node = item.data(NODE_ROLE)
        if node:
            self.node_requested.emit(node)
