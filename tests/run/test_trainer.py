"""The trainer against independent oracles: hand-written torch updates, autograd, formulas."""
from __future__ import annotations

import json
import math
import pickle
import time
from dataclasses import fields, is_dataclass

import pytest
import torch

import graphlab
from graphlab.compiler import compile_graph, info
from graphlab.core import Graph
from graphlab.run import events as ev
from graphlab.run.config import parse_training
from graphlab.run.datasets import build_dataset
from graphlab.run.trainer import Trainer, train


def mlp(hidden=20, classes=3, inp=(2,), loss="CrossEntropyLoss", act="ReLU") -> Graph:
    g = Graph("mlp")
    g.add_node("Input", {"shape": list(inp)}, node_id="x")
    prev = "x"
    if len(inp) > 1:
        g.add_node("Flatten", {}, node_id="flat")
        g.connect("x", "flat")
        prev = "flat"
    g.add_node("Linear", {"out_features": hidden}, node_id="fc1")
    g.add_node(act, {}, node_id="act")
    g.add_node("Linear", {"out_features": classes}, node_id="scores")
    g.add_node(loss, {}, node_id="loss")
    for a, b in ((prev, "fc1"), ("fc1", "act"), ("act", "scores"), ("scores", "loss")):
        g.connect(a, b)
    return g


SPIRAL_FULL = {"dataset": "spiral", "val_fraction": 0, "batch_size": "full", "stats": {"budget": 0}}


def kinds(events):
    return [type(e).__name__ for e in events]


def test_full_batch_sgd_with_l2_and_l1_matches_a_hand_written_update():
    g = mlp()
    section = {**SPIRAL_FULL, "epochs": 3, "optimizer": {"name": "sgd", "lr": 0.5},
               "regularization": {"l2": 1e-2, "l1": 1e-3}}
    g.training = section
    t = Trainer(g)
    fin = t.run()
    assert fin.reason == "completed"
    # oracle: the same initial weights, plain torch.nn.functional, ½·λ·ΣW² + λ·Σ|W| over weight matrices only
    ref = compile_graph(g, seed=0)
    p = {k: v.detach().clone().requires_grad_(True) for k, v in ref.state_dict().items()}
    data = build_dataset(parse_training(section))
    x, y = data.x_train, data.y_train
    for _ in range(3):
        h = torch.relu(x @ p["fc1.weight"].T + p["fc1.bias"])
        s = h @ p["scores.weight"].T + p["scores.bias"]
        w = (p["fc1.weight"], p["scores.weight"])
        loss = torch.nn.functional.cross_entropy(s, y) + 0.5 * 1e-2 * sum((v ** 2).sum() for v in w) \
            + 1e-3 * sum(v.abs().sum() for v in w)
        grads = torch.autograd.grad(loss, list(p.values()))
        with torch.no_grad():
            for v, gr in zip(p.values(), grads):
                v -= 0.5 * gr
    for k, v in t.module.state_dict().items():
        torch.testing.assert_close(v, p[k].detach(), rtol=1e-5, atol=1e-6)


def test_l2_is_torchs_weight_decay_on_the_weights():
    """L2 λ means ½·λ·ΣW² (the course's convention), whose gradient is λ·W: torch's SGD with
    weight_decay=λ on the weight matrices (not the biases) takes the very same steps."""
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 4, "optimizer": {"name": "sgd", "lr": 0.5},
                  "regularization": {"l2": 0.05}}
    t = Trainer(g)
    assert t.run().reason == "completed"
    ref = compile_graph(g, seed=0)
    weights = [p for p in ref.parameters() if p.dim() >= 2]
    biases = [p for p in ref.parameters() if p.dim() < 2]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": 0.05}, {"params": biases}], lr=0.5)
    data = build_dataset(parse_training(g.training))
    for _ in range(4):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(ref(data.x_train), data.y_train).backward()
        opt.step()
    for k, v in t.module.state_dict().items():
        torch.testing.assert_close(v, ref.state_dict()[k], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, knobs", [("momentum", {"momentum": 0.8}), ("nesterov", {"momentum": 0.7}),
                                         ("rmsprop", {"decay": 0.9, "eps": 1e-6}),
                                         ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-7}),
                                         ("adagrad", {"eps": 1e-6})])
