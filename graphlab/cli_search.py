"""``graphlab search FILE``: run, join, refine and read a hyperparameter search (issue 18).

    graphlab search FILE [--trials N] [--workers K] [--storage URL|PATH] [--study NAME] [--heartbeat S] [--json]
    graphlab search FILE --worker --storage URL --study NAME [--workers K]      join a study from this machine
    graphlab search FILE --storage URL --study NAME --workers 0                  create the study, run nothing
    graphlab search FILE --refine [--top K] [--epochs N] ...                     run a narrower, longer stage
    graphlab search FILE --best -o OUT [--storage S] [--study NAME]              the best trial as a graph file
    graphlab search FILE --ensemble K [--json] ...                               average the top K on validation
    graphlab search FILE --show [--json] ...                                     the study's trials, nothing run

A live table prints one line per finished trial, then the best trial. ``--json``: one JSON object per
finished trial per line, then ``{"study", "storage", "best": {"number", "value", "params"}, "trials":
[{"number", "state", "value", "params", "run"}]}``. Ctrl+C stops the trials (each is queued again: run
the same command to continue) and a second one ends the workers at once. Exit codes: 0 the study is
complete (or the command did what it says), 1 the search ran but failed (every trial failed, workers
died), 2 bad input — a bad search section, an unreachable database, a study of another graph — in
one line on stderr, 130 stopped. Optuna and torch are imported only when the command runs.
"""
from __future__ import annotations

import json
import math
import signal
import sys
from pathlib import Path
from typing import Any

from .cli import _Parser, command, fail
from .core.text import one_line


