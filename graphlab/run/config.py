"""The experiment in a graph file: ``graph.training`` parsed into a :class:`TrainConfig`.

One file is one experiment. Every key is optional; a missing key takes the default below.
:func:`parse_training` validates the whole section and raises :class:`ConfigError` whose message
names the field, e.g. ``training.optimizer.lr: must be > 0, got -1``. It imports no torch.

::

    "training": {
      "dataset": {"name": "spiral", "classes": 3, "points": 100},   # or just "spiral"
      "val_fraction": 0.2,            # 0 <= f < 1; held out (seeded shuffle) for validation
      "preprocess": "none",           # none | mean_image | per_channel_mean | standardize
      "augment": {"hflip": false, "crop_padding": 0, "color_jitter": 0.0},   # images only
      "optimizer": {"name": "sgd", "lr": 0.01},       # + each optimizer's knobs, see OPTIMIZERS
      "schedule": {"name": "none"},   # none | step (step_size, gamma) | exponential (gamma)
                                      #      | cosine (t_max, eta_min); stepped once per epoch
      "regularization": {"l2": 0.0, "l1": 0.0},       # λ·ΣW² / λ·Σ|W| over weights (dim ≥ 2)
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

Public API (stable; other packages such as ``graphlab.export`` rely on it):
:class:`TrainConfig`, :func:`parse_training`, :func:`with_overrides`, :class:`ConfigError`,
``OPTIMIZERS``, ``SCHEDULES``, ``PREPROCESS``, ``DEVICES``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping

from ..core.text import finite_number, show_value

#: optimizer name -> its knobs with defaults (``lr`` is common to all and defaults to 0.01).
OPTIMIZERS: dict[str, dict[str, float]] = {
    "sgd": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9},
    "adagrad": {"eps": 1e-8},
    "rmsprop": {"decay": 0.99, "eps": 1e-8},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
}
#: schedule name -> its knobs with defaults (``t_max`` None means "the number of epochs").
SCHEDULES: dict[str, dict[str, Any]] = {
    "none": {},
    "step": {"step_size": 10, "gamma": 0.1},
    "exponential": {"gamma": 0.95},
    "cosine": {"t_max": None, "eta_min": 0.0},
}
PREPROCESS = ("none", "mean_image", "per_channel_mean", "standardize")
DEVICES = ("auto", "cpu", "cuda", "mps")
from ..core.init_schemes import INIT_SCHEMES  # noqa: E402 - the one list of weight init schemes (no torch)
DEFAULT_LR = 0.01
#: upper bounds of whole-number fields (docs/training.md): beyond them a run cannot be meant, and
#: torch would fail deep inside (a 10^30 thread count, a seed past 64 bits, a 10^9-pixel crop pad)
MAX_EPOCHS = 1_000_000_000
MAX_BATCH = 2 ** 31 - 1
MAX_SEED = 2 ** 32 - 1
MAX_THREADS = 1024
MAX_CROP_PADDING = 64
MAX_STEP = 1_000_000

_TOP = ("dataset", "val_fraction", "preprocess", "augment", "optimizer", "schedule", "regularization",
        "clip_grad_norm", "init", "epochs", "batch_size", "seed", "device", "threads", "stats")


class ConfigError(ValueError):
    """A bad ``training`` section. ``field`` is the dotted path (``training.optimizer.lr``)."""

    def __init__(self, field_: str, message: str) -> None:
        super().__init__(f"{field_}: {message}")
        self.field = field_


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

    def to_dict(self) -> dict[str, Any]:
        """The canonical ``training`` section (every key explicit); parse_training(to_dict()) == self."""
        d = asdict(self)
        return {
            "dataset": {"name": self.dataset.name, **self.dataset.params},
            "val_fraction": self.val_fraction, "preprocess": self.preprocess, "augment": d["augment"],
            "optimizer": {"name": self.optimizer.name, "lr": self.optimizer.lr, **self.optimizer.knobs},
            "schedule": {"name": self.schedule.name, **self.schedule.knobs},
            "regularization": {"l2": self.l2, "l1": self.l1}, "clip_grad_norm": self.clip_grad_norm,
            "init": self.init, "epochs": self.epochs,
            "batch_size": "full" if self.batch_size is None else self.batch_size,
            "seed": self.seed, "device": self.device, "threads": self.threads,
            "stats": {"budget": self.stats_budget},
        }


# ---------------------------------------------------------------------------------------------
# small validators; each raises ConfigError naming the dotted field

def _number(v: Any, f: str, *, lo: float | None = None, lo_open: bool = False, hi: float | None = None,
            hi_open: bool = False) -> float:
    if not finite_number(v):
        raise ConfigError(f, f"must be a finite number, got {show_value(v)}")
    v = float(v)
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise ConfigError(f, f"must be {'>' if lo_open else '>='} {lo:g}, got {v:g}")
    if hi is not None and (v >= hi if hi_open else v > hi):
        raise ConfigError(f, f"must be {'<' if hi_open else '<='} {hi:g}, got {v:g}")
    return v


def _int(v: Any, f: str, *, lo: int | None = None, hi: int | None = None) -> int:
    given = v
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(f, f"must be a whole number, got {show_value(given)}")
    if lo is not None and v < lo:
        raise ConfigError(f, f"must be >= {lo}, got {show_value(given)}")
    if hi is not None and v > hi:
        raise ConfigError(f, f"must be <= {hi:,}, got {show_value(given)}")
    return v


def _choice(v: Any, f: str, choices: tuple[str, ...] | list[str]) -> str:
    if not isinstance(v, str) or v not in choices:
        raise ConfigError(f, f"must be one of {', '.join(choices)}; got {show_value(v)}")
    return v


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
    """Validate a graph's ``training`` section and fill defaults. Raises :class:`ConfigError`."""
    from .datasets import check_params  # no torch at import time there either

    t = _section(training, "training")
    _no_unknown(t, "training", _TOP, "the training section")

    ds = _section(t.get("dataset"), "training.dataset", name_default="spiral")
    name = ds.pop("name", "spiral")
    if not isinstance(name, str):
        raise ConfigError("training.dataset.name", f"must be a dataset name, got {name!r}")
    dataset = DatasetConfig(name, check_params(name, ds))

    val = _number(t.get("val_fraction", 0.2), "training.val_fraction", lo=0.0, hi=1.0, hi_open=True)
    pre = _choice(t.get("preprocess", "none"), "training.preprocess", PREPROCESS)

    aug = _section(t.get("augment"), "training.augment")
    _no_unknown(aug, "training.augment", ("hflip", "crop_padding", "color_jitter"), "augment")
    hflip = aug.get("hflip", False)
    if not isinstance(hflip, bool):
        raise ConfigError("training.augment.hflip", f"must be true or false, got {hflip!r}")
    augment = AugmentConfig(hflip, _int(aug.get("crop_padding", 0), "training.augment.crop_padding", lo=0,
                                        hi=MAX_CROP_PADDING),
                            _number(aug.get("color_jitter", 0.0), "training.augment.color_jitter", lo=0.0, hi=1.0))

    opt = _section(t.get("optimizer"), "training.optimizer", name_default="sgd")
    oname = _choice(opt.pop("name", "sgd"), "training.optimizer.name", list(OPTIMIZERS))
    lr = _number(opt.pop("lr", DEFAULT_LR), "training.optimizer.lr", lo=0.0, lo_open=True)
    _no_unknown(opt, "training.optimizer", ["name", "lr", *OPTIMIZERS[oname]], f"optimizer {oname}")
    knobs: dict[str, float] = {}
    for k, default in OPTIMIZERS[oname].items():
        f = f"training.optimizer.{k}"
        v = opt.get(k, default)
        if k in ("momentum", "decay", "beta1", "beta2"):
            knobs[k] = _number(v, f, lo=0.0, hi=1.0, hi_open=True)
        else:  # eps
            knobs[k] = _number(v, f, lo=0.0, lo_open=True)
    optimizer = OptimizerConfig(oname, lr, knobs)

    sch = _section(t.get("schedule"), "training.schedule", name_default="none")
    sname = _choice(sch.pop("name", "none"), "training.schedule.name", list(SCHEDULES))
    _no_unknown(sch, "training.schedule", ["name", *SCHEDULES[sname]], f"schedule {sname}")
    sk: dict[str, Any] = {}
    for k, default in SCHEDULES[sname].items():
        f, v = f"training.schedule.{k}", sch.get(k, default)
        if k == "step_size":
            sk[k] = _int(v, f, lo=1, hi=MAX_STEP)
        elif k == "gamma":
            sk[k] = _number(v, f, lo=0.0, lo_open=True, hi=1.0)
        elif k == "t_max":
            sk[k] = None if v is None else _int(v, f, lo=1, hi=MAX_STEP)
        else:
            sk[k] = _number(v, f, lo=0.0)
    schedule = ScheduleConfig(sname, sk)

    reg = _section(t.get("regularization"), "training.regularization")
    _no_unknown(reg, "training.regularization", ("l2", "l1"), "regularization")
    l2 = _number(reg.get("l2", 0.0), "training.regularization.l2", lo=0.0)
    l1 = _number(reg.get("l1", 0.0), "training.regularization.l1", lo=0.0)

    clip = t.get("clip_grad_norm")
    clip = None if clip is None else _number(clip, "training.clip_grad_norm", lo=0.0, lo_open=True)

    init = t.get("init")
    if init is not None:
        init = _choice(init, "training.init", INIT_SCHEMES)

    epochs = _int(t.get("epochs", 10), "training.epochs", lo=1, hi=MAX_EPOCHS)
    bs = t.get("batch_size", 64)
    if isinstance(bs, str) and bs != "full":
        raise ConfigError("training.batch_size", f'must be a whole number >= 1 or "full", got {bs!r}')
    batch_size = None if bs == "full" else _int(bs, "training.batch_size", lo=1, hi=MAX_BATCH)
    seed = _int(t.get("seed", 0), "training.seed", lo=0, hi=MAX_SEED)
    device = _choice(t.get("device", "auto"), "training.device", DEVICES)
    threads = t.get("threads")
    threads = None if threads is None else _int(threads, "training.threads", lo=1, hi=MAX_THREADS)
    stats = _section(t.get("stats"), "training.stats")
    _no_unknown(stats, "training.stats", ("budget",), "stats")
    budget = _number(stats.get("budget", 0.02), "training.stats.budget", lo=0.0, hi=1.0)

    return TrainConfig(dataset, val, pre, augment, optimizer, schedule, l2, l1, clip, init, epochs,
                       batch_size, seed, device, threads, budget)


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
