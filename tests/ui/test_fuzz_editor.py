"""The editor's fuzz (issue 16): files with extreme positions and long strings, crafted clipboard
text, and extreme values through the controller's ``set_param`` (what the inspector calls), in one
window. After each: no listener failed, the scene equals the model, and a save reopens as the graph
that was shown (or the save is refused with one line and the file is left as it was).

``GRAPHLAB_FUZZ=long`` runs 25 times as many examples (docs/security.md).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QMimeData, QPointF
from PySide6.QtGui import QGuiApplication

from graphlab.core import REGISTRY
from graphlab.io import dumps, load
from tests.fuzz.strategies import SMALL_EXAMPLES, example_doc, fuzz_settings, hostile_text, json_values, numbers

from .helpers import scene_matches_model

#: positions at and past every edge: beyond the clamp, beyond float32, subnormal, negative zero
POSITIONS = [1e8, -1e8, 1e20, 1e308, -1e308, 5e-324, -0.0, 10 ** 300, 999_999.99, 1_000_000.5, 0.005, 3]
LONG_TEXT = ["A" * 100_000, "Ab cD-" * 20_000, "\u2028" * 5000, "é" * 50_000, "x\n" * 10_000]


def _long_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(LONG_TEXT), hostile_text(0, 12))


@pytest.fixture
def window(make_window, tmp_path: Path) -> Any:
    w = make_window()
    w.failures = []
    return w


def _watch(w: Any) -> None:
    w.document.graph.listener_failed.connect(lambda *a: w.failures.append(a))


def _open(w: Any, doc: Any, folder: Path) -> bool:
    path = folder / "g.graphlab.json"
    path.write_text(json.dumps(doc, ensure_ascii=True), encoding="utf-8")
    w.prompts.errors.clear()
    opened = w.open_file(path, ask=False)
    if not opened:
        (title, text), = w.prompts.errors
        assert text and "\n" not in text, text
        return False
    _watch(w)
    return True


def _saves_and_reopens_as_shown(w: Any, folder: Path) -> None:
    """No listener failed, the scene is the model, and a save reopens as what was shown; a refused
    save is one line and leaves the file as it was."""
    assert not w.failures, w.failures[:1]
    scene_matches_model(w)
    shown = dumps(w.document.graph)
    path = folder / "saved.graphlab.json"
    path.write_text("previous", encoding="utf-8")
    w.prompts.errors.clear()
    if w.save_file(path):
        assert dumps(load(path)) == shown
    else:
        (title, text), = w.prompts.errors
        assert "\n" not in text and path.read_text(encoding="utf-8") == "previous", text


@st.composite
def extreme_files(draw) -> dict:
    """A small example with positions, names, ids, types and string params pushed to extremes."""
    doc = copy.deepcopy(example_doc(draw(st.sampled_from(SMALL_EXAMPLES))))
    nodes = doc["nodes"]
    for _ in range(draw(st.integers(1, 4))):
        node = nodes[draw(st.integers(0, len(nodes) - 1))]
        what = draw(st.sampled_from(["pos", "pos", "type", "name", "init", "param", "extra"]))
        if what == "pos":
            node["pos"] = [draw(st.one_of(st.sampled_from(POSITIONS), numbers())) for _ in range(2)]
        elif what == "type":
            node["type"] = draw(_long_text())
        elif what == "name":
            doc["name"] = draw(_long_text())
        elif what == "init":
            node["init"] = draw(_long_text())
        elif what == "param":
            node.setdefault("params", {})[draw(st.sampled_from(["shape", "out_features", "kernel_size", "x"]))] = \
                draw(st.one_of(_long_text(), json_values(6), st.sampled_from([10 ** 300, [10 ** 300], 1e308])))
        else:
            node[draw(_long_text())] = draw(json_values(4))
    return doc


@given(doc=extreme_files())
@fuzz_settings(12)
def test_open_files_with_extreme_positions_and_long_strings(window, doc: dict, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("open")
    if _open(window, doc, folder):
        _saves_and_reopens_as_shown(window, folder)


@st.composite
def clipboards(draw) -> str:
    """Clipboard text: crafted node lists (extreme positions, huge or deep values, hostile types and
    ids), broken JSON, or anything."""
    kind = draw(st.sampled_from(["nodes", "nodes", "nodes", "json", "text"]))
    if kind == "text":
        return draw(st.one_of(hostile_text(0, 20), st.sampled_from(["", "{", "[]", "null", '{"nodes": 3}'])))
    if kind == "json":
        return json.dumps(draw(json_values(10)), default=str)
    nodes = []
    for i in range(draw(st.integers(1, 3))):
        node: dict[str, Any] = {"id": draw(st.one_of(st.sampled_from(["a", "b", "c"]), hostile_text(0, 4))),
                                "type": draw(st.one_of(st.sampled_from(["ReLU", "Linear", "Conv2d", "Input"]),
                                                       _long_text()))}
        for key in draw(st.lists(st.sampled_from(["pos", "params", "init"]), unique=True)):
            node[key] = draw({"pos": st.one_of(st.lists(st.one_of(st.sampled_from(POSITIONS), numbers(),
                                                                  st.sampled_from(["nan", "inf", None])),
                                                        min_size=0, max_size=3)),
                              "params": st.one_of(st.dictionaries(st.sampled_from(["out_features", "shape", "p"]),
                                                                  json_values(6), max_size=2), json_values(3)),
                              "init": st.one_of(st.none(), _long_text(), numbers())}[key])
        nodes.append(node)
    edges = [{"from": draw(st.sampled_from(["a", "b", "c"])), "to": draw(st.sampled_from(["a", "b", "c"])),
              "port": draw(st.one_of(st.integers(-1, 300), st.sampled_from(["0", 1e308, None])))}
             for _ in range(draw(st.integers(0, 2)))]
    text = json.dumps({"graphlab-clip": 1, "nodes": nodes, "edges": edges}, ensure_ascii=True, default=str)
    token = draw(st.sampled_from([None, "1" + "0" * 400, "1e999", "NaN", '"\\ud83d"', "[" * 300 + "]" * 300]))
    if token is not None and "0" in text:
        at = text.index("0")
        text = text[:at] + token + text[at + 1:]
    return text


@given(text=clipboards())
@fuzz_settings(30)
def test_paste_crafted_clipboard_text(window, examples_dir, text: str, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("paste")
    assert _open(window, example_doc("lenet5"), folder)
    md = QMimeData()
    md.setText(text)
    QGuiApplication.clipboard().setMimeData(md)
    before = dumps(window.document.graph)
    ids = window.clipboard.paste(QPointF(40, 40))
    if not ids:
        assert dumps(window.document.graph) == before
    _saves_and_reopens_as_shown(window, folder)
    if ids:
        window.undo_stack.undo()
        assert dumps(window.document.graph) == before
        scene_matches_model(window)


EXTREME_VALUES = [10 ** 400, -(10 ** 400), 10 ** 300, 1e308, -1e308, 2 ** 63, 1.5, 0, -1, None, True, "",
                  "\ud83d", {"\ud83d": 1}, [10 ** 400], [1, 10 ** 400, 28], "A" * 100_000]


@given(data=st.data())
@fuzz_settings(25)
def test_set_extreme_values_through_the_controller(window, data, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("set")
    name = data.draw(st.sampled_from(["lenet5", "adding_lstm", "resnet_block", "two_layer_net"]))
    assert _open(window, example_doc(name), folder)
    for _ in range(data.draw(st.integers(1, 5))):
        nid = data.draw(st.sampled_from(sorted(window.document.graph.nodes)))
        spec = REGISTRY.get(window.document.graph.nodes[nid].type)
        params = [p.name for p in spec.params] if spec else []
        pname = data.draw(st.sampled_from(params + ["init", "bogus"]))
        value = data.draw(st.one_of(st.sampled_from(EXTREME_VALUES), numbers(), json_values(8), _long_text()))
        window.controller.set_param(nid, pname, value)
    _saves_and_reopens_as_shown(window, folder)
