"""The stepper refuses what cannot fit before it builds anything (issue 8, item 6, for graphlab.step):
weights, gradients and every node's outputs for the batch, at the stepper's dtype, against the memory
available; the refusal is one line naming the node and the sizes (exit 1 from `graphlab step` and
`graphlab gradcheck`). A built-in dataset too large to make is not made (seeded inputs instead, with a
warning). An allocation that still fails names its node."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import graphlab
from graphlab.cli import main
from graphlab.core import memory
from graphlab.core.memory import fmt_bytes
from graphlab.step import StepError, Stepper
from graphlab.step.gradcheck import gradcheck
from tests.conftest import ROOT


def _file(tmp_path: Path, layers: list[dict], training: dict | None = None, shape: list[int] | None = None) -> Path:
    nodes = [{"id": "x", "type": "Input", "params": {"shape": shape or [10]}}, *layers]
    ids = [n["id"] for n in nodes]
    doc = {"graphlab": 1, "name": "g", "nodes": nodes, "edges": [{"from": a, "to": b} for a, b in zip(ids, ids[1:])],
           "training": training or {}}
    path = tmp_path / "g.graphlab.json"
    path.write_text(json.dumps(doc))
    return path


def _cli(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def _never_built(monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise AssertionError("the stepper built the module")

    monkeypatch.setattr("graphlab.step.stepper.compile_graph", boom)


HUGE = [{"id": "wide", "type": "Linear", "params": {"out_features": 10_000}},
        {"id": "big", "type": "Linear", "params": {"out_features": 10 ** 9}},
        {"id": "out", "type": "Linear", "params": {"out_features": 1}}]


def test_graphlab_step_refuses_a_billion_unit_linear_in_one_line(tmp_path, cli):
    """As users see it: 10^9 × 10^4 weights (40 TB as float32, 80 TB as gradcheck's float64) fit no
    machine; one line naming the node, exit 1."""
    path = _file(tmp_path, HUGE)
    for command, value_bytes in (("step", 4), ("gradcheck", 8)):
        p = cli(command, path, cwd=ROOT)
        lines = p.stderr.strip().splitlines()
        assert p.returncode == 1 and len(lines) == 1 and "Traceback" not in p.stderr, (command, p.stderr)
        assert f"{path}: big: its weights need {fmt_bytes(value_bytes * (10 ** 13 + 10 ** 9))} " in lines[0]
        assert "(10,001,000,000,000 parameters)" in lines[0] and "memory available" in lines[0]
        assert p.stdout == ""


def test_the_refusal_comes_before_anything_is_built(tmp_path, capsys, monkeypatch):
    _never_built(monkeypatch)
    path = _file(tmp_path, HUGE)
    code, out, err = _cli(capsys, "step", path, "--json")
    assert code == 1 and out == "" and err.count("\n") == 1 and ": big: its weights need" in err
    code, out, err = _cli(capsys, "gradcheck", path)
    assert code == 1 and out == "" and err.count("\n") == 1 and ": big: its weights need" in err


def test_sizes_are_counted_at_the_steppers_dtype(tmp_path, monkeypatch):
    """fc: 1000×1000 weights, 4.0 MB as float32. float32: weights + gradients 8 MB fit in 12 MB;
    gradcheck's float64 needs 16 MB and is refused, naming the float64 sizes."""
    graph = graphlab.load(_file(tmp_path, [{"id": "fc", "type": "Linear", "params": {"out_features": 1000}}],
                                shape=[1000]))
    monkeypatch.setattr(memory, "available_bytes", lambda: 12 * 10 ** 6)
    Stepper(graph, batch=2)  # fits
    with pytest.raises(StepError) as e:
        Stepper(graph, batch=2, dtype=torch.float64)
    assert e.value.node == "fc" and e.value.kind == "memory"
    assert str(e.value).startswith("fc: its weights need 8.0 MB (1,001,000 parameters); stepping needs at least 16.")
    assert "weights and gradients 16.0 MB" in str(e.value) and "12.0 MB of memory available" in str(e.value)
    with pytest.raises(StepError):
        gradcheck(graph, batch=2)


def test_a_batch_too_large_names_the_widest_node(tmp_path, capsys, monkeypatch):
    path = _file(tmp_path, [{"id": "wide", "type": "Linear", "params": {"out_features": 100_000}},
                            {"id": "out", "type": "Linear", "params": {"out_features": 1}}])
    monkeypatch.setattr(memory, "available_bytes", lambda: 100 * 10 ** 6)  # weights 4.4 MB ×2; 1000 samples: 400 MB
    _never_built(monkeypatch)
    code, _, err = _cli(capsys, "step", path, "--batch", 1000)
    assert code == 1 and err.count("\n") == 1
    assert ": wide: its output needs 400.0 KB per sample" in err and "lower the batch" in err
    monkeypatch.undo()
    monkeypatch.setattr(memory, "available_bytes", lambda: 100 * 10 ** 6)
    code, _, err = _cli(capsys, "step", path, "--batch", 4)
    assert code == 0, err


def test_a_dataset_too_large_to_make_is_not_made(tmp_path, capsys, monkeypatch):
    """spiral 3 × 100,000 points: 4.8 MB of tensors, about twice that to make, more than the 5 MB
    available; the tiny model fits.
    The stepper warns and uses seeded inputs; build_dataset is never called."""
    path = _file(tmp_path, [{"id": "fc", "type": "Linear", "params": {"out_features": 3}},
                            {"id": "loss", "type": "CrossEntropyLoss"}],
                 training={"dataset": {"name": "spiral", "classes": 3, "points": 100_000}}, shape=[2])
    monkeypatch.setattr(memory, "available_bytes", lambda: 5 * 10 ** 6)

    def boom(*args, **kwargs):
        raise AssertionError("the dataset was made")

    monkeypatch.setattr("graphlab.run.datasets.build_dataset", boom)
    code, out, err = _cli(capsys, "step", path)
    assert code == 0, err
    warning, = err.strip().splitlines()
    assert warning.startswith("graphlab: warning: dataset spiral could not be loaded (dataset spiral needs about 9.6 MB")
    assert warning.endswith("using seeded random inputs") and "5.0 MB of memory available" in warning


def test_an_allocation_that_still_fails_names_the_node(tmp_path, capsys, monkeypatch):
    """With the check fooled (10^20 bytes 'available'), the allocator refuses 400 TB: one line, the node."""
    monkeypatch.setattr(memory, "available_bytes", lambda: 10 ** 20)
    path = _file(tmp_path, [{"id": "huge", "type": "Linear", "params": {"out_features": 10 ** 7}}], shape=[10 ** 7])
    code, out, err = _cli(capsys, "step", path)
    assert code == 1 and out == "" and err.count("\n") == 1, err
    assert ": huge: cannot build the Linear layer" in err
