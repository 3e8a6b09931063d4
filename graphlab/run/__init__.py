"""Training (torch, never Qt): experiment config, datasets, the trainer and its plain-data events.

* :mod:`graphlab.run.config` — ``parse_training(graph.training) -> TrainConfig`` (no torch).
* :mod:`graphlab.run.datasets` — ``build_dataset(cfg, base_dir) -> Data`` (tensors, split, preprocessed).
* :mod:`graphlab.run.trainer` — ``Trainer(graph, cfg).run(callback)`` / ``.events()``; pause/resume/stop.
* :mod:`graphlab.run.events` — the event dataclasses (picklable, no tensors).
* :mod:`graphlab.run.process` — ``TrainingProcess``: the trainer in a child process (for the editor).
* :mod:`graphlab.run.checkpoint` — safetensors checkpoints; ``load_weights(path)``.

Importing this package imports no torch; the submodules that need it import it themselves.
"""
from .config import ConfigError, TrainConfig, parse_training, with_overrides

__all__ = ["ConfigError", "TrainConfig", "parse_training", "with_overrides"]
