"""The layer-parameter matrix: every parameter of every layer type × extreme, wrong-typed and boundary
values × the input ranks (issue 16). Each case is a graph file's document and a tiny dataset for it.

A case changes one parameter of one layer and leaves the others at their defaults, so a case that
checks clean runs in a moment (a kernel of 256 *and* a padding of 256 would be a legitimately slow
convolution, not a defect). The layer sits after an Input of the rank under test (every port fed
from it), then Flatten, a Linear of 2 scores and a cross-entropy loss; a loss under test takes the
Linear's scores itself. The dataset (.npz, two samples) fits the Input, so ``step`` and ``train``
run one batch.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphlab.core import REGISTRY
from graphlab.core.spec import LayerSpec, Param

#: per-sample inputs by rank; the image is wide enough for the largest kernel, stride and dilation
RANKS: dict[int, tuple[int, ...]] = {1: (16,), 2: (6, 16), 3: (2, 6, 260)}
#: values every parameter meets, whatever its kind: wrong types and extremes
COMMON: list[Any] = [None, True, "3", "", [], {}, [1, 2, 3], {"a": [1]}, 0, -1, 1.5, 2 ** 31, 2 ** 63, 10 ** 18,
                     10 ** 400, 1e308, -1e308, 1e-320]


def _boundaries(p: Param) -> list[Any]:
    out: list[Any] = []
    for b in (p.min, p.max):
        if b is not None:
            b = int(b) if p.kind != "float" else float(b)
            out += [b - 1, b, b + 1] if p.kind != "float" else [b, b - 1e-9, b + 1e-9, b * 2 + 1]
    return out


def values_for(p: Param) -> list[Any]:
    """The values one parameter is tried with."""
    vals = list(COMMON) + _boundaries(p)
    if p.kind == "int":
        vals += [1, 2, 3.0, 64, 4096, 2.0 ** 60]
    elif p.kind == "float":
        vals += [0.0, -0.0, 0.5, 1.0, 1e300, -1e300, 1e-300]
    elif p.kind == "bool":
        vals += [False, 1]
    elif p.kind == "choice":
        vals += list(p.choices) + [str(c).upper() for c in p.choices]
    elif p.kind in ("pair", "pair_or_none"):
        hi = int(p.max) if p.max is not None else 4096
        vals += [1, 2, [1, hi], [hi, 1], [1, hi + 1], [2, 3], [1.5, 2], ["1", 2], [True, 1], [2 ** 31, 1], [0, 1]]
    elif p.kind == "shape":
        vals += [[1], [3], [2 ** 31], [1] * 8, [1] * 9, [1] * 65, [0], [-1], [1.5], [10 ** 18, 1], [2 ** 62],
                 [2, 6, 260], [6, 16]]
    seen: list[Any] = []
    for v in vals:  # unique by value *and* type (1 and True and 1.0 are different cases)
        if not any(type(v) is type(s) and v == s for s in seen):
            seen.append(v)
    return seen


@dataclass
class Case:
    layer: str
    param: str
    value: Any
    rank: int
    doc: dict[str, Any]
    data: dict[str, np.ndarray]

    @property
    def name(self) -> str:
        text = repr(self.value)
        return f"{self.layer}.{self.param}={text if len(text) < 40 else text[:37] + '...'} @rank{self.rank}"


def _doc(spec: LayerSpec, params: dict[str, Any], shape: tuple[int, ...]) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "x", "type": "Input", "params": {"shape": list(shape)}}]
    edges: list[dict[str, Any]] = []
    if spec.is_input:
        nodes[0]["params"] = params
        chain = [("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 2}), ("loss", "CrossEntropyLoss", {})]
        prev = "x"
    elif spec.is_loss:
        chain = [("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 2}), ("layer", spec.type, params)]
        prev = "x"
    else:
        nodes.append({"id": "layer", "type": spec.type, "params": params})
        edges += [{"from": "x", "to": "layer", "port": i} for i in range(2 if spec.variadic else spec.inputs)]
        chain = [("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 2}), ("loss", "CrossEntropyLoss", {})]
        prev = "layer"
    for nid, type_, ps in chain:
        nodes.append({"id": nid, "type": type_, "params": ps})
        edges.append({"from": prev, "to": nid})
        prev = nid
    return {"graphlab": 1, "name": f"{spec.type} matrix", "nodes": nodes, "edges": edges,
            "training": {"dataset": {"name": "npz", "path": "d.npz", "x": "x", "y": "y"}, "epochs": 1,
                         "batch_size": 2, "val_fraction": 0, "seed": 0}}


def _data(spec: LayerSpec, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, *shape)).astype(np.float32)
    if spec.is_loss and spec.task == "regression":
        return {"x": x, "y": rng.random((2, 2)).astype(np.float32) + 0.25}
    return {"x": x, "y": np.array([0, 1], np.int64)}


def cases() -> list[Case]:
    out: list[Case] = []
    for t in REGISTRY.types():
        spec = REGISTRY.get(t)
        for p in spec.params:
            for v in values_for(p):
                for rank, shape in RANKS.items():
                    if spec.is_input and rank > 1:
                        continue  # the Input's shape is the parameter itself
                    out.append(Case(t, p.name, v, rank, _doc(spec, {p.name: v}, shape), _data(spec, shape)))
    return out


def npz_bytes(data: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **data)
    return buf.getvalue()
