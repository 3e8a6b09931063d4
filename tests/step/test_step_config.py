"""The stepper's configuration (the file's `step` section): parsing, errors naming step.<key>, the file
format, the CLI's flags over the file, and the gates example stepping to the course's numbers with no
set-up (issue 14.7)."""
from __future__ import annotations

import json

import pytest

import graphlab
from graphlab.cli import main
from graphlab.io import dumps, loads
from graphlab.step.config import (
    KEYS,
    StepConfig,
    StepConfigError,
    TypedInput,
    clean_section,
    parse_step,
    with_overrides,
    with_value,
)
from tests.conftest import EXAMPLES, ROOT

GATES = EXAMPLES / "backprop_gates.graphlab.json"
SHAPES = {"x": (1,), "y": (1,), "z": (1,)}


def test_defaults_for_no_section():
    assert parse_step(None) == parse_step({}) == StepConfig()
    cfg = StepConfig()
    assert (cfg.source, cfg.seed, cfg.batch, cfg.inputs, cfg.weights, cfg.train_mode) == \
        ("dataset", 0, 8, (), None, False)
    assert cfg.to_dict() == {}


def test_the_gates_file_holds_the_course_inputs():
    g = graphlab.load(GATES)
    cfg = parse_step(g.step, SHAPES)
    assert cfg.source == "typed" and cfg.typed() == {"x": (-2.0,), "y": (5.0,), "z": (-4.0,)}
    assert parse_step(cfg.to_dict(), SHAPES) == cfg


def test_the_gates_file_steps_to_the_course_numbers_with_its_own_config():
    from graphlab.step import Stepper

    g = graphlab.load(GATES)
    cfg = parse_step(g.step, SHAPES)
    st = Stepper(g, **cfg.stepper_kwargs(GATES.parent))
    st.run()
    out = {n: float(st.records[n].output.reshape(-1)[0]) for n in ("q", "f")}
    grad = {n: float(st.records[n].grad_output.reshape(-1)[0]) for n in ("x", "y", "z")}
    assert out == {"q": 3.0, "f": -12.0}
    assert grad == {"x": -4.0, "y": -4.0, "z": 3.0}


@pytest.mark.parametrize("section, path, node, words", [
    ({"sorce": "typed"}, "step.sorce", None, "unknown key"),
    ({"source": "file"}, "step.source", None, "dataset, random, typed"),
    ({"seed": -1}, "step.seed", None, ">= 0"),
    ({"seed": 2.5}, "step.seed", None, "whole number"),
    ({"batch": 0}, "step.batch", None, ">= 1"),
    ({"train_mode": "yes"}, "step.train_mode", None, "true or false"),
    ({"weights": ""}, "step.weights", None, "non-empty"),
    ({"inputs": [1, 2]}, "step.inputs", None, "must be an object"),
    ({"inputs": {"w": [1]}}, "step.inputs.w", None, "not an Input node"),
    ({"inputs": {"z": [1, 2]}}, "step.inputs.z", "z", "1 number"),
    ({"inputs": {"z": ["a"]}}, "step.inputs.z", "z", "finite numbers"),
    ({"source": "typed", "inputs": {"x": [1], "y": [2]}}, "step.inputs.z", "z", "no values for Input node 'z'"),
    ([], "step", None, "must be an object"),
])
def test_errors_are_one_line_naming_the_key_and_node(section, path, node, words):
    with pytest.raises(StepConfigError) as ei:
        parse_step(section, SHAPES)
    e = ei.value
    assert e.field == path and e.node == node and str(e).startswith(path + ": ") and words in str(e)
    assert "\n" not in str(e)


def test_values_flat_nested_or_a_lone_number():
    shapes = {"img": (2, 2), "s": (1,)}
    cfg = parse_step({"source": "typed", "inputs": {"img": [[1, 2], [3, 4]], "s": 7}}, shapes)
    assert cfg.typed() == {"img": (1.0, 2.0, 3.0, 4.0), "s": (7.0,)}
    assert cfg.inputs[0] == TypedInput("img", (2, 2), (1.0, 2.0, 3.0, 4.0))
    assert cfg.inputs[0].nested() == [[[1.0, 2.0], [3.0, 4.0]]]  # a batch of one, in the node's shape
    assert parse_step({"inputs": {"img": [1, 2, 3, 4]}}, shapes).typed()["img"] == (1.0, 2.0, 3.0, 4.0)
    with pytest.raises(StepConfigError, match=r"step\.inputs\.img: must be 4 numbers \(shape \[2, 2\]\)"):
        parse_step({"inputs": {"img": [[1, 2, 3], [4]]}}, shapes)


