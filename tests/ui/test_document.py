"""One document behind every panel: its signals, and panels built and driven without a main window."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMainWindow

from graphlab.core import Graph
from graphlab.io import load
from graphlab.ui.document import Document
from graphlab.ui.shell import Shell

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


class Prompts:
    def weights_path(self, folder: str) -> str | None:
        raise AssertionError("unexpected dialog")


def bare(qtbot, graph: Graph | None = None) -> tuple[Document, Shell, QMainWindow]:
    host = QMainWindow()
    qtbot.addWidget(host)
    doc = Document(graph, parent=host)
    shell = Shell(host, doc, Prompts())
    return doc, shell, host


def test_the_document_says_what_changed_each_signal_once(qtbot):
    doc, shell, host = bare(qtbot)
    seen: list[str] = []
    doc.replaced.connect(lambda: seen.append("replaced"))
    doc.analysed.connect(lambda a: seen.append("analysed"))
    doc.structure_changed.connect(lambda: seen.append("structure"))
    doc.training_changed.connect(lambda: seen.append("training"))
    doc.section_changed.connect(lambda k: seen.append(f"section:{k}"))

    g = load(EXAMPLES / "two_layer_net.graphlab.json")
    doc.replace(g, str(EXAMPLES / "two_layer_net.graphlab.json"))
    assert seen == ["replaced", "analysed"]  # the new graph's analysis is ready when replaced fires
    assert doc.analysis.nodes.keys() == g.nodes.keys() and doc.graph is g
    seen.clear()
    doc.controller.set_param("fc1", "out_features", 7)
    assert seen == ["structure"]
    doc.flush()
    assert seen == ["structure", "analysed"]
    seen.clear()
    doc.controller.move_nodes({"fc1": (g.nodes["fc1"].pos, (999.0, 999.0))})
    doc.flush()
    assert seen == []  # a move changes no shape
    g2 = dict(g.training)
    g2["epochs"] = 3
    from graphlab.ui.training.commands import SetTrainingCommand

    doc.undo_stack.push(SetTrainingCommand(g, g2, "epochs"))
    assert seen[:2] == ["training", "section:training"]
    seen.clear()
    doc.controller.rename_graph("another name")
    assert "structure" not in seen and "training" not in seen


def test_replace_drops_every_owners_problems_and_the_undo_history(qtbot):
    from graphlab.core.analysis import Problem

    doc, shell, host = bare(qtbot)
    doc.problems.set_extra("stepper", [Problem("x", "NaN here")])
    doc.controller.add_node("Input")
    assert doc.undo_stack.count() == 1 and doc.problems.extra("stepper")
    doc.replace(load(EXAMPLES / "spiral_linear.graphlab.json"))
    assert doc.undo_stack.count() == 0 and doc.problems.extra("stepper") == []
    assert all(p.node in doc.graph.nodes or p.node is None for p in doc.problems.problems())


def test_a_problem_two_owners_report_is_listed_once(qtbot):
    from graphlab.core.analysis import Problem

    doc, shell, host = bare(qtbot)
    p = Problem("x", "Input shape 3 does not fit dataset spiral", "shape")
    doc.problems.set_extra("training-check", [p])
    doc.problems.set_extra("training", [Problem("x", p.message, None), Problem(None, "another", None)])
    texts = [q.message for q in doc.problems.problems()]
    assert texts.count(p.message) == 1 and "another" in texts


def test_the_training_settings_panel_is_built_and_driven_against_a_bare_document(qtbot):
    """No main window: a Document, a Shell over a plain QMainWindow, and the panel."""
    from graphlab.ui.training.settings_dock import TrainingSettingsPanel

    doc, shell, host = bare(qtbot, load(EXAMPLES / "spiral_two_layer.graphlab.json"))
    panel = TrainingSettingsPanel(doc, shell)
    qtbot.addWidget(panel)
    before = doc.graph.training["epochs"]
    panel.form.edited.emit("epochs", before + 5)  # what the epochs editor emits when a value is typed
    assert doc.graph.training["epochs"] == before + 5 and doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.graph.training["epochs"] == before
    doc.replace(load(EXAMPLES / "digits_cnn.graphlab.json"))
    assert panel._shown[0] == id(doc.graph)  # the form follows the new graph


def test_the_whole_training_feature_runs_in_a_bare_shell_and_checks_the_fit(qtbot, tmp_path):
    """The fit check runs by itself within 2 s of opening a graph whose Input does not fit its dataset."""
    from graphlab.ui.training import install

    doc, shell, host = bare(qtbot)
    training = install(doc, shell)
    g = load(EXAMPLES / "digits_cnn.graphlab.json")
    g.set_param("image", "shape", [1, 9, 9])  # digits are 1×8×8
    doc.replace(g, str(tmp_path / "bad.graphlab.json"))
    qtbot.waitUntil(lambda: bool(doc.problems.extra("training-check")), timeout=2000)
    (p,) = doc.problems.extra("training-check")
    assert p.node == "image" and "does not fit dataset digits" in p.message
    assert training.blocker() is not None and "does not fit" in training.blocker()
    training.shutdown()
    shell.worker.shutdown()
