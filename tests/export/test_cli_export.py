"""`graphlab export`: default output names, exit codes and one-line messages, never a traceback."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
import torch

import graphlab
from graphlab.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _copy(tmp_path: Path, name: str = "two_layer_net") -> Path:
    dst = tmp_path / f"{name}.graphlab.json"
    dst.write_bytes((EXAMPLES / f"{name}.graphlab.json").read_bytes())
    return dst


def test_default_output_is_beside_the_file(tmp_path: Path, capsys) -> None:
    src = _copy(tmp_path)
    assert main(["export", str(src), "--to", "python"]) == 0
    assert (tmp_path / "two_layer_net.py").is_file()
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'two_layer_net.py'}"


def test_graph_with_errors_exits_1_listing_them(tmp_path: Path, capsys) -> None:
    src = _copy(tmp_path)
    doc = json.loads(src.read_text())
    doc["edges"] = [e for e in doc["edges"] if e["to"] != "scores"]  # scores loses its input
    doc["nodes"][1]["params"]["out_features"] = -3
    src.write_text(json.dumps(doc))
    graph = graphlab.load(src)
    errors = graphlab.analyze(graph).errors
    assert len(errors) >= 2
    assert main(["export", str(src), "--to", "python"]) == 1
    err = capsys.readouterr().err
    for p in errors:
        assert f"error: {p.text()}" in err
    assert not (tmp_path / "two_layer_net.py").exists()


@pytest.mark.parametrize("args, message", [
    (["missing.graphlab.json", "--to", "python"], "no such file"),
    (["{src}", "--to", "pdf"], "invalid choice"),
    (["{src}"], "--to"),
    (["{src}", "--to", "python", "-o", "{tmp}/no/such/dir/x.py"], "does not exist"),
    (["{src}", "--to", "python", "--weights", "{tmp}/nope.pt"], "--weights"),
    (["{src}", "--to", "python", "--weights", "{tmp}/pickled.pt"], "weights_only"),
    (["{src}", "--to", "python", "--weights", "{tmp}/wrong.pt"], "node 'fc1'"),
    (["{tmp}/bad.graphlab.json", "--to", "python"], "JSON"),
    (["{src}", "--to", "python", "-o", "{src}"], "graph file itself"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str, capsys,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    src = _copy(tmp_path)
    (tmp_path / "bad.graphlab.json").write_text("{ not json")
    torch.save({"fc1.weight": Fraction(1, 2)}, tmp_path / "pickled.pt")  # an object, not a tensor
    state = graphlab.compile(graphlab.load(src)).state_dict()
    state["fc1.weight"] = torch.zeros(3, 3)
    torch.save(state, tmp_path / "wrong.pt")
    argv = [a.format(src=src, tmp=tmp_path) for a in args]
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["export", *argv])
    except SystemExit as e:  # argparse's usage errors
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [line for line in err.strip().splitlines() if not line.startswith("usage:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert message in lines[0]
    assert not list(tmp_path.glob("*.py"))


@pytest.mark.slow
def test_the_installed_command_runs(tmp_path: Path) -> None:
    """`python -m graphlab export` end to end in a fresh process (the refusals are tested in-process)."""
    from tests.conftest import gl_subprocess

    src = _copy(tmp_path)
    r = gl_subprocess("export", src, "--to", "python", timeout=120)
    assert r.returncode == 0 and r.stderr == "" and (tmp_path / "two_layer_net.py").is_file(), r.stderr
    assert r.stdout.strip() == f"wrote {tmp_path / 'two_layer_net.py'}"


def test_weights_named_like_the_sidecar_are_not_overwritten(tmp_path: Path) -> None:
    src = _copy(tmp_path)
    graph = graphlab.load(src)
    state = graphlab.compile(graph, seed=2).state_dict()
    ckpt = tmp_path / "two_layer_net.pt"  # exactly the name the export would write beside the script
    torch.save({"state_dict": state}, ckpt)
    before = ckpt.read_bytes()
    assert main(["export", str(src), "--to", "python", "--weights", str(ckpt)]) == 0
    assert ckpt.read_bytes() == before
    from .conftest import import_script

    mod = import_script(tmp_path / "two_layer_net.py")
    model = mod.TwoLayerNet2DPoints(seed=0)
    mod.load_weights(model, mod.WEIGHTS)
    for k, v in state.items():
        assert torch.equal(model.state_dict()[k], v)


def test_a_script_named_like_its_weights_file_is_refused(tmp_path, cli):
    from graphlab.export.weights import write_state_dict

    g = graphlab.load(EXAMPLES / "two_layer_net.graphlab.json")
    ckpt = tmp_path / "w.pt"
    write_state_dict(graphlab.compile(g), ckpt)
    out = tmp_path / "model.pt"
    r = cli("export", EXAMPLES / "two_layer_net.graphlab.json", "--to", "python", "-o", out, "--weights", ckpt)
    assert r.returncode == 2 and "overwrite its own weights" in r.stderr and not out.exists()
