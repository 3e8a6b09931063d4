"""Open an example in the real editor window, ready to step, for screenshots driven by xdotool.

    python tools/stepper_demo.py EXAMPLE [NODE=v1,v2,... ...] [--select NODE] [--size 1600x1000]

Typed values (``x=-2 y=5 z=-4``) switch the stepper dock to typed inputs. The window fills the
screen's top-left corner; press F10 (``xdotool key F10``) to step, then take the picture with
``import -window root -display :N shot.png``. docs/stepper.md lists the commands behind its pictures.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, Qt, QTimer  # noqa: E402

from graphlab.ui.app import make_app  # noqa: E402
from graphlab.ui.main_window import MainWindow  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("example")
    ap.add_argument("typed", nargs="*", help="NODE=v1,v2,... typed input values")
    ap.add_argument("--select", default=None)
    ap.add_argument("--size", default="1600x1000")
    ap.add_argument("--dock-width", type=int, default=560)
    args = ap.parse_args()
    app = make_app()
    tmp = Path(tempfile.mkdtemp())
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp / "rec")
    width, height = (int(v) for v in args.size.split("x"))
    w.setGeometry(0, 0, width, height)
    w.show()
    path = Path(args.example)
    if not path.exists():
        path = ROOT / "examples" / f"{args.example}.graphlab.json"
    assert w.open_file(path, ask=False)
    w.live.flush()
    ui = w.stepper_ui
    if args.typed:
        values = {}
        for item in args.typed:
            node, vals = item.split("=", 1)
            values[node] = [float(v) for v in vals.split(",")]
        ui.settings.set_typed(values)

    def later() -> None:
        ui.dock.show()
        ui.dock.raise_()
        w.resizeDocks([ui.dock], [args.dock_width], Qt.Orientation.Horizontal)
        w.view.fit_all(readable=True)
        if args.select:
            w.scene.select_nodes([args.select])
        w.view.setFocus()

    QTimer.singleShot(300, w, later)
    code = app.exec()
    return int(code)


if __name__ == "__main__":
    raise SystemExit(main())
