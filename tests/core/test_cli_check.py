"""`graphlab check` end to end: exit codes, JSON, and never a traceback. In-process (the ``cli``
fixture), with one smoke test each for `check` and `--version` in a real process."""
import json

import pytest

from tests.conftest import ROOT, gl_subprocess


@pytest.fixture
def run(cli):
    return lambda *args: cli(*args, cwd=ROOT)


def test_check_and_version_in_a_process():
    """No torch to import: cheap enough for the development loop."""
    r = gl_subprocess("check", "examples/lenet5.graphlab.json")
    assert r.returncode == 0 and "61,706" in r.stdout and r.stdout.strip().endswith("ok") and r.stderr == ""
    r = gl_subprocess("check", "/no/such/file.graphlab.json")
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = gl_subprocess("--version")
    assert r.returncode == 0 and r.stdout.startswith("graphlab ") and r.stderr == ""


@pytest.mark.parametrize("name,params,out", [("resnet18", 11_689_512, 1000), ("vgg11", 132_863_336, 1000),
                                             ("alexnet", 61_100_840, 1000)])
def test_torchvision_counts(run, name, params, out):
    r = run("check", f"examples/{name}.graphlab.json", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["ok"] and rep["params"] == params
    assert rep["nodes"]["fc" if name == "resnet18" else "fc3"]["shape"] == [out]
    assert rep["nodes"]["loss"]["shape"] == [] and rep["errors"] == []


def test_check_text_output_and_errors(run, tmp_path):
    r = run("check", "examples/lenet5.graphlab.json")
    assert r.returncode == 0 and "conv1" in r.stdout and "6×28×28" in r.stdout and "61,706" in r.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"graphlab": 1, "nodes": [{"id": "i", "type": "Input", "params": {"shape": [3, 4, 4]}},'
                   '{"id": "c", "type": "Conv2d", "params": {"kernel_size": 7}}], "edges": [{"from": "i", "to": "c"}]}')
    r = run("check", bad)
    assert r.returncode == 1 and "error: c: Conv2d: kernel 7 is larger" in r.stdout
    r = run("check", bad, "--json")
    rep = json.loads(r.stdout)
    assert r.returncode == 1 and not rep["ok"] and rep["errors"][0]["node"] == "c"
    assert rep["nodes"]["c"] == {"shape": None, "params": 0, "param_bytes": 0, "activation_bytes": 0, "macs": 0,
                                 "flops": 0, "flops_backward": 0, "other_ops": 0, "saved_bytes": 0, "rf": None}
    assert rep["nodes"]["i"]["shape"] == [3, 4, 4]


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary", b"{", b'{"graphlab": 9}', b"[" * 50000])
def test_unreadable_files_exit_2_with_one_line(run, tmp_path, content):
    p = tmp_path / "x.graphlab.json"
    p.write_bytes(content)
    for extra in ([], ["--json"]):
        r = run("check", p, *extra)
        assert r.returncode == 2
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert str(p) in r.stderr
        if extra:
            assert json.loads(r.stdout)["ok"] is False


def test_bad_arguments_exit_2_without_traceback(run):
    for args in (["check"], ["check", "a", "b"], ["check", "--bogus", "x"], ["--nope"], ["check", "/no/such/file"]):
        r = run(*args)
        assert r.returncode == 2, args
        assert "Traceback" not in r.stderr and r.stderr.strip(), args


def test_version_and_help(run):
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("graphlab ")
    r = run("--help")
    assert r.returncode == 0 and "check" in r.stdout
