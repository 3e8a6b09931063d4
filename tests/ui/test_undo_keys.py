"""Ctrl+Z / Ctrl+Shift+Z undo the document from every dock; a field being edited keeps its own undo
(issue 7 A4). Real key events through QTest, which sends the ShortcutOverride a real key press does."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QSpinBox, QWidget

from .helpers import focus

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def press_undo(redo: bool = False) -> None:
    target = QApplication.focusWidget()
    assert target is not None
    QTest.keyClick(target, Qt.Key.Key_Z, CTRL | SHIFT if redo else CTRL)


def test_ctrl_z_in_the_inspector_after_typing_a_value_and_tab(make_window, examples_dir, qtbot):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.scene.select_nodes(["conv1"])
    box = w.inspector.findChild(QSpinBox, "param_out_channels")
    focus(qtbot, box)
    box.selectAll()
    QTest.keyClicks(box, "12")
    QTest.keyClick(box, Qt.Key.Key_Tab)
    assert w.document.graph.nodes["conv1"].params["out_channels"] == 12
    after_tab = QApplication.focusWidget()
    assert after_tab is not box and w.inspector.isAncestorOf(after_tab)  # still in the inspector
    press_undo()
    assert w.document.graph.nodes["conv1"].params["out_channels"] == 6
    assert box.value() == 6
    press_undo(redo=True)
    assert w.document.graph.nodes["conv1"].params["out_channels"] == 12
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Y, CTRL)  # Ctrl+Y is redo too: nothing left
    assert w.document.graph.nodes["conv1"].params["out_channels"] == 12


def test_a_field_being_edited_keeps_its_own_undo_first(make_window, examples_dir, qtbot):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.controller.set_param("fc1", "out_features", 100)  # a document edit to undo later
    w.scene.select_nodes(["conv1"])
    box = w.inspector.findChild(QSpinBox, "param_out_channels")
    focus(qtbot, box)
    box.selectAll()
    QTest.keyClicks(box, "99")  # typed, not committed (no Enter, no Tab)
    assert box.text() == "99"
    index = w.undo_stack.index()
    press_undo()
    assert box.text() != "99"  # the field's own text undo
    assert w.undo_stack.index() == index and w.document.graph.nodes["fc1"].params["out_features"] == 100
    while box.lineEdit().isModified():  # undo the rest of the typing
        press_undo()
    assert box.text() == "6" and w.undo_stack.index() == index
    press_undo()  # nothing left to undo in the field: the document's undo
    assert w.undo_stack.index() == index - 1
    assert w.document.graph.nodes["fc1"].params["out_features"] == 120


def test_ctrl_z_and_ctrl_shift_z_from_every_dock(make_window, qtbot):
    w = make_window()
    targets = {"canvas": w.view, "layer tree": w.layer_palette.tree, "layer search": w.layer_palette.search,
               "problems": w.problems}
    for name, widget in targets.items():
        nid = w.controller.add_node("ReLU", (0, 0))
        focus(qtbot, widget)
        press_undo()
        assert nid not in w.document.graph.nodes, f"Ctrl+Z did nothing in {name}"
        press_undo(redo=True)
        assert nid in w.document.graph.nodes, f"Ctrl+Shift+Z did nothing in {name}"
    # a node's init drop-down and a check box in the inspector
    conv = w.controller.add_node("Conv2d", (200, 0))
    w.scene.select_nodes([conv])
    for name in ("param_init", "param_bias"):
        w.controller.set_param(conv, "out_channels", 3 if name == "param_init" else 5)
        focus(qtbot, w.inspector.findChild(QWidget, name))
        before = w.document.graph.nodes[conv].params.get("out_channels")
        press_undo()
        assert w.document.graph.nodes[conv].params.get("out_channels") != before, f"Ctrl+Z did nothing in {name}"


def test_the_search_field_keeps_its_typing_undo(make_window, qtbot):
    w = make_window()
    nid = w.controller.add_node("ReLU", (0, 0))
    search = w.layer_palette.search
    focus(qtbot, search)
    QTest.keyClicks(search, "conv")
    press_undo()
    assert search.text() != "conv" and nid in w.document.graph.nodes


def test_ctrl_z_in_a_floating_dock(make_window, examples_dir, qtbot):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.controller.set_param("conv1", "out_channels", 8)
    w.inspector_dock.setFloating(True)
    qtbot.waitExposed(w.inspector_dock)
    w.scene.select_nodes(["conv2"])
    box = w.inspector.findChild(QSpinBox, "param_out_channels")
    focus(qtbot, box)
    press_undo()
    assert w.document.graph.nodes["conv1"].params["out_channels"] == 6


def test_ctrl_z_from_the_stepper_dock(make_window, examples_dir, qtbot):
    """The Step through dock is a dock like the others: its buttons, settings, typed-values table, tabs and
    tensor views hand Ctrl+Z / Ctrl+Shift+Z to the document (a field being typed in keeps its own)."""
    from PySide6.QtWidgets import QTableWidget, QTabWidget, QToolButton

    from tests.ui.stepper.helpers import press, typed_gates

    w = make_window(examples_dir / "backprop_gates.graphlab.json")
    ui = w.stepper_ui
    ui.dock.show()
    ui.dock.raise_()
    typed_gates(w)
    press(qtbot, w, "step", 3)  # the dock now shows a node: its tabs and tensor views exist
    panel = ui.panel
    targets = {"step button": panel.findChild(QToolButton, "button_step"),
               "seed": panel.findChild(QSpinBox, "step_seed"),
               "train mode": panel.findChild(QWidget, "step_train_mode"),
               "typed values": panel.findChild(QTableWidget, "typed_x"),
               "node tabs": panel.node_view.findChild(QTabWidget, "step_tabs"),
               "tensor view": next(iter(panel.node_view.views().values())).table}
    for i, (name, widget) in enumerate(targets.items()):
        # renaming the graph is an undoable edit that keeps the walk (and so the dock's views) in place
        assert widget is not None and widget.isVisible(), name
        before = w.document.graph.name
        assert w.controller.rename_graph(f"gates {i}")
        focus(qtbot, widget)
        press_undo()
        assert w.document.graph.name == before, f"Ctrl+Z did nothing in the stepper dock's {name}"
        press_undo(redo=True)
        assert w.document.graph.name == f"gates {i}", f"Ctrl+Shift+Z did nothing in the stepper dock's {name}"
    assert w.stepper is not None and w.stepper.position == 3  # the walk was never disturbed


def test_ctrl_z_from_the_training_docks(make_window, examples_dir, qtbot):
    """A learner changes the epochs in the Training form, then presses Ctrl+Z wherever the focus is: the
    form's epochs field (once Tab moved on), the plots, the node dock, the runs list."""
    from tests.ui.training.helpers import edit_field

    w = make_window(examples_dir / "spiral_two_layer.graphlab.json")
    ui = w.training.ui
    ed = ui.settings.form.editors.get("epochs") or ui.settings.form.editor_for("epochs")
    targets = {"Training form (epochs)": ed.widget, "Plots": ui.plots, "Node": ui.node, "Runs": ui.runs.tree}
    for i, (name, widget) in enumerate(targets.items()):
        w.undo_stack.clear()  # each edit its own undo step, not merged with the last
        before = w.document.graph.training.get("epochs")
        edit_field(w, "epochs", 100 + i)
        assert w.document.graph.training["epochs"] == 100 + i
        w.training_dock_visible = True
        for dock in (ui.training_dock, ui.plots_dock, ui.node_dock, ui.runs_dock):
            dock.show()
        focus(qtbot, widget)
        press_undo()
        assert w.document.graph.training.get("epochs") == before, f"Ctrl+Z did nothing in {name}"
        press_undo(redo=True)
        assert w.document.graph.training["epochs"] == 100 + i, f"Ctrl+Shift+Z did nothing in {name}"
