"""graphlab.step uses torch but never Qt; the CLI module imports torch only when a command runs."""
import subprocess
import sys

from tests.conftest import ROOT


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(','.join(sys.modules))"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return {m.split(".")[0] for m in out.stdout.strip().split(",")}


def test_step_imports_no_qt():
    mods = _modules_after("import graphlab.step, graphlab.step.gradcheck, graphlab.step.report")
    assert "torch" in mods
    assert not mods & {"PySide6", "pyqtgraph", "shiboken6"}


def test_the_step_commands_module_imports_no_torch_until_run():
    mods = _modules_after("import graphlab.cli_step")
    assert "torch" not in mods and "PySide6" not in mods
