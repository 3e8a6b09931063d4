"""From ``FILE.py:NAME`` to a checked, laid-out, grouped graph: :func:`import_model`.

Steps: build the model on the meta device (:mod:`.loading`), trace it (:mod:`.tracing`), map the ops
onto layers (:mod:`.build`), make the graph, and check it against PyTorch before anyone sees it:
every node's shape must be the shape the trace recorded, and the graph's parameter count the
count of the weights the traced layers use. A mismatch is refused (a bug in the mapping must never
become a silently different model). Then groups from module paths (:mod:`.groups`), the layered
layout, and, for a graph too long to read in a window, its top-level groups folded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from ..compiler.fx_builder import submodule_names
from ..core.analysis import Analysis, analyze
from ..core.graph import Graph
from ..core.layers._common import fmt
from ..core.layout import layered_positions
from .build import Builder, map_trace
from .errors import ImportRefused
from .groups import add_groups, fold_top_groups
from .loading import build_model
from .tracing import guess_input_shape, trace_model

#: a graph with more nodes than this opens with its top-level groups folded
FOLD_ABOVE = 30


@dataclass
class ImportResult:
    """The imported graph; ``keys`` maps each of the model's state_dict keys that the graph uses to
    the compiled module's key (``layer1.0.conv1.weight`` → ``layer1_0_conv1.weight``)."""

    graph: Graph
    keys: dict[str, str]
    tracer: str
    input_shape: tuple[int, ...]
    notes: list[str] = field(default_factory=list)
    analysis: Analysis | None = None
    #: the shape of each tensor ``keys`` names, as the model declares it
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)


def import_model(target: str, input_shape: tuple[int, ...] | None = None, *, name: str | None = None,
                 fold: bool | None = None) -> ImportResult:
    """Import ``FILE.py:NAME``; raises :class:`ImportRefused` (one line) when it cannot be done exactly.
    ``fold``: fold the top-level groups (default: when the graph has more than FOLD_ABOVE nodes)."""
    model, path, obj_name, defined = build_model(target)
    try:
        return _import(model, path, obj_name, input_shape, name, fold)
    except ImportRefused as e:
        if e.where is not None:
            raise
        raise ImportRefused(str(e), defined) from None  # no line of its own: where NAME is defined


def _import(model: nn.Module, path: Path, obj_name: str, input_shape: tuple[int, ...] | None, name: str | None,
            fold: bool | None) -> ImportResult:
    notes: list[str] = []
    if input_shape is None:
        input_shape, why = guess_input_shape(model)
        notes.append(f"input shape {list(input_shape)} guessed: {why}")
    trace = trace_model(model, tuple(input_shape), path)
    b = map_trace(trace)
    graph = _graph(b, name or obj_name)
    a = analyze(graph)
    _check(b, a, trace.locate)
    keys, shapes = _weight_keys(graph, a, b, model)
    used = set(keys)
    unused = [k for k, _ in model.named_parameters() if k not in used]
    if unused:
        notes.append(f"{len(unused)} weight tensor(s) the forward does not use were left out "
                     f"({', '.join(unused[:3])}{', …' if len(unused) > 3 else ''})")
    add_groups(graph, b)
    for nid, (x, y) in layered_positions(graph).items():
        graph.nodes[nid].pos = (x, y)
    if fold if fold is not None else len(graph.nodes) > FOLD_ABOVE:
        fold_top_groups(graph)
    if trace.tracer != "torch.fx":
        notes.append(f"traced with {trace.tracer} (torch.fx could not follow the code)")
    graph.revision += 1
    return ImportResult(graph, keys, trace.tracer, tuple(input_shape), notes, a, shapes)


def _graph(b: Builder, name: str) -> Graph:
    g = Graph(name)
    for nid, shape in b.inputs:
        g.add_node("Input", {"shape": list(shape)}, node_id=nid)
    for d in b.drafts.values():
        g.add_node(d.type, d.params, node_id=d.id)
    for d in b.drafts.values():
        for port, src in enumerate(d.inputs):
            g.connect(src, d.id, port)
    return g


def _check(b: Builder, a: Analysis, locate: Any) -> None:
    """Every node's shape equals PyTorch's; the graph has no errors."""
    for d in b.drafts.values():
        info = a.nodes.get(d.id)
        if info is None or not info.ok:
            problem = info.problems[0].message if info is not None and info.problems else "it does not check"
            raise ImportRefused(f"node {d.id} ({d.type}) would not check: {problem}", locate(d.op))
        if d.shape is not None and info.shape != d.shape:
            raise ImportRefused(f"node {d.id} ({d.type}) would give {fmt(info.shape or ())} where PyTorch gives "
                                f"{fmt(d.shape)}; refused rather than import a different model", locate(d.op))
    errors = [p for p in a.problems if p.severity == "error"]
    if errors:
        raise ImportRefused(f"the imported graph does not check: {errors[0].text()}")


def _weight_keys(graph: Graph, a: Analysis, b: Builder,
                 model: nn.Module) -> tuple[dict[str, str], dict[str, tuple[int, ...]]]:
    """Original state_dict key → compiled key (and its shape); checks that the parameter counts agree."""
    names = submodule_names(graph, a)
    keys: dict[str, str] = {}
    shapes: dict[str, tuple[int, ...]] = {}
    count = 0
    for d in b.drafts.values():
        if d.path is None:
            continue
        module = model.get_submodule(d.path)
        for k, v in module.state_dict(keep_vars=True).items():
            keys[f"{d.path}.{k}"] = f"{names[d.id]}.{k}"
            shapes[f"{d.path}.{k}"] = tuple(v.shape)
        count += sum(p.numel() for p in module.parameters())
    if count != a.total_params:
        raise ImportRefused(f"the graph has {a.total_params:,} parameters where the model's layers have "
                            f"{count:,}; refused rather than import a different model")
    return keys, shapes


def output_stem(out: str | Path) -> Path:
    """``net.graphlab.json`` → ``net`` (the stem the weights file shares), beside it."""
    p = Path(out)
    name = p.name
    for suffix in (".graphlab.json", ".json"):
        if name.endswith(suffix):
            return p.with_name(name[: -len(suffix)])
    return p.with_suffix("")
