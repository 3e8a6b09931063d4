"""Validation and shape inference: one pure pass over a graph that never raises.

``analyze(graph)`` returns an :class:`Analysis`: for every node its output shape (per sample,
batch excluded) and parameter count, or the problems that stop it; and the whole list of
problems, each naming its node (or ``None`` for graph-wide ones) and the field when there is one.

Inference is symbolic: shapes are tuples of ints computed by each layer's shape rule, so nothing
is allocated and a Linear with 10^12 outputs is only counted. Each node also gets the bytes its
weights and its output (per sample) need, float32, which :mod:`graphlab.core.memory` compares with
the memory available before anything is built. Each node also gets what it costs (its spec's cost
rule, :mod:`graphlab.core.cost`): MACs, FLOPs (2 × MACs), backward FLOPs, element-wise ops, the
bytes autograd keeps for it, and, for image outputs, its receptive field in the input image (over a
DAG the largest over paths; branches that do not line up get a warning). A node whose input has no shape
(because something upstream is broken) gets no shape and no extra message, so each error shows
on the node that causes it and not on everything downstream.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from .gc_pause import gc_paused
from .cost import IDENTITY, KEEP_INPUTS, KEEP_OUTPUT, PIXEL, VIEW, Cost, Field, Window, merge, through
from .graph import Edge, Graph, valid_id
from .init_schemes import init_problem
from .memory import BYTES_PER_VALUE
from .registry import REGISTRY, Registry
from .spec import VARIADIC, LayerSpec, Shape, ShapeError
from .text import MAX_SHOWN, one_line, quote

#: how bad a problem is: an error stops training and export; a warning only says so
Severity = Literal["error", "warning"]


#: a node id in a problem's text is shortened past this many characters
MAX_ID_SHOWN = 120


@dataclass(frozen=True)
class Problem:
    node: str | None
    message: str
    field: str | None = None
    severity: Severity = "error"

    def text(self) -> str:
        """``node.field: message`` on one line (a field holding user text is shown escaped; an id of
        a million characters shortened)."""
        where = one_line(self.node, MAX_ID_SHOWN) if self.node else "graph"
        if self.field:
            where += f".{one_line(self.field, MAX_SHOWN)}"
        return f"{where}: {self.message}"


@dataclass
class NodeInfo:
    shape: Shape | None = None
    params: int = 0
    resolved: dict[str, Any] | None = None  # params with defaults filled, None if invalid
    input_shapes: list[Shape] = field(default_factory=list)
    param_bytes: int = 0  # the weights, float32 (graphlab.core.memory)
    activation_bytes: int = 0  # the output of one sample, float32
    sources: list[str] = field(default_factory=list)  # the nodes feeding ports 0, 1, … (set with the shape)
    problems: list[Problem] = field(default_factory=list)
    # ---- what one sample costs (graphlab.core.cost; docs/cost.md) -----------------------------------
    cost: Cost | None = None  # the spec's cost rule's answer (None: no shape, so no cost)
    #: in training: 0 — takes no part in the backward pass; 1 — its weights get a gradient, its input
    #: needs none; 2 — its input needs a gradient (something before it has weights)
    grad: int = 0
    frozen: bool = False  # "trainable": false: its weights get no gradient and no optimizer state
    rf: Field | None = None  # receptive field in the input image (image outputs only)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the forward pass of one sample."""
        return self.cost.macs if self.cost is not None else 0

    @property
    def flops(self) -> int:
        """Forward FLOPs of one sample: 2 × MACs (FlopCounterMode's convention)."""
        return 2 * self.cost.macs if self.cost is not None else 0

    @property
    def other_ops(self) -> int:
        """Element-wise operations of one sample (not in the FLOPs)."""
        return self.cost.other if self.cost is not None else 0

    @property
    def flops_backward(self) -> int:
        """FLOPs of the backward pass of one sample in training (0 when it takes no part)."""
        c = self.cost
        if c is None or not self.grad:
            return 0
        weights = 0 if self.frozen else c.bwd_macs  # a frozen node's weights get no gradient
        return 2 * (weights + c.bwd_input_macs) if self.grad == 2 else 2 * weights

    @property
    def saved_bytes(self) -> int:
        """Bytes per sample autograd keeps for this node's backward pass (0 when it takes no part)."""
        c = self.cost
        if c is None or not self.grad:
            return 0
        saved = c.saved
        if c.keeps & KEEP_INPUTS:
            saved += sum(BYTES_PER_VALUE * math.prod(s) for s in self.input_shapes)
        if c.keeps & KEEP_OUTPUT:
            saved += self.activation_bytes
        return saved


