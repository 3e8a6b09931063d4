"""Datasets for training. Nothing here downloads anything.

Built in (generated or bundled, always available):

* ``spiral`` — CS231n's case study: ``classes`` K arms of ``points`` N 2-D points each; for arm k the
  radius is linspace(0, 1, N) and the angle linspace(4k, 4(k+1), N) + N(0, ``noise``²).
* ``digits`` — scikit-learn's bundled 8×8 handwritten digits (1,797 images, 10 classes), samples
  [1, 8, 8] with values 0..16 scaled to 0..1; ``size`` > 8 resizes them (bilinear) to
  [1, size, size], e.g. 28 for LeNet-5.
* ``adding`` — the adding problem: ``samples`` sequences of ``length`` T steps × 2 features (a U(0, 1)
  value and a 0/1 marker; one marker in each half); target = the sum of the two marked values.
  Predicting the mean (1.0) gives MSE 1/6 ≈ 0.167.
* ``sine`` — noisy sine waves (random frequency and phase), ``length`` T steps × 1; target = the next
  clean value.

The user's own data (relative paths are relative to the graph file's folder):

* ``npz`` — ``path`` with arrays ``x`` (default key "X") and ``y`` (default "y").
* ``csv`` — ``path``; numeric feature columns and a ``label`` column (name or index; default: last).
* ``image_folder`` — ``path/<class>/<image>``: .npy, .pgm/.ppm natively, .png/.jpg with Pillow.
  Read lazily through a DataLoader.
* ``mnist``, ``fashion_mnist`` (idx files, optionally .gz) and ``cifar10`` (the *binary* version,
  ``cifar-10-batches-bin``; the pickled python version is refused because GraphLab never unpickles)
  under a ``root`` the user names; a clear message when the files are not there.

``task`` is classification (integer labels 0..C-1, ``num_classes`` = C) or regression (float
targets of shape ``target_shape``). The validation split is a fixed shuffle (seed 0), so runs with
different seeds are compared on the same held-out samples; ``test_fraction`` holds out a test split
from the same shuffle, which only ``graphlab evaluate`` reads. Preprocessing statistics come from the
training split only.

API: :func:`check_params` (torch-free; used by :mod:`graphlab.run.config`), :func:`build_dataset`
(config -> :class:`Data` with tensors, split and preprocessed), :class:`DataError`.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    import torch

    from .config import TrainConfig

from ..core.spec import Task
from .schema import DATASET_FIELDS, REQUIRED

_REQ = REQUIRED  # marks a required parameter
#: dataset name -> {param: default} (``_REQ`` = required); kinds and ranges: graphlab.run.schema.DATASET_FIELDS
DATASETS: dict[str, dict[str, Any]] = {name: {f.name: f.default for f in fs} for name, fs in DATASET_FIELDS.items()}


class DataError(Exception):
    """The dataset cannot be built (missing file, bad contents). The message names the file or field."""


def check_params(name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a dataset's parameters (no torch, no file access) and fill defaults; each value is
    checked by its schema field (:data:`graphlab.run.schema.DATASET_FIELDS`)."""
    from .config import ConfigError

    if name not in DATASETS:
        raise ConfigError("training.dataset.name", f"unknown dataset {name!r}; use one of {', '.join(DATASETS)}")
    fields = DATASET_FIELDS[name]
    known = [f.name for f in fields]
    for k in params:
        if k not in known:
            raise ConfigError(f"training.dataset.{k}",
                              f"unknown parameter of dataset {name}; its parameters: {', '.join(known) or '(none)'}")
    out: dict[str, Any] = {}
    for f in fields:
        if f.name not in params:
            if f.required:
                raise ConfigError(f.path, f"dataset {name} needs it")
            out[f.name] = f.default
        else:
            out[f.name] = f.check(params[f.name])
    if name == "digits" and out.get("classes") is not None:
        digit_classes(out["classes"])  # refused here, naming the field, before anything is loaded
    return out


def digit_classes(text: str, count: int = 10) -> list[int]:
    """``"0-4"``, ``"5,6,7"`` or ``"0-2, 8"`` → the digits, in order; ConfigError naming the field otherwise."""
    from .config import ConfigError

    where = "training.dataset.classes"
    out: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        lo, dash, hi = part.partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise ConfigError(where, f'give digits or ranges such as "0-4" or "5,6,7", got {text!r}')
        for d in range(int(lo), int(hi if dash else lo) + 1):
            if d >= count:
                raise ConfigError(where, f"{d} is not a digit (0 to {count - 1})")
            if d not in out:
                out.append(d)
    if len(out) < 2:
        raise ConfigError(where, "give at least two classes")
    return out


