"""`graphlab check` reports what a network costs: per node and for a training step at --batch."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphlab.core import analyze
from graphlab.core.training_cost import training_cost
from graphlab.io import load

ROOT = Path(__file__).resolve().parents[2]
NODE_FIELDS = {"shape", "params", "param_bytes", "activation_bytes", "macs", "flops", "flops_backward", "other_ops",
               "saved_bytes", "rf"}


@pytest.fixture
def check(cli):  # type: ignore[no-untyped-def]
    """`graphlab check ARGS` in-process (tests/conftest.py's ``cli``), from the repository root."""
    return lambda *args: cli("check", *args, cwd=ROOT)


def test_json_carries_the_figures_of_every_node_and_the_training_memory(check) -> None:  # type: ignore[no-untyped-def]
    r = check("examples/lenet5.graphlab.json", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    a = analyze(load(ROOT / "examples/lenet5.graphlab.json"))
    assert rep["flops"] == a.total_flops == sum(n["flops"] for n in rep["nodes"].values())
    for nid, n in rep["nodes"].items():
        assert set(n) == NODE_FIELDS, nid
        i = a.nodes[nid]
        assert (n["macs"], n["flops"], n["flops_backward"], n["other_ops"], n["saved_bytes"]) == (
            i.macs, 2 * i.macs, i.flops_backward, i.other_ops, i.saved_bytes)
    assert rep["nodes"]["conv1"]["rf"] == {"size": [5, 5], "stride": [1, 1], "start": [-2, -2]}  # padding 2
    assert rep["nodes"]["fc1"]["rf"] is None  # a vector: no image positions
    m = rep["memory"]
    assert set(m) == {"batch", "weights", "gradients", "optimizer", "activations", "total"}
    want = training_cost(a, 64, "adam")  # the file's batch size and optimizer
    assert m == {"batch": 64, **{k: v for k, v in want.memory_json().items() if k != "batch"}}
    assert m["total"] == m["weights"] + m["gradients"] + m["optimizer"] + m["activations"]
    assert m["optimizer"] == 2 * m["weights"]  # Adam's two moments


def test_batch_scales_the_activations_only(check) -> None:  # type: ignore[no-untyped-def]
    one = json.loads(check("examples/digits_cnn.graphlab.json", "--json", "--batch", "1").stdout)["memory"]
    ten = json.loads(check("examples/digits_cnn.graphlab.json", "--json", "--batch", "10").stdout)["memory"]
    assert ten["weights"] == one["weights"] and ten["optimizer"] == one["optimizer"]
    a = analyze(load(ROOT / "examples/digits_cnn.graphlab.json"))
    per_sample, fixed = a.saved_bytes()
    assert (one["activations"], ten["activations"]) == (per_sample + fixed, 10 * per_sample + fixed)


def test_text_output_has_the_cost_columns_and_the_four_parts(check) -> None:  # type: ignore[no-untyped-def]
    r = check("examples/lenet5.graphlab.json", "--batch", "8")
    assert r.returncode == 0, r.stderr
    head = r.stdout.splitlines()[0]
    for col in ("output", "params", "FLOPs", "saved", "receptive field"):
        assert col in head
    assert "5×5 stride 1×1" in r.stdout
    lines = r.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("training at batch 8 with adam:"))
    for part in ("weights", "gradients", "optimizer", "activations"):
        assert part in lines[at + 1]
    assert max(len(line) for line in lines) < 120


def test_a_bad_batch_is_one_line_exit_2(check) -> None:  # type: ignore[no-untyped-def]
    r = check("examples/lenet5.graphlab.json", "--batch", "0")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--batch" in r.stderr
    assert "Traceback" not in r.stderr
