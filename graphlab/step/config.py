"""The stepper's configuration: the graph file's ``step`` section parsed into a :class:`StepConfig`.

As the trainer has :class:`graphlab.run.config.TrainConfig`, the stepper has one configuration, built
the same way by ``graphlab step`` / ``graphlab gradcheck`` (command-line flags override the file's
section: :func:`with_overrides`) and by the editor's stepper panel. No torch.

::

    "step": {
      "source": "typed",             # dataset (default) | random | typed
      "seed": 0,                     # weights' initialisation, random inputs, the upstream gradient
      "batch": 8,                    # samples when the inputs come from the dataset or are random
      "inputs": {"x": [-2], "y": [5], "z": [-4]},   # typed values: one sample per Input node, C order
      "weights": null,               # a checkpoint or run folder (relative to the file's folder); null: initial
      "train_mode": false            # BatchNorm on batch statistics, Dropout masks drawn
    }

Every key is optional. ``source: "dataset"`` takes the first validation samples of the dataset the
training section names, and seeded random inputs when it names none (or it cannot be used: the
stepper says why). ``inputs`` may be given for every source (the editor keeps what was typed while
another source is chosen); with ``source: "typed"`` every Input node needs its values. Values are
a flat list in C order, a list nested as the node's shape, or, for a node of one value, a number.

:func:`parse_step` validates the section and raises :class:`StepConfigError` naming ``step.<key>``
(``step.inputs.z`` for an Input node's values, whose ``node`` is then ``"z"``); an unknown key is
an error naming it. Given the graph's Input nodes and shapes (``input_shapes``), typed values are
checked against them. The fields are declared in the field language (:mod:`graphlab.core.fields`):
:data:`FIELDS`, which the editor's panel builds its editors from.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..core import fields
from ..core.fields import FieldError
from ..core.text import quote

#: the section's keys, in the order files write them (graphlab.io.fileformat.STEP_KEYS)
KEYS = ("source", "seed", "batch", "inputs", "weights", "train_mode")
SOURCES = ("dataset", "random", "typed")
#: Input nodes with at most this many values per sample can be typed in the editor's tables
TYPED_MAX = 64
MAX_SEED = 2 ** 32 - 1
MAX_BATCH = 65_536
#: the gradient check's batch: centred differences cost two passes per coordinate
GRADCHECK_BATCH = 2


class StepConfigError(FieldError):
    """A bad ``step`` section (or flag). ``field`` is the path (``step.seed``, ``--batch``); ``node`` the
    Input node an ``inputs`` error is about (None otherwise)."""

    def __init__(self, field_: str, message: str, node: str | None = None) -> None:
        super().__init__(field_, message)
        self.field = field_
        self.node = node


def _error(path: str, reason: str) -> FieldError:
    return StepConfigError(path, reason)


def key_path(prefix: str, key: str) -> str:
    """``prefix.key``, or ``prefix['a key']`` when the key is not a plain name (messages stay one line)."""
    return f"{prefix}.{key}" if isinstance(key, str) and key.isidentifier() else f"{prefix}[{quote(key)}]"


def _declare(cls: type[fields.Field], name: str, **kw: Any) -> Any:
    return cls(name, path=f"step.{name}", raises=_error, **kw)


FIELDS: dict[str, fields.Field] = {
    "source": _declare(fields.ChoiceField, "source", default="dataset", label="inputs",
                       help="where the inputs of the walk come from",
                       choices=SOURCES, choice_text=("Dataset sample", "Random (seeded)", "Typed values"),
                       choice_help=("the first validation samples of the training section's dataset "
                                    "(random when it names none)",
                                    "seeded N(0, 1) values", "the values typed for each Input node (one sample)")),
    "seed": _declare(fields.IntField, "seed", default=0, lo=0, hi=MAX_SEED,
                     help="seed of the weights' initialisation, the random inputs and the upstream gradient"),
    "batch": _declare(fields.IntField, "batch", default=8, lo=1, hi=MAX_BATCH,
                      help="samples when the inputs come from the dataset or are random"),
    "weights": _declare(fields.TextField, "weights", default=None, nullable=True,
                        null_text="initial (seeded)",
                        help="a checkpoint (.safetensors) or a run folder, relative to the graph file's folder"),
    "train_mode": _declare(fields.BoolField, "train_mode", default=False, label="train mode",
                           help="BatchNorm on batch statistics, Dropout masks drawn (fixed for the whole walk)"),
}


def values_field(node: str, shape: tuple[int, ...] | None) -> fields.NumbersField:
    """The field of one Input node's typed values (``step.inputs.<node>``)."""
    def error(path: str, reason: str) -> FieldError:
        return StepConfigError(path, reason, node)

    return fields.NumbersField(node, path=key_path("step.inputs", node), shape=shape, raises=error,
                               help=f"the values of Input node {node} (one sample, C order)")


