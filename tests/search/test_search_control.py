"""Driving a search headlessly (what a Search dock does): stop and resume where it stopped, a worker that dies,
pause; and the one-line refusals. Oracle: Optuna reading back its own journal file."""
from __future__ import annotations

import json
import os
import signal
import time

import optuna
import pytest

from graphlab.search import events as sev
from graphlab.search.process import SearchProcess
from graphlab.search.space import SearchError
from tests.search.helpers import main, spiral_doc, write

pytestmark = pytest.mark.slow

#: trials long enough to be caught in the middle
LONG = {"space": {"training.optimizer.lr": {"log_uniform": [0.3, 3.0]}, "fc1.out_features": {"choice": [20, 50]}},
        "trials": 2, "epochs": 1500, "pruning": False}


def drive(sp: SearchProcess, until=None, limit: float = 300) -> list:
    """Poll until the search finishes (or ``until(events)`` is true); every event seen."""
    seen: list = []
    t0 = time.monotonic()
    while sp.finished is None and time.monotonic() - t0 < limit:
        seen += sp.poll(timeout=0.1)
        if until is not None and until(seen):
            return seen
    assert sp.finished is not None or until is not None, "the search did not finish in time"
    return seen


def journal_study(folder, name="s"):
    return optuna.load_study(study_name=name, storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(folder / "runs" / f"{name}.optuna-journal"))))


def test_a_stopped_study_continues_where_it_stopped(tmp_path):
    path = write(tmp_path / "s.graphlab.json", spiral_doc(search=LONG))
    sp = SearchProcess(path, workers=1)
    sp.start()
    seen = drive(sp, until=lambda ev: any(isinstance(e, sev.TrialEpoch) and e.number == 0 for e in ev))
    sp.pause()
    time.sleep(0.5)
    before = len(journal_study(tmp_path).get_trials()[0].intermediate_values)
    time.sleep(1.0)  # paused: trial 0 makes no progress
    assert len(journal_study(tmp_path).get_trials()[0].intermediate_values) == before
    sp.resume()
    sp.stop()
    seen += drive(sp)
    assert sp.finished.reason == "stopped"
    assert [type(e) for e in seen if isinstance(e, (sev.Paused, sev.Resumed))] == [sev.Paused, sev.Resumed]
    stopped = [e for e in seen if isinstance(e, sev.TrialFinished) and e.state == "STOPPED"]
    assert [e.number for e in stopped] == [0]
    trials = journal_study(tmp_path).get_trials()
    cut = trials[0]
    assert cut.state.name == "FAIL" and cut.user_attrs["stopped"]
    again = [t for t in trials if t.state.name == "WAITING"]
    assert len(again) == 1 and again[0].user_attrs["seed"] == cut.user_attrs["seed"]

    sp = SearchProcess(path, workers=1)  # run the same study again: it goes on
    sp.start()
    drive(sp)
    assert sp.finished.reason == "completed"
    trials = journal_study(tmp_path).get_trials()
    done = [t for t in trials if t.state.name == "COMPLETE"]
    assert len(done) == 2 and len(trials) == 3  # the target, plus the stopped one that ran again
    rerun = next(t for t in done if t.user_attrs.get("requeued_from") == 0)
    assert rerun.params == cut.params and rerun.user_attrs["seed"] == cut.user_attrs["seed"]


def test_a_worker_that_dies_fails_its_trial_and_the_others_finish(tmp_path):
    path = write(tmp_path / "s.graphlab.json", spiral_doc(search={**LONG, "epochs": 400, "trials": 5}))
    sp = SearchProcess(path, workers=2)
    sp.start()
    seen = drive(sp, until=lambda ev: sum(isinstance(e, sev.WorkerReady) for e in ev) == 2
                 and any(isinstance(e, sev.TrialStarted) for e in ev))
    victim = next(e for e in seen if isinstance(e, sev.TrialStarted))
    pid = next(e.pid for e in seen if isinstance(e, sev.WorkerReady) and e.worker == victim.worker)
    os.kill(pid, signal.SIGKILL)
    seen += drive(sp)
    died = [e for e in seen if isinstance(e, sev.WorkerExited) and e.reason == "died"]
    assert len(died) == 1 and died[0].worker == victim.worker
    trials = {t.number: t for t in journal_study(tmp_path).get_trials()}
    killed = trials[died[0].trial]
    assert killed.state.name == "FAIL"
    assert sp.finished.reason == "completed" and len(trials) == 5
    assert all(t.state.name == "COMPLETE" for n, t in trials.items() if n != killed.number)


def test_refusals_are_one_line(capsys, tmp_path):
    path = write(tmp_path / "s.graphlab.json", spiral_doc())
    bad = spiral_doc()
    bad["search"]["space"]["training.optimizer.lr"] = {"log_uniform": [0, 1]}
    code, _, err = main(capsys, "search", write(tmp_path / "bad.graphlab.json", bad))
    assert code == 2 and err.count("\n") == 1
    assert 'search.space."training.optimizer.lr": log_uniform [0, 1] is a log range through 0' in err

    code, _, err = main(capsys, "search", path, "--storage", "postgresql://someone:secret@127.0.0.1:1/none")
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("graphlab: --storage: cannot reach the database at postgresql://someone:***@127.0.0.1:1/none: ")
    assert "secret" not in err

    SearchProcess(path, workers=1).close()  # creates the study "s" without running it
    other = spiral_doc()
    other["nodes"][2]["type"] = "Tanh"
    code, _, err = main(capsys, "search", write(tmp_path / "o.graphlab.json", other), "--study", "s",
                        "--storage", tmp_path / "runs" / "s.optuna-journal")
    assert code == 2 and err.count("\n") == 1 and "study 's'" in err and "searches another graph" in err

    code, _, err = main(capsys, "search", path, "--worker", "--storage", tmp_path / "runs" / "s.optuna-journal",
                        "--study", "nope")
    assert code == 2 and "there is no study 'nope'" in err
    code, _, err = main(capsys, "search", path, "--best", "-o", tmp_path / "b.json")
    assert code == 1 and "has no COMPLETE trial yet" in err
    code, _, err = main(capsys, "search", path, "--worker")  # argparse's refusal: main() returns its code
    assert code == 2 and "--worker joins an existing study" in err
    unfit = spiral_doc()
    unfit["nodes"][0]["params"]["shape"] = [3]
    code, _, err = main(capsys, "search", write(tmp_path / "u.graphlab.json", unfit), "--workers", 1)
    assert code == 1 and err.count("\n") == 1 and "x: Input shape 3 does not fit dataset spiral" in err
    nosec = spiral_doc()
    del nosec["search"]
    with pytest.raises(SearchError, match="has no search section"):
        SearchProcess(write(tmp_path / "n.graphlab.json", nosec))


def test_workers_zero_creates_the_study_and_show_lists_it(capsys, tmp_path):
    path = write(tmp_path / "s.graphlab.json", spiral_doc())
    code, out, _ = main(capsys, "search", path, "--workers", 0, "--trials", 3, "--json")
    assert code == 0
    summary = json.loads(out.splitlines()[-1])
    assert summary["study"] == "s" and summary["trials"] == [] and summary["best"] is None
    attrs = journal_study(tmp_path).user_attrs["graphlab"]
    assert attrs["target"] == 3 and attrs["search"]["space"] == spiral_doc()["search"]["space"]
    code, out, _ = main(capsys, "search", path, "--show")
    assert code == 0 and "best: no COMPLETE trial yet" in out