def test_optimizer_knobs_follow_the_textbook_update(name, knobs):
    """Three full-batch steps against the update rules written out by hand (CS231n notation)."""
    g = mlp(hidden=8)
    lr = 0.05
    g.training = {**SPIRAL_FULL, "epochs": 3, "optimizer": {"name": name, "lr": lr, **knobs}}
    t = Trainer(g)
    t.run()
    ref = compile_graph(g, seed=0)
    params = list(ref.parameters())
    data = build_dataset(parse_training(g.training))
    state = [dict(v=torch.zeros_like(q), m=torch.zeros_like(q), c=torch.zeros_like(q)) for q in params]
    for step in range(1, 4):
        ref.zero_grad()
        torch.nn.functional.cross_entropy(ref(data.x_train), data.y_train).backward()
        with torch.no_grad():
            for q, st in zip(params, state):
                dx = q.grad
                if name == "momentum":
                    st["v"] = knobs["momentum"] * st["v"] + dx if step > 1 else dx.clone()
                    q -= lr * st["v"]
                elif name == "nesterov":
                    st["v"] = knobs["momentum"] * st["v"] + dx if step > 1 else dx.clone()
                    q -= lr * (dx + knobs["momentum"] * st["v"])
                elif name == "rmsprop":
                    st["c"] = knobs["decay"] * st["c"] + (1 - knobs["decay"]) * dx * dx
                    q -= lr * dx / (st["c"].sqrt() + knobs["eps"])
                elif name == "adagrad":
                    st["c"] += dx * dx
                    q -= lr * dx / (st["c"].sqrt() + knobs["eps"])
                else:
                    b1, b2 = knobs["beta1"], knobs["beta2"]
                    st["m"] = b1 * st["m"] + (1 - b1) * dx
                    st["v"] = b2 * st["v"] + (1 - b2) * dx * dx
                    mt, vt = st["m"] / (1 - b1 ** step), st["v"] / (1 - b2 ** step)
                    q -= lr * mt / (vt.sqrt() + knobs["eps"])
    for a, b in zip(t.module.parameters(), params):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_same_file_and_seed_give_the_same_losses_and_another_seed_does_not():
    g = mlp()
    g.training = {"dataset": "spiral", "epochs": 3, "batch_size": 16, "optimizer": "momentum"}
    a = [e.train_loss for e in train(g)[1] if isinstance(e, ev.Epoch)]
    b = [e.train_loss for e in train(g)[1] if isinstance(e, ev.Epoch)]
    g.training["seed"] = 1
    c = [e.train_loss for e in train(g)[1] if isinstance(e, ev.Epoch)]
    assert a == b and a != c


def test_event_stream_order_and_plain_picklable_data():
    g = mlp()
    g.training = {"dataset": "spiral", "epochs": 2, "batch_size": 60}
    fin, events = train(g)
    k = kinds(events)
    assert k[0] == "RunStarted" and k[-1] == "Finished" and k.count("Epoch") == 2
    assert k.count("Step") == 2 * math.ceil(240 / 60) and "NodeStats" in k
    start = events[0]
    assert (start.n_train, start.n_val, start.steps_per_epoch, start.params) == (240, 60, 4, 2 * 20 + 20 + 20 * 3 + 3)
    assert start.expected_loss == pytest.approx(math.log(3))
    assert [e.step for e in events if isinstance(e, ev.Step)] == list(range(1, 9))
    for ep in (1, 2):  # equal batches: the epoch's running accuracy is the mean of its steps'
        accs = [e.acc for e in events if isinstance(e, ev.Step) and e.epoch == ep]
        epoch = next(e for e in events if isinstance(e, ev.Epoch) and e.epoch == ep)
        assert epoch.train_acc == pytest.approx(sum(accs) / 4)

    def plain(v):
        if is_dataclass(v):
            return all(plain(getattr(v, f.name)) for f in fields(v))
        if isinstance(v, dict):
            return all(isinstance(x, str) and plain(y) for x, y in v.items())
        if isinstance(v, (list, tuple)):
            return all(plain(x) for x in v)
        return v is None or isinstance(v, (bool, int, float, str))
    assert all(plain(e) for e in events)
    assert pickle.loads(pickle.dumps(events)) == events
    assert fin.final["val_acc"] is not None and 0 <= fin.final["train_acc"] <= 1


