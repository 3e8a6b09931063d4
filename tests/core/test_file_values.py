"""Nothing saved becomes unopenable (issue 16, items 3, 4 and 6).

One check (:func:`graphlab.io.values.value_problem`) decides what a graph file can hold; ``load``
refuses a file with it, ``save`` refuses to write a graph with it (the file on disk stays as it
was), and the editor's controller refuses a paste or a parameter edit with it (tests/ui). The
property test below ties them: a parameter value passes the check exactly when a file holding it
loads and saves back unchanged. Positions: non-finite ones are refused naming the node; huge
finite ones are clamped to ±MAX_COORD.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphlab.core import Graph
from graphlab.io import FileFormatError, dumps, load, loads, save
from graphlab.io.values import MAX_COORD, MAX_DEPTH, PARAM_DEPTH, position, value_problem
from tests.fuzz.strategies import fuzz_settings, json_values

SURROGATE = "\ud83d"


def _doc(**node_changes) -> dict:
    node = {"id": "fc", "type": "Linear", "params": {"out_features": 3}, "pos": [100, 0]}
    node.update(node_changes)
    return {"graphlab": 1, "name": "n", "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}}, node],
            "edges": [{"from": "x", "to": "fc"}]}


def _text(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=True)  # a lone surrogate as the escape "\ud83d", as a file holds it


def _nested(depth: int) -> object:
    v: object = 1
    for _ in range(depth):
        v = [v]
    return v


@pytest.mark.parametrize("where, change", [
    ("nodes[1]", {SURROGATE: {}}),  # a key whose value is a container was never checked
    ("nodes[1].params", {"params": {SURROGATE: [1]}}),
    ("nodes[1].params.out_features", {"params": {"out_features": {SURROGATE: 1}}}),
])
def test_a_key_that_is_not_unicode_is_refused_whatever_its_value(where: str, change: dict) -> None:
    with pytest.raises(FileFormatError) as e:
        loads(_text(_doc(**change)))
    msg = str(e.value)
    assert msg.startswith(f"{where} (node 'fc'): ") and "not valid Unicode" in msg and "\n" not in msg


@pytest.mark.parametrize("value, field", [
    (10 ** 400, "params.out_features"), ([1, [2, 10 ** 400]], "params.out_features[1][1]"),
    (_nested(200), "params.out_features"), (SURROGATE, "params.out_features"), (float("nan"), "params.out_features"),
])
def test_save_refuses_what_load_refuses_and_leaves_the_file_as_it_was(value, field, tmp_path: Path) -> None:
    path = tmp_path / "g.graphlab.json"
    g = loads(_text(_doc()))
    save(g, path)
    before = path.read_bytes()
    g.set_param("fc", "out_features", value)  # the model API holds anything; the editor's controller does not
    with pytest.raises(FileFormatError) as e:
        save(g, path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: cannot save: nodes[1].{field.split('[')[0]}") and "(node 'fc')" in msg, msg
    assert "\n" not in msg
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["g.graphlab.json"]


def test_save_refuses_a_graph_name_or_training_value_load_would_refuse(tmp_path: Path) -> None:
    g = loads(_text(_doc()))
    g.name = "a" + SURROGATE
    with pytest.raises(FileFormatError, match="name: the text is not valid Unicode"):
        save(g, tmp_path / "a.json")
    g.name = "ok"
    g.training = {"epochs": 10 ** 400}
    with pytest.raises(FileFormatError, match="training.epochs: the number is out of range"):
        save(g, tmp_path / "a.json")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("pos, expected", [([1e8, 0], (MAX_COORD, 0.0)), ([1e20, 0], (MAX_COORD, 0.0)),
                                           ([1e308, -1e308], (MAX_COORD, -MAX_COORD)), ([-2e6, 5.5], (-MAX_COORD, 5.5)),
                                           ([123.25, -999_999], (123.25, -999_999.0))])
def test_far_positions_are_clamped_on_load_and_save_back_unchanged(pos, expected) -> None:
    g = loads(_text(_doc(pos=pos)))
    assert g.nodes["fc"].pos == expected
    text = dumps(g)
    assert dumps(loads(text)) == text


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", '"nan"', "null", "1" + "0" * 400])
def test_a_position_that_is_no_finite_number_is_refused_naming_the_node(token: str) -> None:
    text = _text(_doc()).replace('"pos": [100, 0]', f'"pos": [{token}, 0]')
    with pytest.raises(FileFormatError) as e:
        loads(text)
    msg = str(e.value)
    assert "\n" not in msg and ("'fc'" in msg or "NaN" in token or "Infinity" in token), msg


def test_position_reads_two_finite_numbers_and_clamps() -> None:
    assert position([1, 2.5]) == (1.0, 2.5) and position((1e9, -1e9)) == (MAX_COORD, -MAX_COORD)
    for bad in (["nan", 0], [float("inf"), 0], [float("nan"), 1], [True, 0], [1], [1, 2, 3], "12", None,
                [10 ** 400, 0]):
        assert position(bad) is None, bad


def test_value_problem_names_the_path_and_the_depth_counts_from_the_file_top() -> None:
    assert value_problem({"a": [1, {"b": 10 ** 400}]}) == "a[1].b: " + value_problem(10 ** 400)
    assert value_problem([1, 2], PARAM_DEPTH, "shape") is None
    assert value_problem([10 ** 400], PARAM_DEPTH, "shape").startswith("shape[0]: the number is out of range")
    assert value_problem(_nested(MAX_DEPTH - PARAM_DEPTH), PARAM_DEPTH) is None
    assert "nests more than 64" in value_problem(_nested(MAX_DEPTH - PARAM_DEPTH + 1), PARAM_DEPTH)
    assert "nests more than 64" in value_problem(_nested(100_000))  # never a RecursionError


@given(value=st.one_of(json_values(12), st.sampled_from([
    10 ** 400, -(10 ** 309), float("inf"), float("nan"), SURROGATE, {SURROGATE: 1}, {"k": {SURROGATE: []}},
    _nested(MAX_DEPTH - PARAM_DEPTH), _nested(MAX_DEPTH - PARAM_DEPTH + 1), [1e308, 2 ** 1023]])))
@fuzz_settings(150)
def test_the_one_check_agrees_with_load_and_save(value: object, tmp_path_factory) -> None:
    """A parameter value passes value_problem exactly when a file holding it saves, loads, and saves
    back the same text."""
    g = Graph("g")
    g.add_node("Input", {"shape": [2]}, node_id="x")
    g.set_param("x", "v", value)
    ok = value_problem(value, PARAM_DEPTH, "v") is None
    path = tmp_path_factory.mktemp("v") / "g.json"
    try:
        save(g, path)
        saved = True
    except FileFormatError:
        saved = False
    assert saved == ok, value
    if saved:
        again = load(path)
        assert dumps(again) == path.read_text(encoding="utf-8")


def test_save_refuses_what_only_loads_structure_check_refuses(tmp_path: Path) -> None:
    """Found by the editor fuzz: an init scheme that was a number saved, and the file then refused
    ("must be a string"). Save runs load's structure checks too."""
    g = loads(_text(_doc()))
    g.nodes["fc"].init = 12  # type: ignore[assignment]
    with pytest.raises(FileFormatError, match=r"cannot save: nodes\[1\]\.init \('fc'\): must be a string"):
        save(g, tmp_path / "g.json")
    g.nodes["fc"].init = None
    g.nodes["fc"].params = [1]  # type: ignore[assignment]
    with pytest.raises(FileFormatError, match="cannot save: the graph holds a value no graph file can"):
        save(g, tmp_path / "g.json")
    assert not list(tmp_path.iterdir())
