"""Export a graph as one standalone, readable Python file that needs only torch.

The file defines the model class (see :mod:`graphlab.export.model_source`), ``load_weights(model,
path)`` (``.safetensors``, or a torch state_dict read with ``weights_only=True``; checked to fit
first: :mod:`graphlab.run.weights`, copied from its source), ``INPUT_SHAPES``,
and a ``main()`` that builds the model, loads the weights and runs one random batch:
``python lenet5.py [WEIGHTS]``. The graph's name and file are the constants ``GRAPH_NAME`` and
``SOURCE_FILE`` (literals: see :mod:`graphlab.export.codegen`; no user data is ever code).

Without ``--weights`` nothing is built: the script is written from the analysis, so a layer of 10⁹
units exports at once. With a checkpoint (``--weights``), the weights are checked against the graph
(after a check that they fit in memory) and written beside the script as ``<script stem>.pt`` (a
plain torch state_dict, so the script still needs only torch); the script's ``WEIGHTS`` points there,
relative to the script's own folder.
"""
from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..core.analysis import Analysis, analyze
from ..core.graph import Graph
from ..io import atomic_write
from .codegen import Lit, Name, Template, join
from .model_source import LOAD_WEIGHTS_SOURCE, ExportError, model_source, script_words, training_seed
from .weights import compile_with_weights, write_state_dict

SCRIPT = Template('''"""A PyTorch model exported by GraphLab: class @@CLASS@@. Needs only PyTorch.

The graph's name and file are GRAPH_NAME and SOURCE_FILE below. Use it from Python:

    from <this module> import @@CLASS@@, load_weights
    model = @@CLASS@@()
    load_weights(model, path)  # a .pt state_dict or a .safetensors file; checked to fit first
    model.eval()
    prediction = model(@@INPUT_ARGS@@)

or run it: `python <this file> [WEIGHTS]` builds the model, loads the weights (default: WEIGHTS
below, the file the export wrote beside this one, if any) and runs one random batch.
"""
from __future__ import annotations

import os
import sys

import torch
from torch import nn

GRAPH_NAME = @@GRAPH_NAME@@
SOURCE_FILE = @@SOURCE_FILE@@  # the graph file it was exported from (None: not from a file)
EXPORTED_BY = @@EXPORTED_BY@@


@@MODEL@@


@@LOAD_WEIGHTS@@


INPUT_SHAPES = @@INPUT_SHAPES@@  # per sample, batch excluded, in forward()'s argument order
WEIGHTS: str | None = @@WEIGHTS@@


def main(argv: list[str]) -> int:
    model = @@CLASS@@()
    path = argv[1] if len(argv) > 1 else WEIGHTS
    if path is not None:
        try:
            load_weights(model, path)
        except (CheckpointError, RuntimeError) as e:  # one line, not a traceback
            print(f"{sys.argv[0]}: cannot load the weights: {str(e).splitlines()[0]}", file=sys.stderr)
            return 1
        print(f"loaded weights from {path}")
    else:
        print("no weights given: using the initial weights")
    model.eval()
    inputs = [torch.randn(2, *shape) for shape in INPUT_SHAPES]
    with torch.no_grad():
        out = model(*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    print(f"{type(model).__name__}: {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"a random batch of 2 gives " + ", ".join(str(list(o.shape)) for o in outs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
''')

#: a file beside the script, found from the script's own folder
BESIDE = Template("os.path.join(os.path.dirname(os.path.abspath(__file__)), @@NAME@@)")


def python_source(graph: Graph, *, weights_name: str | None, source: str | None = None, seed: int = 0,
                  analysis: Analysis | None = None) -> str:
    """The script's text. ``weights_name``: the weights file beside it (None: no default weights);
    ``source``: the graph file's path (only its name is kept)."""
    ms = model_source(graph, seed, analysis, taken=script_words(SCRIPT, BESIDE))
    return SCRIPT.fill(
        CLASS=Name(ms.class_name), INPUT_ARGS=join([Name(n) for n in ms.input_names], ", "),
        GRAPH_NAME=Lit(graph.name), SOURCE_FILE=Lit(Path(source).name if source else None),
        EXPORTED_BY=Lit(f"GraphLab {__version__}"), MODEL=ms.code(), LOAD_WEIGHTS=LOAD_WEIGHTS_SOURCE,
        INPUT_SHAPES=Lit(tuple(tuple(s) for s in ms.input_shapes)),
        WEIGHTS=BESIDE.fill(NAME=Lit(weights_name)) if weights_name is not None else Lit(None),
    ).text


def export_python(graph: Graph, out: Path, *, weights: str | Path | None = None, source: str | None = None,
                  seed: int | None = None) -> list[Path]:
    """Write the script (and, with ``weights``, ``<stem>.pt`` beside it); return the paths written.

    ``seed`` (default: the graph's ``training.seed``) is the model class's default seed."""
    seed = training_seed(graph) if seed is None else seed
    analysis = analyze(graph)
    written = []
    weights_name = None
    if weights is not None:
        wpath = out.with_suffix(".pt")
        if wpath.resolve() == out.resolve():
            raise ExportError(f"-o {out}: the script would overwrite its own weights file {wpath.name}; "
                              f"name the script .py")
        gm = compile_with_weights(graph, analysis, weights, seed=seed)
        weights_name = wpath.name
        if wpath.resolve() != Path(weights).resolve():  # never overwrite the checkpoint itself
            write_state_dict(gm, wpath)
            written.append(wpath)
    text = python_source(graph, weights_name=weights_name, source=source, seed=seed, analysis=analysis)
    try:
        compile(text, "<python export>", "exec")
    except (SyntaxError, ValueError) as e:  # a generator bug must not leave a broken script behind
        raise ExportError(f"internal error: the generated script does not compile ({e}); please report it") from None
    atomic_write(out, text.encode("utf-8"))
    return [out] + written