def test_epoch_accuracy_and_final_metrics_against_an_evaluation_by_hand():
    g = mlp()
    g.training = {"dataset": "spiral", "epochs": 2, "batch_size": 30, "optimizer": {"name": "adam", "lr": 0.02}}
    t = Trainer(g)
    fin = t.run()
    data = build_dataset(parse_training(g.training))
    with torch.no_grad():
        t.module.eval()
        for split, x, y in (("train", data.x_train, data.y_train), ("val", data.x_val, data.y_val)):
            s = t.module(x)
            assert fin.final[f"{split}_loss"] == pytest.approx(float(torch.nn.functional.cross_entropy(s, y)), rel=1e-5)
            assert fin.final[f"{split}_acc"] == pytest.approx(float((s.argmax(1) == y).float().mean()))


def test_node_statistics_of_the_first_step_match_autograd():
    g = mlp(hidden=16, act="Tanh")
    lr = 0.3
    g.training = {**SPIRAL_FULL, "epochs": 1, "optimizer": {"name": "sgd", "lr": lr}, "stats": {"budget": 0.5}}
    _, events = train(g)
    ns = next(e for e in events if isinstance(e, ev.NodeStats))
    assert ns.step == 1
    ref = compile_graph(g, seed=0)
    data = build_dataset(parse_training(g.training))
    h = ref.fc1(data.x_train)
    a = torch.tanh(h)
    s = ref.scores(a)
    for t_ in (h, a, s):
        t_.retain_grad()
    torch.nn.functional.cross_entropy(s, data.y_train).backward()
    for nid, out in (("fc1", h), ("act", a), ("scores", s)):
        st = ns.nodes[nid]

        o = out.detach()
        assert st.mean == pytest.approx(float(o.mean()), abs=1e-6)
        assert st.std == pytest.approx(float(o.std()), rel=1e-4)
        assert st.grad_norm == pytest.approx(float(out.grad.norm()), rel=1e-4)
        assert st.zero_frac == pytest.approx(float((o == 0).float().mean()))
    assert ns.nodes["act"].saturated_frac == pytest.approx(float((a.detach().abs() > 0.99).float().mean()))
    assert ns.nodes["fc1"].saturated_frac is None
    w = ref.scores.weight
    pw = ns.nodes["scores"].params["weight"]
    assert pw.grad_norm == pytest.approx(float(w.grad.norm()), rel=1e-4)
    new = w.detach() - lr * w.grad
    assert pw.norm == pytest.approx(float(new.norm()), rel=1e-5)
    assert pw.update_ratio == pytest.approx(float((lr * w.grad).norm() / new.norm()), rel=1e-4)


def test_relu_dead_fraction_and_no_stats_when_the_budget_is_zero():
    g = mlp(hidden=16)
    g.training = {**SPIRAL_FULL, "epochs": 1, "stats": {"budget": 0.5}}
    ns = next(e for e in train(g)[1] if isinstance(e, ev.NodeStats))
    ref = compile_graph(g, seed=0)
    x = build_dataset(parse_training(g.training)).x_train
    assert ns.nodes["act"].zero_frac == pytest.approx(float((torch.relu(ref.fc1(x)) == 0).float().mean()))
    g.training = {**SPIRAL_FULL, "epochs": 20, "stats": {"budget": 0}}
    assert "NodeStats" not in kinds(train(g)[1])


