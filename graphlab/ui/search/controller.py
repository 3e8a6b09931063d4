"""The search controller (``window.search``): one study at a time, run by its worker processes.

States: ``idle`` (nothing running; the selected study is shown as stored) → ``starting`` (the study is
being checked, created or joined and its workers spawned, on the editor's worker) → ``running`` ⇄
``paused`` → ``stopping`` → ``idle``. A search runs the graph *file* (its workers load it): Start asks
to save unsaved changes first. The study lives in its storage (the journal file beside the graph by
default), so a stopped study — or one whose window was closed — continues where it stopped when
Start (*Resume*) is pressed again; a study that exists runs the search section it was created with.

Everything that touches the storage or the :class:`~graphlab.search.process.SearchProcess` is a job
of the shell's worker (:mod:`.jobs`): the GUI thread only submits and receives plain data. While a
search runs, the controller polls it every :data:`POLL_MS` (a poll never waits), reads the trials
again at most once a second (:data:`ROWS_MS`) and the importances at most every
:data:`IMPORTANCE_MS` (fANOVA takes seconds at hundreds of trials).

Stages: the selected study (``study``, by default the file's stem) and its refine stages
(``<study>-refine`` …) found in the storage; *Refine* writes the next stage's narrowed ranges into the
search section (one undo step) and selects that stage, which Start then creates.

The study is read when the dock is shown (``set_watching``), so opening a graph reads no storage.
Signals carry plain data: ``looked(StudyLook)``, ``rows_changed(list[TrialRow])``,
``importances_changed(dict)``, ``events(list)`` (each poll's), ``finished(SearchFinished)``,
``state_changed(str)``, ``message(str)`` (a one-line hint), ``problem(str)`` (the dock's banner: an
unreachable database, a study of another graph; "" clears it), ``ensembled(dict)``, ``tested(object)``.
No torch or Optuna here.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ...core.fields import FieldError
from ...core.text import error_line
from ...search import events as sev
from ..document import Document
from ..shell import Shell
from . import jobs
from .trial_actions import TrialActions

POLL_MS = 100
ROWS_MS = 1000
IMPORTANCE_MS = 5000
ACTIVE = ("starting", "running", "paused", "stopping")


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class SearchController(TrialActions, QObject):
    state_changed = Signal(str)
    looked = Signal(object)
    rows_changed = Signal(list)
    importances_changed = Signal(dict)
    events = Signal(list)
    finished = Signal(object)
    message = Signal(str)
    problem = Signal(str)
    ensembled = Signal(dict)
    tested = Signal(object)

    def __init__(self, document: Document, shell: Shell) -> None:
        super().__init__(shell)
        self.document, self.shell = document, shell
        self.state = "idle"
        self.reader = jobs.StudyReader()
        self.session: jobs.Session | None = None
        self.last_finish: sev.SearchFinished | None = None
        self.study: str | None = None  # None: the file's own study (its stem)
        self.storage: str | None = None  # None: the journal file beside the graph
        self.workers = default_workers()
        self.look: jobs.StudyLook | None = None
        self.rows: list[Any] = []
        self.importances: dict[str, float] = {}
        self.ensemble: dict[str, Any] | None = None
        self.test_report: Any = None
        self.closed = False
        self.ui: Any = None  # the dock and the menu (graphlab.ui.search.SearchUI), set by install
        #: the dock is shown: the study is read (opening the editor reads no storage and imports no Optuna)
        self.watching = False
        self._stale = True
        self._gens: dict[str, int] = {}
        self._best_key: Any = None
        self._best: Any = None
        self._rows_at = 0.0
        self._rows_again = False
        self._importance_at = 0.0
        self._importance_done = -1
        self._test_runs: list[str] = []
        self._poll = QTimer(self)
        self._poll.setSingleShot(True)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_now)
        self._rows_timer = QTimer(self)
        self._rows_timer.setSingleShot(True)
        self._rows_timer.timeout.connect(self.request_rows)
        shell.worker.done.connect(self._done)
        shell.worker.failed.connect(self._failed)
        document.replaced.connect(self.document_replaced)
        document.path_changed.connect(self._path_changed)

    # -- where -------------------------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def study_name(self) -> str | None:
        if self.study:
            return self.study
        if not self.document.path:
            return None
        from ...search.study import default_study

        return default_study(self.document.path)

    def storage_text(self) -> str | None:
        if self.storage:
            return self.storage
        if not self.document.path:
            return None
        from ...search.study import default_storage

        return default_storage(Path(self.document.path).resolve())

    def _submit(self, key: str, fn: Any, *args: Any, needs_torch: bool = False) -> int:
        gen = self.shell.worker.submit(key, fn, *args, needs_torch=needs_torch)
        self._gens[key] = gen
        return gen

    # -- looking at the study ------------------------------------------------------------------------------
    def set_watching(self, on: bool) -> None:
        """The dock was shown (or hidden): a study not read since it changed is read now."""
        self.watching = bool(on)
        if self.watching and self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Read the selected study again (its stages, section and trials) on the worker — now if the dock is
        shown or a search runs, else when it is shown."""
        if not self.watching and not self.active:
            self._stale = True
            return
        self._stale = False
        name, storage = self.study_name(), self.storage_text()
        if name is None or storage is None or self.closed:
            self.look, self.rows = None, []
            self.looked.emit(None)
            self.rows_changed.emit([])
            return
        from ...io import dumps

        self._submit(jobs.LOOK, jobs.look_job, self.reader, storage, name, dumps(self.document.graph),
                     Path(self.document.path or "").name)

    def select_study(self, name: str | None) -> None:
        if self.active or name == self.study_name():
            return
        self.study = name
        self._forget()
        self.refresh()

    def set_storage(self, storage: str | None) -> None:
        """Another storage (a database URL or a journal file; None: the default journal file)."""
        storage = storage.strip() if isinstance(storage, str) and storage.strip() else None
        if storage == self.storage or self.active:
            return
        self.storage = storage
        self.reader = jobs.StudyReader()
        from ...search.study import shown_url

        if self.document.path and (storage is None or shown_url(storage) == storage):
            # remembered for this file (a URL holding a password is not written to the settings)
            self.shell.settings.setValue(self._storage_key(), storage or "")
        self.study = None  # the file's own study in that storage
        self._forget()
        self.refresh()

    def _forget(self) -> None:
        """Nothing shown of the last study (another study, storage or graph)."""
        self.look, self.rows, self.importances, self.ensemble, self.test_report = None, [], {}, None, None
        self._importance_done = -1
        self.shell.worker.cancel(jobs.ROWS)
        self.shell.worker.cancel(jobs.IMPORTANCE)
        self.problem.emit("")
        self.rows_changed.emit([])
        self.importances_changed.emit({})

    def _storage_key(self) -> str:
        return "search/storage/" + str(Path(self.document.path or "").resolve())

    def set_workers(self, n: int) -> None:
        self.workers = max(1, int(n))

    def _looked(self, look: jobs.StudyLook) -> None:
        if look.name != self.study_name() or look.storage != self.storage_text():
            return
        self.look = look
        self.problem.emit(look.problem or "")
        if look.exists and not self.active:
            self._set_rows(look.rows)
            self.request_importance(force=True)
        elif not self.active:
            self._set_rows([])
        self.looked.emit(look)

    # -- running -------------------------------------------------------------------------------------------
    def blocker(self) -> str | None:
        """Why Start cannot run now (one line), or None."""
        if self.active:
            return "a search is running"
        a = self.document.analysis
        if a.errors:
            n = len(a.errors)
            return f"the graph has {n} error{'s' * (n != 1)}: {a.errors[0].text()}"
        look = self.look
        if look is not None and look.problem:
            return look.problem
        if look is not None and look.exists:
            return None  # a stored study runs its own section
        from ...search.space import search_problems

        if not self.document.graph.search:
            return "the graph has no search section: add a key to search in the Search dock"
        bad = search_problems(self.document.graph)
        return str(bad[0]) if bad else None

    def complete(self) -> bool:
        """The selected study has all its trials (Start would find nothing to run)."""
        from ...search.study import counted

        look = self.look
        if look is None or not look.exists or look.target is None:
            return False
        return counted(self.rows) >= look.target and not any(r.state in ("RUNNING", "WAITING") for r in self.rows)

    def start(self) -> bool:
        """Start (or resume) the selected study; False with the reason in ``message`` when it cannot."""
        reason = self.blocker()
        if reason is None and self.complete():
            reason = f"study {self.study_name()!r} is complete: Refine it for the next stage"
        if reason:
            self.message.emit(f"cannot search: {reason}")
            return False
        if not self._saved():
            return False
        name, storage = self.study_name(), self.storage_text()
        if name is None or storage is None:
            return False
        join = self.look is not None and self.look.exists and self.look.name == name
        self.last_finish = None
        self._set_state("starting")
        self.problem.emit("")
        self.message.emit(f"starting the search of study {name!r}: checking the graph and its data…")
        self._submit(jobs.START, jobs.start_job, str(Path(self.document.path or "").resolve()), storage, name,
                     self.workers, join, needs_torch=True)
        return True

    def _saved(self) -> bool:
        """The document is saved (a search runs the file); asks to save it when it is not."""
        doc = self.document
        if doc.path and doc.undo_stack.isClean():
            return True
        what = Path(doc.path).name if doc.path else "the graph"
        ask = getattr(self.shell.prompts, "confirm", None)
        if ask is None or not ask("Save before searching",
                                  f"A search runs the graph file. Save {what} first and start the search?"):
            self.message.emit("nothing started: a search runs the graph file, save it first (Ctrl+S)")
            return False
        if not self.shell.save():
            self.message.emit("nothing started: the graph was not saved")
            return False
        self.refresh()  # the study beside the (new) file
        return bool(doc.path and doc.undo_stack.isClean())

    def _started(self, session: jobs.Session) -> None:
        here = self.document.path and Path(session.process.source) == Path(self.document.path).resolve()
        if self.closed or not here or self.state != "starting":
            self._submit("search-close", _close_job, session)  # another graph meanwhile: it waits for later
            return
        self.session = session
        self._set_state("running")
        notes = [f"search of study {session.study!r} started: {session.target} trials, {session.spec.sampler} "
                 f"sampler, {session.n_workers} worker{'s' * (session.n_workers != 1)}"]
        if session.requeued:
            notes.append(f"trial(s) {', '.join(map(str, session.requeued))} had been cut short and run again")
        if session.file_differs:
            notes.append("the study keeps the section it was created with")
        self.message.emit("; ".join(notes))
        if self.look is None or not self.look.exists:
            self.refresh()
        self._poll.start()

    def pause(self) -> None:
        if self.session is not None and self.state == "running":
            self._submit(jobs.CONTROL, jobs.control_job, self.session, "pause")

    def resume(self) -> None:
        if self.session is not None and self.state == "paused":
            self._submit(jobs.CONTROL, jobs.control_job, self.session, "resume")

    def toggle_pause(self) -> None:
        if self.state == "paused":
            self.resume()
        else:
            self.pause()

    def stop(self) -> None:
        """Stop every trial now; each is queued again, so the study continues where it stopped."""
        if self.session is not None and self.state in ("running", "paused"):
            self._set_state("stopping")
            self._submit(jobs.CONTROL, jobs.control_job, self.session, "stop")

    def _controlled(self, what: str) -> None:
        if self.session is None:
            return
        if what == "pause" and self.state == "running":
            self._set_state("paused")
        elif what == "resume" and self.state == "paused":
            self._set_state("running")

    def _poll_now(self) -> None:
        if self.session is not None and not self.closed:
            self._submit(jobs.POLL, jobs.poll_job, self.session)

    def _polled(self, events: list[Any]) -> None:
        if self.session is None:
            return
        if events:
            self.events.emit(events)
        for e in events:
            if isinstance(e, sev.Paused) and self.state == "running":
                self._set_state("paused")
            elif isinstance(e, sev.Resumed) and self.state == "paused":
                self._set_state("running")
            elif isinstance(e, sev.WorkerExited) and e.reason in ("died", "error"):
                self.message.emit(f"search worker {e.worker} {e.reason}: {e.message}")
            elif isinstance(e, sev.SearchFinished):
                self._finish(e)
                return
        if any(not isinstance(e, (sev.Paused, sev.Resumed)) for e in events):
            self.request_rows()
        self._poll.start()

    def _finish(self, fin: sev.SearchFinished) -> None:
        self.session = None
        self.last_finish = fin
        self._set_state("idle")
        counts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(fin.counts.items()))
        self.message.emit(f"search {fin.reason}: {counts or 'no trials'}" + (f" ({fin.message})" if fin.message else ""))
        self.finished.emit(fin)
        self.refresh()  # the study as stored now: its stages, rows, importances

    # -- reading the trials ------------------------------------------------------------------------------
    def request_rows(self) -> None:
        """Read the trials again: now, or once the last read is a second old (one read in flight)."""
        name, storage = self.study_name(), self.storage_text()
        if name is None or storage is None or self.closed:
            return
        if self.shell.worker.pending(jobs.ROWS):
            self._rows_again = True
            return
        wait = ROWS_MS / 1000 - (time.monotonic() - self._rows_at)
        if wait > 0:
            if not self._rows_timer.isActive():
                self._rows_timer.start(int(wait * 1000) + 1)
            return
        self._rows_at = time.monotonic()
        self._rows_again = False
        self._submit(jobs.ROWS, _tagged, jobs.rows_job, self.reader, storage, name)

    def _set_rows(self, rows: list[Any]) -> None:
        self.rows = list(rows)
        self.rows_changed.emit(self.rows)
        done = sum(r.state == "COMPLETE" for r in self.rows)
        if done != self._importance_done:
            self.request_importance()

    def request_importance(self, force: bool = False) -> None:
        name, storage = self.study_name(), self.storage_text()
        done = sum(r.state == "COMPLETE" for r in self.rows)
        if name is None or storage is None or self.closed or done < 2:
            if done < 2 and self.importances:
                self.importances = {}
                self.importances_changed.emit({})
            return
        if self.shell.worker.pending(jobs.IMPORTANCE):
            return
        if not force and self.active and time.monotonic() - self._importance_at < IMPORTANCE_MS / 1000:
            return
        self._importance_at = time.monotonic()
        self._importance_done = done
        self._submit(jobs.IMPORTANCE, _tagged, jobs.importance_job, self.reader, storage, name)

    # -- what to do with the trials ------------------------------------------------------------------------
    def spec(self) -> Any:
        """The selected study's search section (as stored), or None before it exists."""
        return self.look.spec if self.look is not None and self.look.exists else None

    def best(self) -> Any:
        """The best COMPLETE trial of the rows shown (ranked once per read of the trials)."""
        from ...search.study import ranked

        spec = self.spec()
        key = (id(self.rows), len(self.rows), id(spec))
        if key != self._best_key:
            top = ranked(self.rows, spec) if spec is not None else []
            self._best_key, self._best = key, (top[0] if top else None)
        return self._best

    def row(self, number: int) -> Any:
        return next((r for r in self.rows if r.number == number), None)

    # -- the worker's answers ----------------------------------------------------------------------------
    def _done(self, key: str, gen: int, result: Any) -> None:
        if self._gens.get(key) != gen or self.closed:
            return
        if key in (jobs.ROWS, jobs.IMPORTANCE):
            storage, name, value = result
            if (storage, name) != (self.storage_text(), self.study_name()):
                return
            if key == jobs.ROWS:
                self._set_rows(value)
                if self._rows_again:
                    self.request_rows()
            else:
                self.importances = dict(value)
                self.importances_changed.emit(self.importances)
            return
        handler = {jobs.LOOK: self._looked, jobs.START: self._started, jobs.POLL: self._polled,
                   jobs.CONTROL: self._controlled, jobs.ENSEMBLE: self._ensembled, jobs.EARLIER: self._earlier,
                   jobs.TEST: self._tested}.get(key)
        if handler is not None:
            handler(result)

    def _failed(self, key: str, gen: int, exc: BaseException) -> None:
        if self._gens.get(key) != gen or self.closed or not key.startswith("search-"):
            return
        line = _line(exc)
        if key == jobs.START:
            self._set_state("idle")
            self.problem.emit(line)
            self.message.emit(f"the search did not start: {line}")
        elif key == jobs.LOOK:
            self.look, self.rows = None, []
            self.problem.emit(line)
            self.rows_changed.emit([])
            self.looked.emit(None)
        elif key == jobs.POLL:
            self.message.emit(f"lost the search's events: {line}")
            self._poll.start()
        elif key in (jobs.ENSEMBLE, jobs.TEST, jobs.EARLIER):
            what = "ensemble" if key == jobs.ENSEMBLE else "test evaluation"
            self.message.emit(f"{what} failed: {line}")
        else:
            self.message.emit(f"{key[len('search-'):]}: {line}")

    # -- the document --------------------------------------------------------------------------------------
    def document_replaced(self) -> None:
        """Another graph: a running search stops (its trials run again when it resumes) and is forgotten."""
        if self.session is not None:
            self._submit("search-close", _close_job, self.session)
            self.session = None
        if self.state != "idle":
            self._set_state("idle")
        self.study = None
        path = self.document.path
        stored = self.shell.settings.value(self._storage_key(), "") if path else ""
        self.storage = stored if isinstance(stored, str) and stored else None
        self.reader = jobs.StudyReader()
        self._forget()
        self.refresh()

    def _path_changed(self, _old: Any, _new: Any) -> None:
        if not self.active:
            self.study = None
            self.refresh()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def shutdown(self) -> None:
        """The window closes (after the worker has stopped): a running search stops — each running trial is
        queued again, so the study continues where it stopped when the graph is opened again."""
        self.closed = True
        self._poll.stop()
        self._rows_timer.stop()
        session, self.session = self.session, None
        jobs.close_session(session)


def _tagged(ctx: Any, fn: Any, reader: jobs.StudyReader, storage: str, name: str) -> tuple[str, str, Any]:
    """A read of a study, tagged with the study it read (the dock may have moved on meanwhile)."""
    return storage, name, fn(ctx, reader, storage, name)


def _close_job(ctx: Any, session: jobs.Session) -> None:
    jobs.close_session(session)


def _line(exc: BaseException) -> str:
    """A job's failure as the dock says it: one line (a command-line flag in the engine's words, such as
    ``--storage: cannot reach the database …``, is named as the dock's field: ``storage: …``)."""
    if isinstance(exc, FieldError):
        where = exc.path[2:] if exc.path.startswith("--") else exc.path
        return f"{where}: {exc.reason}"
    return error_line(exc, with_type=not _plain_error(exc))


def _plain_error(exc: BaseException) -> bool:
    """Errors whose message already says what (one line for the user, no type name needed)."""
    from ...run.runs import RunError

    return isinstance(exc, (RunError, OSError))
