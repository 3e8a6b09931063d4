"""Python export: the generated script is the compiled module (outputs, weights, init) and needs only torch."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import graphlab
from graphlab.compiler import example_inputs, info
from graphlab.core import REGISTRY
from graphlab.export.model_source import class_name_for
from graphlab.export.python import export_python

from .conftest import import_script, randomize, zoo_graph

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HUGE = {"alexnet", "vgg11", "resnet18"}  # ImageNet-size: compared without autograd, marked slow
NAMES = sorted(p.name.split(".")[0] for p in EXAMPLES.glob("*.graphlab.json"))


def _export_and_import(graph, tmp_path: Path, stem: str = "model"):
    out = tmp_path / f"{stem}.py"
    export_python(graph, out)
    mod = import_script(out)
    return mod, getattr(mod, class_name_for(graph))


def _compare(graph, model: torch.nn.Module, gm: torch.nn.Module, batch: int = 3) -> None:
    gen = torch.Generator().manual_seed(7)
    xs = example_inputs(graph, info(gm).analysis, batch=batch, generator=gen)
    for mode in ("eval", "train"):
        getattr(gm, mode)(), getattr(model, mode)()
        torch.manual_seed(11)  # same dropout masks: both run the layers in the same order
        want = gm(*xs)
        torch.manual_seed(11)
        got = model(*xs)
        want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
        assert len(want) == len(got)
        for w, o in zip(want, got, strict=False):
            assert o.shape == w.shape
            torch.testing.assert_close(o, w, rtol=1e-5, atol=1e-5, msg=f"{mode} mode")


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in HUGE else n for n in NAMES])
def test_example_outputs_match_compiled_module(name: str, tmp_path: Path) -> None:
    graph = graphlab.load(EXAMPLES / f"{name}.graphlab.json")
    _, cls = _export_and_import(graph, tmp_path, name)
    gm = graphlab.compile(graph, seed=3)
    state = randomize(gm.state_dict(), seed=5)
    gm.load_state_dict(state)
    model = cls()
    model.load_state_dict(state, strict=True)  # same names, same shapes: strict works
    with torch.no_grad() if name in HUGE else torch.enable_grad():
        _compare(graph, model, gm, batch=2 if name in HUGE else 3)


def test_every_layer_type_exports(tmp_path: Path) -> None:
    graph = zoo_graph()
    used = {n.type for n in graph.nodes.values()}
    every = {s.type for specs in REGISTRY.by_category().values() for s in specs if not s.is_loss}
    assert every <= used, f"add {sorted(every - used)} to zoo_graph"
    mod, cls = _export_and_import(graph, tmp_path)
    gm = graphlab.compile(graph)
    state = randomize(gm.state_dict(), seed=1)
    gm.load_state_dict(state)
    model = cls()
    model.load_state_dict(state, strict=True)
    _compare(graph, model, gm)
    # only the GraphLab helpers this graph needs are defined
    for helper in ("Add", "Multiply", "Concat", "Maxout", "RNN", "GRU", "LSTM"):
        assert hasattr(mod, helper)
    _, lin_cls = _export_and_import(graphlab.load(EXAMPLES / "two_layer_net.graphlab.json"), tmp_path, "mlp")
    text = (tmp_path / "mlp.py").read_text()
    assert "class Add" not in text and "class LSTM" not in text and "def apply_init" not in text


def test_same_seed_gives_the_compiled_initial_weights(tmp_path: Path) -> None:
    graph = zoo_graph()
    graph.set_training({"init": "xavier"})
    graph.set_init("fc", "kaiming")
    graph.set_init("conv", "small_gaussian")
    graph.set_init("gru", "gaussian")
    _, cls = _export_and_import(graph, tmp_path)
    for seed in (0, 4):
        want = graphlab.compile(graph, seed=seed).state_dict()
        got = cls(seed=seed).state_dict()
        assert list(got) == list(want) or set(got) == set(want)
        for k in want:
            assert torch.equal(got[k], want[k]), k
    state = torch.get_rng_state()
    cls(seed=1)
    assert torch.equal(state, torch.get_rng_state()), "building the model must not disturb the global RNG"


def test_shape_comments_are_the_real_output_shapes(tmp_path: Path) -> None:
    graph = graphlab.load(EXAMPLES / "inception_block.graphlab.json")
    _, cls = _export_and_import(graph, tmp_path)
    text = (tmp_path / "model.py").read_text()
    comments = dict(re.findall(r"= self\.(\w+)\(.*\)  # \[B, ([\d, ]+)\]", text))
    model = cls().eval()
    assert set(comments) == {name for name, _ in model.named_children()}
    seen: dict[str, tuple[int, ...]] = {}
    for name, child in model.named_children():
        child.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(name, tuple(o.shape[1:])))
    with torch.no_grad():
        model(torch.randn(2, 192, 28, 28))
    assert seen == {k: tuple(int(d) for d in v.split(", ")) for k, v in comments.items()}


def test_weights_travel_beside_the_script_and_it_needs_only_torch(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from graphlab.cli import main

    src = EXAMPLES / "lenet5.graphlab.json"
    graph = graphlab.load(src)
    gm = graphlab.compile(graph)
    state = randomize(gm.state_dict(), seed=9)
    save_file(state, str(tmp_path / "ckpt.safetensors"))
    torch.save(state, tmp_path / "ckpt.pt")
    gm.load_state_dict(state)
    gm.eval()
    x = torch.randn(4, *graph.nodes['input'].params['shape'])
    for ckpt in ("ckpt.safetensors", "ckpt.pt"):
        out = tmp_path / f"net_{ckpt.split('.')[1]}.py"
        assert main(["export", str(src), "--to", "python", "-o", str(out), "--weights", str(tmp_path / ckpt)]) == 0
        assert out.with_suffix(".pt").is_file()
        mod = import_script(out)
        model = mod.LeNet5()
        mod.load_weights(model, mod.WEIGHTS)
        model.eval()
        torch.testing.assert_close(model(x), gm(x), rtol=1e-5, atol=1e-6)
    # run as a program in a fresh interpreter that may not import graphlab
    code = (f"import sys, runpy; sys.argv = [{str(out)!r}]\n"
            f"try:\n    runpy.run_path({str(out)!r}, run_name='__main__')\n"
            f"except SystemExit as e:\n    assert not e.code\n"
            f"assert not [m for m in sys.modules if m.startswith('graphlab')], 'the script imported graphlab'\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "loaded weights from" in r.stdout and "[2, 10]" in r.stdout


def test_multiple_inputs_and_default_output_name(tmp_path: Path, examples_dir: Path) -> None:
    from graphlab.cli import main

    src = tmp_path / "gates.graphlab.json"
    src.write_bytes((examples_dir / "backprop_gates.graphlab.json").read_bytes())
    assert main(["export", str(src), "--to", "python"]) == 0
    mod = import_script(tmp_path / "gates.py")
    graph = graphlab.load(src)
    cls = getattr(mod, class_name_for(graph))
    x, y, z = (torch.randn(5, 1) for _ in range(3))
    gm = graphlab.compile(graph)
    torch.testing.assert_close(cls()(x, y, z), gm(x, y, z))
    assert mod.INPUT_SHAPES == tuple(tuple(graph.nodes[i].params["shape"]) for i in ("x", "y", "z"))


def test_a_graphlab_train_checkpoint_exports(tmp_path: Path) -> None:
    """The user's path: train, then export with the run's checkpoint (weights + optimizer state)."""
    from graphlab.cli import main
    from graphlab.run.config import parse_training, with_overrides
    from graphlab.run.trainer import train

    src = tmp_path / "spiral.graphlab.json"
    src.write_bytes((EXAMPLES / "spiral_two_layer.graphlab.json").read_bytes())
    graph = graphlab.load(src)
    fin, _ = train(graph, with_overrides(parse_training(graph.training), epochs=3), out_dir=tmp_path / "run")
    assert fin.reason == "completed" and fin.checkpoint
    trained = graphlab.compile(graph)
    from graphlab.run.checkpoint import read_weights as trainer_weights

    trained.load_state_dict(trainer_weights(fin.checkpoint))
    trained.eval()
    x = torch.randn(16, 2)
    assert main(["export", str(src), "--to", "python", "--weights", fin.checkpoint]) == 0
    mod = import_script(tmp_path / "spiral.py")
    for path in (mod.WEIGHTS, fin.checkpoint):  # the copy beside the script, and the checkpoint itself
        model = getattr(mod, class_name_for(graph))(seed=123)
        mod.load_weights(model, path)
        model.eval()
        torch.testing.assert_close(model(x), trained(x))


def test_default_seed_is_the_experiments(tmp_path: Path) -> None:
    graph = graphlab.load(EXAMPLES / "two_layer_net.graphlab.json")
    graph.set_training({**graph.training, "seed": 7})
    _, cls = _export_and_import(graph, tmp_path)
    want = graphlab.compile(graph, seed=7).state_dict()
    assert all(torch.equal(v, want[k]) for k, v in cls().state_dict().items())


def test_without_safetensors_the_script_says_so_in_one_line(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    from graphlab.cli import main

    src = EXAMPLES / "two_layer_net.graphlab.json"
    gm = graphlab.compile(graphlab.load(src))
    save_file(gm.state_dict(), str(tmp_path / "w.safetensors"))
    out = tmp_path / "net.py"
    assert main(["export", str(src), "--to", "python", "-o", str(out)]) == 0
    code = (f"import sys, runpy; sys.modules['safetensors'] = None  # as if it were not installed\n"
            f"sys.argv = [{str(out)!r}, {str(tmp_path / 'w.safetensors')!r}]\n"
            f"runpy.run_path({str(out)!r}, run_name='__main__')\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    (line,) = r.stderr.strip().splitlines()
    assert "needs the safetensors package" in line and "pip install safetensors" in line
