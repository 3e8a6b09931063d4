"""``gc_paused()``: run a bulk pass with Python's cyclic garbage collector paused.

Reading a file or analysing a graph of 10⁵ nodes allocates a few million small objects, none of
them in reference cycles. CPython's collector runs every few hundred allocations and its full
passes walk every live object, so with it running such a pass takes about 1.5× as long (measured:
``benchmarks/bench_core.py``). Reference counting still frees everything as usual; the collector
is resumed (if it was running) when the pass ends, even on an exception.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
