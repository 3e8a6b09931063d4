"""A real search on one machine: Optuna's journal file beside the graph, 2 warm worker processes, 20 spiral
trials, each a normal run folder; then --best (retrained to 1e-6), refine, ensemble, export and test.

Oracles: Optuna reading back its own storage (a JournalStorage opened here, independently of the
command), `graphlab train` on the written graph, and torch computing the members' softmax average.
"""
from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import optuna
import pytest
import torch

from graphlab.run.runs import read_run, read_metrics
from tests.search.helpers import gl, spiral_doc, write

pytestmark = pytest.mark.slow


def storage_of(folder: Path) -> optuna.storages.JournalStorage:
    return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(
        str(folder / "runs" / "spiral.optuna-journal")))


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """20 trials of the spiral on 2 workers, through the command line (--json)."""
    folder = tmp_path_factory.mktemp("journal")
    doc = spiral_doc()
    doc["training"]["test_fraction"] = 0.2
    path = write(folder / "spiral.graphlab.json", doc)
    r = gl("search", path, "--workers", 2, "--json", timeout=600)
    assert r.returncode == 0, r.stderr + r.stdout
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    study = optuna.load_study(study_name="spiral", storage=storage_of(folder))
    return folder, path, lines, study


def test_twenty_trials_on_two_workers_each_recorded_once_and_some_pruned(searched):
    folder, _, lines, study = searched
    summary = lines[-1]
    assert set(summary) == {"study", "storage", "best", "trials"}
    assert summary["study"] == "spiral" and summary["storage"] == str(folder / "runs" / "spiral.optuna-journal")
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(20))
    assert {t.state.name for t in trials} <= {"COMPLETE", "PRUNED"}
    assert sum(t.state.name == "PRUNED" for t in trials) >= 1
    assert len({t.user_attrs["pid"] for t in trials}) == 2  # both workers ran trials
    finished = [x for x in lines[:-1] if x["event"] == "TrialFinished"]
    assert sorted(x["number"] for x in finished) == list(range(20))  # each reported once
    by_number = {t.number: t for t in trials}
    for row in summary["trials"]:  # --json says what the storage holds
        t = by_number[row["number"]]
        assert row["state"] == t.state.name and row["params"] == t.params and row["run"] == t.user_attrs["run"]
        assert row["value"] == (t.value if t.state.name == "COMPLETE" else None)
        assert set(row["params"]) == {"training.optimizer.lr", "training.regularization.l2", "fc1.out_features"}
    best = max((t for t in trials if t.state.name == "COMPLETE"), key=lambda t: (t.value, -t.number))
    assert summary["best"] == {"number": best.number, "value": best.value, "params": best.params}


def test_parameter_importance_covers_every_key(searched):
    from graphlab.search.study import param_importances

    _, _, _, study = searched
    imp = param_importances(study)
    assert set(imp) == {"training.optimizer.lr", "training.regularization.l2", "fc1.out_features"}
    assert abs(sum(imp.values()) - 1) < 1e-6 and list(imp.values()) == sorted(imp.values(), reverse=True)


def test_each_trial_is_a_normal_run_folder_with_its_seed(searched):
    _, path, _, study = searched
    for t in study.get_trials():
        run = Path(t.user_attrs["run"])
        info = read_run(run)
        assert info is not None and info.source == str(path.resolve())
        assert info.status == ("completed" if t.state.name == "COMPLETE" else "stopped")
        assert (run / "last.safetensors").is_file() and (run / "graph.graphlab.json").is_file()
        rows, skipped = read_metrics(run / "metrics.jsonl")
        assert not skipped and [d["epoch"] for _, d in rows] == list(range(1, len(rows) + 1))
        assert {int(k) for k in t.intermediate_values} <= {d["epoch"] for _, d in rows}
        for _, d in rows:  # what was reported for pruning is the run's own validation accuracy
            if d["epoch"] in t.intermediate_values:
                assert t.intermediate_values[d["epoch"]] == d["val_acc"]
        assert t.user_attrs["seed"] == t.number and info.config["seed"] == t.number
        assert info.config["regularization"]["l2"] == t.params["training.regularization.l2"]
        if t.state.name == "PRUNED":
            assert info.epochs == max(t.intermediate_values) < 200
        else:
            assert info.final["val_acc"] == t.value and info.epochs == 200


