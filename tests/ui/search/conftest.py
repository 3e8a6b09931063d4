"""Fixtures for the Search dock's tests: a finished spiral study (searched once per session, headless) and
bare hosts that are closed after each test."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.ui.search.helpers import Host, study_doc, write_graph


@pytest.fixture(scope="session")
def finished_study(tmp_path_factory) -> Path:
    """The graph file of a completed 6-trial study (its journal in runs/ beside it)."""
    from graphlab.search.process import SearchProcess

    folder = tmp_path_factory.mktemp("study")
    path = write_graph(folder, study_doc())
    sp = SearchProcess(path, workers=2)
    sp.start()
    t0 = time.monotonic()
    while sp.finished is None and time.monotonic() - t0 < 600:
        sp.poll(timeout=0.2)
    assert sp.finished is not None and sp.finished.reason == "completed", sp.finished
    sp.close(wait=True)
    return path


@pytest.fixture
def make_host(qtbot, tmp_path):
    made: list[Host] = []

    def factory(path: Path | None) -> Host:
        h = Host(qtbot, path, tmp_path / f"settings{len(made)}.ini")
        made.append(h)
        return h

    yield factory
    for h in made:
        h.doc.undo_stack.setClean()
        h.close()
