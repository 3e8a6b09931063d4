"""Inputs the fuzz suite found, each a test of its own (docs/security.md)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import graphlab
from graphlab.core import Graph
from graphlab.io import FileFormatError, dumps, loads

from .harness import assert_clean, run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("x", [1e-320, 0.00390625, -0.001, 2.0, -0.0, 123.456])
def test_saving_twice_writes_the_same_text(x: float) -> None:
    """A position that rounds to 0.0 was written as 0.0, then as 0: a diff on every save."""
    g = Graph("g")
    g.add_node("Input", {"shape": [3]}, node_id="x")
    g.nodes["x"].pos = (x, 0.0)
    once = dumps(g)
    assert dumps(loads(once)) == once


@pytest.mark.parametrize("where, text", [
    ("nodes[0].pos[0]", '"pos": [1' + "0" * 400 + ', 0]'),
    ("nodes[1].params.out_features", '"params": {"out_features": 1' + "0" * 400 + "}"),
    ("training.epochs", None),
])
def test_integers_beyond_float_range_are_refused_at_load(where: str, text: str | None, tmp_path: Path) -> None:
    """`1` and 400 zeros overflowed every float conversion downstream (check, train, export, the editor)."""
    doc = json.loads((EXAMPLES / "spiral_linear.graphlab.json").read_text())
    raw = json.dumps(doc)
    if text is None:
        doc["training"]["epochs"] = 10 ** 400
        raw = json.dumps(doc)
    elif text.startswith('"pos"'):
        raw = raw.replace('"pos": [0, 0]', text, 1)
    else:
        raw = raw.replace('"params": {"out_features": 3}', text, 1)
    with pytest.raises(FileFormatError, match=rf"^{re.escape(where)}( \(node '\w+'\))?: the number is out of range"):
        loads(raw)
    path = tmp_path / "g.graphlab.json"
    path.write_text(raw)
    for argv in (["check", path], ["train", path], ["export", path, "--to", "python"]):
        code, _, err = run_cli(*argv)
        assert_clean((code, "", err), codes=(2,))
        assert where in err


@pytest.mark.parametrize("node_id", ["_modules", "_parameters", "_buffers", "_forward_hooks", "_graph", "_code"])
def test_ids_that_are_module_internals_compile_train_and_export(node_id: str, tmp_path: Path) -> None:
    """An id naming an nn.Module instance attribute replaced it: AttributeError/TypeError tracebacks."""
    g = Graph("n")
    g.add_node("Input", {"shape": [2]}, node_id="x")
    g.add_node("Linear", {"out_features": 3}, node_id=node_id)
    g.add_node("CrossEntropyLoss", {}, node_id="loss")
    g.connect("x", node_id), g.connect(node_id, "loss")
    g.set_training({"dataset": {"name": "spiral", "points": 10}, "epochs": 1})
    gm = graphlab.compile(g)
    assert gm(torch.zeros(2, 2)).shape == (2, 3)
    path = tmp_path / "n.graphlab.json"
    graphlab.save(g, path)
    assert_clean(run_cli("train", path, "--out", tmp_path / "run"), codes=(0,))
    assert_clean(run_cli("export", path, "--to", "python"), codes=(0,))


@pytest.fixture(scope="module")
def stopped(tmp_path_factory) -> tuple[Path, Path]:
    from graphlab.run import events as ev
    from graphlab.run.trainer import Trainer

    tmp = tmp_path_factory.mktemp("stopped")
    g = graphlab.load(EXAMPLES / "two_layer_net.graphlab.json")
    g.set_training({"dataset": {"name": "spiral", "points": 20}, "batch_size": 8, "epochs": 2,
                    "schedule": {"name": "step", "step_size": 1}})
    src = tmp / "g.graphlab.json"
    graphlab.save(g, src)
    t = Trainer(g, out_dir=tmp / "run", checkpoint_interval=1e9)
    for i, e in enumerate(t.events()):
        if isinstance(e, ev.Step) and i > 3:
            t.stop()
    return src, tmp / "run" / "last.safetensors"


@pytest.mark.parametrize("field, value, words", [
    ("epoch", "abc", "'epoch' must be a whole number"),
    ("step", "-1", "'step' must be a whole number"),
    ("epoch", "1" + "0" * 400, "'epoch' must be a whole number"),  # with a schedule: stepped 10^400 times
    ("partial", "1e999", "'partial' must hold"),
    ("partial", '{"batch": -1, "seen": 0, "loss_sum": 0, "loss_n": 0, "correct": 0}', "'partial' must hold"),
    ("partial", "{", "metadata 'partial' is not JSON"),
    ("rng", None, "the random generator state rng.cpu must be uint8"),
])
def test_tampered_resume_metadata_is_one_line(field: str, value: str | None, words: str, stopped, tmp_path) -> None:
    """int('abc'), float['batch'], a 10^400-step scheduler loop and a float64 RNG state were tracebacks or a hang."""
    src, ckpt = stopped
    tensors = load_file(str(ckpt))
    with safe_open(str(ckpt), framework="pt") as f:
        meta = dict(f.metadata())
    if field == "rng":
        tensors["rng.cpu"] = tensors["rng.cpu"].double()
    else:
        meta[field] = value
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata=meta)
    code, out, err = run_cli("train", src, "--resume", bad, "--out", tmp_path / "run")
    assert_clean((code, out, err), codes=(1,))
    assert words in err and "bad.safetensors" in err and err.count("\n") == 1


def _spiral_doc() -> dict:
    return json.loads((EXAMPLES / "spiral_linear.graphlab.json").read_text())


def _with(change) -> dict:
    doc = _spiral_doc()
    change(doc)
    return doc


@pytest.mark.parametrize("doc", [
    {"\n": 1},
    _with(lambda d: d.update({"\n": 10 ** 400})),
    _with(lambda d: d["training"].update({"dataset": {"\n": None}})),
    _with(lambda d: d["training"].update({"optimizer": {"name": "sgd", "\r\nx": 1}})),
    _with(lambda d: d["nodes"][1]["params"].update({"\n\u2028": 1})),
    _with(lambda d: d["nodes"][1].update({"type": "Lin\near"})),
    _with(lambda d: d.update({"name": "two\nlines\x00"})),
], ids=["top key", "huge under a newline key", "dataset key", "optimizer key", "param name", "type", "name"])
def test_a_newline_from_the_file_never_splits_a_message(doc: dict, tmp_path: Path) -> None:
    """A key, a type or a name holding a line break printed a two-line message."""
    path = tmp_path / "g.graphlab.json"
    path.write_text(json.dumps(doc))
    for argv in (["check", path], ["train", path, "--epochs", 1, "--out", tmp_path / "r"],
                 ["export", path, "--to", "torchrun", "-o", tmp_path / "t.py"]):
        code, out, err = run_cli(*argv)
        assert_clean((code, out, err))
        if code:
            lines = [line for line in (out + err).splitlines() if line.startswith(("error:", "graphlab:"))]
            assert lines and all("\u2028" not in line and "\x00" not in line for line in lines)
            assert len((err if code == 2 else err or out).strip().splitlines()) >= 1


def test_the_harness_sees_a_python_warning_on_stderr_also_on_success(monkeypatch) -> None:
    """assert_clean checked stderr only for exit 2, and pytest swallowed Python warnings: torch's
    two-line lr_scheduler warning on a resumed run (exit 0) went unnoticed."""
    import warnings

    import graphlab.cli as cli_mod

    real = cli_mod.analyze

    def warning_analyze(graph):
        warnings.warn("Detected call of `lr_scheduler.step()` before `optimizer.step()`.", UserWarning)
        return real(graph)

    monkeypatch.setattr(cli_mod, "analyze", warning_analyze)
    result = run_cli("check", EXAMPLES / "spiral_linear.graphlab.json")
    assert result[0] == 0 and "UserWarning" in result[2]
    with pytest.raises(AssertionError):
        assert_clean(result)
    monkeypatch.undo()
    assert_clean(run_cli("check", EXAMPLES / "spiral_linear.graphlab.json"), codes=(0,))
