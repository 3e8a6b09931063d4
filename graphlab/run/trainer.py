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
data, module, optimizer, counters, statistics sampler, health checks, image maker, run folder;
the pieces in :mod:`graphlab.run.startup`);
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
from .checkpoint import save_checkpoint
from .commands import Request
from .config import ConfigError, TrainConfig, parse_training
from .datasets import Data, DataError, build_dataset
from .diagnose import internal_error, nan_error, runtime_error
from .fits import check_dataset, check_training
from .handlers import RequestHandling
from .evaluate import EVAL_BATCH, EvaluationError, Result, evaluate, evaluation_event
from .health import initial_loss_warning
from .overfit import OVERFIT_MAX_STEPS, overfit_config, reached, run_causes
from .peak import achieved, peak_or_none
from .runs import RunFolder
from .runstate import EpochTotals, RunState, chain_forward, first_batch, train_step
from .setup import (SetupError, auto_threads, check_fit, check_graph, freeze, make_optimizer, resolve_device,
                    tune_malloc, weight_params)
from .startup import (Abort, attach_training_data, new_state, open_run_folder, probe_input, restore_checkpoint,
                      restore_rng, start_weights, training_tensors)
from .stats import StatsSampler

#: seconds between a selected node's unrequested Images
IMAGE_INTERVAL = 1.0


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
        except Abort as a:
            r = self.state
            if self.overfit is not None and r is not None and a.error.kind == "nan":
                yield ev.OverfitResult(False, r.n, r.step, None, float("nan"), self._init_loss,
                                       run_causes(self.graph, r, [*self._fit_losses, float("nan")], self._init_loss))
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
            raise Abort(ev.Error("data", str(e), None, "training.dataset")) from None

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
            raise Abort(ev.Error("config", str(e), None, e.field)) from None
        if self.overfit is not None:
            cfg = overfit_config(cfg, self.overfit_steps)
        a = analyze(self.graph)
        try:
            check_graph(self.graph, a)
            device = resolve_device(cfg.device)
            check_dataset(cfg)  # sizes are checked before anything is allocated (graphlab.run.fits)
        except SetupError as e:
            raise Abort(ev.Error(e.kind, str(e), e.node, e.field)) from None
        try:
            data = build_dataset(cfg, self.base_dir)
        except DataError as e:
            raise Abort(ev.Error("data", str(e), None, "training.dataset")) from None
        except MemoryError:
            raise Abort(ev.Error("oom", f"dataset {cfg.dataset.name} does not fit in memory", None,
                                  "training.dataset")) from None
        except RuntimeError as e:  # torch's allocator says "can't allocate memory"
            if "memory" not in str(e).lower():
                raise
            raise Abort(ev.Error("oom", f"dataset {cfg.dataset.name} does not fit in memory ({error_line(e)})",
                                  None, "training.dataset")) from None
        try:
            check_fit(self.graph, a, data, cfg)
            check_training(a, cfg, data, device)
        except SetupError as e:
            hint = "" if self._config is not None or "dataset" in self.graph.training else (
                " (the training section names no dataset, so the default spiral is used: set training.dataset)")
            raise Abort(ev.Error(e.kind, str(e) + hint, e.node, e.field)) from None
        return cfg, a, data, device

    def _prepare(self) -> RunState:
        """Set the run up: check and build the data, compile the graph, make the optimizer and the
        :class:`RunState` (resumed from a checkpoint when asked)."""
        cfg, a, data, device = self._setup()
        self.data = data
        tune_malloc()
        x, y = training_tensors(data, cfg.seed, self.overfit)
        n = len(x) if x is not None else data.n_train
        bs = n if cfg.batch_size is None else min(cfg.batch_size, n)
        self._size_up(a, cfg, bs, device)
        gm, ci = self._compile(cfg, a, device)
        modules = {nid: gm.get_submodule(name) for nid, name in ci.module_names.items()}
        start_report = start_weights(gm, ci, cfg, self.base_dir) if cfg.weights and self.resume_from is None else None
        try:
            trainable, still = freeze(self.graph, modules)
        except SetupError as e:
            raise Abort(ev.Error(e.kind, str(e), e.node, e.field)) from None
        specs = {nid: REGISTRY.get(self.graph.nodes[nid].type) for nid in modules}
        opt = make_optimizer(cfg, trainable)
        r = new_state(cfg, a, data, device, gm, ci, modules, specs, opt, probe_input(data, x, self.overfit),
                      self._t0, n, bs)
        r.cls = data.task == "classification"
        r.weights, r.params = [p for p in weight_params(gm) if p.requires_grad], list(gm.parameters())
        r.trainable = trainable
        if start_report is not None and start_report.unmatched:
            r.warnings.append(ev.Warning("training.weights: " + "; ".join(start_report.lines()[:4])))
        r.frozen = list(still)
        if self.overfit is not None:
            r.frozen += [modules[nid] for nid, s in specs.items() if s is not None and s.stochastic]
        attach_training_data(r, x, y)
        if self.resume_from is not None:
            restore_checkpoint(r, cfg, str(self.resume_from))
        r.epoch = r.start_epoch
        self.state = r
        return r

    def _size_up(self, a: Any, cfg: TrainConfig, bs: int, device: torch.device) -> None:
        """Set torch's thread count for this run, and the FLOPs a step does and the machine's peak."""
        threads = cfg.threads or auto_threads(a, bs)
        if threads:
            torch.set_num_threads(threads)
        self._flops_per_sample = a.total_flops + a.total_flops_backward  # what a step does per sample
        self._flops_per_step = self._flops_per_sample * bs
        self._peak = peak_or_none(device.type, torch.get_num_threads())  # measured once per machine (run.peak)

    def _compile(self, cfg: TrainConfig, a: Any, device: torch.device) -> tuple[torch.fx.GraphModule, Any]:
        """The graph compiled to an fx module on ``device``, and its CompileInfo."""
        try:
            gm = compile_graph(self.graph, seed=cfg.seed, init=cfg.init, analysis=a)
        except BuildError as e:  # an allocation that still failed although the sizes seemed to fit
            raise Abort(ev.Error("oom", str(e), e.node)) from None
        except (CompileError, ValueError) as e:
            raise Abort(ev.Error("graph", str(e))) from None
        except MemoryError:
            raise Abort(ev.Error("oom", "the network's weights do not fit in memory")) from None
        ci = info(gm)
        gm.to(device)
        self.module = gm
        return gm, ci

    def _open_folder(self, r: RunState) -> None:
        if self.out_dir is None:
            return
        meta = {"graph": self.graph.name, "source": self.source, "config": r.cfg.to_dict(), "overfit": self.overfit,
                "resumed_from": None if self.resume_from is None else str(self.resume_from)}
        self._folder = r.folder = open_run_folder(self.out_dir, meta, r.start_epoch)

    # -- the run ---------------------------------------------------------------------------------
    def _run(self) -> Iterator[ev.Event]:
        r = self._prepare()
        self._open_folder(r)
        init_loss, expected = self._initial_loss(r)
        r.train_mode()
        yield self._run_started(r, init_loss, expected)
        w = initial_loss_warning(init_loss, expected, r.data.num_classes) if r.start_epoch == 0 else None
        if w is not None:
            yield w
        for message in r.folder.skipped if r.folder is not None else ():  # unreadable lines of a resumed log
            yield ev.Warning(message)
        fit_losses: list[float] = []
        self._fit_losses, self._init_loss = fit_losses, init_loss
        for epoch in range(r.start_epoch + 1, r.cfg.epochs + 1):
            totals = yield from self._epoch(r, epoch)
            if totals is None:  # stopped inside the epoch
                yield from self._stopped(r, epoch)
                return
            epoch_event, stopping = self._close_epoch(r, epoch, totals)
            yield epoch_event
            if self.overfit is not None:
                fit = self._evaluate(r, epoch, "train", tensors=(r.x, r.y))
                fit_losses.append(fit.loss)
                if reached(r.data.task, fit.acc, fit.loss, init_loss):
                    break
            if stopping:
                yield from self._stopped(r, epoch)
                return
        yield from self._end(r, init_loss, fit_losses)

    def _stopped(self, r: RunState, epoch: int) -> Iterator[ev.Event]:
        yield from self._serve(r, epoch)  # every request that arrived gets its reply
        yield self._finished("stopped")

    def _initial_loss(self, r: RunState) -> tuple[float, float | None]:
        """The loss before training (eval mode, on up to EVAL_BATCH training samples), and what a
        classifier that knows nothing would score (None for other tasks)."""
        with torch.no_grad():
            r.gm.eval()
            xs, ys = (r.x[:EVAL_BATCH], r.y[:EVAL_BATCH]) if r.x is not None and r.y is not None else (
                t.to(r.device) for t in first_batch(r.data, EVAL_BATCH))
            try:
                out = r.gm(xs)
                init_loss = float(r.loss_fn(out, ys))
            except (RuntimeError, MemoryError, IndexError, ValueError) as e:
                raise Abort(self._forward_failure(r, e, xs, r.start_epoch, "while computing the initial loss")) from None
            loss_spec = REGISTRY.get(self.graph.nodes[r.ci.loss_id].type)
            expected = (float(r.loss_fn(torch.zeros_like(out), ys))
                        if loss_spec is not None and loss_spec.task == "classification" else None)
        return init_loss, expected

    def _run_started(self, r: RunState, init_loss: float, expected: float | None) -> ev.RunStarted:
        data, cfg = r.data, r.cfg
        return ev.RunStarted(self.graph.name, data.name, data.task, r.n, 0 if self.overfit else data.n_val,
                             data.num_classes, sum(p.numel() for p in r.params), str(r.device), cfg.epochs,
                             r.steps_per_epoch, init_loss, expected, r.start_epoch, list(r.health.order),
                             list(data.class_names), str(self.out_dir) if self.out_dir else None, self.overfit, 0,
                             self._flops_per_step, self._peak)

    def _close_epoch(self, r: RunState, epoch: int, totals: EpochTotals) -> tuple[ev.Epoch, bool]:
        """After an epoch's steps: step the schedule, evaluate on val, log the Epoch event and write a
        checkpoint when one is due. Returns the event and whether a stop was asked (the epoch counts)."""
        lr = r.opt.param_groups[0]["lr"]
        if r.sched is not None:
            r.sched.step()
        val = None
        if r.data.n_val and self.overfit is None:
            val = self._evaluate(r, epoch, "val")
        epoch_event = ev.Epoch(epoch, totals.loss_sum / max(totals.loss_n, 1),
                               totals.correct / r.n if r.cls else None, val.loss if val else None,
                               val.acc if val else None, lr, time.perf_counter() - r.t0, totals.samples_per_s,
                               r.step)
        if r.folder is not None:
            try:
                r.folder.log_epoch({k: v for k, v in ev.to_json(epoch_event).items() if k != "event"})
            except OSError as err:
                raise Abort(ev.Error("io", f"cannot write {r.folder.log_path}: {err.strerror or err}; the run "
                                     "stopped" + self._last_good())) from None
        stopping = self._stop.is_set()  # a stop after the epoch's last batch: the epoch counts
        if stopping or epoch == r.cfg.epochs or time.perf_counter() - self._last_save >= self.checkpoint_interval:
            self._save(None, None)
        return epoch_event, stopping

    def _end(self, r: RunState, init_loss: float, fit_losses: list[float]) -> Iterator[ev.Event]:
        data = r.data
        yield from self._serve(r, r.epoch)
        if self.overfit is not None:
            fit = self._evaluate(r, r.epoch, "train", tensors=(r.x, r.y))
            ok = reached(data.task, fit.acc, fit.loss, init_loss)
            causes = [] if ok else run_causes(self.graph, r, fit_losses, init_loss)
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

    def _epoch(self, r: RunState, epoch: int) -> Generator[ev.Event, None, EpochTotals | None]:
        """One epoch's steps (and the events between them); returns its totals, or None when a stop ended
        it early (after saving where it stopped)."""
        te = time.perf_counter()
        batches, p = self._batches(r, epoch)
        done, seen, loss_sum, loss_n, correct = (0, 0, 0.0, 0, 0) if p is None else (
            p["batch"], p["seen"], float(p["loss_sum"]), p["loss_n"], p["correct"])
        te -= 0.0 if p is None else float(p["time"])
        pend: list[float] = []
        pend_hits, pend_seen, last_emit = 0, 0, 0.0
        interval, every_step, cls = self.step_interval, self.step_interval <= 0, r.cls
        go_set, stop_set, clock, requests = self._go.is_set, self._stop.is_set, time.perf_counter, self._requests
        want = r.sampler.want  # the budget may change during the run (Request("stats_budget"))
        augment, aug = r.cfg.augment.active, r.cfg.augment
        stopped_rng = None
        for xb, yb in batches:
            if not go_set():
                yield from self._paused(r, epoch)
            if requests:
                yield from self._serve(r, epoch)
            if stop_set():
                stopped_rng = torch.get_rng_state()
                break
            if r.selected_images and clock() - r.last_images >= IMAGE_INTERVAL:
                yield from self._images(r, r.sampler.selected, epoch, None)
            ts = clock()
            if augment:
                xb = augment_batch(xb, aug)
            sample = want()
            lv, out = self._train_step(r, xb, yb, sample, epoch)
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
                yield from self._sampled(r, epoch, ts)
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

    def _batches(self, r: RunState, epoch: int) -> tuple[Iterator[tuple[torch.Tensor, torch.Tensor]],
                                                          dict[str, Any] | None]:
        """Seed the epoch's draws and put the net in training mode; returns the epoch's batches and, when
        the run resumes from a stop inside this epoch, the checkpoint's running sums (the batches then
        start after the ones done)."""
        # Each epoch's shuffle and dropout/augmentation draws depend on (seed, epoch) only, so a run
        # resumed from a checkpoint continues exactly as the uninterrupted run would have.
        cfg = r.cfg
        r.gen.manual_seed(cfg.seed * 1_000_003 + epoch)
        torch.manual_seed(cfg.seed * 1_000_003 + epoch + 500_000)
        r.train_mode()
        batches: Iterator[tuple[torch.Tensor, torch.Tensor]]
        if r.x is not None and r.y is not None:
            x, y = r.x, r.y
            perm = torch.randperm(r.n, generator=r.gen).to(r.device)
            batches = ((x[idx], y[idx]) for idx in perm.split(r.bs))
        else:
            batches = ((xb.to(r.device), yb.to(r.device)) for xb, yb in r.loader)
        point = r.resume if epoch == r.start_epoch + 1 else None
        if point is None or not point.partial:
            return batches, None
        # the checkpoint was written by a stop inside this epoch
        assert point.rng is not None  # resume_point refuses a partial epoch without it
        batches = itertools.islice(batches, point.partial["batch"], None)
        restore_rng(point.rng, self.resume_from)
        return batches, point.partial

    def _paused(self, r: RunState, epoch: int) -> Iterator[ev.Event]:
        """Wait while paused, answering requests; Paused first, Resumed last."""
        yield ev.Paused(epoch, r.step)
        while not self._go.is_set():
            self._wake.wait()
            self._wake.clear()
            yield from self._serve(r, epoch)
        yield ev.Resumed(epoch, r.step)

    def _train_step(self, r: RunState, xb: torch.Tensor, yb: torch.Tensor, sample: bool,
                    epoch: int) -> tuple[float, torch.Tensor]:
        """:func:`train_step` on one batch; an exception or a non-finite loss ends the run naming the node."""
        try:
            lv, out = train_step(r, xb, yb, sample)
        except (RuntimeError, MemoryError, IndexError, ValueError) as e:
            r.sampler.cancel()
            raise Abort(runtime_error(r.gm, r.ci, xb, e, epoch)) from None
        if not math.isfinite(lv):
            raise Abort(nan_error(r.gm, r.ci, xb, epoch, r.step + 1, lv))
        return lv, out

    def _sampled(self, r: RunState, epoch: int, ts: float) -> Iterator[ev.Event]:
        """After a sampled step (begun at ``ts``): its NodeStats, charged to the sampler, and the health
        checks' warnings."""
        ns = r.sampler.finish(epoch, r.step)
        r.sampler.charge(time.perf_counter() - ts - (r.plain_ema if r.plain_ema is not None else 0.0))
        yield ns
        for w in r.health.check(ns):
            r.warnings.append(w)
            yield w

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
            raise Abort(self._forward_failure(r, e.cause, e.batch, epoch, f"while evaluating {what}")) from None

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
            raise Abort(ev.Error("checkpoint", f"cannot write the checkpoint in {self.out_dir}: "
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
    except Abort as a:
        return a.error
    return None


def train(graph: Graph, config: TrainConfig | None = None, **kwargs: Any) -> tuple[ev.Finished, list[ev.Event]]:
    """Run to the end and return (the Finished event, every event) — for scripts and tests."""
    out: list[ev.Event] = []
    fin = Trainer(graph, config, **kwargs).run(out.append)
    return fin, out


__all__ = ["RunState", "Trainer", "chain_forward", "preflight", "train", "train_step"]
