"""The trainer: runs the experiment a graph file describes and emits plain-data events.

::

    t = Trainer(graph, base_dir=folder_of_the_file, out_dir="runs/x")
    for event in t.events():      # a generator; or t.run(callback) -> the Finished event
        ...

It never prints and never touches the graph file. ``pause()``, ``resume()``, ``stop()`` and
``request(Request(...))`` (the command channel, :mod:`graphlab.run.commands`) may be called from
any thread; they take effect between steps, and requests are also served while paused (a stop
saves a checkpoint first). With ``out_dir`` the run has a folder (:mod:`graphlab.run.runs`):
``last.safetensors`` (weights + optimizer tensors, see :mod:`graphlab.run.checkpoint`) written at the
end of an epoch when ``checkpoint_interval`` seconds have passed since the last one, after the last
epoch and on stop (never with non-finite weights), ``metrics.jsonl`` (one line per Epoch event) and
``run.json``. ``resume_from`` continues from a checkpoint's weights, optimizer state and epoch count
(every field validated: :mod:`graphlab.run.resume`). ``overfit=N`` runs the overfit-a-small-batch
check instead (:mod:`graphlab.run.overfit`).

Structure: :meth:`Trainer._prepare` builds a :class:`RunState` (everything a run holds: config,
data, module, optimizer, counters, statistics sampler, health checks, image maker, run folder);
:meth:`Trainer._epoch` runs one epoch over it, calling :func:`train_step` — forward, objective
(data loss + λ·ΣW² + λ·Σ|W|), backward, optional clipping, optimizer step — once per batch.
In-memory data is indexed with one randperm per epoch (no DataLoader; image folders use one),
augmented on the batch, forwarded through the compiled fx module. The schedule steps per epoch.
Same file + seed gives the same losses on CPU. During a run, denormal floats are flushed to zero
(``torch.set_flush_denormal``): values below 1e-38 then count as 0, and nets whose activations
shrink that far (tiny initial weights) train ~8× faster; torch's default is restored afterwards.

Failures end the run with an :class:`~graphlab.run.events.Error` naming the node when it can:
a non-finite loss re-runs the failing batch with hooks and names the first node whose output is not
finite; a runtime error (shape, out of memory) names the node that raised; a write that fails (a
full disk) stops the run with the file named. The last checkpoint written stays loadable.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import threading
import time
import warnings
from collections import deque
from pathlib import Path
from typing import Any, Callable, Generator, Iterator

import torch
from safetensors import SafetensorError

from ..compiler import BuildError, CompileError, compile_graph, info
from ..core.analysis import analyze
from ..core.graph import Graph
from ..core.registry import REGISTRY
from ..core.text import error_line
from . import events as ev
from .augment import augment_batch
from .checkpoint import CheckpointError, read_checkpoint, restore, save_checkpoint
from .commands import Request
from .config import ConfigError, TrainConfig, parse_training
from .datasets import Data, DataError, build_dataset
from .diagnose import internal_error, nan_error, runtime_error
from .fits import check_dataset, check_training
from .handlers import RequestHandling
from .evaluate import EVAL_BATCH, EvaluationError, Result, evaluate, evaluation_event
from .health import Health, initial_loss_warning
from .images import ImageMaker
from .overfit import OVERFIT_MAX_STEPS, likely_causes, overfit_config, reached
from .peak import achieved, peak_or_none
from .resume import ResumeError, resume_point
from .runs import RunFolder
from .runstate import EpochTotals, RunState, chain_forward, first_batch, stack_samples, train_step
from .setup import (SetupError, auto_threads, check_fit, check_graph, freeze, make_optimizer, make_scheduler,
                    resolve_device,
                    tune_malloc, weight_params)
from .stats import StatsSampler
from .weights import check_fits

#: seconds between a selected node's unrequested Images
IMAGE_INTERVAL = 1.0


class _Abort(Exception):
    def __init__(self, error: ev.Error) -> None:
        super().__init__(error.message)
        self.error = error


class Trainer(RequestHandling):
    def __init__(self, graph: Graph, config: TrainConfig | None = None, *, base_dir: str | os.PathLike[str] | None = None,
                 out_dir: str | os.PathLike[str] | None = None, resume_from: str | os.PathLike[str] | None = None,
                 step_interval: float = 0.0, checkpoint_interval: float = 10.0, overfit: int | None = None,
                 overfit_steps: int = OVERFIT_MAX_STEPS, source: str | os.PathLike[str] | None = None) -> None:
        """``config`` defaults to ``parse_training(graph.training)``. ``step_interval`` (seconds) throttles
        Step events: 0 emits one per step; a GUI might pass 0.05 (each Step then carries the losses of
        its steps). ``checkpoint_interval`` (seconds): a checkpoint is written at the end of an epoch
        when this long has passed since the last one, and always after the last epoch and on stop.
        ``overfit``: run the overfit check on that many training samples. ``source``: the graph file,
        recorded in run.json so the file's runs can be listed."""
        self.graph = graph
        self._config = config
        self.base_dir = base_dir
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.resume_from = resume_from
        self.step_interval = step_interval
        self.checkpoint_interval = checkpoint_interval
        self.overfit = overfit
        self.overfit_steps = overfit_steps
        self.source = str(Path(source).resolve()) if source is not None else None
        self._last_save = 0.0
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()
        self._wake = threading.Event()
        self._requests: deque[Request] = deque()
        self.module: torch.fx.GraphModule | None = None  # set once the run has compiled the graph
        self.data: Data | None = None
        self.state: RunState | None = None
        self._flops_per_sample = self._flops_per_step = 0
        self._peak: float | None = None

    # -- controls (any thread) -------------------------------------------------------------------
    def pause(self) -> None:
        self._go.clear()

    def resume(self) -> None:
        self._go.set()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._go.set()
        self._wake.set()

    def request(self, req: Request) -> None:
        """Queue a request (see :mod:`graphlab.run.commands`); answered by a Reply event between steps."""
        self._requests.append(req)
        self._wake.set()

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
        self._t0 = time.perf_counter()
        self._ckpt: str | None = None
        self._folder: RunFolder | None = None
        threads = torch.get_num_threads()
        torch.set_flush_denormal(True)  # tiny-weight nets (the init lesson) run ~8x faster without denormals
        try:
            yield from self._guarded_run()
        except _Abort as a:
            r = self.state
            if self.overfit is not None and r is not None and a.error.kind == "nan":
                yield ev.OverfitResult(False, r.n, r.step, None, float("nan"), self._init_loss,
                                       self._causes(r, [*self._fit_losses, float("nan")], self._init_loss))
            yield a.error
            yield self._finished("error", error=a.error.message)
        except KeyboardInterrupt:
            self._save(None, None)
            yield self._finished("stopped")
        except Exception as e:  # noqa: BLE001 - the last resort: a listener always sees an Error and the end
            err = internal_error(e)
            yield err
            yield self._finished("error", error=err.message)
        finally:
            torch.set_num_threads(threads)
            torch.set_flush_denormal(False)  # torch's default
            if self._folder is not None:
                self._folder.close()

    def _guarded_run(self) -> Iterator[ev.Event]:
        try:
            yield from self._run()
        except DataError as e:  # a lazily read file (an image folder's) that turns out unreadable mid-run
            raise _Abort(ev.Error("data", str(e), None, "training.dataset")) from None

    def _finished(self, reason: str, final: dict[str, Any] | None = None, error: str | None = None) -> ev.Finished:
        r = self.state
        epochs = r.epoch if r else 0
        final = final or {"train_loss": None, "train_acc": None, "val_loss": None, "val_acc": None}
        final = {**final, "epochs": epochs, "seconds": round(time.perf_counter() - self._t0, 3),
                 "samples_per_s": round(r.samples / r.train_time, 1) if r and r.train_time > 0 else None,
                 # the matrix products it did per second of training, against this machine's matmul peak
                 **achieved(self._flops_per_sample * r.samples if r else 0, r.train_time if r else 0.0,
                            self._peak)}
        fin = ev.Finished(reason, epochs, final, self._ckpt, str(self._folder.log_path) if self._folder else None)
        if self._folder is not None:
            try:
                self._folder.finish(reason, epochs, ev.to_json(fin)["final"], self._ckpt, error)
            except OSError:
                pass  # the weights and the log are written; run.json keeps "running"
        return fin

    # -- set-up ----------------------------------------------------------------------------------
    def _setup(self) -> tuple[TrainConfig, Any, Data, torch.device]:
        try:
            cfg = self._config or parse_training(self.graph.training)
        except ConfigError as e:
            raise _Abort(ev.Error("config", str(e), None, e.field)) from None
        if self.overfit is not None:
            cfg = overfit_config(cfg, self.overfit_steps)
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
        except RuntimeError as e:  # torch's allocator says "can't allocate memory"
            if "memory" not in str(e).lower():
                raise
            raise _Abort(ev.Error("oom", f"dataset {cfg.dataset.name} does not fit in memory ({error_line(e)})",
                                  None, "training.dataset")) from None
        try:
            check_fit(self.graph, a, data, cfg)
            check_training(a, cfg, data, device)
        except SetupError as e:
            hint = "" if self._config is not None or "dataset" in self.graph.training else (
                " (the training section names no dataset, so the default spiral is used: set training.dataset)")
            raise _Abort(ev.Error(e.kind, str(e) + hint, e.node, e.field)) from None
        return cfg, a, data, device

    def _prepare(self) -> RunState:
        cfg, a, data, device = self._setup()
        self.data = data
        tune_malloc()
        x = y = None
        if self.overfit is not None:  # a seeded choice of training samples, held in memory
            k = max(1, min(self.overfit, data.n_train))
            pick = torch.randperm(data.n_train, generator=torch.Generator().manual_seed(cfg.seed))[:k]
            if data.in_memory:
                x, y = (t[pick] for t in data.tensors("train"))
            else:
                x, y = stack_samples(data.train_set, pick.tolist())
        elif data.in_memory:
            x, y = data.tensors("train")
        n = len(x) if x is not None else data.n_train
        bs = n if cfg.batch_size is None else min(cfg.batch_size, n)
        threads = cfg.threads or auto_threads(a, bs)
        if threads:
            torch.set_num_threads(threads)
        self._flops_per_sample = a.total_flops + a.total_flops_backward  # what a step does per sample
        self._flops_per_step = self._flops_per_sample * bs
        self._peak = peak_or_none(device.type, torch.get_num_threads())  # measured once per machine (run.peak)
        try:
            gm = compile_graph(self.graph, seed=cfg.seed, init=cfg.init, analysis=a)
        except BuildError as e:  # an allocation that still failed although the sizes seemed to fit
            raise _Abort(ev.Error("oom", str(e), e.node)) from None
        except (CompileError, ValueError) as e:
            raise _Abort(ev.Error("graph", str(e))) from None
        except MemoryError:
            raise _Abort(ev.Error("oom", "the network's weights do not fit in memory")) from None
        ci = info(gm)
        gm.to(device)
        self.module = gm
        modules = {nid: gm.get_submodule(name) for nid, name in ci.module_names.items()}
        start_report = self._start_weights(cfg, gm, ci) if cfg.weights and self.resume_from is None else None
        try:
            trainable, still = freeze(self.graph, modules)
        except SetupError as e:
            raise _Abort(ev.Error(e.kind, str(e), e.node, e.field)) from None
        opt = make_optimizer(cfg, trainable)
        order = [nid for nid in a.order if nid in modules]
        specs = {nid: REGISTRY.get(self.graph.nodes[nid].type) for nid in modules}
        sampler = StatsSampler(modules, {nid: s.saturation if s else None for nid, s in specs.items()},
                               cfg.stats_budget)
        elems = {nid: math.prod(a.nodes[nid].shape) for nid in order if a.nodes[nid].shape is not None}
        if data.n_val and self.overfit is None and data.in_memory:
            probe_x = data.tensors("val")[0][:1]
        elif x is not None:
            probe_x = x[:1]
        else:
            probe_x = (data.val_set if data.n_val else data.train_set)[0][0].unsqueeze(0)
        assert ci.loss is not None  # check_graph found the loss
        r: RunState  # the pictures put the run's training state back: its train_mode, once r exists
        images = ImageMaker(gm, ci, probe_x.to(device), list(data.class_names), lambda: r.train_mode())
        r = RunState(cfg, data, device, gm, ci, ci.loss.to(device), opt, make_scheduler(cfg, opt),
                     chain_forward(gm) or gm.forward, sampler, Health(order, elems, ci.output_id),
                     images, None, self._t0, n, bs, math.ceil(n / bs))
        r.cls = data.task == "classification"
        r.weights, r.params = [p for p in weight_params(gm) if p.requires_grad], list(gm.parameters())
        r.trainable = trainable
        if start_report is not None and start_report.unmatched:
            r.warnings.append(ev.Warning("training.weights: " + "; ".join(start_report.lines()[:4])))
        r.frozen = list(still)
        if self.overfit is not None:
            r.frozen += [modules[nid] for nid, s in specs.items() if s is not None and s.stochastic]
        if x is not None and y is not None:
            r.x, r.y = x.to(device), y.to(device)
        else:
            r.loader = torch.utils.data.DataLoader(data.train_set, batch_size=bs, shuffle=True, generator=r.gen,
                                                   num_workers=0, drop_last=False)
        if self.resume_from is not None:
            self._restore(r, cfg)
        r.epoch = r.start_epoch
        self.state = r
        return r

    def _start_weights(self, cfg: TrainConfig, gm: Any, ci: Any) -> Any:
        from .weights_match import start_from

        try:
            return start_from(gm, ci.module_names, str(cfg.weights), self.base_dir)
        except ValueError as e:
            raise _Abort(ev.Error("config", f"training.weights: {e}", None, "training.weights")) from None

    def _restore(self, r: RunState, cfg: TrainConfig) -> None:
        path = str(self.resume_from)
        try:
            read = read_checkpoint(path)
            model, optim, meta = read
            check_fits(r.gm, model, path)  # the weights first: a mismatch names its node
            point = resume_point(path, meta, optim, r.trainable, optimizer=cfg.optimizer.name, epochs=cfg.epochs,
                                 batch_size=r.bs, n_train=r.n, steps_per_epoch=r.steps_per_epoch)
            restore(path, r.gm, r.opt, read=read)
        except ResumeError as e:
            raise _Abort(ev.Error("checkpoint", str(e), None, e.field)) from None
        except CheckpointError as e:
            raise _Abort(ev.Error("checkpoint", str(e), e.node)) from None
        r.resume, r.start_epoch, r.step = point, point.epoch, point.step
        if r.sched is not None:  # the schedule steps once per epoch: replay the epochs done (deterministic)
            with warnings.catch_warnings():  # torch warns that no optimizer.step() came first: none is due here
                warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)` before",
                                        category=UserWarning)
                for _ in range(r.start_epoch):
                    r.sched.step()

    def _open_folder(self, r: RunState) -> None:
        if self.out_dir is None:
            return
        folder = RunFolder(self.out_dir, {"graph": self.graph.name, "source": self.source,
                                          "config": r.cfg.to_dict(), "overfit": self.overfit,
                                          "resumed_from": None if self.resume_from is None else str(self.resume_from)})
        try:
            folder.open(r.start_epoch)
        except OSError as e:
            folder.close()
            raise _Abort(ev.Error("config", f"--out {self.out_dir}: cannot write there ({e.strerror or e})",
                                  None, "out")) from None
        self._folder = r.folder = folder

    # -- the run ---------------------------------------------------------------------------------
    def _run(self) -> Iterator[ev.Event]:
        r = self._prepare()
        self._open_folder(r)
        data, cfg = r.data, r.cfg
        with torch.no_grad():
            r.gm.eval()
            xs, ys = (r.x[:EVAL_BATCH], r.y[:EVAL_BATCH]) if r.x is not None and r.y is not None else (
                t.to(r.device) for t in first_batch(data, EVAL_BATCH))
            try:
                out = r.gm(xs)
                init_loss = float(r.loss_fn(out, ys))
            except (RuntimeError, MemoryError, IndexError, ValueError) as e:
                raise _Abort(self._forward_failure(r, e, xs, r.start_epoch, "while computing the initial loss")) from None
            loss_spec = REGISTRY.get(self.graph.nodes[r.ci.loss_id].type)
            expected = (float(r.loss_fn(torch.zeros_like(out), ys))
                        if loss_spec is not None and loss_spec.task == "classification" else None)
        r.train_mode()
        yield ev.RunStarted(self.graph.name, data.name, data.task, r.n, 0 if self.overfit else data.n_val,
                            data.num_classes, sum(p.numel() for p in r.params), str(r.device), cfg.epochs,
                            r.steps_per_epoch, init_loss, expected, r.start_epoch, list(r.health.order),
                            list(data.class_names), str(self.out_dir) if self.out_dir else None, self.overfit, 0,
                            self._flops_per_step, self._peak)
        w = initial_loss_warning(init_loss, expected, data.num_classes) if r.start_epoch == 0 else None
        if w is not None:
            yield w
        for message in r.folder.skipped if r.folder is not None else ():  # unreadable lines of a resumed log
            yield ev.Warning(message)
        val = None
        fit_losses: list[float] = []
        self._fit_losses, self._init_loss = fit_losses, init_loss
        for epoch in range(r.start_epoch + 1, cfg.epochs + 1):
            totals = yield from self._epoch(r, epoch)
            if totals is None:  # stopped inside the epoch
                yield from self._serve(r, epoch)  # every request that arrived gets its reply
                yield self._finished("stopped")
                return
            lr = r.opt.param_groups[0]["lr"]
            if r.sched is not None:
                r.sched.step()
            val = None
            if data.n_val and self.overfit is None:
                val = self._evaluate(r, epoch, "val")
            epoch_event = ev.Epoch(epoch, totals.loss_sum / max(totals.loss_n, 1),
                                   totals.correct / r.n if r.cls else None, val.loss if val else None,
                                   val.acc if val else None, lr, time.perf_counter() - r.t0, totals.samples_per_s,
                                   r.step)
            if r.folder is not None:
                try:
                    r.folder.log_epoch({k: v for k, v in ev.to_json(epoch_event).items() if k != "event"})
                except OSError as err:
                    raise _Abort(ev.Error("io", f"cannot write {r.folder.log_path}: {err.strerror or err}; the run "
                                          "stopped" + self._last_good())) from None
            stopping = self._stop.is_set()  # a stop after the epoch's last batch: the epoch counts
            if stopping or epoch == cfg.epochs or time.perf_counter() - self._last_save >= self.checkpoint_interval:
                self._save(None, None)
            yield epoch_event
            if self.overfit is not None:
                fit = self._evaluate(r, epoch, "train", tensors=(r.x, r.y))
                fit_losses.append(fit.loss)
                if reached(data.task, fit.acc, fit.loss, init_loss):
                    break
            if stopping:
                yield from self._serve(r, epoch)
                yield self._finished("stopped")
                return
        yield from self._end(r, init_loss, fit_losses)

    def _end(self, r: RunState, init_loss: float, fit_losses: list[float]) -> Iterator[ev.Event]:
        data = r.data
        yield from self._serve(r, r.epoch)
        if self.overfit is not None:
            fit = self._evaluate(r, r.epoch, "train", tensors=(r.x, r.y))
            ok = reached(data.task, fit.acc, fit.loss, init_loss)
            causes = [] if ok else self._causes(r, fit_losses, init_loss)
            self._save(None, None)
            yield ev.OverfitResult(ok, r.n, r.step, fit.acc, fit.loss, init_loss, causes)
            final = {"train_loss": fit.loss, "train_acc": fit.acc, "val_loss": None, "val_acc": None}
            yield self._finished("completed", final)
            return
        train = self._evaluate(r, r.epoch, "train", detail=r.cls and not data.n_val)
        split = "val" if data.n_val else "train"
        last = self._evaluate(r, r.epoch, "val", detail=r.cls) if data.n_val else train
        if r.cls:
            e = evaluation_event(data, split, last)
            if e is not None:
                yield e
        final = {"train_loss": train.loss, "train_acc": train.acc,
                 "val_loss": last.loss if data.n_val else None, "val_acc": last.acc if data.n_val else None}
        yield self._finished("completed", final)

    def _causes(self, r: RunState, losses: list[float], init_loss: float) -> list[str]:
        specs = [REGISTRY.get(self.graph.nodes[nid].type) for nid in self.graph.nodes]
        linear = not any(s.nonlinear and not s.is_loss for s in specs if s is not None)
        return likely_causes(losses=losses, initial=init_loss, steps=r.step, lr=r.cfg.optimizer.lr,
                             optimizer=r.cfg.optimizer.name, warnings=r.warnings, linear=linear,
                             params=sum(p.numel() for p in r.params), samples=r.n)

    def _epoch(self, r: RunState, epoch: int) -> Generator[ev.Event, None, EpochTotals | None]:
        """One epoch's steps (and the events between them); returns its totals, or None when a stop ended
        it early (after saving where it stopped)."""
        # Each epoch's shuffle and dropout/augmentation draws depend on (seed, epoch) only, so a run
        # resumed from a checkpoint continues exactly as the uninterrupted run would have.
        cfg = r.cfg
        r.gen.manual_seed(cfg.seed * 1_000_003 + epoch)
        torch.manual_seed(cfg.seed * 1_000_003 + epoch + 500_000)
        r.train_mode()
        te = time.perf_counter()
        loss_sum, loss_n, correct = 0.0, 0, 0
        if r.x is not None and r.y is not None:
            x, y = r.x, r.y
            perm = torch.randperm(r.n, generator=r.gen).to(r.device)
            batches: Any = ((x[idx], y[idx]) for idx in perm.split(r.bs))
        else:
            batches = ((xb.to(r.device), yb.to(r.device)) for xb, yb in r.loader)
        seen = done = 0
        point = r.resume if epoch == r.start_epoch + 1 else None
        if point is not None and point.partial:  # the checkpoint was written by a stop inside this epoch
            p = point.partial
            done, seen = p["batch"], p["seen"]
            loss_sum, loss_n, correct = float(p["loss_sum"]), p["loss_n"], p["correct"]
            te -= float(p["time"])
            batches = itertools.islice(batches, done, None)
            assert point.rng is not None  # resume_point refuses a partial epoch without it
            try:
                torch.set_rng_state(point.rng)
            except RuntimeError as e:
                raise _Abort(ev.Error("checkpoint", f"{self.resume_from}: the random generator state rng.cpu is "
                                      f"not valid ({error_line(e)})", None, "rng.cpu")) from None
        pend: list[float] = []
        pend_hits = pend_seen = 0
        last_emit = 0.0
        interval, every_step, cls = self.step_interval, self.step_interval <= 0, r.cls
        go_set, stop_set, clock, requests = self._go.is_set, self._stop.is_set, time.perf_counter, self._requests
        want = r.sampler.want  # the budget may change during the run (Request("stats_budget"))
        augment = cfg.augment.active
        stopped_rng = None
        for xb, yb in batches:
            if not go_set():
                yield ev.Paused(epoch, r.step)
                while not go_set():
                    self._wake.wait()
                    self._wake.clear()
                    yield from self._serve(r, epoch)
                yield ev.Resumed(epoch, r.step)
            if requests:
                yield from self._serve(r, epoch)
            if stop_set():
                stopped_rng = torch.get_rng_state()
                break
            if r.selected_images and clock() - r.last_images >= IMAGE_INTERVAL:
                yield from self._images(r, r.sampler.selected, epoch, None)
            ts = clock()
            if augment:
                xb = augment_batch(xb, cfg.augment)
            sample = want()
            try:
                lv, out = train_step(r, xb, yb, sample)
            except (RuntimeError, MemoryError, IndexError, ValueError) as e:
                r.sampler.cancel()
                raise _Abort(runtime_error(r.gm, r.ci, xb, e, epoch)) from None
            if not math.isfinite(lv):
                raise _Abort(nan_error(r.gm, r.ci, xb, epoch, r.step + 1, lv))
            if cls:
                hits = int((out.argmax(1) == yb).sum())
                correct += hits
                pend_hits += hits
            r.step += 1
            done += 1
            seen += len(xb)
            pend_seen += len(xb)
            loss_sum += lv
            loss_n += 1
            pend.append(lv)
            if sample:
                ns = r.sampler.finish(epoch, r.step)
                r.sampler.charge(clock() - ts - (r.plain_ema if r.plain_ema is not None else 0.0))
                yield ns
                for w in r.health.check(ns):
                    r.warnings.append(w)
                    yield w
            else:
                dt = clock() - ts
                r.plain_ema = dt if r.plain_ema is None else 0.9 * r.plain_ema + 0.1 * dt
            if every_step or clock() - last_emit >= interval:
                yield self._step_event(r, epoch, pend, pend_hits, pend_seen)
                pend, pend_hits, pend_seen, last_emit = [], 0, 0, clock()
        r.samples += seen
        epoch_time = time.perf_counter() - te
        r.train_time += epoch_time
        if stopped_rng is not None:  # save where this epoch stopped, so a resume continues exactly
            self._save({"batch": done, "seen": seen, "loss_sum": loss_sum, "loss_n": loss_n, "correct": correct,
                        "time": epoch_time}, stopped_rng)
            return None
        if pend:
            yield self._step_event(r, epoch, pend, pend_hits, pend_seen)
        r.epoch = epoch
        return EpochTotals(loss_sum, loss_n, correct, r.n / epoch_time if epoch_time > 0 else 0.0)

    def _step_event(self, r: RunState, epoch: int, pend: list[float], hits: int, seen: int) -> ev.Step:
        return ev.Step(epoch, r.step, sum(pend) / len(pend), len(pend), r.opt.param_groups[0]["lr"],
                       hits / seen if r.cls and seen else None, pend if len(pend) > 1 else None,
                       time.perf_counter() - r.t0)

    # -- helpers ---------------------------------------------------------------------------------
    def _evaluate(self, r: RunState, epoch: int, split: str, **kwargs: Any) -> Result:
        """:func:`evaluate` on ``split``; a failure ends the run with an Error naming the node."""
        try:
            return evaluate(r.gm, r.loss_fn, r.data, r.device, split, r.train_mode, **kwargs)
        except EvaluationError as e:
            what = "the overfit samples" if kwargs.get("tensors") is not None else f"the {split} split"
            raise _Abort(self._forward_failure(r, e.cause, e.batch, epoch, f"while evaluating {what}")) from None

    def _forward_failure(self, r: RunState, e: BaseException, xb: torch.Tensor, epoch: int, during: str) -> ev.Error:
        """The Error of an exception raised by an eval-mode forward pass (found again in eval mode)."""
        r.sampler.cancel()
        r.gm.eval()
        try:
            return runtime_error(r.gm, r.ci, xb, e, epoch, during)
        finally:
            r.train_mode()

    def _last_good(self) -> str:
        return f"; the last good checkpoint is {self._ckpt}" if self._ckpt else ""

    def _save(self, partial: dict[str, Any] | None, rng: torch.Tensor | None) -> None:
        """Write last.safetensors. ``partial``: where inside the next epoch a stop happened (batches done,
        running sums) and ``rng`` the CPU generator's state there, so a resume continues exactly."""
        r = self.state
        if self.out_dir is None or r is None:
            return
        if not all(bool(torch.isfinite(p).all()) for p in r.params):
            return  # keep the last good checkpoint
        self._last_save = time.perf_counter()
        extra = {"optimizer": r.cfg.optimizer.name}
        if partial:
            extra["partial"] = json.dumps(partial)
        try:
            path = save_checkpoint(self.out_dir / "last.safetensors", r.gm, r.opt, epoch=r.epoch, step=r.step,
                                   graph=self.graph.name, extra=extra, rng=rng)
        except (OSError, SafetensorError) as e:
            raise _Abort(ev.Error("checkpoint", f"cannot write the checkpoint in {self.out_dir}: "
                                  f"{getattr(e, 'strerror', None) or e}; the run stopped" + self._last_good())) from None
        self._ckpt = str(path)



def preflight(graph: Graph, config: TrainConfig | None = None, *,
              base_dir: str | os.PathLike[str] | None = None) -> ev.Error | None:
    """The Error a run of ``graph`` would stop with before its first step — an invalid training
    section, graph errors, no loss, a device that is not there, a dataset that cannot be read, an
    Input shape or loss that does not fit the dataset — or None. For a Train button's tooltip and the
    problems list while the user edits; it builds the dataset (digits: ~0.3 s), so call it off the
    GUI thread or debounced. Nothing is compiled or trained."""
    try:
        Trainer(graph, config, base_dir=base_dir)._setup()
    except _Abort as a:
        return a.error
    return None


def train(graph: Graph, config: TrainConfig | None = None, **kwargs: Any) -> tuple[ev.Finished, list[ev.Event]]:
    """Run to the end and return (the Finished event, every event) — for scripts and tests."""
    out: list[ev.Event] = []
    fin = Trainer(graph, config, **kwargs).run(out.append)
    return fin, out


__all__ = ["RunState", "Trainer", "chain_forward", "preflight", "train", "train_step"]
