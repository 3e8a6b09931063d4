"""The Search dock in the main window: where it sits in the workspaces (1280×800 and 1024×700), the
Search menu, saving before a search, Open trial into the Plots and Runs docks, a database that cannot be
reached, and a study whose window closed mid-search resuming in the next window."""
from __future__ import annotations

import shutil

import pytest
from PySide6.QtWidgets import QApplication

from tests.ui.search.helpers import RUN_TIMEOUT, study_doc, wait_looked, write_graph

SIZES = [(1280, 800), (1024, 700)]


def settle(qtbot) -> None:
    qtbot.wait(50)


@pytest.mark.parametrize("size", SIZES)
def test_the_search_dock_has_room_in_the_train_workspace(make_window, qtbot, tmp_path, size):
    path = write_graph(tmp_path / "g", study_doc())
    w = make_window(path)
    w.resize(*size)
    qtbot.waitUntil(lambda: (w.width(), w.height()) == size, timeout=2000)
    w.workspace.set("train")
    settle(qtbot)
    ui = w.search.ui
    ui.show_dock()
    ui.panel.tabs.setCurrentIndex(1)
    settle(qtbot)
    plots, search = w.training.ui.plots_dock, ui.dock
    assert w.tabifiedDockWidgets(plots) == [search]  # the plots' room, one tab away
    assert search.width() >= 0.5 * size[0], search.width()
    assert ui.panel.coords.plot.height() >= 180 and ui.panel.table.height() >= 120, (
        ui.panel.coords.plot.height(), ui.panel.table.height())
    assert w.view.width() >= 0.3 * size[0] * 0.9  # the canvas keeps its share
    w.workspace.set("design")
    settle(qtbot)
    assert w.tabifiedDockWidgets(w.inspector_dock) and search in w.tabifiedDockWidgets(w.inspector_dock)


def test_the_search_menu_and_saving_before_a_search(make_window, qtbot, tmp_path):
    path = write_graph(tmp_path / "g", study_doc())
    w = make_window(path)
    menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Search")
    names = [a.objectName() for a in menu.actions() if a.objectName()]
    assert names[:3] == ["action_search_start", "action_search_pause", "action_search_stop"]
    w.controller.set_param("fc1", "out_features", 30)  # unsaved: the search would not see it
    w.prompts.confirm_answer = False
    w.findChild(type(menu.actions()[0]), "action_search_start").trigger()
    assert w.prompts.confirm_asked and "Save s.graphlab.json first" in w.prompts.confirm_asked[0][1]
    assert w.search.state == "idle"
    assert "save it first" in w.statusBar().currentMessage()


def test_open_trial_shows_the_trial_in_the_plots_and_runs_docks(make_window, qtbot, tmp_path, finished_study):
    shutil.copytree(finished_study.parent / "runs", tmp_path / "runs")
    w = make_window(finished_study)
    w.search.ui.show_dock()
    qtbot.waitUntil(lambda: w.search.look is not None and bool(w.search.rows), timeout=60_000)
    best = w.search.best()
    assert w.search.open_trial(best.number)
    QApplication.processEvents()
    assert f"Trial {best.number} of study" in w.training.ui.plots.banner.text()
    runs = w.training.ui.runs
    assert str(best.run) in runs.runs and runs.tree.currentItem().data(0, runs_role()) == str(best.run)
    assert runs.load.isEnabled()  # its weights can be loaded for stepping and export


def runs_role():
    from graphlab.ui.training.runs_dock import PATH_ROLE

    return PATH_ROLE


def test_a_database_that_cannot_be_reached_is_one_line(make_window, qtbot, tmp_path):
    path = write_graph(tmp_path / "g", study_doc())
    w = make_window(path)
    ui = w.search.ui
    ui.show_dock()
    qtbot.waitUntil(lambda: w.search.look is not None, timeout=60_000)
    ed = ui.panel.form.options["storage"]
    ed.widget.setText("postgresql://me:secret@127.0.0.1:9/db")
    ed.widget.editingFinished.emit()
    qtbot.waitUntil(lambda: ui.panel.banner.isVisibleTo(ui.panel), timeout=60_000)
    line = ui.panel.banner.text()
    assert line.startswith("storage: ") and "\n" not in line and "secret" not in line, line
    assert "127.0.0.1:9" in line
    ui.panel.banner.setText("")
    assert w.search.start()  # Start tries again (the database may be back) and says the same one line
    qtbot.waitUntil(lambda: w.search.state == "idle" and bool(ui.panel.banner.text()), timeout=60_000)
    assert ui.panel.banner.text() == line and "did not start: storage: cannot reach" in w.statusBar().currentMessage()


@pytest.mark.slow
def test_a_window_closed_mid_search_resumes_where_it_stopped(make_window, qtbot, tmp_path):
    import optuna

    long = {"space": {"training.optimizer.lr": {"log_uniform": [0.3, 3.0]}}, "trials": 2, "epochs": 1500,
            "pruning": False}
    path = write_graph(tmp_path / "g", study_doc(**long))
    w = make_window(path)
    copy = tmp_path / path.name  # make_window works on a copy beside tmp_path
    w.search.set_workers(1)
    seen = []
    w.search.events.connect(seen.extend)
    w.search.ui.start()  # F7: the Train workspace, the Search dock in front
    assert w.workspace.current == "train" and w.search.ui.dock.isVisible()
    qtbot.waitUntil(lambda: any(type(e).__name__ == "TrialEpoch" for e in seen), timeout=RUN_TIMEOUT)
    w.close()  # the worker stops its trial; it is queued again
    journal = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(tmp_path / "runs" / "s.optuna-journal")))
    qtbot.waitUntil(lambda: any(t.state.name == "WAITING" for t in
                                optuna.load_study(study_name="s", storage=journal).get_trials()), timeout=60_000)
    w2 = make_window(copy)
    w2.search.ui.show_dock()
    wait = w2.search
    qtbot.waitUntil(lambda: wait.look is not None and wait.look.exists, timeout=60_000)
    assert w2.search.ui.panel.start_button.text() == "Resume"
    w2.search.set_workers(1)
    assert w2.search.start()
    qtbot.waitUntil(lambda: w2.search.last_finish is not None, timeout=RUN_TIMEOUT * 2)
    assert w2.search.last_finish.reason == "completed"
    trials = optuna.load_study(study_name="s", storage=journal).get_trials()
    assert sum(t.state.name == "COMPLETE" for t in trials) == 2
    assert any(t.user_attrs.get("requeued_from") == 0 for t in trials if t.state.name == "COMPLETE")
