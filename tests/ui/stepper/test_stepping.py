"""Stepping through examples in the window: the highlighted node, the dock's values, the gates' numbers,
step back, run to a node — against the stepper's records and against torch's own autograd."""
from __future__ import annotations

import math

import numpy as np

from tests.conftest import ROOT
from tests.ui.stepper.helpers import caption, dock_values, node_look, plain, position, press, typed_gates, wait_idle

GATES = ROOT / "examples" / "backprop_gates.graphlab.json"
DIGITS = ROOT / "examples" / "digits_cnn.graphlab.json"


def test_gates_show_the_course_numbers_in_the_dock_and_on_the_edges(make_window, qtbot):
    w = make_window(GATES)
    assert w.stepper is None
    typed_gates(w)
    press(qtbot, w, "step")
    assert w.stepper is not None and w.stepper.order == ["x", "y", "q", "z", "f"]
    assert plain(position(w)) == "forward 1/5: x" and node_look(w, "x").get("highlight") is True
    press(qtbot, w, "step", 2)  # y, q
    assert position(w) == "forward 3/5: q"
    assert dock_values(w)["output"] == [3.0]
    assert plain(node_look(w, "q")["badge"]) == "3"
    assert "highlight" not in node_look(w, "y") and node_look(w, "q")["highlight"] is True
    press(qtbot, w, "step", 2)  # z, f
    assert dock_values(w)["output"] == [-12.0] and plain(node_look(w, "f")["badge"]) == "-12"
    assert caption(w, "q", "f") == ("3", "")  # values only, before the backward pass
    press(qtbot, w, "step")  # f backward: multiply swaps
    vals = dock_values(w)
    assert vals["∂L/∂out"] == [1.0] and vals["∂L/∂q"] == [-4.0] and vals["∂L/∂z"] == [3.0]
    assert vals["∂out/∂q (local)"] == [-4.0] and vals["∂out/∂z (local)"] == [3.0]
    rule = plain(w.stepper_ui.panel.node_view.rule.text())
    assert "multiply swaps" in rule and "1 · -4 = -4" in rule and "1 · 3 = 3" in rule
    assert caption(w, "q", "f") == ("3", "-4") and caption(w, "z", "f", 1) == ("-4", "3")
    press(qtbot, w, "step", 2)  # z, q backward: add distributes
    vals = dock_values(w)
    assert position(w) == "backward 3/5: q" and vals["∂L/∂x"] == [-4.0] and vals["∂L/∂y"] == [-4.0]
    assert "add distributes" in w.stepper_ui.panel.node_view.rule.text()
    assert caption(w, "x", "q") == ("-2", "-4") and caption(w, "y", "q", 1) == ("5", "-4")
    press(qtbot, w, "step", 2)  # y, x backward: ∂f/∂x on the Input node itself
    assert dock_values(w)["∂L/∂out"] == [-4.0] and position(w).endswith("backward 5/5: x")
    assert w.stepper.done and float(w.stepper.records["x"].grad_output) == -4.0
    assert not w.isWindowModified() and not w.undo_stack.count()  # the overlay never touches the document


def test_the_buttons_and_menu_mirror_the_actions(make_window, qtbot):
    w = make_window(GATES)
    ui = w.stepper_ui
    names = {a.objectName(): a for a in w.actions()}
    for key, shortcut in (("action_step", "F10"), ("action_step_back", "Shift+F10"), ("action_run_to", "Ctrl+F10"),
                          ("action_step_restart", "Ctrl+Shift+F10"), ("action_gradcheck", "Ctrl+Shift+G")):
        assert names[key].shortcut().toString() == shortcut
        assert names[key] in ui.menu.actions()
    assert w.findChild(type(ui.dock), "stepper") is ui.dock
    from PySide6.QtWidgets import QToolButton

    w.stepper_ui.panel.findChild(QToolButton, "button_step").click()
    wait_idle(qtbot, w)
    assert position(w) == "forward 1/5: x"


def _torch_reference(stepper):
    """One plain forward + loss.backward() of the stepper's module on its batch: {param name: grad},
    the prediction's gradient and the loss."""
    module = stepper.module
    module.zero_grad()
    x = stepper.inputs[stepper.order[0]].clone().requires_grad_(True)
    out = module(x)
    loss = stepper.loss_module(out, stepper.targets)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in module.named_parameters()}
    module.zero_grad()
    return grads, x.grad.detach(), float(loss.detach())


def _stats(tv):
    """mean, std, min, max as the TensorView's stats line prints them."""
    parts = dict(p.split(" ", 1) for p in plain(tv.stats.text()).split(" · ")[:4])
    return {k: float(v) for k, v in parts.items()}


