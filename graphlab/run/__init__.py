"""Training (torch, never Qt): experiment config, datasets, the trainer and its plain-data events.

* :mod:`graphlab.run.config` — ``parse_training(graph.training) -> TrainConfig`` (no torch).
* :mod:`graphlab.run.datasets` — ``build_dataset(cfg, base_dir) -> Data`` (tensors, split, preprocessed).
* :mod:`graphlab.run.trainer` — ``Trainer(graph, cfg).run(callback)`` / ``.events()``; pause/resume/stop,
  ``request(...)``; ``preflight(graph)``; ``train(graph)`` for scripts and tests.
* :mod:`graphlab.run.runstate` — the state of one run and ``train_step``.
* :mod:`graphlab.run.events` — the event dataclasses (picklable, no tensors).
* :mod:`graphlab.run.commands` — ``Request``: the command channel to a running trainer (no torch).
* :mod:`graphlab.run.process` — ``TrainingProcess``: the trainer in a child process (for the editor).
* :mod:`graphlab.run.history` — ``History``: the series the live views read (numpy, no torch).
* :mod:`graphlab.run.runs` — run folders, a graph file's earlier runs (no torch).
* :mod:`graphlab.run.stats`, :mod:`~graphlab.run.health`, :mod:`~graphlab.run.images`,
  :mod:`~graphlab.run.evaluate` — per-node statistics, warnings, pictures, the end-of-run evaluation.
* :mod:`graphlab.run.overfit` — the overfit-a-small-batch check.
* :mod:`graphlab.run.checkpoint`, :mod:`graphlab.run.resume` — safetensors checkpoints
  (``load_weights(path)``) and the checks before a run continues from one.

Importing this package imports no torch; the submodules that need it import it themselves.
"""
from .config import ConfigError, TrainConfig, parse_training, with_overrides

__all__ = ["ConfigError", "TrainConfig", "parse_training", "with_overrides"]
