"""Run the trainer in a child process — how the editor should train.

stack-facts: a training *thread* shares the GIL and the 2 cores with a busy GUI thread and loses
8–17% of its throughput to a 30 Hz plot refresh (far more to an unthrottled one); a child process
with one torch thread is not slowed. So::

    proc = TrainingProcess(graph, base_dir=folder, out_dir=run_dir, step_interval=0.05)
    proc.start()
    # on a GUI timer (<= 30 Hz):
    for event in proc.poll():       # never blocks; the event dataclasses of graphlab.run.events
        ...
    proc.pause(); proc.resume(); proc.stop()          # take effect between steps
    rid = proc.select("conv1")                        # detailed stats + Images of conv1 (<= 1/s)
    rid = proc.images("conv1"); proc.snapshot(); proc.set_stats_budget(0.05); proc.status()
    # each returns the request id; the answer is a Reply event with .request == rid

The graph travels as its file text (:func:`graphlab.io.dumps`), so the child trains a snapshot and
later edits in the editor do not touch the run. The start method is ``spawn`` (forking a process
that holds Qt and torch's thread pools is unsafe).

**Warm start.** A fresh child spends seconds importing torch before its first step (20–40 s on a
loaded machine). A :class:`SpareProcess` is a child started ahead of time that has imported torch
and the trainer and waits for its run; ``TrainingProcess(..., spare=spare)`` hands the run to it, so
the first loss point comes as soon as the dataset is built. A spare whose parent goes away ends.
Before its first step the child reports what it is doing with ``Preparing`` events ("importing
PyTorch", "building the dataset and compiling the graph").

**Bounded queue.** The child sends events in batches and keeps at most :data:`MAX_IN_FLIGHT`
batches unread by the parent; each :meth:`poll` acknowledges what it read. While the parent is
behind, the child coalesces what it holds: only the latest statistics per node (one ``NodeStats``),
only the latest unrequested ``Images`` per node and kind, and consecutive ``Step`` events of an
epoch merged into one whose ``losses`` keep every step's loss (the plots need full resolution, 8
bytes a step). Everything else (epochs, warnings, replies, errors) is kept as it is. Coalescing
never crosses a barrier (RunStarted, Epoch, Paused, Resumed, Error, Finished): statistics produced
after an Epoch arrive after it. So the queue never holds more than MAX_IN_FLIGHT + 1 batches,
whatever the GUI's pace.

**Always an end.** Every failure in the child ends with an ``Error`` (kind, node and field where
known: ``data`` with ``training.dataset`` for a bad dataset path, ``nan`` with the node, ``oom``,
``runtime``) and a ``Finished``; if the child dies without one (killed, crashed), :meth:`poll`
reports an ``Error`` and a ``Finished`` itself, so a listener always sees the end.

**Never outlives the editor.** The child exits as soon as its parent process is gone (the editor
killed with -9, crashed, or closed without stopping it): on Linux the kernel signals it
(``PR_SET_PDEATHSIG``, SIGUSR2, whose handler exits when :func:`os.getppid` is no longer the
parent's pid — the signal also comes when only the *thread* that started the child ends, and then
it is ignored); everywhere, the child's command thread checks the parent's pid every
:data:`FLUSH_INTERVAL` seconds, and takes a closed command pipe for a parent gone. Its last
checkpoint (every ``checkpoint_interval`` seconds) stays on disk.

**Released at the end.** Once :meth:`poll` has delivered the ``Finished`` event it calls
:meth:`close`: the queues are closed (their pipes and the command queue's feeder thread go) and the
process handle is closed as soon as the child has exited (a short-lived reaper thread waits for it, so
the GUI thread never blocks). A finished ``TrainingProcess`` kept around (the editor keeps old runs)
then holds no file descriptor and no thread; later ``poll()`` calls return ``[]`` and commands are
not sent. ``close()`` is idempotent; called while the run is still going, it kills the child (the run
is abandoned: use :meth:`stop` and poll until ``Finished`` to keep a checkpoint).
"""
from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import queue as queue_mod
import signal
import sys
import threading
import traceback
from dataclasses import replace
from typing import Any

from ..core.graph import Graph
from ..io import dumps
from . import events as ev
from .commands import Request
from .config import TrainConfig, parse_training

#: batches the child may have sent that the parent has not read yet
MAX_IN_FLIGHT = 4
#: seconds between the child's attempts to send what it holds while the trainer is quiet (paused)
FLUSH_INTERVAL = 0.05
_BARRIERS = (ev.RunStarted, ev.Epoch, ev.Paused, ev.Resumed, ev.Error, ev.Finished)


