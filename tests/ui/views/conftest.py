"""Helpers for the view-widget tests: show a widget at a known size, hover/click at data points."""
from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest


@pytest.fixture
def show(qtbot: Any):
    def _show(w: Any, width: int = 600, height: int = 360) -> Any:
        qtbot.addWidget(w)
        w.resize(width, height)
        w.show()
        qtbot.waitExposed(w)
        return w
    return _show


def view_point(plot_widget: Any, view_box: Any, x: float, y: float) -> QPoint:
    """The viewport pixel of data point (x, y) in a pyqtgraph view."""
    scene = view_box.mapViewToScene(QPointF(x, y))
    return plot_widget.mapFromScene(scene)


def mouse_move(widget: Any, p: QPoint) -> None:
    QTest.mouseMove(widget, p)


def mouse_click(widget: Any, p: QPoint) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)


def pixel(img: QImage, x: float, y: float) -> QColor:
    dpr = img.devicePixelRatio()
    return QColor(img.pixel(int(x * dpr), int(y * dpr)))


def close(a: QColor, b: QColor, tol: int = 12) -> bool:
    return all(abs(u - v) <= tol for u, v in zip(a.getRgb()[:3], b.getRgb()[:3]))
