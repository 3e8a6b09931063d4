"""Run folders: run.json, a graph file's earlier runs, their curves and weights."""
from __future__ import annotations

import json
import time

import pytest

import graphlab
from graphlab.run import events as ev
from graphlab.run.checkpoint import read_weights
from graphlab.run.runs import RunError, list_runs, load_curves, new_run_dir, read_run, weights_path
from graphlab.run.trainer import Trainer, train

from .test_trainer import SPIRAL_FULL, mlp


def test_each_run_leaves_run_json_and_the_file_lists_its_runs(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "val_fraction": 0.2, "epochs": 3}
    src = tmp_path / "net.graphlab.json"
    graphlab.save(g, src)
    other = tmp_path / "other.graphlab.json"
    graphlab.save(g, other)
    first = new_run_dir(src, when=1_000_000)
    assert first.parent == tmp_path / "runs" and first.name.startswith("net-")
    fin1, _ = train(g, out_dir=first, source=src)
    second = new_run_dir(src, when=1_000_000)
    assert second.name == first.name + "-2"  # same second: a fresh name
    g.training["optimizer"] = {"name": "sgd", "lr": 0.5}
    fin2, _ = train(g, out_dir=second, source=src)
    train(g, out_dir=new_run_dir(other), source=other)
    doc = json.loads((first / "run.json").read_text())
    assert doc["status"] == "completed" and doc["source"] == str(src.resolve()) and doc["epochs"] == 3
    assert doc["final"]["val_acc"] == pytest.approx(fin1.final["val_acc"]) and doc["config"]["epochs"] == 3
    runs = list_runs(src)
    assert [r.path for r in runs] == [first, second]
    assert runs[1].config["optimizer"]["lr"] == 0.5 and runs[0].final["train_loss"] == pytest.approx(
        fin1.final["train_loss"])
    curves = load_curves(runs[0])
    lines = [json.loads(x) for x in (first / "metrics.jsonl").read_text().splitlines()]
    assert curves["epoch"] == [1, 2, 3] and curves["val_loss"] == [x["val_loss"] for x in lines]
    assert weights_path(runs[1]) == second / "last.safetensors"
    assert set(read_weights(weights_path(runs[1]))) == {"fc1.weight", "fc1.bias", "scores.weight", "scores.bias"}
    assert [r.path.name for r in list_runs(other)] == [p.name for p in (tmp_path / "runs").glob("other-*")]


def test_a_stopped_and_a_failed_run_say_so(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 10_000}
    t = Trainer(g, out_dir=tmp_path / "a")
    for e in t.events():
        if isinstance(e, ev.Epoch) and e.epoch == 2:
            t.stop()
    assert read_run(tmp_path / "a").status == "stopped"
    g.training = {**SPIRAL_FULL, "epochs": 50, "optimizer": {"name": "sgd", "lr": 1e30}}
    train(g, out_dir=tmp_path / "b")
    doc = json.loads((tmp_path / "b" / "run.json").read_text())
    assert doc["status"] == "error" and ("NaN" in doc["error"] or "infinite" in doc["error"])


def test_older_and_broken_folders(tmp_path):
    src = tmp_path / "net.graphlab.json"
    legacy = tmp_path / "runs" / "net-20240101-000000"
    legacy.mkdir(parents=True)
    (legacy / "metrics.jsonl").write_text(json.dumps({"epoch": 1, "train_loss": 1.0, "val_loss": None}) + "\n"
                                          + "not json\n" + json.dumps({"epoch": 2, "train_loss": 0.5}) + "\n")
    broken = tmp_path / "runs" / "net-20240102-000000"
    broken.mkdir()
    (broken / "run.json").write_text("{ nope")
    (broken / "metrics.jsonl").write_text(json.dumps({"epoch": 1, "train_loss": 2.0}) + "\n")
    (tmp_path / "runs" / "empty").mkdir()
    runs = list_runs(src)
    assert [r.name for r in runs] == [legacy.name, broken.name]
    assert runs[0].status == "unknown" and runs[0].epochs == 2 and runs[0].final["train_loss"] == 0.5
    assert load_curves(legacy)["train_loss"] == [1.0, 0.5] and load_curves(legacy)["val_loss"] == [None, None]
    with pytest.raises(RunError, match="left no weights"):
        weights_path(legacy)
    assert list_runs(tmp_path / "nothing.graphlab.json", folder=tmp_path / "missing") == []
    weird = tmp_path / "runs" / "net-weird"
    weird.mkdir()
    (weird / "run.json").write_text(json.dumps({"status": 5, "epochs": "x", "final": [1], "source": None}))
    r = read_run(weird)
    assert (r.status, r.epochs, r.final) == ("unknown", 0, {})


def test_new_run_dir_uses_local_time(tmp_path):
    p = new_run_dir(tmp_path / "x.graphlab.json", when=0)
    assert p.name == "x-" + time.strftime("%Y%m%d-%H%M%S", time.localtime(0))


BAD_LINES = ['{"epoch": 1e999}', "[" * 20_000 + "]" * 20_000, '{"epoch": 1' + "0" * 5000 + "}", "not json",
             '{"epoch": true}', '{"epoch": -3}', "[1, 2]", '{"epoch": "2"}', "{" * 70_000]


def _tampered_run(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 2}
    src = tmp_path / "net.graphlab.json"
    graphlab.save(g, src)
    run = tmp_path / "run"
    train(g, out_dir=run, source=src)
    with open(run / "metrics.jsonl", "a", encoding="utf-8") as f:
        f.writelines(line + "\n" for line in BAD_LINES)
        f.write('{"epoch": 2, "train_loss": 0.5}\n')  # a good line after the bad ones still counts
    return g, src, run


def test_tampered_metrics_lines_are_skipped_with_the_file_and_line_named(tmp_path):
    """`{"epoch": 1e999}` gave an OverflowError traceback on resume; a deeply nested line a RecursionError
    in read_run / load_curves. One reader skips each bad line with a message naming file and line."""
    from graphlab.run.runs import read_metrics

    g, src, run = _tampered_run(tmp_path)
    rows, skipped = read_metrics(run / "metrics.jsonl")
    assert [d["epoch"] for _, d in rows] == [1, 2, 2]
    assert [m.split(": ", 1)[0] for m in skipped] == [f"{run / 'metrics.jsonl'} line {n}" for n in range(3, 12)]
    assert all(m.endswith("the line is skipped") and "\n" not in m for m in skipped)
    assert "nested too deeply" in skipped[1]
    (run / "run.json").unlink()  # read_run falls back to the metrics log
    info = read_run(run)
    assert info is not None and info.epochs == 2 and info.final["train_loss"] == 0.5
    assert load_curves(run)["epoch"] == [1, 2, 2]


def test_resuming_a_run_whose_log_was_tampered_warns_once_per_bad_line(tmp_path):
    from tests.fuzz.harness import assert_clean, run_cli

    g, src, run = _tampered_run(tmp_path)
    code, out, err = run_cli("train", src, "--epochs", 3, "--resume", run / "last.safetensors", "--out", run)
    assert_clean((code, out, err), codes=(0,))
    warnings = [line for line in err.splitlines() if "metrics.jsonl line" in line]
    assert len(warnings) == len(BAD_LINES) and "line 3: " in warnings[0], err
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 2, 3]  # the bad lines are gone, every good one is kept
