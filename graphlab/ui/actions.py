"""Menus, actions and shortcuts of the main window (every action has a menu entry and a shortcut).

Single-key and editing shortcuts (Delete, F, Tab, Ctrl+C…) are scoped to the canvas, so typing
in the inspector or the palette search never deletes nodes; the menus still show them. Undo and
redo are window-wide; :mod:`graphlab.ui.undo_keys` keeps text fields from swallowing them.

Sets ``w.file_menu``, ``w.edit_menu``, ``w.view_menu``, ``w.help_menu``, ``w.recent_menu`` and
``w.examples_menu``; the dock toggles (View ▸ Panels) come from ``MainWindow.add_dock``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from .main_window import MainWindow

CONTROLS = """\
<b>Mouse</b><br>
Drag a layer from the palette onto the canvas to add it.<br>
Drag from an output port (bottom of a card) to an input port (top), or the reverse, to connect.<br>
Drag a node to move it; drag on the background for rubber-band selection; Ctrl+click toggles.<br>
Middle drag or Space+drag pans; the wheel zooms towards the cursor.<br>
Double-click the background (or press Tab) to add a layer by name.<br>
Click a problem to select its node and zoom to it. Click or drag in the overview (bottom right)
to move around a large graph. Drop a graph file on the window to open it.<br><br>
<b>Keyboard</b><br>
Tab quick add · Delete/Backspace delete · Ctrl+C / Ctrl+V copy, paste · Ctrl+D duplicate ·
Ctrl+A select all · Ctrl+G group the selection · Ctrl+Alt+G ungroup · Ctrl+E collapse or expand
the selected node's group (or double-click a group's card; click ▸ on its frame) · F fit · Ctrl+L auto-layout · Ctrl+= (or Ctrl++) / Ctrl+- / Ctrl+0 zoom ·
Ctrl+Z undo · Ctrl+Shift+Z (or Ctrl+Y) redo (from any panel; a field you are typing in undoes its own text first) ·
Ctrl+N new · Ctrl+O open · Ctrl+I import a PyTorch model · Ctrl+Shift+W load weights into the matching nodes ·
Ctrl+S save · Ctrl+Shift+S save as · Ctrl+R revert · F2 rename the graph ·
Ctrl+Q quit<br>
Alt+1 / Alt+2 / Alt+3 the Design, Train and Step workspaces · Alt+0 reset the workspace's layout<br>
Ctrl+1 / Ctrl+2 / Ctrl+3 show or hide Layers, Inspector, Problems · F1 this list · Shift+F1 the
documentation<br><br>
<b>Train (Run menu)</b><br>
F5 train · F6 pause / resume · Shift+F5 stop (a checkpoint is saved)<br>
Ctrl+4 / Ctrl+5 / Ctrl+6 / Ctrl+7 show or hide Training, Plots, Node, Runs<br><br>
<b>Step through (Debug menu)</b><br>
F10 step one node (forward, then backward)<br>
Shift+F10 step back<br>
Ctrl+F10 run to the selected node (nothing selected: to the end or the first NaN/inf)<br>
Ctrl+Shift+F10 restart stepping<br>
Ctrl+Shift+G check gradients (every node against centred differences)<br>
Ctrl+8 show or hide the Step through panel<br><br>
<b>Search (Search menu)</b><br>
F7 start or resume the search · F8 pause / resume it · Shift+F7 stop it (its trials run again when it resumes) ·
Ctrl+Shift+F7 show or hide the Search panel<br>
<b>Cost</b><br>
Ctrl+9 show or hide the Cost panel (FLOPs, memory, receptive fields)<br>
Ctrl+Alt+1 / Ctrl+Alt+2 / Ctrl+Alt+3 bars on the cards: FLOPs, memory, parameters · Ctrl+Alt+0 no bars<br>
"""


class _ActionMaker:
    """Makes the window's actions (objectName ``action_<key>``) and keeps them by key in ``acts``."""

    def __init__(self, w: MainWindow) -> None:
        self.w = w
        self.acts: dict[str, QAction] = {}

    def __call__(self, key: str, text: str, slot: Callable[[], object], shortcuts: list,
                 canvas: bool = False) -> QAction:
        w = self.w
        a = QAction(text, w)
        a.setObjectName(f"action_{key}")
        a.setShortcuts([QKeySequence(s) for s in shortcuts])
        a.triggered.connect(lambda checked=False: slot())
        if canvas:
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            w.view.addAction(a)
        else:
            w.addAction(a)
        self.acts[key] = a
        return a


