"""The Training settings form, generated from the training section's schema (:mod:`graphlab.run.schema`).

Each schema row declares a field of the field language (``row.field``) and gets that field's editor
from the one form builder (:mod:`graphlab.ui.forms`): ``int`` -> spin box (its range from the
schema; a nullable field or one with a special value such as batch size "full" gets it as the box's
lowest entry), ``float`` -> number line edit (1e-3 or 0.001; Up/Down step it, by ×10 for ``log``
fields), ``bool`` -> check box, ``choice`` -> combo box (the null entry first when nullable),
``text``/``label``/``size`` -> line edits. Variant sections (dataset, optimizer, schedule) are a
name drop-down and the rows of every variant's fields, of which only the chosen variant's show.
Help and the allowed range are tooltips; a wheel over an unfocused editor scrolls the form.

The form edits nothing itself: it emits ``edited(key, value)`` (``"@optimizer"`` for a variant's
name) and the training settings dock turns that into one undo command. A value the schema refuses
is not sent: the field turns red and ``refused(message)`` says why. ``show_values(values, error)``
shows the section (signals blocked) and marks the field an error names.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from ...run.schema import GROUPS, VARIANT_NAMES, VARIANTS, ConfigError, Field
from ..forms import FieldEditor, make_editor, show_number, tooltip

__all__ = ["SettingsForm", "show_number"]


def _tip(f: Field) -> str:
    return tooltip(f.field, f"file: {f.path}")


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

    def _editor(self, f: Field, key: str | None = None) -> FieldEditor:
        return make_editor(f.field, key or f.key, self._emit, self._refuse, self, f=f, where=f"file: {f.path}",
                           object_name=f"training_{f.key.replace('.', '_')}")

    def _refuse(self, message: str) -> None:
        self.refused.emit(message)

    def _add_row(self, form: QFormLayout, ed: FieldEditor, key: str) -> None:
        label = QLabel(ed.f.label)
        label.setToolTip(_tip(ed.f))
        form.addRow(label, ed.widget)
        self.editors[key] = ed

    def _add_variant(self, form: QFormLayout, section: str) -> None:
        name_ed = self._editor(VARIANT_NAMES[section], "@" + section)
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
