"""Help ▸ Documentation: the user documentation (``docs/*.md``, shipped with the package) in a window.

A list of the guides on the left, the chosen one rendered from its Markdown on the right (Qt's
Markdown support; the screenshots beside it load from the same folder). Links between the guides
open in the same window; other links go to the system's browser.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QHBoxLayout, QListWidget, QListWidgetItem, QTextBrowser, QWidget

from ..assets import docs_dir

#: file -> title, in the order the list shows them (a guide not listed here comes after them)
GUIDES = {"editor.md": "The editor", "training.md": "Training and watching", "stepper.md": "Stepping through",
          "cost.md": "What a network costs",
          "views.md": "The plots and views", "file-format.md": "The file format and the layers",
          "export.md": "Export", "security.md": "Files and safety", "benchmarks.md": "Speed figures"}


def guides(folder: Path | None = None) -> list[tuple[str, Path]]:
    folder = folder if folder is not None else docs_dir()
    if folder is None:
        return []
    found = {p.name: p for p in folder.glob("*.md")}
    ordered = [(GUIDES[n], found[n]) for n in GUIDES if n in found]
    return ordered + [(p.stem.replace("-", " ").capitalize(), p) for n, p in sorted(found.items()) if n not in GUIDES]


class DocsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("docs_dialog")
        self.setWindowTitle("GraphLab documentation")
        self.list = QListWidget()
        self.list.setMaximumWidth(220)
        self.text = QTextBrowser()
        self.text.setObjectName("docs_text")
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._link)
        lay = QHBoxLayout(self)
        lay.addWidget(self.list)
        lay.addWidget(self.text, 1)
        self.paths: list[Path] = []
        for title, path in guides():
            self.list.addItem(QListWidgetItem(title))
            self.paths.append(path)
        self.list.currentRowChanged.connect(self.show_guide)
        if self.paths:
            self.list.setCurrentRow(0)
        else:
            self.text.setPlainText("The documentation is not installed with this copy of GraphLab.")
        self.resize(980, 680)

    def show_guide(self, row: int) -> None:
        if 0 <= row < len(self.paths):
            path = self.paths[row]
            self.text.setSearchPaths([str(path.parent)])
            self.text.setMarkdown(path.read_text("utf-8"))

    def open_name(self, name: str) -> bool:
        for i, p in enumerate(self.paths):
            if p.name == name:
                self.list.setCurrentRow(i)
                return True
        return False

    def _link(self, url: QUrl) -> None:
        name = Path(url.path()).name
        if not url.scheme() and name.endswith(".md") and self.open_name(name):
            return
        QDesktopServices.openUrl(url)
