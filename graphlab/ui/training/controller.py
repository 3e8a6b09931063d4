"""The training controller (``MainWindow.training``): one run at a time, in a child process.

States: ``idle`` (no run yet) → ``running`` ⇄ ``paused`` → ``finished`` (completed or stopped) or
``error``; a new run can start from the last three. The run trains a *snapshot*: the graph travels to
the child as its file text when the run starts (:class:`graphlab.run.process.TrainingProcess`), so
the editor stays editable and later edits change the next run, not this one (``edited_since_start``
says so; the plots dock and the status bar tell the user).

Events come in by polling the child from a 30 Hz QTimer (``poll()`` never blocks) into a
:class:`graphlab.run.history.History` (``run_history``): the views read that. ``refreshed`` fires
at most 5 times a second (:data:`REFRESH_MS`) while events arrive (the views redraw then), ``event_batch`` with each
poll's events (cheap bookkeeping only), ``run_started`` / ``finished`` / ``state_changed`` at those
moments. The child keeps at most a few batches unread and coalesces the rest (latest statistics per
node), so a slow GUI never makes the queue grow.

Handles for tests and scripts: ``state``, ``start()``, ``pause()``, ``resume()``, ``stop()``,
``overfit_check()``, ``finished`` (the Finished event), ``history`` (plain lists: ``step_loss``,
``epoch``, ...), ``node_stats`` (node id -> latest statistics as plain data), ``status()`` (a
request id whose Reply lands in ``run_history.replies``), ``select(node)``, ``weights_path``.
No torch here: the child imports it.
"""
from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from ...run import events as ev
from ...run.config import ConfigError, TrainConfig, parse_training
from ...run.history import History
from ...run.runs import new_run_dir

if TYPE_CHECKING:
    from ...run.process import TrainingProcess
    from ..main_window import MainWindow
    from .fit_check import FitCheck

POLL_MS = 33  # ≤ 30 Hz
REFRESH_MS = 200  # views redraw ≤ 5 Hz (10 Hz cost the GUI a quarter more CPU and 7× the p95 latency)
OVERFIT_SAMPLES = 20
ACTIVE = ("running", "paused")


def safe_stem(name: str) -> str:
    """A graph name as a file-name stem (runs of an untitled graph are named after it)."""
    return re.sub(r"[^\w-]+", "_", name).strip("_") or "untitled"


