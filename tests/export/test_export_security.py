"""No data can add a statement to exported code (issue 8, items 1–4).

Every user-derived string — the graph file's name, the output's name, the graph's name, node ids,
dataset paths and keys, training values — is drawn from a hostile alphabet (quotes of every kind,
backslashes, NUL and control characters, U+2028, template markers, format placeholders). Both exports
must compile, and their syntax tree must equal the one of the same export with benign strings, apart
from constants (and a consistent renaming of identifiers, for ids and the class name). The data must
still be there, as literals.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import assume, example, given
from hypothesis import strategies as st

import graphlab
from graphlab.cli import main
from graphlab.core import Graph
from graphlab.core.graph import valid_id
from graphlab.export import ExportError
from graphlab.export.python import python_source
from graphlab.export.torchrun import torchrun_source
from graphlab.run.config import ConfigError, parse_training

from ..fuzz.strategies import assigned_literal, file_text, fuzz_settings, hostile_text, module_bindings, normalised
from .conftest import import_script


def _graph(name: str, ids: list[str] | None = None, training: dict | None = None) -> Graph:
    ids = ids or ["x", "fc1", "act", "fc2", "loss"]
    g = Graph(name)
    g.add_node("Input", {"shape": [3]}, node_id=ids[0])
    g.add_node("Linear", {"out_features": 5}, node_id=ids[1])
    g.add_node("Tanh", {}, node_id=ids[2])
    g.add_node("Linear", {"out_features": 2}, node_id=ids[3])
    g.add_node("CrossEntropyLoss", {}, node_id=ids[4])
    for a, b in zip(ids, ids[1:]):
        g.connect(a, b)
    g.set_init(ids[1], "kaiming")
    g.set_training(training or {"dataset": "spiral"})
    return g


DATASETS = {
    "npz": lambda s: {"name": "npz", "path": s[0], "x": s[1], "y": s[2], "task": "classification"},
    "csv": lambda s: {"name": "csv", "path": s[0], "label": s[1]},
    "mnist": lambda s: {"name": "mnist", "root": s[0], "limit": 50},
}
BENIGN = ("data.npz", "X", "y")


def _sources(name: str, dataset: dict, *, source: str, stem: str, weights: str, data: str, init: str,
             lr: float = 0.01, seed: int = 0) -> tuple[str, str]:
    training = {"dataset": dataset, "optimizer": {"name": "adam", "lr": lr}, "seed": seed,
                "augment": {"hflip": True}}
    graph = _graph(name, training=training)
    cfg = parse_training(graph.training)
    py = python_source(graph, weights_name=weights, source=source, seed=seed)
    tr = torchrun_source(graph, cfg, stem=stem, source=source, data_name=data, init_name=init)
    return py, tr


@pytest.mark.parametrize("kind", sorted(DATASETS))
@given(strings=st.lists(hostile_text(1), min_size=8, max_size=8),
       lr=st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False).filter(lambda v: v > 0),
       seed=st.integers(0, 2 ** 32 - 1))
@example(strings=['a"""; import os; os.system("echo pwned"); \'\'\'#\ndef f():#.graphlab.json', "@@CLASSIFICATION@@",
                  "@@INIT_WEIGHTS@@", "x\x00y", "\u2028", "{0}%s", "\\", "'''"], lr=0.01, seed=0)
@example(strings=['"', '"', '"', '"', '"', '"', "\x00", "\x00"], lr=1.0, seed=0)
@fuzz_settings(30)
def test_no_string_adds_a_statement(kind: str, strings: list[str], lr: float, seed: int) -> None:
    name, source, stem, weights, data, init, *ds = strings
    try:
        parse_training({"dataset": DATASETS[kind](ds + ["k"])})
    except ConfigError as e:  # no file name or array key holds a NUL: refused, naming the field
        assert re.match(r"^training\.dataset\.(path|root|x|y): must not contain a NUL", str(e)), str(e)
        ds = [d.replace("\x00", "0") for d in ds]
    py, tr = _sources(name, DATASETS[kind](ds + ["k"]), source=source, stem=stem, weights=weights, data=data,
                      init=init, lr=lr, seed=seed)
    bpy, btr = _sources("Net", DATASETS[kind](list(BENIGN)), source="g.graphlab.json", stem="g", weights="w.pt",
                        data="d.pt", init="i.pt")
    for text, benign in ((py, bpy), (tr, btr)):
        compile(text, "<export>", "exec")
        assert normalised(text) == normalised(benign)
        bound = module_bindings(text)
        assert len(bound) == len(set(bound)), "a generated name shadows another"
        assert assigned_literal(text, "GRAPH_NAME") == name
        assert assigned_literal(text, "SOURCE_FILE") == Path(source).name
    config = assigned_literal(tr, "CONFIG")
    assert config["dataset"] == parse_training({"dataset": DATASETS[kind](ds + ["k"])}).to_dict()["dataset"]
    assert config["optimizer"]["lr"] == lr and config["seed"] == seed