def _empty_final() -> dict[str, Any]:
    return {"train_loss": None, "train_acc": None, "val_loss": None, "val_acc": None, "epochs": 0, "seconds": 0.0,
            "samples_per_s": None}


def merge_steps(a: ev.Step, b: ev.Step) -> ev.Step:
    """Two Step events of one epoch as one, keeping every step's loss."""
    la = a.losses if a.losses is not None else [a.loss] * a.steps
    lb = b.losses if b.losses is not None else [b.loss] * b.steps
    losses = la + lb
    n = a.steps + b.steps
    acc = None if a.acc is None or b.acc is None else (a.acc * a.steps + b.acc * b.steps) / n
    return ev.Step(b.epoch, b.step, sum(losses) / len(losses), n, b.lr, acc, losses, b.seconds)


class Outbox:
    """The child's sending side: batches events, coalesces while the parent is behind."""

    def __init__(self, q: Any, acked: Any, produced: Any, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.q, self.acked, self.produced, self.max = q, acked, produced, max_in_flight
        self.lock = threading.Lock()
        self.pending: list[ev.Event] = []
        self.sent = 0
        self._step_at: int | None = None  # index in pending of the Step later ones of its epoch merge into
        self._stats_at: int | None = None  # index of the pending NodeStats
        self._images_at: dict[tuple[str, str], int] = {}

    def put(self, e: ev.Event) -> None:
        with self.lock:
            self.produced.value += 1
            self._add(e)
            self._flush(force=isinstance(e, ev.Finished))

    def _add(self, e: ev.Event) -> None:
        p = self.pending
        if isinstance(e, ev.Step):
            i = self._step_at
            last = p[i] if i is not None else None
            if i is not None and isinstance(last, ev.Step) and last.epoch == e.epoch:
                p[i] = merge_steps(last, e)
                return
            self._step_at = len(p)
        elif isinstance(e, ev.NodeStats) and self._stats_at is not None:
            old = p[self._stats_at]
            assert isinstance(old, ev.NodeStats)  # _stats_at indexes the pending NodeStats
            p[self._stats_at] = ev.NodeStats(e.epoch, e.step, {**old.nodes, **e.nodes})
            return
        elif isinstance(e, ev.NodeStats):
            self._stats_at = len(p)
        elif isinstance(e, ev.Images) and e.request is None:
            key = (e.node, e.kind)
            if key in self._images_at:
                p[self._images_at[key]] = e
                return
            self._images_at[key] = len(p)
        elif isinstance(e, _BARRIERS):  # nothing produced after a barrier may be merged into an event before it
            self._step_at = self._stats_at = None
            self._images_at = {}
        p.append(e)

    def _flush(self, force: bool = False) -> None:
        if self.pending and (force or self.sent - self.acked.value < self.max):
            self.q.put(self.pending)
            self.sent += 1
            self.pending = []
            self._step_at = self._stats_at = None
            self._images_at = {}

    def flush(self, force: bool = False) -> None:
        with self.lock:
            self._flush(force)


def _error_event(e: BaseException) -> ev.Error:
    if isinstance(e, MemoryError):
        return ev.Error("oom", "the training process ran out of memory; lower training.batch_size or make the "
                        "network smaller")
    where = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
    at = f" ({os.path.basename(where.filename)}:{where.lineno})" if where else ""
    return ev.Error("internal", f"the training process failed: {type(e).__name__}: {e}{at}")


#: exit status of a child whose parent is gone (nobody reads it; the tests do)
ORPHAN_EXIT = 3
_PR_SET_PDEATHSIG = 1


def parent_gone(parent_pid: int) -> bool:
    """True when the process that started this one has exited (this one was re-parented)."""
    return os.getppid() != parent_pid


def exit_with_parent(parent_pid: int) -> None:
    """Make this process exit as soon as ``parent_pid`` (its parent) does: a kernel signal on Linux,
    and at once when the parent is already gone. The command thread's check covers other systems."""
    if parent_gone(parent_pid):
        os._exit(ORPHAN_EXIT)
    if not sys.platform.startswith("linux"):
        return

    def on_parent_death(signum: int, frame: Any) -> None:
        if parent_gone(parent_pid):  # not just the parent's starting thread ending
            os._exit(ORPHAN_EXIT)

    try:
        signal.signal(signal.SIGUSR2, on_parent_death)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGUSR2), 0, 0, 0)
    except (OSError, AttributeError, ValueError):  # no prctl here: the command thread's check remains
        return
    if parent_gone(parent_pid):  # it died between the first check and prctl
        os._exit(ORPHAN_EXIT)


