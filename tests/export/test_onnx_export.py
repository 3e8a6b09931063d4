"""ONNX export: the file passes onnx.checker and, run by onnx's reference evaluator, gives the
compiled module's outputs, for any batch size."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import graphlab
from graphlab.compiler import example_inputs, info
from graphlab.export import ExportError
from graphlab.export.onnx import INSTALL_HINT, export_onnx

from .conftest import randomize

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxscript")
from onnx.reference import ReferenceEvaluator  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["two_layer_net", "lstm_sequence", "backprop_gates", "resnet_block"])
def test_onnx_matches_compiled_module(name: str, tmp_path: Path) -> None:
    graph = graphlab.load(EXAMPLES / f"{name}.graphlab.json")
    gm = graphlab.compile(graph)
    state = randomize(gm.state_dict(), seed=2)
    ckpt = tmp_path / "w.pt"
    torch.save(state, ckpt)
    out = tmp_path / f"{name}.onnx"
    assert export_onnx(graph, out, weights=ckpt) == [out]
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    ci = info(gm)
    assert [i.name for i in model.graph.input] == ci.input_ids
    gm.load_state_dict(state)
    gm.eval()
    xs = example_inputs(graph, ci.analysis, batch=5, generator=torch.Generator().manual_seed(1))  # exported at 2
    (got,) = ReferenceEvaluator(model).run(None, {n: x.numpy() for n, x in zip(ci.input_ids, xs, strict=False)})
    with torch.no_grad():
        want = gm(*xs).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)  # numpy vs oneDNN summation order


def test_missing_onnx_gives_the_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from graphlab.cli import main

    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    graph = graphlab.load(EXAMPLES / "two_layer_net.graphlab.json")
    with pytest.raises(ExportError, match=r"pip install graphlab\[onnx\]"):
        export_onnx(graph, tmp_path / "x.onnx")
    src = str(EXAMPLES / "two_layer_net.graphlab.json")
    code = main(["export", src, "--to", "onnx", "-o", str(tmp_path / "x.onnx")])
    err = capsys.readouterr().err
    assert code == 2 and err.strip() == f"graphlab: {INSTALL_HINT}"
    assert not (tmp_path / "x.onnx").exists()
