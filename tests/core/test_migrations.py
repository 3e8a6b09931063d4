"""File-format migrations: a file written by an older GraphLab keeps its meaning.

Version 2 changed what ``training.regularization.l2`` means: version 1's λ·ΣW² became the course's
½·λ·ΣW² (= torch's ``weight_decay = λ``). A version-1 file's λ is doubled on load, so its penalty
stays the same; it is saved back as version 2 (version 3, which added groups and frozen nodes, is
written only by files that use them).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphlab.io import FORMAT_VERSION, dumps, load, loads, save
from graphlab.io.migrations import MIGRATIONS, migrate

V1_SPIRAL = {
    "graphlab": 1, "name": "spiral (v1)",
    "nodes": [{"id": "x", "type": "Input", "params": {"shape": [2]}},
              {"id": "fc", "type": "Linear", "params": {"out_features": 3}},
              {"id": "loss", "type": "CrossEntropyLoss"}],
    "edges": [{"from": "x", "to": "fc"}, {"from": "fc", "to": "loss"}],
    "training": {"dataset": "spiral", "optimizer": {"name": "sgd", "lr": 1.0},
                 "regularization": {"l2": 0.001, "l1": 0.0005}, "batch_size": "full", "epochs": 5},
}


def test_the_current_version_has_a_migration_from_every_older_one():
    assert FORMAT_VERSION == 3 and sorted(MIGRATIONS) == list(range(1, FORMAT_VERSION))


def test_a_version_1_files_l2_is_doubled_and_everything_else_kept(tmp_path: Path):
    path = tmp_path / "old.graphlab.json"
    path.write_text(json.dumps(V1_SPIRAL))
    g = load(path)
    assert g.training["regularization"] == {"l2": 0.002, "l1": 0.0005}
    assert g.training["optimizer"] == {"name": "sgd", "lr": 1.0} and g.training["epochs"] == 5
    assert [n.id for n in g.nodes.values()] == ["x", "fc", "loss"]
    save(g, path)
    doc = json.loads(path.read_text())
    assert doc["graphlab"] == 2 and doc["training"]["regularization"]["l2"] == 0.002
    assert load(path).training["regularization"]["l2"] == 0.002  # a version-2 file is not doubled again


def test_the_penalty_of_a_version_1_file_is_unchanged():
    """The trainer's term (½·λ·ΣW², graphlab.run.runstate) with the migrated λ equals version 1's λ·ΣW²."""
    torch = pytest.importorskip("torch")
    from graphlab.run.config import parse_training
    from graphlab.run.runstate import regularization

    gen = torch.Generator().manual_seed(1)
    w = [torch.randn(5, 4, generator=gen), torch.randn(3, 5, generator=gen)]
    old_term = 0.001 * sum(float((v * v).sum()) for v in w)
    cfg = parse_training(loads(json.dumps(V1_SPIRAL)).training)
    assert float(regularization(cfg.l2, 0.0, w)) == pytest.approx(old_term, rel=1e-6)


@pytest.mark.parametrize("training", [
    {}, {"regularization": {}}, {"regularization": {"l1": 0.1}}, {"regularization": {"l2": 0}},
    {"regularization": {"l2": "much"}}, {"regularization": {"l2": True}}, {"regularization": "l2"},
    {"regularization": {"l2": None}}, "not a section",
])
def test_sections_without_a_number_to_double_are_left_for_the_parser(training):
    doc = {**V1_SPIRAL, "training": training}
    before = json.dumps(doc)
    out = migrate(json.loads(before), 1, 2)
    assert out["graphlab"] == 2 and {k: v for k, v in out.items() if k != "graphlab"} == {
        k: v for k, v in json.loads(before).items() if k != "graphlab"}


def test_migrating_does_not_change_the_callers_document():
    doc = json.loads(json.dumps(V1_SPIRAL))
    migrate(doc, 1, 2)
    assert doc == V1_SPIRAL


def test_a_file_from_a_newer_graphlab_is_refused():
    from graphlab.io import FileFormatError

    with pytest.raises(FileFormatError, match="newer than this GraphLab"):
        loads(json.dumps({**V1_SPIRAL, "graphlab": FORMAT_VERSION + 1}))


def test_files_are_written_at_the_current_version():
    g = loads(json.dumps({**V1_SPIRAL, "graphlab": 2}))
    assert json.loads(dumps(g))["graphlab"] == 2  # no groups, no frozen node: version 2 (PLAIN_VERSION)
    assert g.training["regularization"]["l2"] == 0.001
    assert json.loads(dumps(loads(json.dumps(V1_SPIRAL))))["graphlab"] == 2  # a version-1 file is upgraded
    next(iter(g.nodes.values())).trainable = False  # a frozen node needs version 3: older readers refuse it
    assert json.loads(dumps(g))["graphlab"] == FORMAT_VERSION == 3


def test_a_search_range_over_l2_doubles_too():
    doc = {**V1_SPIRAL, "search": {"space": {"training.regularization.l2": {"log_uniform": [1e-5, 1e-3]},
                                             "training.optimizer.lr": {"log_uniform": [0.01, 1.0]}},
                                   "trials": 4}}
    g = loads(json.dumps(doc))
    space = g.search["space"]
    assert space["training.regularization.l2"] == {"log_uniform": [2e-5, 2e-3]}
    assert space["training.optimizer.lr"] == {"log_uniform": [0.01, 1.0]}
    choice = migrate({**doc, "search": {"space": {"training.regularization.l2": {"choice": [0, 1e-4]}}}}, 1, 2)
    assert choice["search"]["space"]["training.regularization.l2"] == {"choice": [0, 2e-4]}
    odd = {"search": {"space": {"training.regularization.l2": {"choice": ["a", 1]}}}}
    assert migrate(odd, 1, 2)["search"] == odd["search"]  # not numbers: left for the search section's check
