"""Files: save/open round trip, unreadable files, the unsaved-changes prompt, recovery, run_app."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer

from graphlab.io import dumps, load

from .helpers import snapshot


def test_save_open_round_trip(make_window, examples_dir, tmp_path):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.controller.set_param("conv1", "out_channels", 12)
    w.controller.add_node("Dropout", (1700, 200))
    assert w.isWindowModified()
    target = tmp_path / "mine.graphlab.json"
    assert w.save_file(target)
    assert not w.isWindowModified() and w.undo_stack.isClean()
    assert "mine.graphlab.json" in w.windowTitle()
    assert dumps(load(target)) == snapshot(w)
    w2 = make_window(target)
    assert snapshot(w2) == snapshot(w)
    assert set(w2.scene.node_items) == set(w.document.graph.nodes)
    assert str(target.resolve()) in w2.recent.paths()


def test_unreadable_file_shows_the_reason_and_keeps_the_document(make_window, examples_dir, tmp_path):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    doc, text = w.document.graph, snapshot(w)
    bad = tmp_path / "bad.graphlab.json"
    bad.write_text('{"graphlab": 1, "nodes": [', "utf-8")
    assert not w.open_file(bad)
    ((_title, message),) = w.prompts.errors
    assert "bad.graphlab.json" in message and "JSON" in message
    assert w.document.graph is doc and snapshot(w) == text
    assert len(w.scene.node_items) == len(doc.nodes)
    assert not w.open_file(tmp_path / "missing.graphlab.json")
    assert "no such file" in w.prompts.errors[-1][1]


def test_unsaved_changes_prompt(make_window, examples_dir, tmp_path):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.controller.set_param("fc1", "out_features", 64)
    text = snapshot(w)
    w.prompts.unsaved_answer = "cancel"
    w.new_file()
    assert snapshot(w) == text and w.prompts.unsaved_asked
    assert not w.open_file(examples_dir / "two_layer_net.graphlab.json")
    assert snapshot(w) == text
    w.close()
    assert w.isVisible()  # cancel keeps the window open
    w.prompts.unsaved_answer = "save"
    origin = w.path
    w.new_file()  # saves to the file it came from, then starts a new graph
    assert '"out_features": 64' in Path(origin).read_text("utf-8")
    assert "\"out_features\": 64" in Path(origin).read_text("utf-8")
    w.controller.add_node("ReLU")
    w.prompts.save_path_answer = str(tmp_path / "saved.graphlab.json")
    w.new_file()  # an untitled graph: Save asks for a path
    assert '"ReLU"' in (tmp_path / "saved.graphlab.json").read_text("utf-8")
    w.controller.add_node("ReLU")
    w.prompts.unsaved_answer = "discard"
    assert w.open_file(examples_dir / "two_layer_net.graphlab.json")
    assert w.document.graph.name != "untitled"


def test_clean_documents_are_not_prompted(make_window, examples_dir):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    w.controller.add_node("ReLU")
    w.undo_stack.undo()  # back to the saved state
    assert not w.isWindowModified()
    assert w.open_file(examples_dir / "two_layer_net.graphlab.json")  # FakePrompts fails on a prompt


def test_autosave_and_recovery_after_a_crash(make_window, examples_dir, tmp_path):
    rec = tmp_path / "rec"
    w = make_window(examples_dir / "lenet5.graphlab.json", recovery=rec)
    assert not w.autosave.save_now()  # nothing unsaved, nothing written
    w.controller.set_param("conv1", "out_channels", 9)
    assert w.autosave.save_now()
    assert not w.autosave.save_now()  # nothing new since: no second write
    crashed = snapshot(w)
    # another window of this (live) process is not offered w's file
    w2 = make_window(recovery=rec)
    assert w2.autosave.pending() == []
    # the same file left by a process that is gone (what a crash leaves) is offered
    dead = dead_pid()
    for p in (w.autosave.path, w.autosave.meta_path):
        p.rename(p.with_name(p.name.replace(f"-{w.autosave.pid}-", f"-{dead}-")))
    w2.prompts.restore_answer = True
    assert w2.offer_recovery()
    assert snapshot(w2) == crashed and w2.isWindowModified()
    assert w2.path == w.path
    assert w2.autosave.path.exists()  # adopted: kept until w2 saves or closes cleanly
    assert w2.autosave.pending() == []
    # a clean close removes the window's own recovery file
    w2.undo_stack.setClean()
    w2.close()
    assert not w2.autosave.path.exists()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    import subprocess

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_window_geometry_and_docks_are_remembered(qtbot, tmp_path):
    from graphlab.ui import MainWindow

    ini = str(tmp_path / "s.ini")
    w = MainWindow(settings=QSettings(ini, QSettings.Format.IniFormat), recovery_dir=tmp_path)
    w.show()
    qtbot.waitExposed(w)
    w.resize(700, 520)  # inside the offscreen screen (800×600), which restoreGeometry clamps to
    w.problems_dock.hide()
    w.close()
    w2 = MainWindow(settings=QSettings(ini, QSettings.Format.IniFormat), recovery_dir=tmp_path)
    try:
        w2.show()
        qtbot.waitExposed(w2)
        assert (w2.width(), w2.height()) == (700, 520)
        assert not w2.problems_dock.isVisible()
    finally:
        w2.close()
        w.deleteLater()
        w2.deleteLater()


def test_examples_menu_opens_examples_as_untitled_copies(make_window):
    w = make_window()
    groups = [a.text() for a in w.examples_menu.actions() if a.menu() is not None]
    assert groups[:4] == ["Basics", "CNNs", "Recurrent", "Optimizers"]
    cnns = next(a.menu() for a in w.examples_menu.actions() if a.text() == "CNNs")
    lenet = next(a for a in cnns.actions() if a.text().startswith("LeNet-5 — "))
    lenet.trigger()
    assert w.document.graph.name == "LeNet-5" and w.path is None
    assert "(example)" in w.windowTitle()


def test_every_menu_action_has_a_shortcut(make_window):
    w = make_window()
    missing = []
    for menu in w.menuBar().findChildren(type(w.recent_menu)):
        for a in menu.actions():
            if a.menu() is None and not a.isSeparator() and a.parent() is not menu and a.shortcut().isEmpty():
                missing.append(a.text())
    assert missing == []


def test_run_app_survives_a_bad_file(qtbot, tmp_path, monkeypatch):
    from graphlab.ui.app import run_app

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    bad = tmp_path / "broken.graphlab.json"
    bad.write_bytes(b"\x00\xff not json")
    seen = {}

    def hook(window):
        window.prompts.error = lambda title, text: seen.setdefault("error", text)
        window.prompts.restore = lambda origin: False
        window.autosave.folder = tmp_path / "rec"

        def later():
            seen["visible"] = window.isVisible()
            seen["nodes"] = len(window.document.graph.nodes)
            window.close()

        QTimer.singleShot(300, later)

    assert run_app(str(bad), window_hook=hook) == 0
    assert "broken.graphlab.json" in seen["error"] and seen["visible"] and seen["nodes"] == 0


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal on 3.12+")
def test_pyside_does_not_leak_none_references(qapp):
    from PySide6.QtCore import QRectF

    r = QRectF()
    before = sys.getrefcount(None)
    for _ in range(1000):
        r.setX(1.0)
    assert abs(sys.getrefcount(None) - before) < 50, "this PySide6 build drops None references (pin <6.12)"
