"""The bar: each family imports with outputs equal to the original (import → compile → load the
original state_dict → a random batch), the same parameter count, and a file that re-saves byte for byte."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch

from graphlab.compiler import compile_graph
from graphlab.importer import import_model
from graphlab.importer.weights import map_weights
from graphlab.io import dumps, load, save
from tests.importer import zoo

ZOO = Path(zoo.__file__)


def _original(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    model = getattr(zoo, name)()
    with torch.no_grad():  # running statistics that are not 0 and 1, so eval-mode BatchNorm is really compared
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.normal_(1, 0.2)
                m.bias.normal_(0, 0.2)
    return model.eval()


@pytest.mark.parametrize("name", sorted(zoo.INPUTS))
def test_family_imports_losslessly(name: str, tmp_path: Path) -> None:
    torch.set_num_threads(1)
    shape = zoo.INPUTS[name]
    result = import_model(f"{ZOO}:{name}", shape)
    original = _original(name)
    assert result.analysis.total_params == sum(p.numel() for p in original.parameters())
    gm = compile_graph(result.graph, seed=1)
    gm.load_state_dict(map_weights(result, original.state_dict()), strict=True)
    gm.eval()
    x = torch.randn(4, *shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        want, got = original(x), gm(x)
    assert got.shape == want.shape
    assert float((got - want).abs().max()) <= 1e-5, name
    first = tmp_path / "a.graphlab.json"
    save(result.graph, first)
    again = tmp_path / "b.graphlab.json"
    save(load(first), again)
    assert first.read_bytes() == again.read_bytes() == dumps(result.graph).encode()
