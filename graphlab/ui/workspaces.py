"""Workspaces: Design, Train and Step, each with its own remembered arrangement of the docks.

The window has one canvas and many docks; no arrangement serves designing, watching a run and
stepping through a pass at once on a 1280×800 (or 1024×700) screen. So, as Qt Creator has modes,
the window has workspaces, switched by the mode bar in the menu bar's corner (or View ▸ Workspace,
Alt+1/2/3) and automatically: Train (F5) shows *train*, a step or a gradient check (F10,
Ctrl+Shift+G) shows *step*.

* **design** — the palette left, the inspector (tabbed with the training settings) right, the
  problems below the canvas;
* **train** — the plots (tabbed with the Search dock) take the right ~60% of the window at full height;
  the node dock, the runs, the training settings and the problems share the room below the canvas;
* **step** — the Step through dock takes the right half at full height; the problems below the canvas.

Each workspace remembers how the user left it (``QMainWindow.saveState``, kept in the settings per
workspace) and comes back that way; *Reset Layout* puts the defaults back. The defaults are sized from
the window, so they hold at 1024×700 as at 1280×800. Docks a workspace does not list are hidden
there; a dock a feature adds later names its workspaces (:meth:`Shell.add_dock`) and, when a layout
does not place it, goes where it was added.
"""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QTabBar

NAMES = ("design", "train", "step")
TITLES = {"design": "Design", "train": "Train", "step": "Step"}
#: bump when the default layouts or the set of docks change: saved arrangements of older versions are dropped
LAYOUT_VERSION = 5

Area = Qt.DockWidgetArea
AREAS = {"left": Area.LeftDockWidgetArea, "right": Area.RightDockWidgetArea, "bottom": Area.BottomDockWidgetArea}
#: per workspace: area -> stacks of docks (each stack tabbed, its first dock in front) and the area's
#: share of the window's width (left/right) or height (bottom)
LAYOUTS: dict[str, dict[str, Any]] = {
    "design": {"left": [["paletteDock"]], "right": [["inspectorDock", "training", "cost", "search"]],
               "bottom": [["problemsDock"]], "size": {"left": 0.15, "right": 0.27, "bottom": 0.12}},
    "train": {"right": [["plots", "search"]], "bottom": [["node", "runs", "training", "problemsDock"]],
              "size": {"right": 0.58, "bottom": 0.45}},
    "step": {"right": [["stepper"]], "bottom": [["problemsDock", "inspectorDock"]],
             "size": {"right": 0.5, "bottom": 0.2}},
}
#: the docks some layout places
LAID_OUT = {d for layout in LAYOUTS.values() for area in ("left", "right", "bottom") for stack in layout.get(area, [])
            for d in stack}
#: the smallest share the canvas keeps of the window's width
MIN_CANVAS = 0.3
#: seconds after a default layout is laid out in which a resize of the window (a window manager fitting
#: a new window to a smaller screen) sizes it again from the new size, instead of squeezing the docks
SETTLE_S = 10.0


