"""The training section's schema: one table that the parser and the editor's settings form both read.

:func:`graphlab.run.config.parse_training` (and :func:`graphlab.run.datasets.check_params`) check
every value with :meth:`Field.check`, and the editor's training form
(``graphlab.ui.training.settings_form``) builds its widgets from the same :class:`Field` s — kind,
default, range, choices, help — so the form cannot offer a value the parser refuses, nor miss a
field the parser knows. No Qt, no torch.

Layout::

    FIELDS                      key -> Field for the plain fields ("val_fraction", "augment.hflip", ...)
    VARIANTS["dataset"][name]   the fields of one dataset's parameters ("dataset.points", ...)
    VARIANTS["optimizer"][name] one optimizer's knobs (lr is a plain field common to all)
    VARIANTS["schedule"][name]  one schedule's knobs
    VARIANT_NAMES[section]      the Field of the section's "name" (a choice)
    GROUPS                      the form's groups: (title, [keys and variant sections]) in order

A key is the dotted path below ``training`` (the error messages say ``training.<key>``). A field
whose ``nullable`` is set accepts ``null`` (meaning ``null_text``: "off", "per node", ...); one
with ``special`` also accepts that string (``batch_size: "full"``). ``log`` marks values edited by
factors of ten (learning rates, weight decay). ``form=False`` fields are set elsewhere in the
editor (the device is the Run toolbar's picker) or are for scripts only.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

from ..core import fields
from ..core.fields import FieldError
from ..core.init_schemes import INIT_HELP, INIT_SCHEMES


#: the kinds of value a training-section field holds (one field class each: graphlab.core.fields)
FieldKind = Literal["float", "int", "bool", "choice", "text", "label", "size"]


class ConfigError(FieldError):
    """A bad ``training`` section. ``field`` is the dotted path (``training.optimizer.lr``); the message
    reads ``training.optimizer.lr: must be > 0, got -1`` (a :class:`~graphlab.core.fields.FieldError`)."""

    def __init__(self, field_: str, message: str) -> None:
        super().__init__(field_, message)
        self.field = field_


#: upper bounds of whole-number fields (docs/training.md): beyond them a run cannot be meant, and torch
#: would fail deep inside (a 10^30 thread count, a seed past 64 bits, a 10^9-pixel crop pad, 10^9 spiral
#: points); the memory check covers their products
MAX_EPOCHS = 1_000_000_000
MAX_BATCH = 2 ** 31 - 1
MAX_SEED = 2 ** 32 - 1
MAX_THREADS = 1024
MAX_CROP_PADDING = 64
MAX_STEP = 1_000_000
MAX_IMAGE_SIDE = 4096  # image_folder.size
MAX_NOISE = 1e6

REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "REQUIRED"})()  # a value the user must give


@dataclass(frozen=True)
class Field:
    """One field of the training section, declared as a row of the table below; its checks are the
    field language's (:mod:`graphlab.core.fields`): ``field`` is the :class:`~graphlab.core.fields.Field`
    this row makes, raising :class:`ConfigError` named ``training.<key>``."""

    key: str  # dotted path below "training"
    kind: FieldKind
    default: Any
    label: str
    help: str = ""
    lo: float | None = None
    lo_open: bool = False
    hi: float | None = None
    hi_open: bool = False
    choices: tuple[str, ...] = ()
    choice_help: tuple[str, ...] = ()  # one line per choice (tooltips), when given
    nullable: bool = False  # null is allowed and means null_text
    null_text: str = ""
    special: str | None = None  # a string also allowed (batch_size "full")
    log: bool = False  # edited by factors of ten
    form: bool = True
    field: fields.Field = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field", _make_field(self))

    @property
    def path(self) -> str:
        return f"training.{self.key}"

    @property
    def name(self) -> str:
        return self.key.rsplit(".", 1)[-1]

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def range_text(self) -> str:
        """The allowed values in words, for help texts: "> 0", "0 ≤ x < 1", "one of a, b"."""
        return self.field.range_text()

    def check(self, v: Any) -> Any:
        """The value, normalised (ints as int, floats as float); ConfigError naming ``path`` otherwise."""
        return self.field.coerce(v)


def _make_field(f: Field) -> fields.Field:
    common: dict[str, Any] = {"name": f.name, "default": None if f.required else f.default, "help": f.help,
                              "label": f.label, "nullable": f.nullable, "null_text": f.null_text,
                              "required": f.required, "path": f.path, "raises": ConfigError}
    bounds: dict[str, Any] = {"lo": f.lo, "hi": f.hi, "lo_open": f.lo_open, "hi_open": f.hi_open}
    k = f.kind
    if k == "int":
        return fields.IntField(**common, **bounds, special=f.special)
    if k == "float":
        return fields.FloatField(**common, **bounds, log=f.log)
    if k == "choice":
        return fields.ChoiceField(**common, choices=f.choices, choice_help=f.choice_help)
    if k == "size":
        return fields.SizeField(**common, max_side=MAX_IMAGE_SIDE)
    return fields.KINDS[k](**common)  # bool, text, label


def check_number(v: Any, f: str, *, lo: float | None = None, lo_open: bool = False, hi: float | None = None,
                 hi_open: bool = False) -> float:
    """A finite number within the bounds; ConfigError naming ``f`` (a path or a flag) otherwise."""
    return fields.FloatField(f, path=f, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open, raises=ConfigError).coerce(v)


def check_int(v: Any, f: str, *, lo: int | None = None, hi: int | None = None) -> int:
    """A whole number within the bounds; ConfigError naming ``f`` otherwise."""
    return fields.IntField(f, path=f, lo=lo, hi=hi, raises=ConfigError).coerce(v)


def check_choice(v: Any, f: str, choices: tuple[str, ...] | list[str]) -> str:
    """One of ``choices``; ConfigError naming ``f`` otherwise."""
    return fields.ChoiceField(f, path=f, choices=tuple(choices), raises=ConfigError).coerce(v)


# -- the table -------------------------------------------------------------------------------------

DEFAULT_LR = 0.01
PREPROCESS = ("none", "mean_image", "per_channel_mean", "standardize")
DEVICES = ("auto", "cpu", "cuda", "mps")
TASKS = ("auto", "classification", "regression")


def _unit(key: str, default: float, label: str, help_: str) -> Field:
    """A decay-like knob in [0, 1)."""
    return Field(key, "float", default, label, help_, lo=0.0, hi=1.0, hi_open=True)


def _eps(key: str) -> Field:
    return Field(key, "float", 1e-8, "eps", "added to the denominator so it is never zero", lo=0.0, lo_open=True,
                 log=True)


def _seed(key: str) -> Field:
    return Field(key, "int", 0, "data seed", "seed of the generated data (not of the training run)", lo=0,
                 hi=MAX_SEED)


def _path(key: str, what: str) -> Field:
    return Field(key, "text", REQUIRED, what, f"{what}, relative to the graph file's folder")


def _limit(key: str) -> Field:
    return Field(key, "int", None, "limit", "use only the first N samples", lo=1, hi=10 ** 9, nullable=True, null_text="all")


def _task(key: str) -> Field:
    return Field(key, "choice", "auto", "task", "what the targets are: auto decides from their values", choices=TASKS)


DATASET_FIELDS: dict[str, tuple[Field, ...]] = {
    "spiral": (
        Field("dataset.classes", "int", 3, "classes", "arms of the spiral (= classes)", lo=2, hi=1000),
        Field("dataset.points", "int", 100, "points per class", "points on each arm", lo=2, hi=100_000),
        Field("dataset.noise", "float", 0.2, "noise", "standard deviation of the angle noise", lo=0.0,
              hi=MAX_NOISE),
        _seed("dataset.seed"),
    ),
    "digits": (
        Field("dataset.size", "int", 8, "image size", "8 = the original 8×8 digits; larger sizes are resized "
              "(28 for LeNet-5)", lo=8, hi=256),
        Field("dataset.classes", "text", None, "classes", 'only these digits, e.g. "0-4" or "5,6,7": labelled '
              "0, 1, … in that order (a transfer-learning split)", nullable=True, null_text="all ten"),
    ),
    "adding": (
        Field("dataset.length", "int", 50, "sequence length", "time steps T of each sequence", lo=2,
              hi=10_000),
        Field("dataset.samples", "int", 10000, "sequences", "number of sequences", lo=10, hi=1_000_000),
        _seed("dataset.seed"),
    ),
    "sine": (
        Field("dataset.length", "int", 20, "sequence length", "time steps T of each sequence", lo=2,
              hi=10_000),
        Field("dataset.samples", "int", 2000, "sequences", "number of sequences", lo=10, hi=1_000_000),
        Field("dataset.noise", "float", 0.05, "noise", "standard deviation of the added noise", lo=0.0,
              hi=MAX_NOISE),
        _seed("dataset.seed"),
    ),
    "npz": (
        _path("dataset.path", "file"),
        Field("dataset.x", "text", "X", "inputs array", "name of the array of samples in the .npz"),
        Field("dataset.y", "text", "y", "targets array", "name of the array of targets in the .npz"),
        _task("dataset.task"),
    ),
    "csv": (
        _path("dataset.path", "file"),
        Field("dataset.label", "label", -1, "label column", "the target column: its name or index (-1 = last)"),
        _task("dataset.task"),
    ),
    "image_folder": (
        _path("dataset.path", "folder"),
        Field("dataset.size", "size", None, "resize to", "[height, width], or empty to keep the images' size",
              nullable=True, null_text="as stored"),
        Field("dataset.grayscale", "bool", False, "grayscale", "read the images as one grey channel"),
    ),
    "mnist": (_path("dataset.root", "folder"), _limit("dataset.limit")),
    "fashion_mnist": (_path("dataset.root", "folder"), _limit("dataset.limit")),
    "cifar10": (_path("dataset.root", "folder"), _limit("dataset.limit")),
}
DATASET_HELP = {
    "spiral": "CS231n's spiral: 2-D points in K interleaved arms",
    "digits": "scikit-learn's 1,797 8×8 handwritten digits",
    "adding": "the adding problem: sum the two marked values of a sequence",
    "sine": "noisy sine waves: predict the next clean value",
    "npz": "your arrays in an .npz file",
    "csv": "numeric columns of a CSV file and a label column",
    "image_folder": "images in folder/<class>/<image>",
    "mnist": "MNIST idx files already on disk",
    "fashion_mnist": "Fashion-MNIST idx files already on disk",
    "cifar10": "CIFAR-10, binary version, already on disk",
}

OPTIMIZER_FIELDS: dict[str, tuple[Field, ...]] = {
    "sgd": (),
    "momentum": (_unit("optimizer.momentum", 0.9, "momentum", "μ: v = μv + dx; x −= lr·v"),),
    "nesterov": (_unit("optimizer.momentum", 0.9, "momentum", "μ of Nesterov's look-ahead momentum"),),
    "adagrad": (_eps("optimizer.eps"),),
    "rmsprop": (_unit("optimizer.decay", 0.99, "decay", "ρ: c = ρc + (1−ρ)dx²"), _eps("optimizer.eps")),
    "adam": (_unit("optimizer.beta1", 0.9, "beta1", "decay of the mean of the gradients"),
             _unit("optimizer.beta2", 0.999, "beta2", "decay of the mean of their squares"), _eps("optimizer.eps")),
}
OPTIMIZER_HELP = {
    "sgd": "x −= lr·dx", "momentum": "velocity v = μv + dx; x −= lr·v",
    "nesterov": "momentum with a look-ahead gradient", "adagrad": "per-weight step shrinking with the summed dx²",
    "rmsprop": "per-weight step from a running mean of dx²", "adam": "momentum + RMSProp, bias-corrected",
}

SCHEDULE_FIELDS: dict[str, tuple[Field, ...]] = {
    "none": (),
    "step": (Field("schedule.step_size", "int", 10, "every (epochs)", "multiply the rate by gamma every N epochs",
                   lo=1, hi=MAX_STEP),
             Field("schedule.gamma", "float", 0.1, "gamma", "the factor", lo=0.0, lo_open=True, hi=1.0)),
    "exponential": (Field("schedule.gamma", "float", 0.95, "gamma", "multiply the rate by gamma every epoch",
                          lo=0.0, lo_open=True, hi=1.0),),
    "cosine": (Field("schedule.t_max", "int", None, "period (epochs)", "epochs of the half cosine", lo=1, hi=MAX_STEP,
                     nullable=True, null_text="= epochs"),
               Field("schedule.eta_min", "float", 0.0, "minimum lr", "the rate at the end of the period", lo=0.0)),
}
SCHEDULE_HELP = {"none": "a constant learning rate", "step": "drop by gamma every N epochs",
                 "exponential": "multiply by gamma every epoch", "cosine": "half a cosine down to the minimum"}

VARIANTS: dict[str, dict[str, tuple[Field, ...]]] = {
    "dataset": DATASET_FIELDS, "optimizer": OPTIMIZER_FIELDS, "schedule": SCHEDULE_FIELDS}
VARIANT_NAMES: dict[str, Field] = {
    "dataset": Field("dataset.name", "choice", "spiral", "dataset", "where the samples come from (nothing is "
                     "downloaded)", choices=tuple(DATASET_FIELDS), choice_help=tuple(DATASET_HELP.values())),
    "optimizer": Field("optimizer.name", "choice", "sgd", "optimizer", "the update rule",
                       choices=tuple(OPTIMIZER_FIELDS), choice_help=tuple(OPTIMIZER_HELP.values())),
    "schedule": Field("schedule.name", "choice", "none", "schedule", "how the learning rate changes, once per "
                      "epoch", choices=tuple(SCHEDULE_FIELDS), choice_help=tuple(SCHEDULE_HELP.values())),
}

_PLAIN: tuple[Field, ...] = (
    Field("val_fraction", "float", 0.2, "validation share", "share of the samples held out for validation (a "
          "fixed shuffle: every seed sees the same split)", lo=0.0, hi=1.0, hi_open=True),
    Field("test_fraction", "float", 0.0, "test share", "share of the samples held out for the final test: never "
          "read by training or a search; `graphlab evaluate` reads it once at the end", lo=0.0, hi=1.0,
          hi_open=True),
    Field("preprocess", "choice", "none", "preprocess", "statistics from the training split only",
          choices=PREPROCESS, choice_help=("the samples as they are", "subtract the mean image",
                                           "subtract each channel's mean", "zero mean, unit variance per feature")),
    Field("augment.hflip", "bool", False, "flip left-right", "images only: mirror half of the batch"),
    Field("augment.crop_padding", "int", 0, "random crop padding", "images only: pad by N pixels, crop back at a "
          "random offset", lo=0, hi=MAX_CROP_PADDING),
    Field("augment.color_jitter", "float", 0.0, "colour jitter", "images only: brightness and contrast × U(1−j, "
          "1+j)", lo=0.0, hi=1.0),
    Field("optimizer.lr", "float", DEFAULT_LR, "learning rate", "the step size (every optimizer has one)",
          lo=0.0, lo_open=True, log=True),
    Field("regularization.l2", "float", 0.0, "L2", "loss += ½·λ·ΣW² over the weights (not the biases): the "
          "course's convention, = torch's weight_decay λ", lo=0.0, log=True),
    Field("regularization.l1", "float", 0.0, "L1", "loss += λ·Σ|W| over the weights", lo=0.0, log=True),
    Field("clip_grad_norm", "float", None, "clip gradient norm", "rescale the gradients when their global norm is "
          "above this", lo=0.0, lo_open=True, nullable=True, null_text="off"),
    Field("init", "choice", None, "weight init", "one scheme for every layer with weights (a node's own init "
          "wins)", choices=INIT_SCHEMES, choice_help=tuple(INIT_HELP.values()), nullable=True,
          null_text="per node"),
    Field("epochs", "int", 10, "epochs", "passes over the training split", lo=1, hi=MAX_EPOCHS),
    Field("batch_size", "int", 64, "batch size", 'samples per step; "full" = the whole training split', lo=1,
          hi=MAX_BATCH,
          special="full"),
    Field("seed", "int", 0, "seed", "weights, shuffling, dropout and augmentation", lo=0,
          hi=MAX_SEED),
    Field("device", "choice", "auto", "device", "auto = a GPU when torch sees one", choices=DEVICES, form=False),
    Field("threads", "int", None, "torch threads", "null = 1 for small models", lo=1, hi=MAX_THREADS, nullable=True,
          null_text="auto", form=False),
    Field("stats.budget", "float", 0.02, "statistics budget", "share of the time spent on per-node statistics "
          "(0 = off, 1 = every step)", lo=0.0, hi=1.0),
    Field("weights", "text", None, "start from weights", "a checkpoint, run folder or state_dict (relative to the "
          "graph file's folder): nodes whose id and shapes match start from it, the others from their init",
          nullable=True, null_text="fresh init"),
)
FIELDS: dict[str, Field] = {f.key: f for f in _PLAIN}

#: the top-level keys of the training section
TOP_KEYS = ("dataset", "val_fraction", "test_fraction", "preprocess", "augment", "optimizer", "schedule",
            "regularization", "clip_grad_norm", "init", "epochs", "batch_size", "seed", "device", "threads", "stats",
            "weights")
#: the keys of each plain sub-section
SUB_KEYS = {sec: tuple(f.name for f in _PLAIN if f.key.startswith(sec + "."))
            for sec in ("augment", "regularization", "stats")}

#: the form's groups, in order: plain field keys and variant sections ("@dataset": its name + its fields)
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Data", ("@dataset", "val_fraction", "test_fraction", "preprocess", "augment.hflip", "augment.crop_padding",
              "augment.color_jitter")),
    ("Optimizer", ("@optimizer", "optimizer.lr", "@schedule")),
    ("Regularization", ("regularization.l2", "regularization.l1", "clip_grad_norm", "init")),
    ("Run", ("epochs", "batch_size", "seed", "stats.budget", "weights")),
)


def variant_defaults(section: str) -> dict[str, dict[str, Any]]:
    """name -> {knob: default} of a variant section (REQUIRED marks a value the user must give)."""
    return {name: {f.name: f.default for f in fs} for name, fs in VARIANTS[section].items()}


def all_fields() -> list[Field]:
    """Every field the schema knows: the plain ones, the variant names and every variant's fields."""
    out = list(_PLAIN) + list(VARIANT_NAMES.values())
    for fs in VARIANTS.values():
        for group in fs.values():
            out.extend(group)
    return out


