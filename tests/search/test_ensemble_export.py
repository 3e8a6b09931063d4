"""The ensemble export's text: user data (the graph's name, run folders) only as literals, so a hostile
name cannot add a statement; members with other layer sizes get classes of their own."""
from __future__ import annotations

import ast
import json

import pytest
import torch

from graphlab.export.ensemble import ensemble_source
from graphlab.export.model_source import ExportError
from graphlab.io import loads
from tests.search.helpers import spiral_doc

HOSTILE = 'x"""\nimport os; os.system("echo pwned")  # \u2028\'\\'


def member(name: str, hidden: int):
    doc = spiral_doc()
    doc["name"] = name
    doc["nodes"][1]["params"]["out_features"] = hidden
    return loads(json.dumps(doc))


def shape(text: str) -> list[str]:
    """The script's syntax tree without its constants."""
    return [type(n).__name__ for n in ast.walk(ast.parse(text)) if not isinstance(n, ast.Constant)]


def test_hostile_names_stay_data():
    benign = ensemble_source([member("net", 20), member("net", 50)], ["/r/a", "/r/b"], "e.pt")
    bad = ensemble_source([member(HOSTILE, 20), member(HOSTILE, 50)], [HOSTILE, "/r/b"], "e.pt")
    assert shape(bad) == shape(benign)
    ns: dict = {"__file__": "/tmp/ensemble.py", "__name__": "ensemble"}
    exec(compile(bad, "<ensemble>", "exec"), ns)  # noqa: S102 - the point: it runs, and only defines things
    assert ns["GRAPH_NAME"] == HOSTILE and ns["MEMBER_RUNS"] == [HOSTILE, "/r/b"]
    model = ns["Ensemble"]()
    sizes = [m.fc1.out_features for m in model.members]
    assert sizes == [20, 50] and len({type(m).__name__ for m in model.members}) == 2
    out = model(torch.randn(5, 2))
    assert out.shape == (5, 3) and torch.allclose(out.sum(1), torch.ones(5))


def test_members_must_share_their_inputs():
    other = spiral_doc()
    other["nodes"][0]["params"]["shape"] = [3]
    with pytest.raises(ExportError, match="member 2 takes other inputs"):
        ensemble_source([member("net", 20), loads(json.dumps(other))], ["/a", "/b"], "e.pt")
