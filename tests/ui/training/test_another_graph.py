"""Nothing stale: opening another graph puts every panel on it, and reopening a graph shows its own
last run; runs made before the first save follow the file."""
from __future__ import annotations

import shutil
from pathlib import Path

from tests.ui.stepper.helpers import press
from tests.ui.training.helpers import problems_text, set_training, wait_state

ROOT = Path(__file__).resolve().parents[3]
SPIRAL = ROOT / "examples" / "spiral_two_layer.graphlab.json"


def copy(src: Path, folder: Path, name: str | None = None) -> Path:
    dst = folder / (name or src.name)
    shutil.copyfile(src, dst)
    return dst


def test_train_a_open_b_every_panel_shows_b_then_a_comes_back(make_window, qtbot, tmp_path):
    a = copy(SPIRAL, tmp_path, "a.graphlab.json")
    b = copy(ROOT / "examples" / "two_layer_net.graphlab.json", tmp_path, "b.graphlab.json")
    w = make_window(a)
    set_training(w, epochs=3)
    w.save_file()
    ui = w.training.ui
    w.scene.select_nodes(["fc1"])
    press(qtbot, w, "step", 2)  # the stepper holds a walk of A
    assert w.stepper is not None
    assert w.training.start()
    wait_state(qtbot, w, "finished", "error")
    assert w.training.state == "finished"
    assert w.workspace.current == "train"  # F5 showed the Train workspace
    a_run = w.training.run_dir
    assert ui.plots.loss.series["raw"].x.view().size > 0 and ui.node.node == "fc1"
    assert a_run is not None and ui.runs.tree.topLevelItemCount() == 1

    assert w.open_file(b, ask=False)
    w.live.flush()
    assert w.document.path == str(b.resolve())
    # the plots: empty (B has no run yet), no banner of A's run folder
    assert ui.plots.loss.series["raw"].x.view().size == 0 and ui.plots.loss.series["train"].x.view().size == 0
    assert a_run.name not in ui.plots.banner.text() and "edited since" not in ui.plots.banner.text()
    assert ui.runs.tree.topLevelItemCount() == 0
    assert ui.node.node is None and "fc1" not in ui.node.header.text()
    assert w.stepper is None and w.stepper_ui.position == 0
    assert not w.scene.overlay.owners() - {"training-check"}  # no badges of A's run or walk
    assert all(node is None or node in w.document.graph.nodes for _, node in problems_text(w))
    assert w.training.state == "idle" and w.training.run_dir is None

    assert w.open_file(a, ask=False)  # reopen A: its own last run is back
    w.live.flush()
    assert ui.runs.tree.topLevelItemCount() == 1
    assert ui.plots.shown_run is not None and ui.plots.shown_run.path == a_run
    assert ui.plots.loss.series["train"].x.view().size == 3 and a_run.name in ui.plots.banner.text()


def test_runs_made_before_the_first_save_follow_the_file(make_window, qtbot, tmp_path):
    w = make_window()
    assert w.open_example(SPIRAL)  # an untitled copy
    set_training(w, epochs=2)
    assert w.document.path is None
    assert w.training.start()
    wait_state(qtbot, w, "finished", "error")
    untitled_run = w.training.run_dir
    assert untitled_run is not None and untitled_run.is_dir()
    assert "GraphLab/GraphLab" not in str(untitled_run).replace("\\", "/")  # one folder root
    assert w.training.ui.runs.tree.topLevelItemCount() == 1
    target = tmp_path / "mine.graphlab.json"
    w.prompts.save_path_answer = str(target)
    assert w.save_as()
    runs = w.training.ui.runs
    assert runs.tree.topLevelItemCount() == 1  # still listed, now beside the file
    (r,) = runs.runs.values()
    assert r.path.parent == tmp_path / "runs" and r.path.name.startswith("mine-") and r.source == str(target)
    assert not untitled_run.exists()
    assert w.open_file(target, ask=False)  # and reopening the saved file finds it
    assert runs.tree.topLevelItemCount() == 1


def test_the_node_dock_shows_images_after_the_run_whichever_tab_was_open(make_window, qtbot, tmp_path):
    w = make_window(ROOT / "examples" / "digits_cnn.graphlab.json")
    set_training(w, epochs=1)
    ui = w.training.ui
    ui.node.tabs.setCurrentIndex(0)  # the Activations tab during the run: no images are made then
    w.scene.select_nodes(["conv1"])
    assert w.training.start()
    wait_state(qtbot, w, "finished", "error")
    assert w.training.state == "finished" and not w.training.run_history.images.get("conv1")
    ui.node.tabs.setCurrentIndex(3)  # Images, after the run: made from the run's checkpoint
    qtbot.waitUntil(lambda: ui.node.mosaics["feature_maps"].isVisible(), timeout=60_000)
    assert "conv1" in ui.node.images_note.text() and "checkpoint" in ui.node.images_note.text()
    assert ui.node.images["feature_maps"].node == "conv1"
    w.scene.select_nodes(["conv2"])  # another node: its caption, never conv1's
    qtbot.waitUntil(lambda: "conv2" in ui.node.images_note.text() and bool(ui.node.images), timeout=60_000)
    assert ui.node.images["feature_maps"].node == "conv2"
