"""A running search, headless: what ``graphlab search`` and a Search dock drive.

::

    sp = SearchProcess("net.graphlab.json", workers=2)   # checks everything first: SearchError, one line
    sp.start()
    # on a timer (a dock) or in a loop (the command line):
    for event in sp.poll(timeout=0.1):  # never blocks longer; graphlab.search.events dataclasses
        ...
    sp.pause(); sp.resume(); sp.stop()  # every worker's trial pauses / goes on / stops (queued again)
    sp.rows()                            # every trial of the study, from its storage (TrialRow)
    sp.close()                           # ends the workers (a stop first keeps their trials)

The constructor loads the graph file, checks its search section (unless it joins a study, which runs
the section stored with it), opens the storage, creates or joins the study (checking that it
searches this graph) and fails, one line each, before any process starts. Trials that a crashed or
closed session left RUNNING on this machine (their process is gone) are queued again.

``start()`` spawns the workers (:mod:`graphlab.search.workers`); ``poll()`` returns their events and
notices a worker that died (its trial is marked FAIL, the others go on). When every worker has ended
a :class:`~graphlab.search.events.SearchFinished` closes the stream: ``completed`` when the study has
its trials, else ``stopped`` or ``error``.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import queue as queue_mod
import re
import threading
from pathlib import Path
from typing import Any

from ..core.graph import Graph
from ..io import FileFormatError, dumps, load
from . import events as sev
from .space import SearchError, SearchSpec, parse_search
from .study import (HEARTBEAT, StudyInfo, TrialRow, counted, create_or_join, default_storage, default_study, host,
                    open_storage, ranked, stored_spec, trial_rows)
from .workers import PAUSE, STOP, Job, target_of, worker_main

#: seconds a worker may take to exit after a close before it is killed
REAP_SECONDS = 10.0


def load_graph(path: str | os.PathLike[str]) -> Graph:
    try:
        return load(path)
    except FileFormatError as e:
        raise SearchError("FILE", str(e)) from None


def base_seed(graph: Graph) -> int:
    from ..run.config import ConfigError, parse_training

    try:
        return parse_training(graph.training).seed
    except ConfigError as e:
        raise SearchError(e.field, str(e).split(": ", 1)[-1]) from None


class SearchProcess:
    def __init__(self, graph_file: str | os.PathLike[str], *, storage: str | None = None, study: str | None = None,
                 workers: int | None = None, trials: int | None = None, join: bool = False,
                 heartbeat: int = HEARTBEAT, spec: SearchSpec | None = None) -> None:
        """``spec`` replaces the file's search section (a refine stage); ``join``: the study must exist and
        its own search section runs. ``trials`` sets the study's target."""
        self.source = Path(graph_file).resolve()
        self.graph = load_graph(self.source)
        if spec is None and not join:
            if not self.graph.search:
                raise SearchError("search", f"{graph_file} has no search section; add one (see docs/search.md)")
            spec = parse_search(self.graph.search, self.graph)
        self.seed = base_seed(self.graph)
        self.storage_text = storage or default_storage(self.source)
        self.storage = open_storage(self.storage_text, heartbeat=heartbeat)
        self.heartbeat = heartbeat
        name = study or default_study(self.source)
        self.info: StudyInfo = create_or_join(self.storage, self.storage_text, name, self.graph, spec,
                                              source=self.source.name, target=trials, join=join)
        self.spec = stored_spec(self.info)
        if join:  # the stored section must still fit this graph (it has the same identity)
            parse_search(self.spec.to_dict(), self.graph)
        self.file_differs = spec is not None and spec.to_dict() != self.spec.to_dict()
        self.target = target_of(self.spec, self.info.target)
        self.requeued = requeue_orphans(self._study(), self.storage)
        rows = self.rows()
        left = self.target - counted(rows) + sum(r.state == "WAITING" for r in rows)
        # no more workers than trials left to start (one, to wait for others' trials, when none is left)
        self.n_workers = max(1, min(workers if workers is not None else (os.cpu_count() or 1), left))
        self.trials_dir = trials_folder(self.source, self.info.name)
        self.finished: sev.SearchFinished | None = None
        self._procs: list[Any] = []
        self._ended: dict[int, str] = {}
        self._holding: dict[int, int | None] = {}
        self._stopping = False
        self._paused = False
        self._closed = False
        self._pending: list[Any] = []  # events of the parent's own (Paused, Resumed)
        self._reaper: threading.Thread | None = None
        #: every worker process has exited and been waited for
        self.reaped = False

    # -- the study -------------------------------------------------------------------------------
    def _study(self) -> Any:
        import optuna

        return optuna.load_study(study_name=self.info.name, storage=self.storage)

    def rows(self) -> list[TrialRow]:
        """Every trial of the study as it is stored now (a dock's table; a database storage is a round trip)."""
        return trial_rows(self._study())

    def importances(self) -> dict[str, float]:
        """Each searched key's importance for the metric (a dock's bar chart); {} until it can be told."""
        from .study import param_importances

        return param_importances(self._study())

    def best(self) -> TrialRow | None:
        top = ranked(self.rows(), self.spec)
        return top[0] if top else None

    # -- running -----------------------------------------------------------------------------------
    def start(self) -> None:
        ctx = mp.get_context("spawn")
        self._events = ctx.Queue()
        self._flags = ctx.Array("i", 2)
        self._lock = ctx.Lock()
        job = Job(dumps(self.graph), str(self.source), self.storage_text, self.info.name, self.spec.to_dict(),
                  self.target, str(self.trials_dir), self.heartbeat, self.seed)
        for i in range(self.n_workers):
            p = ctx.Process(target=worker_main, name=f"graphlab-search-{i}", daemon=True,
                            args=(job, i, self._events, self._flags, self._lock))
            p.start()
            self._procs.append(p)
            self._holding[i] = None

    def pause(self) -> None:
        """Every worker's trial pauses between two steps, and no worker starts another (a Paused event)."""
        if self._procs and not self._paused and not self._closed:
            self._flags[PAUSE] = 1
            self._paused = True
            self._pending.append(sev.Paused())

    def resume(self) -> None:
        if self._paused and not self._closed:
            self._flags[PAUSE] = 0
            self._paused = False
            self._pending.append(sev.Resumed())

    def stop(self) -> None:
        """Stop every trial now (each is queued again for a later run of the same study) and end the workers."""
        self._stopping = True
        self._flags[STOP] = 1
        self._flags[PAUSE] = 0

    def poll(self, timeout: float = 0.0) -> list[Any]:
        """The events that have arrived, waiting up to ``timeout`` s for the first."""
        if self.finished is not None or not self._procs or self._closed:
            return []
        out: list[Any] = self._pending
        self._pending = []
        try:
            e = self._events.get(timeout=timeout) if timeout > 0 and not out else self._events.get_nowait()
            while True:
                out.append(e)
                e = self._events.get_nowait()
        except (queue_mod.Empty, EOFError, OSError):
            pass
        for e in out:
            if isinstance(e, sev.TrialStarted):
                self._holding[e.worker] = e.number
            elif isinstance(e, sev.TrialFinished):
                self._holding[e.worker] = None
            elif isinstance(e, sev.WorkerExited):
                self._ended[e.worker] = e.reason
        if not any(isinstance(e, sev.WorkerExited) for e in out):
            out.extend(self._dead_workers())
        if len(self._ended) == len(self._procs) and self.finished is None:
            out.append(self._finish())
        return out

    def _dead_workers(self) -> list[Any]:
        """A worker that exited without saying so (killed): its trial is marked FAIL."""
        out = []
        for i, p in enumerate(self._procs):
            if i in self._ended or p.exitcode is None:
                continue
            try:  # a last look: its goodbye may have come after the poll read the queue
                while True:
                    e = self._events.get_nowait()
                    out.append(e)
                    if isinstance(e, sev.WorkerExited):
                        self._ended[e.worker] = e.reason
            except (queue_mod.Empty, EOFError, OSError):
                pass
            if i in self._ended:
                continue
            trial = self._holding.get(i)
            if trial is not None:
                fail_trial(self._study(), trial)
            self._ended[i] = "died"
            out.append(sev.WorkerExited(i, "died", f"the worker process ended unexpectedly (exit code {p.exitcode})",
                                        trial))
        return out

    def _finish(self) -> sev.SearchFinished:
        rows = self.rows()
        counts: dict[str, int] = {}
        for r in rows:
            key = "STOPPED" if r.stopped else r.state
            counts[key] = counts.get(key, 0) + 1
        done = counted(rows) >= self.target and not any(r.state in ("RUNNING", "WAITING") for r in rows)
        if done:
            reason, message = "completed", ""
        elif self._stopping:
            reason, message = "stopped", "the study continues where it stopped when it is run again"
        else:
            reasons = sorted(set(self._ended.values()) - {"done"})
            reason, message = "error", "the workers ended before the study was complete (" + ", ".join(reasons) + ")"
        self.finished = sev.SearchFinished(reason, message, counts)
        self.close()
        return self.finished

    def close(self, wait: bool = False) -> None:
        """End the workers and release the queue. Idempotent, and it never blocks unless ``wait``: a
        reaper thread waits for the workers to exit (their interpreters take ~1 s to tear torch down)
        and kills one that has not after :data:`REAP_SECONDS`."""
        if self._closed:
            if wait and self._reaper is not None:
                self._reaper.join()
            return
        self._closed = True
        if not self._procs:
            return
        self._flags[STOP] = 1
        self._reaper = threading.Thread(target=self._reap, name="graphlab-search-reaper", daemon=True)
        self._reaper.start()
        if wait:
            self._reaper.join()

    def _reap(self) -> None:
        for p in self._procs:
            p.join(timeout=REAP_SECONDS)
            if p.exitcode is None:
                p.kill()
                p.join()
        self._events.close()
        self._events.join_thread()
        self.reaped = True

    @property
    def running(self) -> bool:
        return bool(self._procs) and self.finished is None

    @property
    def paused(self) -> bool:
        return self._paused


