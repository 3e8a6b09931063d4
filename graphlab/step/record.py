"""What the stepper shows for one node: plain, detached tensors and cheap summaries of them.

A :class:`NodeRecord` is filled in two halves. Its forward step sets ``inputs`` (one tensor per input
port, as the node received them, before any in-place op) and ``output``; its backward step sets
``grad_output`` (∂L/∂output, summed over every consumer), ``grad_inputs`` (∂L/∂input per port: what
the node sends downstream), ``grad_params`` (∂L/∂θ per parameter name) and ``local`` (the rule in
words, the elementwise local derivative when there is one, and the rule applied to these numbers).
``Stepper.back()`` clears the half it undoes. Recorded tensors are never written to again; read them,
don't modify them.

:meth:`NodeRecord.summary` / :meth:`NodeRecord.histogram` / :meth:`NodeRecord.preview` compute their
plain-data views on demand and cache them (per field and index), so a reader pays only for what it
shows. A :class:`Change` says which node and which edges a step (or a step back) touched, so a view
can redraw just those.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import torch

from .summary import HISTOGRAM_BINS, Histogram, Preview, TensorSummary, histogram, preview, summarize

#: record fields that hold one tensor / a list of tensors / a dict of tensors
TENSOR_FIELDS = ("output", "grad_output", "target")
LIST_FIELDS = ("inputs", "grad_inputs")
DICT_FIELDS = ("grad_params",)


#: the two halves of a walk: values forward through every node, then gradients backward
Phase = Literal["forward", "backward"]


class LocalRule:
    """The node's local backward rule.

    ``rule``: the rule in words (the layer spec's ``backward``). ``derivatives``: for a node that is
    elementwise in each input (ReLU, Sigmoid, Tanh, Add, Multiply, Dropout, BatchNorm in eval mode…),
    ∂out/∂input per port as a tensor of the input's shape, so that grad_input = grad_output ·
    derivative; None for nodes that mix elements (Linear, Conv2d, Softmax, pooling, losses).
    ``numbers``: the rule applied to this node's numbers, one line per input port and parameter
    (values in full for tensors of at most 8 elements, summaries otherwise).

    ``derivatives`` and ``numbers`` are computed on first access (the stepper re-runs the node on its
    recorded inputs, which keeps each step cheap) and then kept; ask for them on the thread that
    drives the stepper.
    """

    def __init__(self, rule: str, derivatives: list[torch.Tensor] | None = None, numbers: list[str] | None = None,
                 compute: Callable[[], tuple[list[torch.Tensor] | None, list[str]]] | None = None) -> None:
        self.rule = rule
        self._derivatives = derivatives
        self._numbers = numbers
        self._compute = compute

    def _ensure(self) -> None:
        if self._compute is not None:
            compute, self._compute = self._compute, None
            self._derivatives, self._numbers = compute()

    @property
    def derivatives(self) -> list[torch.Tensor] | None:
        self._ensure()
        return self._derivatives

    @property
    def numbers(self) -> list[str]:
        self._ensure()
        return list(self._numbers or [])

    @property
    def derivative(self) -> torch.Tensor | None:
        """The local derivative with respect to input port 0 (elementwise nodes), else None."""
        d = self.derivatives
        return d[0] if d else None

    @property
    def elementwise(self) -> bool:
        return self.derivatives is not None

    def __repr__(self) -> str:
        state = "pending" if self._compute is not None else f"elementwise={self._derivatives is not None}"
        return f"LocalRule({self.rule!r}, {state})"


@dataclass
class NodeRecord:
    node: str
    type: str
    sources: list[str]  # the node feeding each input port
    inputs: list[torch.Tensor] | None = None
    output: torch.Tensor | None = None
    target: torch.Tensor | None = None  # loss nodes: the targets the loss compares with
    grad_output: torch.Tensor | None = None
    grad_inputs: list[torch.Tensor] | None = None
    grad_params: dict[str, torch.Tensor] | None = None
    local: LocalRule | None = None
    #: recurrent nodes: ‖∂L/∂h_t‖ for t = 1..T (last layer; both directions together)
    time_grad_norms: list[float] | None = None
    _cache: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def forward_done(self) -> bool:
        return self.output is not None

    @property
    def backward_done(self) -> bool:
        return self.grad_output is not None

    def tensor(self, what: str, index: int | str | None = None) -> torch.Tensor | None:
        """One recorded tensor: ``what`` is a field name; ``index`` picks the port (inputs,
        grad_inputs) or the parameter name (grad_params)."""
        value = getattr(self, what)
        if value is None:
            return None
        if what in LIST_FIELDS:
            return value[int(index or 0)]
        if what in DICT_FIELDS:
            return value[index]
        return value

    def _cached(self, kind: str, what: str, index: Any, fn: Any, *args: Any) -> Any:
        t = self.tensor(what, index)
        if t is None:
            return None
        key = (kind, what, index, id(t)) + args
        if key not in self._cache:
            self._cache[key] = fn(t, *args)
        return self._cache[key]

    def summary(self, what: str = "output", index: int | str | None = None) -> TensorSummary | None:
        """shape/mean/std/min/max/norm of one field (None until the step that sets it)."""
        return self._cached("summary", what, index, summarize)

    def histogram(self, what: str = "output", index: int | str | None = None, bins: int = HISTOGRAM_BINS,
                  lo: float | None = None, hi: float | None = None) -> Histogram | None:
        return self._cached("histogram", what, index, histogram, bins, lo, hi)

    def preview(self, what: str = "output", index: int | str | None = None) -> Preview | None:
        """At most 64 values of one field, flattened, with its shape."""
        return self._cached("preview", what, index, preview)

    def clear_forward(self) -> None:
        self.inputs = self.output = self.target = None
        self._cache.clear()

    def clear_backward(self) -> None:
        self.grad_output = self.grad_inputs = self.grad_params = self.local = None
        self.time_grad_norms = None
        self._cache.clear()


@dataclass(frozen=True)
class Change:
    """What one step (``undone=False``) or one step back (``undone=True``) touched.

    ``edges`` are ``(src, dst, port)``: in the forward phase the node's outgoing edges (its value is
    now known on them), in the backward phase its incoming edges (the gradients it sent down them).
    """

    node: str
    phase: Phase
    undone: bool
    edges: tuple[tuple[str, str, int], ...]
