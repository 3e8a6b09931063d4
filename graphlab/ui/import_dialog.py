"""The dialog of *File ▸ Import PyTorch Model…*: the model (``FILE.py:NAME``, with a Browse… button for
the file) and its input shape per sample (empty: guessed from the first layer)."""
from __future__ import annotations

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QWidget)


class ImportDialog(QDialog):
    def __init__(self, parent: QWidget | None, last: str = "", shape: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Import PyTorch model")
        form = QFormLayout(self)
        note = QLabel("GraphLab runs this Python file (your own code) to build the model, then traces it. "
                      "NAME is a class, or a function that takes no arguments and returns the model.")
        note.setWordWrap(True)
        form.addRow(note)
        self.target = QLineEdit(last)
        self.target.setPlaceholderText("model.py:make_model")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(browse)
        form.addRow("FILE.py:NAME", row)
        self.shape = QLineEdit(shape)
        self.shape.setPlaceholderText("e.g. 3,32,32 — empty: guessed from the first layer")
        form.addRow("input shape", self.shape)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Python file with the model", "", "Python (*.py)")
        if path:
            name = self.target.text().rpartition(":")[2] or "Net"
            self.target.setText(f"{path}:{name}")

    def answer(self) -> tuple[str, str]:
        return self.target.text().strip(), self.shape.text().strip()
