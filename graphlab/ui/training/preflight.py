"""Checks that need torch, done off the GUI thread: the fit check, the dataset preview, the devices.

:func:`graphlab.run.trainer.preflight` builds the dataset (digits: ~0.3 s) and imports torch
(~1.1 s the first time), so it never runs on the GUI thread and never when the editor opens: the
training workbench asks for it only once the user works on training (edits a setting, opens the
dataset preview, opens the Run menu, starts a run), and then again, debounced, after each edit.

One worker thread serves the requests. Each kind keeps only its latest request (an edit made while
a check runs replaces the queued one: the newest state wins), answered by a queued signal carrying
the request's key, so the caller drops answers to a state that has moved on. ``shutdown()`` stops
the thread from emitting anything more (it holds the same lock the emit does), so no answer reaches
a window that is being closed.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from ...run import events as ev
from ..torch_import import ensure_torch

#: samples a preview shows at most (images: a balanced pick of the classes)
PREVIEW_IMAGES = 64
PREVIEW_POINTS = 4000
PREVIEW_SEQUENCES = 6


class Preflight(QObject):
    #: (key, Error | None) for a fit check
    checked = Signal(object, object)
    #: (key, dict of numpy arrays and text, or an error message str)
    previewed = Signal(object, object)
    #: the devices torch sees: ["cpu", "cuda", ...]
    devices_found = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cond = threading.Condition()
        self._jobs: dict[str, tuple[Any, tuple[Any, ...]]] = {}
        self._thread: threading.Thread | None = None
        self._closed = False
        self.devices: list[str] | None = None
        self.busy = False

    # -- requests (GUI thread) ----------------------------------------------------------------------
    def check(self, key: Any, graph_text: str, base_dir: str | None, device: str | None) -> None:
        self._post("check", key, (graph_text, base_dir, device))

    def preview(self, key: Any, training: dict[str, Any], base_dir: str | None) -> None:
        self._post("preview", key, (training, base_dir))

    def detect_devices(self) -> None:
        if self.devices is None:
            self._post("devices", None, ())

    def _post(self, kind: str, key: Any, args: tuple[Any, ...]) -> None:
        if self._closed:
            return
        ensure_torch()  # the first import on the GUI thread, never on ours (see graphlab.ui.torch_import)
        with self._cond:
            if self._closed:
                return
            self._jobs[kind] = (key, args)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="graphlab-preflight", daemon=True)
                self._thread.start()
            self._cond.notify()

    def shutdown(self, timeout: float = 0.0) -> None:
        """No answer is emitted after this returns; the thread ends after its current job."""
        with self._cond:
            self._closed = True
            self._jobs.clear()
            self._cond.notify()
        if self._thread is not None and timeout > 0:
            self._thread.join(timeout)

    @property
    def pending(self) -> bool:
        with self._cond:
            return bool(self._jobs) or self.busy

    # -- the worker thread --------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                kind = next(k for k in ("devices", "check", "preview") if k in self._jobs)
                key, args = self._jobs.pop(kind)
                self.busy = True
            try:
                result = getattr(self, f"_do_{kind}")(*args)
            except BaseException as e:  # noqa: BLE001 - a check that fails must say so, not kill the thread
                result = ev.Error("internal", f"the check failed: {type(e).__name__}: {e}")
            found = None
            if self.devices is None:
                found = self.devices = _devices()
            with self._cond:
                self.busy = False
                if self._closed:
                    return
                if found is not None:
                    self.devices_found.emit(found)
                if kind == "check":
                    self.checked.emit(key, result)
                elif kind == "preview":
                    self.previewed.emit(key, result if not isinstance(result, ev.Error) else result.message)

    @staticmethod
    def _do_devices() -> None:
        return None

    @staticmethod
    def _do_check(graph_text: str, base_dir: str | None, device: str | None) -> ev.Error | None:
        from dataclasses import replace

        from ...io import loads
        from ...run.config import ConfigError, parse_training
        from ...run.trainer import preflight

        g = loads(graph_text)
        try:
            cfg = parse_training(g.training)
        except ConfigError as e:
            return ev.Error("config", str(e), None, e.field)
        if device:
            cfg = replace(cfg, device=device)
        return preflight(g, cfg, base_dir=base_dir)

    @staticmethod
    def _do_preview(training: dict[str, Any], base_dir: str | None) -> dict[str, Any] | str:
        from dataclasses import replace

        from ...run.config import ConfigError, parse_training
        from ...run.datasets import DataError, build_dataset

        try:
            cfg = replace(parse_training(training), preprocess="none", val_fraction=0.0)
            data = build_dataset(cfg, Path(base_dir) if base_dir else None)
        except (ConfigError, DataError, OSError, ValueError) as e:
            return str(e)
        return preview_arrays(data)


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


def _devices() -> list[str]:
    import torch

    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found
