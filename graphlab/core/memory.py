"""What a graph needs in memory, and whether that fits in what this machine has free. Pure Python.

Sizes come from the analysis (:class:`graphlab.core.analysis.NodeInfo`): each node's parameter bytes
and activation bytes per sample, float32 (4 bytes a value). Nothing is allocated to find them.

* :func:`available_bytes` — memory this process can still take: the smaller of the kernel's
  ``MemAvailable`` (``/proc/meminfo``) and, in a container, the cgroup's limit minus its usage;
  elsewhere ``os.sysconf``'s available physical pages, else its total physical pages; 4 GiB when
  nothing can be read (low on purpose: refusing a model is better than an allocator crash).
* :func:`weights_problem` — the weights alone (``copies`` of them: a checkpoint being loaded is a
  second copy) do not fit.
* :func:`inference_problem` — the weights and one forward pass of a batch, without gradients (export).
* :func:`training_problem` — a lower bound of what training needs: weights, their gradients and the
  optimizer's per-parameter state, the activations of one batch kept for the backward pass, and the
  dataset held in memory. Everything real training also needs comes on top, so a refusal is certain.
  The stepper (:mod:`graphlab.step`) asks the same question without optimizer state, at its dtype:
  it keeps every node's output and gradients for a walk forward and backward.

Each problem is one line naming the node that needs most and the sizes, e.g.
``fc: its weights need 4.0 GB (1,000,000,000 parameters); training needs at least 12.0 GB with
optimizer momentum, more than the 7.6 GB of memory available``.
"""
from __future__ import annotations

import math
import os
from typing import Any

from .text import fmt_count

BYTES_PER_VALUE = 4  # float32
FALLBACK_BYTES = 4 * 1024 ** 3
#: optimizer -> per-parameter state tensors it keeps (momentum buffer, Adam's two moments, ...)
OPTIMIZER_SLOTS = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 1, "adam": 2}


def fmt_bytes(n: int) -> str:
    """4.0 GB, 512.0 KB, 3 bytes; from 10¹⁸ on in powers of ten (1.2e+30 bytes). Exact for any int."""
    n = int(n)
    if n < 1000:
        return f"{n} bytes"
    for i, unit in enumerate(("KB", "MB", "GB", "TB", "PB"), 1):
        if n < 1000 ** (i + 1) or unit == "PB" and n < 10 ** 18:
            return f"{n / 1000 ** i:.1f} {unit}"
    e = int(math.log10(n))
    lead = n // 10 ** (e - 1)  # the two leading digits (log10 may be one off at a power of ten)
    if lead >= 100:
        e, lead = e + 1, lead // 10
    elif lead < 10:
        e, lead = e - 1, n // 10 ** (e - 2)
    return f"{lead // 10}.{lead % 10}e+{e} bytes"


