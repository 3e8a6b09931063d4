"""Map a :class:`~.ir.Trace` onto palette layers: :class:`Builder` walks the ops that the output
needs, in execution order, and makes one :class:`~.values.Draft` per node.

Ids. A module's node is named by its path with dots as ``_`` (``layer1.0.conv1`` → ``layer1_0_conv1``;
``0`` → ``n0``); a function's node by the path of the module that called it and the function
(``layer1.0`` + ``add`` → ``layer1_0_add``); a repeat gets ``_1``, ``_2``. The paths themselves are
kept as the groups' names (:mod:`.groups`).

Refusals name the op and its source line: a module or call with no palette equivalent, a module with
weights called twice (GraphLab gives each node its own), a tensor read from the model outside a layer,
an in-place call on a tensor that is used again afterwards, a recurrent output the layer cannot give.
"""
from __future__ import annotations

import keyword
import re
from typing import Any

from ..core.graph import valid_id
from .calls import CALLS, INPLACE_METHODS, arg
from .errors import ImportRefused
from .ir import Op, Ref, Trace
from .modules import RECURRENT, Unsupported, convert_module
from .values import Draft, Python, Recurrent, Tensor

Value = Any


def path_id(path: str) -> str:
    """A module path as a node id: dots and other marks as ``_``; ``n`` before a leading digit."""
    text = re.sub(r"[^A-Za-z0-9_]", "_", path) or "model"
    if text[0].isdigit():
        text = "n" + text
    if keyword.iskeyword(text) or text == "self":
        text += "_"
    return text


