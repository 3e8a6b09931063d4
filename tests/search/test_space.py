"""The search section: read and written by the file format, checked against the training schema and the
layer catalogue, one line naming the key for each mistake, reported by `graphlab check`. No torch here."""
from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphlab
from graphlab.io import dumps, loads
from graphlab.run.config import parse_training
from graphlab.search.space import KEYS, SearchError, parse_search
from graphlab.search.study import identity
from graphlab.search.targets import apply_values
from tests.search.helpers import SPIRAL, main, spiral_doc, write


def graph_of(doc):
    return loads(json.dumps(doc))


def error_of(space=None, **settings):
    doc = spiral_doc()
    if space is not None:
        doc["search"]["space"] = space
    doc["search"].update(settings)
    g = graph_of(doc)
    with pytest.raises(SearchError) as e:
        parse_search(g.search, g)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_the_example_section_parses_with_defaults_filled():
    g = graph_of(spiral_doc(search={"space": {"training.optimizer.lr": {"log_uniform": [1e-4, 1e-1]},
                                              "fc1.out_features": {"choice": [50, 100]}}}))
    spec = parse_search(g.search, g)
    assert (spec.trials, spec.sampler, spec.epochs, spec.metric, spec.pruning) == (20, "random", None, "val_acc", True)
    assert list(spec.space) == ["training.optimizer.lr", "fc1.out_features"]
    assert spec.space["training.optimizer.lr"].log and spec.direction == "maximize"
    assert parse_search(spec.to_dict(), g) == spec


def test_the_file_keeps_the_section_in_order_and_a_save_round_trips(tmp_path):
    doc = spiral_doc()
    doc["search"] = {"pruning": False, "space": doc["search"]["space"], "trials": 7}  # keys out of order
    path = write(tmp_path / "s.graphlab.json", doc)
    g = graphlab.load(path)
    assert g.search["trials"] == 7
    text = dumps(g)
    keys = list(json.loads(text))
    assert keys.index("search") == keys.index("training") + 1
    assert list(json.loads(text)["search"]) == ["space", "trials", "pruning"]
    lines = text.splitlines()
    assert '      "training.optimizer.lr": {"log_uniform": [0.01, 10.0]},' in lines  # one key per line: diffable
    assert dumps(loads(text)) == text
    g.set_search({})
    assert "search" not in json.loads(dumps(g))
    from graphlab.io.fileformat import _SEARCH_KEYS

    assert _SEARCH_KEYS == KEYS  # the file format's order is the section's


@pytest.mark.parametrize("space, words", [
    ({"training.optimizer.lrr": {"log_uniform": [1e-4, 0.1]}}, 'search.space."training.optimizer.lrr": the training '
                                                                "section has no field 'optimizer.lrr'"),
    ({"training.optimizer.lr": {"log_uniform": [0, 0.1]}}, 'search.space."training.optimizer.lr": log_uniform [0, 0.1] '
                                                           "is a log range through 0"),
    ({"training.optimizer.lr": {"uniform": [0.1, 0.01]}}, "uniform [0.1, 0.01] is an empty range"),
    ({"training.optimizer.lr": {"uniform": [-1, 0.01]}}, "-1 is not a value of training.optimizer.lr (must be > 0"),
    ({"training.optimizer.lr": {"int": [1, 3]}}, "is a real number: use uniform or log_uniform, not int"),
    ({"training.batch_size": {"uniform": [8, 64]}}, "is a whole number: use int or int_log, not uniform"),
    ({"training.optimizer.lr": {"normal": [0, 1]}}, "unknown distribution 'normal'"),
    ({"training.optimizer.lr": {"choice": []}}, "choice takes a non-empty list"),
    ({"training.optimizer.lr": {"choice": [0.1, 0.1]}}, "choice lists 0.1 twice"),
    ({"training.optimizer.lr": [1e-4, 0.1]}, "must be one distribution such as"),
    ({"training.optimizer.momentum": {"uniform": [0.5, 0.9]}}, "'momentum' is not a setting of every optimizer"),
    ({"training.seed": {"int": [0, 9]}}, "cannot be searched: each trial's seed is set by the search"),
    ({"training.dataset.points": {"int": [10, 90]}}, "cannot be searched: every trial must see the same data"),
    ({"training.preprocess": {"choice": ["none", "whiten"]}}, "'whiten' is not a value of training.preprocess"),
    ({"fc9.out_features": {"choice": [50]}}, 'search.space."fc9.out_features": the graph has no node \'fc9\''),
    ({"fc1.width": {"choice": [50]}}, "Linear has no parameter 'width'; its parameters: out_features, bias"),
    ({"fc1.out_features": {"int": [0, 10]}}, "0 is not a value of fc1.out_features"),
    ({"fc1.out_features": {"uniform": [1, 10]}}, "fc1.out_features is a whole number: use int or int_log"),
    ({"fc1.bias": {"uniform": [0, 1]}}, "fc1.bias is not a number: list its values with choice"),
    ({"fc1": {"choice": [1]}}, "a key is training.<field> or <node id>.<param>"),
    ({}, "search.space: is empty"),
])
def test_each_mistake_is_one_line_naming_the_key(space, words):
    assert words in error_of(space)


