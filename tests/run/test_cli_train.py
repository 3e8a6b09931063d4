"""`graphlab train` as a user runs it: stdout/stderr, exit codes and files. In-process (the ``cli``
fixture); a real process for the smoke test and for Ctrl+C."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import graphlab
from tests.conftest import gl_subprocess


@pytest.fixture
def gl(cli):
    return cli


@pytest.mark.slow
def test_train_in_a_process(examples_dir, tmp_path):
    r = gl_subprocess("train", examples_dir / "spiral_linear.graphlab.json", "--epochs", 2, "--json", "--out",
                      tmp_path / "o")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["final"]["epochs"] == 2
    assert (tmp_path / "o" / "last.safetensors").is_file()


def test_json_lines_and_files(gl, examples_dir, tmp_path):
    r = gl("train", examples_dir / "digits_cnn.graphlab.json", "--epochs", 2, "--json", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["epoch"] for x in lines[:-1]] == [1, 2]
    final = lines[-1]["final"]
    assert set(final) == {"train_loss", "train_acc", "val_loss", "val_acc", "epochs", "seconds", "samples_per_s",
                          "gflops", "peak_gflops", "peak_percent"}
    assert final["gflops"] > 0 and 0 < final["peak_percent"] < 100  # a small net: a few % of the matmul peak
    assert final["epochs"] == 2 and 0 < final["train_acc"] <= 1 and final["val_acc"] == lines[1]["val_acc"]
    from graphlab.run.checkpoint import read_weights

    assert "conv1.weight" in read_weights(tmp_path / "o" / "last.safetensors")
    log = [json.loads(x) for x in (tmp_path / "o" / "metrics.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in log] == [1, 2]


def test_regression_has_null_accuracies_and_flags_override(gl, examples_dir, tmp_path):
    g = graphlab.load(examples_dir / "adding_lstm.graphlab.json")
    g.training["dataset"]["samples"] = 200
    graphlab.save(g, tmp_path / "a.graphlab.json")
    r = gl("train", tmp_path / "a.graphlab.json", "--epochs", 1, "--batch-size", 50, "--lr", 0.001, "--seed", 3,
           "--device", "cpu", "--json", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    final = json.loads(r.stdout.splitlines()[-1])["final"]
    assert final["train_acc"] is None and final["val_acc"] is None and final["epochs"] == 1
    assert json.loads(r.stdout.splitlines()[0])["lr"] == 0.001


def test_default_out_is_a_runs_folder_beside_the_file(gl, examples_dir, tmp_path):
    shutil.copy(examples_dir / "spiral_linear.graphlab.json", tmp_path / "s.graphlab.json")
    r = gl("train", "s.graphlab.json", "--epochs", 3, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "epoch   3/3" in r.stdout and "initial loss" in r.stdout
    (run,) = (tmp_path / "runs").iterdir()
    assert (run / "last.safetensors").is_file() and (run / "metrics.jsonl").is_file()


@pytest.mark.parametrize("args, code, words", [
    (["nope.graphlab.json"], 2, "no such file"),
    (["{ex}/digits_cnn.graphlab.json", "--lr", "-1"], 2, "--lr: must be > 0"),
    (["{ex}/digits_cnn.graphlab.json", "--epochs", "x"], 2, "invalid int value"),
    (["{ex}/resnet_block.graphlab.json"], 1, "out: the graph has no loss node"),
    (["{ex}/resnet18.graphlab.json"], 1, "does not fit dataset spiral"),  # no training section: the default
])
def test_errors_are_one_line_without_traceback(gl, examples_dir, tmp_path, args, code, words):
    r = gl("train", *[a.format(ex=examples_dir) for a in args], "--out", tmp_path / "o")
    assert r.returncode == code
    assert words in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_bad_training_section_names_the_field(gl, tmp_path):
    g = graphlab.load(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "spiral_linear.graphlab.json"))
    g.training["optimizer"] = {"name": "adam", "momentum": 0.9}
    graphlab.save(g, tmp_path / "b.graphlab.json")
    r = gl("train", tmp_path / "b.graphlab.json")
    assert r.returncode == 2 and "training.optimizer.momentum" in r.stderr


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT")
def test_ctrl_c_stops_cleanly_after_saving(examples_dir, tmp_path):
    g = graphlab.load(examples_dir / "spiral_two_layer.graphlab.json")
    g.training["epochs"] = 10_000_000
    graphlab.save(g, tmp_path / "long.graphlab.json")
    p = subprocess.Popen([sys.executable, "-m", "graphlab", "train", str(tmp_path / "long.graphlab.json"), "--json",
                          "--out", str(tmp_path / "o")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()  # the first epoch line: training is under way
    assert json.loads(first)["epoch"] >= 1
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "Traceback" not in err
    final = json.loads(out.splitlines()[-1])["final"]
    assert final["epochs"] >= 1
    from graphlab.run.checkpoint import read_checkpoint

    _, _, meta = read_checkpoint(tmp_path / "o" / "last.safetensors")
    assert int(meta["epoch"]) == final["epochs"]


def test_progress_bar_on_a_terminal(capsys):
    from graphlab.cli_run import _Progress
    from graphlab.run import events as ev

    bar = _Progress(tty=True)
    bar.start = ev.RunStarted("g", "spiral", "classification", 300, 0, 3, 10, "cpu", 4, 10, 1.1, 1.0986)
    bar.step(ev.Step(2, 15, 0.5, 1, 0.1, 0.75))
    bar.epoch(ev.Epoch(2, 0.5, 0.75, None, None, 0.1, 1.0, 1000.0))
    out = capsys.readouterr()
    assert "epoch 2/4 [" in out.err and "37.5%" in out.err and "loss 0.5000  acc 0.750" in out.err
    assert "epoch   2/4  loss 0.5000" in out.out and "acc 0.750" in out.out


def test_many_tiny_epochs_print_few_lines(gl, examples_dir, tmp_path):
    """Which epochs print depends on the epoch count only (not on the machine's speed): exactly these."""
    r = gl("train", examples_dir / "spiral_two_layer.graphlab.json", "--epochs", 600, "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    printed = [int(x.split()[1].split("/")[0]) for x in r.stdout.splitlines() if x.startswith("epoch")]
    assert printed == [1, *range(30, 601, 30)]


@pytest.mark.parametrize("start, epochs, want", [
    (0, 5, [1, 2, 3, 4, 5]), (0, 20, list(range(1, 21))), (0, 21, [1, *range(2, 21, 2), 21]),
    (0, 10000, [1, *range(500, 10001, 500)]), (2990, 3000, list(range(2991, 3001))),
])
def test_epoch_lines_are_chosen_by_count(capsys, start, epochs, want):
    from graphlab.cli_run import _Progress
    from graphlab.run import events as ev

    bar = _Progress(tty=False)
    bar.start = ev.RunStarted("g", "spiral", "classification", 300, 0, 3, 10, "cpu", epochs, 1, 1.1, 1.0986,
                              start_epoch=start)
    for e in range(start + 1, epochs + 1):
        bar.epoch(ev.Epoch(e, 0.5, 0.75, None, None, 0.1, 1.0, 1000.0))
    printed = [int(x.split()[1].split("/")[0]) for x in capsys.readouterr().out.splitlines()]
    assert printed == want


def test_the_closing_line_says_what_the_final_figures_are(gl, examples_dir, tmp_path):
    r = gl("train", examples_dir / "spiral_two_layer.graphlab.json", "--epochs", 30, "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    (line,) = [x for x in r.stdout.splitlines() if x.startswith("final (")]
    assert "whole training split" in line and "without the regularization term" in line and "train loss" in line
    last_epoch = [x for x in r.stdout.splitlines() if x.startswith("epoch")][-1]
    assert "loss" in last_epoch
    run = json.loads((tmp_path / "o" / "run.json").read_text())
    assert run["source"] == str(examples_dir / "spiral_two_layer.graphlab.json") and run["status"] == "completed"