def test_stepping_a_cnn_shows_the_records_and_torchs_gradients(make_window, qtbot):
    w = make_window(DIGITS)
    ui = w.stepper_ui
    assert ui.settings.source_key() == "dataset"
    press(qtbot, w, "step", 2)  # image, conv1
    st = w.stepper
    assert "8 validation sample(s) of dataset digits" in ui.panel.message.text()
    assert not st.train_mode and tuple(st.inputs["image"].shape) == (8, 1, 8, 8)
    rec = st.records["conv1"]
    assert position(w) == "forward 2/11: conv1" and node_look(w, "conv1")["highlight"] is True
    views = ui.panel.node_view.views()
    out = views["output"]
    assert out.mode == "images"  # [8, 16, 8, 8] feature maps: sample 0's channels
    fmap = rec.output[0].numpy()
    assert out.mosaic.count == 16 and np.allclose(out.mosaic.normalized[3],
                                                  (fmap[3] - fmap[3].min()) / (fmap[3].max() - fmap[3].min()),
                                                  atol=1e-5)
    s = _stats(out)
    assert math.isclose(s["mean"], float(rec.output.mean()), rel_tol=1e-3, abs_tol=1e-6)
    assert math.isclose(s["max"], float(rec.output.max()), rel_tol=1e-3)
    badge = plain(node_look(w, "conv1")["badge"])
    assert badge.startswith(f"{float(rec.output.mean()):.3g}".replace("-", "-"))
    # run to conv2, then on to its backward step
    w.scene.select_nodes(["conv2"])
    assert "conv2: its forward step" in w.findChild(type(ui.actions["run_to"]), "action_run_to").toolTip()
    press(qtbot, w, "run_to")
    assert position(w) == "forward 5/11: conv2"
    assert "its backward step" in ui.actions["run_to"].toolTip()
    press(qtbot, w, "run_to")
    assert position(w) == "backward 7/11: conv2"
    assert ui.panel.node_view.tabs.currentWidget() is ui.panel.node_view.grads
    grads, _, _ = _torch_reference(st)
    views = ui.panel.node_view.views()
    gw = views["∂L/∂weight"]
    assert gw.mode == "hist" and gw.hist_counts().sum() == grads["conv2.weight"].numel()
    s = _stats(gw)
    ref = grads["conv2.weight"]
    assert math.isclose(s["mean"], float(ref.mean()), rel_tol=1e-3, abs_tol=1e-9)
    assert math.isclose(s["max"], float(ref.max()), rel_tol=1e-3)
    gb = views["∂L/∂bias"]  # 32 values: a table, every number autograd's
    assert gb.mode == "table" and np.allclose(gb.table_values().reshape(-1)[:32], grads["conv2.bias"].numpy(),
                                              rtol=1e-5, atol=1e-9)
    assert views["∂L/∂out"].mode == "images" and views["∂L/∂relu1"].mode == "images"
    rule = ui.panel.node_view.rule.text()
    assert "transposed conv" in rule and "∂L/∂weight" in rule
    # the gradient captions on the incoming edge: the norm of what conv2 sent down
    _, grad = caption(w, "relu1", "conv2")
    assert grad.startswith("‖∇‖ ") and math.isclose(float(grad.split()[1]),
                                                   float(st.records["conv2"].grad_inputs[0].norm()), rel_tol=5e-3)


def test_step_back_restores_what_was_shown(make_window, qtbot):
    w = make_window(GATES)
    typed_gates(w)
    press(qtbot, w, "step", 6)  # through f backward
    ov = w.scene.overlay

    def shown():
        nodes = {n: ov.node_view(n) for n in w.document.graph.nodes}
        edges = {(e.src, e.dst, e.port): caption(w, e.src, e.dst, e.port) for e in w.document.graph.edges}
        return nodes, edges, position(w), dock_values(w), w.stepper_ui.panel.node_view.rule.text()

    before = shown()
    press(qtbot, w, "step")  # z backward
    assert shown() != before
    press(qtbot, w, "back")
    assert shown() == before
    press(qtbot, w, "back", 6)  # to the start: nothing left on the canvas
    assert all(not ov.node_view(n) for n in w.document.graph.nodes)
    assert all(caption(w, e.src, e.dst, e.port) == ("", "") for e in w.document.graph.edges)
    assert w.stepper.position == 0 and position(w).startswith("ready")


def test_run_to_without_a_selection_runs_to_the_end_and_restart_clears(make_window, qtbot):
    w = make_window(GATES)
    typed_gates(w)
    w.scene.select_nodes([])
    press(qtbot, w, "run_to")
    assert w.stepper.done and position(w).startswith("done")
    assert caption(w, "x", "q") == ("-2", "-4")
    w.stepper_ui.actions["step_restart"].trigger()
    wait_idle(qtbot, w)
    assert w.stepper.position == 0 and all(not w.scene.overlay.node_view(n) for n in w.document.graph.nodes)


