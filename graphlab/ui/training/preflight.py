"""The training workbench's jobs for the editor's worker (:class:`graphlab.ui.worker.Worker`).

Plain functions of plain data, run on the worker thread (never on the GUI thread): the dataset
preview builds the dataset (digits: ~0.3 s; torch), and the devices torch sees. The fit check's job
lives with it (:mod:`.fit_check`). Each is submitted under its own key, so a newer request replaces
an older one and an answer to a state that moved on is dropped by the worker.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: samples a preview shows at most (images: a balanced pick of the classes)
PREVIEW_IMAGES = 64
PREVIEW_POINTS = 4000
PREVIEW_SEQUENCES = 6


def preview_job(ctx: Any, training: dict[str, Any], base_dir: str | None) -> dict[str, Any] | str:
    """On the worker: the dataset preview's arrays, or one line saying why the dataset cannot be built."""
    from dataclasses import replace

    from ...run.config import ConfigError, parse_training
    from ...run.datasets import DataError, build_dataset

    try:
        cfg = replace(parse_training(training), preprocess="none", val_fraction=0.0)
        data = build_dataset(cfg, Path(base_dir) if base_dir else None)
    except (ConfigError, DataError, OSError, ValueError) as e:
        return str(e)
    return preview_arrays(data)


def devices_job(ctx: Any) -> list[str]:
    """On the worker: the devices torch sees here: ["cpu", "cuda", ...]."""
    import torch

    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def preview_arrays(data: Any) -> dict[str, Any]:
    """What the DatasetPreview shows, as numpy: ``kind`` points | images | sequences | none, the samples,
    their labels or targets, and an info line with the sample shape and the class counts."""
    shape = tuple(int(s) for s in data.sample_shape)
    out: dict[str, Any] = {"name": data.name, "shape": shape, "task": data.task, "class_names": data.class_names,
                           "n": data.n_train}
    if data.x_train is not None:
        x, y = data.x_train.numpy(), data.y_train.numpy()
    else:  # lazily read (image folders): the first samples only
        items = [data.train_set[i] for i in range(min(len(data.train_set), PREVIEW_IMAGES * 4))]
        x = np.stack([np.asarray(a) for a, _ in items]) if items else np.zeros((0, *shape), np.float32)
        y = np.asarray([int(b) for _, b in items])
    info = f"{data.n_train:,} samples · sample shape {shape}"
    if data.task == "classification":
        counts = np.bincount(y.astype(np.int64).ravel(), minlength=data.num_classes or 0)
        names = data.class_names or [str(i) for i in range(len(counts))]
        info += f" · {len(counts)} classes: " + " · ".join(f"{names[i] if i < len(names) else i}: {int(c):,}"
                                                            for i, c in enumerate(counts))
    else:
        info += f" · targets {tuple(int(s) for s in data.target_shape) or 'scalar'}"
    out["info"] = info
    if len(shape) == 1 and shape[0] == 2:
        out.update(kind="points", x=x[:PREVIEW_POINTS].astype(np.float64), y=y[:PREVIEW_POINTS])
    elif len(shape) == 3:
        pick = _balanced(y, PREVIEW_IMAGES) if data.task == "classification" else np.arange(min(len(x), 64))
        out.update(kind="images", x=x[pick].astype(np.float32), y=y[pick])
    elif len(shape) == 2:
        out.update(kind="sequences", x=x[:PREVIEW_SEQUENCES].astype(np.float64), y=y[:PREVIEW_SEQUENCES])
    else:
        out["kind"] = "none"
    return out


def _balanced(y: np.ndarray, k: int) -> np.ndarray:
    """Up to k sample indices taking the classes in turn (the first of each class, then the second...)."""
    y = np.asarray(y).ravel()
    by = [np.flatnonzero(y == c) for c in np.unique(y)]
    out: list[int] = []
    i = 0
    while len(out) < k and any(i < len(b) for b in by):
        out.extend(int(b[i]) for b in by if i < len(b))
        i += 1
    return np.asarray(out[:k], dtype=np.int64)
