"""GraphLab's desktop editor: the only PySide6 / pyqtgraph code in the project.

``MainWindow`` is imported lazily so that ``import graphlab.ui`` stays cheap; ``graphlab [FILE]``
starts the app through :func:`graphlab.ui.app.run_app`.
"""
from __future__ import annotations

from typing import Any

__all__ = ["MainWindow", "run_app"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from .main_window import MainWindow

        return MainWindow
    if name == "run_app":
        from .app import run_app

        return run_app
    raise AttributeError(name)