class Workspaces(QObject):
    changed = Signal(str)

    def __init__(self, window: QMainWindow, settings: QSettings, shell: Any) -> None:
        super().__init__(window)
        self.window, self.settings, self.shell = window, settings, shell
        self.docks: dict[str, QDockWidget] = shell.docks
        self.current = "design"
        self.states: dict[str, QByteArray] = {}
        for name in NAMES:
            v = settings.value(f"workspaces/{name}")
            if isinstance(v, QByteArray) and not v.isEmpty():
                self.states[name] = v
        window.setCorner(Qt.Corner.BottomRightCorner, Area.RightDockWidgetArea)
        window.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
        self.bar = QTabBar()
        self.bar.setObjectName("workspace_bar")
        self.bar.setDrawBase(False)
        self.bar.setExpanding(False)
        for name in NAMES:
            self.bar.addTab(TITLES[name])
            self.bar.setTabToolTip(self.bar.count() - 1, f"the {TITLES[name]} workspace (Alt+{self.bar.count()})")
        self.bar.currentChanged.connect(self._bar_clicked)
        self.actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for i, name in enumerate(NAMES, 1):
            a = QAction(f"&{TITLES[name]}", window)
            a.setObjectName(f"action_workspace_{name}")
            a.setCheckable(True)
            a.setShortcut(QKeySequence(f"Alt+{i}"))
            a.triggered.connect(self._action_triggered)
            group.addAction(a)
            window.addAction(a)
            self.actions[name] = a
        self.actions["design"].setChecked(True)
        self.reset_action = QAction("&Reset Layout", window)
        self.reset_action.setObjectName("action_workspace_reset")
        self.reset_action.setShortcut(QKeySequence("Alt+0"))
        window.addAction(self.reset_action)
        self.reset_action.triggered.connect(self.reset)
        self._settle_until = 0.0  # see SETTLE_S
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.Resize and watched is self.window
                and time.monotonic() < self._settle_until):
            layout = LAYOUTS[self.current]
            QTimer.singleShot(0, self, lambda: self._size(layout))
        return False

    def fill_menu(self, menu: QMenu) -> None:
        for a in self.actions.values():
            menu.addAction(a)
        menu.addSeparator()
        menu.addAction(self.reset_action)

    # -- switching ----------------------------------------------------------------------------------------
    def set(self, name: str) -> None:
        """Show workspace ``name``: the way it was left, or its default layout."""
        if name not in NAMES:
            raise ValueError(f"unknown workspace {name!r}; one of {', '.join(NAMES)}")
        if name == self.current:
            return
        self.states[self.current] = self.window.saveState(LAYOUT_VERSION)
        self.current = name
        state = self.states.get(name)
        self._settle_until = 0.0  # a layout the user left is kept as it is
        if state is None or not self.window.restoreState(state, LAYOUT_VERSION):
            self.apply_default(name)
        self._show_current()
        self.changed.emit(name)

    def restore(self, name: str) -> None:
        """At start-up: show ``name`` as it was saved (or its default), without a first save."""
        self.current = name if name in NAMES else "design"
        state = self.states.get(self.current)
        self._settle_until = 0.0  # a layout the user left is kept as it is
        if state is None or not self.window.restoreState(state, LAYOUT_VERSION):
            self.apply_default(self.current)
        self._show_current()

    def reset(self) -> None:
        """Put the current workspace's default layout back."""
        self.states.pop(self.current, None)
        self.apply_default(self.current)

    def _show_current(self) -> None:
        self.bar.blockSignals(True)
        self.bar.setCurrentIndex(NAMES.index(self.current))
        self.bar.blockSignals(False)
        self.actions[self.current].setChecked(True)

    def _bar_clicked(self, index: int) -> None:
        if 0 <= index < len(NAMES):
            self.set(NAMES[index])

    def _action_triggered(self) -> None:
        for name, a in self.actions.items():
            if a is self.sender():
                self.set(name)

    def save(self) -> None:
        """Keep every workspace's arrangement in the settings (the window closes)."""
        self.states[self.current] = self.window.saveState(LAYOUT_VERSION)
        for name, state in self.states.items():
            self.settings.setValue(f"workspaces/{name}", state)
        self.settings.setValue("workspaces/current", self.current)

    # -- the default layouts ---------------------------------------------------------------------------------
    def apply_default(self, name: str) -> None:
        layout = LAYOUTS[name]
        w = self.window
        placed: set[str] = set()
        for area_name in ("left", "right", "bottom"):
            for stack in layout.get(area_name, []):
                docks = [self.docks[d] for d in stack if d in self.docks]
                if not docks:
                    continue
                first = docks[0]
                w.addDockWidget(AREAS[area_name], first)
                first.setFloating(False)
                for d in docks[1:]:
                    d.setFloating(False)
                    w.tabifyDockWidget(first, d)
                for d in docks:
                    d.show()
                    placed.add(d.objectName())
                first.raise_()
        for dname, dock in self.docks.items():
            if dname not in placed:  # a dock the layouts know is hidden where they leave it out
                dock.setVisible(dname not in LAID_OUT and name in self.shell.dock_workspaces.get(dname, ()))
        self._size(layout)
        QTimer.singleShot(0, self, lambda: self._size(layout))  # once the docks have their new places
        self._settle_until = time.monotonic() + SETTLE_S

    def _size(self, layout: dict[str, Any]) -> None:
        w = self.window
        width, height = max(w.width(), 400), max(w.height(), 300)
        size = layout.get("size", {})
        horizontal = [(a, size[a]) for a in ("left", "right") if a in size and layout.get(a)]
        share = sum(f for _, f in horizontal)
        scale = min(1.0, (1 - MIN_CANVAS) / share) if share else 1.0
        for area_name, frac in horizontal:
            first = self._first_visible(layout[area_name])
            if first is not None:
                w.resizeDocks([first], [int(width * frac * scale)], Qt.Orientation.Horizontal)
        if "bottom" in size and layout.get("bottom"):
            first = self._first_visible(layout["bottom"])
            if first is not None:
                w.resizeDocks([first], [int(height * size["bottom"])], Qt.Orientation.Vertical)

    def _first_visible(self, stacks: list[list[str]]) -> QDockWidget | None:
        for stack in stacks:
            for d in stack:
                dock = self.docks.get(d)
                if dock is not None and dock.isVisible():
                    return dock
        return None
