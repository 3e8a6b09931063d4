"""Studies: where a search is stored, which graph it belongs to, and its trials as plain data.

Storage (``--storage``):

* a path (the default: ``runs/<file stem>.optuna-journal`` beside the graph) — Optuna's journal file
  (``JournalStorage(JournalFileBackend(path))``): no server, several local processes at once;
* ``postgresql://…`` (or any SQLAlchemy URL: ``sqlite:///…``, ``mysql://…``) — Optuna's database
  storage with heartbeats: a worker that stops beating for :data:`GRACE` heartbeats has its trial
  marked FAIL, and the study goes on. PostgreSQL needs ``pip install 'graphlab[postgres]'``.

A study remembers, as the user attribute ``graphlab``, the graph it searches (:func:`identity`: a
hash of the graph and its training section without the searched values), its search section, its
target number of trials and the graph file's name. Opening a study of another graph is refused in
one line; so is a database that cannot be reached (:class:`~graphlab.search.space.SearchError`).

Each trial records its ``seed``, ``epochs``, ``val_fraction``, ``run`` (its run folder), ``host`` and
``pid`` as user attributes; a trial stopped by the user has ``stopped`` and is queued again with the
same values and seed. Optuna is imported only when a function here is called.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.graph import Graph
from ..core.text import error_line
from .space import SearchError, SearchSpec, parse_settings
from .targets import NOT_SEARCHED

if TYPE_CHECKING:
    import optuna

#: seconds between heartbeats of a database storage's running trials (``--heartbeat``)
HEARTBEAT = 30
#: a trial whose worker missed this many heartbeats is failed
GRACE = 3
ATTR = "graphlab"
_PASSWORD = re.compile(r"^([A-Za-z][\w+.-]*://[^:/@?#]*):[^/?#]*@")
JOURNAL_SUFFIX = ".optuna-journal"


def is_url(storage: str) -> bool:
    return "://" in storage


def default_storage(graph_file: str | os.PathLike[str]) -> str:
    from ..run.runs import file_stem, runs_folder

    return str(runs_folder(graph_file) / (file_stem(graph_file) + JOURNAL_SUFFIX))


def default_study(graph_file: str | os.PathLike[str]) -> str:
    from ..run.runs import file_stem

    return file_stem(graph_file)


def shown_url(url: str) -> str:
    """A storage URL as the user wrote it, its password (if any) replaced by ``***``."""
    return _PASSWORD.sub(r"\1:***@", url, count=1)


def quiet_optuna() -> None:
    """Optuna's per-trial log lines off (the caller reports trials itself); its experimental warnings off."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def open_storage(storage: str, *, heartbeat: int = HEARTBEAT) -> Any:
    """An Optuna storage for a path or URL; SearchError (one line) when it cannot be opened."""
    quiet_optuna()
    import optuna

    if not is_url(storage):
        path = Path(storage)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            backend = optuna.storages.journal.JournalFileBackend(str(path))
            return optuna.storages.JournalStorage(backend)
        except OSError as e:
            raise SearchError("--storage", f"cannot open the journal file {path}: {e.strerror or e}") from None
    shown = shown_url(storage)
    try:
        return optuna.storages.RDBStorage(storage, heartbeat_interval=heartbeat, grace_period=heartbeat * GRACE,
                                          engine_kwargs={"pool_pre_ping": True})
    except ImportError as e:
        hint = " (pip install 'graphlab[postgres]')" if storage.startswith("postgres") else ""
        raise SearchError("--storage", f"cannot use {shown}: a database driver is missing: {error_line(e)}"
                                       f"{hint}") from None
    except Exception as e:  # noqa: BLE001 - SQLAlchemy's and the driver's errors, whatever their class
        raise SearchError("--storage", f"cannot reach the database at {shown}: {_reason(e)}") from None


def _reason(e: BaseException) -> str:
    """The driver's own first line (SQLAlchemy wraps it in a long text with a link)."""
    orig = getattr(e, "orig", None)
    return error_line(orig if orig is not None else e, 160)


# -- identity ----------------------------------------------------------------------------------------

