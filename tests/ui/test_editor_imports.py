"""Opening the editor imports no torch (torch costs ~1.1 s; it is imported when training or stepping starts).

Runs ``run_app`` — what ``graphlab FILE`` runs — in a fresh interpreter on each kind of example,
waits until the file is open and analysed, makes an edit, and lists the torch modules loaded.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

SCRIPT = r"""
import json, sys
from PySide6.QtCore import QTimer
from graphlab.ui.app import run_app

paths = sys.argv[1:]
seen = {"opened": [], "torch": None}

def hook(w):
    w.prompts = None  # any dialog would fail loudly instead of blocking

    def step():
        if not w.document.graph.nodes:  # run_app opens the first file once the event loop runs
            QTimer.singleShot(20, step)
            return
        w.live.flush()
        seen["opened"].append(len(w.scene.node_items))
        for path in paths[1:]:
            if not w.open_file(path, ask=False):
                raise SystemExit(f"cannot open {path}")
            w.live.flush()
            seen["opened"].append(len(w.scene.node_items))
        w.controller.add_node("ReLU", (0.0, 0.0))
        w.live.flush()
        seen["torch"] = sorted(m for m in sys.modules if m.split(".")[0] == "torch")
        w.undo_stack.setClean()
        w.close()

    QTimer.singleShot(0, step)

run_app(paths[0], window_hook=hook)
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_opening_the_editor_imports_no_torch(tmp_path: Path) -> None:
    names = ["lenet5", "resnet18", "lstm_sequence", "inception_block"]
    paths = [str(p) for n in names for p in sorted((ROOT / "examples").glob(f"{n}*.graphlab.json"))[:1]]
    assert len(paths) >= 3, paths
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", SCRIPT, *paths], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(seen["opened"]) == len(paths) and all(seen["opened"]), seen
    assert seen["torch"] == [], f"opening the editor imported {seen['torch'][:5]}…"