def form_keys() -> list[str]:
    """The plain field keys the form shows, in GROUPS order (variant sections excluded)."""
    return [k for _, keys in GROUPS for k in keys if not k.startswith("@")]


# -- editing a section (the editor's form; plain data in, plain data out) ----------------------------

def _sub(t: dict[str, Any], section: str) -> dict[str, Any]:
    """``t[section]`` as a dict (a shorthand string such as "adam" becomes {"name": "adam"})."""
    v = t.get(section)
    if isinstance(v, str):
        v = {"name": v}
    if not isinstance(v, dict):
        v = {}
    t[section] = v
    return v


def with_value(training: Any, key: str, value: Any) -> dict[str, Any]:
    """A copy of the training section with the field ``key`` ("optimizer.lr", "epochs") set to ``value``."""
    import copy

    t = copy.deepcopy(dict(training)) if isinstance(training, dict) else {}
    if "." in key:
        section, name = key.split(".", 1)
        _sub(t, section)[name] = value
    else:
        t[key] = value
    return t


def with_variant(training: Any, section: str, name: str) -> dict[str, Any]:
    """A copy with ``section`` (dataset, optimizer, schedule) switched to ``name``: its own keys go back to
    their defaults; the optimizer keeps its learning rate."""
    import copy

    t = copy.deepcopy(dict(training)) if isinstance(training, dict) else {}
    old = _sub(t, section)
    new: dict[str, Any] = {"name": name}
    if section == "optimizer" and "lr" in old:
        new["lr"] = old["lr"]
    t[section] = new
    return t


