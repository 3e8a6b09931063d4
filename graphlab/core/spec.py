"""Declarative layer specifications.

A :class:`LayerSpec` says everything GraphLab knows about one layer type without importing torch:
its display name and palette category, its parameter schema (:class:`Param`), how many inputs it
takes, a *shape rule* (input shapes + params -> output shape), a *parameter-count rule*, a *cost rule*
(MACs, element-wise ops, what autograd keeps for backward, the receptive-field window), which
``nn.Module`` implements it (:class:`TorchModule`: a class *name* and its constructor arguments as
plain values; :mod:`graphlab.compiler.layers` resolves the name), and what the rest of GraphLab
needs to know about it: whether it has weights, a loss's task, how an activation saturates, the
nonlinearity its init gain follows, its backward rule in words, whether it is nonlinear and whether
it acts only while training. Nothing outside the catalogue
compares type names: adding a layer backed by a ``torch.nn`` class touches one file in
``graphlab/core/layers``; one backed by GraphLab's own module also adds that class to
``graphlab/compiler/modules.py`` (torch code cannot live here).

Shapes are per sample, batch excluded, channels first: image ``(C, H, W)``, sequence ``(T, F)``,
vector ``(F,)``; a loss outputs ``()``. Shape rules raise :class:`ShapeError` with a message that
says what is wrong and how to fix it; the validator attaches the node id.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, Sequence

from . import fields
from .cost import NO_COST, Cost
from .fields import FieldError
from .text import quote

Shape = tuple[int, ...]
#: the kinds of value a layer parameter holds (see :class:`Param`)
ParamKind = Literal["int", "float", "bool", "choice", "pair", "pair_or_none", "shape"]
#: the nonlinearity after a layer, for Kaiming's gain (the names torch.nn.init.calculate_gain takes)
Gain = Literal["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
#: what a loss's targets mean: class indices or real values
Task = Literal["classification", "regression"]



class ShapeError(Exception):
    """Raised by a shape rule when the inputs do not fit the layer."""


class ParamError(FieldError):
    """Raised when a parameter value is missing, of the wrong type or out of range. ``name`` is the
    parameter's name; the message reads ``'name' must be ...`` (a :class:`~.fields.FieldError`)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(name, message, message)
        self.name = name


def _param_error(name: str, reason: str) -> FieldError:
    return ParamError(name, f"'{name}' {reason}")


KINDS = ("int", "float", "bool", "choice", "pair", "shape", "pair_or_none")


@dataclass(frozen=True)
class Param:
    """One parameter of a layer: its type (``kind``), default, allowed range and one-line help.

    Kinds: ``int``, ``float``, ``bool``, ``choice`` (one of ``choices``), ``pair`` (an int or
    ``[h, w]``), ``pair_or_none`` (like pair, or null meaning "same as another param"), ``shape``
    (a non-empty list of positive ints). ``min``/``max`` bound ints, floats and each pair entry;
    ``log`` marks a float edited by factors of ten. A param with ``required=True`` has no default.

    The checking is the field language's (:mod:`graphlab.core.fields`): ``field`` is the
    :class:`~.fields.Field` this declaration makes, and ``coerce``/``range_text`` are its.
    """

    name: str
    kind: ParamKind
    default: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    choices: tuple[Any, ...] = ()
    required: bool = False
    log: bool = False
    field: fields.Field = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field", _make_field(self))

    def range_text(self) -> str:
        return self.field.range_text()

    def coerce(self, value: Any) -> Any:
        """Return the validated value (ints stay ints, pairs become tuples) or raise ParamError."""
        return self.field.coerce(value)


def _make_field(p: Param) -> fields.Field:
    common: dict[str, Any] = {"name": p.name, "default": p.default, "help": p.help, "required": p.required,
                              "raises": _param_error}
    bounds: dict[str, Any] = {"lo": p.min, "hi": p.max, "lo_open": p.min_exclusive, "hi_open": p.max_exclusive}
    k = p.kind
    if k == "int":
        return fields.IntField(**common, **bounds)
    if k == "float":
        return fields.FloatField(**common, **bounds, log=p.log)
    if k == "bool":
        return fields.BoolField(**common)
    if k == "choice":
        return fields.ChoiceField(**common, choices=tuple(p.choices))
    if k in ("pair", "pair_or_none"):
        return fields.PairField(**common, **bounds, nullable=k == "pair_or_none", null_text="auto")
    if k == "shape":
        return fields.ShapeField(**common)
    raise AssertionError(f"unknown param kind {k}")  # pragma: no cover - catalogue bug


#: a layer's resolved parameters and its input shapes, as its rules receive them
Params = Mapping[str, Any]
Shapes = Sequence[Shape]
ShapeRule = Callable[[Mapping[str, Any], Sequence[Shape]], Shape]
CountRule = Callable[[Mapping[str, Any], Sequence[Shape], Shape], int]
KwargsRule = Callable[[Mapping[str, Any], Sequence[Shape], Shape], dict[str, Any]]
SummaryRule = Callable[[Mapping[str, Any]], str]
#: (resolved params, input shapes, output shape) -> what one sample costs (graphlab.core.cost)
CostRule = Callable[[Mapping[str, Any], Sequence[Shape], Shape], Cost]
#: (resolved params, number of classes) -> the loss expected before any training
InitialLossRule = Callable[[Mapping[str, Any], int], float]

