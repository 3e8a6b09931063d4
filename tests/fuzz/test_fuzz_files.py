"""The fuzz suite, graph files: broken JSON structures, extreme and non-finite numbers, unicode and
hostile strings, through `check`, the editor's loader, `export` (both kinds, compiled), `train`,
`step` and `gradcheck`.
Every run exits 0, 1 or 2 with no traceback and a message naming the node, field or file.

``GRAPHLAB_FUZZ=long python -m pytest tests/fuzz`` runs the long profile (docs/security.md)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import graphlab
from graphlab.core import analyze, memory
from graphlab.io import FileFormatError, dumps, load, loads

from .harness import assert_clean, run_cli, write
from .strategies import TINY_FOR, broken_texts, fuzz_settings, mutated_docs, training_sections

ALL_EXAMPLES = sorted(p.name.split(".")[0] for p in (Path(__file__).resolve().parents[2] / "examples").glob("*.json"))


def editor_load(path: Path) -> None:
    """What the editor does with a file: load it (a FileFormatError is shown as a message), analyse
    it, and be able to save it again unchanged."""
    try:
        graph = load(path)
    except FileFormatError as e:
        assert str(e) and "\n" not in str(e).strip(), str(e)
        return
    analyze(graph)
    text = dumps(graph)
    again = loads(text)
    assert dumps(again) == text


def _file(tmp: Path, doc: object) -> Path:
    return write(tmp / "g.graphlab.json", doc if isinstance(doc, bytes) else doc)


@given(doc=mutated_docs(ALL_EXAMPLES))
@fuzz_settings(40)
def test_check_and_the_editors_loader_on_mutated_files(doc: object, tmp_path_factory) -> None:
    path = _file(tmp_path_factory.mktemp("f"), doc)
    assert_clean(run_cli("check", path), what=json.dumps(doc)[:3000])
    result = run_cli("check", path, "--json")
    assert_clean(result)
    report = json.loads(result[1])
    assert isinstance(report["ok"], bool) and isinstance(report["errors"], list)
    editor_load(path)


@given(raw=broken_texts())
@fuzz_settings(40)
def test_check_and_the_editors_loader_on_broken_bytes(raw: bytes, tmp_path_factory) -> None:
    path = _file(tmp_path_factory.mktemp("b"), raw)
    assert_clean(run_cli("check", path), what=repr(raw[:3000]))
    assert_clean(run_cli("check", path, "--json"))
    editor_load(path)


@given(doc=mutated_docs(), training=training_sections())
@fuzz_settings(15)
def test_export_both_kinds_compiles_or_refuses(doc: object, training: object, tmp_path_factory) -> None:
    if isinstance(doc, dict):
        doc["training"] = training
    tmp = tmp_path_factory.mktemp("e")
    path = _file(tmp, doc)
    for to in ("python", "torchrun"):
        out = tmp / f"out_{to}.py"
        result = run_cli("export", path, "--to", to, "-o", out)
        assert_clean(result, what=json.dumps(doc)[:3000])
        if result[0] == 0:
            compile(out.read_text(encoding="utf-8"), str(out), "exec")


@st.composite
def trainable(draw) -> tuple[object, object]:
    """An example that trains on tiny data, with its graph and its training section fuzzed."""
    name = draw(st.sampled_from(sorted(TINY_FOR)))
    return draw(mutated_docs([name])), draw(training_sections(TINY_FOR[name]))


def _trainable_file(case: tuple[object, object], tmp: Path, monkeypatch) -> tuple[object, Path]:
    """(document, file): the fuzzed graph with its fuzzed training section, written to ``tmp``; models
    too big for 300 MB are refused (fast) instead of allocated."""
    doc, training = case
    if isinstance(doc, dict):
        doc["training"] = training
    monkeypatch.setattr(memory, "available_bytes", lambda: 300 * 10 ** 6)
    return doc, _file(tmp, doc)


@given(case=trainable())
@fuzz_settings(15)
def test_train_one_epoch_on_tiny_data(case: tuple[object, object], tmp_path_factory, monkeypatch) -> None:
    tmp = tmp_path_factory.mktemp("t")
    doc, path = _trainable_file(case, tmp, monkeypatch)
    assert_clean(run_cli("train", path, "--epochs", 1, "--out", tmp / "run"), what=json.dumps(doc)[:3000])


@given(case=trainable())
@fuzz_settings(8)
def test_step_and_gradcheck_on_tiny_data(case: tuple[object, object], tmp_path_factory, monkeypatch) -> None:
    """The stepper's commands on the same fuzzed examples: a report, or one line naming what is wrong."""
    doc, path = _trainable_file(case, tmp_path_factory.mktemp("s"), monkeypatch)
    what = json.dumps(doc)[:3000]
    assert_clean(run_cli("step", path, "--batch", 2), what=what)
    assert_clean(run_cli("gradcheck", path, "--batch", 1, "--coords", 2), what=what)


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_every_example_checks_and_exports(name: str, tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "examples" / f"{name}.graphlab.json"
    assert_clean(run_cli("check", src), codes=(0,))
    result = run_cli("export", src, "--to", "python", "-o", tmp_path / "m.py")
    assert_clean(result, codes=(0,))
    graphlab.load(src)
