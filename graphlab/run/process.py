"""Run the trainer in a child process — how the editor should train.

stack-facts: a training *thread* shares the GIL and the 2 cores with a busy GUI thread and loses
8–17% of its throughput to a 30 Hz plot refresh (far more to an unthrottled one); a child process
with one torch thread is not slowed. So::

    proc = TrainingProcess(graph, base_dir=folder, out_dir=run_dir, step_interval=0.05)
    proc.start()
    # on a GUI timer:
    for event in proc.poll():       # never blocks; the same event dataclasses as Trainer.events()
        ...
    proc.pause(); proc.resume(); proc.stop()   # take effect between steps

The graph travels as its file text (:func:`graphlab.io.dumps`), so the child trains a snapshot and
later edits in the editor do not touch the run. The start method is ``spawn`` (forking a process
that holds Qt and torch's thread pools is unsafe). If the child dies without a ``Finished`` event,
:meth:`poll` reports an ``Error`` and a ``Finished`` itself, so a listener always sees the end.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
import threading
import traceback
from dataclasses import replace
from typing import Any

from ..core.graph import Graph
from ..io import dumps
from . import events as ev
from .config import TrainConfig, parse_training


def _child(text: str, config: TrainConfig, base_dir: str | None, out_dir: str | None, resume_from: str | None,
           step_interval: float, q: Any, pause_evt: Any, stop_evt: Any) -> None:
    from ..io import loads
    from .trainer import Trainer

    trainer = None
    try:
        trainer = Trainer(loads(text), config, base_dir=base_dir, out_dir=out_dir, resume_from=resume_from,
                          step_interval=step_interval)
        done = threading.Event()

        def watch() -> None:
            paused = False
            while not done.is_set():
                if stop_evt.wait(0.05):
                    trainer.stop()
                    return
                if pause_evt.is_set() != paused:
                    paused = pause_evt.is_set()
                    trainer.pause() if paused else trainer.resume()

        threading.Thread(target=watch, daemon=True).start()
        for e in trainer.events():
            q.put(e)
        done.set()
    except BaseException as e:  # noqa: BLE001 - report anything, the parent must see an end
        where = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
        at = f" ({os.path.basename(where.filename)}:{where.lineno})" if where else ""
        q.put(ev.Error("internal", f"the training process failed: {type(e).__name__}: {e}{at}"))
        q.put(ev.Finished("error", 0, {"train_loss": None, "train_acc": None, "val_loss": None, "val_acc": None,
                                       "epochs": 0, "seconds": 0.0, "samples_per_s": None}))


class TrainingProcess:
    def __init__(self, graph: Graph, config: TrainConfig | None = None, *, base_dir: str | None = None,
                 out_dir: str | None = None, resume_from: str | None = None, step_interval: float = 0.05,
                 threads: int | None = 1) -> None:
        """``config`` defaults to the graph's training section (a ConfigError is raised here, at once).
        ``threads`` overrides the config's torch threads (1 by default: next to a GUI, stack-facts)."""
        cfg = config or parse_training(graph.training)
        if threads is not None:
            cfg = replace(cfg, threads=threads)
        ctx = mp.get_context("spawn")
        self._q = ctx.Queue()
        self._pause = ctx.Event()
        self._stop = ctx.Event()
        self._proc = ctx.Process(
            target=_child, name="graphlab-train", daemon=True,
            args=(dumps(graph), cfg, None if base_dir is None else str(base_dir),
                  None if out_dir is None else str(out_dir), None if resume_from is None else str(resume_from),
                  step_interval, self._q, self._pause, self._stop))
        self.finished: ev.Finished | None = None

    def start(self) -> None:
        self._proc.start()

    def pause(self) -> None:
        self._pause.set()

    def resume(self) -> None:
        self._pause.clear()

    def stop(self) -> None:
        self._stop.set()

    @property
    def alive(self) -> bool:
        return self._proc.is_alive()

    def poll(self, timeout: float = 0.0, limit: int = 10_000) -> list[ev.Event]:
        """Events that have arrived (waiting up to ``timeout`` s for the first one)."""
        out: list[ev.Event] = []
        try:
            out.append(self._q.get(timeout=timeout) if timeout > 0 else self._q.get_nowait())
            while len(out) < limit:
                out.append(self._q.get_nowait())
        except queue_mod.Empty:
            pass
        for e in out:
            if isinstance(e, ev.Finished):
                self.finished = e
        if not out and self.finished is None and self._proc.exitcode is not None:
            code = self._proc.exitcode
            self.finished = ev.Finished("error", 0, {"train_loss": None, "train_acc": None, "val_loss": None,
                                                     "val_acc": None, "epochs": 0, "seconds": 0.0,
                                                     "samples_per_s": None})
            out = [ev.Error("internal", f"the training process ended unexpectedly (exit code {code})"),
                   self.finished]
        return out

    def join(self, timeout: float | None = None) -> None:
        self._proc.join(timeout)

    def kill(self) -> None:
        """Last resort (the run is lost since its last checkpoint)."""
        if self._proc.is_alive():
            self._proc.kill()
