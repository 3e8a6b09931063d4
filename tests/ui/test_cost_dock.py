"""The Cost dock, the bars on the canvas, the inspector's figures and the status bar (issue 17)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from graphlab.core import analyze
from graphlab.core.cost import si
from graphlab.core.training_cost import training_cost
from graphlab.io import load

ROOT = Path(__file__).resolve().parents[2]
LENET = ROOT / "examples" / "lenet5.graphlab.json"


def _show_cost(w):  # type: ignore[no-untyped-def]
    w.workspace.set("design")
    w.cost.dock.show()
    w.cost.dock.raise_()
    w.cost.refresh()
    return w.cost.panel


def test_the_dock_lists_every_node_with_its_figures_and_the_totals(make_window) -> None:
    w = make_window(LENET)
    panel = _show_cost(w)
    a = analyze(load(LENET))
    assert w.findChild(type(w.cost.dock), "cost") is w.cost.dock
    assert [r["node"] for r in panel.model.rows] == a.order
    assert panel.cell("conv1", "flops") == si(a.nodes["conv1"].flops)
    assert panel.cell("conv1", "params") == f"{a.nodes['conv1'].params:,}"
    assert panel.cell("conv1", "rf") == "5×5 stride 1×1 from -2,-2"
    assert "FLOPs a sample" in panel.totals.text() and f"{a.total_params:,} params" in panel.totals.text()
    want = training_cost(a, 64, "adam")
    assert [v for _, v in panel.memory.parts] == [want.weights, want.gradients, want.optimizer_state, want.activations]
    assert "batch 64 with adam" in panel.step.text()


def test_sorting_by_a_number_column_sorts_by_value(make_window) -> None:
    w = make_window(LENET)
    panel = _show_cost(w)
    col = [c.key for c in __import__("graphlab.core.cost_table", fromlist=["COLUMNS"]).COLUMNS].index("flops")
    panel.table.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    shown = [panel.proxy.index(r, 0).data() for r in range(panel.proxy.rowCount())]
    a = w.document.analysis
    flops = [a.nodes[n].flops for n in shown]
    assert flops == sorted(flops, reverse=True) and shown[0] == max(a.order, key=lambda n: a.nodes[n].flops)


def test_rows_and_canvas_selection_follow_each_other(make_window) -> None:
    w = make_window(LENET)
    panel = _show_cost(w)
    row = panel.model.row_of("fc1")
    panel.table.clicked.emit(panel.proxy.mapFromSource(panel.model.index(row, 0)))
    assert w.scene.selected_node_ids() == ["fc1"]
    w.scene.select_nodes(["conv2"])
    sel = panel.table.selectionModel().selectedRows()
    assert [panel.proxy.mapToSource(i).row() for i in sel] == [panel.model.row_of("conv2")]


def test_edits_update_the_table_and_undo_puts_it_back(make_window) -> None:
    w = make_window(LENET)
    panel = _show_cost(w)
    before = panel.cell("conv1", "macs")
    w.controller.set_param("conv1", "out_channels", 12)
    w.live.flush()
    assert panel.cell("conv1", "macs") == si(2 * analyze(load(LENET)).nodes["conv1"].macs)
    w.undo_stack.undo()
    w.live.flush()
    assert panel.cell("conv1", "macs") == before


def test_bars_on_the_cards_relative_to_the_largest_node(make_window) -> None:
    w = make_window(LENET)
    feature = w.cost
    a = w.document.analysis
    for mode, value in (("flops", lambda i: i.flops), ("params", lambda i: i.params)):
        feature.set_bars(mode)
        top = max(value(i) for i in a.nodes.values())
        for nid, info in a.nodes.items():
            look = w.scene.overlay.look(nid)
            if value(info):
                assert look is not None and look.bar == pytest.approx(value(info) / top), (mode, nid)
                assert "% of the largest node" in look.bar_text
            else:
                assert look is None or look.bar is None
        assert w.scene.overlay.look(max(a.order, key=lambda n: value(a.nodes[n]))).bar == 1.0
    feature.set_bars("memory")
    mem = feature.bar_values()
    c = training_cost(a, 64, "adam")
    assert mem["fc1"] == 4 * a.nodes["fc1"].param_bytes + 64 * a.nodes["fc1"].saved_bytes
    assert sum(mem.values()) >= c.weights * 4  # every weight counted with its gradient and Adam's two moments
    feature.set_bars("none")
    assert all(w.scene.overlay.look(n) is None for n in a.nodes)
    flops = w.findChild(type(feature.bar_actions["none"]), "action_cost_bars_flops")
    assert flops is not None and flops.shortcut().toString() == "Ctrl+Alt+1"
    flops.trigger()  # View ▸ Panels ▸ Cost Bars ▸ FLOPs
    assert feature.mode == "flops" and feature.panel.bars.currentData() == "flops"
    assert w.scene.overlay.look(max(a.order, key=lambda n: a.nodes[n].flops)).bar == 1.0


def test_bars_follow_edits_and_never_touch_the_document(make_window) -> None:
    w = make_window(LENET)
    w.cost.set_bars("flops")
    clean = w.undo_stack.isClean()
    assert w.scene.overlay.look("fc1").bar < 0.5
    w.controller.set_param("fc1", "out_features", 10000)  # fc1 becomes the largest
    w.live.flush()
    assert w.scene.overlay.look("fc1").bar == 1.0
    assert w.undo_stack.count() == 1 and clean  # the bars added no undo step
    w.undo_stack.undo()
    w.live.flush()
    assert w.scene.overlay.look("fc1").bar < 0.5


def test_export_csv_and_markdown(make_window, tmp_path) -> None:
    w = make_window(LENET)
    _show_cost(w)
    out = tmp_path / "lenet-cost.csv"
    w.prompts.export_path_answer = str(out)
    w.cost.panel.export.click()
    assert w.prompts.export_asked and w.prompts.export_asked[0].endswith("-cost.csv")
    table = list(csv.DictReader(out.open(encoding="utf-8")))
    a = w.document.analysis
    byid = {r["node"]: r for r in table}
    assert int(byid["conv1"]["flops"]) == a.nodes["conv1"].flops and byid["conv1"]["rf_h"] == "5"
    assert int(byid["total"]["flops"]) == a.total_flops
    md = tmp_path / "lenet-cost.md"
    w.prompts.export_path_answer = str(md)
    w.cost.export()
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# What") and "| conv1 | 6×28×28 | 156 |" in text and "**total**" in text
    w.prompts.export_path_answer = str(tmp_path / "no" / "such" / "folder.csv")
    w.cost.export()
    assert w.prompts.errors and "Cannot write" in w.prompts.errors[-1][1]


def test_status_bar_shows_the_totals(make_window) -> None:
    w = make_window(LENET)
    a = w.document.analysis
    text = w.summary.label.text()
    assert si(a.total_flops, "FLOPs") in text
    assert "to train" in text and "batch 64" in text


def test_inspector_lists_the_selected_nodes_figures(make_window) -> None:
    w = make_window(LENET)
    w.scene.select_nodes(["conv1"])
    text = w.inspector.cost.text()
    i = w.document.analysis.nodes["conv1"]
    assert si(i.macs) in text and si(i.flops) in text and si(i.flops_backward) in text
    assert "receptive field 5×5" in text and "stride 1×1" in text
    w.scene.select_nodes(["fc1"])
    assert "receptive field" not in w.inspector.cost.text()


def test_the_panel_builds_against_a_bare_document(qtbot) -> None:
    """A feature needs a Document and a Shell only, no main window."""
    from graphlab.ui.cost import install
    from graphlab.ui.document import Document
    from graphlab.ui.shell import Shell

    host = QMainWindow()
    qtbot.addWidget(host)
    doc = Document(load(LENET), str(LENET), parent=host)
    shell = Shell(host, doc, prompts=None)
    feature = install(doc, shell)
    feature.refresh()
    assert len(feature.panel.model.rows) == len(doc.graph.nodes)
    feature.set_bars("params")
    assert doc.overlay.look("fc1").bar is not None
