"""One editor per field class of the field language (:mod:`graphlab.core.fields`).

=================  ===========================================================================
field              editor (``widget``)
=================  ===========================================================================
IntField           QSpinBox, range from the bounds; null or the special value ("full") as its
                   lowest entry
FloatField         :class:`NumberEdit`: a line edit that reads 1e-3 and 0.001; Up/Down (and the
                   wheel once focused) step it, by ×10 / ÷10 for ``log`` fields
BoolField          QCheckBox
ChoiceField        QComboBox (the null entry first when nullable; a tooltip per choice)
PairField          two spin boxes, h × w (``boxes``), and an "auto" box when nullable
ShapeField         line edit "1, 28, 28"
TextField          line edit (empty = null when nullable)
SizeField          line edit "height, width" (empty = null)
LabelField         line edit: a column name, or its index
RangeField         :class:`.range_editor.RangeEditor`: a distribution box and the range's two ends,
                   or a line of choices (a search range)
=================  ===========================================================================

Every editor has one hook: ``on_change(key, value)``, called with a value the field accepted (the
owner turns it into one undo command). A value the field refuses is not sent: the editor turns red,
its tooltip starts with the reason, and ``on_refuse(message)`` gets the one-line message.
``show(value)`` displays a value with the widget's signals blocked (changes from the model: undo,
another node); ``value()`` reads what the widget holds. Spin boxes and combo boxes ignore the wheel
unless focused (:mod:`.wheel`). An editor is a QObject (child of its form), so its widgets'
signals reach bound methods, which PySide6 stops calling once the form is being destroyed.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeyEvent, QStandardItemModel, QWheelEvent
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QWidget

from ...core import fields as fl
from ...core.fields import FieldError
from .wheel import guard_wheel

#: bounds an unbounded spin box (a QSpinBox holds an int32)
BIG = 999_999_999
ERROR_STYLE = "border: 1px solid palette(highlight); background: rgba(220, 50, 47, 40);"
Changed = Callable[[str, Any], None]
Refused = Callable[[str], None]


def show_number(v: Any) -> str:
    """A float as a line edit shows it: 0.001, 1e-08, 3 (empty for null)."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e6:
        return f"{v:g}"
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def tooltip(field: fl.Field, where: str = "") -> str:
    """The help of a field: its help, the allowed values, what null means, and where it is stored."""
    parts = [field.help] if field.help else []
    rng = field.range_text()
    if rng:
        parts.append(f"allowed: {rng}")
    if field.nullable and field.null_text:
        parts.append(f"empty / first entry: {field.null_text}")
    if where:
        parts.append(where)
    return "\n".join(parts)


def _plain(value: Any) -> Any:
    """What an edit sends: JSON-like data (tuples as lists)."""
    return [_plain(v) for v in value] if isinstance(value, (list, tuple)) else value


