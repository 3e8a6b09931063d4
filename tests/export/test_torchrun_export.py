"""torchrun export: the script's data is GraphLab's data, one process reproduces `graphlab train`, and
two processes under torchrun (gloo, CPU) train the same model as full-batch training in one process."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import graphlab
from graphlab.cli import main
from graphlab.core import Graph
from graphlab.export import ExportError
from graphlab.export.torchrun import export_torchrun
from graphlab.run.config import parse_training, with_overrides
from graphlab.run.datasets import build_dataset
from graphlab.run.trainer import train

from .conftest import import_script


def _chain(name: str, input_shape: list[int], layers: list[tuple[str, dict]], training: dict) -> Graph:
    g = Graph(name)
    g.add_node("Input", {"shape": input_shape}, node_id="x")
    prev = "x"
    for i, (t, p) in enumerate(layers):
        nid = f"{t.lower()}{i}"
        g.add_node(t, p, node_id=nid)
        g.connect(prev, nid)
        prev = nid
    g.set_training(training)
    return g


def spiral_net(**training) -> Graph:
    base = {"dataset": {"name": "spiral"}, "optimizer": {"name": "sgd", "lr": 1.0},
            "regularization": {"l2": 1e-3}, "batch_size": "full", "val_fraction": 0.0, "epochs": 20}
    return _chain("Spiral MLP", [2], [("Linear", {"out_features": 100}), ("ReLU", {}), ("Linear", {"out_features": 3}),
                                      ("CrossEntropyLoss", {})], {**base, **training})


def _save(graph: Graph, folder: Path, stem: str) -> Path:
    path = folder / f"{stem}.graphlab.json"
    graphlab.save(graph, path)
    return path


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


DATASET_GRAPHS = {
    "spiral": lambda: _chain("s", [2], [("Linear", {"out_features": 4}), ("CrossEntropyLoss", {})],
                             {"dataset": {"name": "spiral", "classes": 4, "points": 30, "noise": 0.3, "seed": 2},
                              "preprocess": "standardize", "val_fraction": 0.25}),
    "digits": lambda: _chain("d", [1, 8, 8], [("Flatten", {}), ("Linear", {"out_features": 10}),
                                              ("CrossEntropyLoss", {})],
                             {"dataset": "digits", "preprocess": "per_channel_mean"}),
    "digits28": lambda: _chain("d28", [1, 28, 28], [("Flatten", {}), ("Linear", {"out_features": 10}),
                                                    ("CrossEntropyLoss", {})],
                               {"dataset": {"name": "digits", "size": 28}, "val_fraction": 0.1}),
    "adding": lambda: _chain("a", [10, 2], [("LSTM", {"hidden_size": 4}), ("Linear", {"out_features": 1}),
                                            ("MSELoss", {})],
                             {"dataset": {"name": "adding", "length": 10, "samples": 200, "seed": 3},
                              "preprocess": "mean_image", "val_fraction": 0.1, "test_fraction": 0.2}),
    "sine": lambda: _chain("n", [12, 1], [("GRU", {"hidden_size": 4}), ("Linear", {"out_features": 1}),
                                          ("MSELoss", {})],
                           {"dataset": {"name": "sine", "length": 12, "samples": 100, "noise": 0.1, "seed": 1}}),
}


@pytest.mark.parametrize("name", sorted(DATASET_GRAPHS))
def test_script_builds_graphlabs_dataset(name: str, tmp_path: Path) -> None:
    graph = DATASET_GRAPHS[name]()
    src = _save(graph, tmp_path, name)
    out = tmp_path / f"{name}_torchrun.py"
    assert export_torchrun(graph, out, source=src) == [out]
    got = import_script(out).load_data()
    data = build_dataset(parse_training(graph.training), tmp_path)
    for g, w in zip(got, (data.x_train, data.y_train, data.x_val, data.y_val), strict=False):
        assert g.dtype == w.dtype and torch.equal(g, w)


def test_user_file_data_travels_beside_the_script(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "points.npz", X=rng.normal(size=(40, 3)).astype(np.float32), y=rng.integers(0, 2, 40))
    graph = _chain("npz", [3], [("Linear", {"out_features": 2}), ("CrossEntropyLoss", {})],
                   {"dataset": {"name": "npz", "path": "points.npz"}, "preprocess": "standardize"})
    src = _save(graph, tmp_path, "npz")
    out = tmp_path / "sub" / "npz_torchrun.py"
    out.parent.mkdir()
    written = export_torchrun(graph, out, source=src)
    assert written == [out, out.with_name("npz_torchrun_data.pt")]
    got = import_script(out).load_data()
    data = build_dataset(parse_training(graph.training), tmp_path)
    for g, w in zip(got, (data.x_train, data.y_train, data.x_val, data.y_val), strict=False):
        assert torch.equal(g, w)


def _epochs(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_one_process_reproduces_graphlab_train(tmp_path: Path) -> None:
    """Dropout, augmentation, minibatches, momentum, schedule, l1 + l2 and clipping: same losses, same weights."""
    graph = _chain("Digits CNN", [1, 8, 8],
                   [("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("ReLU", {}), ("Flatten", {}),
                    ("Dropout", {"p": 0.3}), ("Linear", {"out_features": 10}), ("CrossEntropyLoss", {})],
                   {"dataset": "digits", "optimizer": {"name": "nesterov", "lr": 0.05},
                    "schedule": {"name": "step", "step_size": 1, "gamma": 0.5},
                    "regularization": {"l2": 1e-4, "l1": 1e-5}, "clip_grad_norm": 1.0, "init": "kaiming",
                    "augment": {"hflip": True, "crop_padding": 1, "color_jitter": 0.2},
                    "batch_size": 128, "epochs": 2, "seed": 4, "threads": 1})
    src = _save(graph, tmp_path, "digits_cnn")
    assert main(["export", str(src), "--to", "torchrun"]) == 0
    script = tmp_path / "digits_cnn_torchrun.py"
    _run([sys.executable, str(script), "--out", str(tmp_path / "script")], tmp_path)
    fin, _ = train(graph, base_dir=tmp_path, out_dir=tmp_path / "trainer")
    assert fin.reason == "completed"
    mine, theirs = _epochs(tmp_path / "script" / "metrics.jsonl"), _epochs(tmp_path / "trainer" / "metrics.jsonl")
    assert len(mine) == len(theirs) == 2
    for a, b in zip(mine, theirs, strict=False):
        for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-6), key
    from graphlab.run.checkpoint import read_weights

    want = read_weights(tmp_path / "trainer" / "last.safetensors")
    got = torch.load(tmp_path / "script" / "weights.pt", weights_only=True)
    assert set(got) == set(want)
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_torchrun_two_processes_trains(tmp_path: Path) -> None:
    """Two gloo ranks, each with half of every full batch: DDP's averaged gradient is the full-batch
    gradient, so the result must match single-process full-batch training by GraphLab's trainer."""
    graph = spiral_net(epochs=15)
    src = _save(graph, tmp_path, "spiral")
    assert main(["export", str(src), "--to", "torchrun", "-o", str(tmp_path / "train_spiral.py")]) == 0
    r = _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
              str(tmp_path / "train_spiral.py"), "--out", str(tmp_path / "ddp")], tmp_path, timeout=180)
    text = r.stdout + r.stderr
    sums = dict(re.findall(r"rank (\d)/2 done: weights checksum (\S+)", text))
    assert set(sums) == {"0", "1"}, text
    assert sums["0"] == sums["1"], "the ranks ended with different weights"
    init = float(re.search(r"loss at initialisation (\S+)", text).group(1))
    epochs = _epochs(tmp_path / "ddp" / "metrics.jsonl")
    assert len(epochs) == 15
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"] < init + 0.1
    assert epochs[-1]["train_loss"] < 0.85 * init
    got = torch.load(tmp_path / "ddp" / "weights.pt", weights_only=True)
    gm = graphlab.compile(graph)
    gm.load_state_dict(got, strict=True)
    assert float(sum(v.double().sum() for v in got.values())) == pytest.approx(float(sums["0"]), rel=1e-9)
    fin, _ = train(graph, with_overrides(parse_training(graph.training), epochs=15), out_dir=tmp_path / "one")
    from graphlab.run.checkpoint import read_weights

    want = read_weights(tmp_path / "one" / "last.safetensors")
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=1e-4, atol=1e-5)
    assert epochs[-1]["train_loss"] == pytest.approx(_epochs(tmp_path / "one" / "metrics.jsonl")[-1]["train_loss"],
                                                     rel=1e-4)


