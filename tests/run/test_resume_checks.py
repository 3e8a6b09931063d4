"""Checkpoint metadata is data: every field is checked before a run continues from it (issue 8, 9–10),
and a full disk stops a run with a message while the last good checkpoint stays loadable (issue 8, 8)."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

import graphlab
from graphlab.run import events as ev
from graphlab.run.checkpoint import read_weights
from graphlab.run.trainer import Trainer, train

from .test_trainer import SPIRAL_FULL, _stop_after_steps, mlp


def tamper(src, dst, meta=None, drop=(), tensors=None):
    """A copy of checkpoint ``src`` with metadata keys changed (None removes) and tensors replaced."""
    with safe_open(str(src), framework="pt") as f:
        m = dict(f.metadata())
    flat = load_file(str(src))
    for k, v in (meta or {}).items():
        if v is None:
            m.pop(k, None)
        else:
            m[k] = v
    for k in drop:
        flat.pop(k, None)
    flat.update(tensors or {})
    save_file(flat, str(dst), metadata=m)
    return dst


@pytest.fixture(scope="module")
def stopped(tmp_path_factory):
    """A run (adam, batches of 32) stopped inside epoch 2: its checkpoint has partial and rng."""
    d = tmp_path_factory.mktemp("ck")
    g = mlp()
    g.training = {"dataset": "spiral", "epochs": 4, "batch_size": 32, "optimizer": "adam", "stats": {"budget": 0}}
    fin = _stop_after_steps(Trainer(g, out_dir=d), 11)[-1]
    assert fin.reason == "stopped"
    return g, d / "last.safetensors"


@pytest.mark.parametrize("meta, drop, tensors, field, words", [
    ({"epoch": "abc"}, (), None, "epoch", "'epoch' must be a whole number >= 0, got 'abc'"),
    ({"epoch": "-1"}, (), None, "epoch", "must be a whole number"),
    ({"step": "1e9"}, (), None, "step", "'step' must be a whole number"),
    ({"epoch": "999"}, (), None, "epoch", "nothing is left to train"),
    ({"partial": "{bad"}, (), None, "partial", "not JSON"),
    ({"partial": "[1, 2]"}, (), None, "partial", "must hold exactly"),
    ({"partial": json.dumps({"batch": -3, "seen": 96, "loss_sum": 1.0, "loss_n": 3, "correct": 5, "time": 0.1})},
     (), None, "partial", "partial.batch must be a finite number >= 0, got -3"),
    ({"partial": json.dumps({"batch": 3, "seen": 96, "loss_sum": 1.0, "loss_n": 3, "correct": 5, "time": "x"})},
     (), None, "partial", "partial.time must be a number"),
    ({"partial": json.dumps({"batch": 99, "seen": 96, "loss_sum": 1.0, "loss_n": 99, "correct": 5, "time": 0.1})},
     (), None, "partial", "an epoch of this run has 8 batches"),
    ({"partial": json.dumps({"batch": 3, "seen": 50, "loss_sum": 1.0, "loss_n": 3, "correct": 5, "time": 0.1})},
     (), None, "partial", "was the batch size or the dataset changed"),
    ({}, ("rng.cpu",), None, "partial", "needs the random generator state"),
    ({}, (), {"rng.cpu": torch.zeros(5056, dtype=torch.float32)}, "rng.cpu", "must be uint8 [5056], got torch.float32"),
    ({}, (), {"rng.cpu": torch.zeros(7, dtype=torch.uint8)}, "rng.cpu", "got torch.uint8 [7]"),
    ({"optimizer": "sgd"}, (), None, "optimizer", "written by a sgd run and this run uses adam"),
    ({"optimizer": None}, (), {"optim.0.exp_avg": torch.zeros(3)}, "optimizer", "exp_avg of parameter 0 is [3]"),
    ({"format": "something-else"}, (), None, "format", "is not graphlab-checkpoint-1"),
    # a parameter with some of Adam's state must have all of it (torch raises KeyError mid-step otherwise)
    ({}, ("optim.0.exp_avg_sq",), None, "optimizer", "optimizer state of parameter 0 lacks exp_avg_sq"),
    ({}, ("optim.3.step",), None, "optimizer", "optimizer state of parameter 3 lacks step"),
    ({}, ("optim.1.exp_avg", "optim.1.exp_avg_sq"), None, "optimizer", "parameter 1 lacks exp_avg, exp_avg_sq"),
    ({}, (), {"optim.2.exp_avg": torch.zeros(3, 20, dtype=torch.int64)}, "optimizer",
     "exp_avg of parameter 2 is int64, not a floating-point tensor"),
    ({}, (), {"optim.0.step": torch.tensor(True)}, "optimizer", "step of parameter 0 is not a count"),
])
def test_tampered_metadata_is_refused_with_the_field(stopped, tmp_path, meta, drop, tensors, field, words):
    g, ck = stopped
    bad = tamper(ck, tmp_path / "bad.safetensors", meta, drop, tensors)
    fin, events = train(g, out_dir=tmp_path / "o", resume_from=bad)
    err = events[-2]
    assert fin.reason == "error" and isinstance(err, ev.Error)
    assert (err.kind, err.field) == ("checkpoint", field) and words in err.message, err.message
    assert not [e for e in events if isinstance(e, (ev.Step, ev.Epoch))]


def test_adam_state_without_its_second_moments_is_refused_at_the_cli_and_run_json_ends(examples_dir, tmp_path, cli):
    """The reviewer's repro: one epoch of optimizer_adam, every exp_avg_sq removed, then --resume: it was
    a KeyError traceback from inside torch's Adam, and run.json kept "running"."""
    src = tmp_path / "adam.graphlab.json"
    g = graphlab.load(examples_dir / "optimizer_adam.graphlab.json")
    g.training = {**g.training, "epochs": 1, "stats": {"budget": 0}}
    graphlab.save(g, src)
    fin, _ = train(g, out_dir=tmp_path / "a")
    flat = load_file(str(fin.checkpoint))
    bad = tamper(fin.checkpoint, tmp_path / "nosq.safetensors", drop=[k for k in flat if k.endswith(".exp_avg_sq")])
    r = cli("train", src, "--epochs", "2", "--resume", bad, "--out", tmp_path / "b")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "lacks exp_avg_sq" in r.stderr and "nosq" in r.stderr
    run_json = tmp_path / "b" / "run.json"  # refused before the folder is made, or the folder says error
    assert not run_json.exists() or json.loads(run_json.read_text())["status"] == "error"


