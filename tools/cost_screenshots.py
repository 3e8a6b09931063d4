"""Screenshots of what a network costs, from a real window (docs/cost-*.png).

    xvfb-run -a -s "-screen 0 1280x800x24" python tools/cost_screenshots.py [OUT_DIR]

Opens the receptive-field lesson at 1280×800 and captures the X screen with ImageMagick's
``import -window root`` at each stage: the Cost dock with FLOPs bars on the cards
(``cost-dock.png``), the inspector's figures for conv3 (``cost-inspector.png``), memory bars
(``cost-bars-memory.png``), then the Node dock's Images tab with the real mouse (``xdotool``) over a
feature map's pixel and that unit's receptive field outlined on the probe sample
(``cost-receptive-field.png``).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from graphlab.ui.app import make_app  # noqa: E402
from graphlab.ui.main_window import MainWindow  # noqa: E402


def settle(app: QApplication, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def shot(app: QApplication, path: Path) -> None:
    settle(app)
    subprocess.run(["import", "-window", "root", str(path)], check=True)
    print(f"wrote {path}")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    app = make_app()
    tmp = Path(tempfile.mkdtemp())
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp / "rec")
    w.move(0, 0)
    w.resize(1280, 800)
    w.show()
    assert w.open_file(ROOT / "examples" / "lesson_receptive_field_stacked.graphlab.json", ask=False)
    w.lesson.toggle.click()  # fold the lesson's banner: the canvas gets the room
    w.workspace.set("design")
    w.live.flush()
    settle(app)
    w.view.fit_all(readable=True)
    w.cost.dock.show()
    w.cost.dock.raise_()
    w.resizeDocks([w.cost.dock], [560], Qt.Orientation.Horizontal)  # room for the table's first columns
    w.cost.set_bars("flops")
    w.scene.select_nodes(["relu3"])
    shot(app, out / "cost-dock.png")

    w.inspector_dock.raise_()
    w.scene.select_nodes(["conv3"])
    shot(app, out / "cost-inspector.png")

    w.cost.set_bars("memory")
    w.cost.dock.raise_()
    shot(app, out / "cost-bars-memory.png")
    w.cost.set_bars("none")

    ui = w.training.ui
    w.workspace.set("train")
    ui.node_dock.show()
    ui.node_dock.raise_()
    w.resizeDocks([ui.node_dock], [560], Qt.Orientation.Vertical)  # the probe, the maps and the note
    w.scene.select_nodes(["relu3"])
    ui.node.tabs.setCurrentIndex(3)  # Images: made from the seeded initial weights by the editor's worker
    probe, maps = ui.node.mosaics["probe"], ui.node.mosaics["feature_maps"]
    end = time.monotonic() + 90
    while not (probe.count and maps.count) and time.monotonic() < end:
        settle(app, 0.2)
    w.resizeDocks([ui.node_dock], [600], Qt.Orientation.Vertical)  # the probe, the maps and the note
    settle(app, 1.0)
    r = maps.tile_rect(5)
    h, wd = maps.tile_shape
    local = QPointF(r.left() + (wd * 0.7) * r.width() / wd, r.top() + (h * 0.3) * r.height() / h)
    g = maps.mapToGlobal(local.toPoint())
    subprocess.run(["xdotool", "mousemove", str(g.x()), str(g.y())], check=True)
    settle(app, 1.0)
    shot(app, out / "cost-receptive-field.png")
    w.undo_stack.setClean()
    w.close()


if __name__ == "__main__":
    main()