def build_menus(w: MainWindow) -> dict[str, QAction]:
    """File, Edit, View and Help in the window's menu bar; the actions by key."""
    act = _ActionMaker(w)
    _file_menu(w, act)
    _edit_menu(w, act)
    _view_menu(w, act)
    _help_menu(w, act)
    return act.acts


def _file_menu(w: MainWindow, act: _ActionMaker) -> None:
    m = w.file_menu = w.menuBar().addMenu("&File")
    m.addAction(act("new", "&New", w.new_file, ["Ctrl+N"]))
    m.addAction(act("open", "&Open…", w.open_interactive, ["Ctrl+O"]))
    w.recent_menu = m.addMenu("Open &Recent")
    w.examples_menu = m.addMenu("&Examples")
    m.addSeparator()
    m.addAction(act("save", "&Save", w.save_file, ["Ctrl+S"]))
    m.addAction(act("save_as", "Save &As…", w.save_as, ["Ctrl+Shift+S"]))
    m.addAction(act("revert", "Re&vert", w.revert, ["Ctrl+R"]))
    m.addSeparator()
    m.addAction(act("quit", "&Quit", w.close, ["Ctrl+Q"]))


def _edit_menu(w: MainWindow, act: _ActionMaker) -> None:
    e = w.edit_menu = w.menuBar().addMenu("&Edit")
    undo = w.undo_stack.createUndoAction(w, "&Undo")
    undo.setShortcuts([QKeySequence("Ctrl+Z")])
    redo = w.undo_stack.createRedoAction(w, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for key, a in (("undo", undo), ("redo", redo)):
        a.setObjectName(f"action_{key}")
        w.addAction(a)
        e.addAction(a)
        act.acts[key] = a
    e.addSeparator()
    e.addAction(act("copy", "&Copy", w.copy_selection, ["Ctrl+C"], canvas=True))
    e.addAction(act("paste", "&Paste", w.paste, ["Ctrl+V"], canvas=True))
    e.addAction(act("duplicate", "&Duplicate", w.duplicate, ["Ctrl+D"], canvas=True))
    e.addAction(act("delete", "De&lete", w.delete_selection, ["Delete", "Backspace"], canvas=True))
    e.addSeparator()
    e.addAction(act("select_all", "Select &All", w.select_all, ["Ctrl+A"], canvas=True))
    e.addAction(act("quick_add", "Add &Layer…", w.quick_add, ["Tab"], canvas=True))
    e.addSeparator()
    e.addAction(act("group", "&Group Selection…", w.group_selection, ["Ctrl+G"], canvas=True))
    e.addAction(act("ungroup", "U&ngroup", w.ungroup_selection, ["Ctrl+Alt+G"], canvas=True))
    e.addAction(act("toggle_group", "Collapse / E&xpand Group", w.toggle_group, ["Ctrl+E"], canvas=True))
    e.addSeparator()
    e.addAction(act("rename_graph", "Re&name Graph…", w.rename_graph, ["F2"]))


def _view_menu(w: MainWindow, act: _ActionMaker) -> None:
    v = w.view_menu = w.menuBar().addMenu("&View")
    v.addAction(act("fit", "&Fit to Window", w.view.fit_key, ["F"], canvas=True))
    v.addAction(act("zoom_in", "Zoom &In", lambda: w.view.zoom(1.25), ["Ctrl+=", "Ctrl++"]))
    v.addAction(act("zoom_out", "Zoom &Out", lambda: w.view.zoom(0.8), ["Ctrl+-"]))
    v.addAction(act("zoom_reset", "&Actual Size", lambda: w.view.zoom(1 / w.view.transform().m11()), ["Ctrl+0"]))
    v.addSeparator()
    v.addAction(act("auto_layout", "Auto-&Layout", w.controller.auto_layout, ["Ctrl+L"]))
    v.addSeparator()


def _help_menu(w: MainWindow, act: _ActionMaker) -> None:
    h = w.help_menu = w.menuBar().addMenu("&Help")
    h.addAction(act("controls", "&Mouse and Keyboard…", w.show_controls, ["F1"]))
    h.addAction(act("docs", "&Documentation…", w.show_docs, ["Shift+F1"]))
