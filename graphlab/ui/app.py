"""The application entry point: ``graphlab [FILE]`` calls :func:`run_app`.

Creates the QApplication (Fusion style, which follows the system light/dark palette; fractional
high-DPI scale factors passed through so text and lines stay sharp), shows the main window, offers
to restore an autosaved copy after a crash, opens the file if one was given (a bad file shows the
reason in a dialog and the app stays up) and runs the event loop.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from .icons import app_icon
from .scene.style import is_dark


def dark_palette() -> QPalette:
    """A dark Fusion palette, for platforms whose theme reports a dark scheme but gives no palette."""
    p = QPalette()
    R, C = QPalette.ColorRole, QColor
    for role, color in ((R.Window, C(45, 45, 48)), (R.WindowText, C(225, 225, 225)), (R.Base, C(32, 32, 34)),
                        (R.AlternateBase, C(50, 50, 54)), (R.Text, C(225, 225, 225)), (R.Button, C(55, 55, 58)),
                        (R.ButtonText, C(225, 225, 225)), (R.Highlight, C(60, 130, 215)),
                        (R.HighlightedText, C(255, 255, 255)), (R.ToolTipBase, C(60, 60, 64)),
                        (R.ToolTipText, C(230, 230, 230)), (R.PlaceholderText, C(140, 140, 140)),
                        (R.Mid, C(90, 90, 95)), (R.Dark, C(25, 25, 27)), (R.Light, C(80, 80, 85)),
                        (R.Link, C(110, 170, 255))):
        p.setColor(role, color)
    for role in (R.Text, R.WindowText, R.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, C(130, 130, 130))
    return p


def follow_color_scheme(app: QApplication) -> None:
    """Keep the palette in step with the system's light/dark setting (and its changes)."""
    hints = app.styleHints()

    def apply(*_: object) -> None:
        scheme = hints.colorScheme()
        if scheme == Qt.ColorScheme.Unknown:
            return
        want_dark = scheme == Qt.ColorScheme.Dark
        if want_dark != is_dark(app.palette()):
            app.setPalette(dark_palette() if want_dark else app.style().standardPalette())

    hints.colorSchemeChanged.connect(apply)
    apply()


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName("GraphLab")
    app.setApplicationName("GraphLab")
    app.setStyle("Fusion")
    app.setWindowIcon(app_icon())
    follow_color_scheme(app)
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

    QTimer.singleShot(0, window, start)  # dropped if the window is gone before the loop turns
    return int(app.exec())
