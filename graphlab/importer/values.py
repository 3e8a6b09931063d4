"""What a traced value is while the importer maps ops: a node's output, part of a recurrent layer's
output tuple, or a plain Python value (a size, a shape) computed from the trace's shapes."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Draft:
    """A node to be: its id, layer type, params, the node ids feeding its ports, the module path it
    comes from (its weights' prefix in the state_dict; None for a function), and its scope."""

    id: str
    type: str
    params: dict[str, Any]
    inputs: list[str]
    path: str | None
    scope: str
    op: str  # the op it was made from (for source lines)
    shape: tuple[int, ...] | None = None  # PyTorch's output shape, batch excluded
    extra_ops: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Tensor:
    """The output of node ``node``."""

    node: str


@dataclass(frozen=True)
class Recurrent:
    """Part of an RNN/LSTM/GRU module's output: ``all`` (the tuple), ``seq`` (every step), ``state``
    ((h, c) or h), ``h`` (final states of every layer), ``c``, ``last`` (the last layer's final state)."""

    node: str
    part: str


@dataclass(frozen=True)
class Python:
    """A value that is not a tensor (a size, a shape tuple, a number)."""

    value: Any
