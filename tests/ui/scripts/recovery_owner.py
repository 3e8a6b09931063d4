"""Run by tests/ui/test_recovery.py in a child process: one editor window that edits a graph
named NAME, autosaves it to FOLDER and prints "saved <recovery file>". Then, with MODE "wait", it
runs its event loop until it is killed; with "close" it closes the window cleanly and exits.

Usage: python -m tests.ui.scripts.recovery_owner FOLDER NAME wait|close
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402

from graphlab.ui.app import make_app  # noqa: E402
from graphlab.ui.main_window import MainWindow  # noqa: E402


def main(folder: Path, name: str, mode: str) -> int:
    app = make_app()
    w = MainWindow(settings=QSettings(str(folder / f"settings-{name}.ini"), QSettings.Format.IniFormat),
                   recovery_dir=folder)
    w.show()
    c = w.controller
    a = c.add_node("Input", (0, 0), {"shape": [4]})
    b = c.add_node("Linear", (200, 0), {"out_features": 3})
    c.connect(a, b)
    c.rename_graph(name)
    assert w.autosave.save_now(), "the autosave wrote nothing"
    print(f"saved {w.autosave.path}", flush=True)
    if mode == "close":
        w.undo_stack.setClean()  # as after a save: a clean close
        w.close()
        return 0 if not w.autosave.path.exists() else 3
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))