VARIADIC = -1


def _zero(params: Mapping[str, Any], inputs: Sequence[Shape], out: Shape) -> int:
    return 0


def _no_cost(params: Mapping[str, Any], inputs: Sequence[Shape], out: Shape) -> Cost:
    return NO_COST


def _no_kwargs(params: Mapping[str, Any], inputs: Sequence[Shape], out: Shape) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class TorchModule:
    """Which ``nn.Module`` implements a layer, named, so that graphlab.core never imports torch.

    ``name`` is a class of ``torch.nn`` (``own=False``) or one of GraphLab's own modules in
    ``graphlab.compiler.modules`` (``own=True``). ``kwargs(params, input_shapes, output_shape)``
    gives its constructor's keyword arguments as plain Python values (ints, floats, bools, strings,
    tuples of them), so the compiler builds ``cls(**kwargs)`` and an exporter can write the same
    call as source with ``repr``.
    """

    name: str
    kwargs: KwargsRule = _no_kwargs
    own: bool = False

    @property
    def qualname(self) -> str:
        """How generated code names the class: ``nn.Conv2d``, or ``Maxout`` for GraphLab's own."""
        return self.name if self.own else f"nn.{self.name}"


@dataclass(frozen=True)
class LayerSpec:
    """Everything about one layer type. ``inputs`` is the port count, or VARIADIC (2 or more)."""

    type: str
    display: str
    category: str
    params: tuple[Param, ...]
    shape: ShapeRule
    #: the nn.Module that implements it; None for Input, which becomes a forward() argument
    torch: TorchModule | None
    inputs: int = 1
    count: CountRule = _zero
    #: MACs, element-wise ops, backward MACs, what autograd keeps, receptive-field window (graphlab.core.cost)
    cost: CostRule = _no_cost
    summary: SummaryRule | None = None
    help: str = ""
    is_loss: bool = False
    #: losses: the task their targets mean — "classification" (class indices) or "regression" (values)
    task: Task | None = None
    #: True when the layer has learnable weights
    has_weights: bool = False
    #: True when the init schemes (``training.init``, a node's ``init``) apply to it: its weights are
    #: matrices or filters with a fan-in and fan-out (Linear, Conv2d, Maxout, RNN/LSTM/GRU). Layers whose
    #: few weights have a fixed meaning at the start (BatchNorm's γ = 1, β = 0; PReLU's slope 0.25) keep
    #: PyTorch's values: an ``init`` set on them is reported as a warning and ignored.
    initialisable: bool = False
    #: how its units fail, for the health diagnostics: "zero" (dead when zero for every sample, ReLU),
    #: "sigmoid" (saturated near 0 or 1), "tanh" (saturated near ±1); None when they cannot
    saturation: str | None = None
    #: the local backward rule in words, as the course teaches it (shown by the stepper)
    backward: str = ""
    #: the named function the layer applies ("softmax", "sigmoid"), so a loss that applies it
    #: itself (``applies_first``) can warn that it would be applied twice
    computes: str | None = None
    #: losses: the functions they apply to the prediction first (CrossEntropyLoss: softmax)
    applies_first: tuple[str, ...] = ()
    #: the nonlinearity, named as torch.nn.init.calculate_gain names it ("relu", "leaky_relu",
    #: "tanh", "sigmoid"), whose gain the init of the weighted layer feeding this one uses
    init_gain: Gain | None = None
    #: classification losses: the loss expected before training for C classes with small random
    #: weights (CS231n's sanity check: ln C for softmax cross-entropy)
    initial_loss: InitialLossRule | None = None
    #: it acts only while training, drawing random numbers (Dropout), and is deterministic in eval
    #: mode: the overfit check runs such layers in eval mode
    stochastic: bool = False
    #: its output is not an affine function of its inputs (in eval mode): activations, max pooling,
    #: recurrent cells, products, losses. A network with none of them before its loss is a linear model
    nonlinear: bool = False
    legacy_names: tuple[str, ...] = ()
    param_index: dict[str, Param] = field(init=False, repr=False, compare=False)
    defaults: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_index", {p.name: p for p in self.params})
        object.__setattr__(self, "defaults", {p.name: p.coerce(p.default) if p.default is not None else None
                                              for p in self.params if not p.required})

    @property
    def variadic(self) -> bool:
        return self.inputs == VARIADIC

    @property
    def is_input(self) -> bool:
        """The graph's entry: takes no inputs, becomes an argument of the compiled forward()."""
        return self.inputs == 0

    def resolve(self, given: Mapping[str, Any]) -> tuple[dict[str, Any], list[ParamError]]:
        """Fill defaults and validate. Returns (resolved params, errors); unknown names are errors."""
        out: dict[str, Any] = {}
        errors: list[ParamError] = []
        for p in self.params:
            if p.name in given:
                try:
                    out[p.name] = p.coerce(given[p.name])
                except ParamError as e:
                    errors.append(e)
            elif p.required:
                errors.append(ParamError(p.name, f"'{p.name}' is required ({p.help})"))
            else:
                out[p.name] = self.defaults[p.name]
        for k in given:
            if k not in self.param_index:
                known = ", ".join(self.param_index) or "none"
                errors.append(ParamError(k, f"unknown parameter {quote(k)} (known: {known})"))
        return out, errors
