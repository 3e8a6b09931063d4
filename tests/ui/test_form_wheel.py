"""A wheel over a field editor without keyboard focus scrolls the form and changes nothing (issue 14.5),
in every form built by graphlab.ui.forms: the Training form, the inspector, the stepper's settings.
Once the editor has focus, the wheel steps it as before."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QScrollArea, QSpinBox

from .helpers import focus

DOWN = -120  # one notch towards the user: scroll down, step a spin box down, a combo box to the next item


def wheel(widget: Any, delta: int = DOWN) -> None:
    """A wheel notch over the middle of ``widget``, as the mouse sends it."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, delta),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)
    QApplication.processEvents()


def _small(scroll: QScrollArea, height: int = 160) -> None:
    """Make the scroll area short enough that its form scrolls."""
    scroll.setFixedHeight(height)
    QApplication.processEvents()
    assert scroll.verticalScrollBar().maximum() > 0


def test_the_wheel_over_the_training_forms_schedule_scrolls_and_changes_nothing(make_window, examples_dir, qtbot):
    w = make_window(examples_dir / "spiral_two_layer.graphlab.json")
    ui = w.training.ui
    ui.training_dock.show()
    ui.training_dock.raise_()
    form = ui.settings.form
    scroll = ui.settings.tabs.widget(0)
    assert isinstance(scroll, QScrollArea) and scroll.widget() is form
    _small(scroll)
    combo = form.editors["@schedule"].widget
    assert isinstance(combo, QComboBox) and combo.focusPolicy() == Qt.FocusPolicy.StrongFocus
    before, n = w.document.graph.training.get("schedule"), w.undo_stack.count()
    bar = scroll.verticalScrollBar()
    assert bar.value() == 0
    wheel(combo)
    assert combo.currentData() == "none" and form.shown_value("@schedule") == "none"
    assert w.document.graph.training.get("schedule") == before and w.undo_stack.count() == n
    assert bar.value() > 0, "the form did not scroll"
    epochs = form.editors["epochs"].widget
    assert isinstance(epochs, QSpinBox)
    value, at = epochs.value(), bar.value()
    wheel(epochs, -DOWN)
    assert epochs.value() == value and w.undo_stack.count() == n and bar.value() < at
    lr = form.editors["optimizer.lr"].widget  # the number line edit: the same
    wheel(lr)
    assert w.undo_stack.count() == n
    # with focus, the wheel edits (one undo step)
    focus(qtbot, combo)
    wheel(combo)
    assert combo.currentData() != "none" and w.undo_stack.count() == n + 1


def test_the_wheel_over_the_inspectors_editors_scrolls_and_changes_nothing(make_window, examples_dir, qtbot):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.scene.select_nodes(["conv1"])
    ins = w.inspector
    _small(ins, 120)
    box = ins.findChild(QSpinBox, "param_out_channels")
    n, bar = w.undo_stack.count(), ins.verticalScrollBar()
    wheel(box)
    assert box.value() == 6 and w.document.graph.nodes["conv1"].params["out_channels"] == 6
    assert w.undo_stack.count() == n and bar.value() > 0
    kernel = ins.editors["kernel_size"].boxes[1]  # a pair's spin box
    wheel(kernel, -DOWN)
    assert w.document.graph.nodes["conv1"].params["kernel_size"] == 5 and w.undo_stack.count() == n
    init = ins.findChild(QComboBox, "param_init")
    wheel(init)
    assert w.document.graph.nodes["conv1"].init is None and w.undo_stack.count() == n
    focus(qtbot, box)
    wheel(box, -DOWN)
    assert w.document.graph.nodes["conv1"].params["out_channels"] == 7 and w.undo_stack.count() == n + 1


def test_the_wheel_over_the_stepper_settings_changes_nothing(make_window, examples_dir):
    w = make_window(examples_dir / "digits_cnn.graphlab.json")
    settings = w.stepper_ui.settings
    w.stepper_ui.dock.show()
    w.stepper_ui.dock.raise_()
    QApplication.processEvents()
    source, seed = settings.source, settings.seed
    before, n = settings.source_key(), w.undo_stack.count()
    wheel(source)
    wheel(seed, -DOWN)
    assert settings.source_key() == before and seed.value() == 0 and w.undo_stack.count() == n
    assert w.document.graph.step == {}
