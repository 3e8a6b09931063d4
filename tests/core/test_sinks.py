"""A graph without a loss returns its sinks: the analysis names them once (Analysis.sinks), and the
compiled module, both exports and the stepper's objective all use that list."""
from __future__ import annotations

import pytest
import torch

from graphlab.compiler import compile_graph
from graphlab.core import analyze
from graphlab.export.model_source import model_source
from graphlab.step import Stepper
from tests.step.helpers import graph


def two_outputs():
    # x -> a -> (b, c); an Input that feeds nothing is not a sink
    return graph([("x", "Input", {"shape": [4]}), ("unused", "Input", {"shape": [2]}), ("a", "Linear", {"out_features": 3}),
                  ("c", "Tanh", {}), ("b", "Sigmoid", {})],
                 [("x", "a", 0), ("a", "c", 0), ("a", "b", 0)])


def test_the_analysis_names_the_sinks_in_forward_order():
    g = two_outputs()
    a = analyze(g)
    assert a.loss is None and a.output is None
    assert a.sinks == [n for n in a.order if n in ("b", "c")] and set(a.sinks) == {"b", "c"}


def test_compiler_exports_and_stepper_return_the_same_sinks(tmp_path):
    g = two_outputs()
    a = analyze(g)
    gm = compile_graph(g, seed=0)
    x = torch.randn(2, 4)
    outs = gm(x, torch.randn(2, 2))
    h = gm.a(x)
    want = {"b": torch.sigmoid(h), "c": torch.tanh(h)}
    assert isinstance(outs, tuple) and len(outs) == len(a.sinks) == 2
    for sink, out in zip(a.sinks, outs):
        torch.testing.assert_close(out, want[sink])
    from graphlab.export.python import export_python

    (path,) = export_python(g, tmp_path / "m.py")
    assert f"return ({', '.join(a.sinks)})" in path.read_text()
    st = Stepper(g, batch=2)
    assert list(st.upstream) == a.sinks


def test_onnx_names_its_outputs_after_the_sinks(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    import onnx

    from graphlab.export.onnx import export_onnx

    g = two_outputs()
    export_onnx(g, tmp_path / "m.onnx")
    model = onnx.load(str(tmp_path / "m.onnx"))
    assert [o.name for o in model.graph.output] == analyze(g).sinks
