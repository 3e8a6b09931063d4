"""Running a study from the Search dock: Start, the table and the views filling in as trials finish,
Pause / Resume / Stop, and a stopped study resuming in a new window where it stopped. Oracle: Optuna
reading back the study's journal file."""
from __future__ import annotations

import optuna
import pytest

from graphlab.search.study import ranked, trial_rows
from tests.ui.search.helpers import RUN_TIMEOUT, study_doc, wait_idle, wait_looked, write_graph

pytestmark = pytest.mark.slow


def journal(folder, name="s"):
    return optuna.load_study(study_name=name, storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(folder / "runs" / f"{name}.optuna-journal"))))


def test_start_runs_the_study_and_the_dock_shows_it(make_host, tmp_path, qtbot, monkeypatch):
    import threading

    from graphlab.ui.search import jobs

    threads: set[str] = set()  # every touch of the storage or the SearchProcess: never the GUI thread

    def spy(fn):
        def wrapped(*args, **kwargs):
            threads.add(threading.current_thread().name)
            return fn(*args, **kwargs)
        return wrapped
    for name in ("look_job", "start_job", "poll_job", "rows_job", "importance_job"):
        monkeypatch.setattr(jobs, name, spy(getattr(jobs, name)))
    monkeypatch.setattr(jobs.StudyReader, "storage", spy(jobs.StudyReader.storage))
    path = write_graph(tmp_path, study_doc(trials=4, epochs=15))
    h = make_host(path)
    wait_looked(qtbot, h)
    assert not h.search.look.exists and h.panel.start_button.text() == "Start"
    assert h.panel.study_box.currentText() == "s (new)"
    states = []
    h.search.state_changed.connect(states.append)
    h.search.set_workers(2)
    assert h.search.start()
    qtbot.waitUntil(lambda: h.search.last_finish is not None, timeout=RUN_TIMEOUT)
    assert states[:2] == ["starting", "running"] and states[-1] == "idle"
    assert h.search.last_finish.reason == "completed"
    # the study read once more when it finished (a read during the run may still show trials running)
    qtbot.waitUntil(lambda: h.search.look is not None and h.search.look.exists and len(h.search.rows) == 4
                    and not any(r.state == "RUNNING" for r in h.search.rows), timeout=60_000)
    wait_idle(qtbot, h)
    study = journal(tmp_path)
    stored = trial_rows(study)
    assert sorted(r.number for r in h.search.rows) == sorted(r.number for r in stored)
    table = h.panel.table.trials
    assert table.rowCount() == 4
    assert sorted(table.number_at(i) for i in range(4)) == [0, 1, 2, 3]
    best = ranked(stored, h.search.spec())[0]
    assert table.best == best.number and h.panel.coords.best == best.number
    row = table.row_of(best.number)
    assert table.data(table.index(row, 2)) == f"{best.value:.4g}"
    assert table.data(table.index(row, 0), role=_font_role()).bold()
    assert h.panel.start_button.text() == "Start" and not h.panel.start_button.isEnabled()  # complete
    assert h.panel.study_box.currentText() == "s"
    assert threads == {"graphlab-worker"}, threads
    assert "optuna" in __import__("sys").modules  # (imported by the worker thread)


def _font_role():
    from PySide6.QtCore import Qt

    return Qt.ItemDataRole.FontRole


LONG = {"space": {"training.optimizer.lr": {"log_uniform": [0.3, 3.0]}, "fc1.out_features": {"choice": [20, 50]}},
        "trials": 2, "epochs": 1500, "pruning": False}


def test_pause_resume_stop_and_the_stopped_study_resumes_in_a_new_window(make_host, tmp_path, qtbot):
    path = write_graph(tmp_path, study_doc(**LONG))
    h = make_host(path)
    wait_looked(qtbot, h)
    seen = []
    h.search.events.connect(seen.extend)
    h.search.set_workers(1)
    assert h.search.start()
    qtbot.waitUntil(lambda: any(type(e).__name__ == "TrialEpoch" for e in seen), timeout=RUN_TIMEOUT)
    assert h.search.state == "running" and h.panel.pause_button.isEnabled() and h.panel.stop_button.isEnabled()
    h.panel.pause_button.click()
    qtbot.waitUntil(lambda: h.search.state == "paused", timeout=30_000)
    assert h.panel.pause_button.text() == "Resume"
    qtbot.wait(600)  # the pause reaches the trial between two steps
    before = len(journal(tmp_path).get_trials()[0].intermediate_values)
    qtbot.wait(1000)
    assert len(journal(tmp_path).get_trials()[0].intermediate_values) == before  # paused: no progress
    h.panel.pause_button.click()
    qtbot.waitUntil(lambda: h.search.state == "running", timeout=30_000)
    h.panel.stop_button.click()
    assert h.search.state == "stopping"
    qtbot.waitUntil(lambda: h.search.last_finish is not None, timeout=RUN_TIMEOUT)
    assert h.search.last_finish.reason == "stopped" and h.search.state == "idle"
    trials = journal(tmp_path).get_trials()
    cut = trials[0]
    assert cut.state.name == "FAIL" and cut.user_attrs["stopped"]
    assert [t.state.name for t in trials[1:]] == ["WAITING"]  # queued again with its values and seed
    qtbot.waitUntil(lambda: any(r.stopped for r in h.search.rows), timeout=60_000)
    assert "STOPPED" in [h.panel.table.trials.data(h.panel.table.trials.index(i, 1)) for i in range(len(h.search.rows))]
    h.close()

    again = make_host(path)  # the window was closed; the study lives in its journal file
    wait_looked(qtbot, again)
    assert again.search.look.exists and again.panel.start_button.text() == "Resume"
    assert again.panel.start_button.isEnabled()
    again.search.set_workers(1)
    assert again.search.start()
    qtbot.waitUntil(lambda: again.search.last_finish is not None, timeout=RUN_TIMEOUT * 2)
    assert again.search.last_finish.reason == "completed"
    trials = journal(tmp_path).get_trials()
    done = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(done) == 2
    rerun = next(t for t in done if t.user_attrs.get("requeued_from") == 0)
    assert rerun.params == cut.params and rerun.user_attrs["seed"] == cut.user_attrs["seed"]
