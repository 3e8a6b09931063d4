"""The second tracer: ``torch.export`` (non-strict), for models torch.fx cannot trace — Python control
flow on shapes (``if x.shape[-1] > 8``), loops over sizes — which export resolves for the given shape.

Export records ATen operations, each with the stack of modules that ran it (``nn_module_stack``).
A run of operations made by one known module (``aten.conv2d`` inside an ``nn.Conv2d``) becomes that
module's op, exactly as torch.fx would have given it, so one mapper serves both; the operations in
the user's own forward are named by :func:`.functions.canonical_aten`. A recurrent module's outputs
(``aten.lstm``: sequence, h, c) become the (sequence, state) tuple its forward returns.
"""
from __future__ import annotations

import contextlib
import io
import logging
import operator
import warnings
from typing import Any, Iterator

import torch
from torch import fx, nn

from .front_fx import _where
from .functions import by_name, canonical_aten, shown_aten
from .ir import Op, Ref, Trace
from .modules import RECURRENT, is_known, module_label


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """torch.export logs and warns on stderr; the user reads one line from GraphLab instead."""
    names = ("torch", "torch._dynamo", "torch.export", "torch.fx", "torch._export")
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()), \
                contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for n, level in levels.items():
            logging.getLogger(n).setLevel(level)


def trace_export(model: nn.Module, batch_input: torch.Tensor, path: Any) -> Trace:
    with quiet():
        program = torch.export.export(model, (batch_input,), strict=False)
    sig = program.graph_signature
    weights = set(sig.inputs_to_parameters) | set(sig.inputs_to_buffers) | set(sig.inputs_to_lifted_tensor_constants)
    return Trace(_Converter(model, program.graph, weights).ops(), "torch.export",
                 lambda name: _where(_stacks(program.graph).get(name, ""), path))


def _stacks(graph: fx.Graph) -> dict[str, str]:
    return {n.name: n.meta.get("stack_trace") or "" for n in graph.nodes}


def _shape(node: fx.Node) -> tuple[int, ...] | None:
    val = node.meta.get("val")
    shape = getattr(val, "shape", None)
    return tuple(int(d) for d in shape) if shape is not None and isinstance(val, torch.Tensor) else None


def _innermost(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return next(reversed(stack.values()))[0] if stack else ""


class _Converter:
    def __init__(self, model: nn.Module, graph: fx.Graph, weights: set[str]) -> None:
        self.model, self.graph, self.weights = model, graph, weights
        self.refmap: dict[str, Any] = {}

    def _known(self, path: str) -> nn.Module | None:
        if not path:
            return None
        try:
            m = self.model.get_submodule(path)
        except AttributeError:
            return None
        return m if is_known(m) else None

    def _arg(self, v: Any) -> Any:
        if isinstance(v, fx.Node):
            return self.refmap.get(v.name, Ref(v.name))
        if isinstance(v, (list, tuple)):
            return type(v)(self._arg(x) for x in v)
        if isinstance(v, dict):
            return {k: self._arg(x) for k, x in v.items()}
        return v

    def ops(self) -> list[Op]:
        nodes = list(self.graph.nodes)
        out: list[Op] = []
        i = 0
        while i < len(nodes):
            n = nodes[i]
            path = _innermost(n) if n.op == "call_function" else ""
            module = self._known(path)
            if module is not None:
                j = i
                while j < len(nodes) and nodes[j].op == "call_function" and _innermost(nodes[j]) == path:
                    j += 1
                out += self._module_call(path, module, nodes[i:j])
                i = j
                continue
            out += self._single(n)
            i += 1
        return out

    def _single(self, n: fx.Node) -> list[Op]:
        if n.op == "placeholder":
            if n.name in self.weights:
                return [Op(n.name, "attr", n.name, shape=_shape(n), what="a weight")]
            return [Op(n.name, "input", n.name, shape=_shape(n))]
        if n.op == "output":
            outs = n.args[0]
            return [Op(n.name, "output", "output", (self._arg(outs[0] if len(outs) == 1 else tuple(outs)),))]
        if n.op == "get_attr":
            return [Op(n.name, "attr", str(n.target), shape=_shape(n), what=f"self.{n.target}")]
        if n.target is operator.getitem:
            return [Op(n.name, "call", "getitem", self._arg(tuple(n.args)), shape=_shape(n), scope=_innermost(n),
                       what="[]")]
        args, kwargs = by_name(n.target, tuple(n.args), dict(n.kwargs))
        return [Op(n.name, "call", canonical_aten(n.target), self._arg(args), self._arg(kwargs), _shape(n),
                   _innermost(n), what=shown_aten(n.target))]

    def _module_call(self, path: str, module: nn.Module, run: list[fx.Node]) -> list[Op]:
        inside = {n.name for n in run}
        inputs: list[Any] = []
        for n in run:
            for a in n.all_input_nodes:
                if a.name not in inside and a.name not in self.weights and a.name not in [r.name for r in inputs]:
                    inputs.append(self._arg(a))
        used_outside = [n for n in run if any(u.name not in inside for u in n.users)]
        name = run[-1].name if not isinstance(module, RECURRENT) else f"{run[0].name}_module"
        parent = path.rpartition(".")[0]
        what = f"{module_label(module)} {path!r}"
        shape = _shape(used_outside[-1]) if used_outside and not isinstance(module, RECURRENT) else None
        ops = [Op(name, "module", path, tuple(inputs), {}, shape, parent, module, what)]
        if not isinstance(module, RECURRENT):
            for n in used_outside:
                self.refmap[n.name] = Ref(name)
            return ops
        # aten.lstm gives (sequence, h, c); aten.gru / rnn give (sequence, h): rebuild (seq, state)
        lstm = isinstance(module, nn.LSTM)
        seq = Op(f"{name}_seq", "call", "getitem", (Ref(name), 0), shape=None, scope=parent, what="[0]")
        state = Op(f"{name}_state", "call", "getitem", (Ref(name), 1), scope=parent, what="[1]")
        ops += [seq, state]
        parts = {0: Ref(seq.name)}
        if lstm:
            ops += [Op(f"{name}_h", "call", "getitem", (Ref(state.name), 0), scope=parent, what="[0]"),
                    Op(f"{name}_c", "call", "getitem", (Ref(state.name), 1), scope=parent, what="[1]")]
            parts.update({1: Ref(f"{name}_h"), 2: Ref(f"{name}_c")})
        else:
            parts[1] = Ref(state.name)
        for n in used_outside:
            if n.target is operator.getitem and n.args[1] in parts:
                self.refmap[n.name] = parts[n.args[1]]
                if n.args[1] == 0:
                    seq.shape = _shape(n)
        return ops
