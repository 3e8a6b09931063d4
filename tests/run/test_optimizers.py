"""The optimizer and schedule table (graphlab.run.optimizers): one table for the trainer and the
torchrun script, naming exactly the schema's knobs; `preprocess` copied into the script from its source."""
from __future__ import annotations

import inspect

import pytest
import torch

from graphlab.run import datasets, optimizers
from graphlab.run.config import parse_training
from graphlab.run.optimizers import OPTIMIZERS, SCHEDULES, build_optimizer, build_schedule
from graphlab.run.schema import OPTIMIZER_FIELDS, SCHEDULE_FIELDS, variant_defaults
from graphlab.run.setup import make_optimizer, make_scheduler


def _knobs(table_args: dict) -> set[str]:
    out: set[str] = set()
    for knob in table_args.values():
        out |= set(knob) if isinstance(knob, tuple) else {knob}
    return out


def test_the_table_names_exactly_the_schemas_optimizers_schedules_and_knobs():
    assert set(OPTIMIZERS) == set(OPTIMIZER_FIELDS) and set(SCHEDULES) == set(SCHEDULE_FIELDS)
    for name, (_, args, _) in OPTIMIZERS.items():
        assert _knobs(args) == {f.name for f in OPTIMIZER_FIELDS[name]}, name
    for name, entry in SCHEDULES.items():
        assert _knobs(entry[1] if entry else {}) == {f.name for f in SCHEDULE_FIELDS[name]}, name


# the documented meaning of each knob (docs/training.md), against torch's own argument names
EXPECTED = {
    "sgd": (torch.optim.SGD, {"lr": 0.5, "momentum": 0, "nesterov": False}),
    "momentum": (torch.optim.SGD, {"lr": 0.5, "momentum": 0.9, "nesterov": False}),
    "nesterov": (torch.optim.SGD, {"lr": 0.5, "momentum": 0.9, "nesterov": True}),
    "adagrad": (torch.optim.Adagrad, {"lr": 0.5, "eps": 1e-8}),
    "rmsprop": (torch.optim.RMSprop, {"lr": 0.5, "alpha": 0.99, "eps": 1e-8}),
    "adam": (torch.optim.Adam, {"lr": 0.5, "betas": (0.9, 0.999), "eps": 1e-8}),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_optimizer_is_torchs_with_the_knobs_as_its_arguments(name):
    cfg = parse_training({"optimizer": {"name": name, "lr": 0.5}})
    opt = make_optimizer(cfg, [torch.nn.Parameter(torch.zeros(2))])
    cls, args = EXPECTED[name]
    assert type(opt) is cls
    group = opt.param_groups[0]
    assert {k: group[k] for k in args} == args
    assert variant_defaults("optimizer")[name] == {k: v for k, v in cfg.optimizer.knobs.items()}


@pytest.mark.parametrize("schedule, cls, args", [
    ({"name": "none"}, None, {}),
    ({"name": "step", "step_size": 3, "gamma": 0.5}, torch.optim.lr_scheduler.StepLR, {"step_size": 3, "gamma": 0.5}),
    ({"name": "exponential", "gamma": 0.9}, torch.optim.lr_scheduler.ExponentialLR, {"gamma": 0.9}),
    ({"name": "cosine"}, torch.optim.lr_scheduler.CosineAnnealingLR, {"T_max": 7, "eta_min": 0.0}),
    ({"name": "cosine", "t_max": 4, "eta_min": 0.01}, torch.optim.lr_scheduler.CosineAnnealingLR,
     {"T_max": 4, "eta_min": 0.01}),
])
def test_each_schedule_is_torchs_with_the_knobs_as_its_arguments(schedule, cls, args):
    cfg = parse_training({"schedule": schedule, "epochs": 7})
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
    sched = make_scheduler(cfg, opt)
    if cls is None:
        assert sched is None
        return
    assert type(sched) is cls and {k: getattr(sched, k) for k in args} == args


def test_the_torchrun_script_holds_the_table_and_preprocess_from_their_source():
    from graphlab.export.torchrun import torchrun_source
    from tests.run.test_weights_file import spiral_net

    g = spiral_net(10)
    cfg = parse_training({**g.training, "preprocess": "standardize", "optimizer": {"name": "adam", "lr": 0.01}})
    text = torchrun_source(g, cfg, stem="s", source=None, data_name=None, init_name=None)
    for fn in (build_optimizer, build_schedule, datasets.preprocess, datasets._channel_reduce_dims):
        assert inspect.getsource(fn).strip("\n") in text, fn.__name__
    namespace: dict = {}
    exec(text.split("OPTIMIZERS = ", 1)[1].split("\n\n\n", 1)[0].join(["OPTIMIZERS = ", ""]), namespace)
    assert namespace["OPTIMIZERS"] == optimizers.OPTIMIZERS and namespace["SCHEDULES"] == optimizers.SCHEDULES
    for old in ("def make_optimizer", "def make_schedule", "torch.optim.Adam(", "def preprocess(kind: str, x_train: "
                "torch.Tensor"):
        assert old not in text, old