def test_checks_before_writing(tmp_path: Path, capsys) -> None:
    bad_fit = _chain("wrong", [5], [("Linear", {"out_features": 3}), ("CrossEntropyLoss", {})], {"dataset": "spiral"})
    with pytest.raises(ExportError, match=r"^x\.shape: .*\[2\]"):
        export_torchrun(bad_fit, tmp_path / "a.py")
    no_loss = _chain("noloss", [2], [("Linear", {"out_features": 3})], {})
    with pytest.raises(ExportError, match="no loss"):
        export_torchrun(no_loss, tmp_path / "b.py")
    bad_cfg = spiral_net(optimizer={"name": "sgd", "lr": -1})
    with pytest.raises(ExportError, match=r"training\.optimizer\.lr"):
        export_torchrun(bad_cfg, tmp_path / "c.py")
    missing = _chain("m", [3], [("Linear", {"out_features": 2}), ("CrossEntropyLoss", {})],
                     {"dataset": {"name": "npz", "path": "nowhere.npz"}})
    src = _save(missing, tmp_path, "m")
    assert main(["export", str(src), "--to", "torchrun"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nowhere.npz" in err[0]
    folder = _chain("f", [3, 4, 4], [("Flatten", {}), ("Linear", {"out_features": 2}), ("CrossEntropyLoss", {})],
                    {"dataset": {"name": "image_folder", "path": "imgs"}})
    with pytest.raises(ExportError, match="image folder"):
        export_torchrun(folder, tmp_path / "d.py", source=tmp_path / "f.graphlab.json")
    assert not list(tmp_path.glob("*.py"))


def test_weights_start_the_run(tmp_path: Path) -> None:
    graph = spiral_net(epochs=1)
    gm = graphlab.compile(graph, seed=8)
    torch.save(gm.state_dict(), tmp_path / "start.pt")
    out = tmp_path / "s.py"
    written = export_torchrun(graph, out, weights=tmp_path / "start.pt")
    assert written == [out, tmp_path / "s_init.pt"]
    mod = import_script(out)
    model = mod.SpiralMLP(seed=0)
    model.load_state_dict(torch.load(mod.INIT_WEIGHTS, weights_only=True))
    for k, v in gm.state_dict().items():
        assert torch.equal(model.state_dict()[k], v)
