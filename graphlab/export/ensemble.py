"""Export an ensemble: one standalone Python file holding k trained models and their average.

``graphlab export FILE --ensemble K`` (the top K trials of FILE's study) writes ``OUT.py`` and its
weights ``OUT.pt`` beside it. The script defines one model class per member (each member may have
other layer sizes: a search changes them), written by :mod:`graphlab.export.model_source` exactly as
the Python export writes one model, GraphLab's helper layers once, and::

    class Ensemble(nn.Module):       # members in an nn.ModuleList
        def forward(self, x):        # the average of the members' softmax outputs

``load_weights(model, path)`` reads the ``.pt`` state_dict with ``weights_only=True``; the script's
``main()`` loads it and runs one random batch. Everything goes through
:mod:`graphlab.export.codegen`: the graph's name and the run folders are literals, ids checked names.
"""
from __future__ import annotations

import io
from pathlib import Path

import torch

from .. import __version__
from ..core.analysis import analyze
from ..core.graph import Graph
from ..io import atomic_write, dumps, loads
from .codegen import Code, Lit, Name, Template, join
from .model_source import INIT_SOURCE, ExportError, ModelSource, helper_source, model_source, script_words
from .weights import compile_with_weights

SCRIPT = Template('''"""An ensemble of PyTorch models exported by GraphLab. Needs only PyTorch.

Ensemble averages the softmax outputs of its members (their run folders are MEMBER_RUNS):

    from <this module> import Ensemble, load_weights
    model = Ensemble()
    load_weights(model, path)  # the .pt state_dict written beside this file
    model.eval()
    probabilities = model(@@INPUT_ARGS@@)

or run it: `python <this file> [WEIGHTS]` loads the weights (default: WEIGHTS below) and runs one
random batch.
"""
from __future__ import annotations

import os
import sys

import torch
from torch import nn

GRAPH_NAME = @@GRAPH_NAME@@
MEMBER_RUNS = @@RUNS@@
EXPORTED_BY = @@EXPORTED_BY@@


@@MODELS@@


class Ensemble(nn.Module):
    """The members' softmax outputs (over dim 1, the classes), averaged."""

    def __init__(self) -> None:
        super().__init__()
        self.members = nn.ModuleList([@@MEMBERS@@])

    def forward(self, @@PARAMS_SIG@@) -> torch.Tensor:
        outs = [torch.softmax(member(@@INPUT_ARGS@@), dim=1) for member in self.members]
        return torch.stack(outs).mean(0)


def load_weights(model: nn.Module, path: str) -> None:
    """Load the ensemble's state_dict (a torch file, read with weights_only=True: tensors only)."""
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)


INPUT_SHAPES = @@INPUT_SHAPES@@  # per sample, batch excluded, in forward()'s argument order
WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), @@WEIGHTS@@)


def main(argv: list[str]) -> int:
    model = Ensemble()
    path = argv[1] if len(argv) > 1 else WEIGHTS
    load_weights(model, path)
    model.eval()
    inputs = [torch.randn(2, *shape) for shape in INPUT_SHAPES]
    with torch.no_grad():
        out = model(*inputs)
    print(f"Ensemble of {len(model.members)}: a random batch of 2 gives class probabilities {list(out.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
''')


def _member_source(graph: Graph, i: int, seed: int, taken: frozenset[str]) -> ModelSource:
    g = loads(dumps(graph))
    g.name = f"{graph.name} member {i + 1}"  # its own class name (…MemberN)
    return model_source(g, seed, analyze(g), taken=taken)


def ensemble_source(graphs: list[Graph], runs: list[str], weights_name: str) -> str:
    """The script's text for members ``graphs`` (in order), trained in ``runs``."""
    taken = script_words(SCRIPT) | {"Ensemble"}
    sources: list[ModelSource] = []
    for i, g in enumerate(graphs):
        ms = _member_source(g, i, 0, taken | {s.class_name for s in sources})
        sources.append(ms)
    first = sources[0]
    for i, ms in enumerate(sources[1:], 2):
        if ms.input_names != first.input_names or ms.input_shapes != first.input_shapes:
            raise ExportError(f"member {i} takes other inputs ({ms.input_names} {ms.input_shapes}) than member 1 "
                              f"({first.input_names} {first.input_shapes}); an ensemble's members share their inputs")
    helpers: list[str] = []
    for ms in sources:
        helpers += [h for h in ms.helpers if h not in helpers]
    parts = [helper_source(h) for h in helpers]
    if any(ms.uses_init for ms in sources):
        parts.append(INIT_SOURCE)
    parts += [Code(ms.class_source.text.strip("\n")) for ms in sources]
    args = join([Name(n) for n in first.input_names], ", ")
    return SCRIPT.fill(
        INPUT_ARGS=args, GRAPH_NAME=Lit(graphs[0].name), RUNS=Lit(list(runs)),
        EXPORTED_BY=Lit(f"GraphLab {__version__}"),
        MODELS=join(parts, "\n\n\n"), MEMBERS=join([Code(f"{ms.class_name}()") for ms in sources], ", "),
        PARAMS_SIG=Code(", ".join(f"{n}: torch.Tensor" for n in first.input_names)),
        INPUT_SHAPES=Lit(tuple(tuple(s) for s in first.input_shapes)), WEIGHTS=Lit(weights_name)).text


def export_ensemble(members: list[tuple[Graph, Path, int]], out: Path) -> list[Path]:
    """Write the script and ``<stem>.pt`` beside it. ``members``: (graph, checkpoint, seed) per member,
    best first. Returns the paths written."""
    if not members:
        raise ExportError("--ensemble: no members")
    wpath = out.with_suffix(".pt")
    if wpath.resolve() == out.resolve():
        raise ExportError(f"-o {out}: the script would overwrite its own weights file {wpath.name}; name it .py")
    state: dict[str, torch.Tensor] = {}
    for i, (graph, ckpt, seed) in enumerate(members):
        gm = compile_with_weights(graph, analyze(graph), ckpt, seed=seed)
        state.update({f"members.{i}.{k}": v.detach().cpu().contiguous() for k, v in gm.state_dict().items()})
    text = ensemble_source([g for g, _, _ in members], [str(Path(c).parent) for _, c, _ in members], wpath.name)
    try:
        compile(text, "<ensemble export>", "exec")
    except (SyntaxError, ValueError) as e:
        raise ExportError(f"internal error: the generated script does not compile ({e}); please report it") from None
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write(wpath, buf.getvalue())
    atomic_write(out, text.encode("utf-8"))
    return [out, wpath]