class FieldEditor(QObject):
    """The editor of one field (see the module docstring). ``key`` is what ``on_change`` reports;
    ``f`` is the declaration the field came from (a Param, a training schema row), for its owner."""

    def __init__(self, field: fl.Field, key: str, on_change: Changed, on_refuse: Refused | None = None,
                 parent: QObject | None = None, *, f: Any = None, where: str = "") -> None:
        super().__init__(parent)
        self.field, self.key = field, key
        self.f = f if f is not None else field
        self._on_change, self._on_refuse = on_change, on_refuse
        self._where = where
        self._shown: Any = object()
        self._note = ""  # a remark about the value shown (beyond what the box can show)
        self._error: str | None = None
        self.widget: QWidget = self._build()
        for w in self.inputs():
            if isinstance(w, (QComboBox, QSpinBox, NumberEdit)):
                guard_wheel(w)
        self.set_error(None)

    # -- what each kind defines ---------------------------------------------------------------------
    def _build(self) -> QWidget:  # pragma: no cover - every editor defines it
        raise NotImplementedError

    def _display(self, value: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    def value(self) -> Any:  # pragma: no cover
        """The value the widget holds now (what it would send)."""
        raise NotImplementedError

    def inputs(self) -> list[QWidget]:
        """The widgets a user types or clicks in (signals blocked while showing)."""
        return [self.widget]

    # -- shared --------------------------------------------------------------------------------------
    def show(self, value: Any) -> None:
        """Show ``value`` (from the model) without sending anything."""
        self._shown = value
        self._note = ""
        blocked = [w.blockSignals(True) for w in self.inputs()]
        try:
            self._display(value)
        finally:
            for w, was in zip(self.inputs(), blocked):
                w.blockSignals(was)
        self._refresh_tip()

    def set_error(self, message: str | None) -> None:
        """Mark the editor refused (red, the reason first in its tooltip) or clear the mark."""
        self._error = message or None
        for w in self.inputs():
            w.setStyleSheet(ERROR_STYLE if message else "")
        self._refresh_tip()

    def _refresh_tip(self) -> None:
        tip = tooltip(self.field, self._where)
        first = self._error or self._note
        text = f"{first}\n\n{tip}" if first else tip
        self.widget.setToolTip(text)
        for w in self.inputs():
            if w is not self.widget:
                w.setToolTip(text)

    def send(self) -> None:
        """Send what the widget holds (an edit)."""
        self._send(self.value())

    def _refuse(self, message: str) -> None:
        self.set_error(message)
        if self._on_refuse is not None:
            self._on_refuse(message)

    def _send(self, value: Any) -> None:
        if value == self._shown and type(value) is type(self._shown) and self._error is None:
            return
        try:
            coerced = self.field.coerce(value)
        except FieldError as e:
            self._refuse(str(e))
            return
        sent = coerced if not isinstance(coerced, (list, tuple)) else _plain(value)
        self._shown = sent
        self.set_error(None)
        self._on_change(self.key, sent)


def _int_range(field: fl.Bounded) -> tuple[int, int]:
    """The whole numbers the bounds allow, within what a spin box holds."""
    lo, hi = -BIG, BIG
    if field.lo is not None:
        lo = max(lo, math.ceil(field.lo) + (1 if field.lo_open and float(field.lo).is_integer() else 0))
    if field.hi is not None:
        hi = min(hi, math.floor(field.hi) - (1 if field.hi_open and float(field.hi).is_integer() else 0))
    return lo, hi


def _spin_box(field: fl.Bounded) -> QSpinBox:
    box = QSpinBox()
    box.setRange(*_int_range(field))
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    box.setMinimumWidth(56)
    return box


def _show_in_box(box: QSpinBox, value: int) -> str:
    """Show an int in a spin box; one beyond its range is shown clamped, and the note says so."""
    shown = min(max(value, box.minimum()), box.maximum())
    box.setValue(shown)
    return f"the value is {value:,}, beyond what this box can show" if shown != value else ""


class IntEditor(FieldEditor):
    field: fl.IntField

    def _build(self) -> QWidget:
        box = _spin_box(self.field)
        if self._has_floor_entry():
            box.setMinimum(box.minimum() - 1)
            box.setSpecialValueText(self.field.special or self.field.null_text)
        box.valueChanged.connect(self._changed)
        return box

    def _has_floor_entry(self) -> bool:
        return self.field.nullable or self.field.special is not None

    def _changed(self, _v: int) -> None:
        self.send()

    def _display(self, value: Any) -> None:
        box = self.widget
        assert isinstance(box, QSpinBox)
        if value is None or (self.field.special is not None and value == self.field.special):
            box.setValue(box.minimum())
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            self._note = _show_in_box(box, int(value))

    def value(self) -> Any:
        box = self.widget
        assert isinstance(box, QSpinBox)
        if self._has_floor_entry() and box.value() == box.minimum():
            return self.field.special if self.field.special is not None else None
        return int(box.value())


class NumberEdit(QLineEdit):
    """A number as text (1e-3, 0.001); Enter or leaving commits; Up/Down (and the wheel while focused)
    step it: ×10 / ÷10 for log fields, else by a tenth of the field's scale."""

    def __init__(self, field: fl.FloatField, commit: Callable[[], None]) -> None:
        super().__init__()
        self.field, self._commit = field, commit
        self.setMinimumWidth(80)

    def step_value(self, up: bool) -> float:
        f = self.field
        try:
            v = float(self.text())
        except ValueError:
            v = f.default if isinstance(f.default, (int, float)) else 0.0
        if f.log:
            v = (v * 10 if up else v / 10) if v > 0 else (f.default or 1e-3)
        else:
            span = (f.hi - (f.lo or 0.0)) if f.hi is not None else max(abs(v), 1.0)
            step = 10 ** math.floor(math.log10(span)) / 10 if span > 0 else 0.1
            v = round((v + step if up else v - step) / step) * step
            if f.lo is not None:
                v = max(v, f.lo)
            if f.hi is not None:
                v = min(v, f.hi - (step if f.hi_open else 0.0))
        return float(f"{v:.6g}")

    def _step(self, up: bool) -> None:
        self.setText(show_number(self.step_value(up)))
        self._commit()

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if e.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._step(e.key() == Qt.Key.Key_Up)
            return
        super().keyPressEvent(e)

    def wheelEvent(self, e: QWheelEvent) -> None:  # noqa: N802 - Qt override (unfocused: see .wheel)
        if not self.hasFocus():
            e.ignore()
            return
        self._step(e.angleDelta().y() > 0)


class FloatEditor(FieldEditor):
    field: fl.FloatField

    def _build(self) -> QWidget:
        edit = NumberEdit(self.field, self.send)
        edit.editingFinished.connect(self.send)
        if self.field.nullable:
            edit.setPlaceholderText(self.field.null_text)
        return edit

    def _display(self, value: Any) -> None:
        assert isinstance(self.widget, QLineEdit)
        self.widget.setText(show_number(value))

    def value(self) -> Any:
        assert isinstance(self.widget, QLineEdit)
        text = self.widget.text().strip().replace("−", "-")
        if not text and self.field.nullable:
            return None
        try:
            return float(text)
        except ValueError:
            return text


class BoolEditor(FieldEditor):
    field: fl.BoolField

    def _build(self) -> QWidget:
        box = QCheckBox()
        box.toggled.connect(self._toggled)
        return box

    def _toggled(self, _on: bool) -> None:
        self.send()

    def _display(self, value: Any) -> None:
        assert isinstance(self.widget, QCheckBox)
        self.widget.setChecked(bool(value))

    def value(self) -> Any:
        assert isinstance(self.widget, QCheckBox)
        return self.widget.isChecked()


class ChoiceEditor(FieldEditor):
    field: fl.ChoiceField

    def _build(self) -> QWidget:
        box = QComboBox()
        f = self.field
        if f.nullable:
            box.addItem(f.null_text, None)
        for i, c in enumerate(f.choices):
            box.addItem(f.text_of(i), c)
            if i < len(f.choice_help):
                box.setItemData(box.count() - 1, f.choice_help[i], Qt.ItemDataRole.ToolTipRole)
        box.currentIndexChanged.connect(self._picked)
        return box

    def _picked(self, _i: int) -> None:
        self.send()

    def _display(self, value: Any) -> None:
        assert isinstance(self.widget, QComboBox)
        i = self.widget.findData(value)
        self.widget.setCurrentIndex(i if i >= 0 else 0)

    def value(self) -> Any:
        assert isinstance(self.widget, QComboBox)
        return self.widget.currentData()

    def offer(self, choice: Any, enabled: bool, why: str = "") -> None:
        """Offer a choice or grey it out (``why`` as its tooltip): what the graph allows now."""
        box = self.widget
        assert isinstance(box, QComboBox)
        model = box.model()
        i = box.findData(choice)
        if i >= 0 and isinstance(model, QStandardItemModel):
            item = model.item(i)
            item.setEnabled(enabled)
            j = list(self.field.choices).index(choice)
            help_ = self.field.choice_help[j] if j < len(self.field.choice_help) else ""
            item.setToolTip(help_ if enabled else why)


class PairEditor(FieldEditor):
    """Two spin boxes (``boxes[0]`` height, ``boxes[1]`` width) and, when nullable, an "auto" box
    (``boxes[2]``): sends an int when both are equal, else ``[h, w]``, or null."""

    field: fl.PairField

    def _build(self) -> QWidget:
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        h, v = _spin_box(self.field), _spin_box(self.field)
        lay.addWidget(h)
        lay.addWidget(QLabel("×"))
        lay.addWidget(v)
        self.boxes: list[Any] = [h, v]
        if self.field.nullable:
            auto = QCheckBox(self.field.null_text or "auto")
            lay.addWidget(auto)
            self.boxes.append(auto)
            auto.toggled.connect(self._changed)
        h.valueChanged.connect(self._changed)
        v.valueChanged.connect(self._changed)
        return w

    def inputs(self) -> list[QWidget]:
        return list(self.boxes)

    def _changed(self, *_args: Any) -> None:
        self._enable()
        self.send()

    def _enable(self) -> None:
        auto = len(self.boxes) == 3 and self.boxes[2].isChecked()
        self.boxes[0].setEnabled(not auto)
        self.boxes[1].setEnabled(not auto)

    def _display(self, value: Any) -> None:
        if len(self.boxes) == 3:
            self.boxes[2].setChecked(value is None)
        self._enable()
        if value is None:
            return
        pair = value if isinstance(value, (list, tuple)) and len(value) == 2 else (value, value)
        notes = [_show_in_box(box, v) for box, v in zip(self.boxes, pair)
                 if isinstance(v, int) and not isinstance(v, bool)]
        self._note = next((n for n in notes if n), "")

    def value(self) -> Any:
        if len(self.boxes) == 3 and self.boxes[2].isChecked():
            return None
        a, b = self.boxes[0].value(), self.boxes[1].value()
        return a if a == b else [a, b]

    def _refresh_tip(self) -> None:
        super()._refresh_tip()
        name = self.field.name
        for box, part in zip(self.boxes[:2], ("height", "width")):
            box.setToolTip(f"{name} ({part})\n\n{self.widget.toolTip()}")


def _ints(text: str) -> list[int] | None:
    parts = [t for t in re.split(r"[,\s×x*]+", text.strip()) if t]
    try:
        return [int(t.replace("−", "-")) for t in parts]
    except ValueError:
        return None


class _LineEditor(FieldEditor):
    placeholder = ""

    def _build(self) -> QWidget:
        edit = QLineEdit()
        f = self.field
        edit.setPlaceholderText(f.null_text if f.nullable else ("required" if f.required else self.placeholder))
        edit.editingFinished.connect(self.send)
        return edit

    def text(self) -> str:
        assert isinstance(self.widget, QLineEdit)
        return self.widget.text().strip()

    def _display(self, value: Any) -> None:
        assert isinstance(self.widget, QLineEdit)
        self.widget.setText(self._as_text(value))

    def _as_text(self, value: Any) -> str:
        return "" if value is None else str(value)


class ShapeEditor(_LineEditor):
    """"1, 28, 28"; text that is not integers is refused with how to write it."""

    placeholder = "e.g. 1, 28, 28"

    def _as_text(self, value: Any) -> str:
        return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else ""

    def value(self) -> Any:
        return _ints(self.text())

    def send(self) -> None:
        value = self.value()
        if not value:
            self._refuse(str(self.field.error("must be positive integers separated by commas, e.g. 1, 28, 28")))
            return
        self._send(value)


class TextEditor(_LineEditor):
    def value(self) -> Any:
        text = self.text()
        return None if not text and self.field.nullable else text


class SizeEditor(_LineEditor):
    placeholder = "height, width"

    def _as_text(self, value: Any) -> str:
        return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else ""

    def value(self) -> Any:
        text = self.text()
        if not text:
            return None
        ints = _ints(text)
        return ints if ints is not None else text


class LabelEditor(_LineEditor):
    def value(self) -> Any:
        text = self.text()
        return int(text) if re.fullmatch(r"-?\d+", text) else text


#: the editor class of each field class (looked up along the field's class hierarchy)
EDITORS: dict[type[fl.Field], type[FieldEditor]] = {
    fl.IntField: IntEditor, fl.FloatField: FloatEditor, fl.BoolField: BoolEditor, fl.ChoiceField: ChoiceEditor,
    fl.PairField: PairEditor, fl.ShapeField: ShapeEditor, fl.TextField: TextEditor, fl.SizeField: SizeEditor,
    fl.LabelField: LabelEditor,
}


def make_editor(field: fl.Field, key: str, on_change: Changed, on_refuse: Refused | None = None,
                parent: QObject | None = None, *, f: Any = None, where: str = "",
                object_name: str = "") -> FieldEditor:
    """The editor for ``field`` (its class's, from :data:`EDITORS`); ``object_name`` names its widget."""
    cls = next((EDITORS[c] for c in type(field).__mro__ if c in EDITORS), None)
    if cls is None:
        raise TypeError(f"no editor for {type(field).__name__}")
    ed = cls(field, key, on_change, on_refuse, parent, f=f, where=where)
    if object_name:
        ed.widget.setObjectName(object_name)
    return ed
