"""Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y) undo and redo the document from every dock of the window.

Qt lets a focused text field claim those keys before any shortcut sees them (a ShortcutOverride
event the field accepts), whether or not the field has anything to undo. So after typing a value
in the inspector and pressing Tab, the next spin box took Ctrl+Z and nothing happened.

:class:`UndoKeyRouter` watches ShortcutOverride events of the window's widgets. A text field (line
edit, spin box, editable combo box, text edit) keeps the undo keys only while it is *being edited*:
it has changes of its own, typed since it got focus, that its own undo can take back (or that its
own undo just took back, for redo). Otherwise the override is declined and the window's Undo/Redo
actions run. Each focus visit starts a new editing session, so Tab from a committed field to the
next one hands Ctrl+Z back to the document. Only the focused field is filtered (the router follows
``QApplication.focusChanged``), so no other event pays for it.
"""
from __future__ import annotations

from typing import Any

import shiboken6

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

_OWN_UNDO = "_graphlab_own_undo"  # dynamic property: the field undid something in this session


def _key_matches(event: QKeyEvent, which: QKeySequence.StandardKey, extra: tuple[str, ...] = ()) -> bool:
    if event.matches(which):
        return True
    combo = QKeySequence(event.keyCombination())
    return any(combo.matches(QKeySequence(s)) == QKeySequence.SequenceMatch.ExactMatch for s in extra)


def text_field(obj: Any) -> QLineEdit | QTextEdit | QPlainTextEdit | None:
    """The text editor behind a focus widget (a spin box's or an editable combo's line edit)."""
    if isinstance(obj, (QLineEdit, QTextEdit, QPlainTextEdit)):
        return obj
    if isinstance(obj, QAbstractSpinBox):
        return obj.findChild(QLineEdit)
    if isinstance(obj, QComboBox) and obj.isEditable():
        return obj.lineEdit()
    return None


def _modified(field: QLineEdit | QTextEdit | QPlainTextEdit) -> bool:
    if isinstance(field, QLineEdit):
        return field.isModified()
    return field.document().isModified()


def _set_unmodified(field: QLineEdit | QTextEdit | QPlainTextEdit) -> None:
    if isinstance(field, QLineEdit):
        field.setModified(False)
    else:
        field.document().setModified(False)


def _can(field: QLineEdit | QTextEdit | QPlainTextEdit, redo: bool) -> bool:
    if isinstance(field, QLineEdit):
        return field.isRedoAvailable() if redo else field.isUndoAvailable()
    doc = field.document()
    return doc.isRedoAvailable() if redo else doc.isUndoAvailable()


def field_keeps(field: QLineEdit | QTextEdit | QPlainTextEdit, redo: bool) -> bool:
    """Whether the field is being edited, so that its own undo (or redo) should take the key."""
    if isinstance(field, QLineEdit) and field.isReadOnly():
        return False
    if isinstance(field, (QTextEdit, QPlainTextEdit)) and field.isReadOnly():
        return False
    if not _can(field, redo):
        return False
    return _modified(field) or bool(field.property(_OWN_UNDO))


class UndoKeyRouter(QObject):
    """Follows the application's focus; filters the focused text field of ``window`` (one at a time)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self._watched: QWidget | None = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _mine(self, obj: QObject) -> bool:
        w = obj if isinstance(obj, QWidget) else None
        while w is not None:  # floating docks are windows of their own: walk up the parents
            if w is self.window:
                return True
            w = w.parentWidget()
        return False

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if self._watched is not None:
            if shiboken6.isValid(self._watched):
                self._watched.removeEventFilter(self)
            self._watched = None
        field = text_field(new) if new is not None else None
        if field is None or not self._mine(new):
            return
        _set_unmodified(field)  # a new editing session
        field.setProperty(_OWN_UNDO, False)
        new.installEventFilter(self)
        self._watched = new

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(event, QKeyEvent):
            return False
        undo = _key_matches(event, QKeySequence.StandardKey.Undo, ("Ctrl+Z",))
        redo = not undo and _key_matches(event, QKeySequence.StandardKey.Redo, ("Ctrl+Shift+Z", "Ctrl+Y"))
        field = text_field(obj) if (undo or redo) else None
        if field is None:
            return False
        if field_keeps(field, redo):
            if undo:
                field.setProperty(_OWN_UNDO, True)
            return False  # the field's own undo/redo
        event.ignore()  # declined: the window's Undo/Redo action gets the key
        return True