def test_an_unexpected_exception_ends_the_run_with_an_internal_error_and_finishes_run_json(tmp_path, monkeypatch):
    """The last resort: an exception no handler foresaw (here a LookupError from a step) becomes an Error of
    kind internal naming its type and message on one line, then Finished; run.json is finished too."""
    import graphlab.run.trainer as trainer_mod

    def broken(*args, **kwargs):
        raise LookupError("exp_avg_sq\nsecond line")

    monkeypatch.setattr(trainer_mod, "train_step", broken)
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 2}
    fin, events = train(g, out_dir=tmp_path / "o")
    err = events[-2]
    assert fin.reason == "error" and isinstance(err, ev.Error) and err.kind == "internal"
    assert "LookupError: exp_avg_sq" in err.message and "second line" not in err.message and "\n" not in err.message
    run = json.loads((tmp_path / "o" / "run.json").read_text())
    assert run["status"] == "error" and "LookupError" in run["error"]


def test_an_invalid_rng_state_of_the_right_shape_is_refused(stopped, tmp_path):
    g, ck = stopped
    bad = tamper(ck, tmp_path / "bad.safetensors", tensors={"rng.cpu": torch.zeros(5056, dtype=torch.uint8)})
    fin, events = train(g, out_dir=tmp_path / "o", resume_from=bad)
    assert fin.reason == "error" and kinds_before_error(events) == ["Error", "Finished"]
    assert events[-2].field == "rng.cpu" and "is not valid (Invalid mt19937 state)" in events[-2].message


def kinds_before_error(events):
    return [type(e).__name__ for e in events]


def test_the_untampered_checkpoint_still_resumes(stopped, tmp_path):
    g, ck = stopped
    fin, events = train(g, out_dir=tmp_path / "o", resume_from=tamper(ck, tmp_path / "same.safetensors"))
    assert fin.reason == "completed" and [e.epoch for e in events if isinstance(e, ev.Epoch)] == [2, 3, 4]