def untitled_runs_folder() -> Path:
    """Where runs of a graph that has no file yet go (the application's data folder)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation) or str(Path.home())
    return Path(base) / "runs"


class TrainingController(QObject):
    state_changed = Signal(str)
    starting = Signal()  # start() is spawning the child (the views get ready meanwhile)
    run_started = Signal(object)  # RunStarted
    finished = Signal(object)  # Finished
    refreshed = Signal()  # at most every REFRESH_MS while events arrive, and once at the end
    event_batch = Signal(list)  # each poll's events
    snapshot_changed = Signal()  # edited_since_start changed, or a run started
    #: a one-line message for the status bar
    message = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.state = "idle"
        self.run_history = History()
        self.proc: TrainingProcess | None = None
        self.device: str | None = None  # None: the file's training.device
        self.weights_path: Path | None = None  # "Load weights from run": for the stepper and export
        self.run_dir: Path | None = None
        self.overfit: int | None = None  # the current run is the overfit check on this many samples
        self.config: TrainConfig | None = None
        self.started_at: float | None = None
        self.edited_since_start = False
        self.selected: str | None = None
        self.fit: FitCheck | None = None  # the off-thread fit check (set by install)
        self.ui: Any = None  # the panels (graphlab.ui.training.Workbench), set by install
        self.closed = False
        self.paused_at: ev.Paused | None = None  # where the run last paused (epoch, step)
        self.images_wanted = False
        self._doc: Any = None
        self._revision = -1
        self._dirty = False
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.poll)
        self._refresh = QTimer(self)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self._refresh_tick)

    # -- handles -------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def history(self) -> dict[str, Any]:
        """The series the plots show, as plain data (``step_loss``, ``step``, ``epoch``, ``lr``, ...)."""
        return self.run_history.as_dict()

    @property
    def node_stats(self) -> dict[str, dict[str, Any]]:
        """Node id -> its latest statistics as plain data."""
        return self.run_history.node_stats

    # -- starting --------------------------------------------------------------------------------------
    def blocker(self) -> str | None:
        """Why a run cannot start now (one line), or None. Fit problems come from the preflight check."""
        if self.active:
            return "a run is in progress: stop it first"
        a = self.window.live.analysis
        if a is not None and a.errors:
            n = len(a.errors)
            return f"the graph has {n} error{'s' * (n != 1)}: {a.errors[0].text()}"
        try:
            parse_training(self.window.document.training)
        except ConfigError as e:
            return str(e)
        return self.fit.blocking_reason() if self.fit is not None else None

    def run_config(self) -> TrainConfig:
        cfg = parse_training(self.window.document.training)
        if self.device:
            cfg = replace(cfg, device=self.device)
        return cfg

    def base_dir(self) -> Path:
        path = self.window.files.path
        return Path(path).resolve().parent if path else Path.cwd()

    def run_folder(self) -> Path:
        path = self.window.files.path
        if path:
            return new_run_dir(path)
        return new_run_dir(f"{safe_stem(self.window.document.name)}.graphlab.json", folder=untitled_runs_folder())

    def start(self, overfit: int | None = None) -> bool:
        """Start a run of the graph as it is now (``overfit``: the overfit-a-small-batch check on that many
        training samples). False, with the reason in ``message``, when it cannot start."""
        from ...run.process import TrainingProcess

        reason = self.blocker()
        if reason:
            self.message.emit(f"cannot train: {reason}")
            return False
        g = self.window.document
        try:
            cfg = self.run_config()
        except ConfigError as e:
            self.message.emit(f"cannot train: {e}")
            return False
        self.config, self.overfit = cfg, overfit
        self.starting.emit()
        self.run_dir = None if overfit else self.run_folder()
        source = self.window.files.path
        self.run_history = History()
        self.proc = TrainingProcess(g, cfg, base_dir=self.base_dir(), out_dir=self.run_dir, source=source,
                                    overfit=overfit, step_interval=0.05)
        self.proc.start()
        if self.selected:
            self.proc.select(self.selected, images=self.images_wanted)
        self._doc, self._revision = g, g.revision
        self.edited_since_start = False
        self.started_at = time.time()
        self._set_state("running")
        self.snapshot_changed.emit()
        self._poll.start()
        self._refresh.start()
        return True

    def overfit_check(self) -> bool:
        """The course's first sanity check: memorise OVERFIT_SAMPLES training samples (regularization off)."""
        return self.start(overfit=OVERFIT_SAMPLES)

    # -- commands -----------------------------------------------------------------------------------
    def pause(self) -> None:
        if self.proc is not None and self.state == "running":
            self.proc.pause()

    def resume(self) -> None:
        if self.proc is not None and self.state == "paused":
            self.proc.resume()

    def toggle_pause(self) -> None:
        if self.state == "paused":
            self.resume()
        else:
            self.pause()

    def stop(self) -> None:
        """Stop after the current step; the child saves a checkpoint and ends with Finished("stopped")."""
        if self.proc is not None and self.active:
            self.proc.stop()
            if self.proc.continued:
                self.message.emit("the training process was suspended (SIGSTOP); it was continued so that it "
                                  "can stop")

    def status(self) -> int | None:
        """Ask the child where it is; the Reply (epoch, step, data.paused) lands in run_history.replies."""
        if self.proc is not None and self.active:
            return self.proc.status()
        return None

    def select(self, node: str | None, images: bool | None = None) -> None:
        """Per-unit statistics (and images, at most once a second) for ``node`` from the child."""
        if images is not None:
            self.images_wanted = images
        if node == self.selected and images is None:
            return
        self.selected = node
        if self.proc is not None and self.active:
            self.proc.select(node, images=self.images_wanted)

    def set_device(self, device: str | None) -> None:
        self.device = device

    # -- the document -------------------------------------------------------------------------------
    def document_edited(self) -> None:
        """The analysis ran again (an edit, or another document): note edits made during a run."""
        if not self.active or self._doc is None or self.closed:
            return
        if self.window.document is not self._doc:
            self.message.emit("another graph was opened: the run of the previous one was stopped")
            self.stop()
            return
        if self._doc.revision != self._revision and not self.edited_since_start:
            self.edited_since_start = True
            self.message.emit("The run trains the graph as it was when it started; your edits apply to the next "
                              "run.")
            self.snapshot_changed.emit()

    # -- events ------------------------------------------------------------------------------------
    def poll(self) -> list[ev.Event]:
        """Read what the child sent (never blocks). Called by the 30 Hz timer; tests may call it too."""
        proc = self.proc
        if proc is None:
            self._poll.stop()
            return []
        events = proc.poll(limit=8)
        if not events:
            if proc.finished is not None and not proc.alive:
                proc.join(0.1)  # reap the child: no zombie
                self._poll.stop()
            return []
        self.run_history.extend(events)
        self._dirty = True
        fin = None
        for e in events:
            t = type(e)
            if t is ev.RunStarted:
                self.run_dir = Path(e.run_dir) if e.run_dir else self.run_dir
                self.run_started.emit(e)
            elif t is ev.Paused:
                self.paused_at = e
                self._set_state("paused")
            elif t is ev.Resumed:
                self._set_state("running")
            elif t is ev.Finished:
                fin = e
        self.event_batch.emit(events)
        if fin is not None:
            self._finish(fin)
        return events

    def _refresh_tick(self) -> None:
        if self._dirty:
            self._dirty = False
            self.refreshed.emit()
        elif not self.active:
            self._refresh.stop()

    def _finish(self, fin: ev.Finished) -> None:
        self._set_state("error" if fin.reason == "error" else "finished")
        self._dirty = False
        self.refreshed.emit()
        self.finished.emit(fin)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    # -- ending ------------------------------------------------------------------------------------------
    def shutdown(self, timeout: float = 5.0) -> None:
        """The window closes: stop the child (it saves a checkpoint), wait for it, kill it if it hangs, reap it."""
        self.closed = True
        if self.fit is not None:
            self.fit.shutdown()
        self._poll.stop()
        self._refresh.stop()
        proc = self.proc
        if proc is None:
            return
        if proc.alive:
            if self.active:
                proc.stop()
            end = time.monotonic() + timeout
            while proc.alive and time.monotonic() < end:
                proc.poll(timeout=0.05)  # keep reading: the child may wait for room in the queue
            if proc.alive:
                proc.kill()
        proc.join(2.0)
