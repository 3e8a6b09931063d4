"""``graphlab import FILE.py:NAME``: a PyTorch model the user wrote, as a GraphLab graph file.

    graphlab import FILE.py:NAME [--input-shape 3,32,32] [--weights W] -o OUT.graphlab.json
                                 [--fold | --no-fold]

NAME is a class or a function taking no arguments that returns the model (see
:mod:`graphlab.importer`). ``--input-shape`` is per sample, without the batch; left out, it is
guessed from the first layer and the guess is printed. ``--weights`` (a state_dict ``.pt`` loaded
with ``weights_only=True``, or ``.safetensors``) is mapped onto the nodes by name and written beside
OUT with its stem (``OUT.safetensors``), in the checkpoint form ``export --weights``, ``train
--resume`` and the stepper's *Load…* read. ``--fold``/``--no-fold``: fold the top-level groups or not
(default: fold a graph of more than 30 nodes).

Running FILE runs the user's own code, by their choice; the graph file written is plain data.
Exit codes: 0 imported, 1 the model cannot be imported exactly (one line says why and where),
2 an argument cannot be used. torch is imported only when the command runs.
"""
from __future__ import annotations

from pathlib import Path

from .cli import _Parser, command, fail
from .core.text import fmt_count, parse_shape, quote


@command("import")
def cmd_import(argv: list[str]) -> int:
    p = _Parser(prog="graphlab import", description="Import a PyTorch model (your own code) as a graph file.")
    p.add_argument("target", metavar="FILE.py:NAME", help="the file and the class or factory that makes the model")
    p.add_argument("--input-shape", metavar="SHAPE", help="per-sample input shape, e.g. 3,32,32 (default: guessed)")
    p.add_argument("--weights", metavar="W", help="the model's state_dict (.pt, weights_only) or .safetensors")
    p.add_argument("-o", "--out", required=True, metavar="OUT.graphlab.json", help="the graph file to write")
    fold = p.add_mutually_exclusive_group()
    fold.add_argument("--fold", dest="fold", action="store_true", default=None, help="fold the top-level groups")
    fold.add_argument("--no-fold", dest="fold", action="store_false", help="leave every group expanded")
    args = p.parse_args(argv)
    shape = None
    if args.input_shape is not None:
        shape = parse_shape(args.input_shape)
        if shape is None:
            return fail(f"--input-shape {quote(args.input_shape)}: give positive whole numbers, e.g. 3,32,32")
    out = Path(args.out)
    if out.is_dir():
        return fail(f"-o {out}: is a folder; name the graph file to write")
    from .importer import ImportRefused, import_model
    from .io import FileFormatError, save

    try:
        result = import_model(args.target, shape, fold=args.fold)
        state = None
        if args.weights:  # read and checked before anything is written
            from .importer.weights import map_weights, read_state

            state = map_weights(result, read_state(args.weights))
        out.parent.mkdir(parents=True, exist_ok=True)
        save(result.graph, out)
        written = None
        if state is not None:
            from .importer.pipeline import output_stem
            from .run.checkpoint import save_weights

            written = save_weights(output_stem(out).with_suffix(".safetensors"), state, graph=result.graph.name)
    except ImportRefused as e:
        return fail(str(e), 1)
    except (FileFormatError, OSError) as e:
        return fail(str(e))
    a = result.analysis
    params = a.total_params if a is not None else 0
    groups = len(result.graph.groups)
    print(f"imported {len(result.graph.nodes)} nodes, {fmt_count(params)} parameters, {groups} group"
          f"{'s' * (groups != 1)} (traced with {result.tracer}) into {out}")
    for note in result.notes:
        print(f"note: {note}")
    if written is not None:
        print(f"weights: {written}")
    return 0
