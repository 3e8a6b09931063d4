"""What the stepper dock asks the stepper for: where the inputs come from, which weights, which mode.

:class:`StepOptions` is plain, frozen data built on the GUI thread and handed to the worker thread,
which turns it into a :class:`graphlab.step.Stepper` (:func:`stepper_kwargs`). Typed inputs are
parsed and checked here (:func:`parse_cells`), so a bad cell gets one line naming its Input node
before anything is sent to the worker.

No torch at import time (the editor opens without it); :func:`stepper_kwargs` is called on the
worker and imports what it needs there.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

#: Input nodes with at most this many values per sample can be typed in
TYPED_MAX = 64

SOURCES = ("dataset", "random", "typed")


@dataclass(frozen=True)
class TypedInput:
    node: str
    shape: tuple[int, ...]  # per sample (no batch dimension)
    values: tuple[float, ...]  # C order, prod(shape) of them


@dataclass(frozen=True)
class StepOptions:
    source: str = "random"  # "dataset" | "random" | "typed"
    seed: int = 0
    batch: int = 8
    typed: tuple[TypedInput, ...] = ()
    weights: str | None = None  # a checkpoint file or run folder; None: the compiled initialisation
    train_mode: bool = False
    base_dir: str | None = None  # where the graph's relative dataset paths start

    def describe(self) -> str:
        """One line for the dock: what the next walk will use."""
        if self.source == "typed":
            src = "typed inputs (1 sample)"
        elif self.source == "dataset":
            src = f"a dataset batch of {self.batch}"
        else:
            src = f"random inputs, seed {self.seed}, batch {self.batch}"
        w = "weights from " + self.weights if self.weights else f"initial weights (seed {self.seed})"
        return f"{src} · {w} · {'train' if self.train_mode else 'eval'} mode"


def parse_number(text: str) -> float | None:
    """A cell's number ("−2", "1e-3", "nan", "inf" are fine); None when it is not one."""
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
        if v is None:
            what = "is empty" if not c.strip() else f"'{c.strip()[:20]}' is not a number"
            return None, f"Input {node}, value {i + 1} of {n}: {what}"
        values.append(v)
    return TypedInput(node, shape, tuple(values)), ""


def stepper_kwargs(options: StepOptions, *, gradcheck: bool = False) -> dict[str, Any]:
    """Keyword arguments for :class:`graphlab.step.Stepper` (runs on the worker: imports torch)."""
    import torch

    kw: dict[str, Any] = {"seed": options.seed, "weights": options.weights, "base_dir": options.base_dir}
    if not gradcheck:
        kw["train_mode"] = options.train_mode
    if options.source == "typed":
        kw["inputs"] = {t.node: torch.tensor(t.values, dtype=torch.float64).reshape(t.shape) for t in options.typed}
    else:
        kw["batch"] = min(options.batch, 2) if gradcheck else options.batch
        kw["dataset"] = options.source == "dataset"
    return kw