class Builder:
    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.ops = {op.name: op for op in trace.ops}
        self.order = {op.name: i for i, op in enumerate(trace.ops)}
        self.values: dict[str, Value] = {}
        self.drafts: dict[str, Draft] = {}
        self.inputs: list[tuple[str, tuple[int, ...]]] = []
        self.output: str | None = None
        self.taken: set[str] = set()
        self.module_nodes: dict[str, str] = {}  # module path -> its node (modules with weights)
        self.rnn_part: dict[str, str] = {}  # recurrent node -> "seq" or "last", once a consumer decided

    # ---- the walk --------------------------------------------------------------------------------
    def run(self) -> None:
        needed = self._needed()
        users = self._users(needed)
        for op in self.trace.ops:
            if op.name not in needed:
                continue
            try:
                self._inplace_check(op, users)
                self.values[op.name] = self._visit(op)
            except Unsupported as e:
                what = op.what or op.target or op.name
                text = str(e)
                self.refuse(op, f"{what} {text}" if text.startswith("has no ") else f"{what}: {text}")
        for nid, d in self.drafts.items():
            if d.type in ("LSTM", "GRU", "RNN"):
                part = self.rnn_part.get(nid, "seq")
                if part == "seq":
                    d.params["output"] = "sequence"

    def refuse(self, op: Op, message: str) -> None:
        raise ImportRefused(message, self.trace.locate(op.name))

    def _needed(self) -> set[str]:
        out = [op for op in self.trace.ops if op.kind == "output"]
        todo = [op.name for op in out]
        seen: set[str] = set(todo)
        while todo:
            for r in self.ops[todo.pop()].refs():
                if r not in seen:
                    seen.add(r)
                    todo.append(r)
        return seen

    def _users(self, needed: set[str]) -> dict[str, list[str]]:
        users: dict[str, list[str]] = {}
        for op in self.trace.ops:
            if op.name in needed:
                for r in op.refs():
                    users.setdefault(r, []).append(op.name)
        return users

    def _inplace_check(self, op: Op, users: dict[str, list[str]]) -> None:
        inplace = (op.kind == "module" and getattr(op.module, "inplace", False)) or op.kwargs.get("inplace") is True \
            or (op.kind == "call" and op.what.startswith("Tensor.") and op.what[7:-2] in INPLACE_METHODS)
        refs = op.refs()
        if not inplace or not refs:
            return
        later = [u for u in users.get(refs[0], []) if self.order[u] > self.order[op.name]]
        if later and isinstance(self.values.get(refs[0]), Tensor):
            raise Unsupported(f"changes its input in place, and that input is used again afterwards "
                              f"({self.ops[later[0]].what or later[0]}); the graph would compute something else")

    def _visit(self, op: Op) -> Value:
        if op.kind == "input":
            return self._input(op)
        if op.kind == "output":
            if isinstance(op.args[0], (tuple, list, dict)):
                raise Unsupported("the forward returns several values; a graph ends in one tensor")
            self.output = self.node_of(op, op.args[0])
            return None
        if op.kind == "attr":
            raise Unsupported("the forward reads this tensor of the model directly; only layers' own weights "
                              "can be imported")
        if op.kind == "module":
            return self._module(op)
        handler = CALLS.get(op.target)
        if handler is None:
            raise Unsupported("has no palette equivalent")
        return handler(self, op)

    def _input(self, op: Op) -> Value:
        if op.shape is None:
            raise Unsupported("the forward's argument is not a tensor")
        nid = self.fresh(op.target if valid_id(op.target) else "x")
        self.inputs.append((nid, op.shape[1:]))
        return Tensor(nid)

    def _module(self, op: Op) -> Value:
        tensors = [a for a in op.args if isinstance(a, Ref)] + [v for v in op.kwargs.values() if isinstance(v, Ref)]
        if len(tensors) != 1 or len(op.args) + len(op.kwargs) != 1:
            raise Unsupported("called with more than one argument (a layer node takes one input)")
        x = tensors[0]
        layer_type, params = convert_module(op.module, self.shape_of(x))
        has_weights = any(True for _ in op.module.parameters())
        if has_weights and op.target in self.module_nodes:
            raise Unsupported(f"called a second time here, sharing its weights with node "
                              f"{self.module_nodes[op.target]}; GraphLab gives each node its own weights")
        out = self.emit(op, layer_type, params, [self.node_of(op, x)], path=op.target)
        if has_weights:
            self.module_nodes[op.target] = out.node
        if isinstance(op.module, RECURRENT):
            return Recurrent(out.node, "all")
        return out

    # ---- helpers for the call handlers --------------------------------------------------------------
    def value(self, a: Any) -> Value:
        return self.values[a.name] if isinstance(a, Ref) else Python(a)

    def shape_of(self, a: Any) -> tuple[int, ...]:
        if not isinstance(a, Ref) or self.ops[a.name].shape is None:
            raise Unsupported(f"expects a tensor, got {a!r}")
        return self.ops[a.name].shape  # type: ignore[return-value]

    def node_of(self, op: Op, a: Any) -> str:
        """The node whose output the argument ``a`` is (a recurrent layer's part decides its ``output``)."""
        v = self.value(a)
        if isinstance(v, Tensor):
            return v.node
        if isinstance(v, Recurrent) and v.part in ("seq", "last"):
            decided = self.rnn_part.setdefault(v.node, v.part)
            if decided != v.part:
                raise Unsupported(f"uses both the whole sequence and the last step of {v.node}; its node gives one")
            return v.node
        if isinstance(v, Recurrent):
            raise Unsupported(f"uses the {'cell state c' if v.part == 'c' else 'hidden states'} of recurrent layer "
                              f"{v.node} ({v.part}); its node gives the whole sequence or the last layer's final state")
        raise Unsupported(f"expects a tensor, got {v.value!r}")

    def recurrent_part(self, op: Op, base: Recurrent, index: Any) -> Value:
        d = self.drafts[base.node]
        lstm = d.type == "LSTM"
        one_way = not d.params.get("bidirectional", False)
        layers = d.params.get("num_layers", 1) * (1 if one_way else 2)
        if base.part == "all" and index in (0, 1):
            return Recurrent(base.node, "seq" if index == 0 else ("state" if lstm else "h"))
        if base.part == "state" and index in (0, 1):
            return Recurrent(base.node, "h" if index == 0 else "c")
        last = one_way and (index in (-1, layers - 1) or (isinstance(index, tuple) and len(index) == 1
                                                           and index[0] in (-1, layers - 1)))
        if base.part == "h" and last:
            return Recurrent(base.node, "last")
        step = isinstance(index, tuple) and len(index) in (2, 3) and index[0] == slice(None) \
            and index[1] == -1 and all(i == slice(None) for i in index[2:])
        if base.part == "seq" and step and one_way:
            return Recurrent(base.node, "last")
        raise Unsupported(f"takes [{_index(index)}] of recurrent layer {base.node}'s {base.part}; GraphLab's node "
                          "gives the whole sequence or, one-way, the last layer's final state (out[:, -1] or h[-1])")

    def emit(self, op: Op, layer_type: str, params: dict[str, Any], inputs: list[str], *, path: str | None = None,
             suffix: str | None = None) -> Tensor:
        if path is not None:
            base = path_id(path)
        else:
            base = (path_id(op.scope) + "_" if op.scope else "") + (op.target or "op")
        if suffix:
            base += "_" + suffix
        nid = self.fresh(base)
        shape = op.shape[1:] if op.shape is not None and not suffix else None
        self.drafts[nid] = Draft(nid, layer_type, params, inputs, path, op.scope, op.name, shape)
        return Tensor(nid)

    def fresh(self, base: str) -> str:
        nid, i = base, 0
        while nid in self.taken:
            i += 1
            nid = f"{base}_{i}"
        self.taken.add(nid)
        return nid


def _index(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return ", ".join(":" if p == slice(None) else str(p) for p in parts)


def map_trace(trace: Trace) -> Builder:
    b = Builder(trace)
    b.run()
    if not b.inputs:
        raise ImportRefused("the model's forward takes no tensor")
    if b.output is None:
        raise ImportRefused("the model's forward returns nothing GraphLab can show")
    return b


__all__ = ["Builder", "map_trace", "path_id", "arg"]