def test_step_schedule_and_cosine_follow_their_formulas():
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 7, "optimizer": {"name": "sgd", "lr": 0.8},
                  "schedule": {"name": "step", "step_size": 3, "gamma": 0.5}}
    lrs = [e.lr for e in train(g)[1] if isinstance(e, ev.Epoch)]
    assert lrs == pytest.approx([0.8 * 0.5 ** ((ep - 1) // 3) for ep in range(1, 8)])
    g.training["schedule"] = {"name": "cosine"}
    lrs = [e.lr for e in train(g)[1] if isinstance(e, ev.Epoch)]
    assert lrs == pytest.approx([0.4 * (1 + math.cos(math.pi * (ep - 1) / 7)) for ep in range(1, 8)])


@pytest.mark.parametrize("change, kind, node, field, words", [
    (lambda g: g.set_param("x", "shape", [3]), "fit", "x", "shape", "set its shape to [2]"),
    (lambda g: g.set_param("scores", "out_features", 4), "fit", "scores", "out_features", "3 classes"),
    (lambda g: setattr(g, "training", {"dataset": "adding"}), "fit", "x", "shape", "[50, 2]"),
    (lambda g: g.set_param("fc1", "out_features", 0), "graph", "fc1", "params.out_features", ""),
    (lambda g: g.remove_node("loss"), "graph", "scores", None, "no loss node"),
    (lambda g: setattr(g, "training", {"optimizer": {"lr": -1}}), "config", None, "training.optimizer.lr", "> 0"),
    (lambda g: setattr(g, "training", {"dataset": {"name": "npz", "path": "/nonexistent/d.npz"}}), "data", None,
     "training.dataset", "no such file"),
    (lambda g: setattr(g, "training", {"augment": {"hflip": True}}), "config", None, "training.augment", "images"),
])
def test_problems_before_training_name_the_node(change, kind, node, field, words):
    g = mlp()
    g.training = {"dataset": "spiral"}
    change(g)
    fin, events = train(g)
    err = events[-2]
    assert kinds(events) == ["Error", "Finished"] and fin.reason == "error"
    assert (err.kind, err.node, err.field) == (kind, node, field)
    assert words in err.message


def test_loss_type_must_match_the_task():
    g = mlp(loss="MSELoss")
    g.training = {"dataset": "spiral"}
    err = train(g)[1][-2]
    assert err.kind == "fit" and err.node == "loss" and "cross-entropy" in err.message
    g = mlp(classes=1, inp=(50, 2))
    g.training = {"dataset": "adding"}
    err = train(g)[1][-2]
    assert err.node == "loss" and "Mean squared error" in err.message


def test_a_nan_loss_names_the_first_non_finite_node_and_keeps_the_last_checkpoint(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 50, "optimizer": {"name": "sgd", "lr": 1e30}}
    fin2, events = train(g, out_dir=tmp_path, checkpoint_interval=0)
    assert fin2.reason == "error"
    err = events[-2]
    assert err.kind == "nan" and err.node in ("fc1", "scores") and err.node in err.message
    assert "not finite" in err.message or "non-finite" in err.message
    from graphlab.run.checkpoint import read_weights

    if fin2.checkpoint:  # the epochs that completed left finite weights behind
        w = read_weights(fin2.checkpoint)
        assert all(bool(torch.isfinite(v).all()) for v in w.values())


def test_first_nonfinite_names_the_node_whose_weights_broke():
    from graphlab.run.diagnose import first_nonfinite, node_that_raises

    g = mlp()
    gm = compile_graph(g)
    with torch.no_grad():
        gm.scores.weight[0, 0] = float("nan")
    node, detail = first_nonfinite(gm, info(gm), torch.randn(4, 2))
    assert node == "scores" and "weight" in detail
    assert node_that_raises(gm, info(gm), torch.randn(4, 5)) == "fc1"
    assert not gm.fc1._forward_hooks and not gm.fc1._forward_pre_hooks  # hooks removed


def test_pause_resume_and_stop_from_another_thread(tmp_path):
    import threading

    path = tmp_path / "g.graphlab.json"
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 100000}
    graphlab.save(g, path)
    before = path.read_bytes()
    t = Trainer(graphlab.load(path), out_dir=tmp_path / "run")
    seen: list = []
    paused = threading.Event()

    def listen(e):
        seen.append(e)
        if isinstance(e, ev.Paused):
            paused.set()

    th = threading.Thread(target=t.run, args=(listen,), daemon=True)
    th.start()

    def wait_for(condition, what: str, timeout: float = 120.0) -> None:
        """Wait for ``condition`` while the trainer thread lives; a dead or stuck trainer fails the test."""
        end = time.monotonic() + timeout
        while not condition():
            if not th.is_alive() or time.monotonic() >= end:
                dead = not th.is_alive()
                t.stop()  # never leave a trainer running behind a failed test
                th.join(10)
                assert condition(), (f"the trainer thread ended before {what}" if dead else
                                     f"no {what} within {timeout} s") + f"; last events: {seen[-3:]}"
                return
            th.join(0.01)

    wait_for(lambda: sum(isinstance(e, ev.Epoch) for e in seen) >= 3, "3 epochs")
    t.pause()
    assert paused.wait(10)
    at = next(e for e in seen if isinstance(e, ev.Paused))
    # deterministic, not a sleep: the paused loop answers requests, at the step it paused on
    from graphlab.run.commands import Request

    for rid in (1, 2):
        t.request(Request("status", id=rid))
        wait_for(lambda: any(isinstance(e, ev.Reply) and e.request == rid for e in seen), f"reply {rid}")
    assert [(e.step, e.data["paused"]) for e in seen if isinstance(e, ev.Reply)] == [(at.step, True)] * 2
    assert not [e for e in seen[seen.index(at):] if isinstance(e, (ev.Step, ev.Epoch))]  # nothing trained
    t.resume()
    wait_for(lambda: any(isinstance(e, ev.Resumed) for e in seen) and sum(isinstance(e, ev.Epoch) for e in seen) >= 6,
             "Resumed and 6 epochs")
    t.stop()
    th.join(10)
    assert not th.is_alive()
    fin = seen[-1]
    assert isinstance(fin, ev.Finished) and fin.reason == "stopped" and fin.epochs >= 6
    from graphlab.run.checkpoint import read_checkpoint

    weights, _, meta = read_checkpoint(fin.checkpoint)
    assert int(meta["epoch"]) == fin.epochs and set(weights) == {"fc1.weight", "fc1.bias", "scores.weight",
                                                                  "scores.bias"}
    assert path.read_bytes() == before


def test_resume_from_a_checkpoint_continues_exactly(tmp_path):
    g = mlp()
    g.training = {"dataset": "spiral", "epochs": 4, "batch_size": 32, "optimizer": "adam"}
    whole = [e.train_loss for e in train(g)[1] if isinstance(e, ev.Epoch)]
    g.training["epochs"] = 2
    fin, _ = train(g, out_dir=tmp_path)
    g.training["epochs"] = 4
    fin2, events = train(g, out_dir=tmp_path, resume_from=fin.checkpoint)
    assert events[0].start_epoch == 2
    assert [e.train_loss for e in events if isinstance(e, ev.Epoch)] == whole[2:]
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 4


def test_a_checkpoint_of_another_graph_is_refused_with_the_node(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 1}
    fin, _ = train(g, out_dir=tmp_path)
    g2 = mlp(hidden=7)
    g2.training = g.training
    err = train(g2, resume_from=fin.checkpoint)[1][-2]
    assert (err.kind, err.node) == ("checkpoint", "fc1") and "in the checkpoint but [7, 2] in the graph" in err.message
    (tmp_path / "junk.safetensors").write_bytes(b"not a checkpoint")
    err = train(g, resume_from=tmp_path / "junk.safetensors")[1][-2]
    assert "not a readable safetensors file" in err.message


def test_training_through_a_dataloader_on_an_image_folder(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    for k in range(2):
        (tmp_path / "imgs" / f"c{k}").mkdir(parents=True)
        for i in range(12):
            np.save(tmp_path / "imgs" / f"c{k}" / f"{i}.npy", (rng.random((1, 4, 4)) + 2 * k).astype(np.float32))
    g = mlp(classes=2, inp=(1, 4, 4))
    g.training = {"dataset": {"name": "image_folder", "path": "imgs"}, "epochs": 15, "batch_size": 8,
                  "preprocess": "standardize", "augment": {"hflip": True}, "optimizer": "adam"}
    fin, events = train(g, base_dir=tmp_path)
    assert fin.reason == "completed" and fin.final["train_acc"] == 1.0


def test_augment_batch_draws_are_flips_and_shifted_windows():
    from graphlab.run.augment import augment_batch
    from graphlab.run.config import AugmentConfig

    x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).view(2, 3, 5, 5).repeat(8, 1, 1, 1)
    f = augment_batch(x, AugmentConfig(hflip=True))
    flipped = [bool(torch.equal(f[i], x[i].flip(2))) for i in range(16)]
    assert all(flipped[i] or torch.equal(f[i], x[i]) for i in range(16)) and 0 < sum(flipped) < 16
    c = augment_batch(x, AugmentConfig(crop_padding=2))
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(16):
        assert any(torch.equal(c[i], padded[i, :, dy:dy + 5, dx:dx + 5]) for dy in range(5) for dx in range(5))
    j = augment_batch(x, AugmentConfig(color_jitter=0.3))
    ratio = j.mean((1, 2, 3)) / x.mean((1, 2, 3))
    assert ((ratio > 0.69) & (ratio < 1.31)).all()


def test_advice_warnings_name_saturated_and_dead_nodes():
    g = mlp(hidden=50, inp=(1, 8, 8), classes=10, act="Tanh")
    g.training = {"dataset": "digits", "preprocess": "standardize", "init": "gaussian", "epochs": 1,
                  "stats": {"budget": 0.5}}
    warns = [e for e in train(g)[1] if isinstance(e, ev.Warning)]
    sat = [w for w in warns if "saturated" in w.message]
    assert len(sat) == 1 and sat[0].node == "act"  # once, on the Tanh node
    # lr 50 on tanh units: every update stays a large share of the weights (a ReLU net instead dies in
    # its first step, and says so with a dead-units warning naming the learning rate)
    g = mlp(hidden=50, inp=(1, 8, 8), classes=10, act="Tanh")
    g.training = {"dataset": "digits", "preprocess": "standardize", "epochs": 1, "stats": {"budget": 1.0},
                  "optimizer": {"name": "sgd", "lr": 50.0}}  # every step sampled: the verdict needs 3 samples
    warns = [e for e in train(g)[1] if isinstance(e, ev.Warning)]
    assert any(w.node == "fc1" and "learning rate is probably too high" in w.message for w in warns)
    section = g.training
    g = mlp(hidden=50, inp=(1, 8, 8), classes=10)
    g.training = section
    warns = [e for e in train(g)[1] if isinstance(e, ev.Warning)]
    assert any(w.node == "act" and w.kind == "dead" and "learning rate" in w.message for w in warns)
    g.training = {**g.training, "optimizer": {"name": "sgd", "lr": 0.01}}
    assert not [e for e in train(g)[1] if isinstance(e, ev.Warning)]


def test_a_runtime_failure_mid_run_names_the_node_and_keeps_the_checkpoint(tmp_path, monkeypatch):
    import graphlab.run.trainer as trainer_mod
    from graphlab.run.checkpoint import read_weights

    real = trainer_mod.compile_graph
    calls = {"n": 0}

    def compile_with_a_failing_layer(*args, **kwargs):
        gm = real(*args, **kwargs)
        inner = gm.scores.forward

        def forward(x):
            calls["n"] += 1
            if calls["n"] == 7:  # the initial-loss forward, then one step per epoch: epoch 6 fails
                raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: not enough memory: "
                                   "you tried to allocate 123 bytes. out of memory")
            return inner(x)
        gm.scores.forward = forward
        return gm

    monkeypatch.setattr(trainer_mod, "compile_graph", compile_with_a_failing_layer)
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 10}
    fin, events = train(g, out_dir=tmp_path, checkpoint_interval=0)
    err = events[-2]
    assert (err.kind, err.node, fin.reason) == ("oom", "scores", "error")
    assert "lower training.batch_size" in err.message and "epoch" in err.message
    assert [e.epoch for e in events if isinstance(e, ev.Epoch)] == [1, 2, 3, 4, 5]
    assert "at node scores at epoch 6" in err.message
    assert set(read_weights(fin.checkpoint)) == {"fc1.weight", "fc1.bias", "scores.weight", "scores.bias"}


