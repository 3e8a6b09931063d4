"""The fuzz suite, checkpoints: `train --resume` with tampered checkpoints — metadata fields, tensors
(missing, extra, reshaped, another dtype, non-finite), one optimizer state key dropped (for one
parameter or all) and bytes (truncated, flipped) — of momentum and Adam runs. Every run exits 0, 1 or
2 with no traceback and a message naming the file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import load_file, save_file

import graphlab
from graphlab.run import events as ev
from graphlab.run.trainer import Trainer

from .harness import assert_clean, run_cli
from .strategies import fuzz_settings, hostile_text, json_values

TRAINING = {"dataset": {"name": "spiral", "classes": 3, "points": 20}, "optimizer": {"name": "momentum", "lr": 0.1},
            "batch_size": 8, "epochs": 2, "val_fraction": 0.2}


ADAM = {**TRAINING, "optimizer": {"name": "adam", "lr": 0.01}}


def _write_checkpoints(tmp: Path, training: dict, prefix: str) -> dict[str, Path]:
    graph = graphlab.load(Path(__file__).resolve().parents[2] / "examples" / "two_layer_net.graphlab.json")
    graph.set_training(training)
    src = tmp / f"{prefix or 'net'}.graphlab.json"
    graphlab.save(graph, src)
    out = {prefix + "graph": src}
    Trainer(graph, out_dir=tmp / (prefix + "done"), checkpoint_interval=0).run()
    out[prefix + "done"] = tmp / (prefix + "done") / "last.safetensors"
    t = Trainer(graph, out_dir=tmp / (prefix + "stopped"), checkpoint_interval=1e9)
    steps = 0
    for e in t.events():
        if isinstance(e, ev.Step):
            steps += 1
            if steps == 3:
                t.stop()
    out[prefix + "stopped"] = tmp / (prefix + "stopped") / "last.safetensors"
    with safe_open(str(out[prefix + "stopped"]), framework="pt") as f:
        assert "partial" in (f.metadata() or {})
    return out


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory) -> dict[str, Path]:
    """Graph files (momentum; ``adam_``: Adam), each with a checkpoint after epoch 1 and one written by a
    stop inside epoch 2 (with ``partial`` metadata and the RNG state)."""
    tmp = tmp_path_factory.mktemp("ckpt")
    return {**_write_checkpoints(tmp, TRAINING, ""), **_write_checkpoints(tmp, ADAM, "adam_")}


NUMBERISH = ["abc", "", "-1", "0", "1", "2", "999", "1e400", "1" + "0" * 400, "nan", "inf", "1.5", " 1", "0x10",
             "١", "None", "null", "[]", "{}", "true"]


def _partial() -> st.SearchStrategy[str]:
    base = {"batch": 1, "seen": 8, "loss_sum": 1.0, "loss_n": 1, "correct": 3, "time": 0.1}
    fields = st.dictionaries(st.sampled_from(list(base) + ["x"]),
                             st.one_of(st.sampled_from([-1, 0, 10 ** 9, 10 ** 400, 1e308, -1e308, "a", None, [], {}]),
                                       json_values(3)), max_size=3)
    return st.one_of(fields.map(lambda d: json.dumps({**base, **d}, default=str)),
                     json_values(4).map(lambda v: json.dumps(v, default=str)), hostile_text(0, 6),
                     st.sampled_from(["null", "{", '{"batch": 1}', "[1, 2]", '"x"', "1e999"]))


@st.composite
def tampering(draw) -> tuple:
    kind = draw(st.sampled_from(["meta", "meta", "tensor", "tensor", "optim", "bytes"]))
    if kind == "optim":  # one optimizer state key (exp_avg_sq, step, momentum_buffer...) for one parameter or all
        return kind, draw(st.sampled_from(["exp_avg", "exp_avg_sq", "step", "momentum_buffer"])), \
            draw(st.one_of(st.none(), st.integers(0, 5)))
    if kind == "meta":
        key = draw(st.sampled_from(["format", "epoch", "step", "graph", "partial", "partial", "bogus"]))
        value = draw(_partial() if key == "partial" else st.one_of(st.sampled_from(NUMBERISH), hostile_text(0, 6)))
        return kind, key, value
    if kind == "tensor":
        action = draw(st.sampled_from(["drop", "reshape", "dtype", "nonfinite", "extra", "scalar"]))
        dtype = draw(st.sampled_from([torch.float64, torch.float16, torch.int64, torch.uint8, torch.bool, torch.int32]))
        return kind, action, dtype, draw(st.integers(0, 10 ** 6)), draw(st.lists(st.integers(0, 5), max_size=3))
    return kind, draw(st.sampled_from(["truncate", "flip", "header"])), draw(st.integers(0, 10 ** 6)), \
        draw(st.integers(0, 255))


def _tamper(src: Path, dst: Path, how: tuple) -> None:
    if how[0] == "bytes":
        raw = bytearray(src.read_bytes())
        _, action, where, byte = how
        if action == "truncate":
            raw = raw[: where % len(raw)]
        elif action == "flip":
            raw[where % len(raw)] = byte
        else:  # the 8-byte header length
            raw[:8] = (where * 10 ** 6).to_bytes(8, "little")
        dst.write_bytes(bytes(raw))
        return
    tensors = load_file(str(src))
    with safe_open(str(src), framework="pt") as f:
        meta = dict(f.metadata() or {})
    if how[0] == "meta":
        meta[how[1]] = how[2]
    elif how[0] == "optim":
        _, name, param = how
        for k in [k for k in tensors if k.startswith("optim.") and k.endswith("." + name)]:
            if param is None or k == f"optim.{param}.{name}":
                del tensors[k]
    else:
        _, action, dtype, pick, shape = how
        keys = sorted(tensors)
        key = keys[pick % len(keys)]
        t = tensors[key]
        if action == "drop":
            del tensors[key]
        elif action == "reshape":
            tensors[key] = torch.zeros(shape, dtype=t.dtype)
        elif action == "dtype":
            tensors[key] = t.to(dtype)
        elif action == "nonfinite" and t.is_floating_point():
            tensors[key] = torch.full_like(t, float("nan") if pick % 2 else float("inf"))
        elif action == "extra":
            tensors[key + ".extra"] = torch.zeros(2)
        elif action == "scalar":
            tensors[key] = torch.tensor(1.0)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(dst), metadata=meta)


@given(which=st.sampled_from(["done", "stopped", "adam_done", "adam_stopped"]), how=tampering())
@fuzz_settings(40)
def test_resume_from_a_tampered_checkpoint(which: str, how: tuple, checkpoints, tmp_path_factory) -> None:
    tmp = tmp_path_factory.mktemp("r")
    ckpt = tmp / "tampered.safetensors"
    _tamper(checkpoints[which], ckpt, how)
    graph = checkpoints["adam_graph" if which.startswith("adam_") else "graph"]
    result = run_cli("train", graph, "--resume", ckpt, "--epochs", 3, "--out", tmp / "run")
    assert_clean(result, what=f"{which} {how!r}")


def test_untampered_checkpoints_resume(checkpoints, tmp_path: Path) -> None:
    for which in ("done", "stopped", "adam_done", "adam_stopped"):
        graph = checkpoints["adam_graph" if which.startswith("adam_") else "graph"]
        result = run_cli("train", graph, "--resume", checkpoints[which], "--epochs", 3, "--out", tmp_path / which)
        assert_clean(result, codes=(0,))


@pytest.mark.parametrize("name, param", [("exp_avg_sq", None), ("exp_avg", 0), ("step", 2), ("exp_avg_sq", 3)])
def test_an_adam_checkpoint_missing_one_state_key_is_refused(name, param, checkpoints, tmp_path) -> None:
    """The case the reviewer found (exp_avg_sq removed: a KeyError traceback from torch's Adam), always drawn."""
    for which in ("adam_done", "adam_stopped"):
        ckpt = tmp_path / f"{which}.safetensors"
        _tamper(checkpoints[which], ckpt, ("optim", name, param))
        result = run_cli("train", checkpoints["adam_graph"], "--resume", ckpt, "--epochs", 3, "--out", tmp_path / which)
        assert_clean(result, codes=(1,), what=which)
        assert f"lacks {name}" in result[2] and str(ckpt) in result[2]
