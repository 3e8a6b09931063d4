"""The training controller (``MainWindow.training``): one run at a time, in a child process.

States: ``idle`` (no run yet) → ``running`` ⇄ ``paused`` → ``finished`` (completed or stopped) or
``error``; a new run can start from the last three. The run trains a *snapshot*: the graph travels to
the child as its file text when the run starts (:class:`graphlab.run.process.TrainingProcess`), so
the editor stays editable and later edits change the next run, not this one (``edited_since_start``
says so; the plots dock and the status bar tell the user). When another graph is put in the document
(open, New, Revert) a run in progress is stopped (it saves its checkpoint in its own folder) and
forgotten: ``reset`` tells the views to show the new graph (its last run, or nothing).

Train (``start()``) first waits for the fit check's answer on the current state of the document
(:class:`~.fit_check.FitCheck`), so a mismatch is reported on its node instead of starting a doomed
run. Runs of a graph that has no file yet go to the application's data folder, under the document's
key; at its first save they move beside the file (``runs/``), where its Runs dock lists them.

Events come in by polling the child from a 10 Hz QTimer (:data:`POLL_MS`) (``poll()`` never blocks) into a
:class:`graphlab.run.history.History` (``run_history``): the views read that. ``refreshed`` fires
at most twice a second (:data:`REFRESH_MS`) while events arrive (the views redraw then), ``event_batch`` with each
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

from ...io import dumps
from ...run import events as ev
from ...run.config import ConfigError, TrainConfig, parse_training
from ...run.history import History
from ...run.runs import adopt_runs, new_run_dir
from ..document import Document

if TYPE_CHECKING:
    from ...run.process import SpareProcess, TrainingProcess
    from .fit_check import FitCheck

POLL_MS = 100  # ≤ 10 Hz: each poll reads what the child batched meanwhile (it never waits for us)
#: a spare training process (torch imported, waiting for a run) is started this long after the window
#: shows and after each run, so that F5 finds it ready; the settings' "training/warm_process" turns it off
SPARE_DELAY_MS = 1500
REFRESH_MS = 500  # views redraw ≤ 2 Hz: the GUI shares 2 cores with the child (goal: ≤ 10% of a core)
OVERFIT_SAMPLES = 20
ACTIVE = ("running", "paused")


def safe_stem(name: str) -> str:
    """A graph name as a file-name stem (runs of an untitled graph are named after it)."""
    return re.sub(r"[^\w-]+", "_", name).strip("_") or "untitled"


def untitled_runs_folder() -> Path:
    """Where runs of graphs that have no file yet go: ``<data>/GraphLab/runs`` (one folder per document
    inside it, by the document's key)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation) or str(Path.home())
    return Path(base) / "GraphLab" / "runs"


class TrainingController(QObject):
    state_changed = Signal(str)
    starting = Signal()  # start() is spawning the child (the views get ready meanwhile)
    launched = Signal()  # the child process was started (or the spare took the run): ``proc`` is set
    run_started = Signal(object)  # RunStarted
    finished = Signal(object)  # Finished
    refreshed = Signal()  # at most every REFRESH_MS while events arrive, and once at the end
    event_batch = Signal(list)  # each poll's events
    snapshot_changed = Signal()  # edited_since_start changed, or a run started
    #: a one-line message for the status bar
    message = Signal(str)
    #: another graph is in the document: the views drop the old run and show this graph's (or nothing)
    reset = Signal()
    #: the runs of the document moved or its file changed: the runs list reads them again
    runs_changed = Signal()

    def __init__(self, document: Document, parent: QObject | None = None, warm: bool = True) -> None:
        super().__init__(parent)
        self.document = document
        self.warm = warm  # keep a spare training process ready (graphlab.run.process.SpareProcess)
        self.spare: SpareProcess | None = None
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
        self.snapshot_text: str | None = None  # the graph the current (or last) run trains, as file text
        self._orphans: list[TrainingProcess] = []  # runs of a graph no longer in the document, being reaped
        self._to_adopt: Path | None = None  # an untitled document's runs folder whose run is still going
        self._revision = -1
        self._dirty = False
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.poll)
        self._refresh = QTimer(self)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self._refresh_tick)
        self._spare_timer = QTimer(self)
        self._spare_timer.setSingleShot(True)
        self._spare_timer.setInterval(SPARE_DELAY_MS)
        self._spare_timer.timeout.connect(self.prepare_spare)

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
        a = self.document.live.analysis
        if a is not None and a.errors:
            n = len(a.errors)
            return f"the graph has {n} error{'s' * (n != 1)}: {a.errors[0].text()}"
        try:
            parse_training(self.document.graph.training)
        except ConfigError as e:
            return str(e)
        return self.fit.blocking_reason() if self.fit is not None else None

    def run_config(self) -> TrainConfig:
        cfg = parse_training(self.document.graph.training)
        if self.device:
            cfg = replace(cfg, device=self.device)
        return cfg

    def base_dir(self) -> Path:
        return self.document.base_dir()

    def untitled_folder(self) -> Path:
        """Where this document's runs go while it has no file."""
        return untitled_runs_folder() / self.document.key

    def runs_location(self) -> tuple[str, Path]:
        """(the graph file, or the pseudo file an untitled graph's runs are named after; its runs folder)."""
        from ...run.runs import runs_folder

        path = self.document.path
        if path:
            return path, runs_folder(path)
        return f"{safe_stem(self.document.graph.name)}.graphlab.json", self.untitled_folder()

    def run_folder(self) -> Path:
        path = self.document.path
        if path:
            return new_run_dir(path)
        return new_run_dir(self.runs_location()[0], folder=self.untitled_folder())

    def start(self, overfit: int | None = None) -> bool:
        """Start a run of the graph as it is now (``overfit``: the overfit-a-small-batch check on that many
        training samples). While the fit check of this state of the graph is still out, the run starts
        when it answers (True: it will start, or it has). False, with the reason in ``message``, when it
        cannot start."""
        reason = self.blocker()
        if reason:
            self.message.emit(f"cannot train: {reason}")
            return False
        if self.fit is not None and self.fit.pending:
            self.message.emit("checking that the dataset fits the graph before training…")
            rev = self.document.graph.revision
            self.fit.when_checked(lambda: self._start_checked(overfit, rev))
            return True
        return self._start_now(overfit)

    def _start_checked(self, overfit: int | None, revision: int) -> None:
        if self.closed or self.active or self.document.graph.revision != revision:
            return  # closed, started meanwhile, or edited since F5: the user presses Train again
        self._start_now(overfit)

    def _start_now(self, overfit: int | None) -> bool:
        from ...run.process import TrainingProcess

        reason = self.blocker()
        if reason:
            self.message.emit(f"cannot train: {reason}")
            return False
        g = self.document.graph
        try:
            cfg = self.run_config()
        except ConfigError as e:
            self.message.emit(f"cannot train: {e}")
            return False
        self.config, self.overfit = cfg, overfit
        self.snapshot_text = dumps(g)
        self.starting.emit()
        self.run_dir = None if overfit else self.run_folder()
        source = self.document.path
        self.run_history = History()
        spare, self.spare = self.spare, None
        self.proc = TrainingProcess(g, cfg, base_dir=self.base_dir(), out_dir=self.run_dir, source=source,
                                    overfit=overfit, step_interval=0.05, spare=spare)
        if spare is not None and not self.proc.warm:
            spare.close(0.5)  # it died meanwhile: the run spawns a child of its own
        self.proc.start()
        self.launched.emit()
        if self.selected:
            self.proc.select(self.selected, images=self.images_wanted)
        self._revision = g.revision
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

    # -- the spare process ---------------------------------------------------------------------------
    def schedule_spare(self) -> None:
        """Start a spare training process soon (after the window shows, after a run), unless one is ready."""
        if self.warm and not self.closed and not (self.spare is not None and self.spare.usable):
            self._spare_timer.start()

    def prepare_spare(self) -> None:
        from ...run.process import SpareProcess

        if not self.warm or self.closed or self.active or (self.spare is not None and self.spare.usable):
            return
        if self.spare is not None:
            self.spare.close(0.5)
        ds = self.document.graph.training.get("dataset")  # the dataset it will probably build, warmed up
        self.spare = SpareProcess(ds.get("name") if isinstance(ds, dict) else ds if isinstance(ds, str) else None)

    def request_images(self, node: str) -> int | None:
        """Ask the (running or paused) child for the node's pictures now; its Images come with the Reply."""
        if self.proc is not None and self.active:
            return self.proc.images(node)
        return None

    def trained_graph_text(self) -> str:
        """The graph the last run trained, as its file text (the current graph when there was none)."""
        return self.snapshot_text if self.snapshot_text is not None else dumps(self.document.graph)

    def checkpoint(self) -> Path | None:
        """The weights the last run saved (its folder's checkpoint), else those loaded from a run, else None."""
        from ...run.runs import WEIGHTS

        if self.run_dir is not None and (self.run_dir / WEIGHTS).is_file():
            return self.run_dir / WEIGHTS
        w = self.weights_path or self.document.weights
        return Path(w) if w is not None and Path(w).is_file() else None

    # -- the document -------------------------------------------------------------------------------
    def document_edited(self, *_: Any) -> None:
        """The analysis ran again after an edit: note edits made during a run."""
        if not self.active or self.closed:
            return
        if self.document.graph.revision != self._revision and not self.edited_since_start:
            self.edited_since_start = True
            self.message.emit("The run trains the graph as it was when it started; your edits apply to the next "
                              "run.")
            self.snapshot_changed.emit()

    def document_replaced(self) -> None:
        """Another graph is in the document: a run in progress is stopped (its checkpoint is saved in its own
        folder) and reaped in the background; everything about it goes."""
        if self.closed:
            return
        proc = self.proc
        if proc is not None and not proc.closed:
            if self.active:
                proc.stop()
                self.message.emit("another graph was opened: the run of the previous one was stopped")
            self._orphans.append(proc)
            self._poll.start()
        self.proc = None
        self.run_history = History()
        self.config, self.overfit, self.run_dir, self.started_at = None, None, None, None
        self.snapshot_text = None
        self.edited_since_start, self.paused_at, self.weights_path = False, None, None
        self._to_adopt = None
        self._set_state("idle")
        self.reset.emit()

    def path_changed(self, old: str | None, new: str | None) -> None:
        """Saved under a name: the runs made before the first save move beside the file."""
        if old is None and new:
            if self.active and self.run_dir is not None:
                self._to_adopt = self.untitled_folder()  # after the run: it is still writing there
            self._adopt(self.untitled_folder(), new)
        self.runs_changed.emit()

    def _adopt(self, folder: Path, graph_file: str) -> None:
        busy = self.run_dir if self.active else None
        try:
            moved = adopt_runs(folder, graph_file, skip=busy)
        except OSError as e:
            self.message.emit(f"cannot move the runs made before the first save from {folder}: {e.strerror or e}")
            return
        if self.run_dir is not None and self.run_dir in moved:
            self.run_dir = moved[self.run_dir]

    # -- events ------------------------------------------------------------------------------------
    def poll(self) -> list[ev.Event]:
        """Read what the child sent (never blocks). Called by the poll timer; tests may call it too."""
        self._reap_orphans()
        proc = self.proc
        if proc is None:
            if not self._orphans:
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

    def _reap_orphans(self) -> None:
        for proc in list(self._orphans):
            proc.poll(limit=64)  # read and drop: the child may wait for room in the queue
            if proc.closed and not proc.alive:
                proc.join(0.1)
                self._orphans.remove(proc)

    def _finish(self, fin: ev.Finished) -> None:
        self._set_state("error" if fin.reason == "error" else "finished")
        self.schedule_spare()  # the next run starts warm too
        if self._to_adopt is not None and self.document.path:
            folder, self._to_adopt = self._to_adopt, None
            self._adopt(folder, self.document.path)
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
        self._spare_timer.stop()
        if self.spare is not None:
            self.spare.close()
            self.spare = None
        if self.fit is not None:
            self.fit.shutdown()
        self._poll.stop()
        self._refresh.stop()
        for orphan in self._orphans:
            if orphan.alive:
                orphan.kill()
            orphan.join(0.5)
        self._orphans = []
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