@dataclass
class Analysis:
    nodes: dict[str, NodeInfo]
    problems: list[Problem]
    order: list[str]  # topological order of the nodes outside cycles
    inputs: list[str]  # Input node ids in file order
    loss: str | None
    output: str | None  # the prediction: the loss node's input, or the single sink
    #: the nodes (in forward order) whose output nothing consumes, Input nodes excepted: what a
    #: graph without a loss returns (the compiled module, the exports, the stepper's objective)
    sinks: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def total_params(self) -> int:
        return sum(i.params for i in self.nodes.values())

    @property
    def total_macs(self) -> int:
        return sum(i.macs for i in self.nodes.values())

    @property
    def total_flops(self) -> int:
        """Forward FLOPs of one sample (2 × MACs)."""
        return 2 * self.total_macs

    @property
    def total_flops_backward(self) -> int:
        return sum(i.flops_backward for i in self.nodes.values())

    @property
    def total_other_ops(self) -> int:
        return sum(i.other_ops for i in self.nodes.values())

    def saved_bytes(self) -> tuple[int, int]:
        """(bytes per sample, bytes per batch) autograd keeps over the whole graph during training, each
        tensor counted once (a ReLU keeps its output, the convolution after it keeps the same tensor as
        its input; a Flatten's output is its input's storage)."""
        storage: dict[str, str] = {}
        kept: set[str] = set()
        own = fixed = 0
        for nid in self.order:
            info = self.nodes[nid]
            c = info.cost
            if c is None:
                continue
            storage[nid] = storage.get(info.sources[0], info.sources[0]) if c.keeps & VIEW and info.sources else nid
            if not info.grad:
                continue
            if c.keeps & KEEP_INPUTS:
                kept.update(storage.get(s, s) for s in info.sources)
            if c.keeps & KEEP_OUTPUT:
                kept.add(storage[nid])
            own += c.saved
            fixed += c.saved_fixed
        return own + sum(self.nodes[s].activation_bytes for s in kept if s in self.nodes), fixed


def analyze(graph: Graph, registry: Registry = REGISTRY, *, costs: bool = True) -> Analysis:
    """``costs=False`` leaves out the cost rules (every node's cost figures stay 0; benchmarks compare)."""
    with gc_paused():
        return _analyze(graph, registry, costs)


#: ``report(node, message, field=None, severity="error")``: records a problem on the list and on its node
Report = Callable[..., None]


def _analyze(graph: Graph, registry: Registry, costs: bool = True) -> Analysis:
    problems: list[Problem] = []
    infos: dict[str, NodeInfo] = {}

    def report(node: str | None, message: str, field_: str | None = None, severity: Severity = "error") -> None:
        p = Problem(node, message, field_, severity)
        problems.append(p)
        if node in infos:
            infos[node].problems.append(p)

    specs = _resolve(graph, registry, infos, report)
    for lp in graph.load_problems:
        report(lp.node, lp.message, lp.field)
    inputs_by_node = _connect(graph, specs, report)
    order, users = _order(graph, inputs_by_node, report)
    _infer(graph, order, specs, infos, inputs_by_node, costs, report)
    input_ids, loss, output, sinks = _graph_rules(graph, specs, order, inputs_by_node, users, report)
    return Analysis(infos, problems, order, input_ids, loss, output, sinks)


def _resolve(graph: Graph, registry: Registry, infos: dict[str, NodeInfo], report: Report) -> dict[str, LayerSpec]:
    """Fill ``infos`` with one NodeInfo per node (its params resolved against its spec) and check each
    node's type, params, id and init scheme; return the spec of every node whose type is known."""
    specs: dict[str, LayerSpec] = {}
    for nid, node in graph.nodes.items():
        infos[nid] = info = NodeInfo()
        spec = registry.get(node.type)
        if spec is None:
            report(nid, f"unknown layer type {quote(node.type)}; pick one from the palette", "type")
            continue
        specs[nid] = spec
        resolved, errors = spec.resolve(node.params)
        for e in errors:
            report(nid, e.args[0], f"params.{e.name}")
        if not errors:
            info.resolved = resolved
        if not valid_id(nid):
            report(nid, "node id must be a Python identifier (letters, digits and _, not starting with a digit)", "id")
        if node.init is not None:
            problem = init_problem(node.init)
            if problem:
                report(nid, problem, "init")
            elif node.init != "default" and not spec.initialisable:
                what = "keeps PyTorch's starting values" if spec.has_weights else "has no weights"
                report(nid, f"init {quote(node.init)} is ignored: the init schemes set weight matrices and filters, "
                            f"and {spec.display} {what}; set it to '(graph default)'", "init", "warning")
    return specs


