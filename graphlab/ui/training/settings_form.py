"""The Training settings form, generated from the training section's schema (:mod:`graphlab.run.schema`).

One editor per field kind: ``int`` -> QSpinBox (its range from the schema; a nullable field or one
with a special value such as batch size "full" gets it as the box's lowest entry), ``float`` ->
:class:`NumberEdit` (a line edit that reads 1e-3 and 0.001; Up/Down step it, by ×10 for ``log``
fields), ``bool`` -> QCheckBox, ``choice`` -> QComboBox (with the null entry first when nullable),
``text``/``label``/``size`` -> line edits. Variant sections (dataset, optimizer, schedule) are a
name drop-down and the rows of every variant's fields, of which only the chosen variant's show.
Help and the allowed range are tooltips.

The form edits nothing itself: it emits ``edited(key, value)`` (``"@optimizer"`` for a variant's
name) and the training settings dock turns that into one undo command. A value the schema refuses
is not sent: the field turns red and ``refused(message)`` says why. ``show_values(values, error)``
shows the section (signals blocked) and marks the field an error names.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...run.schema import GROUPS, VARIANT_NAMES, VARIANTS, ConfigError, Field

BIG = 999_999_999
ERROR_STYLE = "border: 1px solid palette(highlight); background: rgba(220, 50, 47, 40);"


def show_number(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e6:
        return f"{v:g}"
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _tip(f: Field) -> str:
    rng = f.range_text()
    parts = [f.help] if f.help else []
    if rng:
        parts.append(f"allowed: {rng}")
    if f.nullable:
        parts.append(f"empty / first entry: {f.null_text}")
    parts.append(f"file: {f.path}")
    return "\n".join(parts)


class NumberEdit(QLineEdit):
    """A number as text (1e-3, 0.001); Enter or leaving commits; Up/Down (and the wheel while focused)
    step it: ×10 / ÷10 for log fields, else by a tenth of the field's scale."""

    def __init__(self, field: Field, commit: Callable[[], None]) -> None:
        super().__init__()
        self.field, self._commit = field, commit
        self.setMinimumWidth(80)

    def step_value(self, up: bool) -> float | None:
        try:
            v = float(self.text())
        except ValueError:
            v = self.field.default if isinstance(self.field.default, (int, float)) else 0.0
        f = self.field
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

    def keyPressEvent(self, e: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if e.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            v = self.step_value(e.key() == Qt.Key.Key_Up)
            if v is not None:
                self.setText(show_number(v))
                self._commit()
            return
        super().keyPressEvent(e)

    def wheelEvent(self, e: QWheelEvent) -> None:  # noqa: N802 - Qt override
        if not self.hasFocus():
            e.ignore()
            return
        v = self.step_value(e.angleDelta().y() > 0)
        if v is not None:
            self.setText(show_number(v))
            self._commit()


class FieldEditor(QObject):
    """The widget of one field: ``show(value)`` (signals blocked), edits go to ``emit(key, value)``.
    A QObject (child of the form) so its widgets' signals reach bound methods, which PySide6 stops
    calling once the form is being destroyed."""

    def __init__(self, f: Field, emit: Callable[[str, Any], None], refuse: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.f, self._emit, self._refuse = f, emit, refuse
        self._shown: Any = object()
        self.widget: QWidget
        k = f.kind
        if k == "int":
            box = QSpinBox()
            lo = int(f.lo) if f.lo is not None else -BIG
            hi = min(int(f.hi), BIG) if f.hi is not None else BIG  # the schema's bound (a spin box holds int32)
            if f.nullable or f.special is not None:
                box.setRange(lo - 1, hi)
                box.setSpecialValueText(f.special or f.null_text)
            else:
                box.setRange(lo, hi)
            box.setKeyboardTracking(False)
            box.setAccelerated(True)
            box.valueChanged.connect(self._int_changed)
            self.widget = box
        elif k == "float":
            self.widget = NumberEdit(f, self._text_changed)
            self.widget.editingFinished.connect(self._text_changed)
            if f.nullable:
                self.widget.setPlaceholderText(f.null_text)
        elif k == "bool":
            box = QCheckBox()
            box.toggled.connect(self._bool_changed)
            self.widget = box
        elif k == "choice":
            box = QComboBox()
            if f.nullable:
                box.addItem(f.null_text, None)
            for i, c in enumerate(f.choices):
                box.addItem(c, c)
                if i < len(f.choice_help):
                    box.setItemData(box.count() - 1, f.choice_help[i], Qt.ItemDataRole.ToolTipRole)
            box.currentIndexChanged.connect(self._choice_changed)
            self.widget = box
        else:  # text, label, size
            edit = QLineEdit()
            edit.setPlaceholderText(f.null_text if f.nullable else ("required" if f.required else ""))
            edit.editingFinished.connect(self._text_changed)
            self.widget = edit
        self.widget.setToolTip(_tip(f))
        self.widget.setObjectName(f"training_{f.key.replace('.', '_')}")

    # -- value <-> widget -------------------------------------------------------------------------
    def show(self, value: Any) -> None:
        self._shown = value
        w, k = self.widget, self.f.kind
        w.blockSignals(True)
        try:
            if k == "int":
                if value is None or (self.f.special is not None and value == self.f.special):
                    w.setValue(w.minimum())
                else:
                    w.setValue(min(max(int(value), w.minimum()), w.maximum()))
            elif k == "bool":
                w.setChecked(bool(value))
            elif k == "choice":
                i = w.findData(value)
                w.setCurrentIndex(i if i >= 0 else 0)
            elif k == "size":
                w.setText("" if not isinstance(value, list) else ", ".join(str(v) for v in value))
            elif k == "float":
                w.setText(show_number(value))
            else:
                w.setText("" if value is None else str(value))
        finally:
            w.blockSignals(False)

    def value(self) -> Any:
        """The value the widget holds now (what it would send)."""
        w, k, f = self.widget, self.f.kind, self.f
        if k == "int":
            if (f.nullable or f.special is not None) and w.value() == w.minimum():
                return f.special if f.special is not None else None
            return int(w.value())
        if k == "bool":
            return w.isChecked()
        if k == "choice":
            return w.currentData()
        text = w.text().strip()
        if k == "float":
            if not text and f.nullable:
                return None
            try:
                return float(text)
            except ValueError:
                return text
        if k == "size":
            if not text:
                return None
            parts = [p for p in re.split(r"[\s,×x]+", text) if p]
            try:
                return [int(p) for p in parts]
            except ValueError:
                return text
        if k == "label":
            return int(text) if re.fullmatch(r"-?\d+", text) else text
        return text

    def set_error(self, message: str | None) -> None:
        self.widget.setStyleSheet(ERROR_STYLE if message else "")
        self.widget.setToolTip(f"{message}\n\n{_tip(self.f)}" if message else _tip(self.f))

    # -- edits --------------------------------------------------------------------------------------
    def _int_changed(self, _v: int) -> None:
        self._send(self.value())

    def _bool_changed(self, on: bool) -> None:
        self._send(bool(on))

    def _choice_changed(self, index: int) -> None:
        self._send(self.widget.itemData(index))

    def _text_changed(self) -> None:
        self._send(self.value())

    def _send(self, value: Any) -> None:
        if value == self._shown and type(value) is type(self._shown):
            return
        try:
            value = self.f.check(value)
        except ConfigError as e:
            self.set_error(str(e))
            self._refuse(str(e))
            return
        self.set_error(None)
        self._shown = value
        self._emit(self.f.key, value)


class SettingsForm(QWidget):
    #: (field key or "@section" for a variant's name, the new value)
    edited = Signal(str, object)
    #: a value the schema refused: the message (for the status bar)
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("training_form")
        self.editors: dict[str, FieldEditor] = {}  # plain fields and "@section" name editors
        self.variant_editors: dict[tuple[str, str, str], FieldEditor] = {}  # (section, variant, key)
        self._layouts: dict[str, QFormLayout] = {}
        self._variant: dict[str, str] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.error = QLabel()
        self.error.setObjectName("training_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d0302f;")
        self.error.hide()
        lay.addWidget(self.error)
        for title, keys in GROUPS:
            box = QGroupBox(title)
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for key in keys:
                if key.startswith("@"):
                    self._add_variant(form, key[1:])
                else:
                    self._add_row(form, self._editor(self._field(key)), key)
            lay.addWidget(box)
        lay.addStretch(1)

    @staticmethod
    def _field(key: str) -> Field:
        from ...run.schema import FIELDS

        return FIELDS[key]

    def _editor(self, f: Field) -> FieldEditor:
        return FieldEditor(f, self._emit, self._refuse, self)

    def _refuse(self, message: str) -> None:
        self.refused.emit(message)

    def _add_row(self, form: QFormLayout, ed: FieldEditor, key: str) -> None:
        label = QLabel(ed.f.label)
        label.setToolTip(_tip(ed.f))
        form.addRow(label, ed.widget)
        self.editors[key] = ed

    def _add_variant(self, form: QFormLayout, section: str) -> None:
        name_ed = FieldEditor(VARIANT_NAMES[section], lambda _k, v, s=section: self._emit("@" + s, v),
                              self._refuse, self)
        label = QLabel(VARIANT_NAMES[section].label)
        label.setToolTip(_tip(VARIANT_NAMES[section]))
        form.addRow(label, name_ed.widget)
        self.editors["@" + section] = name_ed
        self._layouts[section] = form
        for variant, fields in VARIANTS[section].items():
            for f in fields:
                ed = self._editor(f)
                lab = QLabel("    " + f.label)
                lab.setToolTip(_tip(f))
                form.addRow(lab, ed.widget)
                self.variant_editors[(section, variant, f.key)] = ed

    def _emit(self, key: str, value: Any) -> None:
        self.edited.emit(key, value)

    # -- showing ------------------------------------------------------------------------------------
    def show_values(self, values: dict[str, Any], error: ConfigError | None = None) -> None:
        """Show a section's values (from :func:`graphlab.run.schema.form_values`) and its error, if any."""
        for key, ed in self.editors.items():
            ed.show(values.get(key))
            ed.set_error(None)
        for section, form in self._layouts.items():
            name = values.get("@" + section)
            self._variant[section] = name
            for (sec, variant, key), ed in self.variant_editors.items():
                if sec != section:
                    continue
                form.setRowVisible(ed.widget, variant == name)
                ed.set_error(None)
                if variant == name:
                    ed.show(values.get(key))
        self.error.setVisible(error is not None)
        self.error.setText(str(error) if error is not None else "")
        if error is not None:
            ed = self.editor_for(error.field)
            if ed is not None:
                ed.set_error(str(error))

    def editor_for(self, path: str) -> FieldEditor | None:
        """The editor shown for a field path ("training.optimizer.lr" or "optimizer.lr")."""
        key = path.removeprefix("training.")
        if key.endswith(".name") and "@" + key[:-5] in self.editors:
            return self.editors["@" + key[:-5]]
        if key in self.editors:
            return self.editors[key]
        section = key.split(".", 1)[0]
        variant = self._variant.get(section)
        return self.variant_editors.get((section, variant, key)) if variant else None

    def shown_value(self, key: str) -> Any:
        """What the form shows for a field key (tests)."""
        ed = self.editor_for(key)
        return None if ed is None else ed.value()
