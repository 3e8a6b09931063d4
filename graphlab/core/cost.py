"""What a layer costs: the figures a cost rule returns, and the receptive-field arithmetic.

Each :class:`~graphlab.core.spec.LayerSpec` states its cost rule next to its shape rule:
``cost(params, input_shapes, output_shape) -> Cost``, per sample (batch 1). The analysis
(:mod:`graphlab.core.analysis`) turns it into a node's figures; :mod:`graphlab.core.training_cost`
adds up a training step. Conventions (docs/cost.md):

* **MACs** — multiply-accumulates of the matrix products (convolution, linear maps, the recurrent
  gates). **FLOPs = 2 × MACs**, exactly what ``torch.utils.flop_counter.FlopCounterMode`` counts
  (fvcore, ptflops, thop and torchinfo call MACs "FLOPs").
* **other ops** — element-wise work (activations, normalisation, pooling, additions, bias adds,
  comparisons), one per element per operation; FlopCounterMode counts none of it. An estimate where
  the MACs are exact.
* **backward** — ``bwd_macs`` is always done (the weights' gradients, and for recurrent layers the
  gradient through the hidden state); ``bwd_input_macs`` only when the layer's input needs a
  gradient (something before it has weights). The first convolution of a network does not compute
  the gradient of the image.
* **saved** — what autograd keeps for the backward pass, when this node takes part in it (it has
  weights, or its input needs a gradient): ``keeps`` names tensors of the graph
  (:data:`KEEP_INPUTS` its inputs, :data:`KEEP_OUTPUT` its output; :data:`VIEW` says its output
  shares its input's storage), ``saved`` the bytes per sample of tensors only it holds (max-pool
  indices, a dropout mask, a recurrent layer's per-step states), ``saved_fixed`` bytes that do not
  grow with the batch (batch norm's per-channel statistics). Parameters are never counted here:
  they are the weights.
* **window** — the receptive-field geometry of a layer whose output keeps the image's spatial
  axes: ((kh, kw), (sh, sw), (ph, pw), (dh, dw)); :data:`IDENTITY` for element-wise layers;
  ``None`` when the output's units do not map onto image positions (Flatten, Linear).

No torch here: the rules are arithmetic on shapes.
"""
from __future__ import annotations

from math import prod
from typing import Any, Callable, Mapping, NamedTuple, Sequence

from .text import fmt_count

Shape = tuple[int, ...]
Pair = tuple[int, int]
Window = tuple[Pair, Pair, Pair, Pair]  # kernel, stride, padding, dilation per axis (h, w)

KEEP_INPUTS = 1
KEEP_OUTPUT = 2
VIEW = 4
FLOAT = 4  # bytes of a float32
INDEX = 8  # bytes of an int64 index

IDENTITY: Window = ((1, 1), (1, 1), (0, 0), (1, 1))


class Cost(NamedTuple):
    """One layer's cost for one sample (see the module docstring)."""

    macs: int = 0
    other: int = 0
    bwd_macs: int = 0
    bwd_input_macs: int = 0
    keeps: int = 0
    saved: int = 0
    saved_fixed: int = 0
    window: Window | None = None


_new = tuple.__new__  # builds a NamedTuple without its Python-level __new__ (the analysis is on a hot path)


def make(macs: int, other: int, bwd_macs: int, bwd_input_macs: int, keeps: int, saved: int, saved_fixed: int,
         window: Window | None) -> Cost:
    """``Cost(...)`` with every field given, positionally, three times faster (cost rules use it)."""
    return _new(Cost, (macs, other, bwd_macs, bwd_input_macs, keeps, saved, saved_fixed, window))


#: no compute, nothing kept, no spatial meaning (the default for a layer that declares nothing)
NO_COST = Cost()
#: the graph's Input: its output is the batch, an image keeps its positions
INPUT_COST = Cost(window=IDENTITY)


class Field(NamedTuple):
    """The receptive field of a node's units in its input image, per axis (h, w): ``size`` input
    pixels, ``stride`` (the jump between neighbouring units' fields) and ``start`` (the first input
    row/column of unit (0, 0)'s field; negative when padding puts it outside the image). Unit (i, j)
    sees rows ``start_h + i·stride_h`` … ``+ size_h − 1`` (clipped to the image)."""

    size_h: int
    size_w: int
    stride_h: int
    stride_w: int
    start_h: int
    start_w: int

    def rows(self, i: int, j: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), inclusive, of unit (i, j)'s field (not clipped)."""
        top, left = self.start_h + i * self.stride_h, self.start_w + j * self.stride_w
        return top, left, top + self.size_h - 1, left + self.size_w - 1

    def to_json(self) -> dict[str, list[int]]:
        return {"size": [self.size_h, self.size_w], "stride": [self.stride_h, self.stride_w],
                "start": [self.start_h, self.start_w]}


