"""The main window: assembly only. It creates the pieces, puts them in docks and menus, and wires
their signals; the work lives in the pieces.

* ``document`` (:class:`~graphlab.ui.document.Document`): the graph, its path, the undo stack and
  controller, the live analysis, the canvas scene and its overlay, the problems — what every panel
  follows; ``shell`` (:class:`~graphlab.ui.shell.Shell`): what a panel may ask of the window;
* the widgets: the canvas ``view``, ``layer_palette``, ``inspector``, ``problems`` (a view of the
  document's problems);
* ``files`` (:class:`~graphlab.ui.files.DocumentFiles`: new/open/save/revert/recovery), ``recent``,
  ``autosave`` (this window's recovery file), ``clipboard`` (copy/paste at the cursor),
  ``undo_keys`` (Ctrl+Z from every dock), the Examples menu (graphlab.ui.examples_menu);
* ``workspace`` (:class:`~graphlab.ui.workspaces.Workspaces`): Design, Train and Step, each with its
  own dock layout; ``training``, ``stepper_ui``, ``search`` and ``cost``, the features, built from the
  document and the shell (``graphlab.ui.training``, ``graphlab.ui.stepper``, ``graphlab.ui.search``,
  ``graphlab.ui.cost``).

Public handles for scripts and tests: ``open_file(path)``, ``save_file(path)``, ``document``,
``graph`` (the document's graph), ``undo_stack``, ``workspace`` (``current``, ``set(name)``), the
objectNames "palette", "canvas", "inspector", "problems"; ``stepper`` (the
:class:`graphlab.step.Stepper` in use, or None). Dialogs go through ``window.prompts`` (a
:class:`~graphlab.ui.prompts.Prompts`), so a test can answer them without a modal loop.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMenu, QMessageBox, QVBoxLayout, QWidget

from ..core import Graph
from . import gc_guard
from .actions import CONTROLS, build_menus
from .clipboard import Clipboard
from .cost import install as install_cost
from .document import Document
from .examples_menu import fill_examples_menu
from .files import UNTITLED, DocumentFiles
from .icons import app_icon, category_icon
from .inspector import InspectorWidget
from .lesson import LessonBanner
from .modelimport import install as install_model_import
from .palette import PaletteWidget, QuickAddPopup
from .problems import ProblemsWidget
from .prompts import Prompts
from .recent import RecentFiles, RecentMenu
from .recovery import Autosave, default_recovery_dir
from .scene.view import CanvasView
from .search import install as install_search
from .shell import Shell
from .status import StatusSummary
from .stepper import install as install_stepper
from .training import install as install_training
from .undo_keys import UndoKeyRouter
from .workspaces import Workspaces


def _card_icon(category: str | None) -> QIcon | None:
    icon = category_icon(category)
    return None if icon.isNull() else icon


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, recovery_dir: Path | None = None,
                 autosave_ms: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        app = QApplication.instance()
        if app is not None:
            gc_guard.install(app)  # cycles are collected on the GUI thread only (graphlab.ui.gc_guard)
        self.settings = settings or QSettings("GraphLab", "GraphLab")
        self.setWindowIcon(app_icon())
        self.prompts: Any = Prompts(self)
        self._build_document()
        self._build_canvas()
        self._build_panels()
        self._build_file_services(recovery_dir, autosave_ms)
        self._build_menus()
        self._build_shell()
        self._build_docks()
        self._build_workspaces()
        self._install_features()
        self.set_document(self.document.graph, None)
        self.setAcceptDrops(True)
        self._restore_geometry()
        self._restore_workspace = True
        self._fit_on_show = True
        self.docs: Any = None  # Help ▸ Documentation, made when first asked for

    # ---- assembly ------------------------------------------------------------------------------
    def _build_document(self) -> None:
        """The document and the handles on its parts that scripts and tests use."""
        self.document = Document(parent=self, category_icon=_card_icon)
        self.controller = self.document.controller
        self.undo_stack = self.document.undo_stack
        self.live = self.document.live
        self.scene = self.document.scene

    def _build_canvas(self) -> None:
        """The central widget: the lesson banner above the canvas view."""
        self.view = CanvasView(self.scene, self)
        self.lesson = LessonBanner(self.document)
        centre = QWidget()
        lay = QVBoxLayout(centre)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.lesson)
        lay.addWidget(self.view, 1)
        self.setCentralWidget(centre)

    def _build_panels(self) -> None:
        """The design panels (put in docks by :meth:`_build_docks`) and the quick-add popup."""
        self.layer_palette = PaletteWidget()
        self.inspector = InspectorWidget(self.controller)
        self.problems = ProblemsWidget(self.document.problems)
        self.quick = QuickAddPopup(self)

    def _build_file_services(self, recovery_dir: Path | None, autosave_ms: int | None) -> None:
        """Recent files, the recovery autosave, file commands, the clipboard, undo keys, the status line."""
        self.recent = RecentFiles(self.settings)
        self.autosave = Autosave(recovery_dir or default_recovery_dir(),
                                 lambda: (self.document.graph, self.document.path, not self.undo_stack.isClean()),
                                 autosave_ms or 60_000, self)
        self.files = DocumentFiles(self, self.recent, self.autosave)
        self.clipboard = Clipboard(self)
        self.undo_keys = UndoKeyRouter(self)
        self.summary = StatusSummary(self.document, self.statusBar())

    def _build_menus(self) -> None:
        """File, Edit, View and Help with their actions; View ▸ Workspace and View ▸ Panels."""
        self.actions_: dict[str, QAction] = build_menus(self)
        self.menus: dict[str, QMenu] = {"file": self.file_menu, "edit": self.edit_menu, "view": self.view_menu,
                                        "help": self.help_menu}
        self.workspace_menu = self.view_menu.addMenu("&Workspace")
        self.panels_menu = self.view_menu.addMenu("&Panels")

    def _build_shell(self) -> None:
        """The :class:`Shell` the features are built from, with the window's hooks."""
        self.shell = Shell(self, self.document, lambda: self.prompts, self.view, self.panels_menu, self.help_menu,
                           self.settings)
        self.shell.protect_hook = self.autosave.save_now
        self.shell.file_menu = self.file_menu
        self.shell.open_hook = self._open_untitled

    def _build_docks(self) -> None:
        """The design panels' docks."""
        self.palette_dock = self.add_dock("Layers", self.layer_palette, Qt.DockWidgetArea.LeftDockWidgetArea,
                                          "paletteDock", "Ctrl+1", ("design",))
        self.inspector_dock = self.add_dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea,
                                            "inspectorDock", "Ctrl+2")
        self.problems_dock = self.add_dock("Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea,
                                           "problemsDock", "Ctrl+3")

    def _build_workspaces(self) -> None:
        """The workspaces, their menu and bar; the run toolbar goes to the menu bar's right corner."""
        self.run_toolbar = self.shell.run_toolbar
        self.workspace = Workspaces(self, self.settings, self.shell)
        self.shell.workspaces = self.workspace
        self.workspace.fill_menu(self.workspace_menu)
        self.workspace.changed.connect(self._workspace_changed)
        self.run_toolbar.addWidget(self.workspace.bar)
        self.run_toolbar.addSeparator()
        self.removeToolBar(self.run_toolbar)
        self.menuBar().setCornerWidget(self.run_toolbar, Qt.Corner.TopRightCorner)
        self.run_toolbar.show()

    def _install_features(self) -> None:
        """The Recent and Examples menus, then the features, each built from the document and the shell."""
        self.recent_list = RecentMenu(self.recent_menu, self.recent, self.open_file)
        fill_examples_menu(self.examples_menu, self.open_example)
        self.training = install_training(self.document, self.shell)  # Run menu, toolbar, Training/Plots/Node/Runs
        self._wire()  # the window's own signals: after the training's connections, before the stepper's
        self.stepper_ui = install_stepper(self.document, self.shell)  # Debug menu, "stepper" dock
        self.search = install_search(self.document, self.shell)  # Search menu, "search" dock
        self.shell.save_hook = self.save_file
        self.cost = install_cost(self.document, self.shell)  # the "cost" dock, bars on the cards
        self.model_import = install_model_import(self.document, self.shell)  # File ▸ Import…, Load Weights…

    def _restore_geometry(self) -> None:
        """The size the window was left at, or 1280×800 where the screen has room for it (a smaller
        screen's available area otherwise), so the first layout is sized for the window it will be."""
        screen = self.screen()
        room = screen.availableGeometry() if screen is not None else None
        if room is not None and room.width() > 0 and room.height() > 0:
            self.resize(min(1280, room.width()), min(800, room.height()))
        else:
            self.resize(1280, 800)
        geo = self.settings.value("window/geometry")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)

    # ---- extension points ----------------------------------------------------------------------
    def add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, name: str,
                 shortcut: str | None = None, workspaces: tuple[str, ...] = ("design", "train", "step")
                 ) -> QDockWidget:
        """A dock for ``widget`` (see :meth:`Shell.add_dock`)."""
        return self.shell.add_dock(title, widget, area, name, shortcut, workspaces)

    def add_menu(self, title: str) -> QMenu:
        """A top-level menu before Help."""
        return self.shell.add_menu(title)

    @property
    def graph(self) -> Graph:
        """The graph being edited (``document.graph``)."""
        return self.document.graph

    @property
    def stepper(self) -> Any:
        """The :class:`graphlab.step.Stepper` of the current walk, or None (scripts and tests)."""
        return self.stepper_ui.stepper

    # ---- wiring --------------------------------------------------------------------------------
    def _wire(self) -> None:
        """Signals of the window's own children go to bound methods of QObjects, never to lambdas:
        PySide6 stops calling a QObject's bound method once that object is being destroyed, but it
        calls a lambda — and children (the undo stack) still emit while the window is torn down."""
        c, v = self.controller, self.view
        self.document.analysed.connect(self._on_analysis)
        self.document.replaced.connect(self._on_replaced)
        self.scene.node_selection_changed.connect(self.inspector.show_selection)
        v.check_connect = c.check_connect
        v.commit_connect = c.connect
        v.hint.connect(self.show_hint)
        c.hint.connect(self.show_hint)
        self.inspector.error_cleared.connect(self.clear_hint)
        v.layer_dropped.connect(self.add_layer)
        v.nodes_moved.connect(c.move_nodes)
        v.file_dropped.connect(self.open_file)
        v.quick_add_requested.connect(self._quick_add_at)
        self.scene.group_toggled.connect(c.set_collapsed)
        self.quick.chosen.connect(self.add_layer)
        self.layer_palette.layer_activated.connect(self.add_layer_at_centre)
        self.problems.node_requested.connect(self.reveal_node)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.undo_stack.indexChanged.connect(self._on_index_changed)

    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _on_index_changed(self, index: int) -> None:
        self.update_title()  # a rename shows in the title of an untitled graph

    def set_document(self, graph: Graph, path: str | None, title: str | None = None, key: str | None = None) -> None:
        """Put ``graph`` in the document (open, New, an example, recovery); every panel follows it."""
        self.document.graph.listener_failed.disconnect(self._on_listener_failed)
        graph.listener_failed.connect(self._on_listener_failed)
        self.inspector.set_graph(graph)
        self.document.replace(graph, path, title, key)

    def _workspace_changed(self, _name: str) -> None:
        """The canvas has another size in another workspace: show the graph again, once the docks settled."""
        self.view.refit_settling()

    def _on_replaced(self) -> None:
        self.update_title()
        self.view.fit_all(readable=True)

    def _on_listener_failed(self, event_name: str, listener: Any, exc: BaseException) -> None:
        """A view failed to follow an edit: the model is consistent (the edit is complete); say so."""
        self.statusBar().showMessage(f"a view failed to follow the edit ({event_name}): "
                                     f"{type(exc).__name__}: {exc}", 10000)

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.files.display_name()}[*] — GraphLab")
        self.setWindowModified(not self.undo_stack.isClean())

    def recent_changed(self) -> None:
        self.recent_list.update_enabled()

    # ---- analysis and status -------------------------------------------------------------------
    def _on_analysis(self, a: Any) -> None:
        self.scene.apply_analysis(a)
        self.inspector.set_analysis(a)

    @property
    def status(self) -> QLabel:
        """The status bar's summary (errors, warnings, parameters, nodes)."""
        return self.summary.label

    def show_hint(self, message: str) -> None:
        self.shell.show_hint(message)

    def clear_hint(self, message: str) -> None:
        """Clear the status bar's message if it is still ``message`` (an error that no longer holds)."""
        self.shell.clear_hint(message)

    # ---- editing -------------------------------------------------------------------------------
    def add_layer_at_centre(self, type_name: str) -> str | None:
        return self.add_layer(type_name, None)

    def add_layer(self, type_name: str, scene_pos: QPointF | None) -> str | None:
        if scene_pos is None:
            scene_pos = self.view.mapToScene(self.view.viewport().rect().center())
        nid = self.controller.add_node(type_name, (round(scene_pos.x() / 10) * 10, round(scene_pos.y() / 10) * 10))
        if nid is not None:
            self.scene.select_nodes([nid])
            self.view.setFocus()
        return nid

    def quick_add(self) -> None:
        self._quick_add_at(self.clipboard.cursor.scene_pos())

    def _quick_add_at(self, scene_pos: QPointF) -> None:
        self.quick.open_at(self.view.mapToGlobal(self.view.mapFromScene(scene_pos)), scene_pos)

    def delete_selection(self) -> None:
        self.controller.delete(self.scene.selected_node_ids(), self.scene.selected_edges())

    def select_all(self) -> None:
        self.scene.select_nodes(list(self.graph.nodes))

    def copy_selection(self) -> bool:
        return self.clipboard.copy()

    def paste(self) -> list[str]:
        return self.clipboard.paste()

    def duplicate(self) -> list[str]:
        return self.clipboard.duplicate()

    # ---- groups --------------------------------------------------------------------------------
    def group_selection(self) -> str | None:
        """Ctrl+G: the selected nodes (and collapsed groups) become a named group."""
        ids = self.scene.selected_node_ids()
        if not ids:
            self.show_hint("select the nodes to group first")
            return None
        name = self.prompts.group_name(f"group{len(self.graph.groups) + 1}")
        return self.controller.group(ids, name) if name is not None else None

    def _focus_group(self) -> str | None:
        """The selected card's group, else the innermost group of the first selected node."""
        cards = self.scene.selected_group_ids()
        if cards:
            return cards[0]
        ids = self.scene.selected_node_ids()
        return self.graph.nodes[ids[0]].group if ids and ids[0] in self.graph.nodes else None

    def ungroup_selection(self) -> None:
        gid = self._focus_group()
        if gid is not None:
            self.controller.ungroup(gid)

    def toggle_group(self) -> None:
        """Ctrl+E: expand a selected card, or collapse the selected node's group."""
        gid = self._focus_group()
        if gid is not None and gid in self.graph.groups:
            self.controller.set_collapsed(gid, not self.graph.groups[gid].collapsed)

    def rename_graph(self) -> None:
        name = self.prompts.graph_name(self.graph.name)
        if name is not None:
            self.controller.rename_graph(name)

    def reveal_node(self, node_id: str) -> None:
        self.shell.reveal_node(node_id)

    # ---- files (DocumentFiles does the work) ---------------------------------------------------
    @property
    def path(self) -> str | None:
        return self.document.path

    def maybe_save(self) -> bool:
        return self.files.maybe_save()

    def new_file(self) -> bool:
        return self.files.new()

    def open_interactive(self) -> bool:
        return self.files.open_interactive()

    def open_file(self, path: str | Path, ask: bool = True, as_example: bool = False) -> bool:
        return self.files.open(path, ask=ask, as_example=as_example)

    def _open_untitled(self, graph: Graph, title: str) -> bool:
        """A graph made here (an import) as a new untitled document, after the unsaved-changes question."""
        if not self.maybe_save():
            return False
        self.set_document(graph, None, title=title)
        return True

    def open_example(self, path: str | Path) -> bool:
        """Open a shipped example as an untitled copy (Save asks where to put it)."""
        return self.files.open(path, as_example=True)

    def save_file(self, path: str | Path | None = None) -> bool:
        return self.files.save(path)

    def save_as(self) -> bool:
        return self.files.save_as()

    def revert(self) -> bool:
        return self.files.revert()

    def offer_recovery(self) -> bool:
        return self.files.offer_recovery()

    def show_controls(self) -> None:
        QMessageBox.information(self, "Mouse and keyboard", CONTROLS)

    def show_docs(self) -> None:
        """Help ▸ Documentation: the guides in a window of their own (not modal)."""
        from .help_docs import DocsDialog

        if self.docs is None:
            self.docs = DocsDialog(self)
        self.docs.show()
        self.docs.raise_()

    # ---- Qt events -----------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._restore_workspace:  # once the window has its size: the layouts are sized from it
            self._restore_workspace = False
            current = self.settings.value("workspaces/current")
            self.workspace.restore(current if isinstance(current, str) else "design")
        if self._fit_on_show:
            self._fit_on_show = False
            self.training.schedule_spare()  # a warm training process, ready for the first F5
            # with the window as context: dropped if the window is destroyed before the next turn
            QTimer.singleShot(0, self, lambda: self.view.fit_all(readable=True))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.scene.restyle(QApplication.palette())
        super().changeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        md = event.mimeData()
        if md.hasUrls() and any(u.isLocalFile() for u in md.urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.open_file(files[0])

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.workspace.save()
        self.settings.sync()
        self.autosave.discard()
        self.autosave.stop()
        self.stepper_ui.shutdown()
        self.training.shutdown()  # stops the training child (it saves a checkpoint) and reaps it
        self.shell.worker.shutdown()  # the job in flight sees it is stale; waited for, 10 s at most
        self.search.shutdown()  # its trials are queued again: the study resumes where it stopped
        self._detach_document()
        event.accept()

    def _detach_document(self) -> None:
        """Stop listening to the graph's events: the graph object may outlive this window (a script, a
        training run), and its edits must not reach widgets that are going away."""
        self.graph.listener_failed.disconnect(self._on_listener_failed)
        self.inspector.set_graph(Graph(UNTITLED))
        self.document.detach()
