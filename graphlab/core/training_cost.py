"""What one training step costs: memory in four stacked parts, FLOPs, and the time they take here.

``training_cost(analysis, batch, optimizer)`` adds up the nodes' figures (:mod:`graphlab.core.cost`)
for a batch of ``batch`` samples and an optimizer named as the training section names it:

* **weights** — every parameter, float32;
* **gradients** — one per trained parameter (allocated by the first backward pass, kept between
  steps); a frozen node's (``"trainable": false``) have none;
* **optimizer state** — per trained parameter, ``OPTIMIZER_SLOTS`` tensors the size of the weights (none for
  SGD, a velocity for momentum, Nesterov, Adagrad and RMSProp, two moments for Adam);
* **activations** — what autograd keeps for the backward pass, each tensor once
  (:meth:`~graphlab.core.analysis.Analysis.saved_bytes`), at this batch size.

They are *stacked*: in a steady training step all four are alive together (the trainer clears the
gradients after the forward pass, just before the backward pass), which is what the peak is made of;
the temporaries a layer makes and frees on top are small beside them (tests/run/test_training_memory.py
measures the peak in the training process). FLOPs per step are the matrix products of the forward
and backward passes at this batch size (2 × MACs, as ``FlopCounterMode`` counts); element-wise work
is left out, which is one reason a small network runs far below the machine's peak.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .memory import OPTIMIZER_SLOTS, weights_bytes


@dataclass(frozen=True)
class TrainingCost:
    batch: int
    optimizer: str | None  # None: gradients but no optimizer state (stepping by hand)
    weights: int  # bytes
    gradients: int
    optimizer_state: int
    activations: int
    flops_forward: int  # per step (the whole batch)
    flops_backward: int

    @property
    def total(self) -> int:
        """Bytes of the four parts together: the training step's peak, to within its temporaries."""
        return self.weights + self.gradients + self.optimizer_state + self.activations

    @property
    def flops(self) -> int:
        """FLOPs of one training step: forward and backward over the batch."""
        return self.flops_forward + self.flops_backward

    def parts(self) -> list[tuple[str, int]]:
        """The four parts in stacking order, named as the views and docs name them."""
        return [("weights", self.weights), ("gradients", self.gradients), ("optimizer state", self.optimizer_state),
                ("activations", self.activations)]

    def memory_json(self) -> dict[str, int]:
        """``graphlab check --json``'s ``memory`` object, in bytes."""
        return {"batch": self.batch, "weights": self.weights, "gradients": self.gradients,
                "optimizer": self.optimizer_state, "activations": self.activations, "total": self.total}

    def ms_per_step(self, peak_gflops: float | None) -> float | None:
        """The time a step's FLOPs take at ``peak_gflops`` (GFLOP/s): what the step would take if the
        machine did nothing but multiply matrices at its best rate — a lower bound of the real time."""
        if not peak_gflops or peak_gflops <= 0:
            return None
        try:
            return self.flops / (peak_gflops * 1e9) * 1e3
        except OverflowError:  # FLOPs past 1e308 (a hostile file's layer sizes): no prediction
            return None


def training_cost(analysis: Any, batch: int, optimizer: str | None = "sgd") -> TrainingCost:
    """The cost of one training step of ``batch`` samples with ``optimizer`` (a training-section name;
    one the table does not know is counted as Adam's two slots, the most any of them keeps)."""
    batch = max(int(batch), 1)
    weights = weights_bytes(analysis)
    trained = weights - sum(i.param_bytes for i in analysis.nodes.values() if i.frozen)
    slots = 0 if optimizer is None else OPTIMIZER_SLOTS.get(optimizer, 2)
    per_sample, fixed = analysis.saved_bytes()
    return TrainingCost(batch, optimizer, weights, trained, slots * trained, per_sample * batch + fixed,
                        analysis.total_flops * batch, analysis.total_flops_backward * batch)


__all__ = ["TrainingCost", "training_cost"]
