"""The transfer-learning lesson: fine-tuning the frozen, pretrained convolutions with a new head beats
training the same network from scratch on the same small budget, on validation, at equal steps."""
from __future__ import annotations

import torch

from graphlab.io import load
from graphlab.run import events as ev
from graphlab.run.trainer import Trainer
from tests.conftest import EXAMPLES


def _run(name: str):
    g = load(EXAMPLES / f"{name}.graphlab.json")
    t = Trainer(g, base_dir=EXAMPLES)
    events = list(t.events())
    fin = events[-1]
    assert isinstance(fin, ev.Finished) and fin.reason == "completed", events[-2:]
    epochs = [e for e in events if isinstance(e, ev.Epoch)]
    return g, t, fin, epochs


def test_the_fine_tuned_run_beats_the_one_from_scratch_at_equal_steps() -> None:
    torch.set_num_threads(1)
    g_fine, t_fine, fine, fine_epochs = _run("lesson_transfer_finetune")
    g_scratch, _, scratch, scratch_epochs = _run("lesson_transfer_scratch")
    assert [e.step for e in fine_epochs] == [e.step for e in scratch_epochs]  # the same budget
    assert fine.final["val_acc"] > scratch.final["val_acc"] + 0.15, (fine.final, scratch.final)
    assert fine.final["val_acc"] > 0.9
    # the same network, the only differences: frozen convolutions and the starting weights
    assert [n.type for n in g_fine.nodes.values()] == [n.type for n in g_scratch.nodes.values()]
    assert {n for n, node in g_fine.nodes.items() if not node.trainable} == {"conv1", "bn1", "conv2", "bn2"}
    from graphlab.run.weights_match import read_source

    pretrained = read_source(EXAMPLES / g_fine.training["weights"])
    state = t_fine.module.state_dict()
    for k in ("conv1.weight", "bn1.running_mean", "conv2.bias"):
        assert torch.equal(state[k], pretrained[k]), k  # loaded, and unchanged by the fine-tuning
    assert "head.weight" not in pretrained and "fc.weight" in pretrained  # the new head started fresh
