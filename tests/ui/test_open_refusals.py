"""The editor refuses a file holding a number no float can hold, naming the field; the document stays."""
from __future__ import annotations

import json

from .helpers import snapshot


def test_open_refuses_an_integer_beyond_float_range(make_window, examples_dir, tmp_path):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    before = snapshot(w)
    doc = json.loads((examples_dir / "lenet5.graphlab.json").read_text())
    doc["nodes"][1]["pos"] = [10**400, 0]
    bad = tmp_path / "huge.graphlab.json"
    bad.write_text(json.dumps(doc))
    assert not w.open_file(bad, ask=False)
    (title, text), = w.prompts.errors
    assert "nodes[1].pos[0] (node 'conv1'): the number is out of range" in text and "\n" not in text
    assert snapshot(w) == before
