"""Refine: the course's coarse → fine. A new stage whose ranges are the span of the best trials.

For the top ``k`` COMPLETE trials of a study (default: the best quarter, 2 to 5) (:func:`graphlab.search.study.ranked`):

* a ``uniform``/``log_uniform``/``int``/``int_log`` range becomes [the smallest, the largest] value
  those trials took (same distribution, so a log range stays log);
* a ``choice`` keeps the values those trials took, in their original order;
* epochs per trial are multiplied by ``epochs_factor`` (2 by default: finer and longer), or set.

The new stage is a study of its own (``<study>-refine``, see :func:`refine_name`), so the coarse
study stays as it was. No torch, no Optuna.
"""
from __future__ import annotations

from typing import Any

from .space import Dist, SearchError, SearchSpec
from .study import TrialRow, ranked

EPOCHS_FACTOR = 2


def default_top(completed: int) -> int:
    """The trials to narrow around when none is said: the best quarter of the COMPLETE ones, 2 to 5."""
    return max(2, min(5, round(completed / 4)))


def refine_name(study: str) -> str:
    return f"{study}-refine"


def narrow(spec: SearchSpec, top: list[TrialRow]) -> dict[str, Dist]:
    """The space narrowed to the span of ``top``'s values (each trial has a value for every key)."""
    out: dict[str, Dist] = {}
    for key, d in spec.space.items():
        values = [r.params[key] for r in top if key in r.params]
        if not values:
            out[key] = d
        elif d.kind == "choice":
            out[key] = Dist("choice", choices=tuple(c for c in d.choices if any(_same(c, v) for v in values)))
        else:
            lo, hi = min(values), max(values)
            if d.whole:
                lo, hi = int(lo), int(hi)
            out[key] = Dist(d.kind, lo, hi)
    return out


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def refine(spec: SearchSpec, rows: list[TrialRow], *, top: int | None = None, epochs: int | None = None,
           base_epochs: int, epochs_factor: int = EPOCHS_FACTOR) -> tuple[SearchSpec, list[TrialRow]]:
    """The refined stage and the trials it was narrowed around (``top``: how many; default
    :func:`default_top`). ``base_epochs``: the epochs a trial of ``spec`` ran (its own, or the training
    section's). SearchError when fewer than 2 trials completed."""
    done = ranked(rows, spec)
    best = done[:max(top if top is not None else default_top(len(done)), 1)]
    if len(best) < 2:
        raise SearchError("--refine", f"needs at least 2 COMPLETE trials to narrow around; the study has {len(best)}")
    new_epochs = epochs if epochs is not None else (spec.epochs or base_epochs) * epochs_factor
    return spec.with_(space=narrow(spec, best), epochs=new_epochs), best
