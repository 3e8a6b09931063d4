"""Fixed random streams for one node: the CPU generator set to a precomputed state, then restored.

``torch.manual_seed`` costs ~0.25 ms here (it formats a stack trace); setting a saved state costs
~1 µs, so each node's stream is seeded once and replayed with :func:`fixed_rng`.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import torch


def seeded_state(seed: int) -> torch.Tensor:
    """The CPU generator state that ``torch.manual_seed(seed)`` would give."""
    return torch.Generator().manual_seed(seed).get_state()


@contextlib.contextmanager
def fixed_rng(state: torch.Tensor) -> Iterator[None]:
    """Run the block on the stream ``state``; the global CPU RNG is left as it was."""
    saved = torch.get_rng_state()
    torch.set_rng_state(state)
    try:
        yield
    finally:
        torch.set_rng_state(saved)