@dataclass
class Data:
    """A dataset split into train and validation, preprocessed, ready to batch.

    In-memory datasets have tensors ``x_train``/``y_train``/``x_val``/``y_val`` (val may have 0 rows).
    Lazily read ones (image folders) have ``train_set``/``val_set`` (torch Datasets) instead. The test
    split (``x_test``/``y_test`` or ``test_set``) is there only when asked for.
    """

    name: str
    task: Task
    sample_shape: tuple[int, ...]
    num_classes: int | None  # classification only
    target_shape: tuple[int, ...]  # () for class labels
    x_train: "torch.Tensor | None" = None
    y_train: "torch.Tensor | None" = None
    x_val: "torch.Tensor | None" = None
    y_val: "torch.Tensor | None" = None
    train_set: Any = None
    val_set: Any = None
    class_names: list[str] = field(default_factory=list)
    x_test: "torch.Tensor | None" = None
    y_test: "torch.Tensor | None" = None
    test_set: Any = None

    @property
    def in_memory(self) -> bool:
        return self.x_train is not None

    def tensors(self, split: str) -> tuple["torch.Tensor", "torch.Tensor"]:
        """(x, y) of the "train" or "val" split of an in-memory dataset."""
        x, y = (self.x_train, self.y_train) if split == "train" else (self.x_val, self.y_val)
        assert x is not None and y is not None, "an in-memory dataset holds its tensors"
        return x, y

    @property
    def n_train(self) -> int:
        return len(self.x_train) if self.x_train is not None else len(self.train_set)

    @property
    def n_val(self) -> int:
        return len(self.x_val) if self.x_val is not None else len(self.val_set or ())


def build_dataset(cfg: "TrainConfig", base_dir: str | os.PathLike[str] | None = None, *,
                  with_test: bool = False) -> Data:
    """Load or generate ``cfg.dataset``, split off ``cfg.val_fraction`` (and ``cfg.test_fraction``) and
    apply ``cfg.preprocess``. The test split is held out always and kept only ``with_test`` (for
    :mod:`graphlab.run.testset`): training and search never see it.

    Raises :class:`DataError` for missing or malformed files.
    """
    import torch

    name, p = cfg.dataset.name, cfg.dataset.params
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    if name == "image_folder":
        from .imagefolder import build_image_folder

        return build_image_folder(_resolve(base, p["path"]), p, cfg, with_test)
    x, y, task, class_names = _load(name, p, base)
    num_classes = None
    if task == "classification":
        if len(y) == 0:
            raise DataError(f"dataset {name}: it has no samples")
        num_classes = max(int(y.max()) + 1, len(class_names))
    tr, va, te = split_indices(len(x), cfg, f"dataset {name}")
    x_train, y_train, x_val, y_val = x[tr], y[tr], x[va], y[va]
    x_raw = x_train
    x_train, x_val = preprocess(cfg.preprocess, x_train, x_val)
    data = Data(name, task, tuple(x.shape[1:]), num_classes, tuple(y.shape[1:]), x_train.contiguous(),
                y_train.contiguous(), x_val.contiguous(), y_val.contiguous(), class_names=class_names)
    if with_test:  # statistics from the training split, as for validation
        data.x_test = preprocess(cfg.preprocess, x_raw, x[te])[1].contiguous()
        data.y_test = y[te].contiguous()
    return data


def split_indices(n: int, cfg: "TrainConfig", what: str) -> tuple["torch.Tensor", "torch.Tensor", "torch.Tensor"]:
    """(train, validation, test) sample indices: one fixed shuffle (seed 0), validation from its start,
    test from its end, training in between — so a test_fraction of 0 leaves the split as it always was,
    and the test samples are the same whatever the validation share (a search that holds out another
    validation share never selects on them). At least one sample in a share that is above 0;
    DataError when none is left for training."""
    import torch

    n_val = int(round(n * cfg.val_fraction))
    if cfg.val_fraction > 0 and n_val == 0:
        n_val = 1
    n_test = int(round(n * cfg.test_fraction))
    if cfg.test_fraction > 0 and n_test == 0:
        n_test = 1
    if n - n_val - n_test < 1:
        test = f" and test_fraction {cfg.test_fraction}" if cfg.test_fraction else ""
        raise DataError(f"{what}: {n} sample(s) leave none for training with val_fraction {cfg.val_fraction}{test}")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    return perm[n_val:n - n_test], perm[:n_val], perm[n - n_test:]


def preprocess(kind: str, x_train: "torch.Tensor", x_val: "torch.Tensor") -> tuple["torch.Tensor", "torch.Tensor"]:
    """Centre/scale both splits with statistics of ``x_train`` only.

    mean_image subtracts the mean sample; per_channel_mean subtracts one mean per channel (dim 1 of an
    image batch, the feature dim otherwise); standardize also divides by the matching std (per channel
    for images, per feature for vectors and sequences).
    """
    if kind == "none":
        return x_train, x_val
    if kind == "mean_image":
        m = x_train.mean(0, keepdim=True)
        return x_train - m, x_val - m
    dims = _channel_reduce_dims(x_train)
    m = x_train.mean(dims, keepdim=True)
    if kind == "per_channel_mean":
        return x_train - m, x_val - m
    s = x_train.std(dims, keepdim=True).clamp_min(1e-8)
    return (x_train - m) / s, (x_val - m) / s


