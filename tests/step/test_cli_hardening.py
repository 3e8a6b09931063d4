"""step, gradcheck and export on hostile arguments (issue 16, items 11 and 15): one line naming the
argument or file, never numpy's or torch's own advice, never a Python warning.

* ``--inputs x.npy`` says an .npz is expected; object arrays are refused by their header (numpy's
  "allow_pickle" advice never shows); complex arrays are refused (casting dropped the imaginary part).
* ``--inputs`` with 2·10⁶ samples uses the first ``--batch`` of them, says so, and the memory check
  counts the samples actually given.
* ``--seed`` beyond its range names the field.
* ``export --weights`` takes a run folder as ``step`` does, says nothing of torch's pickle protocol
  before its refusal, and warns (one line) when the weights hold NaN.
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from graphlab.core import Graph, analyze, memory
from graphlab.step import StepError, Stepper
from tests.fuzz.harness import assert_clean, run_cli, write


@pytest.fixture
def net(tmp_path: Path) -> Path:
    doc = {"graphlab": 1, "name": "n",
           "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                     {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
                     {"id": "loss", "type": "CrossEntropyLoss"}],
           "edges": [{"from": "x", "to": "fc"}, {"from": "fc", "to": "loss"}]}
    return write(tmp_path / "n.graphlab.json", doc)


def _refused(result: tuple[int, str, str], *parts: str) -> str:
    assert_clean(result, codes=(2,))
    err = result[2]
    assert all(p in err for p in parts) and "allow_pickle" not in err, err
    return err


def test_an_npy_given_as_inputs_says_an_npz_is_expected(net: Path, tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((2, 4), np.float32))
    for cmd in ("step", "gradcheck"):
        _refused(run_cli(cmd, net, "--inputs", tmp_path / "x.npy"), "x.npy: an .npy array file", "--inputs takes an .npz")


def test_object_and_complex_arrays_are_refused_by_their_header(net: Path, tmp_path: Path) -> None:
    np.savez(tmp_path / "obj.npz", x=np.array([{}, {}], dtype=object))
    np.savez(tmp_path / "cplx.npz", x=np.ones((2, 4), np.complex64))
    _refused(run_cli("step", net, "--inputs", tmp_path / "obj.npz"), "'x' holds Python objects")
    _refused(run_cli("gradcheck", net, "--inputs", tmp_path / "cplx.npz"), "'x' holds complex numbers")
    g = Graph("g")
    g.add_node("Input", {"shape": [4]}, node_id="x")
    with pytest.raises(StepError, match="complex numbers"):
        Stepper(g, inputs={"x": torch.ones(2, 4, dtype=torch.complex64)})


def test_inputs_of_two_million_samples_use_the_first_batch(net: Path, tmp_path: Path) -> None:
    x = np.random.default_rng(0).random((2_000_000, 4), dtype=np.float32)
    np.savez(tmp_path / "big.npz", x=x)
    code, out, err = run_cli("gradcheck", net, "--inputs", tmp_path / "big.npz", "--json")
    assert_clean((code, out, err), codes=(0, 1))
    assert "--inputs holds 2,000,000 samples; using the first 2 (--batch)" in err
    code, out, err = run_cli("step", net, "--inputs", tmp_path / "big.npz", "--batch", 3, "--json")
    assert_clean((code, out, err), codes=(0, 1))
    assert json.loads(out)["forward"]["fc"]["shape"][0] == 3


def test_the_memory_check_counts_the_samples_given(monkeypatch) -> None:
    g = Graph("g")
    g.add_node("Input", {"shape": [1000]}, node_id="x")
    g.add_node("Linear", {"out_features": 1000}, node_id="fc")
    g.connect("x", "fc")
    monkeypatch.setattr(memory, "available_bytes", lambda: 50 * 10 ** 6)  # the weights fit; 10^4 samples do not
    with pytest.raises(StepError) as e:
        Stepper(g, inputs={"x": np.zeros((10_000, 1000), np.float32)})
    assert e.value.kind == "memory" and "activations of a batch 80.0 MB" in str(e.value)
    Stepper(g, inputs={"x": np.zeros((2, 1000), np.float32)})
    assert analyze(g).ok


@pytest.mark.parametrize("seed", ["12345678901234567890123", "-1", str(2 ** 32)])
def test_a_seed_out_of_range_names_the_field(net: Path, seed: str) -> None:
    for cmd in ("step", "gradcheck"):
        _refused(run_cli(cmd, net, "--seed", seed), "--seed: must be from 0 to 4,294,967,295")


def test_export_takes_a_run_folder_as_step_does(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "examples" / "spiral_linear.graphlab.json"
    assert_clean(run_cli("train", src, "--epochs", 1, "--out", tmp_path / "run"), codes=(0,))
    assert_clean(run_cli("step", src, "--weights", tmp_path / "run"), codes=(0,))
    code, out, err = run_cli("export", src, "--to", "python", "--weights", tmp_path / "run", "-o", tmp_path / "m.py")
    assert_clean((code, out, err), codes=(0,))
    assert (tmp_path / "m.pt").is_file()
    (tmp_path / "empty").mkdir()
    _refused(run_cli("export", src, "--to", "python", "--weights", tmp_path / "empty", "-o", tmp_path / "e.py"),
             "a run folder needs last.safetensors")


class _Evil:
    def __reduce__(self):  # noqa: ANN204
        return (print, ("pwned",))


def test_a_pickle_of_objects_is_refused_without_torchs_warning(net: Path, tmp_path: Path) -> None:
    with open(tmp_path / "evil.pt", "wb") as f:
        pickle.dump({"fc.weight": _Evil()}, f, protocol=4)
    code, out, err = run_cli("export", net, "--to", "python", "--weights", tmp_path / "evil.pt", "-o", tmp_path / "m.py")
    _refused((code, out, err), "never unpickles objects")
    assert "pwned" not in out + err and "UserWarning" not in err and "protocol" not in err


def test_nan_weights_are_exported_with_a_one_line_warning(net: Path, tmp_path: Path) -> None:
    torch.save({"fc.weight": torch.full((3, 4), float("nan")), "fc.bias": torch.zeros(3)}, tmp_path / "nan.pt")
    code, out, err = run_cli("export", net, "--to", "python", "--weights", tmp_path / "nan.pt", "-o", tmp_path / "m.py")
    assert_clean((code, out, err), codes=(0,))
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("graphlab: warning: --weights: ") and "fc.weight (node 'fc')" in lines[0]
    torch.save({"fc.weight": torch.zeros(3, 4), "fc.bias": torch.zeros(3)}, tmp_path / "ok.pt")
    code, out, err = run_cli("export", net, "--to", "python", "--weights", tmp_path / "ok.pt", "-o", tmp_path / "k.py")
    assert code == 0 and err == ""
