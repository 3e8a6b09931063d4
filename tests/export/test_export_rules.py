"""Each layer's exported constructor call builds the very module the compiler builds (torch is the oracle).

The exporters write the call from the layer catalogue (:func:`graphlab.export.model_source.layer_call`)
without building anything; here the written call is evaluated and compared with the module
``graphlab.compile`` builds for a one-layer graph: same class, same ``repr`` (every constructor
setting), same parameter and buffer names and shapes, same output for the same weights.
"""
from __future__ import annotations

import re
from typing import Any

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import graphlab
from graphlab.compiler import info
from graphlab.compiler import modules as gl_modules
from graphlab.core import REGISTRY, Graph
from graphlab.core.spec import LayerSpec, ShapeError
from graphlab.export.codegen import call
from graphlab.export.model_source import layer_call

from ..fuzz.strategies import fuzz_settings

SPECS = [s for specs in REGISTRY.by_category().values() for s in specs]


def _value(draw: Any, p: Any) -> Any:
    lo = int(p.min) + (1 if p.min_exclusive else 0) if p.min is not None else -3
    if p.kind == "int":
        return draw(st.integers(lo, lo + 4))
    if p.kind == "float":
        hi = p.max if p.max is not None else 3.0
        return draw(st.floats(p.min if p.min is not None else -3.0, hi, exclude_min=p.min_exclusive,
                              exclude_max=p.max_exclusive, allow_nan=False))
    if p.kind == "bool":
        return draw(st.booleans())
    if p.kind == "choice":
        return draw(st.sampled_from(p.choices))
    pair = st.one_of(st.integers(lo, lo + 3), st.lists(st.integers(lo, lo + 3), min_size=2, max_size=2))
    if p.kind == "pair_or_none":
        return draw(st.one_of(st.none(), pair))
    if p.kind == "pair":
        return draw(pair)
    return draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))


@st.composite
def layer_cases(draw: Any, spec: LayerSpec) -> tuple[dict, dict, list[tuple[int, ...]], tuple[int, ...]]:
    """(params as written in a file, resolved params, input shapes, output shape) that fit."""
    params = {p.name: _value(draw, p) for p in spec.params if draw(st.booleans())}
    resolved, errors = spec.resolve(params)
    assume(not errors)
    n = 2 if spec.variadic else spec.inputs
    first = tuple(draw(st.lists(st.integers(1, 9), min_size=1, max_size=3)))
    ins = [first] * n
    try:
        out = tuple(spec.shape(resolved, ins))
    except ShapeError:
        assume(False)
    return params, resolved, ins, out


def _compiled(spec: LayerSpec, params: dict, ins: list) -> torch.nn.Module:
    """The module graphlab.compile builds for this layer, in a graph of Inputs -> the layer."""
    g = Graph("one")
    for i, shape in enumerate(ins):
        g.add_node("Input", {"shape": list(shape)}, node_id=f"in{i}")
    g.add_node(spec.type, params, node_id="layer")
    for i in range(len(ins)):
        g.connect(f"in{i}", "layer", i)
    gm = graphlab.compile(g)
    return info(gm).loss if spec.is_loss else gm.get_submodule(info(gm).module_names["layer"])


def _written(spec: LayerSpec, resolved: dict, ins: list, out: tuple) -> torch.nn.Module:
    callee, args, kwargs, _ = layer_call(spec, resolved, ins, out)
    namespace = {"nn": torch.nn, **{n: getattr(gl_modules, n) for n in dir(gl_modules)}}
    return eval(call(callee, args, kwargs).text, namespace)  # our own generated text, in a test


def _same_pairs(text: str) -> str:
    """(3, 3) and 3 mean the same to every module here: the exporter writes square pairs as one int."""
    return re.sub(r"\((\d+), \1\)", r"\1", text)


@pytest.mark.parametrize("spec", [s for s in SPECS if s.inputs != 0], ids=lambda s: s.type)
@given(data=st.data())
@fuzz_settings(10)
def test_the_exported_call_builds_the_compiled_module(spec: LayerSpec, data: st.DataObject) -> None:
    params, resolved, ins, out = data.draw(layer_cases(spec))
    want = _compiled(spec, params, ins)
    got = _written(spec, resolved, ins, out)
    assert type(got) is type(want)
    assert _same_pairs(repr(got)) == _same_pairs(repr(want))  # every constructor setting
    assert {k: v.shape for k, v in got.state_dict().items()} == {k: v.shape for k, v in want.state_dict().items()}
    for attr in ("output", "dim", "pieces", "out_features", "bidirectional", "p", "margin", "negative_slope", "alpha"):
        assert getattr(got, attr, None) == getattr(want, attr, None), attr
    if not spec.is_loss:  # and the same function: same weights in, same output out
        got.load_state_dict(want.state_dict())
        got.eval(), want.eval()
        xs = [torch.randn(2, *shape, generator=torch.Generator().manual_seed(i)) for i, shape in enumerate(ins)]
        with torch.no_grad():
            torch.testing.assert_close(got(*xs), want(*xs))