def _child(text: str, config: TrainConfig, kwargs: dict[str, Any], q: Any, cmds: Any, acked: Any,
           produced: Any, parent_pid: int | None = None) -> None:
    if parent_pid is not None:
        exit_with_parent(parent_pid)
    box = Outbox(q, acked, produced)
    if "torch" not in sys.modules:
        box.put(ev.Preparing("importing PyTorch"))
    _run_child(box, text, config, kwargs, cmds, parent_pid)


def _warm_child(jobs: Any, q: Any, cmds: Any, acked: Any, produced: Any, ready: Any, parent_pid: int,
                dataset: str | None = None) -> None:
    """A spare: import what a run needs now, then wait for the run (None, or a closed pipe: end).
    ``dataset``: the built-in dataset the run will probably use (the open graph's), warmed up too."""
    exit_with_parent(parent_pid)
    import torch  # noqa: F401 - the point: imported before the run is asked for

    from . import trainer  # noqa: F401
    from .datasets import spiral, warm_up

    torch.set_num_threads(1)
    spiral(3, 10)  # the first call of torch's kernels pays their set-up here, not in the run
    weight = torch.nn.Parameter(torch.zeros(1))
    weight.grad = torch.zeros(1)
    torch.optim.SGD([weight], lr=0.0).step()  # a first optimizer step imports torch._dynamo (~1 s): here
    try:
        warm_up(dataset)
    except Exception:  # only a head start: the run reports a dataset that cannot be built
        pass
    from .peak import peak_or_none

    peak_or_none("cpu", 1)  # this machine's matmul peak, measured once (then cached) while nothing waits
    ready.set()
    try:
        job = jobs.get()
    except (EOFError, OSError, KeyboardInterrupt):
        return
    if job is None:
        return
    text, config, kwargs = job
    _run_child(Outbox(q, acked, produced), text, config, kwargs, cmds, parent_pid)


def _run_child(box: Outbox, text: str, config: TrainConfig, kwargs: dict[str, Any], cmds: Any,
               parent_pid: int | None) -> None:
    from ..io import loads
    from .trainer import Trainer

    done = threading.Event()
    box.put(ev.Preparing("building the dataset and compiling the graph"))
    try:
        trainer = Trainer(loads(text), config, **kwargs)

        def watch() -> None:  # commands in, quiet-time flushes out; the parent's pid watched
            while not done.is_set():
                if parent_pid is not None and parent_gone(parent_pid):
                    os._exit(ORPHAN_EXIT)
                try:
                    req = cmds.get(timeout=FLUSH_INTERVAL)
                except queue_mod.Empty:
                    box.flush()
                    continue
                except (EOFError, OSError):  # the parent closed its end, or died
                    if parent_pid is not None and parent_gone(parent_pid):
                        os._exit(ORPHAN_EXIT)
                    return
                trainer.request(req)  # answered with a Reply (pause/resume/stop too) ...
                if isinstance(req, Request) and req.kind in ("pause", "resume", "stop"):
                    getattr(trainer, req.kind)()  # ... and these take effect at once
                box.flush()

        threading.Thread(target=watch, daemon=True).start()
        for e in trainer.events():
            box.put(e)
    except BaseException as e:  # noqa: BLE001 - report anything, the parent must see an end
        box.put(_error_event(e))
        box.put(ev.Finished("error", 0, _empty_final()))
    finally:
        done.set()
        box.flush(force=True)


