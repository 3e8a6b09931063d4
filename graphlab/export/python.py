"""Export a graph as one standalone, readable Python file that needs only torch.

The file defines the model class (see :mod:`graphlab.export.model_source`), ``load_weights(model,
path)`` (``.safetensors``, or a torch state_dict read with ``weights_only=True``), ``INPUT_SHAPES``,
and a ``main()`` that builds the model, loads the weights and runs one random batch:
``python lenet5.py [WEIGHTS]``.

With a checkpoint (``--weights``), the weights are checked against the graph and written beside the
script as ``<script stem>.pt`` (a plain torch state_dict, so the script still needs only torch);
the script's ``WEIGHTS`` points there, relative to the script's own folder.
"""
from __future__ import annotations

from pathlib import Path

import torch

from .. import __version__
from ..compiler import compile_graph
from ..core.graph import Graph
from ..io import atomic_write
from .model_source import LOAD_WEIGHTS_SOURCE, ExportError, ModelSource, model_source, training_seed
from .weights import load_into, read_checkpoint, write_state_dict


def script_header(graph: Graph, ms: ModelSource, stem: str, source: str | None, usage: str, uses_os: bool) -> str:
    title = (graph.name or "Net").replace('"""', "'''").replace("\\", "/")
    origin = f" from {Path(source).name}" if source else ""
    return f'''"""{title}: exported{origin} by GraphLab {__version__}.
{usage}"""
from __future__ import annotations

{"import os" + chr(10) if uses_os else ""}import sys

import torch
from torch import nn
'''


def python_source(graph: Graph, gm: torch.fx.GraphModule, *, stem: str, weights_name: str | None,
                  source: str | None = None, seed: int = 0) -> str:
    ms = model_source(graph, gm, seed)
    cls = ms.class_name
    weights_doc = weights_name or "WEIGHTS_FILE"
    usage = f'''
Needs only PyTorch. Use it from Python:

    from {stem} import {cls}, load_weights
    model = {cls}()
    load_weights(model, "{weights_doc}")  # .pt state_dict or .safetensors
    model.eval()
    prediction = model({", ".join(ms.input_names)})

or run it: `python {stem}.py [WEIGHTS]` builds the model, loads the weights
({"default: " + weights_name + " beside this file" if weights_name else "if given"}) and runs one random batch.
'''
    shapes = ", ".join(repr(tuple(s)) for s in ms.input_shapes) + ("," if len(ms.input_shapes) == 1 else "")
    weights_line = (f'WEIGHTS: str | None = os.path.join(os.path.dirname(os.path.abspath(__file__)), '
                    f'{weights_name!r})' if weights_name else "WEIGHTS: str | None = None")
    main = f'''
INPUT_SHAPES = ({shapes})  # per sample, batch excluded, in forward()'s argument order
{weights_line}


def main(argv: list[str]) -> int:
    model = {cls}()
    path = argv[1] if len(argv) > 1 else WEIGHTS
    if path is not None:
        load_weights(model, path)
        print(f"loaded weights from {{path}}")
    else:
        print("no weights given: using the initial weights")
    model.eval()
    inputs = [torch.randn(2, *shape) for shape in INPUT_SHAPES]
    with torch.no_grad():
        out = model(*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    print(f"{{type(model).__name__}}: {{sum(p.numel() for p in model.parameters()):,}} parameters; "
          f"a random batch of 2 gives " + ", ".join(str(list(o.shape)) for o in outs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
'''
    return (script_header(graph, ms, stem, source, usage, weights_name is not None) + "\n\n" + ms.text() + "\n\n"
            + LOAD_WEIGHTS_SOURCE.strip("\n") + "\n\n" + main)


def export_python(graph: Graph, out: Path, *, weights: str | Path | None = None, source: str | None = None,
                  seed: int | None = None) -> list[Path]:
    """Write the script (and, with ``weights``, ``<stem>.pt`` beside it); return the paths written.

    ``seed`` (default: the graph's ``training.seed``) is the model class's default seed."""
    seed = training_seed(graph) if seed is None else seed
    gm = compile_graph(graph, seed=seed)
    written = []
    weights_name = None
    if weights is not None:
        wpath = out.with_suffix(".pt")
        if wpath.resolve() == out.resolve():
            raise ExportError(f"-o {out}: the script would overwrite its own weights file {wpath.name}; "
                              f"name the script .py")
        load_into(gm, read_checkpoint(weights))
        weights_name = wpath.name
        if wpath.resolve() != Path(weights).resolve():  # never overwrite the checkpoint itself
            write_state_dict(gm, wpath)
            written.append(wpath)
    text = python_source(graph, gm, stem=out.stem, weights_name=weights_name, source=source, seed=seed)
    compile(text, str(out), "exec")  # a generator bug must not leave a broken script behind
    atomic_write(out, text.encode("utf-8"))
    return [out] + written
