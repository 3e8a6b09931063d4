"""The shell: the little a panel may ask of the window around it.

Features (training, stepping, and every panel to come) are built from a
:class:`~.document.Document` and a :class:`Shell`, never from the main window: the shell adds
docks, menus and window-wide actions, shows hints in the status bar, asks the user through
``prompts``, selects and reveals nodes on the canvas, and switches workspaces. Any
``QMainWindow`` can host one — a test builds a feature in a bare ``QMainWindow`` with no canvas
view (revealing a node then only selects it). ``worker`` is the window's one
:class:`~.worker.Worker`: every feature's work off the GUI thread goes through it. Two services cross
features: ``save()`` (the window's Save, for a feature that runs the file) and ``open_run(folder,
title)`` (the training feature shows a run folder in its Plots and Runs docks).

Docks say which workspaces show them (``workspaces=("train",)``); the window's
:class:`~.workspaces.Workspaces` arranges them per workspace.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QStatusBar, QToolBar, QWidget

from .document import Document
from .worker import Worker

HINT_MS = 6000


class PanelAction(QAction):
    """A dock's entry in View ▸ Panels, checked while the dock is open. Triggered (its key, or the
    menu), it shows a hidden dock, brings one that is a tab behind another to the front, and hides one
    that is in front: Qt's own toggle would hide a dock the user cannot see, the opposite of what the
    key was pressed for."""

    def __init__(self, dock: QDockWidget, parent: QObject) -> None:
        super().__init__(dock.windowTitle(), parent)
        self.dock = dock
        self.setCheckable(True)
        self.setChecked(not dock.isHidden())
        dock.visibilityChanged.connect(self._sync)
        self.triggered.connect(self._pressed)

    def _sync(self, _visible: bool) -> None:
        self.setChecked(not self.dock.isHidden())

    def _pressed(self) -> None:
        d = self.dock
        if d.isHidden():
            d.show()
            d.raise_()
        elif d.visibleRegion().isEmpty() and not d.isFloating():  # open, but a tab behind another dock
            d.raise_()
        else:
            d.hide()
        self.setChecked(not d.isHidden())


class Shell(QObject):
    #: a workspace was switched to ("design", "train", "step")
    workspace_changed = Signal(str)

    def __init__(self, host: QMainWindow, document: Document, prompts: Any, view: Any = None,
                 panels_menu: QMenu | None = None, before_menu: QMenu | None = None,
                 settings: QSettings | None = None) -> None:
        """``prompts``: the dialogs (:class:`~.prompts.Prompts`), or a function returning them (the window's
        current ones: a test replaces ``window.prompts``). ``settings``: the user's preferences."""
        super().__init__(host)
        self.host, self.document, self.view = host, document, view
        self.settings = settings if settings is not None else QSettings()
        self._prompts = prompts
        self.panels_menu = panels_menu
        self._before = before_menu
        self.docks: dict[str, QDockWidget] = {}
        self.dock_actions: dict[str, PanelAction] = {}  # View ▸ Panels' entry of each dock
        self.dock_workspaces: dict[str, tuple[str, ...]] = {}
        self.workspaces: Any = None  # the window's Workspaces, when it has them
        self.run_toolbar: QToolBar = QToolBar("Run", host)
        self.run_toolbar.setObjectName("runToolbar")
        self.worker = Worker("graphlab-worker", self)
        #: writes unsaved work to the recovery file (the window's autosave); see :meth:`protect`
        self.protect_hook: Callable[[], Any] | None = None
        #: the window's File menu, where features add entries (Import PyTorch Model…)
        self.file_menu: QMenu | None = None
        #: opens a graph as a new untitled document (the window asks about unsaved changes first)
        self.open_hook: Callable[[Any, str], bool] | None = None
        #: saves the document (the window's Save: asks where for a new graph); see :meth:`save`
        self.save_hook: Callable[[], bool] | None = None
        #: shows a run folder in the Plots and Runs docks (the training feature sets it); see :meth:`open_run`
        self.open_run_hook: Callable[[Path, str], bool] | None = None

    @property
    def prompts(self) -> Any:
        return self._prompts() if callable(self._prompts) else self._prompts

    # -- building ---------------------------------------------------------------------------------------
    def add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, name: str,
                 shortcut: str | None = None, workspaces: Iterable[str] = ("design", "train", "step")) -> QDockWidget:
        """A dock for ``widget``; its :class:`PanelAction` goes to View ▸ Panels (with ``shortcut``)."""
        dock = QDockWidget(title, self.host)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.host.addDockWidget(area, dock)
        toggle = PanelAction(dock, self.host)
        toggle.setObjectName(f"action_toggle_{name}")
        if shortcut:
            toggle.setShortcut(shortcut)
        self.host.addAction(toggle)
        if self.panels_menu is not None:
            self.panels_menu.addAction(toggle)
        self.docks[name] = dock
        self.dock_actions[name] = toggle
        self.dock_workspaces[name] = tuple(workspaces)
        return dock

    def add_menu(self, title: str) -> QMenu:
        """A top-level menu (before Help when the window has one)."""
        menu = QMenu(title, self.host)
        bar = self.host.menuBar()
        if self._before is not None:
            bar.insertMenu(self._before.menuAction(), menu)
        else:
            bar.addMenu(menu)
        return menu

    def add_action(self, action: QAction) -> None:
        """A window-wide shortcut (the action also goes in a menu of the feature's)."""
        self.host.addAction(action)

    def new_action(self, name: str, text: str, slot: Any, keys: Iterable[str], tip: str) -> QAction:
        """A feature's window-wide action: objectName ``name``, its shortcuts, ``tip`` as tool and
        status tip, triggering ``slot`` (the feature puts it in its menu or toolbar)."""
        a = QAction(text, self.host)
        a.setObjectName(name)
        a.setShortcuts([QKeySequence(k) for k in keys])
        a.setToolTip(tip)
        a.setStatusTip(tip)
        a.triggered.connect(slot)
        self.add_action(a)
        return a

    def status_bar(self) -> QStatusBar:
        return self.host.statusBar()

    def preference(self, key: str, default: bool) -> bool:
        """A yes/no preference from the settings ("training/warm_process")."""
        v = self.settings.value(key, default)
        return v if isinstance(v, bool) else str(v).lower() in ("true", "1", "yes")

    def open_graph(self, graph: Any, title: str) -> bool:
        """Open ``graph`` as a new untitled document named ``title``; False when the user kept the current one."""
        return bool(self.open_hook(graph, title)) if self.open_hook is not None else False

    def protect(self) -> None:
        """Before work that runs torch in the editor's process (a step, a gradient check): write unsaved
        work to the recovery file, so a native crash inside torch cannot lose it."""
        if self.protect_hook is not None:
            self.protect_hook()

    def save(self) -> bool:
        """Save the document as File ▸ Save does (a feature that runs the file, e.g. a search); False when
        it was not saved (cancelled, failed, or no window to save it)."""
        return bool(self.save_hook()) if self.save_hook is not None else False

    def open_run(self, folder: Path, title: str) -> bool:
        """Show a run folder (a search trial's) in the Plots and Runs docks; ``title`` says what it is."""
        if self.open_run_hook is None:
            self.show_hint(f"{title}: {folder}")
            return False
        return bool(self.open_run_hook(folder, title))

    # -- talking to the user ----------------------------------------------------------------------------
    def show_hint(self, message: str, ms: int = HINT_MS) -> None:
        self.host.statusBar().showMessage(message, ms)

    def clear_hint(self, message: str) -> None:
        """Clear the status bar's message if it is still ``message`` (an error that no longer holds)."""
        if self.host.statusBar().currentMessage() == message:
            self.host.statusBar().clearMessage()

    # -- the canvas ---------------------------------------------------------------------------------------
    def selected_nodes(self) -> list[str]:
        return self.document.scene.selected_node_ids()

    @property
    def selection_changed(self) -> Any:
        """The canvas selection's signal: emitted with the selected node ids."""
        return self.document.scene.node_selection_changed

    def select_nodes(self, ids: list[str]) -> None:
        self.document.scene.select_nodes([i for i in ids if i in self.document.scene.node_items])

    def reveal_node(self, node_id: str) -> None:
        """Select the node and bring it into view at a readable zoom."""
        if node_id not in self.document.scene.node_items:
            return
        self.document.scene.select_nodes([node_id])
        if self.view is not None:
            self.view.focus_node(node_id)

    def keep_in_view(self, node_id: str) -> None:
        """Scroll the canvas as little as needed for the node's card to be in view (never zooms; a card
        already in view does not move the canvas, so a fitted graph stays where it is)."""
        item = self.document.scene.node_items.get(node_id)
        if item is None or self.view is None:
            return
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        if not visible.contains(item.sceneBoundingRect()):
            self.view.ensureVisible(item.sceneBoundingRect(), 40, 40)

    def refit(self) -> None:
        if self.view is not None:
            self.view.fit_all(readable=True)

    # -- workspaces -----------------------------------------------------------------------------------------
    def switch_workspace(self, name: str) -> None:
        """Show the workspace ``name`` (F5 switches to "train", F10 to "step")."""
        if self.workspaces is not None:
            self.workspaces.set(name)

    def raise_dock(self, name: str) -> None:
        dock = self.docks.get(name)
        if dock is not None:
            dock.show()
            dock.raise_()