def test_flags_override_the_file_and_are_named():
    cfg = parse_step({"source": "typed", "inputs": {"x": [1], "y": [2], "z": [3]}, "seed": 4}, SHAPES)
    over = with_overrides(cfg, source="random", batch=3, train_mode=True)
    assert (over.source, over.seed, over.batch, over.train_mode) == ("random", 4, 3, True)
    assert over.typed() == cfg.typed()
    with pytest.raises(StepConfigError, match=r"^--batch: must be >= 1"):
        with_overrides(cfg, batch=0)
    with pytest.raises(StepConfigError, match=r"^--source: must be one of"):
        with_overrides(cfg, source="disk")


def test_stepper_kwargs_for_each_source(tmp_path):
    typed = parse_step({"source": "typed", "inputs": {"x": [1], "y": [2], "z": [3]}, "weights": "run"}, SHAPES)
    kw = typed.stepper_kwargs(tmp_path)
    assert kw["inputs"] == {"x": [[1.0]], "y": [[2.0]], "z": [[3.0]]} and "batch" not in kw
    assert kw["weights"] == str(tmp_path / "run") and kw["train_mode"] is False
    rnd = parse_step({"source": "random", "batch": 5, "seed": 9})
    assert rnd.stepper_kwargs()["batch"] == 5 and rnd.stepper_kwargs()["dataset"] is False
    check = rnd.stepper_kwargs(gradcheck=True)
    assert check["batch"] == 2 and "train_mode" not in check and check["seed"] == 9


def test_editing_a_section_keeps_it_short_and_ordered():
    s = with_value({}, "seed", 3)
    s = with_value(s, "inputs.y", [5.0])
    s = with_value(s, "source", "typed")
    assert list(s) == ["source", "seed", "inputs"] and s["inputs"] == {"y": [5]}
    assert with_value(s, "seed", 0) == {"source": "typed", "inputs": {"y": [5]}}  # the default: left out
    assert list(s) == [k for k in KEYS if k in s]
    bad = {"seed": -3, "colour": 1, "batch": 4, "inputs": {"w": [1], "x": [2]}}
    assert clean_section(bad, SHAPES) == {"batch": 4, "inputs": {"x": [2]}}


def test_the_file_format_loads_and_saves_the_section_in_order():
    doc = json.loads(GATES.read_text())
    doc["step"] = {"train_mode": True, "inputs": {"x": [1], "y": [2], "z": [3]}, "extra": 1, "source": "typed"}
    g = loads(json.dumps(doc))
    text = dumps(g)
    assert list(json.loads(text)["step"]) == ["source", "inputs", "train_mode", "extra"]
    assert '"inputs": {"x": [1], "y": [2], "z": [3]}' in text  # one line per key: it diffs well
    assert dumps(loads(text)) == text
    plain = graphlab.load(EXAMPLES / "lenet5.graphlab.json")
    assert plain.step == {} and '"step"' not in dumps(plain)  # no section, none written
    with pytest.raises(graphlab.io.FileFormatError, match="step: must be an object"):
        loads(json.dumps({**doc, "step": [1]}))


def test_check_reports_the_section_on_the_input_node_it_names(tmp_path, capsys):
    doc = json.loads(GATES.read_text())
    doc["step"]["inputs"]["z"] = [-4, 1]
    path = tmp_path / "bad.graphlab.json"
    path.write_text(json.dumps(doc))
    assert main(["check", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["errors"] == [{"node": "z", "message": "step.inputs.z: must be 1 number (shape [1]), got [-4, 1]"}]
    assert main(["check", str(GATES)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "ok"


def test_step_prints_signed_gradients_as_the_course_does(capsys):
    assert main(["step", str(GATES)]) == 0
    out = capsys.readouterr().out
    lines = [" ".join(line.split()) for line in out.splitlines()]
    for want in ("x = -2 ∂f/∂x = -4", "y = 5 ∂f/∂y = -4", "z = -4 ∂f/∂z = 3", "q = 3 ∂f/∂q = -4",
                 "f = -12 ∂f/∂f = 1"):
        assert want in lines, out


def test_step_flags_override_the_files_section(capsys):
    assert main(["step", str(GATES), "--json", "--source", "random", "--batch", "3", "--seed", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["forward"]["x"]["shape"] == [3, 1] and "seed 2" in doc["notes"][0]
    assert main(["step", str(GATES), "--batch", "0"]) == 2
    assert capsys.readouterr().err.strip() == "graphlab: --batch: must be >= 1 and <= 65,536, got 0"


def test_graphlab_step_on_the_gates_file_gives_the_course_numbers_with_no_flags(cli):
    p = cli("step", GATES, "--json", cwd=ROOT)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["forward"]["q"]["values"] == [3.0] and doc["forward"]["f"]["values"] == [-12.0]
    assert {n: doc["backward"][n]["grad_output"] for n in ("x", "y", "z")} == {"x": [-4.0], "y": [-4.0], "z": [3.0]}
