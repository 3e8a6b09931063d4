"""The editor's one way of working off the GUI thread (training has its own child process).

A :class:`Worker` owns one thread (a plain Python thread: no Qt object that could be destroyed while
it runs) and a queue of jobs, each filed under a *key* ("step",
"gradcheck", "fit", "preview", ...). Submitting a job starts a new *generation* of its key:
a job of the same key still waiting is dropped (latest wins), and whatever an older generation
produces — a result, an error, progress — is dropped on arrival, so a panel never shows an answer
to a question the user has moved on from. :meth:`cancel` starts a new generation without a job.

Jobs are plain functions called on the worker thread as ``fn(ctx, *args)``; ``ctx`` is a
:class:`JobContext`: ``ctx.stale`` tells a long job that its answer is no longer wanted (it may
return early), ``ctx.progress(value)`` reports along the way. Jobs get and return plain data
(graphs as snapshots, numpy arrays, dataclasses): the worker never holds a Qt object, so no Qt
object can be freed on its thread (:mod:`graphlab.ui.gc_guard` keeps the cyclic collector on the
GUI thread). A job that needs torch says so (``needs_torch=True``): torch is then imported on the
worker before it runs (:func:`graphlab.ui.torch_import.ensure_torch`), never on the GUI thread.

Results come back as queued signals, checked once more on the GUI thread: ``done(key, generation,
result)``, ``failed(key, generation, exception)`` and ``progress(key, generation, value)``.
:meth:`shutdown` stops it: nothing is emitted afterwards; the thread ends after the job it is in
(long jobs look at ``ctx.stale``, which turns true) and is waited for, ``timeout`` seconds at most.
A worker whose owner is destroyed without a shutdown stops the same way (without waiting).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, Signal

from .torch_import import ensure_torch


@dataclass
class _Job:
    key: str
    generation: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    needs_torch: bool


class JobContext:
    """What a running job may ask of its worker; plain Python, safe to use on the worker thread."""

    def __init__(self, core: _Core, job: _Job) -> None:
        self._core, self.key, self.generation = core, job.key, job.generation

    @property
    def stale(self) -> bool:
        """True once the answer is not wanted any more (a newer job of the key, cancel, shutdown)."""
        return self._core.stale(self.key, self.generation)

    def progress(self, value: Any) -> None:
        if not self.stale:
            self._core.emit("progress", self.key, self.generation, value)


class _Core:
    """The state both threads share, behind one lock; no Qt object is reachable from it but the
    emitter, whose signals are thread-safe and which lives (parented) on the GUI thread."""

    def __init__(self, emitter: _Emitter) -> None:
        self.cond = threading.Condition()
        self.queue: dict[str, _Job] = {}  # insertion order is the order jobs run in
        self.current: dict[str, int] = {}
        self.running: str | None = None
        self.closed = False
        self._emitter = emitter

    def stale(self, key: str, generation: int) -> bool:
        return self.closed or self.current.get(key) != generation

    def emit(self, what: str, key: str, generation: int, value: Any) -> None:
        with self.cond:  # shutdown() takes this lock: nothing is emitted once it has returned
            if not self.stale(key, generation):
                getattr(self._emitter, what).emit(key, generation, value)

    def next_job(self) -> _Job | None:
        with self.cond:
            while not self.queue and not self.closed:
                self.cond.wait()
            if self.closed:
                return None
            key = next(iter(self.queue))
            self.running = key
            return self.queue.pop(key)

    def finished(self) -> None:
        with self.cond:
            self.running = None
            self.cond.notify_all()

    def close(self, *_: Any) -> None:
        with self.cond:
            self.closed = True
            self.queue.clear()
            self.cond.notify_all()

    def run(self) -> None:
        while (job := self.next_job()) is not None:
            try:
                if self.stale(job.key, job.generation):
                    continue
                ctx = JobContext(self, job)
                try:
                    if job.needs_torch:
                        ensure_torch()
                    result = job.fn(ctx, *job.args)
                except Exception as e:  # noqa: BLE001 - reported to the panel as one line, never a traceback
                    self.emit("failed", job.key, job.generation, e)
                    continue
                self.emit("done", job.key, job.generation, result)
            finally:
                del job
                self.finished()


class _Emitter(QObject):
    done = Signal(str, int, object)
    failed = Signal(str, int, object)
    progress = Signal(str, int, object)


class Worker(QObject):
    """One worker thread with keyed, latest-wins jobs; see the module docstring."""

    done = Signal(str, int, object)
    failed = Signal(str, int, object)
    progress = Signal(str, int, object)

    def __init__(self, name: str = "graphlab-worker", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._emitter = _Emitter(self)
        self._core = _Core(self._emitter)
        self._thread: threading.Thread | None = None
        self._generations: dict[str, int] = {}
        for sig in ("done", "failed", "progress"):
            getattr(self._emitter, sig).connect(getattr(self, f"_relay_{sig}"))
        self.destroyed.connect(partial(_Core.close, self._core))  # no reference to self: it is going away

    # -- the GUI side --------------------------------------------------------------------------------
    def submit(self, key: str, fn: Callable[..., Any], *args: Any, needs_torch: bool = False,
               supersede: bool = True) -> int:
        """Queue ``fn(ctx, *args)`` as the newest job of ``key``; returns its generation (-1 after shutdown).
        ``supersede=False``: more work of the same generation, not a new question — the results of the
        key's earlier jobs stay wanted, and a job of the key still waiting does this work too (the
        stepper's drain of its command queue)."""
        with self._core.cond:
            if self._core.closed:
                return -1
            if not supersede and key in self._generations:
                gen = self._generations[key]
                if key in self._core.queue:
                    return gen
            else:
                gen = self._generations[key] = self._generations.get(key, 0) + 1
                self._core.current[key] = gen
                self._core.queue.pop(key, None)  # latest wins: an older job of the key is dropped
            self._core.queue[key] = _Job(key, gen, fn, args, needs_torch)
            self._core.cond.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(target=self._core.run, name=self.name, daemon=True)
            self._thread.start()
        return gen

    def cancel(self, key: str) -> None:
        """Drop the queued job of ``key`` and anything its running job still produces."""
        with self._core.cond:
            self._generations[key] = self._generations.get(key, 0) + 1
            self._core.current[key] = self._generations[key]
            self._core.queue.pop(key, None)

    def current(self, key: str) -> int:
        """The newest generation of ``key`` (0: nothing submitted yet)."""
        return self._generations.get(key, 0)

    def pending(self, key: str | None = None) -> bool:
        """A job (of ``key``, or any) is queued or running."""
        with self._core.cond:
            if key is None:
                return bool(self._core.queue) or self._core.running is not None
            return key in self._core.queue or self._core.running == key

    @property
    def closed(self) -> bool:
        return self._core.closed

    @property
    def thread(self) -> threading.Thread | None:
        """The worker's thread (None until the first job)."""
        return self._thread

    def shutdown(self, timeout: float | None = 10.0) -> bool:
        """No result is emitted after this returns; the thread stops after its current job (which sees
        ``ctx.stale``). Waits ``timeout`` s for it (None: for ever); True when it has ended."""
        self._core.close()
        t = self._thread
        if t is None:
            return True
        t.join(timeout)
        return not t.is_alive()

    # -- relays (queued onto the GUI thread; checked again here) --------------------------------------
    def _fresh(self, key: str, generation: int) -> bool:
        return not self._core.closed and self._generations.get(key) == generation

    def _relay_done(self, key: str, generation: int, value: Any) -> None:
        if self._fresh(key, generation):
            self.done.emit(key, generation, value)

    def _relay_failed(self, key: str, generation: int, value: Any) -> None:
        if self._fresh(key, generation):
            self.failed.emit(key, generation, value)

    def _relay_progress(self, key: str, generation: int, value: Any) -> None:
        if self._fresh(key, generation):
            self.progress.emit(key, generation, value)
