"""graphlab.core and graphlab.io must not import torch or Qt (checked in a fresh interpreter)."""
import subprocess
import sys


def test_core_imports_no_torch_no_qt():
    code = (
        "import sys, graphlab, graphlab.core, graphlab.io, graphlab.cli\n"
        "from graphlab.core import REGISTRY, analyze\n"
        "import graphlab.core.layout, io, contextlib\n"
        "from graphlab.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()): assert main(['check', 'examples/lenet5.graphlab.json']) == 0\n"
        "g = graphlab.load('examples/resnet18.graphlab.json'); a = analyze(g); assert a.ok\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'PySide6', 'pyqtgraph', 'shiboken6')]\n"
        "print(','.join(bad))\n"
    )
    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "", f"imported at core import time: {out.stdout}"


def test_the_purity_check_can_fail():
    """The same check sees torch once something imports it (so the test above is not vacuous)."""
    code = "import sys, graphlab; graphlab.compile\nimport graphlab.compiler\nprint('torch' in sys.modules)"
    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "True"
