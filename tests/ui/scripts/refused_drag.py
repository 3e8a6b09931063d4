"""Run by tests/ui/test_lifetimes.py in a child process: a refused connection, then the event loop
for 2.5 s (past the red line's delayed removal). A lifetime fault ends this process with a signal
(exit 139) instead of taking the test session down. Prints "line removed" when all went well.

Usage: python -m tests.ui.scripts.refused_drag occupied|cycle SETTINGS_DIR
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from graphlab.ui.app import make_app  # noqa: E402
from graphlab.ui.main_window import MainWindow  # noqa: E402


def main(case: str, folder: Path) -> int:
    app = make_app()
    w = MainWindow(settings=QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat),
                   recovery_dir=folder / "recovery")
    w.show()
    c = w.controller
    a = c.add_node("Linear", (0, 0))
    b = c.add_node("Linear", (260, 0))
    x = c.add_node("Input", (0, 160))
    c.connect(a, b, 0)
    w.live.flush()
    w.view.resetTransform()
    w.view.centerOn(w.scene.itemsBoundingRect().center())

    def at(nid: str, kind: str):  # noqa: ANN202
        return w.view.mapFromScene(w.scene.node_items[nid].port_scene_pos(kind, 0))

    start, end = (at(x, "out"), at(b, "in")) if case == "occupied" else (at(b, "out"), at(a, "in"))
    vp = w.view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(vp, (start + end) / 2)
    QTest.mouseMove(vp, end)
    line = w.view._edge.line
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    assert len(w.document.graph.edges) == 1, "the refused edge was added"
    assert line.scene() is w.scene, "the red line should stay up for a moment"
    w.undo_stack.setClean()
    QTimer.singleShot(2500, app.quit)
    app.exec()
    print("line removed" if line.scene() is None else "line still up", flush=True)
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