def test_chain_forward_computes_what_the_compiled_module_does(examples_dir):
    from graphlab.run.trainer import chain_forward

    for name, shape in (("lenet5", (3, 1, 28, 28)), ("adding_lstm", (3, 50, 2))):
        gm = compile_graph(graphlab.load(examples_dir / f"{name}.graphlab.json"))
        gm.eval()
        x = torch.randn(*shape)
        torch.testing.assert_close(chain_forward(gm)(x), gm(x), rtol=0, atol=0)
    for name in ("resnet_block", "inception_block"):  # branches and merges: the compiled forward is used
        assert chain_forward(compile_graph(graphlab.load(examples_dir / f"{name}.graphlab.json"))) is None


def test_the_sampler_keeps_to_its_time_budget(monkeypatch):
    import graphlab.run.stats as stats_mod

    now = {"t": 0.0}
    monkeypatch.setattr(stats_mod.time, "perf_counter", lambda: now["t"])
    s = stats_mod.StatsSampler({}, {}, budget=0.02)
    assert s.want()  # the first step is always sampled
    s.samples = 1
    s.charge(5.0)  # ... and not charged: its step also pays one-off costs (imports)
    assert s.spent == 0 and s.want()
    s.samples = 2
    s.charge(0.1)  # the second sample cost 0.1 s more than a plain step
    now["t"] = 9.9
    assert not s.want()  # 0.1 + 0.1 > 0.02 × 9.9
    now["t"] = 10.0
    assert s.want()  # 0.2 <= 0.02 × 10
    assert not stats_mod.StatsSampler({}, {}, budget=0.0).want()


