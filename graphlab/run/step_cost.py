"""A graph file's training step, costed with the file's own settings (no torch).

:func:`file_step_cost` reads the batch size and optimizer from the training section
(:func:`graphlab.run.config.parse_training`) and costs one training step with
:func:`graphlab.core.training_cost.training_cost`. ``batch_size: "full"`` is the training split's
size: known from the configuration for the built-in datasets (their sample counts, less the
validation fraction), and 1 — said so in the note — for the user's own files until they are read.
A file without a valid training section is costed at batch 1 with SGD, and the note says why.
``graphlab check``, the Cost dock and the status bar all use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.training_cost import TrainingCost, training_cost
from .config import ConfigError, TrainConfig, parse_training

#: the built-in datasets' sample counts from their parameters (datasets.py makes exactly these)
_COUNTS = {"spiral": lambda p: p["classes"] * p["points"], "digits": lambda p: 1797,
           "adding": lambda p: p["samples"], "sine": lambda p: p["samples"]}


@dataclass(frozen=True)
class StepCost:
    cost: TrainingCost
    note: str | None  # why the batch or the optimizer is a stand-in, when it is


def train_samples(cfg: TrainConfig) -> int | None:
    """The training split's size for a built-in dataset; None for the user's own data."""
    count = _COUNTS.get(cfg.dataset.name)
    if count is None:
        return None
    n = count(cfg.dataset.params)
    return max(n - int(round(n * cfg.val_fraction)), 1)


def file_step_cost(graph: Any, analysis: Any, batch: int | None = None) -> StepCost:
    """One training step of ``graph`` at ``batch`` (default: the file's batch size) with its optimizer."""
    note = None
    try:
        cfg: TrainConfig | None = parse_training(graph.training)
    except ConfigError as e:
        cfg, note = None, f"the training section cannot be used ({e}): batch 1, SGD"
    optimizer = cfg.optimizer.name if cfg is not None else "sgd"
    if batch is None and cfg is not None:
        batch = cfg.batch_size
        if batch is None:
            batch = train_samples(cfg)
            if batch is None:
                batch, note = 1, "full batch of the dataset's training split, not read yet: shown at batch 1"
    return StepCost(training_cost(analysis, batch or 1, optimizer), note)


__all__ = ["StepCost", "file_step_cost", "train_samples"]