def trials_folder(graph_file: Path, study: str) -> Path:
    """``runs/search-<study>/`` beside the graph file (the study's name made safe for a folder's)."""
    from ..run.runs import runs_folder

    safe = re.sub(r"[^A-Za-z0-9._-]", "_", study).strip(".") or "study"
    return runs_folder(graph_file) / f"search-{safe[:100]}"


def fail_trial(study: Any, number: int) -> None:
    """Mark a RUNNING trial FAIL (its worker died); nothing when it has already finished."""
    from optuna.trial import TrialState

    try:
        study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
    except (ValueError, RuntimeError):
        pass


def requeue_orphans(study: Any, storage: Any) -> list[int]:
    """Trials left RUNNING on this machine by a process that is gone (a crash, a closed window): marked
    FAIL as ``stopped`` and queued again with their values and seed. Returns their numbers."""
    from optuna.trial import TrialState

    me, out = host(), []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = t.user_attrs.get("pid")
        if t.user_attrs.get("host") != me or not isinstance(pid, int) or _alive(pid):
            continue
        sid = storage.get_study_id_from_name(study.study_name)
        storage.set_trial_user_attr(storage.get_trial_id_from_study_id_trial_number(sid, t.number), "stopped", True)
        fail_trial(study, t.number)
        study.enqueue_trial(dict(t.params), user_attrs={"seed": t.user_attrs.get("seed"), "requeued_from": t.number})
        out.append(t.number)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
