"""Step through a graph's forward and backward pass one node at a time, on real tensors.

Semantics
---------
* The walk is every node of the compiled graph in forward (topological) order — Input nodes, layers,
  then the loss node last — followed by the same nodes in reverse order for the backward pass.
  ``step()`` shows one (node, phase) of it; ``back()`` hides the last one again; ``run_to()`` and
  ``run()`` step until a node or the end. ``position`` counts the steps shown, ``cursor`` is the node
  shown last, ``phase`` its phase ("forward" before the first step, "done" after the last).
* Forward, node by node: the node's module runs on its sources' outputs, detached and marked as
  requiring grad, so each node keeps its own small autograd graph. Backward, node by node:
  ``grad_output`` is the sum of what the node's consumers sent it (plus the upstream seed at the loss
  or at a sink), and ``torch.autograd.grad`` of the node's own graph with that ``grad_output`` gives
  ``grad_inputs`` (per port) and ``grad_params``. Nothing outside the node takes part, and the results
  equal one ``loss.backward()`` of :attr:`module` on the same batch (tested on every example).
* The objective: the loss, with targets; without a loss node, L = Σ over sinks of Σ out · upstream
  (see :mod:`graphlab.step.batch` for the upstream's values).
* Modes: eval by default. ``train_mode=True`` uses BatchNorm's batch statistics and draws Dropout
  masks from a per-node seed, so a node's mask is the same whenever it runs. The module's buffers
  are never written (each run gets clones of them) and the global RNG is restored after each node.
* In-place modules (``ReLU(inplace=True)``, or anything that writes into its input) get copies of
  their inputs, so recorded tensors never change; they are found from the module's ``inplace`` flag,
  from autograd's refusal to let a leaf be modified, or from the input's version counter.
* Results are cached: stepping back and forward again costs nothing; :meth:`reset` starts afresh.
* NaN tracer: every output and gradient is checked with ``isfinite``. ``first_nonfinite`` names the
  first node whose output is non-finite in forward order (its inputs were finite), or, in the
  backward pass, the first node whose gradients turn non-finite from a finite ``grad_output``;
  ``run()`` and ``run_to()`` stop there. Not torch's anomaly mode, which is slow and blind to
  forward NaNs.

Threads: the stepper's methods hold a lock, so drive it from one worker thread and read records from
another; recorded tensors are never modified after the call that produced them (``back()`` only
hides them). ``record.local.derivatives``/``numbers`` are computed on first access by re-running the
node (under the same lock): ask for them on the worker thread for big nodes.
"""
from __future__ import annotations

import contextlib
import functools
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal, Mapping

import torch
from torch import nn

from ..compiler import BuildError, CompileError, compile_graph, info
from ..core import memory
from ..core.analysis import Analysis, analyze
from ..core.graph import Graph
from ..core.registry import REGISTRY
from ..core.text import error_line
from . import batch as batch_mod
from . import recurrent
from .batch import StepError
from .local import elementwise_derivatives, numbers, show
from .record import Change, LocalRule, NodeRecord, Phase
from .rng import fixed_rng, seeded_state


@dataclass
class _Forward:
    inputs: list[torch.Tensor]
    output: torch.Tensor
    graph_out: torch.Tensor | None  # the output with the node's own autograd graph (dropped after backward)
    leaves: list[torch.Tensor]
    params: dict[str, torch.Tensor] = field(default_factory=dict)


@dataclass
class _Backward:
    grad_output: torch.Tensor
    grad_inputs: list[torch.Tensor]
    grad_params: dict[str, torch.Tensor]
    local: LocalRule
    time_grad_norms: list[float] | None


def _warm_up_autograd() -> None:
    """``torch.autograd.grad`` with a given upstream imports torch's symbolic-shapes module (and sympy)
    on its first call, ~1.5 s: pay it when a stepper is set up, not in its first backward step."""
    import torch.fx.experimental.symbolic_shapes  # noqa: F401


