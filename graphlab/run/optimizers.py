"""The optimizers and learning-rate schedules a training section can name, as one table.

Each name maps to a torch class, and each knob to a constructor argument. The trainer reads the
table (:func:`graphlab.run.setup.make_optimizer`, :func:`~graphlab.run.setup.make_scheduler`), and
so does the torchrun export: its script holds the tables as literals and this module's
:func:`build_optimizer` / :func:`build_schedule`, copied with :func:`inspect.getsource`
(``graphlab.export.torchrun_parts.optimizer_source``). The knobs' names, defaults and ranges are the schema's
(:data:`graphlab.run.schema.OPTIMIZER_FIELDS`, ``SCHEDULE_FIELDS``); a test checks that both name
the same knobs.

``OPTIMIZERS[name] = (class in torch.optim, {argument: knob, or a tuple of knobs for a tuple
argument}, {argument: fixed value})``

``SCHEDULES[name] = (class in torch.optim.lr_scheduler, {argument: knob})``, or None for a
constant rate. A schedule knob that is null stands for the run's epoch count (cosine's ``t_max``).
Schedules step once per epoch.
"""
from __future__ import annotations

from typing import Any, Iterable

import torch

OPTIMIZERS: dict[str, tuple[str, dict[str, str | tuple[str, ...]], dict[str, Any]]] = {
    "sgd": ("SGD", {}, {}),
    "momentum": ("SGD", {"momentum": "momentum"}, {"nesterov": False}),
    "nesterov": ("SGD", {"momentum": "momentum"}, {"nesterov": True}),
    "adagrad": ("Adagrad", {"eps": "eps"}, {}),
    "rmsprop": ("RMSprop", {"alpha": "decay", "eps": "eps"}, {}),
    "adam": ("Adam", {"betas": ("beta1", "beta2"), "eps": "eps"}, {}),
}

SCHEDULES: dict[str, tuple[str, dict[str, str]] | None] = {
    "none": None,
    "step": ("StepLR", {"step_size": "step_size", "gamma": "gamma"}),
    "exponential": ("ExponentialLR", {"gamma": "gamma"}),
    "cosine": ("CosineAnnealingLR", {"T_max": "t_max", "eta_min": "eta_min"}),
}


def build_optimizer(name: str, knobs: dict[str, Any], params: Iterable[torch.nn.Parameter],
                    lr: float) -> torch.optim.Optimizer:
    """The optimizer ``OPTIMIZERS[name]`` names, with its arguments read from ``knobs``."""
    cls, args, fixed = OPTIMIZERS[name]
    kwargs: dict[str, Any] = {"lr": lr, **fixed}
    for arg, knob in args.items():
        kwargs[arg] = tuple(knobs[k] for k in knob) if isinstance(knob, tuple) else knobs[knob]
    optimizer: torch.optim.Optimizer = getattr(torch.optim, cls)(params, **kwargs)
    return optimizer


def build_schedule(name: str, knobs: dict[str, Any], optimizer: torch.optim.Optimizer, epochs: int) -> Any:
    """The schedule ``SCHEDULES[name]`` names, or None for a constant rate. A null knob means
    ``epochs``."""
    entry = SCHEDULES[name]
    if entry is None:
        return None
    cls, args = entry
    kwargs = {arg: epochs if knobs[knob] is None else knobs[knob] for arg, knob in args.items()}
    return getattr(torch.optim.lr_scheduler, cls)(optimizer, **kwargs)