def _meminfo_available(path: str = "/proc/meminfo") -> int | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    parts = line.split()
                    return int(parts[1]) * (1024 if len(parts) > 2 and parts[2].lower() == "kb" else 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_free(root: str = "/sys/fs/cgroup") -> int | None:
    """cgroup v2 (memory.max - memory.current) or v1 (limit - usage); None without a limit."""
    for limit_name, usage_name in (("memory.max", "memory.current"),
                                   ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            with open(os.path.join(root, limit_name), encoding="ascii") as f:
                limit_text = f.read().strip()
            if limit_text == "max":
                return None
            limit = int(limit_text)
            with open(os.path.join(root, usage_name), encoding="ascii") as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit >= 1 << 60:  # v1 writes a huge number for "no limit"
            return None
        return max(limit - usage, 0)
    return None


def _sysconf(name: str) -> int | None:
    try:
        pages, size = os.sysconf(name), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return pages * size if pages > 0 and size > 0 else None


def available_bytes() -> int:
    """Memory this process can still allocate (see the module docstring)."""
    free = _meminfo_available()
    if free is None:
        free = _sysconf("SC_AVPHYS_PAGES") or _sysconf("SC_PHYS_PAGES")
    cgroup = _cgroup_free()
    if cgroup is not None:
        free = cgroup if free is None else min(free, cgroup)
    return free if free is not None else FALLBACK_BYTES


def _largest(analysis: Any, key: str) -> tuple[str | None, int]:
    best, size = None, -1
    for nid in analysis.order:
        v = getattr(analysis.nodes[nid], key)
        if v > size:
            best, size = nid, v
    return best, max(size, 0)


def weights_bytes(analysis: Any) -> int:
    return sum(i.param_bytes for i in analysis.nodes.values())


def activation_bytes(analysis: Any) -> int:
    """Activation bytes of one sample, over every node."""
    return sum(i.activation_bytes for i in analysis.nodes.values())


def weights_problem(analysis: Any, *, copies: int = 1, available: int | None = None,
                    what: str = "the model") -> tuple[str | None, str] | None:
    """(node, message) when ``copies`` of the weights do not fit; None when they do."""
    avail = available_bytes() if available is None else available
    total = weights_bytes(analysis) * copies
    if total <= avail:
        return None
    node, size = _largest(analysis, "param_bytes")
    params = analysis.nodes[node].params if node else 0
    twice = f" ({copies} copies)" if copies > 1 else ""
    return node, (f"its weights need {fmt_bytes(size)} ({fmt_count(params)} parameters); {what} needs "
                  f"{fmt_bytes(total)}{twice}, more than the {fmt_bytes(avail)} of memory available")


def inference_problem(analysis: Any, *, batch: int, copies: int = 1, what: str = "the model",
                      available: int | None = None) -> tuple[str | None, str] | None:
    """(node, message) when ``copies`` of the weights and one forward pass of ``batch`` samples
    (no gradients) do not fit; None when they do."""
    avail = available_bytes() if available is None else available
    problem = weights_problem(analysis, copies=copies, available=avail, what=what)
    if problem is not None:
        return problem
    acts = activation_bytes(analysis) * batch
    need = weights_bytes(analysis) * copies + acts
    if need <= avail:
        return None
    node, size = _largest(analysis, "activation_bytes")
    return node, (f"its output needs {fmt_bytes(size)} per sample; {what} needs at least {fmt_bytes(need)} "
                  f"(activations of a batch of {batch:,} {fmt_bytes(acts)}), more than the {fmt_bytes(avail)} "
                  f"of memory available")


def training_problem(analysis: Any, *, batch: int, optimizer: str | None = "sgd", data_bytes: int = 0,
                     eval_batch: int = 0, available: int | None = None, value_bytes: int = BYTES_PER_VALUE,
                     what: str = "training", batch_hint: str = "training.batch_size") -> tuple[str | None, str] | None:
    """(node, message) when training certainly does not fit (a lower bound); None otherwise.
    ``eval_batch``: evaluation runs without gradients in chunks of this many samples, each layer's
    input and output alive at once. ``optimizer=None``: gradients but no optimizer state (the
    stepper); ``value_bytes``: 8 for float64; ``what`` and ``batch_hint`` word the message."""
    avail = available_bytes() if available is None else available
    slots = 0 if optimizer is None else OPTIMIZER_SLOTS.get(optimizer, 2)

    def scaled(n: int) -> int:
        return n * value_bytes // BYTES_PER_VALUE

    weights = scaled(weights_bytes(analysis)) * (2 + slots)  # weights, gradients, optimizer state
    _, widest = _largest(analysis, "activation_bytes")
    acts = scaled(max(activation_bytes(analysis) * batch, 2 * widest * eval_batch))
    need = weights + acts + data_bytes
    if need <= avail:
        return None
    state = "weights and gradients" if optimizer is None else f"weights, gradients and {optimizer} state"
    parts = [f"{state} {fmt_bytes(weights)}", f"activations of a batch {fmt_bytes(acts)}"]
    if data_bytes:
        parts.append(f"the dataset {fmt_bytes(data_bytes)}")
    tail = (f"{what} needs at least {fmt_bytes(need)} ({'; '.join(parts)}), more than the {fmt_bytes(avail)} "
            f"of memory available")
    if data_bytes >= max(weights, acts):
        return None, f"the dataset needs {fmt_bytes(data_bytes)}; " + tail
    if weights >= acts:
        node, size = _largest(analysis, "param_bytes")
        params = analysis.nodes[node].params if node else 0
        return node, f"its weights need {fmt_bytes(scaled(size))} ({fmt_count(params)} parameters); " + tail + \
            "; make the layer smaller"
    node, size = _largest(analysis, "activation_bytes")
    return node, (f"its output needs {fmt_bytes(scaled(size))} per sample; " + tail
                  + f"; lower {batch_hint} or make the layer's output smaller")


__all__ = ["BYTES_PER_VALUE", "OPTIMIZER_SLOTS", "activation_bytes", "available_bytes", "fmt_bytes",
           "inference_problem", "training_problem", "weights_bytes", "weights_problem"]