def _script_names() -> list[str]:
    words = set()
    for text in _sources("Net", DATASETS["npz"](list(BENIGN)), source="g", stem="g", weights="w", data="d",
                         init="i"):
        words |= set(module_bindings(text))
    return sorted(words)


@pytest.mark.parametrize("name", _script_names())
def test_the_class_name_shadows_nothing(name: str) -> None:
    """A graph named like any other name in the scripts (CLASSIFICATION, CONFIG, Add…) gets its own class name."""
    for n in (name, name.upper(), name[:1].upper() + name[1:]):
        py, tr = _sources(n, DATASETS["npz"](list(BENIGN)), source="g", stem="g", weights="w", data="d", init="i")
        for text in (py, tr):
            bound = module_bindings(text)
            assert len(bound) == len(set(bound)), n


ODD_IDS = ["torch", "nn", "self_", "training", "forward", "gen", "seed", "Add", "Concat", "SCHEMES", "apply_init",
           "load_weights", "main", "GRAPH_NAME", "CONFIG", "sys", "os", "x", "type", "super", "print", "cls", "_",
           "__class__", "__init__", "__dict__", "_modules", "_parameters", "_buffers", "dump_patches", "T_destination",
           "call_super_init", "graph", "code", "meta", "_graph", "_code", "state_dict", "None_", "x_", "x__"]


@given(ids=st.lists(st.one_of(st.sampled_from(ODD_IDS), st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
                              hostile_text(1, 4)),
                    min_size=5, max_size=5, unique=True))
@example(ids=["torch", "_modules", "nn", "training", "forward"])
@example(ids=["a\n", "b", "c", "d", "e"])
@fuzz_settings(25)
def test_ids_reach_code_only_as_checked_names(ids: list[str], tmp_path_factory) -> None:
    if not all(valid_id(i) for i in ids):  # the file loader refuses these (tests/fuzz covers it)
        doc = graphlab.io.to_dict(_graph("n"))
        for node, nid in zip(doc["nodes"], ids):
            node["id"] = nid
        doc["edges"] = [{"from": a, "to": b} for a, b in zip(ids, ids[1:])]
        with pytest.raises(graphlab.FileFormatError):
            graphlab.io.loads(json.dumps(doc))
        return
    graph = _graph("n", ids)
    benign = _graph("n", ["i0", "i1", "i2", "i3", "i4"])
    try:
        py = python_source(graph, weights_name=None)
    except ExportError as e:  # an id that cannot name an attribute is refused in one line
        assert "\n" not in str(e).strip()
        return
    assert normalised(py, blank_names=True) == normalised(python_source(benign, weights_name=None), blank_names=True)
    cfg = parse_training(graph.training)
    tr = torchrun_source(graph, cfg, stem="s", source=None, data_name=None, init_name=None)
    benign_tr = torchrun_source(benign, cfg, stem="s", source=None, data_name=None, init_name=None)
    assert normalised(tr, blank_names=True) == normalised(benign_tr, blank_names=True)
    path = tmp_path_factory.mktemp("ids") / "m.py"
    path.write_text(py, encoding="utf-8")
    model = import_script(path).N(seed=3)
    gm = graphlab.compile(graph, seed=3)
    assert list(model.state_dict()) == list(gm.state_dict())
    for k, v in gm.state_dict().items():
        assert torch.equal(model.state_dict()[k], v)


# ---- end to end: crafted files through the command line ------------------------------------------------