def test_best_trial_retrained_reproduces_its_value(searched, tmp_path):
    folder, path, _, study = searched
    out = tmp_path / "best.graphlab.json"
    r = gl("search", path, "--best", "-o", out)
    assert r.returncode == 0, r.stderr
    r = gl("train", out, "--json", "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr
    final = json.loads(r.stdout.splitlines()[-1])["final"]
    assert abs(final["val_acc"] - study.best_value) <= 1e-6
    best = study.best_trial
    trained = json.loads((tmp_path / "run" / "run.json").read_text())["config"]
    assert trained["seed"] == best.user_attrs["seed"] and trained["optimizer"]["lr"] == best.params["training.optimizer.lr"]


def test_refine_narrows_every_range_to_the_span_of_the_top_trials(searched):
    folder, path, _, study = searched
    r = gl("search", path, "--refine", "--top", 5, "--trials", 2, "--workers", 1, timeout=600)
    assert r.returncode == 0, r.stderr + r.stdout
    top = sorted((t for t in study.get_trials() if t.state.name == "COMPLETE"), key=lambda t: (-t.value, t.number))[:5]
    refined = optuna.load_study(study_name="spiral-refine", storage=storage_of(folder))
    section = refined.user_attrs["graphlab"]["search"]
    assert section["epochs"] == 400  # twice the coarse stage's
    for key, dist in section["space"].items():
        values = [t.params[key] for t in top]
        (kind, args), = dist.items()
        if kind == "choice":
            assert set(args) == set(values)
        else:
            assert kind == spiral_doc()["search"]["space"][key].keys().__iter__().__next__()
            assert args == [min(values), max(values)]
    assert len(refined.get_trials()) == 2
    for t in refined.get_trials():
        for key, dist in section["space"].items():
            (kind, args), = dist.items()
            v = t.params[key]
            assert v in args if kind == "choice" else args[0] <= v <= args[1]


def _softmax_average(runs: list[str], x: torch.Tensor) -> torch.Tensor:
    """The ensemble computed here, from the run folders alone."""
    import graphlab
    from graphlab.run.checkpoint import read_weights

    probs = []
    for run in runs:
        gm = graphlab.compile(graphlab.load(Path(run) / "graph.graphlab.json"))
        gm.load_state_dict(read_weights(Path(run) / "last.safetensors"))
        gm.eval()
        with torch.no_grad():
            probs.append(torch.softmax(gm(x).double(), 1))
    return torch.stack(probs).mean(0)


#: a refined stage, as the course would have it after a coarse search: narrow ranges, longer training; a
#: seeded sampler on one worker, so the same six trials every time (on validation the best member was
#: picked by that same validation set, so an ensemble of near-ceiling models can fall one sample short of
#: it in some draws; docs/search.md says so — judge the two on test)
REFINED = {"space": {"training.optimizer.lr": {"log_uniform": [0.01, 0.03]},
                     "training.regularization.l2": {"log_uniform": [1e-5, 1e-4]},
                     "fc1.out_features": {"choice": [50, 100]}},
           "trials": 6, "epochs": 300, "pruning": False, "seed": 0}


def test_ensemble_of_the_top_three_and_its_export(tmp_path):
    doc = spiral_doc(search=REFINED)
    doc["training"]["dataset"]["points"] = 100
    doc["training"]["optimizer"] = {"name": "adam", "lr": 0.01}
    path = write(tmp_path / "spiral.graphlab.json", doc)
    r = gl("search", path, "--workers", 1, "--json", timeout=600)
    assert r.returncode == 0, r.stderr + r.stdout
    study = optuna.load_study(study_name="spiral", storage=storage_of(tmp_path))
    r = gl("search", path, "--ensemble", 3, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    top = sorted((t for t in study.get_trials() if t.state.name == "COMPLETE"), key=lambda t: (-t.value, t.number))[:3]
    assert [m["number"] for m in report["members"]] == [t.number for t in top]
    for m, t in zip(report["members"], top):
        assert math.isclose(m["val_acc"], t.value, abs_tol=1e-9)  # the member's own validation figure
    assert report["best_single"]["val_acc"] == max(m["val_acc"] for m in report["members"])
    assert report["ensemble"]["val_acc"] >= report["best_single"]["val_acc"]

    out = tmp_path / "spiral_ensemble.py"
    r = gl("export", path, "--ensemble", 3, "-o", out)
    assert r.returncode == 0, r.stderr
    spec = importlib.util.spec_from_file_location("spiral_ensemble", out)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.Ensemble()
    mod.load_weights(model, str(out.with_suffix(".pt")))
    model.eval()
    x = torch.randn(64, 2)
    with torch.no_grad():
        got = model(x).double()
    want = _softmax_average([m["run"] for m in report["members"]], x)
    assert torch.allclose(got, want, atol=1e-6)
    assert mod.MEMBER_RUNS == [m["run"] for m in report["members"]]


def test_evaluate_on_test_is_recorded_and_a_second_time_warns(searched):
    _, _, _, study = searched
    run = study.best_trial.user_attrs["run"]
    r = gl("evaluate", run, "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["n"] == 36 and 0 <= rep["test_acc"] <= 1 and rep["warnings"] == [] and "warning" not in r.stderr
    record = json.loads((Path(run) / "test.json").read_text())["evaluations"]
    assert len(record) == 1 and record[0]["acc"] == rep["test_acc"]
    r = gl("evaluate", run)
    assert r.returncode == 0 and "no longer an unbiased estimate" in r.stderr
    assert len(json.loads((Path(run) / "test.json").read_text())["evaluations"]) == 2
