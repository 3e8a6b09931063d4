"""Ensemble top k: the best trials of a study as one averaged model (the course's §7.1).

:func:`top_members` finds the run folders of a study's top ``k`` COMPLETE trials (on this machine);
:func:`top_runs` scores each of them and their ensemble — the average of their softmax outputs — on
the validation split, beside the best single model (:mod:`graphlab.run.ensemble`). The same folders
go to ``graphlab export --ensemble`` and ``graphlab evaluate``. torch is imported when called.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .space import SearchSpec
from .study import TrialRow, ranked, trial_rows


def top_members(study: Any, spec: SearchSpec, k: int) -> list[TrialRow]:
    """The top ``k`` COMPLETE trials whose run folder is on this machine; RunError when there are none."""
    from ..run.runs import RunError

    top = ranked(trial_rows(study), spec)
    if not top:
        raise RunError(f"study {study.study_name!r} has no COMPLETE trial yet")
    chosen = top[:k]
    for r in chosen:
        if not r.run or not Path(r.run).is_dir():
            where = f" (it ran on {r.host})" if r.host else ""
            raise RunError(f"trial {r.number}'s run folder {r.run} is not on this machine{where}")
    return chosen


def top_runs(study: Any, spec: SearchSpec, k: int) -> dict[str, Any]:
    """``{"members": [{"number", "run", "val_acc", "val_loss"}], "ensemble": {"val_acc", "val_loss"},
    "best_single": {"number", "val_acc", "val_loss"}}`` — ``val_loss`` of the ensemble is the
    negative log likelihood of its averaged probabilities."""
    from ..run.ensemble import evaluate_members, load_member

    chosen = top_members(study, spec, k)
    result = evaluate_members([load_member(r.run) for r in chosen], "val")  # type: ignore[arg-type]
    members = [{"number": r.number, "run": r.run, "val_acc": s.acc, "val_loss": s.loss}
               for r, s in zip(chosen, result.members)]
    best = members[result.best_member]
    return {"members": members, "ensemble": {"val_acc": result.ensemble.acc, "val_loss": result.ensemble.loss},
            "best_single": {"number": best["number"], "val_acc": best["val_acc"], "val_loss": best["val_loss"]},
            "n": result.n}
