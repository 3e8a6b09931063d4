"""``graphlab export FILE --to python|onnx|torchrun [-o OUT] [--weights CKPT]``, and
``graphlab export FILE --ensemble K [--study NAME] [--storage S] [-o OUT]``.

* ``python``: a standalone ``.py`` (needs only torch) defining the model; with ``--weights`` the
  checked weights are written beside it as ``<OUT stem>.pt`` and the script loads them.
* ``onnx``: an ``.onnx`` file that passes ``onnx.checker`` (needs ``pip install graphlab[onnx]``).
* ``torchrun``: a standalone training script for ``torchrun --nproc_per_node=N OUT``.

* ``--ensemble K``: one standalone ``.py`` holding the top K trials of FILE's search study (their
  run folders' weights, written beside it as ``<OUT stem>.pt``) and an ``Ensemble`` module that
  averages their softmax outputs (:mod:`graphlab.export.ensemble`).

OUT defaults to a file beside FILE: ``name.py``, ``name.onnx`` or ``name_torchrun.py`` where FILE is
``name.graphlab.json``. Exit codes: 0 written, 1 the graph has errors (listed on stderr) or cannot
be done — it does not fit in memory, a layer cannot be built, the ONNX exporter refuses it (one line
naming the file and the node, as `train` and `step` print) —, 2 the file, the checkpoint or an
argument cannot be used (one line on stderr). Never a traceback. ``--weights`` takes a checkpoint
file or a run folder (its ``last.safetensors``), as ``step`` does; weights holding NaN or inf are
exported with a one-line warning naming the tensor.
"""
from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

from .cli import _Parser, command, fail
from .core.text import one_line
from .io import FileFormatError, load

SUFFIX = {"python": ".py", "onnx": ".onnx", "torchrun": "_torchrun.py", "ensemble": "_ensemble.py"}


def default_out(path: Path, to: str) -> Path:
    name = path.name
    for ext in (".graphlab.json", ".json"):
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    return path.with_name(name + SUFFIX[to])


@command("export")
def cmd_export(argv: list[str]) -> int:
    p = _Parser(prog="graphlab export", description="Export a graph: a PyTorch script, ONNX, or a torchrun "
                                                    "training script.")
    p.add_argument("file", metavar="FILE", help="graph file (.graphlab.json)")
    p.add_argument("--to", choices=sorted(set(SUFFIX) - {"ensemble"}), help="what to write")
    p.add_argument("-o", "--out", metavar="OUT", help="output file (default: beside FILE: name.py, name.onnx "
                                                      "or name_torchrun.py)")
    p.add_argument("--weights", metavar="CKPT", help="checkpoint to export with (.safetensors or a torch state_dict)")
    p.add_argument("--ensemble", type=int, metavar="K", help="one module holding the top K trials of FILE's search "
                                                             "study, averaging their softmax outputs")
    p.add_argument("--study", help="--ensemble: the study (default: the file's stem)")
    p.add_argument("--storage", help="--ensemble: the study's storage (default: the journal in runs/ beside FILE)")
    args = p.parse_args(argv)
    if args.ensemble is not None:
        if args.ensemble < 1:
            p.error("--ensemble: must be a whole number >= 1")
        if args.to not in (None, "python") or args.weights:
            p.error("--ensemble writes Python with its members' own weights: drop --to/--weights")
        args.to = "ensemble"
    elif args.to is None:
        p.error("the following arguments are required: --to (or --ensemble K)")
    elif args.study or args.storage:
        p.error("--study and --storage go with --ensemble")

    src = Path(args.file)
    try:
        graph = load(src)
    except FileFormatError as e:
        return fail(str(e))
    out = Path(args.out) if args.out else default_out(src, args.to)
    if out.resolve() == src.resolve():
        return fail(f"-o {out}: that is the graph file itself; choose another output name")
    if out.is_dir():
        return fail(f"-o {out}: is a folder; give a file name")
    if not out.resolve().parent.is_dir():
        return fail(f"-o {out}: the folder {out.resolve().parent} does not exist")

    from .core import analyze

    analysis = analyze(graph)
    if not analysis.ok:
        for prob in analysis.errors:
            print(one_line(f"error: {prob.text()}"), file=sys.stderr)
        return fail(f"{src}: the graph has {len(analysis.errors)} error(s); fix them before exporting", 1)

    from .export import ExportError
    from .export.weights import ExportWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ExportWarning)
        code = _export(args, graph, src, out, ExportError)
    for w in caught:
        if issubclass(w.category, ExportWarning):
            print(one_line(f"graphlab: warning: {w.message}"), file=sys.stderr)
        else:  # another library's warning, as Python would show it
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return code


def _export(args: Any, graph: Any, src: Path, out: Path, ExportError: type) -> int:
    try:
        if args.to == "ensemble":
            written = _export_ensemble(src, args, out)
        elif args.to == "python":
            from .export.python import export_python

            written = export_python(graph, out, weights=args.weights, source=str(src))
        elif args.to == "onnx":
            from .export.onnx import export_onnx

            written = export_onnx(graph, out, weights=args.weights)
        else:
            from .export.torchrun import export_torchrun

            written = export_torchrun(graph, out, weights=args.weights, source=src)
    except ExportError as e:  # exit 1 when the graph cannot be done (named with its file, as train and step do)
        return fail(f"{src}: {e}" if e.code == 1 else str(e), e.code)
    except ValueError as e:  # e.g. an unknown init scheme or a bad training section, naming the field
        return fail(f"{src}: {e}")
    except OSError as e:
        return fail(f"cannot write {e.filename or out}: {e.strerror or e}")
    for path in written:
        print(f"wrote {path}")
    return 0


def _export_ensemble(src: Path, args: object, out: Path) -> list[Path]:
    """The top K trials' graphs and weights (run folders on this machine), exported as one module."""
    from .export import ExportError
    from .export.ensemble import export_ensemble
    from .run.ensemble import load_member
    from .run.runs import RunError
    from .search.ensemble import top_members
    from .search.process import load_graph
    from .search.space import SearchError
    from .search.study import create_or_join, default_storage, default_study, open_storage, stored_spec

    try:
        graph = load_graph(src)
        text = getattr(args, "storage") or default_storage(src)
        storage = open_storage(text)
        info = create_or_join(storage, text, getattr(args, "study") or default_study(src), graph, None,
                              source=src.name, join=True)
        import optuna

        study = optuna.load_study(study_name=info.name, storage=storage)
        rows = top_members(study, stored_spec(info), getattr(args, "ensemble"))
        members = [load_member(r.run) for r in rows]  # type: ignore[arg-type]
    except (SearchError, RunError) as e:
        raise ExportError(str(e)) from None
    return export_ensemble([(m.graph, m.run / "last.safetensors", m.cfg.seed) for m in members], out)
