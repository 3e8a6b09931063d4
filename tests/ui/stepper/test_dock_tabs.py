"""The dock's tabs follow the walk: Values in the forward phase, Gradients in the backward one — also
after Restart or an edit emptied the dock while Gradients was showing (Qt then moves a QTabWidget to
the next enabled tab, the empty "Gradient check"), and the check's result stays up until the next step."""
from __future__ import annotations

from tests.conftest import ROOT
from tests.ui.stepper.helpers import press, typed_gates, wait_idle

GATES = ROOT / "examples" / "backprop_gates.graphlab.json"


def _tab(w) -> str:
    tabs = w.stepper_ui.panel.node_view.tabs
    return tabs.tabText(tabs.currentIndex())


def test_restart_after_a_backward_step_then_step_shows_values(make_window, qtbot):
    w = make_window(GATES)
    typed_gates(w)
    press(qtbot, w, "step", 6)  # f backward
    assert _tab(w) == "Gradients"
    w.stepper_ui.actions["step_restart"].trigger()
    wait_idle(qtbot, w)
    assert _tab(w) == "Values"
    press(qtbot, w, "step")  # x forward
    assert _tab(w) == "Values"
    press(qtbot, w, "step", 5)  # f backward again
    assert _tab(w) == "Gradients"


def test_an_edit_while_on_gradients_then_step_shows_values(make_window, qtbot):
    w = make_window(GATES)
    typed_gates(w)
    press(qtbot, w, "step", 7)
    assert _tab(w) == "Gradients"
    w.controller.delete(["z"])
    w.undo_stack.undo()  # back to the example; both edits restart the walk
    qtbot.wait(1)
    assert w.stepper is None
    typed_gates(w)
    press(qtbot, w, "step")
    assert _tab(w) == "Values"


def test_a_check_result_stays_until_the_next_step_request(make_window, qtbot):
    w = make_window(GATES)
    typed_gates(w)
    press(qtbot, w, "step", 6)
    w.stepper_ui.actions["gradcheck"].trigger()
    wait_idle(qtbot, w)
    assert _tab(w) == "Gradient check"
    press(qtbot, w, "step")  # z backward: the stepped node shows
    assert _tab(w) == "Gradients"
