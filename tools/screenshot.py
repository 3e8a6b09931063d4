"""Render the README screenshot from the real window, offscreen.

    python tools/screenshot.py [OUT.png [EXAMPLE [NODE_TO_SELECT [NODE.PARAM=JSON_VALUE]]]]

The last argument edits a parameter first (docs/screenshot-error.png:
``docs/screenshot-error.png inception_block concat b3_5x5.padding=0``).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings  # noqa: E402

from graphlab.ui.app import make_app  # noqa: E402
from graphlab.ui.main_window import MainWindow  # noqa: E402


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png"
    example = sys.argv[2] if len(sys.argv) > 2 else "inception_block"
    select = sys.argv[3] if len(sys.argv) > 3 else "b3_5x5"
    app = make_app()
    tmp = Path(tempfile.mkdtemp())
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp / "rec")
    w.resize(1600, 900)
    w.show()
    assert w.open_file(ROOT / "examples" / f"{example}.graphlab.json", ask=False)
    if len(sys.argv) > 4:
        target, value = sys.argv[4].split("=", 1)
        node, param = target.split(".", 1)
        w.controller.set_param(node, param, json.loads(value))
    w.live.flush()
    w.view.fit_all(readable=True)
    w.scene.select_nodes([select])
    for _ in range(5):
        app.processEvents()
    w.grab().save(str(out))
    print(f"wrote {out}")
    w.undo_stack.setClean()
    w.close()


if __name__ == "__main__":
    main()
