"""The inspector: a form from the param schema; edits become commands and shapes update downstream."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

import graphlab
from graphlab.core import REGISTRY


def test_form_has_one_editor_per_param_with_ranges_and_help(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.scene.select_nodes(["conv1"])
    ins = w.inspector
    spec = REGISTRY.get("Conv2d")
    assert set(ins.editors) == {p.name for p in spec.params}
    oc = ins.findChild(QSpinBox, "param_out_channels")
    assert oc.minimum() == 1 and oc.value() == 6
    assert spec.param_index["out_channels"].help in oc.toolTip()
    assert isinstance(ins.findChild(QCheckBox, "param_bias"), QCheckBox)
    assert "in: 1×28×28" in ins.shapes.text() and "out: 6×28×28" in ins.shapes.text()
    assert "parameters: 156" in ins.shapes.text()  # 6*1*5*5 + 6
    w.scene.select_nodes(["input"])
    assert ins.findChild(QLineEdit, "param_shape").text() == "1, 28, 28"
    w.scene.select_nodes(["pool1"])
    assert ins.findChild(QCheckBox) is not None  # stride: pair_or_none has an "auto" box


def test_editing_a_param_updates_shapes_downstream_and_params_match_torch(make_window, examples_dir):
    torch = pytest.importorskip("torch")
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.scene.select_nodes(["conv1"])
    box = w.inspector.findChild(QSpinBox, "param_out_channels")
    box.setValue(10)
    assert w.document.graph.nodes["conv1"].params["out_channels"] == 10
    w.live.flush()
    items = w.scene.node_items
    assert items["conv1"].shape_text == "→ 10×28×28"
    assert items["pool1"].shape_text == "→ 10×14×14"
    edge = next(e for e in w.scene.edge_items if e.src == "pool1")
    assert w.scene.edge_items[edge].label == "10×14×14"
    conv2 = torch.nn.Conv2d(10, 16, 5)
    assert w.live.analysis.nodes["conv2"].params == sum(p.numel() for p in conv2.parameters())
    total = w.live.analysis.total_params
    assert total == sum(p.numel() for p in graphlab.compile(w.document.graph).parameters())
    assert f"{total:,} parameters" in w.status.text()


def test_an_error_appears_on_its_node_and_goes_away_with_undo(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.scene.select_nodes(["conv2"])
    w.inspector.editors["kernel_size"].boxes[0].setValue(20)  # 6×14×14 input: too tall a kernel
    w.live.flush()
    item = w.scene.node_items["conv2"]
    assert item.severity == "error" and "conv2" in item.toolTip() and item.message in item.toolTip()
    assert item.message and item.message in w.inspector.errors.text()
    assert w.status.text().startswith("✗")
    assert any("conv2" in w.problems.item(i).text() for i in range(w.problems.count()))
    assert w.scene.node_items["relu2"].severity == ""  # downstream nodes do not repeat the error
    w.undo_stack.undo()
    w.live.flush()
    assert item.severity == "" and w.status.text().startswith("✓")
    assert w.problems.count() == 0
    assert w.inspector.editors["kernel_size"].boxes[0].value() == 5  # the form follows undo


def test_spin_box_steps_merge_into_one_undo_step(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.scene.select_nodes(["fc1"])
    box = w.inspector.findChild(QSpinBox, "param_out_features")
    box.setFocus()
    for _ in range(5):
        QTest.keyClick(box, Qt.Key.Key_Up)
    assert w.document.graph.nodes["fc1"].params["out_features"] == 125
    assert w.undo_stack.count() == 1
    w.undo_stack.undo()
    assert w.document.graph.nodes["fc1"].params["out_features"] == 120


def test_other_editor_kinds(make_window):
    w = make_window()
    c = w.controller
    lstm = c.add_node("LSTM")
    w.scene.select_nodes([lstm])
    combo = w.inspector.findChild(QComboBox, "param_output")
    combo.setCurrentIndex(combo.findData("sequence"))
    assert w.document.graph.nodes[lstm].params["output"] == "sequence"
    drop = c.add_node("Dropout")
    w.scene.select_nodes([drop])
    box = w.inspector.findChild(QLineEdit, "param_p")  # a float: a number line edit
    box.setText("0.25")
    box.editingFinished.emit()
    assert w.document.graph.nodes[drop].params["p"] == 0.25
    box.setText("0.5")  # the default: stored as "not set"
    box.editingFinished.emit()
    assert "p" not in w.document.graph.nodes[drop].params
    inp = c.add_node("Input")
    w.scene.select_nodes([inp])
    edit = w.inspector.findChild(QLineEdit, "param_shape")
    edit.setText("3, 32, 32")
    edit.editingFinished.emit()
    assert w.document.graph.nodes[inp].params["shape"] == [3, 32, 32]
    n = w.undo_stack.count()
    edit.setText("3, -1")
    edit.editingFinished.emit()
    assert w.undo_stack.count() == n and "positive integers" in w.statusBar().currentMessage()
    conv = c.add_node("Conv2d")
    w.scene.select_nodes([conv])
    ed = w.inspector.editors["kernel_size"]
    ed.boxes[1].setValue(5)
    assert w.document.graph.nodes[conv].params["kernel_size"] == [3, 5]
    init = w.inspector.findChild(QComboBox, "param_init")
    init.setCurrentIndex(init.findData("xavier"))
    assert w.document.graph.nodes[conv].init == "xavier"


def test_init_schemes_match_the_compiler():
    pytest.importorskip("torch")
    from graphlab.compiler.init import SCHEMES
    from graphlab.ui.inspector import INIT_SCHEMES

    assert INIT_SCHEMES == SCHEMES


def test_a_value_beyond_a_spin_box_is_shown_not_crashed_on(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.controller.set_param("fc1", "out_features", 10**12)
    w.scene.select_nodes(["fc1"])
    box = w.inspector.findChild(QSpinBox, "param_out_features")
    assert box.value() == box.maximum() and "1,000,000,000,000" in box.toolTip()
    assert w.document.graph.nodes["fc1"].params["out_features"] == 10**12  # showing it changed nothing
    w.controller.set_param("fc1", "out_features", 64)
