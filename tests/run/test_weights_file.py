"""Reading a weights file and checking that it fits: one place (graphlab.run.weights) for every consumer.

`graphlab train --resume`, the stepper's Load weights, `graphlab export --weights` and the exported
scripts' own ``load_weights`` give the same one-line answer, naming the node, for the same file; the
scripts hold the very source of graphlab.run.weights (inspect.getsource), not a rewrite.
"""
from __future__ import annotations

import inspect
from fractions import Fraction
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

import graphlab
from graphlab.core import Graph
from graphlab.run import weights as weights_mod
from graphlab.run.checkpoint import save_checkpoint
from graphlab.run.weights import CheckpointError, check_fits, load_weights, read_tensors


def spiral_net(hidden: int) -> Graph:
    g = Graph("spiral")
    g.add_node("Input", {"shape": [2]}, node_id="x")
    g.add_node("Linear", {"out_features": hidden}, node_id="fc1")
    g.add_node("ReLU", {}, node_id="relu")
    g.add_node("Linear", {"out_features": 3}, node_id="scores")
    g.add_node("CrossEntropyLoss", {}, node_id="loss")
    for a, b in (("x", "fc1"), ("fc1", "relu"), ("relu", "scores"), ("scores", "loss")):
        g.connect(a, b)
    g.training = {"dataset": {"name": "spiral", "points": 20}, "val_fraction": 0, "batch_size": "full", "epochs": 2}
    return g


@pytest.fixture(scope="module")
def nets() -> tuple[Graph, torch.nn.Module, Graph]:
    """A 100-unit net, its compiled module (seed 3), and a 50-unit net its weights do not fit."""
    big = spiral_net(100)
    return big, graphlab.compile(big, seed=3), spiral_net(50)


WANT = "does not fit this graph: node 'fc1': fc1.weight is [100, 2] in the checkpoint but [50, 2] in the graph " \
       "(and 2 more)"


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())


@pytest.mark.parametrize("kind", ["checkpoint", "plain.safetensors", "state_dict.pt", "wrapped.pt"])
def test_every_kind_of_file_loads(nets, tmp_path, kind):
    big, module, _ = nets
    path = tmp_path / kind
    state = {k: v.contiguous() for k, v in module.state_dict().items()}
    if kind == "checkpoint":
        path = save_checkpoint(tmp_path / "last.safetensors", module, torch.optim.SGD(module.parameters(), lr=1.0),
                               epoch=2, step=2, graph="spiral")
    elif kind.endswith(".safetensors"):
        save_file(state, str(path))
    else:
        torch.save({"state_dict": state} if kind.startswith("wrapped") else state, path)
    fresh = graphlab.compile(big, seed=9)
    assert not _same(fresh, module)
    meta = load_weights(fresh, path)
    assert _same(fresh, module)
    assert (meta.get("epoch"), meta.get("graph")) == (("2", "spiral") if kind == "checkpoint" else (None, None))


def test_a_mismatch_is_one_line_naming_the_node(nets, tmp_path):
    big, module, small = nets
    path = save_checkpoint(tmp_path / "last.safetensors", module, None, epoch=1, step=1)
    with pytest.raises(CheckpointError) as e:
        load_weights(graphlab.compile(small), path)
    assert str(e.value) == f"{path}: {WANT}" and e.value.node == "fc1"
    state = dict(module.state_dict())
    state.pop("scores.bias")
    state["extra.weight"] = torch.zeros(1)
    with pytest.raises(CheckpointError) as e:
        check_fits(module, state, "w.pt")
    assert str(e.value) == "w.pt: does not fit this graph: missing scores.bias; not in the graph: extra.weight"
    assert e.value.node == "scores"
    state = {**module.state_dict(), "fc1.bias": torch.zeros(100, dtype=torch.int64)}
    with pytest.raises(CheckpointError, match="node 'fc1': fc1.bias is integer in the checkpoint but floating in "
                                              "the graph") as e:
        check_fits(module, state, "w.pt")


@pytest.mark.parametrize("content, words", [
    (b"", "not a readable safetensors file"), (b"\x00" * 64, "not a readable safetensors file"),
    (b'{"__metadata__": 5}' + b" " * 8, "not a readable safetensors file"),
])
def test_unreadable_safetensors_are_one_line(tmp_path, content, words):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(len(content).to_bytes(8, "little") + content if content.startswith(b"{") else content)
    with pytest.raises(CheckpointError, match=words) as e:
        read_tensors(path)
    assert "\n" not in str(e.value) and str(path) in str(e.value)


def test_pickles_are_refused_and_missing_files_named(tmp_path):
    torch.save({"fc1.weight": Fraction(1, 2)}, tmp_path / "pickled.pt")
    with pytest.raises(CheckpointError, match="weights_only=True"):
        read_tensors(tmp_path / "pickled.pt")
    torch.save([torch.zeros(1)], tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="expected a state_dict"):
        read_tensors(tmp_path / "list.pt")
    with pytest.raises(CheckpointError, match="no such weights file"):
        read_tensors(tmp_path / "missing.safetensors")


def test_every_consumer_gives_the_same_answer(nets, tmp_path):
    """train --resume, the stepper, export --weights and the exported script, on one checkpoint that does
    not fit: the same words, naming node fc1."""
    from graphlab.export.model_source import ExportError
    from graphlab.export.python import export_python
    from graphlab.run.trainer import Trainer
    from graphlab.step import StepError, Stepper
    from tests.export.conftest import import_script

    _, module, small = nets
    path = save_checkpoint(tmp_path / "last.safetensors", module, None, epoch=1, step=1)
    want = f"{path}: {WANT}"
    events = list(Trainer(small, resume_from=path).events())
    (err,) = [e for e in events if type(e).__name__ == "Error"]
    assert events[-1].reason == "error" and err.message == want and err.node == "fc1"
    with pytest.raises(StepError) as e:
        Stepper(small, weights=path, batch=2)
    assert str(e.value) == want and e.value.node == "fc1"
    with pytest.raises(ExportError) as e:
        export_python(small, tmp_path / "small.py", weights=path)
    assert str(e.value) == f"--weights: {want}" and e.value.node == "fc1"
    export_python(small, tmp_path / "script.py")
    script = import_script(tmp_path / "script.py")
    (model_class,) = [v for k, v in vars(script).items() if isinstance(v, type) and issubclass(v, torch.nn.Module)
                      and v.__module__ == script.__name__]
    with pytest.raises(Exception) as e:
        script.load_weights(model_class(), str(path))
    assert type(e.value).__name__ == "CheckpointError" and str(e.value) == want and e.value.node == "fc1"


def test_the_scripts_hold_the_very_source(tmp_path):
    """The exported scripts' loading code is graphlab.run.weights's own, copied, not rewritten."""
    from graphlab.export.python import python_source
    from graphlab.export.torchrun import torchrun_source
    from graphlab.run.config import parse_training

    g = spiral_net(10)
    texts = [python_source(g, weights_name=None),
             torchrun_source(g, parse_training(g.training), stem="s", source=None, data_name=None, init_name=None)]
    for text in texts:
        for obj in weights_mod.SCRIPT_OBJECTS:
            assert inspect.getsource(obj).strip("\n") in text, obj.__name__
        assert "load_state_dict(torch.load" not in text
