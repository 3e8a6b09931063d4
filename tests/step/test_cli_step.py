"""`graphlab step` and `graphlab gradcheck` as a terminal shows them: in-process (the ``cli``
fixture), with one smoke test per command in a real process."""
import json
import math

import numpy as np
import pytest

from tests.conftest import EXAMPLES, ROOT, gl_subprocess

GATES = str(EXAMPLES / "backprop_gates.graphlab.json")
LENET = str(EXAMPLES / "lenet5.graphlab.json")


@pytest.fixture
def run(cli):
    def go(*args):
        p = cli(*args, cwd=ROOT)
        return p.returncode, p.stdout, p.stderr
    return go


@pytest.mark.slow
def test_step_and_gradcheck_in_a_process(tmp_path):
    npz = tmp_path / "xyz.npz"
    np.savez(npz, x=np.array([-2.0]), y=np.array([5.0]), z=np.array([-4.0]))
    p = gl_subprocess("step", GATES, "--inputs", npz, "--json")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert json.loads(p.stdout)["forward"]["f"]["values"] == [-12.0]
    p = gl_subprocess("gradcheck", GATES)
    assert p.returncode == 0 and p.stdout.splitlines()[-1] == "ok" and p.stderr == "", p.stderr


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_step_json_schema_on_lenet5(run):
    code, out, err = run("step", LENET, "--json", "--batch", "4")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["order"][0] == "input" and doc["order"][-1] == "loss"
    assert set(doc["forward"]) == set(doc["backward"]) == set(doc["order"])
    assert doc["forward"]["conv1"]["shape"] == [4, 6, 28, 28]
    assert set(doc["forward"]["conv1"]) >= {"shape", "mean", "std", "min", "max"}
    b = doc["backward"]["conv1"]
    assert b["grad_output_norm"] > 0 and len(b["grad_inputs_norm"]) == 1 and set(b["grad_params_norm"]) == {"weight", "bias"}
    assert doc["backward"]["loss"]["grad_output_norm"] == 1.0
    assert doc["first_nonfinite"] is None and "digits" in doc["notes"][0]


def test_step_text_output(run):
    code, out, err = run("step", LENET, "--batch", "2", "--seed", "3", "--train-mode")
    assert code == 0, err
    assert out.splitlines()[1].split()[:2] == ["node", "shape"] and "conv1" in out and "scalar" in out


def test_step_gates_with_inputs_gives_the_course_numbers(run, tmp_path):
    npz = tmp_path / "xyz.npz"
    np.savez(npz, x=np.array([-2.0]), y=np.array([5.0]), z=np.array([-4.0]))
    code, out, err = run("step", GATES, "--inputs", str(npz), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["forward"]["q"]["values"] == [3.0] and doc["forward"]["f"]["values"] == [-12.0]
    grads = {n: doc["backward"][n]["grad_output"] for n in ("x", "y", "z")}
    assert grads == {"x": [-4.0], "y": [-4.0], "z": [3.0]}
    assert doc["backward"]["q"]["grad_inputs_norm"] == [4.0, 4.0]


def _strict_json(text: str):
    """JSON as the standard defines it: NaN/Infinity tokens are refused."""
    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")
    return json.loads(text, parse_constant=refuse)


def test_step_and_gradcheck_json_write_non_finite_numbers_as_null(run, tmp_path):
    """step --json wrote "nan"/"inf" strings where gradcheck --json wrote null: both write null now."""
    npz = tmp_path / "xyz.npz"
    np.savez(npz, x=np.array([math.inf]), y=np.array([5.0]), z=np.array([-4.0]))
    code, out, err = run("step", GATES, "--inputs", str(npz), "--json")
    assert code == 1, err  # a non-finite value: first_nonfinite names where
    doc = _strict_json(out)
    assert doc["forward"]["x"]["values"] == [None] and doc["forward"]["x"]["mean"] is None
    assert doc["first_nonfinite"]["node"] == "x"
    assert '"nan"' not in out and '"inf"' not in out and '"-inf"' not in out
    code, out, err = run("gradcheck", GATES, "--inputs", str(npz), "--json")
    doc = _strict_json(out)
    assert code == 1 and doc["ok"] is False
    assert any(n["max_rel_error"] is None for n in doc["nodes"].values())


@pytest.mark.parametrize("arrays,fragment", [
    ({"x": [-2.0], "y": [5.0]}, "no values for Input node 'z'"),
    ({"x": [-2.0], "y": [5.0], "z": [[1.0, 2.0]]}, "input 'z' has shape 1×2 but Input node 'z' takes 1 per sample"),
    ({"x": [-2.0], "y": [5.0], "z": [-4.0], "w": [1.0]}, "input 'w' is not an Input node"),
])
def test_bad_inputs_are_one_line_naming_the_node_or_key(run, tmp_path, arrays, fragment):
    npz = tmp_path / "bad.npz"
    np.savez(npz, **{k: np.array(v) for k, v in arrays.items()})
    for cmd in ("step", "gradcheck"):
        code, out, err = run(cmd, GATES, "--inputs", str(npz))
        assert code == 2 and fragment in _one_line_error(err), err


def test_unreadable_inputs_and_missing_files(run, tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    code, _, err = run("step", GATES, "--inputs", str(junk))
    assert code == 2 and "junk.npz: not a readable .npz" in _one_line_error(err)
    code, _, err = run("step", str(tmp_path / "none.graphlab.json"))
    assert code == 2 and _one_line_error(err)


def test_a_checkpoint_of_another_graph_is_one_line(run, tmp_path):
    import torch

    import graphlab
    from graphlab.run.checkpoint import save_checkpoint

    other = graphlab.compile(graphlab.load(EXAMPLES / "digits_cnn.graphlab.json"))
    save_checkpoint(tmp_path / "last.safetensors", other, None, epoch=1, step=1)
    code, _, err = run("step", LENET, "--weights", str(tmp_path))
    assert code == 2 and "does not fit this graph" in _one_line_error(err)
    # a checkpoint of this graph with a NaN planted in it: exit 1, and the node named
    mine = graphlab.compile(graphlab.load(LENET))
    with torch.no_grad():
        mine.fc1.weight[0, 0] = math.nan
    save_checkpoint(tmp_path / "nan.safetensors", mine, None, epoch=1, step=1)
    code, out, err = run("step", LENET, "--weights", str(tmp_path / "nan.safetensors"), "--json")
    assert code == 1
    assert json.loads(out)["first_nonfinite"] == {"node": "fc1", "phase": "forward", "what": "weight fc1.weight"}


def test_gradcheck_json_on_lenet5(run):
    code, out, err = run("gradcheck", LENET, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] is True and set(doc["nodes"]) == {"conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten",
                                                       "fc1", "relu3", "fc2", "relu4", "fc3", "loss"}
    for nid, n in doc["nodes"].items():
        assert n["max_rel_error"] < 1e-5 and n["reading"] in ("fine", "uncomfortable"), nid
    assert set(doc["nodes"]["conv1"]["params"]) == {"weight", "bias"}


def test_gradcheck_text_output(run):
    code, out, err = run("gradcheck", GATES)
    assert code == 0, err
    assert out.splitlines()[-1] == "ok" and "fine" in out
