"""The main window: canvas in the middle, palette / inspector / problems docks, menus, files.

Public handles for scripts and tests: ``open_file(path)``, ``save_file(path)``, ``document`` (the
:class:`~graphlab.core.Graph`), ``undo_stack`` (the QUndoStack) and the objectNames "palette",
"canvas", "inspector", "problems". Dialogs go through ``window.prompts`` (a :class:`Prompts`), so a
test can answer them without a modal loop. ``run_toolbar`` and ``add_dock`` are the slots the
training and stepping panels plug into.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
    QWidget,
)

from ..core import Analysis, Graph
from ..core.layout import spread_stacked
from ..io import FileFormatError, load, save
from .actions import CONTROLS, build_menus
from .controller import CLIP_MIME, Controller
from .files import Autosave, RecentFiles, default_recovery_dir
from .inspector import InspectorWidget
from .live import LiveAnalysis
from .palette import PaletteWidget, QuickAddPopup
from .problems import ProblemsWidget
from .scene.graph_scene import GraphScene
from .scene.view import CanvasView

FILE_FILTER = "GraphLab graphs (*.graphlab.json *.json);;All files (*)"
EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"


class Prompts:
    """The window's dialogs. Tests replace these methods with functions that answer at once."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def unsaved(self, name: str) -> str:
        """'save', 'discard' or 'cancel'."""
        box = QMessageBox.warning(self.parent, "Unsaved changes", f"Save the changes to {name}?",
                                  QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                                  | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(box, "cancel")

    def error(self, title: str, text: str) -> None:
        QMessageBox.critical(self.parent, title, text)

    def restore(self, origin: str | None) -> bool:
        what = f"of {origin}" if origin else "of an untitled graph"
        return QMessageBox.question(self.parent, "Restore unsaved work",
                                    f"GraphLab did not close cleanly. Restore the autosaved copy {what}?"
                                    ) == QMessageBox.StandardButton.Yes

    def open_path(self, folder: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open graph", folder, FILE_FILTER)
        return path or None

    def save_path(self, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, "Save graph", suggested, FILE_FILTER)
        return path or None


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, recovery_dir: Path | None = None,
                 autosave_ms: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or QSettings("GraphLab", "GraphLab")
        self.prompts = Prompts(self)
        self.recent = RecentFiles(self.settings)
        self.path: str | None = None
        self.document = Graph("untitled")
        self.controller = Controller(self.document, self)
        self.undo_stack = self.controller.stack
        self.live = LiveAnalysis(self)
        self.scene = GraphScene(self)
        self.view = CanvasView(self.scene, self)
        self.setCentralWidget(self.view)
        self.palette = PaletteWidget()
        self.inspector = InspectorWidget(self.controller)
        self.problems = ProblemsWidget()
        self.palette_dock = self.add_dock("Layers", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea, "paletteDock")
        self.inspector_dock = self.add_dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea,
                                            "inspectorDock")
        self.problems_dock = self.add_dock("Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea,
                                           "problemsDock")
        self.run_toolbar = QToolBar("Run", self)
        self.run_toolbar.setObjectName("runToolbar")
        self.addToolBar(self.run_toolbar)
        self.run_toolbar.hide()  # the training issue adds Train / Step here
        self.status = QLabel()
        self.status.setObjectName("status")
        self.statusBar().addPermanentWidget(self.status)
        self.quick = QuickAddPopup(self)
        self.actions_ = build_menus(self)
        self.autosave = Autosave(recovery_dir or default_recovery_dir(),
                                 lambda: (self.document, self.path, not self.undo_stack.isClean()),
                                 autosave_ms or 60_000, self)
        self._wire()
        self.set_document(self.document, None)
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        geo, state = self.settings.value("window/geometry"), self.settings.value("window/state")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        self._sized_docks = isinstance(state, QByteArray) and self.restoreState(state)
        self._fit_on_show = True
        self._rebuild_recent()
        self._build_examples()

    # ---- assembly ----------------------------------------------------------------------------------
    def add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _wire(self) -> None:
        c, v = self.controller, self.view
        self.live.updated.connect(self._on_analysis)
        self.scene.node_selection_changed.connect(self.inspector.show_selection)
        v.check_connect = c.check_connect
        v.commit_connect = c.connect
        v.hint.connect(self.show_hint)
        c.hint.connect(self.show_hint)
        v.layer_dropped.connect(lambda t, p: self.add_layer(t, p))
        v.nodes_moved.connect(c.move_nodes)
        v.file_dropped.connect(lambda p: self.open_file(p))
        v.quick_add_requested.connect(self._quick_add_at)
        self.quick.chosen.connect(lambda t, p: self.add_layer(t, p))
        self.palette.layer_activated.connect(lambda t: self.add_layer(t, None))
        self.problems.node_requested.connect(self.reveal_node)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def set_document(self, graph: Graph, path: str | None, title: str | None = None) -> None:
        spread_stacked(graph)  # nodes without positions (allowed in files) are laid out, not piled up
        self.document = graph
        self.path = path
        self.controller.set_graph(graph)
        self.scene.set_graph(graph)
        self.inspector.set_graph(graph)
        self.live.set_graph(graph)
        self._title = title
        self._update_title()
        self.view.fit_all(readable=True)

    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _update_title(self) -> None:
        name = Path(self.path).name if self.path else (self._title or "Untitled")
        self.setWindowTitle(f"{name}[*] — GraphLab")
        self.setWindowModified(not self.undo_stack.isClean())

    # ---- analysis and status -----------------------------------------------------------------------
    def _on_analysis(self, a: Analysis) -> None:
        self.scene.apply_analysis(a)
        self.inspector.set_analysis(a)
        self.problems.set_analysis(a)
        n_err, n_warn = len(a.errors), len(a.problems) - len(a.errors)
        if not self.document.nodes:
            text = "empty graph: drag a layer in from the palette"
        elif n_err:
            text = f"✗ {n_err} error{'s' * (n_err != 1)}"
        else:
            text = "✓ valid"
        if n_warn:
            text += f" · {n_warn} warning{'s' * (n_warn != 1)}"
        text += f" · {a.total_params:,} parameters · {len(self.document.nodes)} nodes"
        self.status.setText(text)

    def show_hint(self, message: str) -> None:
        self.statusBar().showMessage(message, 6000)

    # ---- editing -------------------------------------------------------------------------------------
    def add_layer(self, type_name: str, scene_pos: QPointF | None) -> str | None:
        if scene_pos is None:
            scene_pos = self.view.mapToScene(self.view.viewport().rect().center())
        nid = self.controller.add_node(type_name, (round(scene_pos.x() / 10) * 10, round(scene_pos.y() / 10) * 10))
        if nid is not None:
            self.scene.select_nodes([nid])
            self.view.setFocus()
        return nid

    def quick_add(self) -> None:
        self._quick_add_at(self.view.cursor_scene_pos())

    def _quick_add_at(self, scene_pos: QPointF) -> None:
        self.quick.open_at(self.view.mapToGlobal(self.view.mapFromScene(scene_pos)), scene_pos)

    def delete_selection(self) -> None:
        self.controller.delete(self.scene.selected_node_ids(), self.scene.selected_edges())

    def select_all(self) -> None:
        self.scene.select_nodes(list(self.document.nodes))

    def copy_selection(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            return False
        from PySide6.QtCore import QMimeData
        md = QMimeData()
        raw = self.controller.encode(self.controller.copy_data(ids))
        md.setData(CLIP_MIME, raw)
        md.setText(raw.decode("utf-8"))
        QGuiApplication.clipboard().setMimeData(md)
        self._pastes = 0
        self.show_hint(f"copied {len(ids)} node{'s' * (len(ids) != 1)}")
        return True

    def paste(self) -> list[str]:
        md = QGuiApplication.clipboard().mimeData()
        raw = bytes(md.data(CLIP_MIME).data()) if md is not None and md.hasFormat(CLIP_MIME) else (
            md.text().encode("utf-8") if md is not None and md.hasText() else b"")
        data = self.controller.decode(raw) if raw else None
        if data is None:
            self.show_hint("nothing to paste: copy some nodes first")
            return []
        self._pastes = getattr(self, "_pastes", 0) + 1  # each paste of the same copy lands a step further
        ids = self.controller.paste(data, offset=(40.0 * self._pastes, 40.0 * self._pastes))
        self.scene.select_nodes(ids)
        return ids

    def duplicate(self) -> list[str]:
        ids = self.controller.duplicate(self.scene.selected_node_ids())
        self.scene.select_nodes(ids)
        return ids

    def reveal_node(self, node_id: str) -> None:
        if node_id in self.scene.node_items:
            self.scene.select_nodes([node_id])
            self.view.focus_node(node_id)

    # ---- files ---------------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded, or nothing to lose)."""
        if self.undo_stack.isClean():
            return True
        name = Path(self.path).name if self.path else (self._title or "Untitled")
        answer = self.prompts.unsaved(name)
        if answer == "save":
            return self.save_file()
        return answer == "discard"

    def new_file(self) -> None:
        if self.maybe_save():
            self.set_document(Graph("untitled"), None)

    def open_interactive(self) -> None:
        folder = str(Path(self.path).parent) if self.path else str(Path.cwd())
        path = self.prompts.open_path(folder)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path, ask: bool = True, as_example: bool = False) -> bool:
        """Open a graph file. A file that cannot be read shows the reason; the document stays as it was."""
        if ask and not self.maybe_save():
            return False
        try:
            graph = load(path)
        except FileFormatError as e:
            self.prompts.error("Cannot open file", str(e))
            return False
        except Exception as e:  # never let a bad file take the app down
            self.prompts.error("Cannot open file", f"{path}: {e}")
            return False
        if as_example:
            self.set_document(graph, None, title=f"{graph.name} (example)")
        else:
            self.set_document(graph, str(Path(path).resolve()))
            self.recent.add(str(path))
            self._rebuild_recent()
        return True

    def save_file(self, path: str | Path | None = None) -> bool:
        if path is None:
            if self.path is None:
                return self.save_as()
            path = self.path
        try:
            save(self.document, path)
        except OSError as e:
            self.prompts.error("Cannot save file", f"{path}: {e.strerror or e}")
            return False
        except (ValueError, RecursionError, UnicodeError) as e:  # a value JSON cannot hold; the file is untouched
            self.prompts.error("Cannot save file", f"{path}: the graph holds a value that cannot be saved ({e})")
            return False
        self.path = str(Path(path).resolve())
        self.undo_stack.setClean()
        self.autosave.discard()
        self.recent.add(self.path)
        self._rebuild_recent()
        self._update_title()
        self.show_hint(f"saved {self.path}")
        return True

    def save_as(self) -> bool:
        suggested = self.path or str(Path.cwd() / f"{self.document.name or 'untitled'}.graphlab.json")
        path = self.prompts.save_path(suggested)
        return self.save_file(path) if path else False

    def offer_recovery(self) -> bool:
        pending = self.autosave.pending()
        if pending is None:
            return False
        graph, origin = pending
        if not self.prompts.restore(origin):
            self.autosave.discard()
            return False
        self.set_document(graph, origin, title=None if origin else "Recovered")
        self.undo_stack.resetClean()
        self._update_title()
        return True

    def _rebuild_recent(self) -> None:
        m = self.recent_menu
        m.clear()
        for i, p in enumerate(self.recent.paths()):
            a = m.addAction(f"&{i + 1} {Path(p).name}" if i < 9 else Path(p).name)
            a.setToolTip(p)
            a.triggered.connect(lambda checked=False, p=p: self.open_file(p))
        m.setEnabled(bool(self.recent.paths()))

    def _build_examples(self) -> None:
        m = self.examples_menu
        files = sorted(EXAMPLES_DIR.glob("*.graphlab.json")) if EXAMPLES_DIR.is_dir() else []
        for f in files:
            a = m.addAction(f.name.removesuffix(".graphlab.json").replace("_", " "))
            a.triggered.connect(lambda checked=False, f=f: self.open_file(f, as_example=True))
        m.setEnabled(bool(files))

    def show_controls(self) -> None:
        QMessageBox.information(self, "Mouse and keyboard", CONTROLS)

    # ---- Qt events -----------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._sized_docks:
            self._sized_docks = True
            self.resizeDocks([self.palette_dock, self.inspector_dock], [180, 320], Qt.Orientation.Horizontal)
            self.resizeDocks([self.problems_dock], [110], Qt.Orientation.Vertical)
        if self._fit_on_show:
            self._fit_on_show = False
            QTimer.singleShot(0, lambda: self.view.fit_all(readable=True))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.scene.restyle(self.palette_for_canvas())
        super().changeEvent(event)

    def palette_for_canvas(self) -> Any:
        return QApplication.palette()

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
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()
        self.autosave.discard()
        self.autosave.timer.stop()
        event.accept()
