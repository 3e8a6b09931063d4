"""A wheel over a field editor that does not have keyboard focus scrolls the form and changes nothing.

Spin boxes and combo boxes take the wheel as an edit. In a form inside a scroll area, that turns a
scroll of the page into a silent change of whatever value passes under the pointer (the schedule
went from none to exponential). :func:`guard_wheel` gives such a widget
``Qt.FocusPolicy.StrongFocus`` (a wheel no longer gives it focus) and an event filter: while the
widget has no focus, a wheel event is handed to the enclosing scroll area's viewport (which scrolls)
and never reaches the widget. Once the user clicks or tabs into it, the wheel steps it as before.
"""
from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QWidget


def scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area whose viewport holds ``widget`` (None when the form is not scrollable)."""
    w = widget.parentWidget()
    while w is not None:
        parent = w.parentWidget()
        if isinstance(parent, QAbstractScrollArea) and parent.viewport() is w:
            return parent
        w = parent
    return None


class WheelGuard(QObject):
    """The event filter of :func:`guard_wheel` (one per application is enough)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.Wheel or not isinstance(obj, QWidget) or obj.hasFocus():
            return False
        area = scroll_area_of(obj)
        if area is not None:
            QCoreApplication.sendEvent(area.viewport(), event)
            event.accept()
        else:
            event.ignore()  # a real wheel event then goes on to the parent widgets
        return True


_GUARD: WheelGuard | None = None


def guard_wheel(widget: QWidget) -> None:
    """Make ``widget`` leave the wheel to its scroll area unless it has keyboard focus."""
    global _GUARD
    if _GUARD is None:
        _GUARD = WheelGuard()
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_GUARD)
