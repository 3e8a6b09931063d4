"""Declarative layer specifications.

A :class:`LayerSpec` says everything GraphLab knows about one layer type without importing torch:
its display name and palette category, its parameter schema (:class:`Param`), how many inputs it
takes, a *shape rule* (input shapes + params -> output shape), a *parameter-count rule*, and a
*torch factory* that builds the ``nn.Module`` (torch is imported inside the factory, never here).

Shapes are per sample, batch excluded, channels first: image ``(C, H, W)``, sequence ``(T, F)``,
vector ``(F,)``; a loss outputs ``()``. Shape rules raise :class:`ShapeError` with a message that
says what is wrong and how to fix it; the validator attaches the node id.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

Shape = tuple[int, ...]



class ShapeError(Exception):
    """Raised by a shape rule when the inputs do not fit the layer."""


class ParamError(Exception):
    """Raised when a parameter value is missing, of the wrong type or out of range."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


KINDS = ("int", "float", "bool", "choice", "pair", "shape", "pair_or_none")


@dataclass(frozen=True)
class Param:
    """One parameter of a layer: its type (``kind``), default, allowed range and one-line help.

    Kinds: ``int``, ``float``, ``bool``, ``choice`` (one of ``choices``), ``pair`` (an int or
    ``[h, w]``), ``pair_or_none`` (like pair, or null meaning "same as another param"), ``shape``
    (a non-empty list of positive ints). ``min``/``max`` bound ints, floats and each pair entry.
    A param with ``required=True`` has no default.
    """

    name: str
    kind: str
    default: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    max_exclusive: bool = False
    choices: tuple[Any, ...] = ()
    required: bool = False

    def range_text(self) -> str:
        lo = "" if self.min is None else (f"> {self.min}" if self.min_exclusive else f">= {self.min}")
        hi = "" if self.max is None else (f"< {self.max}" if self.max_exclusive else f"<= {self.max}")
        return " and ".join(p for p in (lo, hi) if p)

    def _check_range(self, v: float, what: str) -> None:
        lo, hi = self.min, self.max
        bad = (lo is not None and (v <= lo if self.min_exclusive else v < lo)) or (
            hi is not None and (v >= hi if self.max_exclusive else v > hi)
        )
        if bad:
            raise ParamError(self.name, f"{what} must be {self.range_text()}, got {v}")

    def coerce(self, value: Any) -> Any:
        """Return the validated value (ints stay ints, pairs become tuples) or raise ParamError."""
        n, k = self.name, self.kind
        if k == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ParamError(n, f"'{n}' must be an integer, got {_show(value)}")
            self._check_range(value, f"'{n}'")
            return value
        if k == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ParamError(n, f"'{n}' must be a number, got {_show(value)}")
            self._check_range(value, f"'{n}'")
            return float(value)
        if k == "bool":
            if not isinstance(value, bool):
                raise ParamError(n, f"'{n}' must be true or false, got {_show(value)}")
            return value
        if k == "choice":
            if value not in self.choices or isinstance(value, bool) != isinstance(self.choices[0], bool):
                opts = ", ".join(repr(c) for c in self.choices)
                raise ParamError(n, f"'{n}' must be one of {opts}, got {_show(value)}")
            return value
        if k in ("pair", "pair_or_none"):
            if value is None and k == "pair_or_none":
                return None
            if isinstance(value, (list, tuple)) and len(value) == 2:
                items = tuple(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                items = (value, value)
            else:
                raise ParamError(n, f"'{n}' must be an integer or [h, w], got {_show(value)}")
            for v in items:
                if isinstance(v, bool) or not isinstance(v, int):
                    raise ParamError(n, f"'{n}' must hold integers, got {_show(value)}")
                self._check_range(v, f"each entry of '{n}'")
            return items
        if k == "shape":
            if not isinstance(value, (list, tuple)) or not value:
                raise ParamError(n, f"'{n}' must be a non-empty list of positive integers, got {_show(value)}")
            for v in value:
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    raise ParamError(n, f"'{n}' must hold positive integers, got {_show(value)}")
            return tuple(value)
        raise AssertionError(f"unknown param kind {k}")  # pragma: no cover - catalogue bug


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 40 else text[:37] + "..."


ShapeRule = Callable[[Mapping[str, Any], Sequence[Shape]], Shape]
CountRule = Callable[[Mapping[str, Any], Sequence[Shape], Shape], int]
Factory = Callable[[Mapping[str, Any], Sequence[Shape], Shape], Any]
SummaryRule = Callable[[Mapping[str, Any]], str]
#: ``(callee, args, kwargs)``: see :attr:`LayerSpec.export`
ExportCall = tuple[str, tuple[Any, ...], dict[str, Any]]
ExportRule = Callable[[Mapping[str, Any], Sequence[Shape], Shape], ExportCall]

VARIADIC = -1


def _zero(params: Mapping[str, Any], inputs: Sequence[Shape], out: Shape) -> int:
    return 0


@dataclass(frozen=True)
class LayerSpec:
    """Everything about one layer type. ``inputs`` is the port count, or VARIADIC (2 or more)."""

    type: str
    display: str
    category: str
    params: tuple[Param, ...]
    shape: ShapeRule
    factory: Factory
    inputs: int = 1
    count: CountRule = _zero
    summary: SummaryRule | None = None
    help: str = ""
    is_loss: bool = False
    #: losses: the task their targets mean — "classification" (class indices) or "regression" (values)
    task: str | None = None
    #: True when the layer has learnable weights (so a per-node init scheme applies to it)
    has_weights: bool = False
    #: how its units fail, for the health diagnostics: "zero" (dead when zero for every sample, ReLU),
    #: "sigmoid" (saturated near 0 or 1), "tanh" (saturated near ±1); None when they cannot
    saturation: str | None = None
    #: the local backward rule in words, as the course teaches it (shown by the stepper)
    backward: str = ""
    #: how exported code builds the layer: (params, input shapes, output shape) -> ``(callee, args,
    #: kwargs)``, callee ``nn.<Module>`` or the name of one of GraphLab's own modules, args and kwargs
    #: plain values (kwargs only where they differ from the module's defaults). The exporter writes
    #: ``callee(*args, **kwargs)`` with literals, never building the module; it must describe the very
    #: module ``factory`` builds (a test compares the two). None: no module (Input).
    export: ExportRule | None = None
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
                errors.append(ParamError(k, f"unknown parameter '{k}' (known: {known})"))
        return out, errors
