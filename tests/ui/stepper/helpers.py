"""Helpers for the stepper's window tests: keys, waiting for the worker, reading the canvas and the dock."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from graphlab.core.graph import Edge

ROOT_KEYS = {"step": (Qt.Key.Key_F10, Qt.KeyboardModifier.NoModifier),
             "back": (Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier),
             "run_to": (Qt.Key.Key_F10, Qt.KeyboardModifier.ControlModifier)}


def plain(text: str) -> str:
    """Display text with the real minus sign made ASCII again."""
    return text.replace("−", "-")


def wait_idle(qtbot: Any, w: Any, timeout: int = 120_000) -> None:
    """Until the worker has answered every request (and its answers were handled)."""
    qtbot.waitUntil(lambda: w.stepper_ui.idle, timeout=timeout)
    qtbot.wait(1)


def press(qtbot: Any, w: Any, what: str, times: int = 1) -> None:
    """The key a user presses (F10, Shift+F10, Ctrl+F10), on the canvas, then wait for the worker."""
    key, mods = ROOT_KEYS[what]
    for _ in range(times):
        QTest.keyClick(w.view, key, mods)
        wait_idle(qtbot, w)


def caption(w: Any, src: str, dst: str, port: int = 0) -> tuple[str, str]:
    """(value, gradient) captions drawn on an edge ("" when none)."""
    cap = w.scene.overlay.caption_for(Edge(src, dst, port))
    return (plain(cap.value), plain(cap.grad)) if cap is not None else ("", "")


def node_look(w: Any, nid: str) -> dict[str, Any]:
    return w.scene.overlay.node_view(nid)


def dock_values(w: Any) -> dict[str, list[float]]:
    """The numbers each table in the dock shows, flattened, by view name."""
    out = {}
    for name, tv in w.stepper_ui.panel.node_view.views().items():
        if tv.mode == "table":
            vals = tv.table_values().reshape(-1)
            out[name] = [float(v) for v in vals if v == v]
    return out


def position(w: Any) -> str:
    return w.stepper_ui.panel.position.text()


def typed_gates(w: Any, x: float = -2, y: float = 5, z: float = -4) -> None:
    w.stepper_ui.settings.set_typed({"x": [x], "y": [y], "z": [z]})