def _write_case(folder: Path, file_name: str, graph_name: str, data_name: str, xkey: str, ykey: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    with open(folder / data_name, "wb") as f:  # np.savez would append .npz to a path
        np.savez(f, **{xkey: rng.normal(size=(20, 3)).astype(np.float32), ykey: rng.integers(0, 2, 20)})
    graph = _graph(graph_name, training={"dataset": {"name": "npz", "path": data_name, "x": xkey, "y": ykey},
                                         "epochs": 1})
    path = folder / file_name
    graphlab.save(graph, path)
    return path


def _export_all(path: Path, capsys) -> dict[str, str]:
    texts = {}
    for to in ("python", "torchrun"):
        out = path.with_name("out_" + to + ".py")
        assert main(["export", str(path), "--to", to, "-o", str(out)]) == 0, capsys.readouterr().err
        texts[to] = out.read_text(encoding="utf-8")
    assert main(["export", str(path), "--to", "torchrun"]) == 0, capsys.readouterr().err  # default name: FILE's
    capsys.readouterr()
    return texts


_BENIGN_E2E: dict[str, str] = {}


def _benign_e2e(tmp: Path, capsys) -> dict[str, str]:
    if not _BENIGN_E2E:
        _BENIGN_E2E.update(_export_all(_write_case(tmp / "benign", "g.graphlab.json", "Net", "d.npz", "X", "y"),
                                       capsys))
    return _BENIGN_E2E


NPZ_KEY = hostile_text(1, 6).map(lambda s: s.replace("\x00", "").replace("/", "_")).filter(
    lambda s: s and not s.startswith(".") and all(c.isprintable() or c in "\n\t" for c in s))


@given(file_name=file_text(), graph_name=hostile_text(), data_name=file_text(), keys=st.lists(NPZ_KEY, min_size=2,
       max_size=2, unique=True))
@example(file_name='a"""; import os; os.system(\'touch PWNED\'); \'\'\'#\ndef f():#.graphlab.json',
         graph_name="@@INIT_WEIGHTS@@\x00", data_name="@@CLASSIFICATION@@.npz", keys=["@@CLASSIFICATION@@", "'''"])
@fuzz_settings(10)
def test_crafted_files_export_to_the_same_code(file_name: str, graph_name: str, data_name: str, keys: list[str],
                                               tmp_path_factory, capsys) -> None:
    assume(file_name != data_name)
    tmp = tmp_path_factory.mktemp("e2e")
    benign = _benign_e2e(tmp_path_factory.mktemp("benign"), capsys)
    path = _write_case(tmp / "case", file_name, graph_name, data_name, *keys)
    texts = _export_all(path, capsys)
    for to, text in texts.items():
        assert normalised(text) == normalised(benign[to]), to
        assert assigned_literal(text, "GRAPH_NAME") == graph_name
        assert assigned_literal(text, "SOURCE_FILE") == file_name
    config = assigned_literal(texts["torchrun"], "CONFIG")
    assert (config["dataset"]["path"], config["dataset"]["x"], config["dataset"]["y"]) == (data_name, *keys)
    assert not (Path.cwd() / "PWNED").exists() and not (tmp / "case" / "PWNED").exists()


def test_the_reported_injection_runs_nothing(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file name from the issue: the torchrun script trains and runs no command."""
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    name = 'a"""; import os; os.system("touch PWNED"); \'\'\'#\ndef f():#.graphlab.json'
    path = _write_case(tmp_path, name, "@@CLASSIFICATION@@", "@@INIT_WEIGHTS@@.npz", "@@CLASSIFICATION@@", "y")
    out = tmp_path / "t.py"
    assert main(["export", str(path), "--to", "torchrun", "-o", str(out), "--weights", str(_weights(path, tmp_path))]) == 0
    mod = import_script(out)
    assert mod.CLASSIFICATION is True and mod.CONFIG["dataset"]["x"] == "@@CLASSIFICATION@@"
    threads = torch.get_num_threads()
    try:
        assert mod.main(["--epochs", "1", "--out", str(tmp_path / "run")]) == 0
    finally:
        torch.set_num_threads(threads)
    assert not marker.exists()
    assert main(["export", str(path), "--to", "python", "-o", str(tmp_path / "p.py")]) == 0
    assert import_script(tmp_path / "p.py").GRAPH_NAME == "@@CLASSIFICATION@@"


def _weights(path: Path, folder: Path) -> Path:
    w = folder / "start.pt"
    torch.save(graphlab.compile(graphlab.load(path)).state_dict(), w)
    return w


def test_a_nul_in_the_graph_name_exports(tmp_path: Path, capsys) -> None:
    path = _write_case(tmp_path, "g.graphlab.json", "a\x00b", "d.npz", "X", "y")
    texts = _export_all(path, capsys)
    for text in texts.values():
        assert assigned_literal(text, "GRAPH_NAME") == "a\x00b"
        assert "\x00" not in text


def test_export_builds_no_weights(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Linear of 10⁹ units on 1,000 inputs (10¹² weights, 4 TB) exports as text: no module is built."""
    graph = Graph("huge")
    graph.add_node("Input", {"shape": [1000]}, node_id="x")
    graph.add_node("Linear", {"out_features": 10 ** 9}, node_id="fc")
    graph.connect("x", "fc")
    src = tmp_path / "huge.graphlab.json"
    graphlab.save(graph, src)
    def no_modules(self, *args, **kwargs):
        raise AssertionError("export built a module")

    monkeypatch.setattr(torch.nn.Module, "__init__", no_modules)
    assert main(["export", str(src), "--to", "python"]) == 0
    assert "self.fc = nn.Linear(in_features=1000, out_features=1000000000" in (tmp_path / "huge.py").read_text()
    capsys.readouterr()
