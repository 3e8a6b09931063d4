"""Recent files: the last few paths, kept in QSettings, and the File ▸ Open Recent menu.

The menu is filled when it is about to show, never while one of its actions is being triggered
(opening a file adds to the list; rebuilding the menu then would delete the action that is still
emitting its signal).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QMenu

MAX_RECENT = 10


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


class RecentMenu(QObject):
    """Keeps ``menu`` listing ``recent``; choosing an entry calls ``open_path(path)``."""

    def __init__(self, menu: QMenu, recent: RecentFiles, open_path: Callable[[str], object]) -> None:
        super().__init__(menu)
        self.menu, self.recent, self.open_path = menu, recent, open_path
        menu.aboutToShow.connect(self.rebuild)
        self.update_enabled()

    def update_enabled(self) -> None:
        self.menu.setEnabled(bool(self.recent.paths()))

    def rebuild(self) -> None:
        self.menu.clear()
        for i, p in enumerate(self.recent.paths()):
            a = self.menu.addAction(f"&{i + 1} {Path(p).name}" if i < 9 else Path(p).name)
            a.setToolTip(p)
            a.setStatusTip(p)
            a.triggered.connect(lambda checked=False, p=p: self.open_path(p))
        self.update_enabled()
