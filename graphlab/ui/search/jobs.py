"""The Search dock's work off the GUI thread: plain functions the shell's worker runs (no Qt here).

Everything that touches a study's storage or a :class:`~graphlab.search.process.SearchProcess` runs on
the editor's one worker thread, so the GUI thread never waits on Optuna: opening a journal file
replays it (~0.8 s at 500 trials), fANOVA importances take seconds, a database may take its time to
answer or to refuse. The worker runs one job at a time, so a search's process is only ever touched
by that thread (jobs are keyed, latest-wins; see :mod:`graphlab.ui.worker`):

=====================  ======================================================================
key                    job
=====================  ======================================================================
``search-look``        :func:`look_job`: the study as stored (its stages, section, trials)
``search-start``       :func:`start_job`: check, create or join the study, spawn the workers
``search-poll``        :func:`poll_job`: the events that arrived (never waits)
``search-control``     :func:`control_job`: pause, resume, stop
``search-rows``        :func:`rows_job`: every trial as stored now
``search-importance``  :func:`importance_job`: fANOVA importances of the searched keys
``search-ensemble``    :func:`ensemble_job`: the top k averaged on validation (torch)
``search-earlier``     :func:`earlier_job`: the test evaluations a model had before (torch)
``search-test``        :func:`test_job`: evaluate on test, recorded (torch)
=====================  ======================================================================

Storages are opened once per storage text and kept (:class:`StudyReader`): a journal storage reads
only what was appended since its last look.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...search.space import SearchError, SearchSpec

LOOK, START, POLL, CONTROL = "search-look", "search-start", "search-poll", "search-control"
ROWS, IMPORTANCE, ENSEMBLE = "search-rows", "search-importance", "search-ensemble"
EARLIER, TEST = "search-earlier", "search-test"
REFINE_SUFFIX = "-refine"


class StudyReader:
    """Storages by their text, opened on first use and kept (used on the worker thread only)."""

    def __init__(self) -> None:
        self._storages: dict[str, Any] = {}

    def storage(self, text: str) -> Any:
        st = self._storages.get(text)
        if st is None:
            from ...search.study import open_storage

            st = self._storages[text] = open_storage(text)
        return st

    def study(self, text: str, name: str) -> Any:
        import optuna

        return optuna.load_study(study_name=name, storage=self.storage(text))


def stages_of(names: list[str], base: str) -> list[str]:
    """The studies of one search: ``base`` and its refine stages (``base-refine``, ``base-refine-refine``…)."""
    out = []
    for n in sorted(names, key=len):
        rest = n[len(base):] if n.startswith(base) else None
        if rest is not None and (not rest or set(rest.split(REFINE_SUFFIX)) == {""}):
            out.append(n)
    return out


@dataclass
class StudyLook:
    """A study as stored, for the dock (``exists`` False: nothing ran under that name yet)."""

    name: str
    storage: str
    exists: bool
    stages: list[str]
    spec: SearchSpec | None = None
    target: int | None = None
    rows: list[Any] = field(default_factory=list)
    problem: str | None = None  # why this study cannot run for this graph (one line)


def look_job(ctx: Any, reader: StudyReader, storage: str, name: str, graph_text: str, source: str) -> StudyLook:
    """The study ``name`` in ``storage`` as stored: its stages, section, target and trials; SearchError
    (one line) when the storage cannot be opened."""
    from ...io import loads
    from ...search.study import create_or_join, stored_spec, trial_rows

    st = reader.storage(storage)
    base = name.split(REFINE_SUFFIX, 1)[0]
    names = [s.study_name for s in st.get_all_studies()]
    stages = stages_of(names, base)
    if name not in names:
        return StudyLook(name, storage, False, stages)
    graph = loads(graph_text)
    try:
        info = create_or_join(st, storage, name, graph, None, source=source, join=True)
    except SearchError as e:
        return StudyLook(name, storage, True, stages, problem=str(e))
    study = reader.study(storage, name)
    return StudyLook(name, storage, True, stages, stored_spec(info), info.target, trial_rows(study))


@dataclass
class Session:
    """A running search as the dock knows it: the process (touched on the worker thread only) and what
    its constructor found."""

    process: Any
    study: str
    storage: str
    spec: SearchSpec
    target: int
    n_workers: int
    requeued: list[int]
    file_differs: bool


def start_job(ctx: Any, source: str, storage: str, name: str, workers: int, join: bool) -> Session:
    """Check everything, create or join the study and spawn its workers. SearchError (one line) for a bad
    section, an unreachable database, a study of another graph, or what every trial would fail on (graph
    errors, a dataset that cannot be read: the preflight of ``graphlab search``)."""
    from ...core import analyze
    from ...run.trainer import preflight
    from ...search.process import SearchProcess
    from ...search.targets import apply_values, trial_val_fraction

    sp = SearchProcess(source, storage=storage, study=name, workers=workers, join=join)
    a = analyze(sp.graph)
    if not a.ok:
        raise SearchError("FILE", f"the graph has {len(a.errors)} error(s); fix them before searching: "
                                  f"{a.errors[0].text()}")
    g = apply_values(sp.graph, {}, val_fraction=trial_val_fraction(sp.graph, sp.spec), epochs=1)
    err = preflight(g, base_dir=sp.source.parent)
    if err is not None:
        raise SearchError(err.node or "training", err.message)
    if ctx.stale:
        raise SearchError("search", "the start was cancelled")
    sp.start()
    return Session(sp, sp.info.name, sp.storage_text, sp.spec, sp.target, sp.n_workers, list(sp.requeued),
                   sp.file_differs)


def poll_job(ctx: Any, session: Session) -> list[Any]:
    return session.process.poll(0.0)


def control_job(ctx: Any, session: Session, what: str) -> str:
    sp = session.process
    {"pause": sp.pause, "resume": sp.resume, "stop": sp.stop}[what]()
    return what


def rows_job(ctx: Any, reader: StudyReader, storage: str, name: str) -> list[Any]:
    from ...search.study import trial_rows

    return trial_rows(reader.study(storage, name))


def importance_job(ctx: Any, reader: StudyReader, storage: str, name: str) -> dict[str, float]:
    from ...search.study import param_importances

    return param_importances(reader.study(storage, name))


def ensemble_job(ctx: Any, reader: StudyReader, storage: str, name: str, spec: SearchSpec, k: int) -> dict[str, Any]:
    """The top ``k`` trials averaged on validation, beside the best single model (RunError: one line)."""
    from ...search.ensemble import top_runs

    return top_runs(reader.study(storage, name), spec, k)


def test_job(ctx: Any, runs: list[str]) -> Any:
    """Evaluate on test, once: the model (or the ensemble) scored and recorded (RunError: one line)."""
    from ...run.testset import evaluate_on_test

    return evaluate_on_test([Path(r) for r in runs])


def earlier_job(ctx: Any, runs: list[str]) -> list[str]:
    """When each of ``runs`` was evaluated on test before (the record in its folder), for the warning
    (graphlab.run.testset imports torch: a worker job)."""
    from ...run.testset import earlier

    out = []
    for r in runs:
        before = earlier(Path(r))
        if before:
            out.append(f"{Path(r).name} ({before[-1].get('when') or 'an earlier evaluation'})")
    return out


def close_session(session: Session | None) -> None:
    """Stop a search and end its workers without waiting (the window closes; nothing else touches it
    any more): each running trial is queued again, so the study continues where it stopped."""
    if session is None:
        return
    sp = session.process
    if sp.finished is None:
        sp.stop()
    sp.close()
