"""The training section: defaults, round trip, and errors that name the field."""
from __future__ import annotations

import subprocess
import sys

import pytest

from graphlab.run.config import INIT_SCHEMES, ConfigError, TrainConfig, parse_training, with_overrides


def test_defaults_for_an_empty_section():
    cfg = parse_training({})
    assert cfg == parse_training(None) == TrainConfig(dataset=cfg.dataset)
    assert cfg.dataset.name == "spiral" and cfg.dataset.params["points"] == 100
    assert (cfg.optimizer.name, cfg.optimizer.lr, cfg.epochs, cfg.batch_size) == ("sgd", 0.01, 10, 64)


@pytest.mark.parametrize("section", [
    {"dataset": {"name": "digits"}, "optimizer": {"name": "adam", "lr": 3e-4, "beta2": 0.99}, "preprocess": "standardize"},
    {"dataset": "adding", "schedule": {"name": "step", "step_size": 3}, "batch_size": "full", "clip_grad_norm": 5},
    {"optimizer": "nesterov", "regularization": {"l2": 1e-3, "l1": 1e-5}, "init": "kaiming", "device": "cpu"},
    {"dataset": {"name": "csv", "path": "x.csv", "label": "class"}, "augment": {}, "stats": {"budget": 0}},
])
def test_round_trip_through_to_dict(section):
    cfg = parse_training(section)
    assert parse_training(cfg.to_dict()) == cfg


def test_shorthands_and_knob_defaults():
    cfg = parse_training({"optimizer": "adam", "schedule": "cosine"})
    assert cfg.optimizer.knobs == {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    assert cfg.schedule.knobs == {"t_max": None, "eta_min": 0.0}
    assert parse_training({"batch_size": "full"}).batch_size is None


@pytest.mark.parametrize("section, field, words", [
    ({"optimizer": {"lr": -1}}, "training.optimizer.lr", "> 0"),
    ({"optimizer": {"lr": 0}}, "training.optimizer.lr", "> 0"),
    ({"optimizer": {"name": "sgd", "beta1": 0.9}}, "training.optimizer.beta1", "optimizer sgd"),
    ({"optimizer": {"name": "adamw"}}, "training.optimizer.name", "adam"),
    ({"optimizer": {"name": "momentum", "momentum": 1.5}}, "training.optimizer.momentum", "< 1"),
    ({"dataset": {"name": "imagenet"}}, "training.dataset.name", "spiral"),
    ({"dataset": {"name": "npz"}}, "training.dataset.path", "needs it"),
    ({"dataset": {"name": "spiral", "points": 1}}, "training.dataset.points", ">= 2"),
    ({"dataset": {"name": "spiral", "colour": 1}}, "training.dataset.colour", "classes"),
    ({"val_fraction": 1.0}, "training.val_fraction", "< 1"),
    ({"preprocess": "whiten"}, "training.preprocess", "standardize"),
    ({"augment": {"hflip": "yes"}}, "training.augment.hflip", "true or false"),
    ({"schedule": {"name": "step", "gamma": 0}}, "training.schedule.gamma", "> 0"),
    ({"schedule": {"name": "none", "gamma": 0.5}}, "training.schedule.gamma", "schedule none"),
    ({"regularization": {"l2": -1e-3}}, "training.regularization.l2", ">= 0"),
    ({"regularization": {"dropout": 0.5}}, "training.regularization.dropout", "l2"),
    ({"epochs": 0}, "training.epochs", ">= 1"),
    ({"epochs": 2.5}, "training.epochs", "whole number"),
    ({"batch_size": "big"}, "training.batch_size", '"full"'),
    ({"device": "tpu"}, "training.device", "cuda"),
    ({"init": "orthogonal"}, "training.init", "kaiming"),
    ({"seed": -1}, "training.seed", ">= 0"),
    ({"lr": 0.1}, "training.lr", "known keys"),
    ({"clip_grad_norm": float("nan")}, "training.clip_grad_norm", "finite"),
])
def test_errors_name_the_field(section, field, words):
    with pytest.raises(ConfigError) as ei:
        parse_training(section)
    assert ei.value.field == field
    assert str(ei.value).startswith(field + ": ")
    assert words in str(ei.value)


def test_section_must_be_an_object():
    with pytest.raises(ConfigError, match=r"^training\.optimizer: must be an object"):
        parse_training({"optimizer": 3})


def test_overrides_apply_and_validate():
    cfg = with_overrides(parse_training({}), epochs=3, batch_size=7, lr=0.5, device="cpu", seed=4)
    assert (cfg.epochs, cfg.batch_size, cfg.optimizer.lr, cfg.device, cfg.seed) == (3, 7, 0.5, "cpu", 4)
    with pytest.raises(ConfigError, match=r"^--lr: must be > 0"):
        with_overrides(cfg, lr=0.0)


def test_init_schemes_match_the_compiler():
    from graphlab.compiler.init import SCHEMES

    assert tuple(SCHEMES) == INIT_SCHEMES


def test_parsing_and_the_train_command_import_no_torch():
    code = ("import sys, graphlab.cli, graphlab.cli_run; from graphlab.run import parse_training; "
            "parse_training({'dataset': 'digits', 'optimizer': 'adam'}); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
