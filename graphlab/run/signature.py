"""What a run would refuse before its first step, found without training: the training problems.

:func:`training_problems` is the one answer to "can this graph train on its training section?" that
``graphlab check``, the editor's fit check and the trainer agree on: an invalid section, no loss, not
one Input, a dataset that cannot be read, an Input shape or a loss that does not fit the dataset.
A graph whose file has no ``training`` section has none of them: it is still a graph to design and
to step through, not an error.

The dataset's :class:`DataSignature` (sample shape, task, classes, target shape) comes from the
configuration alone for the built-in datasets — no torch, no data made, microseconds — and from
building the dataset for the user's own files (which needs torch; the editor does it on its worker
thread, ``graphlab check`` only for such a file).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..core.analysis import Analysis
from ..core.graph import Graph
from ..core.spec import Task
from .config import ConfigError, TrainConfig, parse_training
from .fit import SetupError, check_fit, check_graph

BUILT_IN = ("spiral", "digits", "adding", "sine")


@dataclass(frozen=True)
class DataSignature:
    name: str
    task: Task
    sample_shape: tuple[int, ...]
    num_classes: int | None
    target_shape: tuple[int, ...]


def built_in_signature(cfg: TrainConfig) -> DataSignature | None:
    """The signature of a built-in dataset, from its parameters; None for the user's own data."""
    name, p = cfg.dataset.name, cfg.dataset.params
    if name == "spiral":
        return DataSignature(name, "classification", (2,), p["classes"], ())
    if name == "digits":
        from .datasets import digit_classes

        classes = len(digit_classes(p["classes"])) if p.get("classes") is not None else 10
        return DataSignature(name, "classification", (1, p["size"], p["size"]), classes, ())
    if name == "adding":
        return DataSignature(name, "regression", (p["length"], 2), None, (1,))
    if name == "sine":
        return DataSignature(name, "regression", (p["length"], 1), None, (1,))
    return None


def signature(cfg: TrainConfig, base_dir: str | os.PathLike[str] | None = None) -> DataSignature:
    """The dataset's signature; DataError (naming the file) when the user's data cannot be read."""
    sig = built_in_signature(cfg)
    if sig is not None:
        return sig
    from .datasets import build_dataset  # the user's files: read them (torch)

    data = build_dataset(cfg, base_dir)
    return DataSignature(data.name, data.task, tuple(data.sample_shape), data.num_classes, tuple(data.target_shape))


@dataclass(frozen=True)
class TrainingProblem:
    kind: str  # config | graph | data | fit
    message: str
    node: str | None = None
    field: str | None = None


def has_training(graph: Graph) -> bool:
    return bool(graph.training)


def training_problems(graph: Graph, analysis: Analysis, base_dir: str | os.PathLike[str] | None = None,
                      *, read_files: bool = True) -> list[TrainingProblem]:
    """What a run of ``graph`` would refuse before its first step (empty: it would start). Graph
    errors are the analysis' own and are not repeated; without a training section there is nothing to
    check. ``read_files=False`` skips the user's data files (their fit is then not checked)."""
    if not has_training(graph) or not analysis.ok:
        return []
    try:
        cfg = parse_training(graph.training)
    except ConfigError as e:
        return [TrainingProblem("config", str(e).split(": ", 1)[-1], None, e.field)]
    try:
        check_graph(graph, analysis)
        if not read_files and built_in_signature(cfg) is None:
            return []
        check_fit(graph, analysis, _signature_or_raise(cfg, base_dir), cfg)
    except SetupError as e:
        return [TrainingProblem(e.kind, str(e), e.node, e.field)]
    return []


def _signature_or_raise(cfg: TrainConfig, base_dir: Any) -> DataSignature:
    from .datasets import DataError

    try:
        return signature(cfg, base_dir)
    except (DataError, OSError, ValueError) as e:
        raise SetupError("data", str(e), None, "training.dataset") from None
    except MemoryError:
        raise SetupError("data", f"dataset {cfg.dataset.name} does not fit in memory", None,
                         "training.dataset") from None