def test_recurrent_nodes_plot_the_gradient_norm_over_time(make_window, qtbot):
    w = make_window(ROOT / "examples" / "adding_rnn.graphlab.json")
    ui = w.stepper_ui
    ui.settings.set_source("random")
    ui.settings.batch.setValue(4)
    rnn = next(n for n in w.document.graph.nodes.values() if n.type == "RNN").id
    w.scene.select_nodes([rnn])
    press(qtbot, w, "run_to", 2)
    assert position(w).startswith("backward") and position(w).endswith(rnn)
    view = ui.panel.node_view
    assert view.tabs.isTabEnabled(view.tabs.indexOf(view.time_plot))
    from graphlab.ui.views.plot_base import series_values

    _, y = series_values(view.time_plot, "norm")
    ref = w.stepper.records[rnn].time_grad_norms
    assert len(y) == len(ref) == 50 and np.allclose(y, ref)


def test_typed_values_are_checked_inline(make_window, qtbot):
    w = make_window(GATES)
    ui = w.stepper_ui
    typed_gates(w)
    from PySide6.QtWidgets import QTableWidgetItem

    ui.settings.tables["y"].setItem(0, 0, QTableWidgetItem("five"))
    err = ui.settings.error_text()
    assert err == "Input y, value 1 of 1: 'five' is not a number" and "\n" not in err
    press(qtbot, w, "step")
    assert w.stepper is None and "'five' is not a number" in ui.panel.message.text()
    ui.settings.tables["y"].setItem(0, 0, QTableWidgetItem("−5"))  # a real minus sign is fine
    assert ui.settings.error_text() == ""
    press(qtbot, w, "step", 3)
    assert dock_values(w)["output"] == [-7.0]


def test_weights_from_a_checkpoint_through_the_dialog(make_window, qtbot, tmp_path):
    import torch

    from graphlab.run.checkpoint import save_checkpoint
    from graphlab.step import Stepper

    w = make_window(ROOT / "examples" / "two_layer_net.graphlab.json")
    ref = Stepper(w.document.graph, batch=2)
    with torch.no_grad():
        for p in ref.module.parameters():
            p.fill_(0.25)
    path = save_checkpoint(tmp_path / "run" / "last.safetensors", ref.module, None, epoch=1, step=10)
    w.prompts.weights_path_answer = str(path)
    ui = w.stepper_ui
    from PySide6.QtWidgets import QPushButton

    ui.panel.findChild(QPushButton, "step_load_weights").click()
    assert ui.settings.weights == str(path) and "run/last.safetensors" in ui.settings.weights_label.text()
    press(qtbot, w, "step")
    assert all(float(p.detach().min()) == float(p.detach().max()) == 0.25 for p in w.stepper.module.parameters())
    assert "weights from" in ui.panel.message.text()
    ui.set_weights(None)  # back to the initialisation: the walk restarts with it
    assert w.stepper is None
    press(qtbot, w, "step")
    assert any(float(p.detach().min()) != 0.25 for p in w.stepper.module.parameters())


def test_a_graph_with_errors_or_no_nodes_says_so(make_window, qtbot):
    w = make_window()
    press(qtbot, w, "step")
    assert w.stepper is None and "graph is empty" in w.stepper_ui.panel.message.text()
    nid = w.controller.add_node("ReLU", (0.0, 0.0))
    w.live.flush()
    w.scene.select_nodes([])
    press(qtbot, w, "step")
    text = w.stepper_ui.panel.message.text()
    assert w.stepper is None and text.startswith("the graph has errors") and nid in text and "\n" not in text
    assert w.scene.selected_node_ids() == [nid]
    press(qtbot, w, "back")  # nothing to step back: no request, no error
    assert w.stepper is None


def test_train_mode_and_random_inputs_from_the_dock(make_window, qtbot):
    w = make_window(DIGITS)
    ui = w.stepper_ui
    ui.settings.set_source("random")
    ui.settings.seed.setValue(5)
    ui.settings.batch.setValue(3)
    ui.settings.train_mode.setChecked(True)
    press(qtbot, w, "step")
    st = w.stepper
    assert st.train_mode and st.seed == 5 and tuple(st.inputs["image"].shape) == (3, 1, 8, 8)
    assert "seeded N(0, 1) inputs (seed 5), batch 3" in ui.panel.message.text()
    ui.settings.train_mode.setChecked(False)
    assert w.stepper is None
    press(qtbot, w, "step")
    assert not w.stepper.train_mode
