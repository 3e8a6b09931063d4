"""Types that are checked: mypy over the engine's packages (core, io, compiler, step, export, run) with
0 errors, configured in pyproject.toml ([tool.mypy]); it runs with the tests, as lint-imports does.

The second test shows the check can fail: the same configuration on a planted mistake reports it.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytest.importorskip("mypy")


def _mypy(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *args],
                          cwd=cwd, capture_output=True, text=True, timeout=900)


def test_the_engine_type_checks_with_no_errors() -> None:
    """~20 s on a fresh checkout; ~1 s once mypy's cache (.mypy_cache) holds the unchanged modules."""
    r = _mypy()  # the files listed in [tool.mypy]
    assert r.returncode == 0 and "Success: no issues found" in r.stdout, r.stdout[-6000:] + r.stderr[-2000:]


def test_a_type_mistake_is_reported(tmp_path: Path) -> None:
    """The configuration checks what it is given: a Literal outside its set, an untyped def, an Optional
    used unchecked."""
    bad = tmp_path / "planted.py"
    bad.write_text("from typing import Literal\n\n"
                   "Phase = Literal['forward', 'backward']\n\n\n"
                   "def step(phase: Phase) -> int:\n    return 1\n\n\n"
                   "def untyped(x):\n    return x\n\n\n"
                   "def first(xs: list[int] | None) -> int:\n    return xs[0]\n\n\n"
                   "step('sideways')\n")
    r = _mypy(str(bad), cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    for words in ('"step" has incompatible type "Literal[\'sideways\']"', "Function is missing a type annotation",
                  'Value of type "list[int] | None" is not indexable'):
        assert words in r.stdout, r.stdout
