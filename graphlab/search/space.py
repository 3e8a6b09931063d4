"""The ``search`` section of a graph file: what to search, and how.

::

    "search": {
      "space": {
        "training.optimizer.lr": {"log_uniform": [1e-4, 1e-1]},
        "training.regularization.l2": {"log_uniform": [1e-5, 1e-2]},
        "fc1.out_features": {"choice": [50, 100, 200]},
        "drop.p": {"uniform": [0, 0.7]},
        "conv1.out_channels": {"int": [8, 64]}
      },
      "trials": 20,            # trials in the study
      "sampler": "random",     # random (the course's default) | tpe | grid
      "epochs": 10,            # epochs per trial (null: the training section's)
      "metric": "val_acc",     # val_acc (maximised) | val_loss (minimised), as `graphlab train --json`'s final
      "pruning": true,         # stop trials whose per-epoch validation is below the median (Optuna's MedianPruner)
      "val_fraction": null,    # the trials' validation share (null: the training section's; it must be > 0)
      "seed": null             # the sampler's seed (null: a fresh one); worker i of a pool uses seed + i, so a
                               # search on one worker draws the same trials every time
    }

A key of ``space`` is ``training.<field>`` (a field of the training section's table,
:mod:`graphlab.run.schema`) or ``<node id>.<param>`` (a parameter of that node's layer spec); see
:mod:`graphlab.search.targets`. Distributions: ``log_uniform`` and ``uniform`` ``[lo, hi]`` (numbers),
``int`` and ``int_log`` ``[lo, hi]`` (whole numbers, both ends included), ``choice`` ``[v, ...]``
(numbers, strings, true/false, null). Everything but ``space`` has a default.

:func:`parse_search` checks the whole section against the graph and returns a :class:`SearchSpec`;
the first problem is a :class:`SearchError` whose one-line message names the key
(``search.space."fc1.out_features": ...``). No torch and no Optuna here: ``graphlab check`` runs it.

The settings are fields of the shared field language (:data:`SETTINGS`, :mod:`graphlab.core.fields`), so
a form of the section is one more use of the editor's form builder; each end of a range, and each
choice, is checked by its target's own field (:mod:`graphlab.search.targets`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from ..core import fields
from ..core.fields import FieldError
from ..core.graph import Graph
from ..core.text import finite_number, show_value

#: distribution name -> (numeric?, whole numbers?, log scale?): the field language's (a range is a
#: :class:`graphlab.core.fields.RangeField`)
DISTRIBUTIONS: dict[str, tuple[bool, bool, bool]] = fields.RANGE_KINDS
SAMPLERS = ("random", "tpe", "grid")
METRICS = ("val_acc", "val_loss")
#: the section's keys, in the order a saved file writes them
KEYS = ("space", "trials", "sampler", "epochs", "metric", "pruning", "val_fraction", "seed")
MAX_TRIALS = 100_000
MAX_EPOCHS = 1_000_000_000
MAX_CHOICES = fields.MAX_CHOICES
MAX_SEED = 2 ** 32 - 1
#: the most points a grid may have (a product of its choices)
MAX_GRID = 100_000


class SearchError(FieldError):
    """A bad ``search`` section (a :class:`~graphlab.core.fields.FieldError`): ``key`` is where
    (``search.space."fc1.out_features"``), ``node`` the node a space key sets, when it sets one."""

    def __init__(self, key: str, message: str, node: str | None = None) -> None:
        super().__init__(key, message)
        self.key = key
        self.node = node


def _setting(cls: type[fields.Field], name: str, default: Any, help_: str, **kw: Any) -> fields.Field:
    return cls(name, default, help_, path=f"search.{name}", raises=SearchError, **kw)


#: the section's settings in the field language (:mod:`graphlab.core.fields`): checks, defaults, words —
#: what a form of the section shows and what :func:`parse_settings` applies
SETTINGS: tuple[fields.Field, ...] = (
    _setting(fields.IntField, "trials", 20, "trials in the study", lo=1, hi=MAX_TRIALS),
    _setting(fields.ChoiceField, "sampler", "random", "how values are drawn: at random (the course's default), by "
             "TPE, or every combination of a grid", choices=SAMPLERS),
    _setting(fields.IntField, "epochs", None, "epochs per trial", lo=1, hi=MAX_EPOCHS, nullable=True,
             null_text="the training section's"),
    _setting(fields.ChoiceField, "metric", "val_acc", "validation accuracy (maximised) or loss (minimised)",
             choices=METRICS),
    _setting(fields.BoolField, "pruning", True, "stop trials below the median of earlier ones at the same epoch"),
    _setting(fields.FloatField, "val_fraction", None, "the trials' validation share", lo=0.0, lo_open=True, hi=1.0,
             hi_open=True, nullable=True, null_text="the training section's"),
    _setting(fields.IntField, "seed", None, "the sampler's seed", lo=0, hi=MAX_SEED, nullable=True,
             null_text="a fresh one"),
)
DEFAULTS: dict[str, Any] = {f.name: f.default for f in SETTINGS}


def space_key(key: str) -> str:
    """How messages name a space key: ``search.space."fc1.out_features"`` (JSON quotes: one line always)."""
    return "search.space." + json.dumps(key, ensure_ascii=True)[:120]


@dataclass(frozen=True)
class Dist:
    """One range: ``kind`` (a name of :data:`DISTRIBUTIONS`) and ``lo``/``hi``, or ``choices``."""

    kind: str
    lo: float | int | None = None
    hi: float | int | None = None
    choices: tuple[Any, ...] = ()

    @property
    def numeric(self) -> bool:
        return DISTRIBUTIONS[self.kind][0]

    @property
    def whole(self) -> bool:
        return DISTRIBUTIONS[self.kind][1]

    @property
    def log(self) -> bool:
        return DISTRIBUTIONS[self.kind][2]

    def to_json(self) -> dict[str, Any]:
        if self.kind == "choice":
            return {"choice": list(self.choices)}
        return {self.kind: [self.lo, self.hi]}

    def contains(self, v: Any) -> bool:
        if self.kind == "choice":
            return any(_same(v, c) for c in self.choices)
        return finite_number(v) and self.lo <= v <= self.hi  # type: ignore[operator]

    def grid(self) -> list[Any] | None:
        """Every value, for a grid: the choices, or each whole number of an int range; None for a
        continuous range."""
        if self.kind == "choice":
            return list(self.choices)
        if self.whole:
            return list(range(int(self.lo), int(self.hi) + 1))  # type: ignore[arg-type]
        return None

    def text(self) -> str:
        if self.kind == "choice":
            return "{" + ", ".join(show_value(c, 20) for c in self.choices) + "}"
        return f"{self.kind} [{self.lo:g}, {self.hi:g}]"


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


@dataclass(frozen=True)
class SearchSpec:
    """A checked ``search`` section (defaults filled)."""

    space: dict[str, Dist] = field(default_factory=dict)  # in file order
    trials: int = 20
    sampler: str = "random"
    epochs: int | None = None
    metric: str = "val_acc"
    pruning: bool = True
    val_fraction: float | None = None
    seed: int | None = None

    @property
    def direction(self) -> str:
        return "maximize" if self.metric == "val_acc" else "minimize"

    def better(self, a: float, b: float) -> bool:
        """Whether value ``a`` beats ``b`` for this metric."""
        return a > b if self.direction == "maximize" else a < b

    def to_dict(self) -> dict[str, Any]:
        """The section as a file holds it, keys in :data:`KEYS` order; parse_search(to_dict()) == self."""
        return {"space": {k: d.to_json() for k, d in self.space.items()}, "trials": self.trials,
                "sampler": self.sampler, "epochs": self.epochs, "metric": self.metric, "pruning": self.pruning,
                "val_fraction": self.val_fraction, "seed": self.seed}

    def with_(self, **changes: Any) -> "SearchSpec":
        return replace(self, **changes)


# -- distributions --------------------------------------------------------------------------------------

def _type(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(v), "a number" if isinstance(v, (int, float)) else type(v).__name__)


def range_field(where: str, target: fields.Field | None = None, target_path: str = "") -> fields.RangeField:
    """The field language's range field for a space key (``where``: how messages name it)."""
    return fields.RangeField(where, path=where, target=target, target_path=target_path, raises=SearchError)


