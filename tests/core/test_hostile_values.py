"""Values no float can hold, and text that would break a message across lines (issue 8, items 5 and 10).

* An integer beyond float range (1 followed by 400 zeros) anywhere in a file is refused when the
  file is read, naming the field, so check, train, export and the editor never meet it; built
  through the model API instead, analyze (which never raises) reports it on its parameter.
* Every message that shows user text is one line, whatever the text holds.
* One validation of per-node init schemes, in analyze: check and compile agree.
* ``check --json`` prints the full schema even when the file cannot be read.
"""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from graphlab.cli import main
from graphlab.core import Graph, analyze
from graphlab.io import FileFormatError, loads

HUGE = 10**400


def _doc(**changes) -> dict:
    doc = {"graphlab": 1, "name": "n",
           "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}, "pos": [0, 0]},
                     {"id": "drop", "type": "Dropout", "params": {"p": 0.5}, "pos": [100, 0]},
                     {"id": "fc", "type": "Linear", "params": {"out_features": 3}, "pos": [200, 0]},
                     {"id": "loss", "type": "CrossEntropyLoss", "pos": [300, 0]}],
           "edges": [{"from": "x", "to": "drop"}, {"from": "drop", "to": "fc"}, {"from": "fc", "to": "loss"}],
           "training": {"dataset": {"name": "spiral", "classes": 3}, "optimizer": {"name": "sgd", "lr": 0.1},
                        "epochs": 1}}
    for path, value in changes.items():
        target = doc
        keys = path.split("__")
        for k in keys[:-1]:
            target = target[int(k)] if k.isdigit() else target[k]
        last = keys[-1]
        target[int(last) if last.isdigit() else last] = value
    return doc


@pytest.mark.parametrize("change, field", [
    ({"nodes__1__pos__0": HUGE}, "nodes[1].pos[0]"),
    ({"nodes__1__params__p": HUGE}, "nodes[1].params.p"),
    ({"nodes__2__params__out_features": -HUGE}, "nodes[2].params.out_features"),
    ({"training__optimizer__lr": HUGE}, "training.optimizer.lr"),
    ({"training__epochs": HUGE}, "training.epochs"),
])
def test_integers_beyond_float_range_are_refused_at_load_naming_the_field(change, field, tmp_path: Path) -> None:
    text = json.dumps(_doc(**change))
    with pytest.raises(FileFormatError) as e:
        loads(text)
    msg = str(e.value)
    assert msg.startswith(field) and ": the number is out of range" in msg and "\n" not in msg
    if field.startswith("nodes["):  # and the node, by its id
        assert msg.startswith(f"{field} (node '")
    path = tmp_path / "huge.graphlab.json"
    path.write_text(text)
    for argv in (["check", str(path)], ["check", "--json", str(path)], ["train", str(path)],
                 ["export", str(path), "--to", "python", "-o", str(tmp_path / "m.py")]):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        assert code == 2, (argv, out.getvalue(), err.getvalue())
        assert field in err.getvalue() and "Traceback" not in err.getvalue()
        assert err.getvalue().count("\n") == 1, err.getvalue()


def test_analyze_never_raises_on_huge_numbers_from_the_model_api() -> None:
    g = Graph()
    g.add_node("Input", {"shape": [4]}, node_id="x")
    g.add_node("Dropout", {"p": HUGE}, node_id="drop")
    g.add_node("LeakyReLU", {"negative_slope": -HUGE}, node_id="leaky")
    g.add_node("Linear", {"out_features": 10**5000}, node_id="fc")  # an int too long to print
    g.add_node("BatchNorm1d", {"eps": HUGE, "momentum": 10**5000}, node_id="bn")
    for a, b in (("x", "drop"), ("drop", "leaky"), ("leaky", "fc"), ("fc", "bn")):
        g.connect(a, b)
    a = analyze(g)
    fields = {(p.node, p.field) for p in a.errors}
    assert {("drop", "params.p"), ("leaky", "params.negative_slope"), ("bn", "params.eps"),
            ("bn", "params.momentum")} <= fields
    assert all("\n" not in p.message and len(p.message) < 300 for p in a.problems)
    assert "must be a finite number" in next(p.message for p in a.errors if p.node == "drop")


HOSTILE = ["a\nb", "a\r\nb", "a\u2028b", "a\x00b", "tab\there", "q'uo\"te\\", "x" * 500]


@pytest.mark.parametrize("text", HOSTILE)
def test_messages_that_show_user_text_stay_on_one_line(text: str) -> None:
    if not text.isidentifier():  # (500 x's make a valid, if long, id)
        with pytest.raises(FileFormatError) as e:
            loads(json.dumps({"graphlab": 1, "nodes": [{"id": text, "type": "ReLU"}]}))
        assert "\n" not in str(e.value) and "\u2028" not in str(e.value) and len(str(e.value)) < 300
    g = loads(json.dumps({
        "graphlab": 1,
        "nodes": [{"id": "x", "type": "Input", "params": {"shape": [4]}},
                  {"id": "t", "type": text},
                  {"id": "r", "type": "ReLU", "params": {text: 1}, "init": text},
                  {"id": "d", "type": "Dropout", "params": {"p": text}}],
        "edges": [{"from": text, "to": "r"}, {"from": "x", "to": text}, {"from": "x", "to": "d"},
                  {"from": "x", "to": "d"}],
        "training": {text: text}}))
    problems = analyze(g).problems
    assert len(problems) >= 6
    for p in problems:
        line = p.text()
        assert "\n" not in line and "\r" not in line and "\u2028" not in line and "\x00" not in line, line
        assert len(line) < 400


def test_check_and_compile_agree_on_an_unknown_node_init(tmp_path: Path) -> None:
    doc = _doc()
    doc["nodes"][2]["init"] = "he_uniform"
    path = tmp_path / "g.graphlab.json"
    path.write_text(json.dumps(doc))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["check", "--json", str(path)]) == 1
    report = json.loads(out.getvalue())
    assert {"node": "fc", "message": report["errors"][0]["message"]} == report["errors"][0]
    assert "unknown init scheme 'he_uniform'" in report["errors"][0]["message"] and "kaiming" in report["errors"][0]["message"]
    from graphlab.compiler import CompileError, compile_graph
    from graphlab.io import load

    with pytest.raises(CompileError) as e:
        compile_graph(load(path))
    assert e.value.problems[0].node == "fc" and e.value.problems[0].field == "init"


def test_check_json_keeps_its_schema_when_the_file_cannot_be_read(tmp_path: Path) -> None:
    good = tmp_path / "ok.graphlab.json"
    good.write_text(json.dumps(_doc()))
    schemas = []
    for path in (good, tmp_path / "missing.graphlab.json", tmp_path):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            main(["check", "--json", str(path)])
        report = json.loads(out.getvalue())
        schemas.append(sorted(report))
        assert isinstance(report["warnings"], list) and isinstance(report["errors"], list)
    assert schemas[0] == schemas[1] == schemas[2] == ["errors", "flops", "memory", "nodes", "ok", "params",
                                                      "training_step", "warnings"]