def _stop_after_steps(trainer, k):
    """Events of a run that is stopped (as Ctrl+C would) after its k-th Step event."""
    out, steps = [], 0
    for e in trainer.events():
        out.append(e)
        if isinstance(e, ev.Step):
            steps += 1
            if steps == k:
                trainer.stop()
    return out


def test_a_stop_inside_an_epoch_resumes_exactly(tmp_path):
    g = mlp()
    g.add_node("Dropout", {"p": 0.3}, node_id="drop")  # dropout draws random numbers: the RNG state must resume too
    g.disconnect(next(e for e in g.edges if e.src == "act"))
    g.connect("act", "drop")
    g.connect("drop", "scores")
    g.training = {"dataset": "spiral", "epochs": 4, "batch_size": 32, "optimizer": "adam",
                  "augment": {}, "stats": {"budget": 0}}
    whole = [(e.epoch, e.train_loss, e.train_acc) for e in train(g)[1] if isinstance(e, ev.Epoch)]
    t = Trainer(g, out_dir=tmp_path)
    first = _stop_after_steps(t, 11)  # 8 steps an epoch: stops inside epoch 2
    fin = first[-1]
    assert fin.reason == "stopped" and fin.epochs == 1
    fin2, events = train(g, out_dir=tmp_path, resume_from=fin.checkpoint)
    resumed = [(e.epoch, e.train_loss, e.train_acc) for e in events if isinstance(e, ev.Epoch)]
    assert resumed == whole[1:]
    logged = [json.loads(line)["epoch"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert logged == [1, 2, 3, 4]


def test_a_resume_after_a_crash_does_not_repeat_logged_epochs(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 1, "optimizer": "adam"}
    first, _ = train(g, out_dir=tmp_path)  # a checkpoint at epoch 1
    ckpt = tmp_path / "ckpt1.safetensors"
    ckpt.write_bytes((tmp_path / "last.safetensors").read_bytes())
    g.training["epochs"] = 5
    t = Trainer(g, out_dir=tmp_path, resume_from=ckpt, checkpoint_interval=1e9)
    for e in t.events():  # logs epochs 2 and 3, writes no checkpoint, then "crashes"
        if isinstance(e, ev.Epoch) and e.epoch == 3:
            break
    fin, _ = train(g, out_dir=tmp_path, resume_from=ckpt)
    logged = [json.loads(line)["epoch"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert fin.reason == "completed" and logged == [1, 2, 3, 4, 5]


def test_an_unwritable_out_folder_is_a_clear_error(tmp_path):
    g = mlp()
    g.training = {**SPIRAL_FULL, "epochs": 1}
    (tmp_path / "afile").write_text("x")
    err = train(g, out_dir=tmp_path / "afile")[1][-2]
    assert isinstance(err, ev.Error) and err.kind == "config" and "cannot write there" in err.message


def test_a_dataset_that_cannot_be_allocated_is_an_oom_error_on_the_dataset(monkeypatch):
    import graphlab.run.trainer as trainer_mod

    def build(cfg, base_dir=None):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: "
                           "you tried to allocate 8000000000000 bytes.")
    monkeypatch.setattr(trainer_mod, "build_dataset", build)
    g = mlp()
    g.training = {"dataset": "spiral"}
    fin, events = train(g)
    err = events[-2]
    assert (err.kind, err.field, fin.reason) == ("oom", "training.dataset", "error")
    assert "does not fit in memory" in err.message and "8000000000000 bytes" in err.message


def test_preflight_reports_what_a_run_would_stop_with_before_training():
    from graphlab.run.trainer import preflight

    g = mlp()
    g.training = {"dataset": "spiral"}
    assert preflight(g) is None
    g.set_param("x", "shape", [3])
    err = preflight(g)
    assert (err.kind, err.node, err.field) == ("fit", "x", "shape") and "set its shape to [2]" in err.message
    g.set_param("x", "shape", [2])
    g.training = {"optimizer": {"lr": -1}}
    assert preflight(g).field == "training.optimizer.lr"
