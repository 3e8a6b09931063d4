"""Edits while stepping invalidate the Stepper (a step in flight is discarded); closing the window
mid-step stops the worker thread cleanly (the event loop then runs 2 s with nothing going wrong)."""
from __future__ import annotations

from tests.conftest import ROOT
from tests.ui.stepper.helpers import caption, node_look, position, press, typed_gates, wait_idle

NET = ROOT / "examples" / "two_layer_net.graphlab.json"


def _nothing_drawn(w):
    ov = w.scene.overlay
    return all(not ov.node_view(n) for n in w.document.graph.nodes) and \
        all(caption(w, e.src, e.dst, e.port) == ("", "") for e in w.document.graph.edges)


def test_an_edit_while_stepping_invalidates_and_the_next_step_restarts(make_window, qtbot):
    w = make_window(NET)
    ui = w.stepper_ui
    press(qtbot, w, "step", 3)
    old = w.stepper
    assert old is not None and not _nothing_drawn(w)
    pos = w.document.graph.nodes["relu1"].pos
    w.controller.move_nodes({"relu1": (pos, (pos[0] + 40, pos[1]))})  # a move changes nothing computed
    assert w.stepper is old and position(w) == "forward 3/5: relu1"
    w.controller.set_param("fc1", "out_features", 20)
    assert w.stepper is None and _nothing_drawn(w)
    assert ui.panel.message.text() == "The graph changed: the walk restarts at the next step."
    assert position(w).startswith("stopped")
    press(qtbot, w, "step")
    assert w.stepper is not old and w.stepper.position == 1 and position(w) == "forward 1/5: x"
    press(qtbot, w, "step")
    assert tuple(w.stepper.records["fc1"].output.shape) == (8, 20)  # the edited graph
    w.undo_stack.undo()  # undo is an edit too
    assert w.stepper is None


def test_a_step_in_flight_when_the_graph_changes_is_discarded(make_window, qtbot):
    w = make_window(NET)
    ui = w.stepper_ui
    press(qtbot, w, "step")
    for _ in range(3):
        ui.actions["step"].trigger()  # queued on the worker; not waited for
    w.controller.set_param("fc1", "out_features", 7)  # before any answer is handled
    wait_idle(qtbot, w)
    assert w.stepper is None and _nothing_drawn(w) and position(w).startswith("stopped")
    # the same while the Stepper is still being built
    ui.actions["run_to"].trigger()
    w.controller.set_param("fc1", "out_features", 9)
    wait_idle(qtbot, w)
    assert w.stepper is None and _nothing_drawn(w)


def test_settings_and_another_document_restart_the_walk(make_window, qtbot, tmp_path):
    w = make_window(NET)
    ui = w.stepper_ui
    press(qtbot, w, "step", 2)
    ui.settings.seed.setValue(3)
    assert w.stepper is None and "Settings changed" in ui.panel.message.text()
    press(qtbot, w, "step")
    assert w.stepper.seed == 3
    gates = tmp_path / "gates.graphlab.json"
    gates.write_bytes((ROOT / "examples" / "backprop_gates.graphlab.json").read_bytes())
    assert w.open_file(gates, ask=False)
    w.live.flush()
    # the gates file stores its inputs (x = -2, y = 5, z = -4): the panel shows them, nothing to type
    assert w.stepper is None and ui.settings.source_key() == "typed" and set(ui.settings.tables) == {"x", "y", "z"}
    assert [ui.settings.tables[n].cells() for n in "xyz"] == [["-2"], ["5"], ["-4"]]
    press(qtbot, w, "step", 3)
    assert node_look(w, "q")["badge"] == "3"


def test_closing_the_window_mid_step_stops_the_worker(make_window, qtbot):
    w = make_window(ROOT / "examples" / "lenet5.graphlab.json")
    ui = w.stepper_ui
    w.scene.select_nodes([])
    ui.actions["run_to"].trigger()  # build + a whole walk, not waited for
    graph = w.document.graph
    w.undo_stack.setClean()
    assert w.close()
    thread = w.shell.worker.thread
    assert thread is not None and not thread.is_alive()
    assert w.stepper is None
    graph.add_node("ReLU")  # the document outlives the window: its edits reach nothing of it
    qtbot.wait(2000)
    assert ui.closed


def test_two_windows_step_independently(make_window, qtbot):
    a = make_window(NET)
    b = make_window(ROOT / "examples" / "backprop_gates.graphlab.json")
    for _ in range(2):
        a.stepper_ui.actions["step"].trigger()  # a is not the active window: its actions, not its keys
    wait_idle(qtbot, a)
    typed_gates(b)
    press(qtbot, b, "step", 5)
    assert a.stepper.position == 2 and b.stepper.position == 5
    assert a.shell.worker.thread is not b.shell.worker.thread
    a.close()
    press(qtbot, b, "step")
    assert b.stepper.position == 6
