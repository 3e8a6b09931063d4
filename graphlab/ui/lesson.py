"""The lesson banner: what an example file says to do and to look for, above the canvas.

An example's ``"example"`` section (graphlab.assets) may carry ``steps`` (what to do, each naming the
view to use: "the Node dock's Histograms tab"), ``look_for`` (what the views should show) and a
``note`` (prose). When such a graph is in the document the banner shows them above the canvas, in
every workspace; *Hide* folds it to its title line (per document), *Show* brings it back. A graph
without one hides the banner. Built from the :class:`~.document.Document` alone.
"""
from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from .document import Document


def lesson_of(extra: dict[str, Any]) -> dict[str, Any] | None:
    """The example section when it has something to say (steps, look_for or a note), else None."""
    ex = extra.get("example")
    if not isinstance(ex, dict):
        return None
    steps = ex.get("steps")
    steps = [s for s in steps if isinstance(s, str)] if isinstance(steps, list) else []
    look = ex.get("look_for") if isinstance(ex.get("look_for"), str) else ""
    note = ex.get("note") if isinstance(ex.get("note"), str) else ""
    if not (steps or look or note):
        return None
    return {"steps": steps, "look_for": look, "note": note}


def lesson_html(lesson: dict[str, Any]) -> str:
    parts = []
    if lesson["steps"]:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in lesson["steps"])
        parts.append(f"<ol style='margin-top:0; margin-bottom:0'>{items}</ol>")
    if lesson["look_for"]:
        parts.append(f"<b>Look for:</b> {html.escape(lesson['look_for'])}")
    elif lesson["note"]:
        parts.append(html.escape(lesson["note"]))
    return "".join(parts)


class LessonBanner(QFrame):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lesson_banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.document = document
        self.title = QLabel()
        self.title.setObjectName("lesson_title")
        self.toggle = QPushButton("Hide")
        self.toggle.setObjectName("lesson_toggle")
        self.toggle.setFlat(True)
        self.toggle.setToolTip("fold the lesson to this line (Show brings it back)")
        self.toggle.clicked.connect(self._toggled)
        self.body = QLabel()
        self.body.setObjectName("lesson_body")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.title, 1)
        row.addWidget(self.toggle)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        lay.setSpacing(2)
        lay.addLayout(row)
        lay.addWidget(self.body)
        self.lesson: dict[str, Any] | None = None
        self.folded = False
        document.replaced.connect(self.follow)
        self.follow()

    def follow(self) -> None:
        """Another graph: show its lesson, unfolded, or hide the banner."""
        self.lesson = lesson_of(self.document.graph.extra)
        self.folded = False
        if self.lesson is None:
            self.hide()
            return
        self.title.setText(f"<b>{html.escape(self.document.graph.name)}</b> — what to do and what to look for")
        self.body.setText(lesson_html(self.lesson))
        self._show_folded()
        self.show()

    def _toggled(self) -> None:
        self.folded = not self.folded
        self._show_folded()

    def _show_folded(self) -> None:
        self.body.setVisible(not self.folded)
        self.toggle.setText("Show" if self.folded else "Hide")
