"""The stepper's QActions and its Debug menu.

objectNames (the handles tests and scripts use): ``action_step`` (F10), ``action_step_back``
(Shift+F10), ``action_run_to`` (Ctrl+F10: to the selected node — its forward step, or its backward
step when the walk is already at or past the forward one; with nothing selected, to the end),
``action_step_restart`` (Ctrl+Shift+F10), ``action_gradcheck`` (Ctrl+Shift+G). They are window-wide
shortcuts, so F10 steps whichever panel has the focus.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction, QKeySequence

#: (key, menu text, shortcut, tooltip, button text)
ACTIONS = (
    ("step", "&Step", "F10", "Step: compute the next node of the walk (forward, then backward)", "Step ▶"),
    ("step_back", "Step &Back", "Shift+F10", "Step back: hide the last step again", "◀ Back"),
    ("run_to", "&Run to Selected Node", "Ctrl+F10",
     "Run to the selected node (its forward step, or its backward step once past it); nothing selected: to the end",
     "Run to ▶▶"),
    ("step_restart", "Res&tart Stepping", "Ctrl+Shift+F10", "Restart the walk from the first node", "⟲ Restart"),
    ("gradcheck", "Check &Gradients", "Ctrl+Shift+G",
     "Compare every node's gradient with a numerical one (centred differences, float64), off the GUI thread",
     "Check gradients"),
)


def make_actions(window: Any, slots: dict[str, Callable[[], object]]) -> dict[str, QAction]:
    acts: dict[str, QAction] = {}
    for key, text, shortcut, tip, button in ACTIONS:
        a = QAction(text, window)
        a.setObjectName(f"action_{key}")
        a.setShortcut(QKeySequence(shortcut))
        a.setToolTip(f"{tip} ({shortcut})")
        a.setStatusTip(tip)
        a.setIconText(button)
        a.triggered.connect(slots[key])
        window.addAction(a)
        acts[key] = a
    return acts


def fill_menu(menu: Any, acts: dict[str, QAction]) -> None:
    for key in ("step", "step_back", "run_to"):
        menu.addAction(acts[key])
    menu.addSeparator()
    menu.addAction(acts["step_restart"])
    menu.addSeparator()
    menu.addAction(acts["gradcheck"])