@dataclass(frozen=True)
class TypedInput:
    node: str
    shape: tuple[int, ...] | None  # per sample (no batch dimension); None when not known
    values: tuple[float, ...]  # C order

    def nested(self) -> Any:
        """The values as nested lists of ``shape`` with a batch of one (what the Stepper takes)."""
        if self.shape is None:
            return list(self.values)
        return [_nest(list(self.values), self.shape)]


def _nest(values: list[float], shape: tuple[int, ...]) -> Any:
    if len(shape) <= 1:
        return values
    step = math.prod(shape[1:])
    return [_nest(values[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


@dataclass(frozen=True)
class StepConfig:
    source: str = "dataset"
    seed: int = 0
    batch: int = 8
    inputs: tuple[TypedInput, ...] = ()
    weights: str | None = None
    train_mode: bool = False

    def typed(self) -> dict[str, tuple[float, ...]]:
        return {t.node: t.values for t in self.inputs}

    def describe(self) -> str:
        """One line for the stepper dock: what the next walk will use."""
        if self.source == "typed":
            src = "typed inputs (1 sample)"
        elif self.source == "dataset":
            src = f"a dataset batch of {self.batch}"
        else:
            src = f"random inputs, seed {self.seed}, batch {self.batch}"
        w = "weights from " + self.weights if self.weights else f"initial weights (seed {self.seed})"
        return f"{src} · {w} · {'train' if self.train_mode else 'eval'} mode"

    def weights_path(self, base_dir: str | Path | None) -> str | None:
        """The weights' path, a relative one taken from ``base_dir`` (the graph file's folder)."""
        if not self.weights:
            return None
        p = Path(self.weights)
        return str(Path(base_dir) / p) if base_dir is not None and not p.is_absolute() else str(p)

    def stepper_kwargs(self, base_dir: str | Path | None = None, *, gradcheck: bool = False) -> dict[str, Any]:
        """Keyword arguments for :class:`graphlab.step.Stepper` (and ``gradcheck``, whose batch is at
        most :data:`GRADCHECK_BATCH` and which has no train mode). Plain data: no torch here."""
        kw: dict[str, Any] = {"seed": self.seed, "weights": self.weights_path(base_dir), "base_dir": base_dir}
        if not gradcheck:
            kw["train_mode"] = self.train_mode
        if self.source == "typed":
            kw["inputs"] = {t.node: t.nested() for t in self.inputs}
        else:
            kw["batch"] = min(self.batch, GRADCHECK_BATCH) if gradcheck else self.batch
            kw["dataset"] = self.source == "dataset"
        return kw

    def to_dict(self) -> dict[str, Any]:
        """The ``step`` section with the keys that differ from the defaults (``parse_step`` gives it back)."""
        out: dict[str, Any] = {}
        for key in KEYS:
            if key == "inputs":
                if self.inputs:
                    out["inputs"] = {t.node: [plain_number(v) for v in t.values] for t in self.inputs}
            elif getattr(self, key) != FIELDS[key].default:
                out[key] = getattr(self, key)
        return out


def plain_number(v: float) -> float | int:
    """-2.0 as -2 (files read as the course writes them); other floats unchanged."""
    return int(v) if float(v).is_integer() and abs(v) < 2 ** 53 else float(v)


def parse_step(section: Any, input_shapes: Mapping[str, tuple[int, ...] | None] | None = None) -> StepConfig:
    """Validate a graph's ``step`` section and fill defaults. ``input_shapes``: the graph's Input
    nodes and their per-sample shapes (None when unknown), to check typed values against; without it
    only the values themselves are checked. Raises :class:`StepConfigError`."""
    if section is None:
        section = {}
    if not isinstance(section, Mapping):
        raise StepConfigError("step", f"must be an object, got {type(section).__name__}")
    for k in section:
        if k not in KEYS:
            raise StepConfigError(key_path("step", k), f"unknown key; known keys: {', '.join(KEYS)}")
    values = {k: (FIELDS[k].coerce(section[k]) if k in section else FIELDS[k].default) for k in FIELDS}
    typed = _parse_inputs(section.get("inputs"), input_shapes)
    cfg = StepConfig(values["source"], values["seed"], values["batch"], typed, values["weights"],
                     values["train_mode"])
    check_typed(cfg, input_shapes)
    return cfg


def check_typed(cfg: StepConfig, input_shapes: Mapping[str, Any] | None) -> None:
    """With typed inputs, every Input node has its values; StepConfigError naming the first that has none."""
    if cfg.source != "typed":
        return
    have = {t.node for t in cfg.inputs}
    for nid in input_shapes or ():
        if nid not in have:
            raise StepConfigError(key_path("step.inputs", nid), f"no values for Input node {quote(nid)}, and "
                                  f"the source is typed (give one list per Input node)", nid)
    if not cfg.inputs and input_shapes is None:
        raise StepConfigError("step.inputs", "the source is typed but no values are given")


def _parse_inputs(raw: Any, input_shapes: Mapping[str, tuple[int, ...] | None] | None) -> tuple[TypedInput, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise StepConfigError("step.inputs", f"must be an object {{Input node id: values}}, got {type(raw).__name__}")
    out: dict[str, TypedInput] = {}
    for nid, v in raw.items():
        if input_shapes is not None and nid not in input_shapes:
            known = ", ".join(input_shapes) or "none"
            raise StepConfigError(key_path("step.inputs", nid), f"{quote(nid)} is not an Input node of this "
                                  f"graph (its Input nodes: {known})", None)
        shape = input_shapes.get(nid) if input_shapes is not None else None
        shape = tuple(shape) if shape is not None else None
        out[nid] = TypedInput(nid, shape, values_field(nid, shape).coerce(v))
    order = list(input_shapes) if input_shapes is not None else list(out)
    return tuple(out[n] for n in order if n in out)


def with_overrides(cfg: StepConfig, *, source: str | None = None, seed: int | None = None,
                   batch: int | None = None, weights: str | None = None,
                   train_mode: bool | None = None) -> StepConfig:
    """The configuration with command-line flags applied (None = keep the file's). Raises
    StepConfigError naming the flag (``--batch: must be >= 1 ...``)."""
    changes: dict[str, Any] = {}
    for key, value in (("source", source), ("seed", seed), ("batch", batch), ("weights", weights),
                       ("train_mode", train_mode)):
        if value is not None:
            flag = "--" + key.replace("_", "-")
            changes[key] = replace(FIELDS[key], path=flag, raises=StepConfigError).coerce(value)
    return replace(cfg, **changes)


def clean_section(section: Any, input_shapes: Mapping[str, tuple[int, ...] | None] | None = None) -> dict[str, Any]:
    """The section without what :func:`parse_step` refuses key by key (unknown keys, bad values, values
    for nodes that are not Input nodes): what an editor that shows only valid values writes back."""
    if not isinstance(section, Mapping):
        return {}
    out: dict[str, Any] = {}
    for k, v in section.items():
        if k == "inputs" and isinstance(v, Mapping):
            good = {}
            for nid, vals in v.items():
                shape = input_shapes.get(nid) if input_shapes is not None else None
                try:
                    if input_shapes is None or nid in input_shapes:
                        values_field(nid, tuple(shape) if shape is not None else None).coerce(vals)
                        good[nid] = vals
                except FieldError:
                    pass
            if good:
                out[k] = good
        elif k in FIELDS:
            try:
                FIELDS[k].coerce(v)
                out[k] = v
            except FieldError:
                pass
    return out


def with_value(section: Any, key: str, value: Any) -> dict[str, Any]:
    """A copy of the section with ``key`` set (a default value removes the key, so files stay short);
    ``inputs.<node>`` sets one Input node's values. Keys stay in :data:`KEYS` order."""
    import copy

    s: dict[str, Any] = copy.deepcopy(dict(section)) if isinstance(section, Mapping) else {}
    if key.startswith("inputs."):
        node = key.split(".", 1)[1]
        raw = s.get("inputs")
        inputs: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
        inputs[node] = [plain_number(v) for v in value] if isinstance(value, (list, tuple)) else value
        s["inputs"] = inputs
    elif key in FIELDS and value == FIELDS[key].default and type(value) is type(FIELDS[key].default):
        s.pop(key, None)
    else:
        s[key] = value
    return {k: s[k] for k in (*KEYS, *[k for k in s if k not in KEYS]) if k in s}
