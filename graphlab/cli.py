"""The ``graphlab`` command: a thin layer over the functions the app uses.

    graphlab [FILE]               open the editor
    graphlab check FILE [--json] [--batch B]
                                  shapes, parameter counts, FLOPs, memory, receptive fields, errors
    graphlab train FILE ...       (training issue)
    graphlab export FILE ...      (training issue)
    graphlab step FILE ...        walk forward and backward node by node (cli_step)
    graphlab gradcheck FILE ...   numerical gradient check per node (cli_step)
    graphlab search FILE ...      hyperparameter search with Optuna (cli_search)
    graphlab evaluate RUN ...     evaluate on the held-out test split, once (cli_evaluate)
    graphlab import FILE.py:NAME  a PyTorch model you wrote, as a graph file (cli_import)

Exit codes: 0 ok, 1 the graph (or run) has errors, 2 the file or an argument cannot be used.
A bad file or argument is one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

from . import __version__
from .core import analyze
from .core.gc_pause import gc_paused
from .core.layers._common import fmt
from .core.memory import fmt_bytes
from .core.text import fmt_count, one_line
from .io import FileFormatError, load

COMMANDS: dict[str, Callable[[list[str]], int]] = {}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def command(name: str) -> Callable[[Callable[[list[str]], int]], Callable[[list[str]], int]]:
    def deco(fn: Callable[[list[str]], int]) -> Callable[[list[str]], int]:
        COMMANDS[name] = fn
        return fn
    return deco


def fail(message: str, code: int = 2) -> int:
    print(f"graphlab: {one_line(message)}", file=sys.stderr)
    return code


def check_report(path: str, batch: int | None = None) -> tuple[int, dict[str, Any]]:
    """What `graphlab check --json` prints, and the exit code. ``batch``: the memory's batch size
    (default: the file's)."""
    with gc_paused():  # a bulk pass over maybe 10⁵ nodes: see graphlab.core.gc_pause
        return _check_report(path, batch)


def _node_report(i: Any) -> dict[str, Any]:
    """One node's figures, per sample (docs/cost.md)."""
    return {"shape": list(i.shape) if i.shape is not None else None, "params": i.params,
            "param_bytes": i.param_bytes, "activation_bytes": i.activation_bytes, "macs": i.macs,
            "flops": i.flops, "flops_backward": i.flops_backward, "other_ops": i.other_ops,
            "saved_bytes": i.saved_bytes, "rf": i.rf.to_json() if i.rf is not None else None}


def _check_report(path: str, batch: int | None = None) -> tuple[int, dict[str, Any]]:
    from .run.signature import training_problems
    from .run.step_cost import file_step_cost

    graph = load(path)
    a = analyze(graph)
    nodes = {nid: _node_report(i) for nid, i in a.nodes.items()}
    step = file_step_cost(graph, a, batch)
    errors = [{"node": p.node, "message": p.message} for p in a.errors]
    # what `graphlab train` would refuse before its first step (the same checks: graphlab.run.signature)
    errors += [{"node": t.node, "message": t.message, "field": t.field}
               for t in training_problems(graph, a, Path(path).resolve().parent)]
    warnings = [{"node": p.node, "message": p.message} for p in a.problems if p.severity != "error"]
    errors += _step_errors(graph, a)
    from .search.space import search_problems  # the search section, checked as `graphlab search` would

    errors += [{"node": e.node, "message": str(e)} for e in search_problems(graph)]
    ok = not errors
    c = step.cost
    report = {"ok": ok, "params": a.total_params, "flops": a.total_flops, "nodes": nodes, "errors": errors,
              "warnings": warnings, "memory": c.memory_json(),
              "training_step": {"batch": c.batch, "optimizer": c.optimizer, "flops": c.flops, "note": step.note}}
    return (0 if ok else 1), report


def _print_table(report: dict[str, Any]) -> None:
    """The text report: a row per node (shape, parameters, FLOPs, saved bytes, receptive field), totals."""
    from .core.cost import si

    width = max([len(n) for n in report["nodes"]] + [5])
    print(f"{'node':<{width}}  {'output':<16} {'params':>12} {'FLOPs':>11} {'saved':>10}  receptive field")
    for nid, n in report["nodes"].items():
        shape = fmt(n["shape"]) if n["shape"] is not None else "?"
        rf = n["rf"]
        field = f"{fmt(rf['size'])} stride {fmt(rf['stride'])}" if rf else ""
        print(f"{nid:<{width}}  {shape:<16} {fmt_count(n['params']):>12} {si(n['flops']):>11} "
              f"{fmt_bytes(n['saved_bytes']):>10}  {field}".rstrip())
    print(f"{'total':<{width}}  {'':<16} {fmt_count(report['params'])} params, {si(report['flops'], 'FLOPs')} a sample")
    weights = sum(n["param_bytes"] for n in report["nodes"].values())
    acts = sum(n["activation_bytes"] for n in report["nodes"].values())
    print(f"memory: weights {fmt_bytes(weights)}, activations {fmt_bytes(acts)} per sample (float32)")
    m, step = report["memory"], report["training_step"]
    print(f"training at batch {fmt_count(m['batch'])} with {step['optimizer']}: {fmt_bytes(m['total'])}, "
          f"{si(step['flops'], 'FLOPs')} a step" + (f" ({step['note']})" if step["note"] else ""))
    print(f"  = weights {fmt_bytes(m['weights'])} + gradients {fmt_bytes(m['gradients'])} + optimizer state "
          f"{fmt_bytes(m['optimizer'])} + saved activations {fmt_bytes(m['activations'])}")


def _step_errors(graph: Any, a: Any) -> list[dict[str, Any]]:
    """The ``step`` section's problem (graphlab.step.config, no torch), on the Input node it names."""
    from .step.config import StepConfigError, parse_step

    try:
        parse_step(graph.step, {nid: a.nodes[nid].shape if nid in a.nodes else None for nid in a.inputs})
    except StepConfigError as e:
        return [{"node": e.node, "message": str(e)}]
    return []


@command("check")
def cmd_check(argv: list[str]) -> int:
    p = _Parser(prog="graphlab check", description="Check a graph file: shapes, parameter counts, errors.")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--batch", type=int, metavar="B", help="batch size of the training memory (default: the file's)")
    args = p.parse_args(argv)
    if args.batch is not None and args.batch < 1:
        return fail("--batch: must be a whole number >= 1")
    try:
        code, report = check_report(args.file, args.batch)
    except FileFormatError as e:
        if args.json:  # the same schema as a readable file's report, always
            print(json.dumps({"ok": False, "params": 0, "flops": 0, "nodes": {},
                              "errors": [{"node": None, "message": str(e)}], "warnings": [], "memory": None,
                              "training_step": None}))
        return fail(str(e))
    if args.json:
        print(json.dumps(report))
        return code
    _print_table(report)
    for w in report["warnings"]:
        print(one_line(f"warning: {w['node'] or 'graph'}: {w['message']}"))
    for e in report["errors"]:
        print(one_line(f"error: {e['node'] or 'graph'}: {e['message']}"))
    print("ok" if code == 0 else f"{len(report['errors'])} error(s)")
    return code


def _open_editor(argv: list[str]) -> int:
    p = _Parser(prog="graphlab", description="GraphLab: build, train and inspect neural networks as node graphs.",
                epilog="commands: " + ", ".join(sorted(COMMANDS)) + " (graphlab COMMAND --help)")
    p.add_argument("file", nargs="?", help="graph file to open in the editor")
    p.add_argument("--version", action="version", version=f"graphlab {__version__}")
    args = p.parse_args(argv)
    from .ui.platform_check import window_problem

    problem = window_problem()
    if problem:
        return fail(problem)
    try:
        from .ui.app import run_app
    except ImportError as e:
        return fail(f"the editor is not available here ({e}); `graphlab check FILE` works without it")
    return run_app(args.file)


def _register_more_commands() -> None:
    """Commands that live in other modules (train, export) register themselves on import."""
    import importlib

    for name in ("graphlab.cli_run", "graphlab.cli_export", "graphlab.cli_step", "graphlab.cli_search",
                 "graphlab.cli_evaluate", "graphlab.cli_import"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``graphlab ARGV`` and return its exit code; never raises SystemExit (argparse's --help,
    --version and usage errors become their codes), so it can run in-process. A command leaves the
    process as it found it: torch's thread count is put back (the commands pick their own)."""
    _register_more_commands()
    args = list(sys.argv[1:] if argv is None else argv)
    threads = _torch_threads()
    try:
        if args and args[0] in COMMANDS:
            return COMMANDS[args[0]](args[1:])
        return _open_editor(args)
    except SystemExit as e:  # argparse has printed the help, the version or the usage error
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        return 0
    finally:
        if threads is not None and _torch_threads() != threads:
            sys.modules["torch"].set_num_threads(threads)


def _torch_threads() -> int | None:
    """torch's thread count when torch has been imported (never importing it here)."""
    torch = sys.modules.get("torch")
    return None if torch is None else int(torch.get_num_threads())
