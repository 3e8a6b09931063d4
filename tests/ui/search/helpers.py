"""The Search dock built against a bare Document and Shell over a QMainWindow (no main window), and a
small spiral study to read: searched once per test session with the headless engine, so most tests only
read its journal file (Optuna's own storage is the oracle for what the dock shows)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMainWindow

from graphlab.io import load, save
from graphlab.ui.document import Document
from graphlab.ui.shell import Shell
from tests.search.helpers import spiral_doc
from tests.ui.conftest import FakePrompts

#: a study to read: 6 trials of 40 epochs, seeded, on 2 workers; a test split for Evaluate on test
STUDY_SEARCH = {"space": {"training.optimizer.lr": {"log_uniform": [0.05, 5.0]},
                          "training.regularization.l2": {"log_uniform": [1e-5, 1e-2]},
                          "fc1.out_features": {"choice": [10, 30]}},
                "trials": 6, "epochs": 40, "pruning": False, "seed": 3}
RUN_TIMEOUT = 240_000  # ms: spawning workers on a loaded 2-core machine


def study_doc(**search: Any) -> dict[str, Any]:
    doc = spiral_doc(search={**STUDY_SEARCH, **search})
    doc["training"]["test_fraction"] = 0.2
    return doc


def write_graph(folder: Path, doc: dict[str, Any], name: str = "s.graphlab.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


class Host:
    """A Search feature in a bare QMainWindow: ``doc``, ``shell``, ``search`` (the controller), ``panel``."""

    def __init__(self, qtbot: Any, path: Path | None, settings_file: Path) -> None:
        from graphlab.ui.search import install

        self.window = QMainWindow()
        qtbot.addWidget(self.window)
        graph = load(path) if path is not None else None
        self.doc = Document(graph, str(path) if path is not None else None, parent=self.window)
        self.prompts = FakePrompts()
        self.settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
        self.shell = Shell(self.window, self.doc, self.prompts, settings=self.settings)
        self.saved: list[str] = []
        self.shell.save_hook = self._save
        self.opened: list[tuple[Path, str]] = []
        self.shell.open_run_hook = self._open_run
        self.search = install(self.doc, self.shell)
        self.panel = self.search.ui.panel
        self.window.resize(1100, 760)
        self.window.show()
        self.search.ui.dock.show()
        qtbot.waitExposed(self.window)

    def _save(self) -> bool:
        assert self.doc.path is not None
        save(self.doc.graph, self.doc.path)
        self.doc.undo_stack.setClean()
        self.saved.append(self.doc.path)
        return True

    def _open_run(self, folder: Path, title: str) -> bool:
        self.opened.append((folder, title))
        return True

    def close(self) -> None:
        self.shell.worker.shutdown()
        self.search.shutdown()
        self.window.close()


def wait_looked(qtbot: Any, h: Host, timeout: int = 60_000) -> None:
    """Until the dock has read the selected study (and no read is in flight)."""
    qtbot.waitUntil(lambda: h.search.look is not None and not h.shell.worker.pending(), timeout=timeout)
    QApplication.processEvents()


def wait_idle(qtbot: Any, h: Host, timeout: int = 60_000) -> None:
    qtbot.waitUntil(lambda: not h.shell.worker.pending(), timeout=timeout)
    QApplication.processEvents()


def copy_study(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst / "s.graphlab.json"