def _locked(method: Any) -> Any:
    """Run a Stepper method under its lock (a lazy LocalRule may be computed from another thread)."""

    @functools.wraps(method)
    def wrapper(self: "Stepper", *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper


def _check_memory(a: Analysis, batch: int, dtype: torch.dtype) -> None:
    """Refuse, before anything is built, a graph whose walk cannot fit in the memory available: its
    weights and their gradients, and the outputs of ``batch`` samples at every node (a lower bound,
    :func:`graphlab.core.memory.training_problem` without optimizer state). StepError names the node."""
    problem = memory.training_problem(a, batch=batch, optimizer=None, value_bytes=torch.finfo(dtype).bits // 8,
                                      what="stepping", batch_hint="the batch")
    if problem is not None:
        node, message = problem
        raise StepError(f"{node}: {message}" if node else message, node, "memory")


class _InputsChanged(Exception):
    """A module wrote into its input behind autograd's back; the forward walk is replayed."""


class Stepper:
    """See the module docstring. ``inputs``: ``{input_id: array}``; ``targets``: one row per sample;
    ``weights``: checkpoint file, run folder or state_dict; ``upstream``: a tensor (one sink) or
    ``{sink_id: tensor}`` overriding the seeded upstream gradient of a graph without a loss;
    ``dtype``: torch.float32 or torch.float64; ``base_dir``: where relative dataset paths start;
    ``dataset=False``: seeded random inputs even when the training section names a dataset."""

    def __init__(self, graph: Graph, *, inputs: Mapping[str, Any] | None = None, targets: Any = None,
                 weights: Any = None, batch: int = 8, seed: int = 0, train_mode: bool = False,
                 upstream: Any = None, dtype: torch.dtype = torch.float32, base_dir: Any = None,
                 dataset: bool = True) -> None:
        self.graph = graph
        self.seed = seed
        self.train_mode = train_mode
        self.dtype = dtype
        self.notes: list[str] = []  # where the inputs and weights came from
        self.warnings: list[str] = []  # the subset of notes a user should see (a dataset that could not be used)
        a = analyze(graph)
        if not a.ok:
            p = a.errors[0]
            raise StepError(f"the graph has errors; first: {p.text()}", p.node, "graph")
        self.analysis = a
        _check_memory(a, batch_mod.explicit_batch(a, inputs) if inputs is not None else batch, dtype)
        self._build(weights)
        self._plan_walk()
        self.inputs, given_targets = self._make_inputs(inputs, batch, base_dir, dataset)
        self.batch = next(iter(self.inputs.values())).shape[0] if self.inputs else batch
        self.targets: torch.Tensor | None = self._make_targets(targets, given_targets)
        self.upstream = self._make_upstream(upstream)
        self._mutates: set[str] = {n for n in self.order if n in self.info.module_names and any(
            getattr(m, "inplace", False) is True for m in self._module(n).modules())}
        self.records: dict[str, NodeRecord] = {}
        self._lock = threading.RLock()
        _warm_up_autograd()
        self.reset()

    # -- set-up ----------------------------------------------------------------------------------
    def _build(self, weights: Any) -> None:
        """Compile the analysed graph, load ``weights`` into it and convert it to the stepper's dtype and
        mode (StepError when it cannot be built or converted)."""
        graph, seed, dtype = self.graph, self.seed, self.dtype
        try:
            self.module = compile_graph(graph, seed=seed, analysis=self.analysis)
        except BuildError as e:  # an allocation that failed although the sizes seemed to fit
            raise StepError(f"{e.node}: {e}", e.node, "memory") from None
        except (CompileError, ValueError) as e:
            raise StepError(error_line(e, None), None, "graph") from None
        self.info = info(self.module)
        self.loss_module: nn.Module | None = self.info.loss
        if weights is not None:
            self.notes.append(batch_mod.load_weights(self.module, weights))
        try:
            self.module.to(dtype).train(self.train_mode)
            if self.loss_module is not None:
                self.loss_module.to(dtype).train(self.train_mode)
        except (MemoryError, RuntimeError) as e:
            raise StepError(f"the weights could not be converted to {dtype} ({error_line(e)})", None,
                            "memory") from None

    def _plan_walk(self) -> None:
        """The nodes stepped (forward order, the loss last), their sources, consumers, edges, types and
        per-node seeds, and the walk: every node forward, then every node backward in reverse."""
        a, seed = self.analysis, self.seed
        loss = a.loss
        self.order: list[str] = [n for n in a.order if n in self.info.node_map and n != loss]
        if loss is not None:
            self.order.append(loss)
        self._sources = {n: list(a.nodes[n].sources) for n in self.order}
        self._consumers: dict[str, list[tuple[str, int]]] = {n: [] for n in self.order}
        for n in self.order:
            for port, s in enumerate(self._sources[n]):
                self._consumers[s].append((n, port))
        self.edges = [(s, n, port) for n in self.order for port, s in enumerate(self._sources[n])]
        self._types = {n: self.graph.nodes[n].type for n in self.order}
        self._seeds = {n: (seed * 1_000_003 + i + 1) % (2 ** 62) for i, n in enumerate(self.order)}
        self._rng = {n: seeded_state(s) for n, s in self._seeds.items()} if self.train_mode else {}
        self.walk: list[tuple[str, Phase]] = [(n, "forward") for n in self.order] + \
                                           [(n, "backward") for n in reversed(self.order)]

    def _make_targets(self, targets: Any, given_targets: Any) -> torch.Tensor | None:
        """The targets of a graph with a loss: those given, else the dataset's, else seeded random ones."""
        a, graph, dtype = self.analysis, self.graph, self.dtype
        if a.loss is None:
            return None
        pred = tuple(a.nodes[a.output].shape or ()) if a.output else ()
        if targets is not None:
            return batch_mod.check_targets(graph, a, targets, self.batch, pred, dtype)
        if given_targets is not None:
            return batch_mod.check_targets(graph, a, given_targets, self.batch, pred, dtype)
        return batch_mod.random_targets(graph, a, self.batch, pred, self.seed, dtype)

    def _make_inputs(self, inputs: Mapping[str, Any] | None, batch: int,
                     base_dir: Any, dataset: bool) -> tuple[dict[str, torch.Tensor], Any]:
        a = self.analysis
        if inputs is not None:
            return batch_mod.explicit_inputs(a, inputs, self.dtype), None
        if batch < 1:
            raise StepError(f"batch must be at least 1, got {batch}")
        xs, ys, note = None, None, ""
        if dataset:
            xs, ys, note = batch_mod.dataset_batch(self.graph, a, batch, base_dir, self.dtype)
        if note:
            self.notes.append(note)
        if xs is not None:
            return xs, ys
        if note:  # the dataset was named but could not be used
            self.warnings.append(note)
        if not note:
            self.notes.append(f"seeded N(0, 1) inputs (seed {self.seed}), batch {batch}")
        return batch_mod.random_inputs(a, batch, self.seed, self.dtype), None

    def _make_upstream(self, given: Any) -> dict[str, torch.Tensor]:
        a = self.analysis
        if a.loss is not None:
            return {a.loss: torch.ones((), dtype=self.dtype)}
        sinks = list(a.sinks)
        shapes = {n: (self.batch, *(a.nodes[n].shape or ())) for n in sinks}
        if isinstance(given, torch.Tensor):
            if len(sinks) != 1:
                raise StepError(f"one upstream tensor given but the graph has {len(sinks)} outputs; "
                                "give {output_id: tensor}")
            given = {sinks[0]: given}
        given = dict(given or {})
        out = {}
        for i, n in enumerate(sinks):
            if n in given:
                t = torch.as_tensor(given[n], dtype=self.dtype)
                if tuple(t.shape) != shapes[n]:
                    t = t.expand(shapes[n]) if t.dim() <= len(shapes[n]) else t
                if tuple(t.shape) != shapes[n]:
                    raise StepError(f"upstream for '{n}' is {list(t.shape)}, its output is {list(shapes[n])}", n)
                out[n] = t.clone()
            else:
                out[n] = batch_mod.make_upstream(shapes[n], self.seed + 7 * i, self.dtype)
        return out

    def _module(self, nid: str) -> nn.Module:
        if nid == self.analysis.loss:
            assert self.loss_module is not None
            return self.loss_module
        return self.module.get_submodule(self.info.module_names[nid])

    # -- where the walk stands -------------------------------------------------------------------
    @property
    def cursor(self) -> str | None:
        return self.walk[self.position - 1][0] if self.position else None

    @property
    def phase(self) -> Phase | Literal["done"]:
        if self.position == len(self.walk):
            return "done"
        return self.walk[self.position - 1][1] if self.position else "forward"

    @property
    def done(self) -> bool:
        return self.position == len(self.walk)

    def sources(self, nid: str) -> list[str]:
        return list(self._sources[nid])

    def consumers(self, nid: str) -> list[tuple[str, int]]:
        return list(self._consumers[nid])

    # -- moving ----------------------------------------------------------------------------------
    @_locked
    def reset(self) -> None:
        """Back to the start, forgetting every cached result (inputs, targets and weights stay)."""
        self.position = 0
        self._fwd: dict[str, _Forward] = {}
        self._bwd: dict[str, _Backward] = {}
        self.first_nonfinite: dict[str, str] | None = None
        self._nonfinite_pos: int | None = None
        self.last_change: Change | None = None
        self.records = {n: NodeRecord(n, self._types[n], list(self._sources[n])) for n in self.order}

    @_locked
    def step(self) -> NodeRecord | None:
        """Show the next (node, phase) of the walk and return its record; None at the end."""
        if self.position == len(self.walk):
            return None
        nid, phase = self.walk[self.position]
        rec = self.records[nid]
        if phase == "forward":
            f = self._forward(nid)
            rec.inputs, rec.output = f.inputs, f.output
            rec.target = self.targets if nid == self.analysis.loss else None
            edges = tuple((nid, d, p) for d, p in self._consumers[nid])
        else:
            b = self._backward(nid)
            rec.grad_output, rec.grad_inputs, rec.grad_params = b.grad_output, b.grad_inputs, b.grad_params
            rec.local, rec.time_grad_norms = b.local, b.time_grad_norms
            edges = tuple((s, nid, p) for p, s in enumerate(self._sources[nid]))
        rec._cache.clear()
        self.position += 1
        self.last_change = Change(nid, phase, False, edges)
        return rec

    @_locked
    def back(self) -> Change | None:
        """Hide the last step shown (its results stay cached); None at the start."""
        if self.position == 0:
            return None
        self.position -= 1
        nid, phase = self.walk[self.position]
        rec = self.records[nid]
        if phase == "forward":
            rec.clear_forward()
            edges = tuple((nid, d, p) for d, p in self._consumers[nid])
        else:
            rec.clear_backward()
            edges = tuple((s, nid, p) for p, s in enumerate(self._sources[nid]))
        self.last_change = Change(nid, phase, True, edges)
        return self.last_change

    @_locked
    def run_to(self, node_id: str, phase: Phase = "forward", *, stop_at_nonfinite: bool = True) -> list[Change]:
        """Step (or step back) until (node_id, phase) is the last step shown. Going forward it stops
        early at a newly found non-finite value when ``stop_at_nonfinite``. Returns the changes."""
        try:
            target = self.walk.index((node_id, phase))
        except ValueError:
            raise StepError(f"no step ({node_id}, {phase}): node ids are {', '.join(self.order)}; "
                            "phases forward/backward", node_id) from None
        changes: list[Change] = []
        while self.position - 1 > target:
            c = self.back()
            assert c is not None
            changes.append(c)
        while self.position - 1 < target:
            self.step()
            assert self.last_change is not None
            changes.append(self.last_change)
            if stop_at_nonfinite and self._nonfinite_pos == self.position - 1:
                break
        return changes

    @_locked
    def run(self, *, stop_at_nonfinite: bool = True) -> list[Change]:
        """Step to the end of the walk, or to the first non-finite value found on the way."""
        changes: list[Change] = []
        while self.position < len(self.walk):
            self.step()
            assert self.last_change is not None
            changes.append(self.last_change)
            if stop_at_nonfinite and self._nonfinite_pos == self.position - 1:
                break
        return changes

    # -- forward ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def node_context(self, nid: str, module: nn.Module | None = None) -> Iterator[None]:
        """The context a node runs in: its fixed RNG stream (train mode) and private copies of its
        module's buffers. Public so that a reference run can reproduce the stepper's Dropout masks."""
        module = module if module is not None else self._module(nid)
        swapped: list[tuple[dict[str, Any], str, Any]] = []
        if module.training:
            for sub in module.modules():
                for name, b in list(sub._buffers.items()):
                    if b is not None:
                        swapped.append((sub._buffers, name, b))
                        sub._buffers[name] = b.clone()
        try:
            if self.train_mode:
                with fixed_rng(self._rng[nid]):
                    yield
            else:
                yield
        finally:
            for store, name, b in swapped:
                store[name] = b

    def _forward(self, nid: str) -> _Forward:
        cached = self._fwd.get(nid)
        if cached is not None:
            return cached
        try:
            f = self._compute_forward(nid)
        except _InputsChanged:
            self._replay_forward(nid)
            f = self._fwd[nid]
        self._fwd[nid] = f
        if self.first_nonfinite is None and not bool(torch.isfinite(f.output).all()):
            self._found_nonfinite(nid, "forward", self._forward_culprit(nid, f))
        return f

    def _replay_forward(self, upto: str) -> None:
        """Recompute every forward result up to ``upto`` (now that its module is known to be in-place)."""
        self._fwd.clear()
        for n in self.order:
            f = self._fwd[n] = self._compute_forward(n)
            rec = self.records[n]
            if rec.forward_done:
                rec.inputs, rec.output = f.inputs, f.output
                rec._cache.clear()
            if n == upto:
                return

    def _compute_forward(self, nid: str) -> _Forward:
        if nid in self.inputs:
            x = self.inputs[nid].clone()
            return _Forward([], x, None, [])
        xs = [self._fwd[s].output for s in self._sources[nid]]
        m = self._module(nid)
        leaves = [x.detach().requires_grad_(x.is_floating_point()) for x in xs]
        params: dict[str, torch.Tensor] = dict(m.named_parameters())
        extra = (self.targets,) if nid == self.analysis.loss else ()
        versions = [x._version for x in xs]
        try:
            out = self._call(nid, m, leaves, extra, copy=nid in self._mutates)
        except Exception as first:  # noqa: BLE001 - reported as a StepError naming the node
            if nid in self._mutates or not isinstance(first, RuntimeError):
                raise StepError(f"{nid}: {error_line(first)}", nid, "run") from None
            try:  # autograd refused an in-place write into an input: give the module copies
                out = self._call(nid, m, leaves, extra, copy=True)
            except Exception:  # noqa: BLE001
                raise StepError(f"{nid}: {error_line(first)}", nid, "run") from None
            self._mutates.add(nid)
        if [x._version for x in xs] != versions:
            self._mutates.add(nid)
            raise _InputsChanged(nid)
        if not isinstance(out, torch.Tensor):
            raise StepError(f"{nid}: the module returned {type(out).__name__}, not a tensor", nid, "run")
        return _Forward(xs, out.detach(), out, leaves, params)

    def _call(self, nid: str, m: nn.Module, leaves: list[torch.Tensor], extra: tuple[Any, ...], *,
              copy: bool) -> Any:
        feed = [x.clone() if copy else x for x in leaves]
        with self.node_context(nid, m), torch.enable_grad():
            return m(*feed, *extra)

    def _forward_culprit(self, nid: str, f: _Forward) -> str:
        if nid in self.inputs:
            return "input data"
        bad = [name for name, p in f.params.items() if not bool(torch.isfinite(p).all())]
        if bad:
            return "weight " + ", ".join(f"{nid}.{b}" for b in bad)
        if any(not bool(torch.isfinite(x).all()) for x in f.inputs if x.is_floating_point()):
            return "input"
        return "output"

    def _found_nonfinite(self, nid: str, phase: Phase, what: str) -> None:
        self.first_nonfinite = {"node": nid, "phase": phase, "what": what}
        self._nonfinite_pos = self.walk.index((nid, phase))

    # -- backward --------------------------------------------------------------------------------
    def _grad_output(self, nid: str) -> torch.Tensor:
        total = self.upstream.get(nid)  # recorded tensors are never written to, so sharing is safe
        for dst, port in self._consumers[nid]:
            g = self._bwd[dst].grad_inputs[port]
            total = g if total is None else total + g
        if total is None:  # reaches no objective
            total = torch.zeros_like(self._fwd[nid].output)
        return total

    def _backward(self, nid: str) -> _Backward:
        cached = self._bwd.get(nid)
        if cached is not None:
            return cached
        f = self._forward(nid)
        g = self._grad_output(nid)
        spec = REGISTRY.get(self._types[nid])
        rule = spec.backward if spec is not None else ""
        if nid in self.inputs:
            b = _Backward(g, [], {}, LocalRule(rule, None, [f"∂L/∂{nid} = {show(g)}"]), None)
        else:
            b = self._node_vjp(nid, f, g, rule)
        self._bwd[nid] = b
        f.graph_out, f.leaves = None, []  # the node's graph is no longer needed
        if self.first_nonfinite is None and bool(torch.isfinite(g).all()):
            what = self._backward_culprit(nid, b)
            if what:
                self._found_nonfinite(nid, "backward", what)
        return b

    def _node_vjp(self, nid: str, f: _Forward, g: torch.Tensor, rule: str) -> _Backward:
        out = f.graph_out
        assert out is not None
        wrt = [x for x in f.leaves if x.requires_grad] + [p for p in f.params.values() if p.requires_grad]
        grads: tuple[torch.Tensor | None, ...] = ()
        if out.requires_grad and wrt:
            grads = torch.autograd.grad(out, wrt, g, allow_unused=True)
        by_id = {id(t): gr for t, gr in zip(wrt, grads)}
        grad_inputs = [_or_zeros(by_id.get(id(x)), x).detach() for x in f.leaves]
        grad_params = {name: _or_zeros(by_id.get(id(p)), p).detach() for name, p in f.params.items()}
        local = LocalRule(rule, compute=self._local_numbers(nid, f.inputs, g, grad_inputs, grad_params))
        norms = None
        m = self._module(nid)
        if recurrent.supports(m) and f.inputs:
            with self.node_context(nid, m):
                norms = recurrent.time_grad_norms(m, f.inputs[0], g)
        return _Backward(g, grad_inputs, grad_params, local, norms)

    def _local_numbers(self, nid: str, inputs: list[torch.Tensor], g: torch.Tensor, grad_inputs: list[torch.Tensor],
                       grad_params: dict[str, torch.Tensor]) -> Any:
        """What computes a LocalRule's derivatives and numbers when first asked: the node re-run on
        its recorded inputs (a fresh local graph), probed for elementwise-ness."""
        sources = list(self._sources[nid])

        def compute() -> tuple[list[torch.Tensor] | None, list[str]]:
            derivs = None
            if nid != self.analysis.loss:
                with self._lock:
                    m = self._module(nid)
                    leaves = [x.detach().requires_grad_(x.is_floating_point()) for x in inputs]
                    out = self._call(nid, m, leaves, (), copy=nid in self._mutates)
                    params = [p for p in m.parameters()]
                    derivs = elementwise_derivatives(out, leaves, params, self._seeds[nid])
            return derivs, numbers(sources, g, grad_inputs, grad_params, derivs)

        return compute

    def _backward_culprit(self, nid: str, b: _Backward) -> str:
        for port, gi in enumerate(b.grad_inputs):
            if gi.is_floating_point() and not bool(torch.isfinite(gi).all()):
                return f"gradient to input {port} ({self._sources[nid][port]})"
        for name, gp in b.grad_params.items():
            if not bool(torch.isfinite(gp).all()):
                return f"gradient of weight {nid}.{name}"
        return ""


def _or_zeros(g: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    return g if g is not None else torch.zeros_like(like)
