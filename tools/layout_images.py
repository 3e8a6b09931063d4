"""Render the layout pictures in docs/ (layout-resnet18.png, layout-inception.png, layout-lstm.png).

    python tools/layout_images.py

Each picture is a part of an example's canvas, drawn by the editor's own scene (offscreen), at a
zoom and over a range of nodes chosen to show what the layout does: ResNet-18's stem, its first
identity blocks (shortcut beside the main path) and its first downsampling block (projection
shortcut in the next column); the Inception block's four branches; the LSTM adding example.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QRectF, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402

from graphlab.ui.app import make_app  # noqa: E402
from graphlab.ui.main_window import MainWindow  # noqa: E402

PICTURES = [  # (example, output, zoom, first node, last node or None for all)
    ("resnet18", "layout-resnet18.png", 0.75, "image", "layer2_0_add"),
    ("inception_block", "layout-inception.png", 1.0, None, None),
    ("adding_lstm", "layout-lstm.png", 1.0, None, None),
]


def render(w: MainWindow, zoom: float, first: str | None, last: str | None, out: Path) -> None:
    items = w.scene.node_items
    ids = list(w.document.graph.nodes)
    if first is not None:
        ids = ids[ids.index(first): ids.index(last) + 1 if last else None]
    rect = QRectF()
    for nid in ids:
        rect = rect.united(items[nid].mapRectToScene(items[nid].card_rect()))
    if first is None:
        rect = w.scene.nodes_rect()
    rect = rect.adjusted(-40, -30, 60, 30)
    img = QImage(int(rect.width() * zoom), int(rect.height() * zoom), QImage.Format.Format_ARGB32)
    img.fill(w.scene.style.background)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    w.scene.render(p, QRectF(0, 0, img.width(), img.height()), rect, Qt.AspectRatioMode.KeepAspectRatio)
    p.end()
    img.save(str(out))
    print(f"wrote {out} ({img.width()}×{img.height()})")


def main() -> None:
    app = make_app()
    tmp = Path(tempfile.mkdtemp())
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp / "rec")
    w.resize(1280, 800)
    w.show()
    for example, name, zoom, first, last in PICTURES:
        assert w.open_file(ROOT / "examples" / f"{example}.graphlab.json", ask=False)
        w.live.flush()
        app.processEvents()
        render(w, zoom, first, last, ROOT / "docs" / name)
    w.undo_stack.setClean()
    w.close()


if __name__ == "__main__":
    main()