@pytest.mark.parametrize("settings, words", [
    ({"trials": 0}, "search.trials: must be >= 1 and <= 100,000, got 0"),
    ({"sampler": "cmaes"}, "search.sampler: must be one of random, tpe, grid; got 'cmaes'"),
    ({"metric": "accuracy"}, "search.metric: must be one of val_acc, val_loss"),
    ({"pruning": "yes"}, "search.pruning: must be true or false"),
    ({"epochs": 2.5}, "search.epochs: must be a whole number"),
    ({"val_fraction": 0}, "search.val_fraction: must be > 0 and < 1, got 0"),
    ({"seed": -1}, "search.seed: must be >= 0"),
    ({"budget": 3}, "search.budget: unknown key; known keys: space, trials"),
    ({"sampler": "grid"}, 'search.space."training.optimizer.lr": the grid sampler needs a list of values'),
])
def test_settings_are_checked(settings, words):
    assert words in error_of(None, **settings)


def test_the_settings_are_fields_of_the_shared_language():
    from graphlab.core.fields import FieldError
    from graphlab.search.space import DEFAULTS, SETTINGS

    assert [f.name for f in SETTINGS] == list(KEYS[1:])
    assert DEFAULTS == {"trials": 20, "sampler": "random", "epochs": None, "metric": "val_acc", "pruning": True,
                        "val_fraction": None, "seed": None}
    assert issubclass(SearchError, FieldError) and all(f.path == "search." + f.name for f in SETTINGS)
    assert SETTINGS[0].range_text() == "1 ≤ x ≤ 100,000"


def test_the_trials_need_a_validation_split_and_val_acc_a_classifier():
    doc = spiral_doc()
    doc["training"]["val_fraction"] = 0
    g = graph_of(doc)
    with pytest.raises(SearchError, match=r"search.val_fraction: the trials need a validation split"):
        parse_search(g.search, g)
    doc["search"]["val_fraction"] = 0.25  # the search may hold out its own
    g = graph_of(doc)
    assert parse_search(g.search, g).val_fraction == 0.25
    doc = spiral_doc()
    doc["nodes"][-1]["type"] = "MSELoss"
    g = graph_of(doc)
    with pytest.raises(SearchError, match="val_acc needs a classification loss"):
        parse_search(g.search, g)


def test_variant_knobs_follow_the_optimizers_searched():
    doc = spiral_doc()
    doc["search"]["space"] = {"training.optimizer.name": {"choice": ["momentum", "nesterov"]},
                              "training.optimizer.momentum": {"uniform": [0.5, 0.99]}}
    g = graph_of(doc)
    spec = parse_search(g.search, g)
    applied = apply_values(g, {"training.optimizer.momentum": 0.7, "training.optimizer.name": "nesterov"})
    cfg = parse_training(applied.training)
    assert (cfg.optimizer.name, cfg.optimizer.knobs["momentum"], cfg.optimizer.lr) == ("nesterov", 0.7, 1.0)
    doc["search"]["space"]["training.optimizer.name"]["choice"].append("adam")
    g = graph_of(doc)
    with pytest.raises(SearchError, match="'momentum' is not a setting of every optimizer searched"):
        parse_search(g.search, g)
    assert spec.space["training.optimizer.name"].kind == "choice"


