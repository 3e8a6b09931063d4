"""The architecture as contracts: `lint-imports` (pyproject.toml [tool.importlinter]) runs with the tests.

Contracts (ids): core-is-pure, no-qt-outside-ui, io-without-torch, ui-torch-lazily, search-lazily,
run-without-search, cli-headless, features-without-window.
The second test plants violations in a copy of the package and checks that each contract catches
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


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(LINT, cwd=root, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "HOME": str(root)})


def test_import_contracts_are_kept() -> None:
    out = _lint(ROOT)
    assert out.returncode == 0, f"import contracts broken:\n{out.stdout}\n{out.stderr}"
    assert "8 kept, 0 broken" in out.stdout, out.stdout


def test_each_contract_catches_its_violation(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "graphlab", tmp_path / "graphlab", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    shutil.copy(ROOT / "tests" / "import_contracts.py", tmp_path / "tests")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    pkg = tmp_path / "graphlab"

    def append(rel: str, text: str) -> None:
        with open(pkg / rel, "a", encoding="utf-8") as f:
            f.write(text)

    append("ui/inspector.py", "\n\ndef _later():\n    import torch  # lazy: allowed\n    return torch\n")
    assert _lint(tmp_path).returncode == 0, "a function-level import of torch in the editor is allowed"
    (pkg / "step").mkdir(exist_ok=True)  # the stepping engine's package is covered once it exists
    if not (pkg / "step" / "__init__.py").exists():
        (pkg / "step" / "__init__.py").write_text("")
    (pkg / "step" / "_planted.py").write_text("from PySide6 import QtCore  # noqa\n")
    out = _lint(tmp_path)
    assert "search import no Qt, nor the editor BROKEN" in out.stdout and "graphlab.step._planted" in out.stdout
    assert "7 kept, 1 broken" in out.stdout, out.stdout
    append("core/events.py", "\nfrom ..io import fileformat as _f  # noqa\n")
    append("compiler/layers.py", "\nimport PySide6  # noqa\n")
    append("io/migrations.py", "\nimport torch  # noqa\n")
    append("ui/live.py", "\nimport graphlab.compiler  # noqa  (module level: torch at import time)\n")
    append("cli.py", "\nimport torch  # noqa\n")
    append("ui/training/fit_check.py", "\nfrom ..main_window import MainWindow  # noqa\n")
    append("search/space.py", "\nimport optuna  # noqa\n")
    append("run/config.py", "\nimport graphlab.search  # noqa\n")
    out = _lint(tmp_path)
    assert out.returncode != 0
    text = out.stdout
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