class SpareProcess:
    """A training child started ahead of time (torch imported), waiting for the run it will train.

    ``TrainingProcess(..., spare=spare)`` takes it (once). :meth:`close` ends an untaken spare."""

    def __init__(self, dataset: str | None = None) -> None:
        """``dataset``: the built-in dataset the next run probably uses, prepared ahead (a hint)."""
        ctx = mp.get_context("spawn")
        self.q, self.cmds, self.jobs = ctx.Queue(), ctx.Queue(), ctx.Queue()
        self.acked, self.produced = ctx.Value("q", 0), ctx.Value("q", 0)
        self._ready = ctx.Event()
        self.proc = ctx.Process(target=_warm_child, name="graphlab-train-spare", daemon=True,
                                args=(self.jobs, self.q, self.cmds, self.acked, self.produced, self._ready,
                                      os.getpid(), dataset))
        self.proc.start()
        self.taken = False

    @property
    def usable(self) -> bool:
        return not self.taken and self.proc.is_alive()

    @property
    def ready(self) -> bool:
        """torch and the trainer are imported: a run handed over now starts at once."""
        return self._ready.is_set()

    def take(self) -> SpareProcess:
        if not self.usable:
            raise RuntimeError("this spare training process is taken or gone")
        self.taken = True
        return self

    def close(self, timeout: float = 2.0) -> None:
        """End an untaken spare (it is waiting: it leaves at once) and reap it."""
        if self.taken:
            return
        self.taken = True
        try:
            self.jobs.put(None)
        except (OSError, ValueError):
            pass
        self.proc.join(timeout)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1.0)
        for qu in (self.jobs, self.cmds, self.q):
            qu.cancel_join_thread()
            qu.close()