def test_apply_values_sets_fields_and_params_on_a_copy():
    g = graph_of(spiral_doc())
    out = apply_values(g, {"training.optimizer.lr": 0.05, "training.regularization.l2": 1e-4, "fc1.out_features": 20},
                       seed=7, epochs=3, val_fraction=0.25)
    cfg = parse_training(out.training)
    assert (cfg.optimizer.lr, cfg.l2, cfg.seed, cfg.epochs, cfg.val_fraction) == (0.05, 1e-4, 7, 3, 0.25)
    assert out.nodes["fc1"].params["out_features"] == 20 and g.nodes["fc1"].params["out_features"] == 50
    assert graphlab.analyze(out).nodes["scores"].params == 20 * 3 + 3


def test_identity_ignores_searched_values_and_positions_but_not_the_graph():
    g = graph_of(spiral_doc())
    spec = parse_search(g.search, g)
    same = apply_values(g, {"fc1.out_features": 20, "training.optimizer.lr": 0.1}, seed=5, epochs=99)
    same.nodes["relu"].pos = (300.0, 10.0)
    assert identity(same, spec) == identity(g, spec)
    other = graph_of(spiral_doc())
    other.nodes["relu"].type = "Tanh"
    assert identity(other, spec) != identity(g, spec)
    data = graph_of(spiral_doc())
    data.training["dataset"]["points"] = 61
    assert identity(data, spec) != identity(g, spec)


def test_graphlab_check_reports_a_bad_section(capsys, tmp_path):
    doc = spiral_doc()
    doc["search"]["space"]["fc1.out_features"] = {"int": [0, 10]}
    path = write(tmp_path / "bad.graphlab.json", doc)
    code, out, _ = main(capsys, "check", path)
    assert code == 1
    assert 'error: fc1: search.space."fc1.out_features": 0 is not a value of fc1.out_features' in out
    code, out, _ = main(capsys, "check", path, "--json")
    rep = json.loads(out)
    assert code == 1 and not rep["ok"] and rep["errors"][0]["node"] == "fc1"
    code, out, _ = main(capsys, "check", write(tmp_path / "good.graphlab.json", SPIRAL))
    assert code == 0 and out.strip().endswith("ok")


def test_reading_a_section_imports_neither_torch_nor_optuna(tmp_path):
    import subprocess

    path = write(tmp_path / "s.graphlab.json", SPIRAL)
    code = ("import sys, graphlab; from graphlab.search import parse_search; g = graphlab.load(sys.argv[1]); "
            "parse_search(g.search, g); import graphlab.search.process, graphlab.search.objective; "
            "print(sorted(m for m in ('torch', 'optuna', 'sqlalchemy') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                     st.sampled_from(["random", "grid", "val_acc", "x", ""]))
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=12)
_keys = st.sampled_from(["training.optimizer.lr", "training.batch_size", "training.optimizer.name", "fc1.out_features",
                         "fc1.bias", "relu.x", "training", "", "training.regularization.l2", "loss.reduction"])
_dists = st.one_of(_json, st.dictionaries(st.sampled_from(["log_uniform", "uniform", "int", "int_log", "choice"]),
                                          st.one_of(_json, st.lists(_scalars, max_size=4)), min_size=1, max_size=1))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["space", "trials", "sampler", "epochs", "metric", "pruning", "val_fraction",
                                         "seed", "other"]),
                       st.one_of(_json, st.dictionaries(_keys, _dists, max_size=4)), max_size=6))
def test_any_section_parses_or_is_one_line(section):
    g = graph_of(spiral_doc())
    try:
        spec = parse_search(section, g)
    except SearchError as e:
        assert "\n" not in str(e) and str(e).startswith("search")
        return
    again = parse_search(spec.to_dict(), g)
    assert again == spec
