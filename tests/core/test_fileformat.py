import json
import os

import pytest

from graphlab.core import Graph
from graphlab.io import FORMAT_VERSION, FileFormatError, dumps, load, loads, save


def test_round_trip_is_byte_stable_and_keeps_unknown_keys(tmp_path, examples_dir):
    src = (examples_dir / "resnet_block.graphlab.json").read_text()
    doc = json.loads(src)
    doc["future_key"] = {"a": [1, 2]}
    doc["nodes"][1]["colour"] = "red"
    doc["training"] = {"epochs": 3, "optimizer": {"name": "adam", "lr": 0.001}}
    p = tmp_path / "g.graphlab.json"
    p.write_text(json.dumps(doc))
    g = load(p)
    save(g, p)
    once = p.read_text()
    save(load(p), p)
    assert p.read_text() == once
    back = json.loads(once)
    assert back["future_key"] == {"a": [1, 2]} and back["nodes"][1]["colour"] == "red"
    assert back["training"] == doc["training"]
    assert [n["id"] for n in back["nodes"]] == [n["id"] for n in doc["nodes"]]
    assert list(back)[:5] == ["graphlab", "name", "nodes", "edges", "training"]


def test_defaults_may_be_left_out():
    g = loads('{"graphlab": 1, "nodes": [{"id": "x", "type": "Input", "params": {"shape": [3]}},'
              '{"id": "r", "type": "ReLU"}, {"id": "s", "type": "Add"}],'
              '"edges": [{"from": "x", "to": "r"}, {"from": "x", "to": "s"}, {"from": "r", "to": "s", "port": 1}]}')
    assert g.nodes["r"].params == {} and g.nodes["r"].pos == (0.0, 0.0)
    assert [e.port for e in g.inputs_of("s")] == [0, 1] and g.name == "untitled" and g.training == {}


def test_save_is_atomic(tmp_path, monkeypatch):
    p = tmp_path / "g.json"
    g = Graph("first")
    save(g, p)
    before = p.read_text()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    g.name = "second"
    with pytest.raises(OSError):
        save(g, p)
    assert p.read_text() == before
    assert [f.name for f in tmp_path.iterdir()] == ["g.json"]


@pytest.mark.parametrize("content,words", [
    (b"", "empty"),
    (b"   \n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a text file"),
    (b"{nope", "not valid JSON"),
    (b"[1, 2]", "JSON object, not a list"),
    (b'{"nodes": []}', '"graphlab" version key is missing'),
    (b'{"graphlab": 4, "nodes": []}', "newer than this GraphLab"),
    (b'{"graphlab": 0}', "does not exist"),
    (b'{"graphlab": "1"}', "version number"),
    (b'{"graphlab": 1, "nodes": {}}', "nodes: must be a list"),
    (b'{"graphlab": 1, "nodes": [{"type": "ReLU"}]}', 'nodes[0]: the "id" key is missing'),
    (b'{"graphlab": 1, "nodes": [{"id": 5, "type": "ReLU"}]}', "nodes[0].id: must be a string"),
    (b'{"graphlab": 1, "nodes": [{"id": "1x", "type": "ReLU"}]}', "nodes[0].id: '1x' is not a valid id"),
    (b'{"graphlab": 1, "nodes": [{"id": "a"}]}', '"type" key is missing'),
    (b'{"graphlab": 1, "nodes": [{"id": "a", "type": "ReLU", "params": [1]}]}', "nodes[0].params: must be an object"),
    (b'{"graphlab": 1, "nodes": [{"id": "a", "type": "ReLU", "pos": [1]}]}', "nodes[0].pos"),
    (b'{"graphlab": 1, "edges": [{"from": "a"}]}', 'edges[0]: the "to" key is missing'),
    (b'{"graphlab": 1, "edges": [{"from": "a", "to": "b", "port": -1}]}', "edges[0].port"),
    (b'{"graphlab": 1, "training": []}', "training: must be an object"),
    (b'{"graphlab": 1, "name": 3}', "name: must be a string"),
    (b'{"graphlab": 1, "nodes": [{"id": "a", "type": "ReLU", "pos": [NaN, 1]}]}', "NaN is not allowed"),
    (b"[" * 100000 + b"]" * 100000, "nests too deeply"),
])
def test_malformed_files_get_a_clear_message(tmp_path, content, words):
    p = tmp_path / "bad.graphlab.json"
    p.write_bytes(content)
    with pytest.raises(FileFormatError) as e:
        load(p)
    assert words in str(e.value) and str(p) in str(e.value)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileFormatError, match="no such file"):
        load(tmp_path / "nope.json")
    with pytest.raises(FileFormatError, match="folder"):
        load(tmp_path)


def test_format_diffs_line_by_line():
    g = loads('{"graphlab": 1, "nodes": [{"id": "x", "type": "Input", "params": {"shape": [3]}}]}')
    text = dumps(g)
    # a file without groups or frozen nodes stays version 2 (graphlab.io.fileformat: PLAIN_VERSION)
    assert '"graphlab": 2' in text and text.endswith("}\n") and FORMAT_VERSION == 3
    assert '      "params": {"shape": [3]},' in text  # one node field per line


@pytest.mark.parametrize("content,words", [
    (b'{"graphlab": 1, "training": {"lr": 1e999}}', "training.lr: the number is out of range"),
    (b'{"graphlab": 1, "nodes": [{"id": "a", "type": "ReLU", "note": [1e999]}]}', "out of range"),
    (b'{"graphlab": 1, "name": "\\ud800"}', "name: the text is not valid Unicode"),
    (b'{"graphlab": 1, "training": {"x": ' + b"[" * 200 + b"]" * 200 + b"}}", "levels deep"),
    (b'{"graphlab": 1, "edges": [{"from": "a", "to": "b", "port": 100000000}]}', "edges[0].port"),
])
def test_values_that_could_not_be_saved_again_are_refused(tmp_path, content, words):
    p = tmp_path / "g.json"
    p.write_bytes(content)
    with pytest.raises(FileFormatError) as e:
        load(p)
    assert words in str(e.value)
