"""Screenshots of the Search dock after a small search, from a real window (docs/search-*.png).

    xvfb-run -a -s "-screen 0 1280x800x24" python tools/search_screenshots.py [OUT_DIR] [--trials N]

Opens a copy of the spiral example in a temporary folder at 1280×800, holds out a test split in the
Training form (0.2), saves, starts the example's search from the Search menu (F7: the Train workspace,
the Search dock in front), waits for it to finish, averages the top 3 and selects the best trial, then
captures the X screen with ImageMagick's ``import -window root``: ``search-dock.png`` (parallel
coordinates over the trials table), ``search-curves.png`` (the intermediate curves, pruned trials
marked) and, with the window at 1024×700 and its Train layout reset, ``search-dock-1024.png``.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from graphlab.ui.app import make_app  # noqa: E402
from graphlab.ui.main_window import MainWindow  # noqa: E402


def settle(app: QApplication, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def wait(app: QApplication, until, limit: float = 900.0) -> None:
    end = time.monotonic() + limit
    while not until():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        app.processEvents()
        time.sleep(0.02)


def shot(app: QApplication, path: Path, size: tuple[int, int] = (1280, 800)) -> None:
    settle(app)
    subprocess.run(["import", "-window", "root", "-crop", f"{size[0]}x{size[1]}+0+0", "+repage", str(path)],
                   check=True)
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=str(ROOT / "docs"))
    ap.add_argument("--trials", type=int, default=None, help="trials (default: the example's)")
    args = ap.parse_args()
    out = Path(args.out)
    app = make_app()
    tmp = Path(tempfile.mkdtemp())
    graph = tmp / "spiral_two_layer.graphlab.json"
    shutil.copyfile(ROOT / "examples" / "spiral_two_layer.graphlab.json", graph)
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp / "rec")
    w.move(0, 0)
    w.resize(1280, 800)
    w.show()
    assert w.open_file(graph, ask=False)
    settle(app)
    form = w.training.ui.settings.form  # step 1, the split: a test share no trial reads
    box = form.editor_for("test_fraction").widget
    box.setText("0.2")
    box.editingFinished.emit()
    if args.trials:
        w.search.ui.show_dock()
        w.search.ui.panel.form.settings["trials"].widget.setValue(args.trials)
    assert w.save_file()
    w.search.set_workers(2)
    w.findChild(type(w.actions_["save"]), "action_search_start").trigger()  # F7
    wait(app, lambda: w.search.last_finish is not None)
    wait(app, lambda: w.search.look is not None and w.search.look.exists and bool(w.search.importances))
    panel = w.search.ui.panel
    panel.k_box.setValue(3)
    panel.ensemble_button.click()
    wait(app, lambda: w.search.ensemble is not None)
    best = w.search.best()
    panel.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)  # the best first
    panel.table.selectRow(panel.table.trials.row_of(best.number))
    panel.views.setCurrentIndex(0)
    w.search.ui.show_dock()
    shot(app, out / "search-dock.png")
    panel.views.setCurrentIndex(1)
    shot(app, out / "search-curves.png")
    w.undo_stack.setClean()
    w.close()
    # a smaller screen, and a window opened again: the study is read back from its journal file
    w2 = MainWindow(settings=QSettings(str(tmp / "s2.ini"), QSettings.Format.IniFormat), recovery_dir=tmp / "rec2")
    w2.move(0, 0)
    w2.resize(1024, 700)
    w2.show()
    assert w2.open_file(graph, ask=False)
    w2.workspace.set("train")
    w2.search.ui.show_dock()
    w2.search.ui.panel.tabs.setCurrentIndex(1)
    wait(app, lambda: w2.search.look is not None and bool(w2.search.rows) and bool(w2.search.importances))
    t = w2.search.ui.panel.table
    t.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    t.selectRow(0)
    shot(app, out / "search-dock-1024.png", (1024, 700))
    w2.close()


if __name__ == "__main__":
    main()
