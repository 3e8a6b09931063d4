"""Shared test set-up. Qt runs offscreen; torch uses one thread so tests are repeatable and polite."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the matmul peak the training process measures is cached per machine (graphlab.run.peak): the tests keep
# theirs in one folder of their own (child processes inherit it), never in the user's cache
if "GRAPHLAB_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["GRAPHLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="graphlab-test-cache-")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture(autouse=True)
def _collect_on_the_main_thread():
    """Once an editor window exists the cyclic collector runs only from the GUI thread's timer
    (graphlab.ui.gc_guard); between tests no event loop runs, so collect what is due here."""
    yield
    import gc

    if not gc.isenabled() and "graphlab.ui.gc_guard" in __import__("sys").modules:
        from graphlab.ui.gc_guard import collect_due

        collect_due()
