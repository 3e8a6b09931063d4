"""Nodes that join branches: Add and Multiply (2+ inputs, same shape) and Concat."""
from __future__ import annotations

from ..cost import FLOAT, IDENTITY, KEEP_INPUTS, Cost, Window, make, memo, numel
from ..spec import VARIADIC, LayerSpec, Param, Params, Shape, ShapeError, ShapeRule, Shapes
from ._common import fmt, own_module, torch_dim


def _same_shapes(layer: str) -> ShapeRule:
    def rule(p: Params, ins: Shapes) -> Shape:
        first = ins[0]
        for i, s in enumerate(ins[1:], 1):
            if s != first:
                raise ShapeError(f"{layer}: input {i} is {fmt(s)} but input 0 is {fmt(first)}; "
                                 f"all inputs must have the same shape (add a Conv2d/Linear to match)")
        return first
    return rule


def _concat_shape(p: Params, ins: Shapes) -> Shape:
    r = len(ins[0])
    d = p["dim"]
    if not -r <= d < r:
        raise ShapeError(f"Concat: dim {d} is out of range for rank-{r} inputs; use {-r}..{r - 1} "
                         f"(per sample: 0 joins channels)")
    d %= r
    for i, s in enumerate(ins[1:], 1):
        if len(s) != r:
            raise ShapeError(f"Concat: input {i} is {fmt(s)} but input 0 is {fmt(ins[0])}; ranks differ")
        for axis in range(r):
            if axis != d and s[axis] != ins[0][axis]:
                raise ShapeError(f"Concat: input {i} is {fmt(s)} but input 0 is {fmt(ins[0])}; they must "
                                 f"match in every dimension except dim {d} (size differs in dim {axis})")
    out = list(ins[0])
    out[d] = sum(s[d] for s in ins)
    return tuple(out)


def _spatial(out: Shape) -> Window | None:
    return IDENTITY if len(out) == 3 else None


_add_cost = memo(lambda p, ins, out: (out, len(ins)),
                 lambda p, ins, out: make(0, (len(ins) - 1) * numel(out), 0, 0, 0, 0, 0, _spatial(out)))


def _multiply_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    # a·b·c: each product keeps its two factors, so the inputs and the partial products are kept
    n = numel(out)
    return make(0, (len(ins) - 1) * n, 0, 0, KEEP_INPUTS, FLOAT * n * (len(ins) - 2), 0, _spatial(out))


def _concat_cost(p: Params, ins: Shapes, out: Shape) -> Cost:
    # a copy; joining channels keeps every position where it is, joining along a spatial axis does not
    return make(0, 0, 0, 0, 0, 0, 0, IDENTITY if len(out) == 3 and p["dim"] % 3 == 0 else None)


SPECS = [
    LayerSpec(type="Add", display="Add", category="Merge", params=(), inputs=VARIADIC,
              shape=_same_shapes("Add"), cost=_add_cost, torch=own_module("Add"),
              backward="add distributes: every input gets dout unchanged",
              help="Element-wise sum of its inputs; the gradient is copied to every input."),
    LayerSpec(type="Multiply", display="Multiply", category="Merge", params=(), inputs=VARIADIC,
              shape=_same_shapes("Multiply"), cost=_multiply_cost, torch=own_module("Multiply"), nonlinear=True,
              backward="multiply swaps: dx_i = dout · (product of the other inputs)",
              help="Element-wise product; each input's gradient is the upstream times the others."),
    LayerSpec(type="Concat", display="Concat", category="Merge", inputs=VARIADIC,
              params=(Param("dim", "int", 0, "dimension to join along, per sample (0 = channels)"),),
              shape=_concat_shape, cost=_concat_cost, torch=own_module("Concat", lambda p, ins, out: {"dim": torch_dim(p["dim"])}),
              summary=lambda p: f"Concat dim {p['dim']}",
              backward="dout is sliced back into one piece per input along dim",
              help="Joins its inputs along dim, in port order."),
]
