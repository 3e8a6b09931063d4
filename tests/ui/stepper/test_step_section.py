"""The stepper dock's settings are the file's `step` section: the gates example steps to the course's numbers
with F10 alone, every change in the dock is one undo step stored in the file, and a bad section is
shown in one line and repaired by the next edit."""
from __future__ import annotations

import json

from PySide6.QtWidgets import QTableWidgetItem

from tests.conftest import ROOT
from tests.ui.stepper.helpers import caption, press

GATES = ROOT / "examples" / "backprop_gates.graphlab.json"
DIGITS = ROOT / "examples" / "digits_cnn.graphlab.json"


def test_the_gates_example_steps_to_the_course_numbers_with_f10_alone(make_window, qtbot):
    w = make_window(GATES)
    ui = w.stepper_ui
    assert ui.settings.source_key() == "typed" and not ui.settings.error_text()
    assert [ui.settings.tables[n].cells() for n in "xyz"] == [["-2"], ["5"], ["-4"]]
    problems = [w.problems.item(i).text() for i in range(w.problems.count())]
    assert not any("loss" in p for p in problems), problems  # a graph without a loss is steppable
    press(qtbot, w, "step", 10)
    st = w.stepper
    assert st.done and float(st.records["q"].output) == 3 and float(st.records["f"].output) == -12
    assert [float(st.records[n].grad_output) for n in "xyz"] == [-4, -4, 3]
    assert caption(w, "x", "q") == ("-2", "-4") and caption(w, "z", "f", 1) == ("-4", "3")
    assert not w.isWindowModified() and not w.undo_stack.count()


def test_a_graph_without_a_training_section_is_steppable_not_an_error(make_window, qtbot):
    """The gates have no loss and no training section: the fit check finds nothing to refuse, the graph is
    valid, and it steps (above) with no set-up."""
    w = make_window(GATES)
    fit = w.training.fit
    qtbot.waitUntil(lambda: not fit.pending, timeout=120_000)
    assert fit.problems() == [] and w.status.text().startswith("✓")


def test_a_change_in_the_dock_is_one_undo_step_saved_in_the_file(make_window, qtbot, tmp_path):
    w = make_window(DIGITS)
    ui = w.stepper_ui
    assert w.document.graph.step == {} and ui.settings.seed.value() == 0
    ui.settings.seed.setValue(5)
    assert w.document.graph.step == {"seed": 5} and w.undo_stack.count() == 1 and w.isWindowModified()
    assert w.undo_stack.undoText() == "Set step.seed"
    ui.settings.set_source("random")
    ui.settings.train_mode.setChecked(True)
    assert w.document.graph.step == {"source": "random", "seed": 5, "train_mode": True} and w.undo_stack.count() == 3
    press(qtbot, w, "step")
    assert w.stepper.seed == 5 and w.stepper.train_mode
    w.undo_stack.undo()
    w.live.flush()
    assert w.document.graph.step == {"source": "random", "seed": 5} and not ui.settings.train_mode.isChecked()
    assert w.stepper is None  # the walk restarts with the settings undone
    path = tmp_path / "digits_step.graphlab.json"
    assert w.save_file(path)
    assert json.loads(path.read_text())["step"] == {"source": "random", "seed": 5}
    w2 = make_window(path)
    s2 = w2.stepper_ui.settings
    assert s2.source_key() == "random" and s2.seed.value() == 5 and not s2.train_mode.isChecked()


def test_a_typed_value_is_stored_and_undone(make_window, qtbot):
    w = make_window(GATES)
    settings = w.stepper_ui.settings
    settings.tables["y"].setItem(0, 0, QTableWidgetItem("7"))
    assert w.document.graph.step["inputs"] == {"x": [-2], "y": [7], "z": [-4]} and w.undo_stack.count() == 1
    press(qtbot, w, "step", 3)
    assert float(w.stepper.records["q"].output) == 5
    settings.tables["y"].setItem(0, 0, QTableWidgetItem("seven"))  # refused inline, nothing stored
    assert "'seven' is not a number" in settings.error_text() and w.undo_stack.count() == 1
    w.undo_stack.undo()
    w.live.flush()
    assert w.document.graph.step["inputs"]["y"] == [5] and settings.tables["y"].cells() == ["5"]
    assert settings.error_text() == ""


def test_a_bad_section_is_one_line_and_the_next_edit_repairs_it(make_window, qtbot, tmp_path):
    doc = json.loads(GATES.read_text())
    doc["step"] = {"source": "typed", "inputs": {"x": [-2], "y": [5], "z": [-4]}, "seed": -3, "colour": "red"}
    path = tmp_path / "bad_step.graphlab.json"
    path.write_text(json.dumps(doc))
    w = make_window(path)
    settings = w.stepper_ui.settings
    err = settings.error_text()
    assert err == "step.colour: unknown key; known keys: source, seed, batch, inputs, weights, train_mode", err
    settings.seed.setValue(2)
    assert w.document.graph.step == {"source": "typed", "seed": 2, "inputs": {"x": [-2], "y": [5], "z": [-4]}}
    assert settings.error_text() == ""
    press(qtbot, w, "step", 3)
    assert float(w.stepper.records["q"].output) == 3 and w.stepper.seed == 2