def _parser() -> _Parser:
    p = _Parser(prog="graphlab search", description="Search the hyperparameters in the graph file's search "
                                                    "section with Optuna (see docs/search.md).")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--trials", type=int, help="trials in the study (default: the search section's)")
    p.add_argument("--workers", type=int, help="worker processes on this machine (default: the core count; 0: create "
                                               "or update the study and run nothing, for --worker processes to join)")
    p.add_argument("--storage", help="a database URL (postgresql://..., sqlite:///...) or a journal file (default: "
                                     "runs/<file stem>.optuna-journal beside FILE)")
    p.add_argument("--study", help="the study's name (default: the file's stem)")
    p.add_argument("--heartbeat", type=int, default=None, metavar="S",
                   help="database storage: seconds between a running trial's heartbeats (a worker silent for 3 "
                        "heartbeats has its trial failed; default 30)")
    p.add_argument("--json", action="store_true", help="JSON lines, ending with the study's summary object")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--worker", action="store_true", help="join an existing study (--storage, --study)")
    what.add_argument("--refine", action="store_true", help="run a new stage narrowed around the top trials")
    what.add_argument("--best", action="store_true", help="write the best trial's graph to -o OUT")
    what.add_argument("--ensemble", type=int, metavar="K", help="average the top K trials on validation")
    what.add_argument("--show", action="store_true", help="print the study's trials and run nothing")
    p.add_argument("--top", type=int, help="--refine: the trials to narrow around (default: the best quarter of "
                                           "the COMPLETE ones, 2 to 5)")
    p.add_argument("--epochs", type=int, help="--refine: epochs per trial (default: twice the study's)")
    p.add_argument("-o", "--out", metavar="OUT", help="--best: the graph file to write")
    return p


def _checked_args(p: _Parser, argv: list[str]) -> Any:
    args = p.parse_args(argv)
    for flag in ("trials", "workers", "heartbeat", "top", "epochs", "ensemble"):
        v = getattr(args, flag)
        low = 0 if flag == "workers" else 1
        if v is not None and v < low:
            p.error(f"--{flag}: must be a whole number >= {low}")
    if args.worker and not (args.storage and args.study):
        p.error("--worker joins an existing study: give --storage and --study")
    if args.best and not args.out:
        p.error("--best writes a graph file: give -o OUT")
    if args.out and not args.best:
        p.error("-o OUT goes with --best")
    if (args.top or args.epochs) and not args.refine:
        p.error("--top and --epochs go with --refine")
    return args


@command("search")
def cmd_search(argv: list[str]) -> int:
    args = _checked_args(_parser(), argv)
    from .search.space import SearchError

    try:
        if args.best:
            return _best(args)
        if args.ensemble:
            return _ensemble(args)
        if args.show:
            return _show(args)
        return _run(args)
    except SearchError as e:
        return fail(str(e))


# -- opening a study without running it -------------------------------------------------------------

def _open(args: Any) -> Any:
    """(graph, storage text, study, StudyInfo, spec) of an existing study."""
    from .search.process import load_graph
    from .search.study import create_or_join, default_storage, default_study, open_storage, stored_spec

    src = Path(args.file).resolve()
    graph = load_graph(src)
    text = args.storage or default_storage(src)
    storage = open_storage(text)
    info = create_or_join(storage, text, args.study or default_study(src), graph, None, source=src.name, join=True)
    import optuna

    return graph, storage, optuna.load_study(study_name=info.name, storage=storage), info, stored_spec(info)


def _summary(info: Any, rows: list[Any], spec: Any) -> dict[str, Any]:
    from .search.study import ranked, shown_url

    top = ranked(rows, spec)
    best = {"number": top[0].number, "value": top[0].value, "params": top[0].params} if top else None
    storage = shown_url(info.storage) if "://" in info.storage else info.storage
    return {"study": info.name, "storage": storage, "best": best, "trials": [r.to_json() for r in rows]}


def _best(args: Any) -> int:
    from .io import save
    from .search.study import ranked, trial_rows
    from .search.targets import apply_values

    graph, _, study, info, spec = _open(args)
    top = ranked(trial_rows(study), spec)
    if not top:
        return fail(f"study {info.name!r} has no COMPLETE trial yet", 1)
    t = next(t for t in study.get_trials(deepcopy=False) if t.number == top[0].number)
    u = t.user_attrs
    out = Path(args.out)
    g = apply_values(graph, dict(t.params), seed=u.get("seed"), epochs=u.get("epochs"),
                     val_fraction=u.get("val_fraction"), threads=1)
    try:
        save(g, out)
    except OSError as e:
        return fail(f"cannot write {out}: {e.strerror or e}")
    print(f"wrote {out}: trial {t.number} ({spec.metric} {t.value:.6g}), seed {u.get('seed')}, "
          f"{u.get('epochs')} epochs; `graphlab train {out}` trains it again")
    return 0


def _show(args: Any) -> int:
    from .search.study import trial_rows

    _, _, study, info, spec = _open(args)
    rows = trial_rows(study)
    if args.json:
        print(json.dumps(_summary(info, rows, spec)))
        return 0
    table = _Table(spec)
    table.header()
    for r in rows:
        table.row(r.number, r.state + (" (stopped)" if r.stopped else ""), r.value, r.params, r.seconds)
    _print_best(info, rows, spec)
    return 0


def _ensemble(args: Any) -> int:
    from .run.runs import RunError
    from .search.ensemble import top_runs

    _, _, study, info, spec = _open(args)
    try:
        report = top_runs(study, spec, args.ensemble)
    except RunError as e:
        return fail(str(e))
    if args.json:
        print(json.dumps(report))
        return 0
    for m in report["members"]:
        print(f"trial {m['number']:>4}  val_acc {_num(m['val_acc'])}  val_loss {_num(m['val_loss'])}  {m['run']}")
    e, b = report["ensemble"], report["best_single"]
    print(f"ensemble of {len(report['members'])}: val_acc {_num(e['val_acc'])} (NLL {_num(e['val_loss'])}); "
          f"best single model (trial {b['number']}): val_acc {_num(b['val_acc'])}")
    return 0


# -- running ----------------------------------------------------------------------------------------

def _run(args: Any) -> int:
    from .search.process import SearchProcess
    from .search.study import HEARTBEAT

    spec = None
    study = args.study
    if args.refine:
        spec, study = _refined(args)
    sp = SearchProcess(args.file, storage=args.storage, study=study, workers=args.workers, trials=args.trials,
                       join=args.worker, heartbeat=args.heartbeat or HEARTBEAT, spec=spec)
    problem = _preflight(sp)
    if problem is not None:
        return problem
    if not args.json:
        _intro(sp)
    if args.workers == 0:
        print(json.dumps(_summary(sp.info, sp.rows(), sp.spec)) if args.json else
              f"study {sp.info.name!r} is ready; workers join it with `graphlab search FILE --worker --storage ... "
              f"--study {sp.info.name}`")
        return 0
    return _drive(sp, args.json)


def _preflight(sp: Any) -> int | None:
    """What every trial would fail on — graph errors, a dataset that cannot be read, an Input shape or a
    loss that does not fit it — said once before any worker starts (exit 1, as `graphlab train`)."""
    from .core import analyze
    from .search.targets import apply_values, trial_val_fraction

    a = analyze(sp.graph)
    if not a.ok:
        for prob in a.errors:
            print(one_line(f"error: {prob.text()}"), file=sys.stderr)
        return fail(f"{sp.source}: the graph has {len(a.errors)} error(s); fix them before searching", 1)
    from .run.trainer import preflight

    g = apply_values(sp.graph, {}, val_fraction=trial_val_fraction(sp.graph, sp.spec), epochs=1)
    err = preflight(g, base_dir=sp.source.parent)
    if err is None:
        return None
    where = f"{err.node}: " if err.node else ""
    return fail(f"{sp.source}: {where}{err.message}", 2 if err.kind == "config" else 1)


def _refined(args: Any) -> tuple[Any, str]:
    from .run.config import parse_training
    from .search.refine import refine, refine_name
    from .search.study import trial_rows

    graph, _, study, info, spec = _open(args)
    new, top = refine(spec, trial_rows(study), top=args.top, epochs=args.epochs,
                      base_epochs=parse_training(graph.training).epochs)
    if not args.json:
        print(f"refine {info.name!r} around trials {', '.join(str(r.number) for r in top)}: "
              f"{new.epochs} epochs per trial")
        for key, d in new.space.items():
            print(f"  {key}: {spec.space[key].text()} -> {d.text()}")
    return new, refine_name(info.name)


def _intro(sp: Any) -> None:
    from .search.study import shown_url

    storage = shown_url(sp.storage_text) if "://" in sp.storage_text else sp.storage_text
    print(f"study {sp.info.name!r} in {storage}: {sp.target} trials, {sp.spec.sampler} sampler, "
          f"{sp.spec.metric}{', pruning' if sp.spec.pruning else ''}; {sp.n_workers} worker(s)", flush=True)
    if sp.file_differs:
        print("note: the study exists and keeps its own search section (the file's differs); use another --study "
              "to search the file's", flush=True)
    if sp.requeued:
        print(f"note: trial(s) {', '.join(map(str, sp.requeued))} had been cut short; they run again", flush=True)


def _drive(sp: Any, as_json: bool) -> int:
    from .search import events as sev

    stops: list[bool] = []

    def on_sigint(signum: int, frame: Any) -> None:
        if stops:
            raise KeyboardInterrupt
        stops.append(True)
        sp.stop()

    old = signal.signal(signal.SIGINT, on_sigint)
    table = _Table(sp.spec)
    if not as_json:
        table.header()
    failures: list[str] = []
    try:
        sp.start()
        while sp.finished is None:
            for e in sp.poll(timeout=0.2):
                if as_json and isinstance(e, (sev.TrialFinished, sev.WorkerExited)):
                    print(json.dumps(sev.to_json(e)), flush=True)
                if isinstance(e, sev.TrialStarted):
                    table.started[e.number] = e.params
                elif isinstance(e, sev.TrialFinished):
                    if e.state == "FAIL":
                        failures.append(f"trial {e.number}: {e.message}")
                    if not as_json:
                        table.row(e.number, e.state, e.value, table.started.get(e.number, {}), e.seconds, e.message)
                elif isinstance(e, sev.WorkerExited) and e.reason in ("died", "error") and not as_json:
                    print(one_line(f"worker {e.worker}: {e.reason}: {e.message}"), file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        sp.close()
        return fail("interrupted: the workers were ended; their trials run again when the study resumes", 130)
    finally:
        signal.signal(signal.SIGINT, old)
    fin = sp.finished
    rows = sp.rows()
    if as_json:
        print(json.dumps(_summary(sp.info, rows, sp.spec)), flush=True)
    else:
        counts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(fin.counts.items()))
        print(f"{fin.reason}: {counts or 'no trials'}" + (f" ({fin.message})" if fin.message else ""))
        _print_best(sp.info, rows, sp.spec)
    if fin.reason == "stopped":
        return 130
    if fin.reason == "error" or (rows and all(r.state == "FAIL" for r in rows if not r.stopped)):
        return fail(failures[0] if failures else fin.message or "the search failed", 1)
    return 0


def _print_best(info: Any, rows: list[Any], spec: Any) -> None:
    from .search.study import ranked

    top = ranked(rows, spec)
    if not top:
        print("best: no COMPLETE trial yet")
        return
    b = top[0]
    params = ", ".join(f"{k}={_val(v)}" for k, v in b.params.items())
    print(one_line(f"best: trial {b.number}: {spec.metric} {b.value:.4f} ({params}), seed {b.seed}; run {b.run}"))


def _num(v: Any) -> str:
    return "—" if v is None else f"{v:.4f}"


def _val(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return json.dumps(v)


def _short(key: str, width: int = 20) -> str:
    """A column title: the key without ``training.``, its end when it is long."""
    name = key[len("training."):] if key.startswith("training.") else key
    return name if len(name) <= width else "…" + name[-(width - 1):]


class _Table:
    """The live table: one line per finished trial."""

    def __init__(self, spec: Any) -> None:
        self.keys = list(spec.space)
        self.metric = spec.metric
        self.started: dict[int, dict[str, Any]] = {}
        self.names = [_short(k) for k in self.keys]
        self.widths = [max(10, len(n)) for n in self.names]

    def header(self) -> None:
        cols = "  ".join(f"{n:>{w}}" for n, w in zip(self.names, self.widths))
        print(f"{'trial':>5}  {'state':<9} {self.metric:>8}  {cols}  {'seconds':>7}", flush=True)

    def row(self, number: int, state: str, value: float | None, params: dict[str, Any], seconds: float | None,
            note: str = "") -> None:
        cols = "  ".join(f"{_val(params[k]) if k in params else '—':>{w}}" for k, w in zip(self.keys, self.widths))
        secs = "" if seconds is None or not math.isfinite(seconds) else f"{seconds:7.1f}"
        tail = f"  {note}" if note and state != "COMPLETE" else ""
        print(one_line(f"{number:>5}  {state:<9} {_num(value):>8}  {cols}  {secs:>7}{tail}"), flush=True)
