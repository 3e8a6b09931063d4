"""torch is imported on the editor's worker thread, never on the GUI thread, without stalling it.

Two things made a first ``import torch`` off the GUI thread dangerous or slow, and both are handled:

* **Deadlocks.** A big import allocates millions of objects, so Python's cyclic collector ran on the
  importing thread and could free Qt widgets there. :mod:`graphlab.ui.gc_guard` keeps every
  collection on the GUI thread while the editor is up, which removes that class of deadlock.
* **A GUI stall.** Loading ``libtorch_cpu.so`` runs its static initialisers inside ``dlopen``
  (~0.6 s here), and Python holds the GIL through an extension module's ``dlopen`` — the GUI thread
  stood still that long even though the import ran on another thread. :func:`ensure_torch` first
  loads torch's shared libraries with the C library's ``dlopen`` called through ctypes, which
  releases the GIL for the call; the ``import torch`` that follows finds them loaded. Measured with
  a 5 ms timer on the GUI thread under a load of 3: the longest gap fell from ~620 ms to under 50 ms
  (``benchmarks/bench_gui_train.py`` measures the editor's latency around a first Step).

Importing torch costs ~1–3 s of the worker's time once; the editor opens without it.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import threading

#: loaded in this order; each pulls in what it needs (libc10, libgomp, and libtorch_cuda in a CUDA build)
LIBRARIES = ("libtorch.so", "libtorch_python.so")
_RTLD_NOW = 2

#: the thread that first imported torch in this process, by name (None: not imported by ensure_torch)
imported_on: str | None = None


def preload_libraries() -> list[str]:
    """dlopen torch's shared libraries without holding the GIL (Linux); returns those loaded."""
    if not sys.platform.startswith("linux") or "torch" in sys.modules:
        return []
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return []
    libdir = os.path.join(list(spec.submodule_search_locations)[0], "lib")
    try:
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (OSError, AttributeError):
        return []
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    loaded = []
    for name in LIBRARIES:
        path = os.path.join(libdir, name)
        if os.path.isfile(path) and dlopen(os.fsencode(path), _RTLD_NOW):  # a plain CDLL call: GIL released
            loaded.append(name)
    return loaded


def ensure_torch() -> None:
    """Import torch unless it is imported already. Call it on a worker thread (the editor's
    :class:`graphlab.ui.worker.Worker` does, before its first job that needs torch)."""
    global imported_on
    if "torch" in sys.modules:
        return
    preload_libraries()
    import torch  # noqa: F401 - the import is the point

    imported_on = threading.current_thread().name
