"""Sizes that cannot fit (issue 8, item 6): each node's bytes from the analysis; train and export
refuse before allocating, naming the node and the sizes; dataset and training numbers are bounded;
an allocation that still fails names its node. Never a traceback."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

import graphlab
from graphlab.cli import main
from graphlab.core import memory
from graphlab.core.memory import fmt_bytes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def cli(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _file(tmp_path: Path, nodes: list[dict], training: dict | None = None, name: str = "g") -> Path:
    ids = [n["id"] for n in nodes]
    doc = {"graphlab": 1, "name": name, "nodes": nodes, "edges": [{"from": a, "to": b} for a, b in zip(ids, ids[1:])],
           "training": training if training is not None else {"dataset": {"name": "adding", "samples": 20,
                                                                          "length": 2}}}
    path = tmp_path / f"{name}.graphlab.json"
    path.write_text(json.dumps(doc))
    return path


def _seq(*layers: dict) -> list[dict]:
    """Input [2, 2] (the adding problem) -> layers -> MSELoss."""
    return ([{"id": "x", "type": "Input", "params": {"shape": [2, 2]}}] + list(layers)
            + [{"id": "loss", "type": "MSELoss"}])


def test_each_node_reports_its_bytes_as_torch_counts_them(capsys) -> None:
    graph = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    a = graphlab.analyze(graph)
    gm = graphlab.compile(graph)
    outputs: dict[str, torch.Size] = {}
    for nid, name in gm.meta["graphlab"].module_names.items():
        gm.get_submodule(name).register_forward_hook(lambda m, i, o, nid=nid: outputs.__setitem__(nid, o.shape))
        params = sum(p.numel() * p.element_size() for p in gm.get_submodule(name).parameters())
        assert a.nodes[nid].param_bytes == params, nid
    gm(torch.zeros(1, *a.nodes["x"].shape) if "x" in a.nodes else torch.zeros(1, 1, 28, 28))
    for nid, shape in outputs.items():
        assert a.nodes[nid].activation_bytes == 4 * math.prod(shape[1:]), nid
    code, out, _ = cli(capsys, "check", EXAMPLES / "lenet5.graphlab.json", "--json")
    nodes = json.loads(out)["nodes"]
    assert all(nodes[n]["param_bytes"] == a.nodes[n].param_bytes for n in nodes)
    assert all(nodes[n]["activation_bytes"] == a.nodes[n].activation_bytes for n in nodes)
    code, out, _ = cli(capsys, "check", EXAMPLES / "lenet5.graphlab.json")
    assert f"weights {fmt_bytes(4 * 61_706)}" in out


HUGE = [
    ("Linear 1e9 on 1e4 inputs", [{"id": "flat", "type": "Flatten"}, {"id": "wide", "type": "Linear",
                                                                       "params": {"out_features": 10000}},
                                  {"id": "big", "type": "Linear", "params": {"out_features": 10 ** 9}},
                                  {"id": "out", "type": "Linear", "params": {"out_features": 1}}], "big", "weights"),
    ("LSTM 1e6 hidden", [{"id": "lstm", "type": "LSTM", "params": {"hidden_size": 10 ** 6}},
                         {"id": "out", "type": "Linear", "params": {"out_features": 1}}], "lstm", "weights"),
]


@pytest.mark.parametrize("case, layers, node, what", HUGE, ids=[c[0] for c in HUGE])
def test_train_refuses_what_cannot_fit_before_allocating(case, layers, node, what, tmp_path, capsys) -> None:
    path = _file(tmp_path, _seq(*layers))
    code, _, err = cli(capsys, "train", path, "--epochs", 1, "--out", tmp_path / "run")
    assert code == 1
    line = err.strip()
    assert "\n" not in line and f": {node}: its {what} need" in line and "memory available" in line
    assert not (tmp_path / "run" / "last.safetensors").exists()


def test_conv_padding_and_input_sizes_name_the_node(tmp_path, capsys) -> None:
    cases = {
        "conv": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
                 {"id": "conv", "type": "Conv2d", "params": {"out_channels": 1e9, "kernel_size": 3}}],
        "pad": [{"id": "x", "type": "Input", "params": {"shape": [1, 8, 8]}},
                {"id": "pad", "type": "Conv2d", "params": {"out_channels": 10 ** 5, "padding": 256}}],  # the maximum
        "x": [{"id": "x", "type": "Input", "params": {"shape": [10 ** 10, 10 ** 10, 10 ** 10]}}],
    }
    for node, nodes in cases.items():
        nodes = nodes + [{"id": "flat", "type": "Flatten"}, {"id": "fc", "type": "Linear", "params": {"out_features": 10}},
                         {"id": "loss", "type": "CrossEntropyLoss"}]
        path = _file(tmp_path, nodes, {"dataset": "digits"}, name=node)
        a = graphlab.analyze(graphlab.load(path))
        assert a.ok, a.errors
        code, _, err = cli(capsys, "export", path, "--to", "onnx", "-o", tmp_path / "m.onnx")
        assert code == 1 and err.count("\n") == 1, err  # as train and step: the graph cannot be done
        largest = max(a.order, key=lambda n: a.nodes[n].param_bytes)  # fc, fed by the huge output
        assert err.startswith(f"graphlab: {path}: {largest}: its weights need"), err
        # training fails on the dataset's shape first, or on the sizes; either way one line, exit 1 or 2
        code, _, err = cli(capsys, "train", path, "--epochs", 1, "--out", tmp_path / "r")
        assert code in (1, 2) and err.count("\n") == 1, err


def test_every_command_refuses_a_graph_too_large_alike(tmp_path, capsys, monkeypatch) -> None:
    """train, step, gradcheck and export (onnx, python with --weights) refuse the same too-large graph
    the same way: exit 1 (the graph cannot be done), one line naming the file and the node."""
    path = _file(tmp_path, _seq({"id": "flat", "type": "Flatten"},
                                {"id": "fc1", "type": "Linear", "params": {"out_features": 1000}},
                                {"id": "fc2", "type": "Linear", "params": {"out_features": 1000}},
                                {"id": "out", "type": "Linear", "params": {"out_features": 1}}))
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"")  # never read: the size check comes first
    monkeypatch.setattr(memory, "available_bytes", lambda: 3 * 10 ** 6)  # the weights alone are 4 MB
    for argv in (("train", path, "--epochs", 1, "--out", tmp_path / "r"), ("step", path), ("gradcheck", path),
                 ("export", path, "--to", "onnx", "-o", tmp_path / "m.onnx"),
                 ("export", path, "--to", "python", "--weights", weights, "-o", tmp_path / "m.py")):
        code, _, err = cli(capsys, *argv)
        assert code == 1 and err.count("\n") == 1, (argv[0], err)
        assert err.startswith(f"graphlab: {path}: fc2: its weights need "), (argv, err)  # gradcheck: float64


def test_memory_refusal_is_measured_against_what_is_available(tmp_path, capsys, monkeypatch) -> None:
    """A model that fits a big machine is refused on a small one, with both sizes named."""
    path = _file(tmp_path, _seq({"id": "flat", "type": "Flatten"},
                                {"id": "fc1", "type": "Linear", "params": {"out_features": 1000}},
                                {"id": "fc2", "type": "Linear", "params": {"out_features": 1000}},
                                {"id": "out", "type": "Linear", "params": {"out_features": 1}}))
    monkeypatch.setattr(memory, "available_bytes", lambda: 5 * 10 ** 6)  # 5 MB free; weights + gradients: 8 MB
    code, _, err = cli(capsys, "train", path, "--epochs", 1, "--out", tmp_path / "r")
    assert code == 1 and "fc2: its weights need 4.0 MB (1,001,000 parameters)" in err and "5.0 MB" in err
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 ** 9)
    code, _, err = cli(capsys, "train", path, "--epochs", 1, "--out", tmp_path / "r")
    assert code == 0, err


def test_a_batch_too_large_names_the_widest_node(tmp_path, capsys, monkeypatch) -> None:
    path = _file(tmp_path, _seq({"id": "flat", "type": "Flatten"},
                                {"id": "wide", "type": "Linear", "params": {"out_features": 100_000}},
                                {"id": "out", "type": "Linear", "params": {"out_features": 1}}),
                 {"dataset": {"name": "adding", "samples": 2000, "length": 2}, "batch_size": "full"})
    monkeypatch.setattr(memory, "available_bytes", lambda: 600 * 10 ** 6)  # weights 2.4 MB ×2; a batch: 640 MB
    code, _, err = cli(capsys, "train", path, "--epochs", 1, "--out", tmp_path / "r")
    assert code == 1 and "wide: its output needs 400.0 KB per sample" in err and "batch_size" in err


def test_an_allocation_that_still_fails_names_the_node(tmp_path, capsys, monkeypatch) -> None:
    """With the check fooled (10^20 bytes 'available'), the allocator refuses 400 TB: one line, the node."""
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 ** 20)
    path = _file(tmp_path, _seq({"id": "flat", "type": "Flatten"},
                                {"id": "wide", "type": "Linear", "params": {"out_features": 10 ** 7}},
                                {"id": "huge", "type": "Linear", "params": {"out_features": 10 ** 7}},
                                {"id": "out", "type": "Linear", "params": {"out_features": 1}}))
    code, _, err = cli(capsys, "train", path, "--epochs", 1, "--out", tmp_path / "r")
    assert code == 1 and err.count("\n") == 1 and ": huge: cannot build the Linear layer (out of memory" in err
    code, _, err = cli(capsys, "export", path, "--to", "onnx", "-o", tmp_path / "m.onnx")
    assert code == 1 and err.startswith(f"graphlab: {path}: huge: cannot build the Linear layer"), err


@pytest.mark.parametrize("training, field", [
    ({"dataset": "spiral", "threads": 1e30}, "training.threads"),
    ({"dataset": "spiral", "threads": 10 ** 30}, "training.threads"),
    ({"dataset": "digits", "augment": {"crop_padding": 1e9}}, "training.augment.crop_padding"),
    ({"dataset": {"name": "digits", "size": 1e5}}, "training.dataset.size"),
    ({"dataset": {"name": "spiral", "points": 1e9}}, "training.dataset.points"),
    ({"dataset": {"name": "spiral", "classes": 10 ** 6}}, "training.dataset.classes"),
    ({"dataset": {"name": "adding", "samples": 1e9}}, "training.dataset.samples"),
    ({"dataset": {"name": "sine", "length": 10 ** 9}}, "training.dataset.length"),
    ({"dataset": {"name": "spiral", "seed": 2 ** 70}}, "training.dataset.seed"),
    ({"dataset": "spiral", "seed": 2 ** 70}, "training.seed"),
    ({"dataset": "spiral", "epochs": 10 ** 12}, "training.epochs"),
    ({"dataset": {"name": "image_folder", "path": "x", "size": [10 ** 6, 10]}}, "training.dataset.size"),
    ({"dataset": "spiral", "optimizer": {"name": "sgd", "lr": 10 ** 400}}, "training.optimizer.lr"),
])
def test_training_numbers_have_bounds(training, field, tmp_path, capsys) -> None:
    path = tmp_path / "g.graphlab.json"
    doc = json.loads((EXAMPLES / "spiral_linear.graphlab.json").read_text())
    doc["training"] = training
    path.write_text(json.dumps(doc))
    for cmd in (["train", path, "--epochs", 1, "--out", tmp_path / "r"], ["export", path, "--to", "torchrun"]):
        code, _, err = cli(capsys, *cmd)
        assert code == 2 and err.count("\n") == 1, err
        assert f"{field}: must be" in err or f"{field}: the number is out of range" in err, err  # 10**400: at load
        assert len(err) < 300


def test_a_built_in_dataset_too_large_for_memory_is_refused_before_it_is_made(tmp_path, capsys, monkeypatch) -> None:
    path = _file(tmp_path, _seq({"id": "flat", "type": "Flatten"}, {"id": "out", "type": "Linear",
                                                                     "params": {"out_features": 1}}),
                 {"dataset": {"name": "adding", "samples": 1_000_000, "length": 2}})
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 ** 6)
    code, _, err = cli(capsys, "train", path, "--epochs", 1, "--out", tmp_path / "r")
    assert code == 1 and "dataset adding needs about 40.0 MB to make" in err and "1.0 MB" in err


def test_available_memory_reads_meminfo_and_cgroups(tmp_path, monkeypatch) -> None:
    info = tmp_path / "meminfo"
    info.write_text("MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    7000000 kB\n")
    assert memory._meminfo_available(str(info)) == 7_000_000 * 1024
    assert memory._meminfo_available(str(tmp_path / "none")) is None
    cg = tmp_path / "cg"
    cg.mkdir()
    (cg / "memory.max").write_text("2000000000\n")
    (cg / "memory.current").write_text("500000000\n")
    assert memory._cgroup_free(str(cg)) == 1_500_000_000
    (cg / "memory.max").write_text("max\n")
    assert memory._cgroup_free(str(cg)) is None
    monkeypatch.setattr(memory, "_meminfo_available", lambda: 7 * 10 ** 9)
    monkeypatch.setattr(memory, "_cgroup_free", lambda: 10 ** 9)
    assert memory.available_bytes() == 10 ** 9  # the container's limit is the smaller
    monkeypatch.setattr(memory, "_meminfo_available", lambda: None)
    monkeypatch.setattr(memory, "_cgroup_free", lambda: None)
    monkeypatch.setattr(memory, "_sysconf", lambda name: None)
    assert memory.available_bytes() == memory.FALLBACK_BYTES
    assert memory.available_bytes.__module__ == "graphlab.core.memory"


def test_fmt_bytes() -> None:
    assert [fmt_bytes(n) for n in (0, 999, 1000, 1_234_567, 4 * 10 ** 12, 10 ** 18, 4 * 10 ** 30, 10 ** 400)] == [
        "0 bytes", "999 bytes", "1.0 KB", "1.2 MB", "4.0 TB", "1.0e+18 bytes", "4.0e+30 bytes", "1.0e+400 bytes"]


def test_on_a_gpu_the_check_uses_its_free_memory_and_counts_the_dataset(monkeypatch) -> None:
    """No GPU here: torch.cuda.mem_get_info is replaced; the check's arithmetic is what is tested."""
    from graphlab.run.config import parse_training
    from graphlab.run.datasets import build_dataset
    from graphlab.run.fits import check_training
    from graphlab.run.setup import SetupError

    graph = graphlab.load(EXAMPLES / "two_layer_net.graphlab.json")
    cfg = parse_training(graph.training)
    data = build_dataset(cfg)
    a = graphlab.analyze(graph)
    asked = []
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (asked.append(device) or 1000, 10 ** 12))
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 ** 12)  # plenty on the host: the GPU is the limit
    with pytest.raises(SetupError) as ei:
        check_training(a, cfg, data, torch.device("cuda", 0))
    assert asked == [torch.device("cuda", 0)] and ei.value.kind == "oom"
    assert "the dataset" in str(ei.value) and str(ei.value).endswith("on cuda:0")
    check_training(a, cfg, data, torch.device("cpu"))  # the host has room