class TrainingProcess:
    def __init__(self, graph: Graph, config: TrainConfig | None = None, *, base_dir: str | None = None,
                 out_dir: str | None = None, resume_from: str | None = None, step_interval: float = 0.05,
                 threads: int | None = 1, overfit: int | None = None, source: str | None = None,
                 checkpoint_interval: float = 10.0, spare: SpareProcess | None = None) -> None:
        """``config`` defaults to the graph's training section (a ConfigError is raised here, at once).
        ``threads`` overrides the config's torch threads (1 by default: next to a GUI, stack-facts).
        ``spare``: a :class:`SpareProcess` to train in (a warm start); without one, :meth:`start`
        spawns a child. The other arguments are :class:`~graphlab.run.trainer.Trainer`'s."""
        cfg = config or parse_training(graph.training)
        if threads is not None:
            cfg = replace(cfg, threads=threads)
        kwargs = {"base_dir": None if base_dir is None else str(base_dir),
                  "out_dir": None if out_dir is None else str(out_dir),
                  "resume_from": None if resume_from is None else str(resume_from),
                  "step_interval": step_interval, "overfit": overfit,
                  "source": None if source is None else str(source), "checkpoint_interval": checkpoint_interval}
        self._job: tuple[str, TrainConfig, dict[str, Any]] | None = None
        self._spare = spare.take() if spare is not None and spare.usable else None
        if self._spare is not None:
            sp = self._spare
            self._q, self._cmds, self._acked, self._produced, self._proc = sp.q, sp.cmds, sp.acked, sp.produced, sp.proc
            self._job = (dumps(graph), cfg, kwargs)
        else:
            ctx = mp.get_context("spawn")
            self._q = ctx.Queue()
            self._cmds = ctx.Queue()
            self._acked = ctx.Value("q", 0)
            self._produced = ctx.Value("q", 0)
            self._proc = ctx.Process(target=_child, name="graphlab-train", daemon=True,
                                     args=(dumps(graph), cfg, kwargs, self._q, self._cmds, self._acked,
                                           self._produced, os.getpid()))
        self._next_id = 0
        self.batches = 0  # batches received so far
        self.finished: ev.Finished | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._started = False
        self._reaper: threading.Thread | None = None
        self._reaped = False  # the process handle is closed
        #: stop() found the child suspended (SIGSTOP) and continued it so that it can stop
        self.continued = False

    @property
    def warm(self) -> bool:
        """The run was handed to a spare process (torch was imported before Train was pressed)."""
        return self._spare is not None

    def start(self) -> None:
        if self._closed:
            raise RuntimeError("this TrainingProcess is closed; make a new one")
        if self._spare is not None:
            self._spare.jobs.put(self._job)
            self._job = None
        else:
            self._proc.start()
        self._started = True

    # -- commands: each returns the request id its Reply will carry -----------------------------
    def request(self, kind: str, node: str | None = None, value: Any = None) -> int:
        """Send a request; returns its id. After :meth:`close` nothing is sent (no Reply will come)."""
        self._next_id += 1
        if not self._closed:
            try:
                self._cmds.put(Request(kind, node, value, self._next_id))
            except (OSError, ValueError):  # the queue went away under us (closed from another thread)
                pass
        return self._next_id

    def pause(self) -> int:
        return self.request("pause")

    def resume(self) -> int:
        return self.request("resume")

    def stop(self) -> int:
        """Ask the child to stop after its current step. A child suspended by a signal (SIGSTOP, a
        debugger) could never answer: it is continued first, and :attr:`continued` says so."""
        rid = self.request("stop")
        if self.suspended:  # (the pid is read only then: a closed process object refuses it)
            try:
                pid = self._proc.pid
                assert pid is not None  # a suspended child has started
                os.kill(pid, signal.SIGCONT)
                self.continued = True
            except (OSError, ValueError):
                pass
        return rid

    @property
    def suspended(self) -> bool:
        """The child is stopped by a signal (state T in /proc on Linux; False where it cannot be told)."""
        with self._lock:
            if self._reaped or not self._started or self._proc.pid is None:
                return False
            pid = self._proc.pid
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state in (b"T", b"t")

    def select(self, node: str | None, images: bool = True) -> int:
        """Detailed statistics (and, with ``images``, Images at most once a second) for ``node``; None clears."""
        return self.request("select", node, {"images": images})

    def images(self, node: str) -> int:
        return self.request("images", node)

    def snapshot(self) -> int:
        return self.request("snapshot")

    def set_stats_budget(self, budget: float) -> int:
        return self.request("stats_budget", None, budget)

    def status(self) -> int:
        return self.request("status")

    # -- events -----------------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        """Whether the child process is still running (after :meth:`close`: until it has been reaped)."""
        with self._lock:
            if self._reaped:
                return False
            return self._proc.is_alive()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def reaped(self) -> bool:
        """The child has exited and been waited for: no zombie is left behind."""
        with self._lock:
            if self._reaped:
                return True
            return self._started and self._proc.exitcode is not None  # exitcode waits (WNOHANG) for it

    @property
    def produced(self) -> int:
        """Events the child has produced so far (before coalescing)."""
        return int(self._produced.value)

    def poll(self, timeout: float = 0.0, limit: int = 64) -> list[ev.Event]:
        """Events that have arrived (waiting up to ``timeout`` s for the first batch), at most ``limit``
        batches of them. Reading acknowledges them, which lets the child send more. Once the batch
        holding ``Finished`` has been returned the process is closed and later calls return ``[]``."""
        if self._closed:
            return []
        out: list[ev.Event] = []
        got = 0
        try:
            batch = self._q.get(timeout=timeout) if timeout > 0 else self._q.get_nowait()
            while True:
                out.extend(batch)
                got += 1
                if got >= limit:
                    break
                batch = self._q.get_nowait()
        except (queue_mod.Empty, EOFError, OSError):
            pass
        if got:
            self.batches += got
            with self._acked.get_lock():
                self._acked.value += got
        for e in out:
            if isinstance(e, ev.Finished):
                self.finished = e
        if not out and self.finished is None and self._started and self._proc.exitcode is not None:
            code = self._proc.exitcode
            self.finished = ev.Finished("error", 0, _empty_final())
            out = [ev.Error("internal", f"the training process ended unexpectedly (exit code {code})"),
                   self.finished]
        if self.finished is not None:
            self.close()
        return out

    def close(self) -> None:
        """Release the queues and, once the child has exited, the process handle. Idempotent; called by
        :meth:`poll` after it delivered ``Finished``. A child still running is killed."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        proc, q, cmds = self._proc, self._q, self._cmds
        running = self._started and proc.exitcode is None
        if running and self.finished is None:
            proc.kill()  # abandoned mid-run: nobody will read its events
        # The parent only reads events (no feeder thread here); the command queue's feeder could block on
        # a full pipe if the child died without reading it: never wait for it.
        cmds.cancel_join_thread()
        queues = [cmds, q]
        if self._spare is not None:
            self._spare.jobs.cancel_join_thread()
            queues.append(self._spare.jobs)
        for qu in queues:
            qu.close()
            qu.join_thread()
        # Their pipes close when the queues are collected: drop them (after start() the Process holds none).
        del self._q, self._cmds
        if not self._started:
            if self._spare is not None:  # a spare that was waiting for this run: it ends
                proc.kill()
                proc.join(1.0)
            proc.close()
            self._reaped = True
            return
        self._reaper = threading.Thread(target=self._reap, args=(proc,), name="graphlab-train-reaper", daemon=True)
        self._reaper.start()

    def _reap(self, proc: Any) -> None:
        proc.join()
        with self._lock:
            proc.close()
            self._reaped = True

    def join(self, timeout: float | None = None) -> None:
        if self._closed:
            if self._reaper is not None:
                self._reaper.join(timeout)
            return
        self._proc.join(timeout)

    def kill(self) -> None:
        """Last resort (the run is lost since its last checkpoint)."""
        with self._lock:
            if not self._reaped and self._proc.is_alive():
                self._proc.kill()
