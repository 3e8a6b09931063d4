"""Many machines, one study: `graphlab search --worker` processes sharing a study on a real PostgreSQL server
(a throw-away one, tests/search/conftest.py). Oracle: Optuna reading back the database."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest

from tests.search.helpers import gl, spiral_doc, write

pytestmark = pytest.mark.slow


def start_worker(path, url, study, *extra):
    return subprocess.Popen([sys.executable, "-m", "graphlab", "search", str(path), "--worker", "--storage", url,
                             "--study", study, "--workers", "1", "--json", *map(str, extra)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_two_worker_processes_share_one_study(postgres_url, tmp_path):
    path = write(tmp_path / "s.graphlab.json", spiral_doc(search={**spiral_doc()["search"], "epochs": 40}))
    r = gl("search", path, "--storage", postgres_url, "--study", "shared", "--trials", 12, "--workers", 0)
    assert r.returncode == 0, r.stderr
    procs = [start_worker(path, postgres_url, "shared") for _ in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err + out
    finished = [[json.loads(x)["number"] for x in out.splitlines() if json.loads(x).get("event") == "TrialFinished"]
                for out, _ in outs]
    assert finished[0] and finished[1], "both workers ran trials"
    assert not set(finished[0]) & set(finished[1])
    study = optuna.load_study(study_name="shared", storage=postgres_url)
    trials = study.get_trials()
    numbers = [t.number for t in trials]
    # the two processes count the study's trials before asking for one: at the very end both may see room
    # for the last trial (docs/search.md)
    assert numbers == list(range(len(trials))) and 12 <= len(trials) <= 13
    assert sorted(finished[0] + finished[1]) == numbers  # each trial ran once, and each was recorded once
    assert {t.state.name for t in trials} <= {"COMPLETE", "PRUNED"}
    summary = json.loads(outs[0][0].splitlines()[-1])
    assert summary["storage"] == "postgresql://postgres@/postgres?host=" + postgres_url.split("host=")[1]
    assert sorted(t["number"] for t in summary["trials"]) == numbers


def test_a_killed_worker_fails_its_trial_and_the_study_completes(postgres_url, tmp_path):
    doc = spiral_doc(search={**spiral_doc()["search"], "epochs": 1500, "trials": 4, "pruning": False})
    path = write(tmp_path / "s.graphlab.json", doc)
    r = gl("search", path, "--storage", postgres_url, "--study", "killed", "--workers", 0)
    assert r.returncode == 0, r.stderr
    a = start_worker(path, postgres_url, "killed", "--heartbeat", 1)
    b = start_worker(path, postgres_url, "killed", "--heartbeat", 1)
    study = optuna.load_study(study_name="killed", storage=postgres_url)
    victim = None
    t0 = time.monotonic()
    while victim is None and time.monotonic() - t0 < 300:  # a trial of a's worker, mid-way
        for t in study.get_trials(states=(optuna.trial.TrialState.RUNNING,)):
            pid = t.user_attrs.get("pid")
            try:
                mine = pid is not None and os.getpgid(pid) == a.pid
            except ProcessLookupError:
                mine = False
            if mine and len(t.intermediate_values) >= 2:
                victim = t
        time.sleep(0.1)
    assert victim is not None, "worker a never ran a trial"
    os.killpg(a.pid, signal.SIGKILL)  # the process and its worker, as a machine that goes away
    a.communicate(timeout=60)
    out, err = b.communicate(timeout=600)
    assert b.returncode == 0, err + out
    trials = {t.number: t for t in study.get_trials()}
    assert trials[victim.number].state.name == "FAIL"
    assert len(trials) >= 4 and all(t.state.name in ("COMPLETE", "FAIL") for t in trials.values())
    assert not any(t.state.name == "RUNNING" for t in trials.values())
    summary = json.loads(out.splitlines()[-1])
    assert {t["number"]: t["state"] for t in summary["trials"]}[victim.number] == "FAIL"
