"""The first tracer: ``torch.fx`` symbolic tracing, then shapes on meta tensors.

Modules the palette knows (:func:`.modules.is_known`) and every other ``torch.nn`` module are leaves:
one ``call_module`` each, so an unknown layer is refused by its name rather than traced into. Source
lines are recorded only when a refusal needs one: the model is traced again with stack traces (fx's
node names are the same in both traces), which costs ~10× the plain trace.
"""
from __future__ import annotations

import functools
from typing import Any

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from .functions import by_name, canonical_function, canonical_method, shown_function
from .ir import Op, Ref, Trace
from .loading import where_in
from .modules import is_known, module_label


class _Tracer(fx.Tracer):
    def __init__(self, stack_traces: bool = False) -> None:
        super().__init__()
        self.record_stack_traces = stack_traces

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return is_known(m) or super().is_leaf_module(m, module_qualified_name)


def trace_fx(model: nn.Module, batch_input: torch.Tensor, path: Any) -> Trace:
    """Trace with torch.fx; raises what fx raises (the caller falls back to torch.export)."""
    graph = _Tracer().trace(model, concrete_args=_defaults(model))
    gm = fx.GraphModule(model, graph)
    ShapeProp(gm).propagate(batch_input)
    ops = [_op(model, n) for n in gm.graph.nodes]
    return Trace(ops, "torch.fx", functools.partial(_locate, model, path))


def _defaults(model: nn.Module) -> dict[str, Any] | None:
    """forward()'s arguments that have defaults, fixed at them (``hidden=None`` stays None, not a tensor)."""
    import inspect

    try:
        params = inspect.signature(model.forward).parameters.values()
    except (TypeError, ValueError):
        return None
    fixed = {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}
    return fixed or None


def _shape(node: fx.Node) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    shape = getattr(meta, "shape", None)
    return tuple(int(d) for d in shape) if shape is not None else None


def _scope(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return next(reversed(stack.values()))[0] if stack else ""


def _arg(value: Any) -> Any:
    """fx's arguments with every fx.Node replaced by a Ref."""
    if isinstance(value, fx.Node):
        return Ref(value.name)
    if isinstance(value, (list, tuple)):
        return type(value)(_arg(v) for v in value) if not hasattr(value, "_fields") else tuple(_arg(v) for v in value)
    if isinstance(value, dict):
        return {k: _arg(v) for k, v in value.items()}
    return value


def _op(model: nn.Module, n: fx.Node) -> Op:
    shape = _shape(n)
    if n.op == "placeholder":
        return Op(n.name, "input", str(n.target), shape=shape)
    if n.op == "output":
        return Op(n.name, "output", "output", (_arg(n.args[0]),))
    if n.op == "get_attr":
        return Op(n.name, "attr", str(n.target), shape=shape, scope=_scope(n), what=f"self.{n.target}")
    if n.op == "call_module":
        module = model.get_submodule(str(n.target))
        parent = str(n.target).rpartition(".")[0]
        return Op(n.name, "module", str(n.target), _arg(tuple(n.args)), _arg(dict(n.kwargs)), shape, parent, module,
                  f"{module_label(module)} {str(n.target)!r}")
    if n.op == "call_method":
        name = str(n.target)
        return Op(n.name, "call", canonical_method(name), _arg(tuple(n.args)), _arg(dict(n.kwargs)), shape,
                  _scope(n), what=f"Tensor.{name}()")
    args, kwargs = by_name(n.target, tuple(n.args), dict(n.kwargs))
    return Op(n.name, "call", canonical_function(n.target), _arg(args), _arg(kwargs), shape, _scope(n),
              what=shown_function(n.target))


def _locate(model: nn.Module, path: Any, name: str) -> str | None:
    """``file.py:line`` of the code that made fx node ``name`` (traced again, with stack traces)."""
    cache = _locations.get(id(model))
    if cache is None:
        cache = {}
        try:
            graph = _Tracer(stack_traces=True).trace(model, concrete_args=_defaults(model))
        except Exception:  # noqa: BLE001 - it traced a moment ago; no line then
            graph = fx.Graph()
        for n in graph.nodes:
            cache[n.name] = n.stack_trace or ""
        _locations.clear()
        _locations[id(model)] = cache
    return _where(cache.get(name, ""), path)


_locations: dict[int, dict[str, str]] = {}


def _where(stack_trace: str, path: Any) -> str | None:
    """The deepest user frame of an fx stack trace (``File "x.py", line 12, in forward`` lines)."""
    import traceback

    frames: list[traceback.FrameSummary] = []
    for line in stack_trace.splitlines():
        line = line.strip()
        if line.startswith('File "'):
            file, _, rest = line[6:].partition('", line ')
            num = rest.split(",")[0]
            if num.isdigit():
                frames.append(traceback.FrameSummary(file, int(num), ""))
    return where_in(frames, path)
