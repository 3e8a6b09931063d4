"""This machine's matrix-multiply peak: measured once in the training process, cached, read anywhere.

A training step's FLOPs (:mod:`graphlab.core.training_cost`) divided by the best rate this machine
multiplies float32 matrices at is the time the step would take if it did nothing else: the
*predicted* ms/step, a lower bound. After a run, the FLOPs it did over the time it took are its
*achieved* GFLOP/s, and their share of the peak says how much of the machine the network used — a
small net spends most of its time in per-op overhead and element-wise work, far below the peak.

* :func:`calibrated_peak` (torch) — the cached figure for this torch version, device and thread
  count, or a measurement (square float32 matmuls for ~0.3 s, best rate) that is then cached. The
  training process calls it (the spare process does it while it waits), so each key is measured once
  per machine.
* :func:`cached_peak` (no torch) — the cached figure or None: what the editor shows before a run.

The cache is a small JSON file, ``matmul_peak.json``, in the user's cache folder (``$GRAPHLAB_CACHE_DIR``,
else ``$XDG_CACHE_HOME/graphlab``, else the platform's: ``~/.cache/graphlab``,
``~/Library/Caches/graphlab``, ``%LOCALAPPDATA%\\graphlab\\Cache``); an unreadable one is measured
again and rewritten atomically.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

CACHE_NAME = "matmul_peak.json"
#: seconds of matmuls a measurement takes (after one warm-up product)
MEASURE_SECONDS = 0.3


def cache_dir() -> Path:
    env = os.environ.get("GRAPHLAB_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "graphlab"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "graphlab" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "graphlab"
    return Path.home() / ".cache" / "graphlab"


def torch_version() -> str:
    """The installed torch's version, read without importing it."""
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "unknown"


def peak_key(device: str, threads: int) -> str:
    """``torch 2.13.0+cpu | cpu | 1 thread``: what a cached figure was measured with."""
    return f"torch {torch_version()} | {device} | {threads} thread{'s' * (threads != 1)}"


def _read() -> dict[str, Any]:
    try:
        data = json.loads((cache_dir() / CACHE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    peaks = data.get("peaks") if isinstance(data, dict) else None
    return peaks if isinstance(peaks, dict) else {}


def cached_peak(device: str = "cpu", threads: int = 1) -> float | None:
    """The cached GFLOP/s for ``device`` (``cpu`` or ``cuda``) and ``threads``; None if not measured yet."""
    got = _read().get(peak_key(device, threads))
    v = got.get("gflops") if isinstance(got, dict) else None
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 else None


def _store(key: str, gflops: float, size: int) -> None:
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        peaks = _read()
        peaks[key] = {"gflops": gflops, "n": size, "measured": time.strftime("%Y-%m-%dT%H:%M:%S")}
        fd, tmp = tempfile.mkstemp(prefix=".matmul_peak.", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"version": 1, "peaks": peaks}, f, indent=1, sort_keys=True)
        os.replace(tmp, folder / CACHE_NAME)
    except OSError:
        pass  # a read-only home: measured again next time, nothing else changes


def measure_peak(device: str = "cpu", seconds: float = MEASURE_SECONDS) -> tuple[float, int]:
    """(best GFLOP/s, matrix size) of float32 square matmuls on ``device`` with torch's current threads."""
    import torch

    n = 2048 if device == "cuda" else 512
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    torch.mm(a, b)  # warm-up: kernel choice, thread pool, caches
    sync()
    best = float("inf")
    end = time.perf_counter() + seconds
    while True:
        t = time.perf_counter()
        torch.mm(a, b)
        sync()
        best = min(best, time.perf_counter() - t)
        if time.perf_counter() > end:
            break
    return 2 * n ** 3 / best / 1e9, n


def calibrated_peak(device: str = "cpu", threads: int | None = None) -> float:
    """The GFLOP/s of this machine's matmuls on ``device`` with ``threads`` (torch's current count by
    default): from the cache, or measured now (~0.3 s) and cached."""
    import torch

    threads = threads or torch.get_num_threads()
    got = cached_peak(device, threads)
    if got is not None:
        return got
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        gflops, n = measure_peak(device)
    finally:
        torch.set_num_threads(old)
    gflops = round(gflops, 2)  # what the cache keeps: the same figure now and later
    _store(peak_key(device, threads), gflops, n)
    return gflops


def peak_or_none(device: str, threads: int | None = None) -> float | None:
    """:func:`calibrated_peak`, or None when the device cannot be measured (a run goes on without it)."""
    try:
        return calibrated_peak(device, threads)
    except (RuntimeError, OSError, ValueError):
        return None


def achieved(flops: float, seconds: float, peak: float | None) -> dict[str, float | None]:
    """``{"gflops": achieved GFLOP/s, "peak_gflops": peak, "peak_percent": share of the peak in %}``."""
    if seconds <= 0 or flops <= 0:
        return {"gflops": None, "peak_gflops": peak, "peak_percent": None}
    g = flops / seconds / 1e9
    return {"gflops": _sig(g), "peak_gflops": peak, "peak_percent": None if not peak else _sig(100 * g / peak)}


def _sig(x: float) -> float:
    return float(f"{x:.4g}")  # four significant digits: what a figure is worth after a noisy timing


__all__ = ["achieved", "cache_dir", "cached_peak", "calibrated_peak", "measure_peak", "peak_key", "peak_or_none"]