def _connect(graph: Graph, specs: dict[str, LayerSpec], report: Report) -> dict[str, dict[int, str]]:
    """Each node's sources by input port, from the edges that hold (dangling edges, bad ports and
    crowded ports are reported and left out)."""
    inputs_by_node: dict[str, dict[int, str]] = {nid: {} for nid in graph.nodes}
    for edge in graph.edges:
        if edge.src not in graph.nodes or edge.dst not in graph.nodes:
            missing = edge.src if edge.src not in graph.nodes else edge.dst
            owner = edge.dst if edge.dst in graph.nodes else (edge.src if edge.src in graph.nodes else None)
            report(owner, f"edge {_ends(edge)} refers to node {quote(missing)}, which does not exist; "
                          f"delete the edge or add the node", "edges")
            continue
        spec = specs.get(edge.dst)
        if isinstance(edge.port, bool) or not isinstance(edge.port, int) or edge.port < 0:
            report(edge.dst, f"edge {_ends(edge)} has port {edge.port!r}; ports are whole numbers from 0", "edges")
            continue
        if spec is not None and spec.inputs != VARIADIC and edge.port >= spec.inputs:
            if spec.inputs == 0:
                report(edge.dst, f"{spec.type} takes no inputs, but {quote(edge.src)} is connected to it", "edges")
            else:
                report(edge.dst, f"too many inputs: {spec.type} takes {spec.inputs}, but {quote(edge.src)} is connected "
                              f"to port {edge.port}; remove that edge", "edges")
            continue
        slots = inputs_by_node[edge.dst]
        if edge.port in slots:
            report(edge.dst, f"too many inputs: port {edge.port} gets both {quote(slots[edge.port])} and {quote(edge.src)}; "
                          f"a port takes one edge (use Add or Concat to join branches)", "edges")
            continue
        slots[edge.port] = edge.src
    return inputs_by_node


def _order(graph: Graph, inputs_by_node: dict[str, dict[int, str]],
           report: Report) -> tuple[list[str], dict[str, list[str]]]:
    """(topological order of the nodes outside cycles, Kahn's in file order; each node's consumers);
    every node on a cycle is reported."""
    indeg = {nid: len(s) for nid, s in inputs_by_node.items()}
    users: dict[str, list[str]] = {nid: [] for nid in graph.nodes}
    for nid, slots in inputs_by_node.items():
        for src in slots.values():
            users[src].append(nid)
    ready = [nid for nid, d in indeg.items() if d == 0]
    ready.reverse()
    order: list[str] = []
    while ready:
        nid = ready.pop()
        order.append(nid)
        for u in users[nid]:
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    if len(order) < len(graph.nodes):
        _report_cycles(graph, inputs_by_node, set(order), report)
    return order, users


def _infer(graph: Graph, order: list[str], specs: dict[str, LayerSpec], infos: dict[str, NodeInfo],
           inputs_by_node: dict[str, dict[int, str]], costs: bool, report: Report) -> None:
    """Shapes, parameter counts, costs, training roles and receptive fields, node by node in forward
    order. The hot path of the live analysis: the per-node work stays inline (no call per node)."""
    for nid in order:
        info, spec = infos[nid], specs.get(nid)
        if spec is None or info.resolved is None:
            continue
        slots = inputs_by_node[nid]
        n = len(slots)
        if spec.inputs == VARIADIC or n < spec.inputs:
            problem = _arity_problem(spec, slots)
            if problem is not None:
                report(nid, problem, "edges")
                continue
        in_shapes = []
        for i in range(n):
            s = infos[slots[i]].shape
            if s is None:
                break
            in_shapes.append(s)
        else:
            info.input_shapes = in_shapes
            info.sources = [slots[i] for i in range(n)]
            try:
                info.shape = tuple(spec.shape(info.resolved, in_shapes))
                info.params = spec.count(info.resolved, in_shapes, info.shape)
                info.param_bytes = BYTES_PER_VALUE * info.params
                info.activation_bytes = BYTES_PER_VALUE * math.prod(info.shape)
            except Exception as e:  # a shape rule must never take the analysis down
                report(nid, str(e) if isinstance(e, ShapeError) else f"cannot infer the shape: {e}", "shape")
                continue
            if not costs:
                continue
            try:
                c = info.cost = spec.cost(info.resolved, in_shapes, info.shape)
            except Exception as e:  # nor a cost rule
                report(nid, f"cannot work out what the node costs: {e}", "shape", "warning")
                continue
            info.frozen = not graph.nodes[nid].trainable
            for src in info.sources:  # its input needs a gradient in training
                if infos[src].grad:
                    info.grad = 2
                    break
            else:
                if info.params and not info.frozen:  # a frozen node at the front takes no part
                    info.grad = 1
            w = c.window
            if w is None or len(info.shape) != 3:
                continue
            if w is IDENTITY and len(info.sources) == 1:
                info.rf = infos[info.sources[0]].rf  # element-wise: the field it is given
            else:
                rf = _field(info, w, infos)
                if isinstance(rf, str):
                    report(nid, rf, "shape", "warning")
                else:
                    info.rf = rf


