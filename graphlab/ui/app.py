"""The application entry point: ``graphlab [FILE]`` calls :func:`run_app`.

Creates the QApplication (Fusion style, which follows the system light/dark palette; fractional
high-DPI scale factors passed through so text and lines stay sharp), shows the main window, offers
to restore an autosaved copy after a crash, opens the file if one was given (a bad file shows the
reason in a dialog and the app stays up) and runs the event loop.
"""
from __future__ import annotations

import sys
from typing import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName("GraphLab")
    app.setApplicationName("GraphLab")
    app.setStyle("Fusion")
    return app  # type: ignore[return-value]


def run_app(path: str | None = None, window_hook: Callable[[object], None] | None = None) -> int:
    """Run the editor until its window closes. ``window_hook(window)`` lets tests answer dialogs."""
    app = make_app()
    from .main_window import MainWindow

    window = MainWindow()
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.destroyed.connect(app.quit)  # our window, not "the last window": tests run other windows
    if window_hook is not None:
        window_hook(window)
    window.show()

    def start() -> None:
        restored = window.offer_recovery()
        if path and not restored:
            window.open_file(path, ask=False)

    QTimer.singleShot(0, start)
    return int(app.exec())
