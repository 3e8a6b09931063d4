"""The test split (training.test_fraction): held out from the same fixed shuffle as validation, never in
the training or validation samples, scaled with the training split's statistics, built only when asked."""
from __future__ import annotations

import pytest
import torch

from graphlab.run.config import ConfigError, parse_training
from graphlab.run.datasets import build_dataset, spiral


def cfg(**training):
    return parse_training({"dataset": {"name": "spiral", "points": 50}, **training})


def rows(t: torch.Tensor) -> set[tuple[float, ...]]:
    return {tuple(r) for r in t.tolist()}


def test_no_test_share_leaves_the_split_as_it_was():
    data = build_dataset(cfg(val_fraction=0.2), with_test=True)
    x, y = spiral(3, 50, 0.2, 0)
    perm = torch.randperm(150, generator=torch.Generator().manual_seed(0))  # the split as it always was
    assert torch.equal(data.x_val, x[perm[:30]]) and torch.equal(data.x_train, x[perm[30:]])
    assert len(data.x_test) == 0


def test_the_test_split_is_disjoint_and_built_only_when_asked():
    c = cfg(val_fraction=0.2, test_fraction=0.1)
    data = build_dataset(c, with_test=True)
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (105, 30, 15)
    x, _ = spiral(3, 50, 0.2, 0)
    train, val, test = rows(data.x_train), rows(data.x_val), rows(data.x_test)
    assert not (train & test) and not (val & test) and not (train & val)
    assert train | val | test == rows(x)
    assert torch.equal(build_dataset(c).x_val, data.x_val)  # validation does not move
    other = build_dataset(cfg(val_fraction=0.4, test_fraction=0.1), with_test=True)
    assert torch.equal(other.x_test, data.x_test)  # nor does the test split, whatever the validation share
    assert build_dataset(c).x_test is None  # what training gets: no test samples at all


def test_the_test_split_is_scaled_with_the_training_statistics():
    data = build_dataset(cfg(val_fraction=0.2, test_fraction=0.2, preprocess="standardize"), with_test=True)
    raw = build_dataset(cfg(val_fraction=0.2, test_fraction=0.2), with_test=True)
    mean, std = raw.x_train.mean(0), raw.x_train.std(0)
    assert torch.allclose(data.x_test, (raw.x_test - mean) / std, atol=1e-6)


def test_the_shares_leave_samples_for_training():
    with pytest.raises(ConfigError, match=r"training.test_fraction: val_fraction \+ test_fraction must be < 1"):
        cfg(val_fraction=0.5, test_fraction=0.5)
    with pytest.raises(ConfigError, match=r"training.test_fraction: must be >= 0 and < 1, got 1"):
        cfg(test_fraction=1)
    assert cfg(test_fraction=0.25).to_dict()["test_fraction"] == 0.25


def test_training_never_sees_the_test_split(tmp_path):
    from graphlab.io import loads
    from graphlab.run.trainer import Trainer

    g = loads('{"graphlab": 1, "nodes": [{"id": "x", "type": "Input", "params": {"shape": [2]}}, '
              '{"id": "fc", "type": "Linear", "params": {"out_features": 3}}, {"id": "loss", "type": "CrossEntropyLoss"}],'
              ' "edges": [{"from": "x", "to": "fc"}, {"from": "fc", "to": "loss"}], "training": {"dataset": '
              '{"name": "spiral", "points": 50}, "test_fraction": 0.2, "epochs": 1}}')
    t = Trainer(g, out_dir=tmp_path / "r")
    fin = t.run()
    assert fin.reason == "completed" and t.data.x_test is None and t.data.n_train == 90 and t.data.n_val == 30
