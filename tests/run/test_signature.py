"""What a run would refuse, found before training: the same answer for `graphlab check`, the editor's
fit check and the trainer."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphlab.cli import check_report
from graphlab.core import analyze
from graphlab.io import load
from graphlab.run.config import parse_training
from graphlab.run.datasets import build_dataset
from graphlab.run.signature import built_in_signature, training_problems
from graphlab.run.trainer import preflight

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@pytest.mark.parametrize("dataset", [
    {"name": "spiral", "classes": 4, "points": 20},
    {"name": "digits"},
    {"name": "digits", "size": 12},
    {"name": "adding", "length": 7, "samples": 30},
    {"name": "sine", "length": 5, "samples": 30},
])
def test_a_built_in_signature_is_what_building_the_dataset_gives(dataset):
    cfg = parse_training({"dataset": dataset, "val_fraction": 0.0})
    sig = built_in_signature(cfg)
    data = build_dataset(cfg)  # the oracle: the tensors themselves
    assert sig is not None
    assert (sig.name, sig.task, sig.sample_shape, sig.num_classes, sig.target_shape) == (
        data.name, data.task, tuple(data.sample_shape), data.num_classes, tuple(data.target_shape))


def mismatched(tmp_path: Path) -> Path:
    doc = json.loads((EXAMPLES / "spiral_two_layer.graphlab.json").read_text())
    doc["training"]["dataset"] = {"name": "digits"}  # the net's Input [2] does not fit 1×8×8 images
    path = tmp_path / "mismatch.graphlab.json"
    path.write_text(json.dumps(doc))
    return path


def test_check_reports_what_train_would_refuse_and_exits_1(tmp_path):
    path = mismatched(tmp_path)
    code, report = check_report(str(path))
    assert code == 1 and not report["ok"]
    (err,) = report["errors"]
    assert err["node"] == "x" and "does not fit dataset digits" in err["message"]
    g = load(path)
    refused = preflight(g, base_dir=tmp_path)  # what the trainer stops with before its first step
    assert refused is not None and refused.node == err["node"] and refused.message == err["message"]


def test_the_problems_agree_with_the_trainer_on_every_example():
    for path in sorted(EXAMPLES.glob("*.graphlab.json")):
        g = load(path)
        a = analyze(g)
        found = training_problems(g, a, EXAMPLES)
        if not g.training:
            assert found == [], path.name
            continue
        refused = preflight(g, base_dir=EXAMPLES)
        assert [(p.node, p.message) for p in found] == ([] if refused is None else [(refused.node, refused.message)]), \
            path.name


def test_a_graph_without_a_training_section_is_not_an_error(tmp_path):
    doc = json.loads((EXAMPLES / "backprop_gates.graphlab.json").read_text())
    doc.pop("training", None)
    path = tmp_path / "gates.graphlab.json"
    path.write_text(json.dumps(doc))
    code, report = check_report(str(path))
    assert code == 0 and report["errors"] == []


def test_a_missing_loss_is_refused_when_the_file_trains(tmp_path):
    doc = json.loads((EXAMPLES / "spiral_two_layer.graphlab.json").read_text())
    loss = next(n["id"] for n in doc["nodes"] if n["type"] == "CrossEntropyLoss")
    doc["nodes"] = [n for n in doc["nodes"] if n["id"] != loss]
    doc["edges"] = [e for e in doc["edges"] if loss not in (e["from"], e["to"])]
    path = tmp_path / "noloss.graphlab.json"
    path.write_text(json.dumps(doc))
    code, report = check_report(str(path))
    assert code == 1 and "no loss" in report["errors"][0]["message"]


def test_an_unreadable_dataset_file_names_its_field(tmp_path):
    doc = json.loads((EXAMPLES / "spiral_two_layer.graphlab.json").read_text())
    doc["training"]["dataset"] = {"name": "npz", "path": "missing.npz"}
    path = tmp_path / "npz.graphlab.json"
    path.write_text(json.dumps(doc))
    code, report = check_report(str(path))
    assert code == 1 and report["errors"][0]["field"] == "training.dataset"
    assert "missing.npz" in report["errors"][0]["message"]
