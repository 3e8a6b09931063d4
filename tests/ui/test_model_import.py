"""File ▸ Import PyTorch Model… and File ▸ Load Weights…: run off the GUI thread, the import opens as a
new untitled document, a refusal is one line in a dialog, and loading weights reports what matched."""
from __future__ import annotations

from pathlib import Path

from graphlab.core.groups import members
from tests.importer import zoo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_import_opens_the_model_as_a_new_untitled_document(make_window, qtbot) -> None:
    w = make_window()
    before = w.graph
    w.prompts.import_answer = (f"{zoo.__file__}:resnet_basic", "3,32,32")
    w.findChild(type(w.actions_["new"]), "action_import_model").trigger()
    assert w.graph is before  # the GUI thread did not wait: the import runs on the worker
    qtbot.waitUntil(lambda: w.graph is not before, timeout=60_000)
    g = w.graph
    assert w.document.path is None and "(imported)" in w.windowTitle()
    assert len(g.nodes) > 60 and "layer1_0" in g.groups and members(g, "layer1_0")
    assert w.undo_stack.isClean() and not w.prompts.errors


def test_a_refused_import_is_one_line_in_a_dialog(make_window, qtbot, tmp_path: Path) -> None:
    src = tmp_path / "sine.py"
    src.write_text("import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
                   "        return torch.sin(x)\n")
    w = make_window()
    before = w.graph
    w.prompts.import_answer = (f"{src}:Net", "4")
    w.model_import.ask_import()
    qtbot.waitUntil(lambda: bool(w.prompts.errors), timeout=60_000)
    title, line = w.prompts.errors[0]
    assert title == "Import PyTorch model" and line.startswith("sine.py:7: torch.sin") and "\n" not in line
    assert w.graph is before
    w.prompts.errors.clear()
    w.model_import.start_import(f"{src}:Net", "4,x")  # a shape that is not one: refused before any work
    assert w.prompts.errors and "input shape" in w.prompts.errors[0][1]


def test_load_weights_reports_what_matched_and_sets_the_start(make_window, qtbot) -> None:
    w = make_window(EXAMPLES / "lesson_transfer_scratch.graphlab.json")
    assert w.graph.training.get("weights") is None
    w.prompts.load_weights_answer = str(EXAMPLES / "lesson_transfer_pretrained.safetensors")
    w.model_import.ask_weights()
    qtbot.waitUntil(lambda: bool(w.prompts.reports), timeout=60_000)
    title, text = w.prompts.reports[0]
    assert title == "Load weights" and text.startswith("loaded 4 node(s): conv1, bn1, conv2, bn2")
    assert "head: not in the weights" in text and "not in this graph: fc" in text
    assert w.document.weights is not None and w.document.weights.is_file()
    assert w.graph.training["weights"].endswith("lesson_transfer_pretrained.safetensors")
    w.undo_stack.undo()
    assert w.graph.training.get("weights") is None