#: an Input image's own field: each unit sees itself
PIXEL = Field(1, 1, 1, 1, 0, 0)


def through(f: Field, w: Window) -> Field:
    """The field after a layer with window ``w`` (kernel k, stride s, padding p, dilation d, per axis):
    size += d·(k − 1)·jump, jump ×= s, start −= p·jump."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = w
    rh, rw, jh, jw, th, tw = f
    return _new(Field, (rh + dh * (kh - 1) * jh, rw + dw * (kw - 1) * jw, jh * sh, jw * sw, th - ph * jh, tw - pw * jw))


def merge(fields: Sequence[Field]) -> Field | str:
    """The field of a unit that joins branches (Add, Multiply, Concat over channels): the smallest box
    holding every branch's field, which is the largest over paths when the branches line up. A text
    saying why when they do not (different strides: the branches' units sit on different grids)."""
    rh, rw, jh, jw, top, left = fields[0]
    bottom, right = top + rh, left + rw
    for f in fields[1:]:
        if f is fields[0]:
            continue
        if f[2] != jh or f[3] != jw:
            return (f"receptive field: the branches do not line up (strides {jh}×{jw} and {f[2]}×{f[3]}); "
                    f"no field is given from here on")
        if f[4] < top:
            top = f[4]
        if f[5] < left:
            left = f[5]
        if f[4] + f[0] > bottom:
            bottom = f[4] + f[0]
        if f[5] + f[1] > right:
            right = f[5] + f[1]
    return _new(Field, (bottom - top, right - left, jh, jw, top, left))


def si(n: float, unit: str = "") -> str:
    """A count with an SI prefix, three significant digits: ``si(1.5e9, "FLOPs")`` → ``1.50 GFLOPs``,
    ``si(820)`` → ``820``."""
    try:
        n = float(n)
    except OverflowError:  # a count past 1e308 (a hostile file's layer): no prefix reads it
        return f"{fmt_count(int(n))} {unit}".rstrip()
    for div, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            v = n / div
            return f"{v:.3g} {prefix}{unit}" if v < 1000 else f"{v:,.0f} {prefix}{unit}"
    text = f"{n:.3g}" if n != int(n) else f"{int(n)}"
    return f"{text} {unit}".rstrip()


# ---- helpers the catalogue's cost rules share -----------------------------------------------------------
numel = prod  # elements of a shape


Rule = Callable[[Mapping[str, Any], Sequence[Shape], Shape], "Cost"]  # what LayerSpec.cost holds


def elementwise(ops: int, keeps: int = 0, window: Window | None = IDENTITY) -> Rule:
    """A cost rule for a layer that applies ``ops`` operations to each output element. Its answers are
    kept per output shape (a network repeats its shapes), at most 512 of them."""
    memo: dict[Shape, Cost] = {}

    def rule(params: Mapping[str, Any], ins: Sequence[Shape], out: Shape) -> Cost:
        got = memo.get(out)
        if got is None:
            if len(memo) >= 512:
                memo.clear()
            got = memo[out] = make(0, ops * prod(out), 0, 0, keeps, 0, 0, window if len(out) == 3 else None)
        return got
    return rule


def memo(key: Callable[[Mapping[str, Any], Sequence[Shape], Shape], Any], build: Rule) -> Rule:
    """A cost rule that remembers its answers by ``key(params, ins, out)`` (hashable), at most 512:
    ``build(params, ins, out)`` runs once per distinct key. For rules called on every node of every
    analysis, whose answers a network repeats (the same shapes over and over)."""
    kept: dict[Any, Cost] = {}

    def rule(params: Mapping[str, Any], ins: Sequence[Shape], out: Shape) -> Cost:
        k = key(params, ins, out)
        got = kept.get(k)
        if got is None:
            if len(kept) >= 512:
                kept.clear()
            got = kept[k] = build(params, ins, out)
        return got
    return rule


def matmul(macs: int, bias: int, extra_other: int = 0, saved: int = 0, keeps: int = KEEP_INPUTS,
           window: Window | None = None) -> Cost:
    """A layer made of one matrix product with weights (Linear, a convolution): the weights' gradient
    costs the forward's MACs again, and so does the input's."""
    return _new(Cost, (macs, bias + extra_other, macs, macs, keeps, saved, 0, window))


__all__ = ["Cost", "Field", "FLOAT", "IDENTITY", "INDEX", "INPUT_COST", "KEEP_INPUTS", "KEEP_OUTPUT", "NO_COST",
           "PIXEL", "VIEW", "Window", "elementwise", "make", "matmul", "memo", "merge", "numel", "si", "through"]
