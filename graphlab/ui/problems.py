"""The problems list: every error and warning of the current analysis; a click selects the node.

Other parts of the editor add problems of their own that are not the analysis' (the stepper's NaN
tracer, a failed gradient check) with ``set_extra(owner, problems)``: listed after the analysis'
errors, kept per owner until that owner replaces or clears them (``set_extra(owner, [])``).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle

from ..core import Analysis
from ..core.analysis import Problem

NODE_ROLE = Qt.ItemDataRole.UserRole + 1


class ProblemsWidget(QListWidget):
    node_requested = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("problems")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self._key: tuple = ()
        self._analysis: list[Problem] = []
        self._extra: dict[str, list[Problem]] = {}
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)

    def set_analysis(self, analysis: Analysis) -> None:
        self._analysis = list(analysis.problems)
        self._refill()

    def set_extra(self, owner: str, problems: list[Problem]) -> None:
        """Problems that do not come from the analysis (e.g. owner "stepper"); [] removes them."""
        if problems:
            self._extra[owner] = list(problems)
        else:
            self._extra.pop(owner, None)
        self._refill()

    def _refill(self) -> None:
        shown = sorted(self._analysis, key=lambda p: p.severity != "error")
        shown += [p for owner in sorted(self._extra) for p in self._extra[owner]]
        key = tuple((p.node, p.message, p.severity) for p in shown)
        if key == self._key:
            return
        self._key = key
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
