"""The editor's dialogs, behind one small object so that tests (and scripts) can answer them.

The window calls ``window.prompts.unsaved(name)`` and friends, never a QMessageBox directly; a test
replaces ``window.prompts`` with an object whose methods answer at once (tests/ui/conftest.py).
"""
from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

FILE_FILTER = "GraphLab graphs (*.graphlab.json *.json);;All files (*)"
WEIGHTS_FILTER = "Checkpoints (*.safetensors);;All files (*)"
TABLE_FILTER = "CSV (*.csv);;Markdown (*.md)"


class Prompts:
    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def unsaved(self, name: str) -> str:
        """'save', 'discard' or 'cancel'."""
        b = QMessageBox.StandardButton
        box = QMessageBox.warning(self.parent, "Unsaved changes", f"Save the changes to {name}?",
                                  b.Save | b.Discard | b.Cancel, b.Save)
        return {b.Save: "save", b.Discard: "discard"}.get(box, "cancel")

    def confirm_revert(self, name: str) -> bool:
        """Drop the unsaved changes to ``name`` and read the file again?"""
        b = QMessageBox.StandardButton
        return QMessageBox.question(self.parent, "Revert", f"Discard the unsaved changes to {name} and read the "
                                    "file again?", b.Yes | b.Cancel, b.Cancel) == b.Yes

    def confirm(self, title: str, text: str) -> bool:
        """A yes/no question before doing something (save before a search, evaluate on test again)."""
        b = QMessageBox.StandardButton
        return QMessageBox.question(self.parent, title, text, b.Yes | b.Cancel, b.Cancel) == b.Yes

    def error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.parent, title, text)

    def restore(self, origin: str | None) -> bool:
        """Restore the autosaved copy a crashed editor window left behind? (origin: its file, or None)"""
        what = f"of {origin}" if origin else "of an untitled graph"
        return QMessageBox.question(self.parent, "Restore unsaved work",
                                    f"A GraphLab window did not close cleanly. Restore the autosaved copy {what}?\n"
                                    "No deletes that copy.") == QMessageBox.StandardButton.Yes

    def open_path(self, folder: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open graph", folder, FILE_FILTER)
        return path or None

    def save_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, "Save graph", suggested, FILE_FILTER)
        return path or None

    def export_path(self, suggested: str) -> str | None:
        """Where to write a table (the Cost dock's): a .csv or .md file; None when cancelled."""
        path, chosen = QFileDialog.getSaveFileName(self.parent, "Export the cost table", suggested, TABLE_FILTER)
        if path and "." not in path.rsplit("/", 1)[-1]:
            path += ".md" if chosen.startswith("Markdown") else ".csv"
        return path or None

    def graph_name(self, current: str) -> str | None:
        """The graph's new name, or None when cancelled."""
        text, ok = QInputDialog.getText(self.parent, "Rename graph",
                                        "Graph name (the title of the graph, and the class name of exported code):",
                                        QLineEdit.EchoMode.Normal, current)
        return text if ok else None

    def group_name(self, suggested: str) -> str | None:
        """The name of a new group (Ctrl+G), or None when cancelled."""
        text, ok = QInputDialog.getText(self.parent, "Group", "Name of the group:", QLineEdit.EchoMode.Normal,
                                        suggested)
        return text if ok else None

    def import_model(self, last: str, shape: str) -> tuple[str, str] | None:
        """(FILE.py:NAME, input shape text) for File ▸ Import PyTorch Model…, or None when cancelled."""
        from .import_dialog import ImportDialog

        dialog = ImportDialog(self.parent, last, shape)
        return dialog.answer() if dialog.exec() else None

    def load_weights(self, folder: str) -> str | None:
        """A checkpoint, a state_dict (.pt) or a run folder to load into the matching nodes."""
        path, _ = QFileDialog.getOpenFileName(self.parent, "Load weights into the matching nodes", folder,
                                              "Weights (*.safetensors *.pt *.pth);;All files (*)")
        return path or None

    def report(self, title: str, text: str) -> None:
        QMessageBox.information(self.parent, title, text)

    def weights_path(self, folder: str) -> str | None:
        """A checkpoint to step with (a run folder's last.safetensors, or any checkpoint file)."""
        path, _ = QFileDialog.getOpenFileName(self.parent, "Step with the weights of a checkpoint", folder,
                                              WEIGHTS_FILTER)
        return path or None
