"""The NaN tracer and the gradient check in the window: selection, marks, badges, the problems list."""
from __future__ import annotations

import pytest
import torch

from graphlab.io import save
from tests.conftest import ROOT
from tests.step.wrong_layer import wrong_layer  # noqa: F401 - the fixture
from tests.ui.stepper.helpers import node_look, plain, position, press, typed_gates, wait_idle

GATES = ROOT / "examples" / "backprop_gates.graphlab.json"


def _problem_texts(w):
    return [w.problems.item(i).text() for i in range(w.problems.count())]


def test_a_forward_overflow_selects_its_node_and_is_explained(make_window, qtbot):
    w = make_window(GATES)
    typed_gates(w, x=1e30, y=0, z=1e30)  # q = 1e30 is fine in float32; f = 1e60 overflows
    w.scene.select_nodes([])
    press(qtbot, w, "run_to")  # nothing selected: to the end, but the tracer stops at f
    assert w.stepper.first_nonfinite == {"node": "f", "phase": "forward", "what": "output"}
    assert position(w) == "forward 5/5: f" and not w.stepper.done
    assert w.scene.selected_node_ids() == ["f"]
    look = node_look(w, "f")
    assert look["highlight"] == w.scene.style.error and any("NaN/inf" in m for m in look["marks"])
    texts = _problem_texts(w)
    assert any(t.startswith("f: first NaN/inf of the forward pass") and "output" in t for t in texts), texts
    assert "NaN tracer" in w.stepper_ui.panel.message.text()
    # clicking the problem selects the node (the problems list's own behaviour)
    item = next(w.problems.item(i) for i in range(w.problems.count()) if "NaN" in w.problems.item(i).text())
    w.scene.select_nodes([])
    w.problems.itemClicked.emit(item)
    assert w.scene.selected_node_ids() == ["f"]
    # a restart forgets it
    w.stepper_ui.actions["step_restart"].trigger()
    wait_idle(qtbot, w)
    assert not any("NaN" in t for t in _problem_texts(w)) and "marks" not in node_look(w, "f")


def test_a_planted_nan_weight_names_its_node(make_window, qtbot, tmp_path):
    from graphlab.run.checkpoint import save_checkpoint
    from graphlab.step import Stepper

    w = make_window(ROOT / "examples" / "digits_cnn.graphlab.json")
    ref = Stepper(w.document.graph, batch=2, dataset=False)
    with torch.no_grad():
        ref.module.get_submodule(ref.info.module_names["conv2"]).weight[3, 1, 0, 0] = float("nan")
    path = save_checkpoint(tmp_path / "nan.safetensors", ref.module, None, epoch=0, step=0)
    w.stepper_ui.set_weights(path)
    w.scene.select_nodes([])
    press(qtbot, w, "run_to")
    assert w.stepper.first_nonfinite["node"] == "conv2" and w.stepper.first_nonfinite["what"] == "weight conv2.weight"
    assert w.scene.selected_node_ids() == ["conv2"]
    assert any(t.startswith("conv2: first NaN/inf of the forward pass: the weight conv2.weight")
               for t in _problem_texts(w))


def test_gradient_check_badges_on_every_node(make_window, qtbot):
    w = make_window(ROOT / "examples" / "two_layer_net.graphlab.json")
    ui = w.stepper_ui
    press(qtbot, w, "step", 3)  # value badges first: the check's badges cover them, the next step clears them
    w.stepper_ui.actions["gradcheck"].trigger()
    wait_idle(qtbot, w)
    result = ui.check_result
    checked = [n for n in w.document.graph.nodes if w.document.graph.nodes[n].type != "Input"]
    assert set(result["nodes"]) == set(checked)
    for nid in checked:
        look = node_look(w, nid)
        err = result["nodes"][nid]["max_rel_error"]
        assert err < 1e-7 and look["badge"].startswith("✓ ") and look["badge_color"].name() == "#2e9d4a"
        assert "marks" not in look
    view = ui.panel.node_view
    assert view.tabs.currentWidget() is view.check and view.check.table.rowCount() == len(checked)
    assert view.check.summary.text().startswith(f"✓ all {len(checked)} nodes pass")
    press(qtbot, w, "step")
    assert not node_look(w, checked[-1]).get("badge", "").startswith("✓ ")




def test_a_failing_node_is_marked_and_listed(make_window, qtbot, tmp_path, wrong_layer):
    from tests.step.helpers import graph

    g = graph([("x", "Input", {"shape": [6]}), ("fc", "Linear", {"out_features": 5}), ("act", "WrongTanh", {}),
               ("out", "Linear", {"out_features": 3}), ("loss", "CrossEntropyLoss", {})],
              [("x", "fc", 0), ("fc", "act", 0), ("act", "out", 0), ("out", "loss", 0)])
    path = tmp_path / "wrong.graphlab.json"
    save(g, path)
    w = make_window(path)
    w.stepper_ui.actions["gradcheck"].trigger()
    wait_idle(qtbot, w)
    look = node_look(w, "act")
    assert look["badge_color"].name() == "#d01c1c" and any("wrong" in m for m in look["marks"])
    assert node_look(w, "fc")["badge_color"].name() == "#2e9d4a"
    texts = _problem_texts(w)
    assert any(t.startswith("act: gradient check fails") and "(wrong)" in t for t in texts), texts
    assert not any(t.startswith("fc:") for t in texts)
    assert "act" in w.stepper_ui.panel.node_view.check.summary.text()
    assert plain(w.stepper_ui.panel.message.text()).startswith("✗ 1 of 4 nodes fail")