def identity(graph: Graph, spec: SearchSpec) -> str:
    """What makes two files the same search: the graph's name, nodes, edges and training section, without
    the searched values, the fields a search sets (seed, epochs, …) or node positions. A short hex hash."""
    searched = set(spec.space)
    nodes = [[nid, n.type, {k: v for k, v in sorted(n.params.items()) if f"{nid}.{k}" not in searched}, n.init]
             for nid, n in sorted(graph.nodes.items())]
    edges = sorted([e.src, e.dst, e.port] for e in graph.edges)
    training = _strip(graph.training if isinstance(graph.training, dict) else {}, searched)
    doc = {"name": graph.name, "nodes": nodes, "edges": edges, "training": training}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _strip(training: dict[str, Any], searched: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in training.items():
        if k in NOT_SEARCHED and k not in ("val_fraction", "test_fraction"):
            continue
        if isinstance(v, dict):
            sub = {kk: vv for kk, vv in v.items() if f"training.{k}.{kk}" not in searched
                   and f"{k}.{kk}" not in NOT_SEARCHED}
            out[k] = dict(sorted(sub.items()))
        elif f"training.{k}" not in searched:
            out[k] = v
    return out


# -- opening a study ---------------------------------------------------------------------------------

@dataclass
class StudyInfo:
    """A study as GraphLab sees it."""

    name: str
    storage: str  # as the user gave it (a path or URL)
    identity: str
    spec_dict: dict[str, Any]  # the search section the study runs (its space and settings)
    target: int  # trials wanted
    graph: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _attrs(study: "optuna.Study") -> dict[str, Any] | None:
    a = study.user_attrs.get(ATTR)
    return a if isinstance(a, dict) else None


def create_or_join(storage: Any, storage_text: str, name: str, graph: Graph, spec: SearchSpec | None, *,
                   source: str, target: int | None = None, join: bool = False) -> StudyInfo:
    """Open study ``name`` (create it from ``spec`` unless ``join``) and check it searches ``graph``.

    A new study stores its identity, search section and target; an existing one keeps its search
    section (a resumed or joined study runs what it started with) and takes ``target`` when given."""
    import optuna

    try:
        study = optuna.load_study(study_name=name, storage=storage)
        exists = True
    except KeyError:
        exists = False
    if not exists:
        if join or spec is None:
            raise SearchError("--study", f"there is no study {name!r} in {_shown(storage_text)}; start it with "
                                         f"`graphlab search FILE --storage ... --study {name}` first")
        study = optuna.create_study(study_name=name, storage=storage, direction=spec.direction,
                                    load_if_exists=True)
        if _attrs(study) is None:
            study.set_user_attr(ATTR, {"identity": identity(graph, spec), "search": spec.to_dict(),
                                       "target": target or spec.trials, "graph": graph.name, "source": source,
                                       "created": time.strftime("%Y-%m-%dT%H:%M:%S")})
    attrs = _attrs(study)
    if attrs is None or not isinstance(attrs.get("search"), dict):
        raise SearchError("--study", f"study {name!r} in {_shown(storage_text)} was not made by GraphLab")
    try:
        space, settings = parse_settings(attrs["search"])
    except SearchError as e:
        raise SearchError("--study", f"study {name!r} holds a search section this GraphLab cannot read ({e})") from None
    stored = SearchSpec(space, **settings)
    mine = identity(graph, stored)
    if attrs.get("identity") != mine:
        raise SearchError("--study", f"study {name!r} in {_shown(storage_text)} searches another graph "
                                     f"({attrs.get('graph')!r} from {attrs.get('source')!r}); use another --study name")
    if target is not None and target != attrs.get("target"):
        attrs = {**attrs, "target": target}
        study.set_user_attr(ATTR, attrs)
    return StudyInfo(name, storage_text, mine, attrs["search"], int(attrs.get("target") or stored.trials),
                     str(attrs.get("graph", "")), str(attrs.get("source", "")), attrs)


def _shown(storage: str) -> str:
    return shown_url(storage) if is_url(storage) else storage


def stored_spec(info: StudyInfo) -> SearchSpec:
    space, settings = parse_settings(info.spec_dict)
    return SearchSpec(space, **settings)


# -- trials as plain data ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrialRow:
    """One trial as the tables, ``--json`` and a dock show it."""

    number: int
    state: str  # COMPLETE | PRUNED | FAIL | RUNNING | WAITING
    value: float | None
    params: dict[str, Any]
    run: str | None
    seed: int | None
    epochs: int | None  # epochs reported (the last intermediate step)
    seconds: float | None
    stopped: bool = False
    host: str | None = None
    intermediate: dict[int, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "state": self.state, "value": self.value, "params": self.params,
                "run": self.run}


def trial_rows(study: "optuna.Study") -> list[TrialRow]:
    out = []
    for t in study.get_trials(deepcopy=False):
        u = t.user_attrs
        start, end = t.datetime_start, t.datetime_complete
        secs = (end - start).total_seconds() if start and end else None
        inter = dict(t.intermediate_values)
        out.append(TrialRow(t.number, t.state.name, t.value if t.state.name == "COMPLETE" else None, dict(t.params),
                            u.get("run"), u.get("seed"), max(inter) if inter else None, secs,
                            bool(u.get("stopped")), u.get("host"), inter))
    return out


def counted(rows: list[TrialRow]) -> int:
    """Trials that count towards the target: every trial but those a stop cut short (they are queued again)."""
    return sum(1 for r in rows if not r.stopped)


def ranked(rows: list[TrialRow], spec: SearchSpec) -> list[TrialRow]:
    """The COMPLETE trials, best first (ties: the lower number first)."""
    done = [r for r in rows if r.state == "COMPLETE" and r.value is not None]
    sign = -1.0 if spec.direction == "maximize" else 1.0
    return sorted(done, key=lambda r: (sign * float(r.value), r.number))  # type: ignore[arg-type]


def host() -> str:
    return socket.gethostname()


def param_importances(study: "optuna.Study") -> dict[str, float]:
    """Each searched key's share of the metric's variance over the COMPLETE trials (Optuna's fANOVA
    evaluator), largest first; {} while fewer than 2 trials have completed or the values do not vary."""
    import optuna

    done = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if len(done) < 2 or len({t.value for t in done}) < 2:
        return {}
    try:
        return dict(optuna.importance.get_param_importances(study))
    except (ValueError, RuntimeError):
        return {}
