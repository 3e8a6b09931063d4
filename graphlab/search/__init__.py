"""Hyperparameter search: the ``search`` section of a graph file, Optuna studies run by warm worker
processes, refine stages and ensembles (issue 18).

* :mod:`graphlab.search.space` — the section's settings and distributions, validated without torch
  or Optuna (:func:`parse_search`, :class:`SearchSpec`, :class:`SearchError`);
* :mod:`graphlab.search.targets` — what a key (``training.optimizer.lr``, ``fc1.out_features``) may
  be set to, and a graph with a trial's values applied;
* :mod:`graphlab.search.study` — storages (journal file, database URLs), the study's identity;
* :mod:`graphlab.search.objective` — one trial: the same :class:`~graphlab.run.trainer.Trainer` as
  Train, a normal run folder, per-epoch values reported for pruning;
* :mod:`graphlab.search.workers` — warm worker processes and :class:`SearchProcess`, the headless
  object a command line or a dock polls for plain-data events;
* :mod:`graphlab.search.refine`, :mod:`graphlab.search.ensemble` — the course's coarse → fine and
  model averaging.

Importing this package imports neither torch nor Optuna.
"""
from __future__ import annotations

from .space import SearchError, SearchSpec, parse_search

__all__ = ["SearchError", "SearchSpec", "parse_search"]
