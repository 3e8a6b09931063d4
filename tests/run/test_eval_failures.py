"""A failure in a forward pass outside a training step — the initial-loss forward, the evaluation after
each epoch, the final evaluation — ends the run with an Error naming the node (issue 8, item 6: an
allocation failure that still happens is an error naming the node, not a traceback)."""
from __future__ import annotations

import json

import pytest

import graphlab.run.trainer as trainer_mod
from graphlab.run import events as ev
from graphlab.run.trainer import train

from .test_trainer import SPIRAL_FULL, mlp

ALLOC = "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory: you tried to allocate 123 bytes"


def _fail_in_eval_mode(monkeypatch, *, after_training_steps: int, message: str = ALLOC) -> dict:
    """Patch the compiled module's node ``scores`` to raise ``message`` in eval mode only, once that
    many training-mode forwards have run (0: at once, i.e. the initial-loss forward)."""
    real = trainer_mod.compile_graph
    seen = {"train": 0, "raised": 0}

    def compile_with_a_failing_layer(*args, **kwargs):
        gm = real(*args, **kwargs)
        layer = gm.scores
        inner = layer.forward

        def forward(x):
            if layer.training:
                seen["train"] += 1
            elif seen["train"] >= after_training_steps:
                seen["raised"] += 1
                raise RuntimeError(message)
            return inner(x)
        layer.forward = forward
        return gm

    monkeypatch.setattr(trainer_mod, "compile_graph", compile_with_a_failing_layer)
    return seen


@pytest.mark.parametrize("section, after, during, epochs_done", [
    ({"val_fraction": 0.2, "batch_size": 32}, 1, "while evaluating the val split", []),  # after epoch 1
    ({"val_fraction": 0, "batch_size": "full"}, 1, "while evaluating the train split", [1, 2]),  # the final one
    ({"val_fraction": 0.2, "batch_size": 32}, 0, "while computing the initial loss", []),
])
def test_an_allocation_failure_in_eval_mode_is_an_error_naming_the_node(section, after, during, epochs_done,
                                                                          tmp_path, monkeypatch):
    seen = _fail_in_eval_mode(monkeypatch, after_training_steps=after)
    g = mlp()
    g.training = {**SPIRAL_FULL, **section, "epochs": 2}
    fin, events = train(g, out_dir=tmp_path)
    err = events[-2]
    assert seen["raised"] == 1
    assert isinstance(err, ev.Error) and (err.kind, err.node, fin.reason) == ("oom", "scores", "error"), err
    assert "at node scores" in err.message and during in err.message and "can't allocate memory" in err.message
    assert "\n" not in err.message
    assert [e.epoch for e in events if isinstance(e, ev.Epoch)] == epochs_done
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["status"] == "error" and "scores" in run["error"]


def test_a_shape_error_in_the_overfit_evaluation_names_the_node(tmp_path, monkeypatch):
    _fail_in_eval_mode(monkeypatch, after_training_steps=1, message="mat1 and mat2 shapes cannot be multiplied")
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 5}
    fin, events = train(g, overfit=20)
    err = events[-2]
    assert isinstance(err, ev.Error) and (err.kind, err.node) == ("runtime", "scores")
    assert "while evaluating the overfit samples" in err.message and fin.reason == "error"
