"""Step through the forward and backward pass node by node (torch, never Qt).

* :class:`Stepper` (:mod:`graphlab.step.stepper`) — the walk: ``step()``, ``back()``, ``run_to()``,
  ``run()``, ``reset()``; ``records[node_id]`` hold each node's inputs, output and gradients.
* :mod:`graphlab.step.record` — :class:`NodeRecord`, :class:`LocalRule`, :class:`Change`.
* :mod:`graphlab.step.summary` — cheap plain-data views: :func:`summarize`, :func:`histogram`,
  :func:`preview` (≤ 64 values).
* :mod:`graphlab.step.gradcheck` — numerical gradient check per node and parameter.
* :mod:`graphlab.step.recurrent` — RNN/LSTM/GRU unrolled, for ‖∂L/∂h_t‖ over time.
* :mod:`graphlab.step.report` — the JSON the ``graphlab step`` / ``graphlab gradcheck`` commands print.

docs/stepper.md explains the semantics.
"""
from .batch import StepError
from .record import Change, LocalRule, NodeRecord
from .stepper import Stepper
from .summary import Histogram, Preview, TensorSummary, histogram, preview, summarize

__all__ = ["Change", "Histogram", "LocalRule", "NodeRecord", "Preview", "StepError", "Stepper", "TensorSummary",
           "histogram", "preview", "summarize"]
