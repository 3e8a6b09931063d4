"""torch is imported on the GUI thread, once, before any worker thread that needs it starts working.

Importing torch for the first time on a worker thread while the GUI thread lays out text deadlocked
on this stack: the worker sat in torch's ``_C._initExtension``, the GUI thread in pyqtgraph's axis
label (``QGraphicsTextItem.setHtml``), each waiting for the other (2 of 2 runs of
``tests/ui/training/test_settings_form.py`` on its own: a preflight thread's first import while a
second window was being built). So the workers that need torch — the training preflight and the
stepper — are handed work only after :func:`ensure_torch` ran on the GUI thread. It costs ~1 s
once, at the first training or stepping action (never when the editor opens); afterwards nothing.
"""
from __future__ import annotations

import sys
import threading


def ensure_torch() -> None:
    """Import torch here unless it is imported already; call it on the GUI thread."""
    if "torch" in sys.modules:
        return
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("ensure_torch() belongs on the GUI thread")
    import torch  # noqa: F401 - the import is the point
