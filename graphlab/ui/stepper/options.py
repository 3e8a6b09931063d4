"""What the stepper dock hands the worker: the :class:`~graphlab.step.config.StepConfig` and where the
graph's relative paths start.

There is one stepper configuration, :class:`graphlab.step.config.StepConfig` (the graph file's ``step``
section, which ``graphlab step`` reads too); :class:`StepOptions` only adds the folder relative
dataset and weights paths start from. It is plain, frozen data built on the GUI thread and handed to
the worker thread, which turns it into a :class:`graphlab.step.Stepper` (:func:`stepper_kwargs`).
Typed cells are parsed here (:func:`parse_cells`), so a bad cell gets one line naming its Input node
before anything is sent to the worker. No torch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from ...step.config import SOURCES, TYPED_MAX, StepConfig, TypedInput

__all__ = ["SOURCES", "TYPED_MAX", "StepOptions", "TypedInput", "parse_cells", "parse_number", "stepper_kwargs"]


@dataclass(frozen=True)
class StepOptions:
    config: StepConfig = field(default_factory=StepConfig)
    base_dir: str | None = None  # where the graph's relative dataset and weights paths start

    def describe(self) -> str:
        """One line for the dock: what the next walk will use."""
        return self.config.describe()


def parse_number(text: str) -> float | None:
    """A cell's number ("−2", "1e-3" are fine); None when it is not one."""
    t = text.strip().replace("−", "-")
    if not t:
        return None
    try:
        return float(t)
    except ValueError:
        return None


def parse_cells(node: str, shape: Sequence[int], cells: Sequence[str]) -> tuple[TypedInput | None, str]:
    """(the typed input, "") or (None, one line naming the node and the cell at fault)."""
    shape = tuple(int(s) for s in shape)
    n = math.prod(shape)
    if len(cells) != n:
        return None, f"Input {node}: {len(cells)} values typed but its shape {list(shape)} needs {n}"
    values = []
    for i, c in enumerate(cells):
        v = parse_number(c)
        if v is None or not math.isfinite(v):
            what = "is empty" if not c.strip() else (f"'{c.strip()[:20]}' is not a number" if v is None else
                                                     f"'{c.strip()[:20]}' is not a finite number")
            return None, f"Input {node}, value {i + 1} of {n}: {what}"
        values.append(v)
    return TypedInput(node, shape, tuple(values)), ""


def stepper_kwargs(options: StepOptions, *, gradcheck: bool = False) -> dict[str, Any]:
    """Keyword arguments for :class:`graphlab.step.Stepper` (the configuration's, with the graph's folder)."""
    return options.config.stepper_kwargs(options.base_dir, gradcheck=gradcheck)
