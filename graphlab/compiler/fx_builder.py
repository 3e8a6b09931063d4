"""Compile a checked graph into a torch.fx GraphModule, built node by node (not traced).

* One ``placeholder`` per Input node, in file order; one ``call_module`` per layer node, whose
  submodule is named by the node id (``id_`` if the id clashes with a GraphModule attribute), so
  ``print(gm.code)`` reads like hand-written PyTorch.
* ``forward(*inputs)`` returns the prediction: the tensor fed to the loss node, or the graph's only
  sink. The loss itself is not part of the module: it is built separately and kept in
  :class:`CompileInfo` with the node id ↔ fx node map that statistics and the stepper use.
* Weights are seeded: one graph + seed gives one set of weights. The init scheme is graph-wide
  (argument, or ``training.init``) and can be overridden per node (``node.init``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from ..core.analysis import Analysis, analyze
from ..core.graph import Graph
from ..core.init_schemes import init_problem
from ..core.registry import REGISTRY, Registry
from ..core.spec import Gain
from ..core.text import error_line
from .init import apply_init
from .layers import build_module

_RESERVED = {"training", "meta", "graph", "code", "forward", "to", "cpu", "cuda", "type", "float", "half",
             "double", "eval", "train", "apply", "buffers", "children", "modules", "parameters", "state_dict",
             "register_buffer", "zero_grad", "requires_grad_", "recompile", "print_readable"}


class CompileError(Exception):
    """The graph has errors; ``problems`` lists them."""

    def __init__(self, analysis: Analysis) -> None:
        self.problems = analysis.errors
        lines = "\n".join("  " + p.text() for p in self.problems[:20])
        more = f"\n  … and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"the graph has {len(self.problems)} error(s):\n{lines}{more}")


class BuildError(ValueError):
    """A layer could not be built although the graph checks (the allocator refused its weights, torch
    refused a size). ``node`` is its id; the message says why in one line."""

    def __init__(self, node: str, message: str) -> None:
        super().__init__(message)
        self.node = node


@dataclass
class CompileInfo:
    analysis: Analysis
    node_map: dict[str, fx.Node]  # graph node id -> fx node (placeholder or call_module)
    module_names: dict[str, str]  # graph node id -> submodule name in the GraphModule
    input_ids: list[str]
    output_id: str | None
    loss_id: str | None
    loss: nn.Module | None = field(default=None, repr=False)


def info(module: fx.GraphModule) -> CompileInfo:
    """The CompileInfo of a module made by :func:`compile_graph`."""
    return module.meta["graphlab"]


@functools.cache
def _module_attributes() -> frozenset[str]:
    """Every attribute a GraphModule has, its class's and each instance's own (``_modules``,
    ``_parameters``, ``_forward_hooks``…): a submodule of that name would replace it and break the module."""
    gm = fx.GraphModule(nn.Module(), fx.Graph())
    return frozenset(dir(gm)) | frozenset(vars(gm))


def module_name(node_id: str, used: set[str] | None = None) -> str:
    """The submodule name for a node: its id, or ``id_``, ``id_1``… when the id clashes with a
    GraphModule attribute or with a name already ``used`` (ids ``train`` and ``train_`` both exist);
    ``used`` holds every node id, so a node keeps its own id whenever it can."""
    used = used if used is not None else set()
    name = f"{node_id}_" if node_id in _RESERVED or node_id in _module_attributes() else node_id
    base, i = name, 0
    while name in used and name != node_id:
        i += 1
        name = f"{base}_{i}"
    return name


def submodule_names(graph: Graph, analysis: Analysis, registry: Registry = REGISTRY) -> dict[str, str]:
    """node id -> submodule name, for every node that becomes a submodule (not Inputs, not the loss),
    in the order compile_graph builds them. The exporters name their attributes with it."""
    taken = set(graph.nodes)  # a renamed module must not take another node's id
    names: dict[str, str] = {}
    for nid in analysis.order:
        spec = registry.get(graph.nodes[nid].type)
        if spec is None or spec.is_input or spec.is_loss:
            continue
        names[nid] = module_name(nid, taken)
        taken.add(names[nid])
    return names


def _class_name(name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name)
    text = "".join(w[:1].upper() + w[1:] for w in words) or "Net"
    return text if text[0].isalpha() else "Net" + text


def compile_graph(graph: Graph, *, seed: int = 0, init: str | None = None,
                  analysis: Analysis | None = None, registry: Registry = REGISTRY) -> fx.GraphModule:
    """Build the graph's module. ``registry`` is the layer catalogue (the built-in one unless a
    caller adds layers); per-node init schemes are checked by ``analyze``, the graph-wide one here."""
    analysis = analysis or analyze(graph, registry)
    if not analysis.ok:
        raise CompileError(analysis)
    scheme = init or graph.training.get("init") or "default"
    problem = init_problem(scheme)
    if problem:
        raise ValueError(f"training.init: {problem}")

    g = fx.Graph()
    root: dict[str, nn.Module] = {}
    node_map: dict[str, fx.Node] = {}
    names = submodule_names(graph, analysis, registry)
    loss_module = None
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for nid in analysis.inputs:
            node_map[nid] = g.placeholder(nid)
        for nid in analysis.order:
            node = graph.nodes[nid]
            spec = registry.get(node.type)
            ni = analysis.nodes[nid]
            if spec is None or spec.is_input:
                continue
            assert ni.resolved is not None and ni.shape is not None  # the analysis is ok
            try:
                module = build_module(spec, ni.resolved, ni.input_shapes, ni.shape)
                assert module is not None  # only an Input has no module
                if spec.is_loss:
                    loss_module = module
                    continue
                if spec.initialisable:
                    apply_init(module, node.init or scheme, gen, _nonlinearity_after(graph, nid, registry))
            except (MemoryError, RuntimeError, OverflowError) as e:  # an allocation that still fails
                text = error_line(e, 300)
                what = "out of memory" if isinstance(e, MemoryError) or "alloc" in text.lower() else "torch refused it"
                raise BuildError(nid, f"cannot build the {node.type} layer ({what}: {text}); "
                                      f"make it smaller") from None
            name = names[nid]
            root[name] = module
            fx_node = g.call_module(name, tuple(node_map[s] for s in ni.sources))
            node_map[nid] = fx_node
    if analysis.output is not None:
        g.output(node_map[analysis.output])
    else:
        g.output(tuple(node_map[s] for s in analysis.sinks) if analysis.sinks else None)
    g.lint()
    gm = fx.GraphModule(root, g, class_name=_class_name(graph.name))
    # GraphModule copies the graph; map our ids onto the nodes of its own copy.
    by_name = {n.name: n for n in gm.graph.nodes}
    node_map = {nid: by_name[n.name] for nid, n in node_map.items()}
    gm.meta["graphlab"] = CompileInfo(analysis, node_map, names, list(analysis.inputs), analysis.output,
                                      analysis.loss, loss_module)
    return gm


def _nonlinearity_after(graph: Graph, nid: str, registry: Registry = REGISTRY) -> Gain:
    """The nonlinearity that follows a layer, for Kaiming's gain: the ``init_gain`` its only
    consumer's spec declares (tanh, sigmoid, leaky_relu…), else relu."""
    outs = graph.outputs_of(nid)
    if len(outs) == 1 and outs[0].dst in graph.nodes:
        spec = registry.get(graph.nodes[outs[0].dst].type)
        if spec is not None and spec.init_gain:
            return spec.init_gain
    return "relu"


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def example_inputs(graph: Graph, analysis: Analysis, batch: int = 2, *, generator: Any = None) -> list[torch.Tensor]:
    return [torch.randn(batch, *(analysis.nodes[i].shape or ()), generator=generator) for i in analysis.inputs]
