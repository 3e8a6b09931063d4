"""The Search dock's form: the search section in the one form language, each edit one undo step, a bad
section one line on its key (the problems list and the form), the wheel harmless. No search runs here."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QToolButton

from graphlab.search.space import parse_search
from graphlab.ui.search.commands import SetSearchCommand
from tests.ui.search.helpers import study_doc, write_graph


def range_editor(h, key):
    return h.panel.form.ranges[key]


def type_into(edit, text):
    edit.setText(text)
    edit.editingFinished.emit()
    QApplication.processEvents()


def test_the_form_shows_the_section_and_each_range_edit_is_one_undo_step(make_host, tmp_path):
    h = make_host(write_graph(tmp_path, study_doc()))
    form = h.panel.form
    assert list(form.ranges) == ["training.optimizer.lr", "training.regularization.l2", "fc1.out_features"]
    lr = range_editor(h, "training.optimizer.lr")
    assert lr.kind() == "log_uniform" and (lr.lo.text(), lr.hi.text()) == ("0.05", "5")
    # the distributions offered are the target's: a real number, log first (the learning rate is edited by ×10)
    assert [lr.kind_box.itemData(i) for i in range(lr.kind_box.count())] == ["log_uniform", "uniform", "choice"]
    width = range_editor(h, "fc1.out_features")
    assert [width.kind_box.itemData(i) for i in range(width.kind_box.count())] == ["int", "int_log", "choice"]
    assert width.choices.text() == "10, 30"
    before = h.doc.undo_stack.count()
    type_into(lr.hi, "1")
    assert h.doc.graph.search["space"]["training.optimizer.lr"] == {"log_uniform": [0.05, 1.0]}
    assert h.doc.undo_stack.count() == before + 1 and not h.doc.undo_stack.isClean()
    type_into(width.choices, "10, 30, 100")
    assert h.doc.graph.search["space"]["fc1.out_features"] == {"choice": [10, 30, 100]}
    assert h.doc.undo_stack.count() == before + 2
    h.doc.undo_stack.undo()
    h.doc.undo_stack.undo()
    assert h.doc.graph.search == study_doc()["search"]
    assert width.choices.text() == "10, 30" and lr.hi.text() == "5"  # the form follows the undo
    h.doc.undo_stack.redo()
    assert lr.hi.text() == "1"


def test_switching_the_distribution_keeps_the_values_and_a_refused_range_is_not_sent(make_host, tmp_path):
    h = make_host(write_graph(tmp_path, study_doc()))
    width = range_editor(h, "fc1.out_features")
    width.kind_box.setCurrentIndex(width.kind_box.findData("int"))
    QApplication.processEvents()
    assert h.doc.graph.search["space"]["fc1.out_features"] == {"int": [10, 30]}
    n = h.doc.undo_stack.count()
    type_into(width.lo, "0")  # out_features must be >= 1: the layer's own words
    assert h.doc.undo_stack.count() == n and h.doc.graph.search["space"]["fc1.out_features"] == {"int": [10, 30]}
    assert "0 is not a value of fc1.out_features" in width.widget.toolTip()
    assert "0 is not a value of fc1.out_features" in h.window.statusBar().currentMessage()
    type_into(width.lo, "40")  # an empty range
    assert "int [40, 30] is an empty range (lo > hi)" in h.window.statusBar().currentMessage()
    type_into(width.lo, "8")
    assert h.doc.graph.search["space"]["fc1.out_features"] == {"int": [8, 30]}
    lr = range_editor(h, "training.optimizer.lr")
    lr.kind_box.setCurrentIndex(lr.kind_box.findData("choice"))
    QApplication.processEvents()
    assert h.doc.graph.search["space"]["training.optimizer.lr"] == {"choice": [0.05, 5.0]}


def test_adding_and_removing_keys(make_host, tmp_path):
    doc = study_doc()
    doc["search"]["space"] = {"training.optimizer.lr": {"log_uniform": [0.05, 5.0]}}
    h = make_host(write_graph(tmp_path, doc))
    form = h.panel.form
    keys = [form.add_box.itemData(i) for i in range(form.add_box.count())]
    assert "training.regularization.l2" in keys and "fc1.out_features" in keys and "training.optimizer.lr" not in keys
    assert "training.seed" not in keys and "x.shape" not in keys  # not searchable
    form.add_box.setCurrentIndex(form.add_box.findData("training.regularization.l2"))
    form.add_button.click()
    # a log field: a decade each way of its value, or the course's wide log range when it is 0 (as here)
    assert h.doc.graph.search["space"]["training.regularization.l2"] == {"log_uniform": [1e-4, 0.1]}
    parse_search(h.doc.graph.search, h.doc.graph)  # a valid range of that field
    form.add_box.setCurrentIndex(form.add_box.findData("fc1.out_features"))
    form.add_button.click()
    assert h.doc.graph.search["space"]["fc1.out_features"] == {"int": [25, 100]}  # half to double of 50
    assert list(form.ranges) == ["training.optimizer.lr", "training.regularization.l2", "fc1.out_features"]
    form.findChild(QToolButton, "search_remove_training_optimizer_lr").click()
    assert "training.optimizer.lr" not in h.doc.graph.search["space"]
    for k in ("training_regularization_l2", "fc1_out_features"):
        form.findChild(QToolButton, f"search_remove_{k}").click()
    assert h.doc.graph.search == {}  # no key left: no section
    assert form.empty.isVisible() and not form.settings_box.isEnabled()
    for _ in range(5):
        h.doc.undo_stack.undo()
    assert h.doc.graph.search == doc["search"]


def test_settings_are_fields_of_the_form_and_the_wheel_leaves_them_alone(make_host, tmp_path, qtbot):
    h = make_host(write_graph(tmp_path, study_doc()))
    form = h.panel.form
    trials = form.settings["trials"].widget
    assert trials.value() == 6
    trials.setValue(9)
    assert h.doc.graph.search["trials"] == 9
    sampler = form.settings["sampler"].widget
    sampler.setCurrentIndex(sampler.findData("tpe"))
    assert h.doc.graph.search["sampler"] == "tpe"
    n = h.doc.undo_stack.count()
    kind = range_editor(h, "fc1.out_features").kind_box
    for w in (kind, sampler, trials):
        w.clearFocus()
        pos = QPointF(w.rect().center())
        ev = QWheelEvent(pos, QPointF(w.mapToGlobal(pos.toPoint())), QPoint(), QPoint(0, -120),
                         Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(w, ev)
    QApplication.processEvents()
    assert h.doc.undo_stack.count() == n and h.doc.graph.search["sampler"] == "tpe" and trials.value() == 9


def test_a_bad_section_is_one_line_on_its_key_in_the_problems_and_the_form(make_host, tmp_path):
    h = make_host(write_graph(tmp_path, study_doc()))
    g = h.doc.graph
    bad = dict(g.search, space={**g.search["space"], "fc1.out_features": {"int": [0, 10]}})
    h.doc.undo_stack.push(SetSearchCommand(g, bad, "space"))
    h.doc.flush()
    lines = [p for p in h.doc.problems.problems() if p.message.startswith("search.")]
    assert len(lines) == 1
    p = lines[0]
    assert p.node == "fc1" and "\n" not in p.text()
    assert p.text() == 'fc1: search.space."fc1.out_features": 0 is not a value of fc1.out_features (\'out_features\' ' \
                       "must be >= 1, got 0)"
    ed = range_editor(h, "fc1.out_features")
    assert ed.widget.toolTip().startswith('search.space."fc1.out_features": 0 is not a value')
    assert h.panel.form.error.isVisibleTo(h.panel.form)
    assert not h.panel.start_button.isEnabled() and "0 is not a value" in h.panel.start_button.toolTip()
    h.doc.undo_stack.undo()
    h.doc.flush()
    assert not [p for p in h.doc.problems.problems() if p.message.startswith("search.")]
    assert not ed.widget.toolTip().startswith("search.space")
