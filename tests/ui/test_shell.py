"""The window shell's small things (issue 7 A6, B4): the init drop-down only on layers with weights,
paste at the cursor, stale errors leave the status bar, the graph's name, assembly-only window."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QAction, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox

from graphlab.core import REGISTRY

from .helpers import focus

ROOT = Path(__file__).resolve().parents[2]


def test_init_drop_down_only_on_layers_the_schemes_apply_to(make_window):
    w = make_window()
    seen = {True: 0, False: 0}
    for type_name in REGISTRY.types():
        nid = w.controller.add_node(type_name, (0, 0))
        w.scene.select_nodes([nid])
        box = w.inspector.findChild(QComboBox, "param_init")
        spec = REGISTRY.get(type_name)
        assert (box is not None) == spec.initialisable, type_name
        assert (w.inspector.init_box is not None) == spec.initialisable
        seen[spec.initialisable] += 1
    assert seen[True] >= 5 and seen[False] >= 10  # Linear, Conv2d, Maxout, RNNs… / ReLU, pools, BatchNorm, losses…
    for t in ("ReLU", "MaxPool2d", "Flatten", "CrossEntropyLoss", "BatchNorm2d", "PReLU"):
        assert not REGISTRY.get(t).initialisable
    # a scheme an old file set where none applies: the drop-down shows so it can be cleared, with a warning
    bn = w.controller.add_node("BatchNorm2d", (0, 0))
    w.controller.set_param(bn, "init", "xavier")
    w.live.flush()
    w.scene.select_nodes([])
    w.scene.select_nodes([bn])
    box = w.inspector.findChild(QComboBox, "param_init")
    assert box is not None and box.currentData() == "xavier"
    assert any(p.node == bn and p.field == "init" and p.severity == "warning" for p in w.document.problems.problems())
    box.setCurrentIndex(0)
    w.live.flush()
    assert w.document.graph.nodes[bn].init is None
    assert not any(p.node == bn and p.field == "init" for p in w.document.problems.problems())


def _move_mouse(w, qtbot, at: QPoint) -> None:
    vp = w.view.viewport()
    QTest.mouseMove(vp, at)
    qtbot.waitUntil(lambda: w.clipboard.cursor.last is not None, timeout=2000)


def test_paste_lands_at_the_cursor_keeping_relative_positions(make_window, examples_dir, qtbot):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    g = w.document.graph
    chosen = ["conv1", "relu1", "pool1"]
    w.scene.select_nodes(chosen)
    focus(qtbot, w.view)
    QTest.keyClick(w.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    at = QPoint(w.view.viewport().width() // 3, w.view.viewport().height() // 4)
    _move_mouse(w, qtbot, at)
    QTest.keyClick(w.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    new = w.scene.selected_node_ids()
    assert len(new) == 3 and not set(new) & set(chosen)
    where = w.view.mapToScene(at)
    corner = (min(g.nodes[n].pos[0] for n in new), min(g.nodes[n].pos[1] for n in new))
    assert corner == (round(where.x() / 10) * 10, round(where.y() / 10) * 10)
    old_corner = (min(g.nodes[n].pos[0] for n in chosen), min(g.nodes[n].pos[1] for n in chosen))
    for old, fresh in zip(chosen, sorted(new, key=lambda n: list(g.nodes).index(n))):
        assert g.nodes[fresh].type == g.nodes[old].type
        assert (g.nodes[fresh].pos[0] - corner[0], g.nodes[fresh].pos[1] - corner[1]) == \
            (g.nodes[old].pos[0] - old_corner[0], g.nodes[old].pos[1] - old_corner[1])
    # the cursor moves elsewhere on the canvas: the next paste follows it
    at2 = QPoint(w.view.viewport().width() * 2 // 3, w.view.viewport().height() // 2)
    _move_mouse(w, qtbot, at2)
    QTest.keyClick(w.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    new2 = w.scene.selected_node_ids()
    where2 = w.view.mapToScene(at2)
    assert (min(g.nodes[n].pos[0] for n in new2), min(g.nodes[n].pos[1] for n in new2)) == \
        (round(where2.x() / 10) * 10, round(where2.y() / 10) * 10)
    # the mouse leaves the canvas (e.g. Edit > Paste from the menu): the view's centre
    QApplication.sendEvent(w.view.viewport(), QEvent(QEvent.Type.Leave))
    w.actions_["paste"].trigger()
    new3 = w.scene.selected_node_ids()
    centre = w.view.mapToScene(w.view.viewport().rect().center())
    assert (min(g.nodes[n].pos[0] for n in new3), min(g.nodes[n].pos[1] for n in new3)) == \
        (round(centre.x() / 10) * 10, round(centre.y() / 10) * 10)
    assert w.undo_stack.undoText().startswith("Paste 3 nodes")


def test_a_stale_error_leaves_the_status_bar_once_the_value_is_valid(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.scene.select_nodes(["input"])
    edit = w.inspector.editors["shape"].widget
    edit.setText("1, a, 28")
    edit.editingFinished.emit()
    assert "must be positive integers" in w.statusBar().currentMessage()
    edit.setText("1, 32, 32")
    edit.editingFinished.emit()
    assert w.document.graph.nodes["input"].params["shape"] == [1, 32, 32]
    assert w.statusBar().currentMessage() == ""
    # a message that is not the inspector's stays
    edit.setText("x")
    edit.editingFinished.emit()
    w.show_hint("saved somewhere")
    edit.setText("1, 28, 28")
    edit.editingFinished.emit()
    assert w.statusBar().currentMessage() == "saved somewhere"


def test_rename_the_graph_is_one_undo_step_and_shows_in_the_title(make_window, qtbot):
    w = make_window()
    w.controller.add_node("ReLU")
    w.prompts.graph_name = lambda current: "  Tiny   net "
    focus(qtbot, w.view)
    QTest.keyClick(w.view, Qt.Key.Key_F2)
    assert w.document.graph.name == "Tiny net"
    assert "Tiny net" in w.windowTitle()
    assert w.undo_stack.undoText() == "Rename to Tiny net"
    w.undo_stack.undo()
    assert w.document.graph.name == "untitled" and "Untitled" in w.windowTitle()
    w.prompts.graph_name = lambda current: "   "
    w.rename_graph()
    assert w.document.graph.name == "untitled" and "needs a name" in w.statusBar().currentMessage()
    w.prompts.graph_name = lambda current: None  # cancelled
    w.rename_graph()
    assert w.document.graph.name == "untitled"


def test_save_as_of_an_untitled_graph_names_it_after_the_file(make_window, tmp_path):
    w = make_window()
    w.controller.add_node("Input", (0, 0))
    w.prompts.save_path_answer = str(tmp_path / "my_first_net.graphlab.json")
    assert w.save_as()
    assert w.document.graph.name == "my_first_net"
    assert json.loads((tmp_path / "my_first_net.graphlab.json").read_text())["name"] == "my_first_net"
    assert w.undo_stack.isClean() and w.undo_stack.undoText() == "Rename to my_first_net"
    # a named graph keeps its name under Save As
    w.prompts.save_path_answer = str(tmp_path / "copy.graphlab.json")
    assert w.save_as()
    assert w.document.graph.name == "my_first_net"
    # a failed save does not leave the rename behind
    w2 = make_window()
    w2.controller.add_node("Input", (0, 0))
    index = w2.undo_stack.index()
    assert not w2.save_file(tmp_path / "no_such_folder" / "x.graphlab.json")
    assert w2.document.graph.name == "untitled" and w2.undo_stack.index() == index
    assert w2.prompts.errors


def test_the_window_palette_is_qwidgets_and_main_window_only_assembles(make_window):
    w = make_window()
    assert isinstance(w.palette(), QPalette)  # no longer shadowed by the layer palette widget
    assert w.layer_palette.objectName() == "palette"
    text = (ROOT / "graphlab" / "ui" / "main_window.py").read_text()
    for word in ("atomic_write", "QFileDialog", "QMimeData", "clipboard()", "glob(", "json"):
        assert word not in text, f"main_window.py should only assemble, found {word}"
    assert len(text.splitlines()) < 600  # the project's limit per file


def test_extension_points_for_the_panels_that_come_next(make_window):
    from PySide6.QtWidgets import QLabel

    w = make_window()
    dock = w.add_dock("Training", QLabel("plots"), Qt.DockWidgetArea.BottomDockWidgetArea, "trainingDock", "Ctrl+4")
    assert w.shell.dock_actions["trainingDock"] in w.panels_menu.actions()
    extra = w.add_menu("&Tools")  # a menu added later goes just before Help
    titles = [a.text() for a in w.menuBar().actions()]
    assert titles.index("&Tools") == titles.index("&Help") - 1
    assert titles.index("&Run") < titles.index("&Tools")  # the training workbench's (graphlab.ui.training)
    assert w.run_toolbar.objectName() == "runToolbar"
    assert extra is not None


@pytest.mark.parametrize("name", ["", "x.json", ".graphlab.json"])
def test_name_from_path_edge_cases(name):
    from graphlab.ui.files import name_from_path

    assert name_from_path(f"/tmp/{name}" if name else "/tmp/a.graphlab.json")


def test_help_lists_every_shortcut_of_the_window(make_window):
    """Help ▸ Mouse and Keyboard names every key a window action answers to (the stepper's F10 family,
    Ctrl+Shift+G and the docks' toggles included)."""
    import re

    from PySide6.QtGui import QAction, QKeySequence

    from graphlab.ui.actions import CONTROLS

    w = make_window()
    text = re.sub(r"<[^>]+>", " ", CONTROLS)
    fmt = QKeySequence.SequenceFormat.PortableText
    missing = []
    for a in w.findChildren(QAction):
        for sc in a.shortcuts():
            key = sc.toString(fmt).replace("Del", "Delete") if sc.toString(fmt) == "Del" else sc.toString(fmt)
            if not re.search(r"(?<![\w+])" + re.escape(key) + r"(?![\w+])", text):
                missing.append(f"{a.objectName()}: {key}")
    assert not missing, missing


def test_no_widget_shadows_a_qwidget_method(make_window, examples_dir):
    """A panel that stores its main window as ``self.window`` (or a palette as ``self.palette``) breaks Qt
    code that calls ``widget.window()`` on it — focus handling, undo keys, dialogs."""
    from PySide6.QtWidgets import QWidget

    w = make_window(examples_dir / "digits_cnn.graphlab.json")
    names = ("window", "palette", "parent", "layout", "font", "size", "style", "show", "update")
    bad = [(type(c).__name__, n) for c in [w, *w.findChildren(QWidget)] for n in names
           if not callable(getattr(c, n, None))]
    assert not bad


def test_a_panel_key_brings_a_dock_tabbed_behind_to_the_front_and_hides_one_in_front(make_window, qtbot):
    """Ctrl+9 over the Design workspace, where the Cost dock is a tab behind the inspector: the key
    brings it to the front (Qt's own toggle would hide a dock nobody could see); pressed again it hides
    it, and a third time shows it again."""
    w = make_window()
    qtbot.wait(20)
    cost, inspector = w.shell.docks["cost"], w.shell.docks["inspectorDock"]
    action = w.findChild(QAction, "action_toggle_cost")
    assert action.shortcut().toString() == "Ctrl+9" and action in w.panels_menu.actions()
    qtbot.waitUntil(lambda: not inspector.visibleRegion().isEmpty(), timeout=2000)
    assert cost.visibleRegion().isEmpty() and not cost.isHidden() and action.isChecked()  # a tab behind
    action.trigger()
    qtbot.waitUntil(lambda: not cost.visibleRegion().isEmpty(), timeout=2000)
    assert action.isChecked() and inspector.visibleRegion().isEmpty()
    action.trigger()
    assert cost.isHidden() and not action.isChecked()
    action.trigger()
    qtbot.waitUntil(lambda: not cost.visibleRegion().isEmpty(), timeout=2000)
    assert action.isChecked()
