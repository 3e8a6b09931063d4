"""Step through the forward and backward pass node by node (torch, never Qt).

* :class:`Stepper` (:mod:`graphlab.step.stepper`) — the walk: ``step()``, ``back()``, ``run_to()``,
  ``run()``, ``reset()``; ``records[node_id]`` hold each node's inputs, output and gradients.
* :mod:`graphlab.step.record` — :class:`NodeRecord`, :class:`LocalRule`, :class:`Change`.
* :mod:`graphlab.step.summary` — cheap plain-data views: :func:`summarize`, :func:`histogram`,
  :func:`preview` (≤ 64 values).
* :mod:`graphlab.step.gradcheck` — numerical gradient check per node and parameter.
* :mod:`graphlab.step.recurrent` — RNN/LSTM/GRU unrolled, for ‖∂L/∂h_t‖ over time.
* :mod:`graphlab.step.report` — the JSON the ``graphlab step`` / ``graphlab gradcheck`` commands print.
* :mod:`graphlab.step.config` — :class:`StepConfig`, the stepper's configuration (the graph file's
  ``step`` section), which the CLI and the editor build alike. No torch.

docs/stepper.md explains the semantics.

The names below are imported on first use (PEP 562), so ``graphlab.step.config`` can be read
without importing torch (the editor and ``graphlab check`` do).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .batch import StepError
    from .config import StepConfig, StepConfigError, parse_step
    from .record import Change, LocalRule, NodeRecord
    from .stepper import Stepper
    from .summary import Histogram, Preview, TensorSummary, histogram, preview, summarize

_WHERE = {"StepError": "batch", "Change": "record", "LocalRule": "record", "NodeRecord": "record",
          "Stepper": "stepper", "Histogram": "summary", "Preview": "summary", "TensorSummary": "summary",
          "histogram": "summary", "preview": "summary", "summarize": "summary", "StepConfig": "config",
          "StepConfigError": "config", "parse_step": "config"}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'graphlab.step' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
