"""Resuming a run that has a learning-rate schedule: the schedule is replayed to the checkpoint's epoch
silently (torch warned "Detected call of lr_scheduler.step() before optimizer.step()" on two lines of
stderr) and the resumed epochs get the uninterrupted run's learning rates and losses."""
from __future__ import annotations

import shutil
import warnings

import pytest

import graphlab
from graphlab.run import events as ev
from graphlab.run.trainer import Trainer, train

from .test_trainer import SPIRAL_FULL, mlp

SCHEDULES = [{"name": "step", "step_size": 1, "gamma": 0.5}, {"name": "exponential", "gamma": 0.7},
             {"name": "cosine"}]


def _graph(schedule):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 4, "optimizer": {"name": "momentum", "lr": 0.5}, "schedule": schedule}
    return g


def _checkpoint_after_epoch_2(g, tmp_path):
    """The uninterrupted run's epochs, and a copy of its checkpoint as it was after epoch 2."""
    whole, copy = [], tmp_path / "epoch2.safetensors"
    for e in Trainer(g, out_dir=tmp_path / "whole", checkpoint_interval=0).events():
        if isinstance(e, ev.Epoch):
            whole.append((e.epoch, e.lr, e.train_loss))
            if e.epoch == 2:  # written before the Epoch event is emitted
                shutil.copy(tmp_path / "whole" / "last.safetensors", copy)
    return whole, copy


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s["name"])
def test_a_resumed_schedule_gives_the_uninterrupted_learning_rates_without_a_warning(schedule, tmp_path):
    g = _graph(schedule)
    whole, ckpt = _checkpoint_after_epoch_2(g, tmp_path)
    assert len({lr for _, lr, _ in whole}) > 1  # the schedule does move the learning rate
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fin, events = train(g, resume_from=ckpt)
    assert fin.reason == "completed"
    assert [(e.epoch, e.lr, e.train_loss) for e in events if isinstance(e, ev.Epoch)] == whole[2:]
    assert not [w for w in caught if "lr_scheduler" in str(w.message)], [str(w.message) for w in caught]


def test_the_cli_resume_of_a_scheduled_run_keeps_stderr_clean(tmp_path, cli):
    """In-process, with Python warnings printed to stderr as a shell shows them (the ``cli`` fixture)."""
    g = _graph(SCHEDULES[0])
    src = tmp_path / "s.graphlab.json"
    graphlab.save(g, src)
    _, ckpt = _checkpoint_after_epoch_2(g, tmp_path)
    r = cli("train", src, "--resume", ckpt, "--out", tmp_path / "resumed")
    assert r.returncode == 0 and r.stderr == "", r.stderr