def _arity_problem(spec: LayerSpec, slots: dict[int, str]) -> str | None:
    """What is wrong with the inputs connected to a node that takes any number of them or has fewer
    than it takes (None: nothing)."""
    n = len(slots)
    if spec.inputs == VARIADIC:
        if n < 2:
            return f"{spec.type} needs at least 2 inputs, has {n}; connect more branches"
        if max(slots) != n - 1:  # n distinct ports from 0 fill 0..n-1 exactly when the largest is n-1
            gap = next(i for i in range(n) if i not in slots)
            return f"input port {gap} is empty but port {max(slots)} is used; connect inputs to ports 0..{n - 1}"
        return None
    if n < spec.inputs:
        empty = next(i for i in range(spec.inputs) if i not in slots)
        what = "its input" if spec.inputs == 1 else f"input port {empty}"
        return f"missing input: connect {what} (drag from another node's output)"
    return None


def _graph_rules(graph: Graph, specs: dict[str, LayerSpec], order: list[str], inputs_by_node: dict[str, dict[int, str]],
                 users: dict[str, list[str]], report: Report) -> tuple[list[str], str | None, str | None, list[str]]:
    """Graph-wide rules (an Input, one loss, last, not after what it applies again, one output);
    return (Input ids, the loss, the prediction, the sinks)."""
    input_ids = [nid for nid, s in specs.items() if s.inputs == 0]
    losses = [nid for nid, s in specs.items() if s.is_loss]
    if graph.nodes and not input_ids:
        report(None, "the graph has no Input node; add one from the palette", "nodes")
    if len(losses) > 1:
        for nid in losses[1:]:
            report(nid, f"a graph takes one loss, and {quote(losses[0])} is already one; remove this node", "type")
    for nid in losses:
        if users[nid]:
            report(nid, f"a loss must be the last node, but it feeds {', '.join(sorted(set(users[nid])))}", "edges")
        scores = inputs_by_node[nid].get(0)
        before = specs.get(scores) if scores is not None else None
        if before is not None and before.computes and before.computes in specs[nid].applies_first:
            report(nid, f"{quote(scores)} applies {before.computes} before {specs[nid].display}, which applies it "
                        f"again; connect the scores directly", "edges", "warning")
    loss = losses[0] if losses else None
    output = inputs_by_node[loss].get(0) if loss else None
    sinks = [nid for nid in order if not users[nid] and specs.get(nid) and specs[nid].inputs != 0]
    if loss is None:
        output = sinks[-1] if len(sinks) == 1 else None
        if len(sinks) > 1:
            report(None, f"the graph has {len(sinks)} outputs ({', '.join(sinks)}) and no loss; "
                         f"its prediction is ambiguous", "nodes", "warning")
    return input_ids, loss, output, sinks


def _field(info: NodeInfo, w: Window, infos: dict[str, NodeInfo]) -> Field | str | None:
    """The node's receptive field from its sources' (forward order), or the text of a warning when its
    branches do not line up."""
    sources = info.sources
    if not sources:
        return PIXEL  # an Input image
    if len(sources) == 1:
        f = infos[sources[0]].rf
        if f is None or w is IDENTITY:
            return f
        return through(f, w)
    fields = [infos[s].rf for s in sources]
    if None in fields:
        return None
    return merge(fields)  # type: ignore[arg-type]


def _report_cycles(graph: Graph, inputs_by_node: dict[str, dict[int, str]], done: set[str],
                   report: Report) -> None:
    import networkx as nx  # only a graph with a cycle needs it

    rest: nx.DiGraph = nx.DiGraph()
    for dst, slots in inputs_by_node.items():
        for src in slots.values():
            if src not in done and dst not in done:
                rest.add_edge(src, dst)
    seen: set[str] = set()
    file_order = {nid: i for i, nid in enumerate(graph.nodes)}
    for comp in nx.strongly_connected_components(rest):
        if len(comp) < 2 and not any(rest.has_edge(n, n) for n in comp):
            continue
        start = min(comp, key=file_order.__getitem__)
        cyc = [u for u, _ in nx.find_cycle(rest.subgraph(comp), source=start)]
        path = " -> ".join(cyc + [cyc[0]])
        for nid in sorted(comp, key=file_order.__getitem__):
            if nid not in seen:
                seen.add(nid)
                report(nid, f"part of a cycle {path}; a network must be acyclic (delete one of these edges)",
                       "edges")


def _ends(e: Edge) -> str:
    """``a -> b`` for an edge, each end quoted only when it is not a plain id (one line, always)."""
    return " -> ".join(end if valid_id(end) and len(end) <= MAX_SHOWN else quote(end) for end in (e.src, e.dst))