def test_an_adam_checkpoint_is_refused_by_an_sgd_run_also_without_the_recorded_name(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 2, "optimizer": "adam"}
    fin, _ = train(g, out_dir=tmp_path / "a")
    old = tamper(fin.checkpoint, tmp_path / "old.safetensors", {"optimizer": None})  # as older GraphLab wrote them
    g.training = {**SPIRAL_FULL, "epochs": 4, "optimizer": "sgd"}
    for ck, words in ((fin.checkpoint, "written by a adam run and this run uses sgd"),
                      (old, "holds adam optimizer state (exp_avg, exp_avg_sq) and this run uses sgd")):
        err = train(g, resume_from=ck)[1][-2]
        assert (err.kind, err.field) == ("checkpoint", "optimizer") and words in err.message
    g.training = {**SPIRAL_FULL, "epochs": 4, "optimizer": "adam"}
    assert train(g, resume_from=old)[0].reason == "completed"


def test_a_plain_state_dict_resumes_as_weights_only(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 2}
    fin, _ = train(g, out_dir=tmp_path / "a")
    save_file(read_weights(fin.checkpoint), str(tmp_path / "plain.safetensors"))
    fin2, events = train(g, resume_from=tmp_path / "plain.safetensors")
    assert fin2.reason == "completed" and events[0].start_epoch == 0


def test_cli_resume_with_epoch_999_is_one_line(examples_dir, tmp_path, cli):
    g = graphlab.load(examples_dir / "spiral_linear.graphlab.json")
    g.training["epochs"] = 2
    graphlab.save(g, tmp_path / "s.graphlab.json")
    r = cli("train", tmp_path / "s.graphlab.json", "--out", tmp_path / "a")
    assert r.returncode == 0, r.stderr
    bad = tamper(tmp_path / "a" / "last.safetensors", tmp_path / "b.safetensors", {"epoch": "999", "step": "999"})
    r = cli("train", tmp_path / "s.graphlab.json", "--out", tmp_path / "c", "--resume", bad)
    assert r.returncode == 1 and "done" not in r.stdout and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "nothing is left to train" in r.stderr


# -- a full disk ------------------------------------------------------------------------------------

def test_a_checkpoint_write_that_fails_midway_stops_the_run_and_keeps_the_last_good_one(tmp_path, monkeypatch):
    import graphlab.run.checkpoint as ck

    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 10}
    real = ck.save_file
    calls = {"n": 0}

    def disk_fills_up(tensors, path, metadata=None):
        calls["n"] += 1
        if calls["n"] >= 3:  # the third checkpoint: half written, then the disk is full
            with open(path, "wb") as f:
                f.write(b"\0" * 100)
            raise SafetensorError("Error while serializing: IoError(Os { code: 28, kind: StorageFull })")
        return real(tensors, path, metadata=metadata)
    monkeypatch.setattr(ck, "save_file", disk_fills_up)
    fin, events = train(g, out_dir=tmp_path, checkpoint_interval=0)
    err = events[-2]
    assert fin.reason == "error" and err.kind == "checkpoint" and "StorageFull" in err.message
    assert "the last good checkpoint is" in err.message and fin.checkpoint == str(tmp_path / "last.safetensors")
    assert [e.epoch for e in events if isinstance(e, ev.Epoch)] == [1, 2]
    from graphlab.run.checkpoint import read_checkpoint

    _, _, meta = read_checkpoint(fin.checkpoint)
    assert meta["epoch"] == "2" and not list(tmp_path.glob("*.tmp"))
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "error"


def test_a_metrics_write_that_fails_stops_the_run_with_the_file_named(tmp_path, monkeypatch):
    from graphlab.run.runs import RunFolder

    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 10}
    real = RunFolder.log_epoch

    def log_epoch(self, record):
        if record["epoch"] == 4:
            raise OSError(28, "No space left on device")
        real(self, record)
    monkeypatch.setattr(RunFolder, "log_epoch", log_epoch)
    fin, events = train(g, out_dir=tmp_path, checkpoint_interval=0)
    err = events[-2]
    assert (err.kind, fin.reason) == ("io", "error")
    assert str(tmp_path / "metrics.jsonl") in err.message and "No space left on device" in err.message
    assert "last good checkpoint" in err.message and read_weights(fin.checkpoint)
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [1, 2, 3]
