"""Open a fresh editor window, press one action first, and report which thread imported torch first.

``python -m tests.ui.scripts.torch_spy ACTION FOLDER`` prints one JSON line: ``{"action", "thread",
"main", "done"}``. A ``sys.meta_path`` entry sees every import; the first one of ``torch`` records its
thread. ACTION: gradcheck | step | run_to | preview | fit | train.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

first: dict[str, str] = {}


class Spy:
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "torch" and "thread" not in first:
            first["thread"] = threading.current_thread().name
        return None


def main() -> int:
    action, folder = sys.argv[1], Path(sys.argv[2])
    assert "torch" not in sys.modules
    sys.meta_path.insert(0, Spy())
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from graphlab.ui import MainWindow

    root = Path(__file__).resolve().parents[3] / "examples"
    name = {"gradcheck": "lenet5", "step": "lenet5", "run_to": "lenet5", "preview": "digits_cnn",
            "fit": "spiral_two_layer", "train": "spiral_two_layer"}[action]
    path = folder / f"{name}.graphlab.json"
    shutil.copyfile(root / f"{name}.graphlab.json", path)
    if action == "fit":  # a dataset of the user's own files: read on the worker
        import numpy as np

        doc = json.loads(path.read_text())
        np.savez(folder / "points.npz", X=np.zeros((10, 2), np.float32), y=np.arange(10) % 3)
        doc["training"]["dataset"] = {"name": "npz", "path": "points.npz"}
        path.write_text(json.dumps(doc))
    w = MainWindow(settings=QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat),
                   recovery_dir=folder / "recovery")
    w.show()
    assert w.open_file(path, ask=False)
    done = {"gradcheck": lambda: w.stepper_ui.check_result is not None,
            "step": lambda: w.stepper_ui.frame is not None,
            "run_to": lambda: w.stepper_ui.frame is not None,
            "preview": lambda: w.training.ui.settings.preview_data is not None,
            "fit": lambda: not w.training.ui.fit.pending,
            "train": lambda: w.training.state in ("finished", "error")}[action]
    if action == "preview":
        w.training.ui.training_dock.show()
        w.training.ui.settings.tabs.setCurrentIndex(1)
    elif action == "train":
        w.training.ui.controls.actions["train"].trigger()
    elif action != "fit":
        w.findChild(type(w.actions_["save"]), f"action_{action}").trigger()
    end = time.monotonic() + 120
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    ok = done()
    w.undo_stack.setClean()
    w.close()
    print(json.dumps({"action": action, "thread": first.get("thread"), "main": threading.main_thread().name,
                      "done": ok}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
