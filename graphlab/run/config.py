"""The experiment in a graph file: ``graph.training`` parsed into a :class:`TrainConfig`.

One file is one experiment. Every key is optional; a missing key takes the default below.
:func:`parse_training` validates the whole section and raises :class:`ConfigError` whose message
names the field, e.g. ``training.optimizer.lr: must be > 0, got -1``. It imports no torch.

::

    "training": {
      "dataset": {"name": "spiral", "classes": 3, "points": 100},   # or just "spiral"
      "val_fraction": 0.2,            # 0 <= f < 1; held out (seeded shuffle) for validation
      "test_fraction": 0.0,           # 0 <= f < 1; held out for the final test, never read by training
      "preprocess": "none",           # none | mean_image | per_channel_mean | standardize
      "augment": {"hflip": false, "crop_padding": 0, "color_jitter": 0.0},   # images only
      "optimizer": {"name": "sgd", "lr": 0.01},       # + each optimizer's knobs, see OPTIMIZERS
      "schedule": {"name": "none"},   # none | step (step_size, gamma) | exponential (gamma)
                                      #      | cosine (t_max, eta_min); stepped once per epoch
      "regularization": {"l2": 0.0, "l1": 0.0},       # ½·λ·ΣW² / λ·Σ|W| over weights (dim ≥ 2)
      "clip_grad_norm": null,         # max global gradient norm, or null
      "init": null,                   # graph-wide init scheme (graphlab.core.init_schemes.INIT_SCHEMES)
      "epochs": 10, "batch_size": 64, # batch_size "full" = the whole training split per step
      "seed": 0,                      # weights, shuffling, dropout, augmentation
      "device": "auto",               # auto | cpu | cuda | mps
      "threads": null,                # torch threads; null = 1 for small models, else torch's default
      "stats": {"budget": 0.02}       # fraction of wall time spent on per-node statistics; 0 = off
    }

Strings are accepted for ``dataset``, ``optimizer`` and ``schedule`` as shorthand for
``{"name": ...}``. Dataset parameters are checked by :mod:`graphlab.run.datasets`
(:func:`graphlab.run.datasets.check_params`), which this module calls.

The fields, their defaults, ranges and help live in one table, :mod:`graphlab.run.schema`, which the
editor's training form reads too.

Public API (stable; other packages such as ``graphlab.export`` rely on it):
:class:`TrainConfig`, :func:`parse_training`, :func:`with_overrides`, :class:`ConfigError`,
``OPTIMIZERS``, ``SCHEDULES``, ``PREPROCESS``, ``DEVICES``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping

from ..core.init_schemes import INIT_SCHEMES  # the one list of weight init schemes (no torch)
from .schema import (DEFAULT_LR, DEVICES, FIELDS, MAX_BATCH, MAX_EPOCHS, MAX_SEED, PREPROCESS, SUB_KEYS, TOP_KEYS,
                     VARIANTS, ConfigError, check_choice, check_int, check_number, variant_defaults)

#: optimizer name -> its knobs with defaults (``lr`` is common to all and defaults to 0.01); from the schema
OPTIMIZERS: dict[str, dict[str, float]] = variant_defaults("optimizer")
#: schedule name -> its knobs with defaults (``t_max`` None means "the number of epochs"); from the schema
SCHEDULES: dict[str, dict[str, Any]] = variant_defaults("schedule")
_TOP = TOP_KEYS
__all__ = ["ConfigError", "DEFAULT_LR", "DEVICES", "INIT_SCHEMES", "OPTIMIZERS", "PREPROCESS", "SCHEDULES",
           "TrainConfig", "parse_training", "with_overrides"]


@dataclass(frozen=True)
class DatasetConfig:
    name: str = "spiral"
    params: dict[str, Any] = field(default_factory=dict)  # validated, defaults filled


@dataclass(frozen=True)
class AugmentConfig:
    hflip: bool = False
    crop_padding: int = 0  # pad by this many pixels, then crop back at a random offset
    color_jitter: float = 0.0  # brightness and contrast scaled by U(1-j, 1+j) per image

    @property
    def active(self) -> bool:
        return self.hflip or self.crop_padding > 0 or self.color_jitter > 0


@dataclass(frozen=True)
class OptimizerConfig:
    name: str = "sgd"
    lr: float = DEFAULT_LR
    knobs: dict[str, float] = field(default_factory=dict)  # this optimizer's knobs, defaults filled


@dataclass(frozen=True)
class ScheduleConfig:
    name: str = "none"
    knobs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainConfig:
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    val_fraction: float = 0.2
    preprocess: str = "none"
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    l2: float = 0.0
    l1: float = 0.0
    clip_grad_norm: float | None = None
    init: str | None = None
    epochs: int = 10
    batch_size: int | None = 64  # None = full batch
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    stats_budget: float = 0.02
    test_fraction: float = 0.0  # held out for `graphlab evaluate`; training never reads it
    weights: str | None = None  # start from these weights (matched by node id and shape); None = fresh init

    def to_dict(self) -> dict[str, Any]:
        """The canonical ``training`` section (every key explicit); parse_training(to_dict()) == self."""
        d = asdict(self)
        return {
            "dataset": {"name": self.dataset.name, **self.dataset.params},
            "val_fraction": self.val_fraction, "test_fraction": self.test_fraction, "preprocess": self.preprocess,
            "augment": d["augment"],
            "optimizer": {"name": self.optimizer.name, "lr": self.optimizer.lr, **self.optimizer.knobs},
            "schedule": {"name": self.schedule.name, **self.schedule.knobs},
            "regularization": {"l2": self.l2, "l1": self.l1}, "clip_grad_norm": self.clip_grad_norm,
            "init": self.init, "epochs": self.epochs,
            "batch_size": "full" if self.batch_size is None else self.batch_size,
            "seed": self.seed, "device": self.device, "threads": self.threads,
            "stats": {"budget": self.stats_budget}, "weights": self.weights,
        }


# ---------------------------------------------------------------------------------------------
# every value is checked by its schema Field (graphlab.run.schema), the table the editor's form reads

_number, _int, _choice = check_number, check_int, check_choice


def _get(d: Mapping[str, Any], key: str) -> Any:
    """The value of the plain field ``key`` from its (sub)section ``d``: checked, or its default."""
    f = FIELDS[key]
    return f.check(d[f.name]) if f.name in d else f.default


def _section(v: Any, f: str, *, name_default: str | None = None) -> dict[str, Any]:
    """A dict section; a bare string is shorthand for {"name": string}."""
    if v is None:
        return {} if name_default is None else {"name": name_default}
    if isinstance(v, str) and name_default is not None:
        return {"name": v}
    if not isinstance(v, dict):
        want = "an object" + (' or a name such as "' + name_default + '"' if name_default else "")
        raise ConfigError(f, f"must be {want}, got {type(v).__name__}")
    return dict(v)


def _no_unknown(d: Mapping[str, Any], f: str, allowed: tuple[str, ...] | list[str], what: str) -> None:
    for k in d:
        if k not in allowed:
            raise ConfigError(f"{f}.{k}", f"unknown key for {what}; known keys: {', '.join(allowed) or '(none)'}")


# ---------------------------------------------------------------------------------------------

def parse_training(training: Mapping[str, Any] | None) -> TrainConfig:
    """Validate a graph's ``training`` section and fill defaults. Raises :class:`ConfigError`.

    Every value is checked by its :class:`graphlab.run.schema.Field` (range, kind, choices)."""
    from .datasets import check_params  # no torch at import time there either

    t = _section(training, "training")
    _no_unknown(t, "training", _TOP, "the training section")

    ds = _section(t.get("dataset"), "training.dataset", name_default="spiral")
    name = ds.pop("name", "spiral")
    if not isinstance(name, str):
        raise ConfigError("training.dataset.name", f"must be a dataset name, got {name!r}")
    dataset = DatasetConfig(name, check_params(name, ds))

    val = _get(t, "val_fraction")
    test = _get(t, "test_fraction")
    if val + test >= 1:
        raise ConfigError("training.test_fraction", f"val_fraction + test_fraction must be < 1 (some samples must be "
                                                    f"left for training), got {val:g} + {test:g}")
    pre = _get(t, "preprocess")

    aug = _section(t.get("augment"), "training.augment")
    _no_unknown(aug, "training.augment", SUB_KEYS["augment"], "augment")
    augment = AugmentConfig(_get(aug, "augment.hflip"), _get(aug, "augment.crop_padding"),
                            _get(aug, "augment.color_jitter"))

    opt = _section(t.get("optimizer"), "training.optimizer", name_default="sgd")
    oname = _choice(opt.pop("name", "sgd"), "training.optimizer.name", list(OPTIMIZERS))
    lr = _get(opt, "optimizer.lr")
    opt.pop("lr", None)
    _no_unknown(opt, "training.optimizer", ["name", "lr", *OPTIMIZERS[oname]], f"optimizer {oname}")
    knobs = {f.name: (f.check(opt[f.name]) if f.name in opt else f.default) for f in VARIANTS["optimizer"][oname]}
    optimizer = OptimizerConfig(oname, lr, knobs)

    sch = _section(t.get("schedule"), "training.schedule", name_default="none")
    sname = _choice(sch.pop("name", "none"), "training.schedule.name", list(SCHEDULES))
    _no_unknown(sch, "training.schedule", ["name", *SCHEDULES[sname]], f"schedule {sname}")
    sk = {f.name: (f.check(sch[f.name]) if f.name in sch else f.default) for f in VARIANTS["schedule"][sname]}
    schedule = ScheduleConfig(sname, sk)

    reg = _section(t.get("regularization"), "training.regularization")
    _no_unknown(reg, "training.regularization", SUB_KEYS["regularization"], "regularization")
    l2, l1 = _get(reg, "regularization.l2"), _get(reg, "regularization.l1")

    clip, init = _get(t, "clip_grad_norm"), _get(t, "init")
    epochs = _get(t, "epochs")
    bs = _get(t, "batch_size")
    batch_size = None if bs == "full" else bs
    seed, device, threads = _get(t, "seed"), _get(t, "device"), _get(t, "threads")
    stats = _section(t.get("stats"), "training.stats")
    _no_unknown(stats, "training.stats", SUB_KEYS["stats"], "stats")
    budget = _get(stats, "stats.budget")

    return TrainConfig(dataset, val, pre, augment, optimizer, schedule, l2, l1, clip, init, epochs,
                       batch_size, seed, device, threads, budget, test, _get(t, "weights"))


def with_overrides(cfg: TrainConfig, *, epochs: int | None = None, batch_size: int | None = None,
                   lr: float | None = None, device: str | None = None, seed: int | None = None) -> TrainConfig:
    """The config with command-line overrides applied (None = keep). Raises ConfigError naming the flag."""
    if epochs is not None:
        cfg = replace(cfg, epochs=_int(epochs, "--epochs", lo=1, hi=MAX_EPOCHS))
    if batch_size is not None:
        cfg = replace(cfg, batch_size=_int(batch_size, "--batch-size", lo=1, hi=MAX_BATCH))
    if lr is not None:
        cfg = replace(cfg, optimizer=replace(cfg.optimizer, lr=_number(lr, "--lr", lo=0.0, lo_open=True)))
    if device is not None:
        cfg = replace(cfg, device=_choice(device, "--device", DEVICES))
    if seed is not None:
        cfg = replace(cfg, seed=_int(seed, "--seed", lo=0, hi=MAX_SEED))
    return cfg
