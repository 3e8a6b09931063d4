"""The trainer: runs the experiment a graph file describes and emits plain-data events.

::

    t = Trainer(graph, base_dir=folder_of_the_file, out_dir="runs/x")
    for event in t.events():      # a generator; or t.run(callback) -> the Finished event
        ...

It never prints and never touches the graph file. ``pause()``, ``resume()`` and ``stop()`` may be
called from any thread; they take effect between steps (a stop saves a checkpoint first). With
``out_dir`` it writes ``last.safetensors`` (weights + optimizer tensors, see
:mod:`graphlab.run.checkpoint`) at the end of an epoch when ``checkpoint_interval`` seconds have passed
since the last one, after the last epoch and on stop (never with non-finite weights), and
``metrics.jsonl`` (one line per Epoch event). ``resume_from`` continues from a checkpoint's weights, optimizer state
and epoch count.

Per step: in-memory data is indexed with one randperm per epoch (no DataLoader; image folders use
one), augmented on the batch, forwarded through the compiled fx module, the loss + λ·ΣW² + λ·Σ|W|
backpropagated, gradients optionally clipped, the optimizer stepped. The schedule steps per epoch.
Same file + seed gives the same losses on CPU.

Failures end the run with an :class:`~graphlab.run.events.Error` naming the node when it can:
a non-finite loss re-runs the failing batch with hooks and names the first node whose output is not
finite; a runtime error (shape, out of memory) re-runs it with pre-hooks and names the node that
raised. The last checkpoint written stays loadable.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import torch
from torch import nn

from ..compiler import BuildError, CompileError, compile_graph, info
from ..core.analysis import analyze
from ..core.graph import Graph
from ..io.tempfiles import clean_stale
from . import events as ev
from .augment import augment_batch
from .checkpoint import CheckpointError, restore, resume_state, save_checkpoint
from .config import MAX_EPOCHS, ConfigError, TrainConfig, parse_training
from .datasets import Data, DataError, build_dataset
from .diagnose import first_nonfinite, node_in_traceback, node_that_raises
from .fits import check_dataset, check_training
from .setup import (SetupError, auto_threads, check_fit, check_graph, make_optimizer, make_scheduler, resolve_device,
                    tune_malloc, weight_params)
from .stats import StatsSampler, advice

EVAL_BATCH = 1024


class _Abort(Exception):
    def __init__(self, error: ev.Error) -> None:
        super().__init__(error.message)
        self.error = error


class Trainer:
    def __init__(self, graph: Graph, config: TrainConfig | None = None, *, base_dir: str | os.PathLike[str] | None = None,
                 out_dir: str | os.PathLike[str] | None = None, resume_from: str | os.PathLike[str] | None = None,
                 step_interval: float = 0.0, checkpoint_interval: float = 10.0) -> None:
        """``config`` defaults to ``parse_training(graph.training)``. ``step_interval`` (seconds) throttles
        Step events: 0 emits one per step; a GUI might pass 0.05 (each Step then averages its steps).
        ``checkpoint_interval`` (seconds): a checkpoint is written at the end of an epoch when this long has
        passed since the last one, and always after the last epoch and on stop."""
        self.graph = graph
        self._config = config
        self.base_dir = base_dir
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.resume_from = resume_from
        self.step_interval = step_interval
        self.checkpoint_interval = checkpoint_interval
        self._last_save = 0.0
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()
        self.module: torch.fx.GraphModule | None = None  # set once the run has compiled the graph
        self.data: Data | None = None

    # -- controls (any thread) -------------------------------------------------------------------
    def pause(self) -> None:
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    def stop(self) -> None:
        self._stop.set()
        self._go.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- running ---------------------------------------------------------------------------------
    def run(self, callback: Callable[[ev.Event], None] | None = None) -> ev.Finished:
        last = None
        for e in self.events():
            if callback is not None:
                callback(e)
            last = e
        assert isinstance(last, ev.Finished)
        return last

    def events(self) -> Iterator[ev.Event]:
        t0 = time.perf_counter()
        self._state: dict[str, Any] = {"epoch": 0, "step": 0, "samples": 0, "train_time": 0.0}
        self._ckpt: str | None = None
        self._log: str | None = None
        self._resume_partial: tuple[Any, Any] = (None, None)
        threads = torch.get_num_threads()
        try:
            yield from self._run(t0)
        except _Abort as a:
            yield a.error
            yield self._finished("error", t0)
        except KeyboardInterrupt:
            self._save()
            yield self._finished("stopped", t0)
        finally:
            torch.set_num_threads(threads)

    def _finished(self, reason: str, t0: float, final: dict[str, Any] | None = None) -> ev.Finished:
        s = self._state
        final = final or {"train_loss": None, "train_acc": None, "val_loss": None, "val_acc": None}
        final = {**final, "epochs": s["epoch"], "seconds": round(time.perf_counter() - t0, 3),
                 "samples_per_s": round(s["samples"] / s["train_time"], 1) if s["train_time"] > 0 else None}
        return ev.Finished(reason, s["epoch"], final, self._ckpt, self._log)

    def _setup(self) -> tuple[TrainConfig, Any, Data, torch.device]:
        try:
            cfg = self._config or parse_training(self.graph.training)
        except ConfigError as e:
            raise _Abort(ev.Error("config", str(e), None, e.field)) from None
        a = analyze(self.graph)
        try:
            check_graph(self.graph, a)
            device = resolve_device(cfg.device)
            check_dataset(cfg)  # sizes are checked before anything is allocated (graphlab.run.fits)
        except SetupError as e:
            raise _Abort(ev.Error(e.kind, str(e), e.node, e.field)) from None
        try:
            data = build_dataset(cfg, self.base_dir)
        except DataError as e:
            raise _Abort(ev.Error("data", str(e), None, "training.dataset")) from None
        except MemoryError:
            raise _Abort(ev.Error("oom", f"dataset {cfg.dataset.name} does not fit in memory", None,
                                  "training.dataset")) from None
        try:
            check_fit(self.graph, a, data, cfg)
            check_training(a, cfg, data, device)
        except SetupError as e:
            hint = "" if self._config is not None or "dataset" in self.graph.training else (
                " (the training section names no dataset, so the default spiral is used: set training.dataset)")
            raise _Abort(ev.Error(e.kind, str(e) + hint, e.node, e.field)) from None
        return cfg, a, data, device

    def _run(self, t0: float) -> Iterator[ev.Event]:
        cfg, a, data, device = self._setup()
        self.data = data
        tune_malloc()
        threads = cfg.threads or auto_threads(a, cfg.batch_size or data.n_train)
        if threads:
            torch.set_num_threads(threads)
        try:
            gm = compile_graph(self.graph, seed=cfg.seed, init=cfg.init, analysis=a)
        except (CompileError, ValueError) as e:  # BuildError (a ValueError): an allocation that still failed
            raise _Abort(ev.Error("oom" if isinstance(e, BuildError) else "graph", str(e),
                                  getattr(e, "node", None))) from None
        ci = info(gm)
        gm.to(device)
        self.module = gm
        loss_fn = ci.loss.to(device)
        opt = make_optimizer(cfg, gm.parameters())
        sched = make_scheduler(cfg, opt)
        start_epoch = 0
        if self.resume_from is not None:
            try:
                meta = restore(self.resume_from, gm, opt)
                start_epoch, self._state["step"], *partial = resume_state(meta, self.resume_from, MAX_EPOCHS)
            except CheckpointError as e:
                raise _Abort(ev.Error("checkpoint", str(e), e.node)) from None
            self._resume_partial = (partial[0], partial[1])
            if sched is not None:
                for _ in range(start_epoch):
                    sched.step()
        self._state["epoch"] = start_epoch
        self._opt, self._gm = opt, gm
        log = None
        if self.out_dir is not None:
            try:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                clean_stale(self.out_dir)  # a crashed run's temporary checkpoint files
                self._log = str(self.out_dir / "metrics.jsonl")
                kept = _log_lines_up_to(self._log, start_epoch) if start_epoch else []
                log = open(self._log, "w", encoding="utf-8")
                log.writelines(kept)  # a resumed run's log continues after the checkpoint's epoch, no repeats
            except OSError as e:
                raise _Abort(ev.Error("config", f"--out {self.out_dir}: cannot write there ({e.strerror or e})",
                                      None, "out")) from None
        try:
            yield from self._loop(cfg, a, data, device, gm, ci, loss_fn, opt, sched, start_epoch, log, t0)
        except DataError as e:  # a lazily read file (an image folder's) that turns out unreadable mid-run
            raise _Abort(ev.Error("data", str(e), None, "training.dataset")) from None
        finally:
            if log is not None:
                log.close()

    def _loop(self, cfg: TrainConfig, a: Any, data: Data, device: torch.device, gm: Any, ci: Any,
              loss_fn: nn.Module, opt: torch.optim.Optimizer, sched: Any, start_epoch: int, log: Any,
              t0: float) -> Iterator[ev.Event]:

        cls = data.task == "classification"
        if data.in_memory:
            xt, yt = data.x_train.to(device), data.y_train.to(device)
        n = data.n_train
        bs = n if cfg.batch_size is None else min(cfg.batch_size, n)
        steps_per_epoch = math.ceil(n / bs)
        gen = torch.Generator()
        weights = weight_params(gm)
        modules = {nid: gm.get_submodule(name) for nid, name in ci.module_names.items()}
        types = {nid: self.graph.nodes[nid].type for nid in modules}
        sampler = StatsSampler(modules, types, cfg.stats_budget)
        warned: set[tuple[str, str]] = set()  # each piece of advice once per node

        with torch.no_grad():
            gm.eval()
            if data.in_memory:
                xs, ys = xt[:EVAL_BATCH], yt[:EVAL_BATCH]
            else:
                xs, ys = (t.to(device) for t in _first_batch(data, EVAL_BATCH))
            init_loss = float(loss_fn(gm(xs), ys))
        expected = math.log(data.num_classes) if self.graph.nodes[a.loss].type == "CrossEntropyLoss" else None
        params = sum(p.numel() for p in gm.parameters())
        yield ev.RunStarted(self.graph.name, data.name, data.task, n, data.n_val, data.num_classes, params,
                            str(device), cfg.epochs, steps_per_epoch, init_loss, expected, start_epoch)
        if start_epoch == 0 and expected is not None and math.isfinite(init_loss) and abs(init_loss - expected) > max(1.0, 0.5 * expected):
            yield ev.Warning(f"the loss at initialisation is {init_loss:.3g}, far from ln {data.num_classes} = "
                             f"{expected:.3g}: the initial weights may be too large (try init small_gaussian, "
                             "xavier or kaiming)")

        loader = None
        if not data.in_memory:
            loader = torch.utils.data.DataLoader(data.train_set, batch_size=bs, shuffle=True, generator=gen,
                                                 num_workers=0, drop_last=False)
        val_loss = val_acc = None
        # GraphModule.__call__ wraps forward in extra Python layers (~2.5% of a tiny MLP's step), and its
        # generated code reaches each submodule through Module.__getattr__; a plain chain runs as a loop
        # over its submodules instead. Submodules' own __call__ still runs, so statistics hooks fire.
        forward = chain_forward(gm) or gm.forward
        # hot-loop locals: attribute and property lookups cost a few µs per step on tiny models
        go_set, stop_set, clock, isfinite = self._go.is_set, self._stop.is_set, time.perf_counter, math.isfinite
        zero_grad, opt_step, params = opt.zero_grad, opt.step, list(gm.parameters())
        augment, l2, l1, clip = cfg.augment.active, cfg.l2, cfg.l1, cfg.clip_grad_norm
        want = sampler.want if cfg.stats_budget > 0 else None
        interval = self.step_interval
        every_step = interval <= 0
        for epoch in range(start_epoch + 1, cfg.epochs + 1):
            # Each epoch's shuffle and dropout/augmentation draws depend on (seed, epoch) only, so a run
            # resumed from a checkpoint continues exactly as the uninterrupted run would have.
            gen.manual_seed(cfg.seed * 1_000_003 + epoch)
            torch.manual_seed(cfg.seed * 1_000_003 + epoch + 500_000)
            gm.train()
            te = time.perf_counter()
            loss_sum, loss_n, correct = 0.0, 0, 0
            pend_sum, pend_n, pend_hits, pend_seen, last_emit = 0.0, 0, 0, 0, 0.0
            plain_ema = None
            if data.in_memory:
                perm = torch.randperm(n, generator=gen).to(device)
                batches = ((xt[idx], yt[idx]) for idx in perm.split(bs))
            else:
                batches = ((x.to(device), y.to(device)) for x, y in loader)
            step = self._state["step"]
            seen = done = 0
            partial, rng = self._resume_partial if epoch == start_epoch + 1 else (None, None)
            if partial:  # the checkpoint was written by a stop inside this epoch: carry on from there
                done, seen = int(partial["batch"]), int(partial["seen"])
                loss_sum, loss_n, correct = float(partial["loss_sum"]), int(partial["loss_n"]), int(partial["correct"])
                te -= float(partial.get("time", 0.0))
                batches = itertools.islice(batches, done, None)
                if rng is not None:
                    torch.set_rng_state(rng)
            stopped_inside = None
            for xb, yb in batches:
                if not go_set():
                    yield ev.Paused(epoch, step)
                    self._go.wait()
                    yield ev.Resumed(epoch, step)
                if stop_set():
                    stopped_inside = torch.get_rng_state()
                    break
                ts = clock()
                if augment:
                    xb = augment_batch(xb, cfg.augment)
                sample = want is not None and want()
                if sample:
                    sampler.begin()
                try:
                    out = forward(xb)
                    obj = loss_fn(out, yb)
                    if l2:
                        obj = obj + l2 * sum((w * w).sum() for w in weights)
                    if l1:
                        obj = obj + l1 * sum(w.abs().sum() for w in weights)
                    lv = obj.item()
                    if not isfinite(lv):
                        sampler.cancel()
                        self._state["step"] = step
                        raise _Abort(self._nan_error(gm, ci, xb, yb, loss_fn, epoch, lv))
                    zero_grad(set_to_none=True)
                    obj.backward()
                    if clip:
                        nn.utils.clip_grad_norm_(params, clip)
                    if sample:
                        sampler.after_backward()
                    opt_step()
                except _Abort:
                    raise
                except (RuntimeError, MemoryError, IndexError, ValueError) as e:
                    sampler.cancel()
                    raise _Abort(self._runtime_error(gm, xb, e, epoch)) from None
                if cls:
                    hits = int((out.argmax(1) == yb).sum())
                    correct += hits
                    pend_hits += hits
                step += 1
                done += 1
                seen += len(xb)
                pend_seen += len(xb)
                loss_sum += lv
                loss_n += 1
                if sample:
                    ns = sampler.finish(epoch, step)
                    sampler.charge(clock() - ts - (plain_ema if plain_ema is not None else 0.0))
                    yield ns
                    for node, kind, message in advice(ns, types):
                        if (node, kind) not in warned:
                            warned.add((node, kind))
                            yield ev.Warning(message, node)
                elif want is not None:
                    dt = clock() - ts
                    plain_ema = dt if plain_ema is None else 0.9 * plain_ema + 0.1 * dt
                pend_sum += lv
                pend_n += 1
                if every_step or clock() - last_emit >= interval:
                    self._state["step"] = step
                    yield ev.Step(epoch, step, pend_sum / pend_n, pend_n, opt.param_groups[0]["lr"],
                                  pend_hits / pend_seen if cls else None)
                    pend_sum, pend_n, pend_hits, pend_seen, last_emit = 0.0, 0, 0, 0, clock()
            self._state["step"] = step
            self._state["samples"] += seen
            epoch_time = time.perf_counter() - te
            self._state["train_time"] += epoch_time
            if stopped_inside is not None:  # save where this epoch stopped, so a resume continues exactly
                self._save({"batch": done, "seen": seen, "loss_sum": loss_sum, "loss_n": loss_n, "correct": correct,
                            "time": epoch_time}, stopped_inside)
                yield self._finished("stopped", t0)
                return
            if pend_n:
                yield ev.Step(epoch, self._state["step"], pend_sum / pend_n, pend_n, opt.param_groups[0]["lr"],
                              pend_hits / pend_seen if cls else None)
            lr = opt.param_groups[0]["lr"]
            if sched is not None:
                sched.step()
            val_loss = val_acc = None
            if data.n_val:
                val_loss, val_acc = self._evaluate(gm, loss_fn, data, device, cls, "val")
            self._state["epoch"] = epoch
            e = ev.Epoch(epoch, loss_sum / max(loss_n, 1), correct / n if cls else None, val_loss, val_acc, lr,
                         time.perf_counter() - t0, n / epoch_time if epoch_time > 0 else 0.0)
            if log is not None:
                log.write(json.dumps(ev.to_json(e)) + "\n")
                log.flush()
            stopping = self._stop.is_set()  # a stop after the epoch's last batch: the epoch counts
            if stopping or epoch == cfg.epochs or time.perf_counter() - self._last_save >= self.checkpoint_interval:
                self._save()
            yield e
            if stopping:
                yield self._finished("stopped", t0)
                return
        train_loss, train_acc = self._evaluate(gm, loss_fn, data, device, cls, "train")
        final = {"train_loss": train_loss, "train_acc": train_acc,
                 "val_loss": val_loss if data.n_val else None, "val_acc": val_acc if data.n_val else None}
        yield self._finished("completed", t0, final)

    # -- helpers ---------------------------------------------------------------------------------
    def _save(self, partial: dict[str, Any] | None = None, rng: torch.Tensor | None = None) -> None:
        """Write last.safetensors. ``partial``: where inside the next epoch a stop happened (batches done,
        running sums) and ``rng`` the CPU generator's state there, so a resume continues exactly."""
        if self.out_dir is None or getattr(self, "_gm", None) is None:
            return
        if not all(bool(torch.isfinite(p).all()) for p in self._gm.parameters()):
            return  # keep the last good checkpoint
        self._last_save = time.perf_counter()
        try:
            path = save_checkpoint(self.out_dir / "last.safetensors", self._gm, self._opt,
                                   epoch=self._state["epoch"], step=self._state["step"], graph=self.graph.name,
                                   extra={"partial": json.dumps(partial)} if partial else None, rng=rng)
        except OSError as e:
            raise _Abort(ev.Error("checkpoint", f"cannot write the checkpoint in {self.out_dir}: "
                                  f"{e.strerror or e}")) from None
        self._ckpt = str(path)

    def _evaluate(self, gm: nn.Module, loss_fn: nn.Module, data: Data, device: torch.device, cls: bool,
                  split: str) -> tuple[float, float | None]:
        gm.eval()
        total, correct, count = 0.0, 0, 0
        with torch.no_grad():
            if data.in_memory:
                x = data.x_train if split == "train" else data.x_val
                y = data.y_train if split == "train" else data.y_val
                batches = ((x[i:i + EVAL_BATCH], y[i:i + EVAL_BATCH]) for i in range(0, len(x), EVAL_BATCH))
            else:
                ds = data.train_set if split == "train" else data.val_set
                batches = iter(torch.utils.data.DataLoader(ds, batch_size=256))
            for xb, yb in batches:
                xb, yb = xb.to(device), yb.to(device)
                out = gm(xb)
                total += float(loss_fn(out, yb)) * len(xb)
                if cls:
                    correct += int((out.argmax(1) == yb).sum())
                count += len(xb)
        gm.train()
        return total / max(count, 1), (correct / count if cls and count else None)

    def _nan_error(self, gm: nn.Module, ci: Any, xb: torch.Tensor, yb: torch.Tensor, loss_fn: nn.Module,
                   epoch: int, value: float) -> ev.Error:
        what = "NaN" if value != value else "infinite"
        node, detail = first_nonfinite(gm, ci, xb)
        where = f"epoch {epoch}, step {self._state['step'] + 1}"
        if node is None:
            node = ci.loss_id
            detail = "every node's output is finite, so the loss itself overflowed"
        return ev.Error("nan", f"the loss became {what} at {where}: first non-finite value at node {node} "
                        f"({detail}); try a lower training.optimizer.lr or set training.clip_grad_norm", node)

    def _runtime_error(self, gm: nn.Module, xb: torch.Tensor, e: BaseException, epoch: int) -> ev.Error:
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        oom = isinstance(e, MemoryError) or "out of memory" in text.lower() or isinstance(
            e, getattr(torch, "OutOfMemoryError", ()))
        node = node_in_traceback(gm, info(gm), e) or node_that_raises(gm, info(gm), xb)
        where = f" at node {node}" if node else ""
        if oom:
            return ev.Error("oom", f"out of memory{where} at epoch {epoch}: lower training.batch_size "
                            f"(now {len(xb)}) or make the layer smaller ({text})", node)
        return ev.Error("runtime", f"{text}{where} at epoch {epoch}", node)