def _channel_reduce_dims(x: "torch.Tensor") -> tuple[int, ...]:
    if x.dim() == 4:  # N, C, H, W -> per channel
        return (0, 2, 3)
    if x.dim() == 3:  # N, T, F -> per feature
        return (0, 1)
    return (0,)


def _resolve(base: Path, path: str) -> Path:
    p = Path(os.path.expanduser(path))
    return p if p.is_absolute() else base / p


def _load(name: str, p: dict[str, Any], base: Path) -> tuple["torch.Tensor", "torch.Tensor", Task, list[str]]:
    if name == "spiral":
        return (*spiral(p["classes"], p["points"], p["noise"], p["seed"]), "classification", [])
    if name == "digits":
        x, y = digits(p["size"])
        if p.get("classes") is None:
            return x, y, "classification", [str(i) for i in range(10)]
        keep = digit_classes(p["classes"])
        pick = sum((y == d) for d in keep).bool()  # type: ignore[union-attr]
        relabel = {d: i for i, d in enumerate(keep)}
        return x[pick], y[pick].apply_(relabel.__getitem__), "classification", [str(d) for d in keep]
    if name == "adding":
        return (*adding(p["samples"], p["length"], p["seed"]), "regression", [])
    if name == "sine":
        return (*sine(p["samples"], p["length"], p["noise"], p["seed"]), "regression", [])
    if name == "npz":
        from .filedata import load_npz

        return load_npz(_resolve(base, p["path"]), p["x"], p["y"], p["task"])
    if name == "csv":
        from .filedata import load_csv

        return load_csv(_resolve(base, p["path"]), p["label"], p["task"])
    from .filedata import load_cifar10, load_mnist

    if name in ("mnist", "fashion_mnist"):
        x, y = load_mnist(_resolve(base, p["root"]), name)
    else:
        x, y = load_cifar10(_resolve(base, p["root"]))
    if p["limit"] is not None:
        x, y = x[: p["limit"]], y[: p["limit"]]
    return x, y, "classification", []


def spiral(classes: int = 3, points: int = 100, noise: float = 0.2, seed: int = 0) -> tuple["torch.Tensor", "torch.Tensor"]:
    """CS231n's spiral: (X [K·N, 2] float32, y [K·N] long), class k's points contiguous."""
    import torch

    g = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    r = torch.linspace(0.0, 1.0, points, dtype=torch.float64)
    for k in range(classes):
        t = torch.linspace(4.0 * k, 4.0 * (k + 1), points, dtype=torch.float64)
        t = t + torch.randn(points, generator=g, dtype=torch.float64) * noise
        xs.append(torch.stack([r * torch.sin(t), r * torch.cos(t)], 1))
        ys.append(torch.full((points,), k, dtype=torch.long))
    return torch.cat(xs).float(), torch.cat(ys)


def warm_up(name: str | None) -> None:
    """Import what building the built-in dataset ``name`` imports, ahead of the run that needs it (a
    spare training process does it while it waits): scikit-learn for the digits (~1.4 s with scipy,
    ~70 MB), nothing for the others."""
    if name == "digits":
        from sklearn.datasets import load_digits

        load_digits()


def digits(size: int = 8) -> tuple["torch.Tensor", "torch.Tensor"]:
    """scikit-learn's bundled 8×8 digits: (X [1797, 1, size, size] scaled to 0..1, resized bilinearly
    when size != 8; y [1797] long)."""
    import torch
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
    if size != 8:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x, torch.tensor(d.target, dtype=torch.long)


def adding(samples: int = 10000, length: int = 50, seed: int = 0) -> tuple["torch.Tensor", "torch.Tensor"]:
    """The adding problem: (X [S, T, 2], y [S, 1]); one marker in each half of the sequence."""
    import torch

    g = torch.Generator().manual_seed(seed)
    values = torch.rand(samples, length, generator=g)
    half = length // 2
    i = torch.randint(0, half, (samples,), generator=g)
    j = torch.randint(half, length, (samples,), generator=g)
    marks = torch.zeros(samples, length)
    rows = torch.arange(samples)
    marks[rows, i] = 1.0
    marks[rows, j] = 1.0
    y = (values[rows, i] + values[rows, j]).unsqueeze(1)
    return torch.stack([values, marks], 2), y


def sine(samples: int = 2000, length: int = 20, noise: float = 0.05, seed: int = 0) -> tuple["torch.Tensor", "torch.Tensor"]:
    """Noisy sine windows: (X [S, T, 1], y [S, 1] = the next clean value)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    freq = 0.5 + torch.rand(samples, 1, generator=g) * 1.5
    phase = torch.rand(samples, 1, generator=g) * 2 * math.pi
    t = torch.arange(length + 1, dtype=torch.float32) * 0.3
    clean = torch.sin(freq * t + phase)
    x = clean[:, :length] + torch.randn(samples, length, generator=g) * noise
    return x.unsqueeze(2), clean[:, length:]