def _lookup(t: Any, key: str) -> tuple[bool, Any]:
    if not isinstance(t, dict):
        return False, None
    if "." not in key:
        return (key in t), t.get(key)
    section, name = key.split(".", 1)
    v = t.get(section)
    if isinstance(v, str):
        v = {"name": v}
    if isinstance(v, dict) and name in v:
        return True, v[name]
    return False, None


def variant_of(training: Any, section: str) -> str:
    """The variant a section names (its default when missing or unknown)."""
    ok, name = _lookup(training, f"{section}.name")
    f = VARIANT_NAMES[section]
    return name if ok and isinstance(name, str) and name in f.choices else f.default


def form_values(training: Any) -> tuple[dict[str, Any], ConfigError | None]:
    """What the form shows: ``{key: value}`` for every plain field, each variant section's name
    (``"@dataset"`` …) and the active variants' fields, with defaults filled in; and the section's
    first error (None when it parses). With an error each field shows the file's value where it
    has one, else its default."""
    from .config import parse_training

    try:
        canon: Any = parse_training(training).to_dict()
        err = None
    except ConfigError as e:
        canon, err = training, e
    out: dict[str, Any] = {}
    for f in _PLAIN:
        ok, v = _lookup(canon, f.key)
        out[f.key] = v if ok else f.default
    for section in VARIANTS:
        name = variant_of(canon, section)
        out["@" + section] = name
        for f in VARIANTS[section][name]:
            ok, v = _lookup(canon, f.key)
            out[f.key] = v if ok else (None if f.required else f.default)
    return out, err
