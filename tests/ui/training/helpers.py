"""Helpers for the training workbench tests: edit the training section as a user would, wait on the run.

Waiting is always on a condition the run reaches (an event, a reply, a state), never on the clock;
timeouts are generous because the machine is shared (a spawn costs 2–4 s, more under load).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QSpinBox

from graphlab.run import events as ev
from graphlab.run.schema import with_value
from graphlab.ui.training.commands import SetTrainingCommand

RUN_TIMEOUT = 180_000  # ms: a spawn plus a short run on a loaded 2-core machine


def set_training(w: Any, **changes: Any) -> None:
    """Change training keys (dotted keys as `key__sub`: optimizer__lr) as one undo step each."""
    for k, v in changes.items():
        key = k.replace("__", ".")
        w.undo_stack.push(SetTrainingCommand(w.document.graph, with_value(w.document.graph.training, key, v), key))
    w.live.flush()


def edit_field(w: Any, key: str, value: Any) -> None:
    """Put ``value`` in the form's editor for ``key`` the way typing / clicking does, then let it commit."""
    form = w.training.ui.settings.form
    ed = form.editors.get(key) or form.editor_for(key)
    assert ed is not None, f"no editor for {key}"
    wd = ed.widget
    if isinstance(wd, QSpinBox):
        if value is None or (ed.f.special is not None and value == ed.f.special):
            wd.setValue(wd.minimum())
        else:
            wd.setValue(int(value))
    elif isinstance(wd, QCheckBox):
        wd.setChecked(bool(value))
    elif isinstance(wd, QComboBox):
        i = wd.findData(value)
        assert i >= 0, f"{key}: {value!r} is not offered"
        wd.setCurrentIndex(i)
    elif isinstance(wd, QLineEdit):
        if ed.f.kind == "size":
            text = "" if value is None else ", ".join(str(v) for v in value)
        else:
            text = "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))
        wd.setText(text)
        wd.editingFinished.emit()
    else:
        raise AssertionError(f"unknown editor {type(wd).__name__}")
    QApplication.processEvents()
    w.live.flush()


def wait_state(qtbot: Any, w: Any, *states: str, timeout: int = RUN_TIMEOUT) -> None:
    qtbot.waitUntil(lambda: w.training.state in states, timeout=timeout)


def wait_epochs(qtbot: Any, w: Any, n: int, timeout: int = RUN_TIMEOUT) -> None:
    qtbot.waitUntil(lambda: len(w.training.run_history.epochs) >= n or w.training.state == "error", timeout=timeout)
    assert w.training.state != "error", w.training.run_history.error


def status_reply(qtbot: Any, w: Any) -> ev.Reply:
    """Ask the child where it is and wait for its answer."""
    rid = w.training.status()
    assert rid is not None
    qtbot.waitUntil(lambda: rid in w.training.run_history.replies, timeout=60_000)
    return w.training.run_history.replies[rid]


def problems_text(w: Any) -> list[tuple[str, str | None]]:
    """(text, node) of every line in the problems list."""
    from graphlab.ui.problems import NODE_ROLE

    p = w.problems
    return [(p.item(i).text(), p.item(i).data(NODE_ROLE)) for i in range(p.count())]
