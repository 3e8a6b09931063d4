"""The one form builder (graphlab.ui.forms): an editor per field class; show() sends nothing, an edit sends
one accepted value through the one hook, a refused value turns the editor red with the reason."""
from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from graphlab.core import fields as fl
from graphlab.ui.forms import EDITORS, ERROR_STYLE, PairEditor, make_editor


class Hook:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.refused: list[str] = []

    def change(self, key: str, value: Any) -> None:
        self.sent.append((key, value))

    def refuse(self, message: str) -> None:
        self.refused.append(message)


def _type(ed: Any, text: str) -> None:
    ed.widget.setText(text)
    ed.widget.editingFinished.emit()


# (field, a value to show, how a user changes it, what is then sent)
CASES = [
    (fl.IntField("n", lo=1, hi=100), 5, lambda ed: ed.widget.setValue(7), 7),
    (fl.IntField("b", lo=1, special="full"), 32, lambda ed: ed.widget.setValue(ed.widget.minimum()), "full"),
    (fl.FloatField("lr", lo=0.0, lo_open=True, log=True), 0.01, lambda ed: _type(ed, "1e-3"), 0.001),
    (fl.BoolField("flip"), False, lambda ed: ed.widget.setChecked(True), True),
    (fl.ChoiceField("opt", choices=("sgd", "adam")), "sgd", lambda ed: ed.widget.setCurrentIndex(1), "adam"),
    (fl.ChoiceField("init", nullable=True, null_text="per node", choices=("xavier",)), "xavier",
     lambda ed: ed.widget.setCurrentIndex(0), None),
    (fl.PairField("kernel", lo=1), 3, lambda ed: ed.boxes[1].setValue(5), [3, 5]),
    (fl.PairField("stride", lo=1, nullable=True, null_text="auto"), 2, lambda ed: ed.boxes[2].setChecked(True), None),
    (fl.ShapeField("shape"), [1, 28, 28], lambda ed: _type(ed, "3 × 32 × 32"), [3, 32, 32]),
    (fl.TextField("path"), "a.npz", lambda ed: _type(ed, "b.npz"), "b.npz"),
    (fl.SizeField("size", nullable=True), [8, 8], lambda ed: _type(ed, ""), None),
    (fl.LabelField("label"), -1, lambda ed: _type(ed, "class"), "class"),
]


@pytest.mark.parametrize("field, shown, edit, sent", CASES, ids=[c[0].name for c in CASES])
def test_each_editor_shows_without_sending_and_sends_one_edit(qtbot, field, shown, edit, sent):
    host = QWidget()
    qtbot.addWidget(host)
    hook = Hook()
    ed = make_editor(field, field.name, hook.change, hook.refuse, host, object_name=f"f_{field.name}")
    assert isinstance(ed, EDITORS[type(field)]) and ed.widget.objectName() == f"f_{field.name}"
    ed.show(shown)
    assert hook.sent == [] and field.coerce(ed.value()) == field.coerce(shown)
    edit(ed)
    assert hook.sent == [(field.name, sent)] and hook.refused == []
    assert field.help in ed.widget.toolTip()


@pytest.mark.parametrize("field, bad", [
    (fl.FloatField("lr", lo=0.0, lo_open=True), "-1"),
    (fl.FloatField("x"), "abc"),
    (fl.ShapeField("shape"), "1, a, 28"),
    (fl.SizeField("size"), "0, 5"),
    (fl.TextField("path"), ""),
])
def test_a_refused_value_is_not_sent_and_turns_the_editor_red(qtbot, field, bad):
    host = QWidget()
    qtbot.addWidget(host)
    hook = Hook()
    ed = make_editor(field, field.name, hook.change, hook.refuse, host)
    _type(ed, bad)
    assert hook.sent == [] and len(hook.refused) == 1 and hook.refused[0].startswith(f"{field.name}: ")
    assert ed.widget.styleSheet() == ERROR_STYLE and ed.widget.toolTip().startswith(hook.refused[0])


def test_widgets_of_each_kind_and_their_ranges(qtbot):
    host = QWidget()
    qtbot.addWidget(host)

    def make(field: fl.Field) -> Any:
        return make_editor(field, field.name, lambda k, v: None, None, host)

    box = make(fl.IntField("n", lo=0, lo_open=True, hi=10, nullable=True, null_text="auto")).widget
    assert isinstance(box, QSpinBox) and (box.minimum(), box.maximum()) == (0, 10)
    assert box.specialValueText() == "auto" and box.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert isinstance(make(fl.FloatField("x")).widget, QLineEdit)
    assert isinstance(make(fl.BoolField("b")).widget, QCheckBox)
    combo = make(fl.ChoiceField("c", choices=("a", "b"), choice_text=("A!", "B!"), choice_help=("first", "second")))
    assert isinstance(combo.widget, QComboBox) and combo.widget.itemText(1) == "B!"
    assert combo.widget.itemData(0, Qt.ItemDataRole.ToolTipRole) == "first"
    pair = make(fl.PairField("k", lo=1, hi=9))
    assert isinstance(pair, PairEditor) and [b.maximum() for b in pair.boxes] == [9, 9]


def test_a_value_beyond_a_spin_box_is_shown_clamped_and_said(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    hook = Hook()
    ed = make_editor(fl.IntField("n", lo=1), "n", hook.change, None, host)
    ed.show(10 ** 12)
    assert ed.widget.value() == ed.widget.maximum() and "1,000,000,000,000" in ed.widget.toolTip()
    assert hook.sent == []


def test_log_fields_step_by_factors_of_ten(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    hook = Hook()
    ed = make_editor(fl.FloatField("lr", lo=0.0, lo_open=True, log=True), "lr", hook.change, None, host)
    ed.show(0.01)
    assert ed.widget.step_value(True) == 0.1 and ed.widget.step_value(False) == 0.001
    lin = make_editor(fl.FloatField("p", lo=0.0, hi=1.0), "p", hook.change, None, host)
    lin.show(0.5)
    assert lin.widget.step_value(True) == 0.6