def chain_forward(gm: torch.fx.GraphModule) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """For a graph that is one chain (input → module → … → module → output), a function that calls the
    submodules in order — the same computation as ``gm.forward``; None for any other shape of graph."""
    nodes = list(gm.graph.nodes)
    if len(nodes) < 3 or nodes[0].op != "placeholder" or nodes[-1].op != "output":
        return None
    mods = []
    prev = nodes[0]
    for n in nodes[1:-1]:
        if n.op != "call_module" or n.args != (prev,) or n.kwargs:
            return None
        mods.append(gm.get_submodule(n.target))
        prev = n
    if nodes[-1].args != (prev,):
        return None

    def forward(x: torch.Tensor) -> torch.Tensor:
        for m in mods:
            x = m(x)
        return x
    return forward


def _first_batch(data: Data, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = zip(*(data.train_set[i] for i in range(min(n, len(data.train_set)))))
    return torch.stack(xs), torch.tensor(ys)


def train(graph: Graph, config: TrainConfig | None = None, **kwargs: Any) -> tuple[ev.Finished, list[ev.Event]]:
    """Run to the end and return (the Finished event, every event) — for scripts and tests."""
    out: list[ev.Event] = []
    fin = Trainer(graph, config, **kwargs).run(out.append)
    return fin, out


__all__ = ["Trainer", "train"]


def _log_lines_up_to(path: str, epoch: int) -> list[str]:
    """The lines of an existing metrics log for epochs <= ``epoch`` (a resume drops later ones)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except FileNotFoundError:
        return []
    kept = []
    for line in lines:
        try:
            if int(json.loads(line).get("epoch", 0)) <= epoch:
                kept.append(line if line.endswith("\n") else line + "\n")
        except (ValueError, AttributeError, TypeError):
            continue
    return kept