def dist_of(value: dict[str, Any]) -> Dist:
    """A coerced range (``{kind: [lo, hi]}`` / ``{"choice": [...]}``) as a :class:`Dist`."""
    (kind, args), = value.items()
    return Dist("choice", choices=tuple(args)) if kind == "choice" else Dist(kind, args[0], args[1])


def parse_dist(raw: Any, where: str) -> Dist:
    """``{"log_uniform": [lo, hi]}`` … as a :class:`Dist`; SearchError naming ``where`` otherwise.
    Checks the shape alone (the key's own range is :mod:`graphlab.search.targets`' job)."""
    return dist_of(range_field(where).coerce(raw))


# -- the section ----------------------------------------------------------------------------------------

def parse_settings(section: Any) -> tuple[dict[str, Dist], dict[str, Any]]:
    """The section's distributions (shape only) and settings (checked, defaults filled); SearchError."""
    if not isinstance(section, Mapping):
        raise SearchError("search", f"must be an object, got {_type(section)}")
    for k in section:
        if k not in KEYS:
            raise SearchError(f"search.{k}", f"unknown key; known keys: {', '.join(KEYS)}")
    if "space" not in section:
        raise SearchError("search.space", 'missing: name the fields to search, e.g. {"training.optimizer.lr": '
                                          '{"log_uniform": [1e-4, 0.1]}}')
    raw = section["space"]
    if not isinstance(raw, Mapping):
        raise SearchError("search.space", f"must be an object (key -> distribution), got {_type(raw)}")
    if not raw:
        raise SearchError("search.space", "is empty: name at least one field to search")
    space = {k: parse_dist(v, space_key(k)) for k, v in raw.items()}
    settings = {f.name: f.coerce(section[f.name]) if f.name in section else f.default for f in SETTINGS}
    return space, settings


def parse_search(section: Any, graph: Graph) -> SearchSpec:
    """Check a ``search`` section against ``graph`` (every key exists and takes every value of its
    range; the trials have a validation split; a grid is finite). Raises :class:`SearchError`."""
    from .targets import check_split, check_target  # the key table reads the training schema

    space, settings = parse_settings(section)
    for key, dist in space.items():
        check_target(graph, key, dist, space)
    spec = SearchSpec(space, **settings)
    check_split(graph, spec)
    if spec.sampler == "grid":
        grid_size(spec)
    return spec


def grid_size(spec: SearchSpec) -> int:
    """The number of points of a grid search; SearchError for a continuous range or a huge grid."""
    n = 1
    for key, d in spec.space.items():
        values = d.grid()
        if values is None:
            raise SearchError(space_key(key), f"the grid sampler needs a list of values: use choice (or int) "
                                              f"instead of {d.kind}")
        n *= len(values)
        if n > MAX_GRID:
            raise SearchError("search.sampler", f"the grid has more than {MAX_GRID:,} points; use random or tpe")
    return n


def search_problems(graph: Graph) -> list[SearchError]:
    """The graph's search section's first problem (``graphlab check``), or none; no section, no problem."""
    if not graph.search:
        return []
    try:
        parse_search(graph.search, graph)
    except SearchError as e:
        return [e]
    return []
