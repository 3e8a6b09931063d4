"""The architecture as contracts: `lint-imports` (pyproject.toml [tool.importlinter]) runs with the tests.

Contracts (ids): core-is-pure, no-qt-outside-ui, io-without-torch, ui-torch-lazily, search-lazily,
run-without-search, cli-headless, features-without-window.
The second test plants violations in copies of the package and checks that each contract catches
its own — and that a lazy (function-level) import of torch in the editor is allowed.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytest.importorskip("importlinter")

LINT = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
        "--no-cache", "--no-logo"]


def _lint_command(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(LINT, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "HOME": str(root)})


def _lint(*roots: Path) -> list[tuple[int, str, str]]:
    """lint-imports in each folder, all at once (each builds its own import graph): (code, out, err)."""
    running = [_lint_command(root) for root in roots]
    results = []
    for p in running:
        out, err = p.communicate(timeout=300)
        results.append((p.returncode, out, err))
    return results


def test_import_contracts_are_kept() -> None:
    ((code, out, err),) = _lint(ROOT)
    assert code == 0, f"import contracts broken:\n{out}\n{err}"
    assert "8 kept, 0 broken" in out, out


def _copy(dest: Path) -> Path:
    """A copy of the package, the contract type and the configuration; returns its package folder."""
    shutil.copytree(ROOT / "graphlab", dest / "graphlab", ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "tests").mkdir()
    (dest / "tests" / "__init__.py").write_text("")
    shutil.copy(ROOT / "tests" / "import_contracts.py", dest / "tests")
    shutil.copy(ROOT / "pyproject.toml", dest)
    return dest / "graphlab"


def _append(pkg: Path, rel: str, text: str) -> None:
    with open(pkg / rel, "a", encoding="utf-8") as f:
        f.write(text)


@pytest.mark.slow
def test_each_contract_catches_its_violation(tmp_path: Path) -> None:
    """Two copies, linted side by side. One: a lazy torch import in the editor (allowed) and Qt in the
    stepping engine (exactly one contract broken). Two: a violation of every contract."""
    one, two = _copy(tmp_path / "one"), _copy(tmp_path / "two")
    _append(one, "ui/inspector.py", "\n\ndef _later():\n    import torch  # lazy: allowed\n    return torch\n")
    (one / "step" / "_planted.py").write_text("from PySide6 import QtCore  # noqa\n")
    _append(two, "core/events.py", "\nfrom ..io import fileformat as _f  # noqa\n")
    _append(two, "compiler/layers.py", "\nimport PySide6  # noqa\n")
    _append(two, "io/migrations.py", "\nimport torch  # noqa\n")
    _append(two, "ui/live.py", "\nimport graphlab.compiler  # noqa  (module level: torch at import time)\n")
    _append(two, "cli.py", "\nimport torch  # noqa\n")
    _append(two, "ui/training/fit_check.py", "\nfrom ..main_window import MainWindow  # noqa\n")
    _append(two, "search/space.py", "\nimport optuna  # noqa\n")
    _append(two, "run/config.py", "\nimport graphlab.search  # noqa\n")
    (code, out, _), (code2, text, _) = _lint(tmp_path / "one", tmp_path / "two")
    assert "search import no Qt, nor the editor BROKEN" in out and "graphlab.step._planted" in out
    assert "7 kept, 1 broken" in out, out  # the lazy import in the editor broke nothing
    assert "the editor imports torch only lazily (not when a window opens) KEPT" in out, out
    assert code2 != 0
    for name in ("graphlab.core imports neither Qt, torch nor any other graphlab package BROKEN",
                 "io, compiler, run, export, step, search import no Qt, nor the editor BROKEN",
                 "graphlab.search imports torch and Optuna only lazily BROKEN",
                 "training and the file format know nothing of searches BROKEN",
                 "graphlab.io reads and writes files without torch or the engine's torch side BROKEN",
                 "the editor imports torch only lazily (not when a window opens) BROKEN",
                 "the command line imports neither torch nor Qt until a command needs them BROKEN",
                 "features are built from a Document and a Shell, never from the main window BROKEN"):
        assert name in text, text
    assert "graphlab.ui.live -> graphlab.compiler" in text  # the chain is shown
