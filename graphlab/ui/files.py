"""Recent files and crash recovery.

``RecentFiles`` keeps the last few paths in QSettings. ``Autosave`` writes the document to a
recovery file every ``interval_ms`` (a minute by default) while it has unsaved changes, and
records which file it belongs to; a clean close or a save removes it. On start-up the window asks
whether to restore a recovery file that a crashed session left behind. Writing the file uses
:func:`graphlab.io.atomic_write`, so a crash during autosave never leaves half a file.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer

from ..core import Graph
from ..io import atomic_write, dumps, loads

MAX_RECENT = 10
AUTOSAVE_MS = 60_000


class RecentFiles:
    KEY = "files/recent"

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def paths(self) -> list[str]:
        value = self.settings.value(self.KEY, [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add(self, path: str) -> None:
        p = str(Path(path).resolve())
        paths = [p] + [q for q in self.paths() if q != p]
        self.settings.setValue(self.KEY, paths[:MAX_RECENT])

    def remove(self, path: str) -> None:
        self.settings.setValue(self.KEY, [q for q in self.paths() if q != path])


def default_recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".graphlab") / "recovery"


class Autosave(QObject):
    def __init__(self, folder: Path, snapshot: Callable[[], tuple[Graph, str | None, bool]],
                 interval_ms: int = AUTOSAVE_MS, parent: QObject | None = None) -> None:
        """``snapshot()`` returns (graph, its file path or None, whether it has unsaved changes)."""
        super().__init__(parent)
        self.folder = Path(folder)
        self.snapshot = snapshot
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        self._saved: tuple[int, int] | None = None  # (id of the graph, its revision) last written

    @property
    def path(self) -> Path:
        return self.folder / "recovery.graphlab.json"

    @property
    def meta_path(self) -> Path:
        return self.folder / "recovery.meta.json"

    def save_now(self) -> bool:
        graph, origin, dirty = self.snapshot()
        if not dirty or self._saved == (id(graph), graph.revision):
            return False  # nothing unsaved, or nothing new since the last autosave
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, dumps(graph).encode("utf-8"))
            atomic_write(self.meta_path, json.dumps({"origin": origin}).encode("utf-8"))
        except (OSError, ValueError, RecursionError, UnicodeError):
            return False  # autosave is best effort; a real save reports the reason
        self._saved = (id(graph), graph.revision)
        return True

    def discard(self) -> None:
        self._saved = None
        for p in (self.path, self.meta_path):
            try:
                p.unlink()
            except OSError:
                pass

    def pending(self) -> tuple[Graph, str | None] | None:
        """The graph a crashed session left behind and the file it came from, or None."""
        if not self.path.exists():
            return None
        try:
            graph = loads(self.path.read_bytes())
        except Exception:  # an unreadable recovery file is not worth a dialog
            self.discard()
            return None
        origin = None
        try:
            origin = json.loads(self.meta_path.read_text("utf-8")).get("origin")
        except (OSError, ValueError, AttributeError):
            pass
        return graph, origin if isinstance(origin, str) else None
