"""torch is first imported on the editor's worker thread — never on the GUI thread (a 1-3 s stall) and
never on any other thread — whichever action comes first in a fresh window (a subprocess each: torch
must not be imported yet). The garbage-collector guard (graphlab.ui.gc_guard) is what makes a big
import off the GUI thread safe; graphlab.ui.torch_import keeps it from stalling the GUI thread."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("action", ["gradcheck", "step", "run_to", "preview", "fit", "train"])
def test_the_first_import_of_torch_is_on_the_worker(action, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-m", "tests.ui.scripts.torch_spy", action, str(tmp_path)], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["done"], out
    if action == "train":  # the run trains in its own process; at most the device list needs torch here
        assert out["thread"] in (None, "graphlab-worker"), out
    else:
        assert out["thread"] == "graphlab-worker", out
