"""Evaluate on test, once: the course's honest figure (§2.5).

``training.test_fraction`` holds out a test split that neither training nor a search reads
(:func:`graphlab.run.datasets.split_indices`). :func:`evaluate_on_test` scores one finished run, or
an ensemble of several, on it and records the result in each run folder's ``test.json``::

    {"format": "graphlab-test-1",
     "evaluations": [{"when": "...", "runs": ["/abs/run", ...], "n": 60, "loss": 0.31, "acc": 0.93}]}

A model that was evaluated on test before can still be evaluated — but its test figures are then no
longer unbiased (they may have steered a choice), and :class:`TestReport` says so in ``warnings``.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ensemble import EnsembleResult, evaluate_members, load_member
from .runs import MAX_RUN_FILE, RunError, write_json_atomic

TEST_FILE = "test.json"
FORMAT = "graphlab-test-1"


@dataclass
class TestReport:
    result: EnsembleResult
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        r = self.result
        out: dict[str, Any] = {"runs": r.runs, "n": r.n, "test_loss": r.ensemble.loss, "test_acc": r.ensemble.acc,
                               "warnings": self.warnings}
        if len(r.runs) > 1:
            out["members"] = [{"run": run, "test_loss": s.loss, "test_acc": s.acc} for run, s in zip(r.runs, r.members)]
        return out


def earlier(run: Path) -> list[dict[str, Any]]:
    """The test evaluations recorded in a run folder (unreadable records count as one)."""
    f = run / TEST_FILE
    if not f.is_file():
        return []
    try:
        if f.stat().st_size > MAX_RUN_FILE:
            raise ValueError
        doc = json.loads(f.read_text(encoding="utf-8"))
        ev = doc.get("evaluations") if isinstance(doc, dict) else None
        return [e for e in ev if isinstance(e, dict)] if isinstance(ev, list) else [{}]
    except (OSError, ValueError, UnicodeDecodeError):
        return [{}]


def evaluate_on_test(runs: list[str | Path]) -> TestReport:
    """Score a run (or the ensemble of several) on its test split and record it. RunError: one line."""
    folders = [Path(r).resolve() for r in runs]
    if len(set(folders)) != len(folders):
        raise RunError("a run folder is named twice")
    members = [load_member(f) for f in folders]
    if members[0].cfg.test_fraction <= 0:
        raise RunError(f"{folders[0]}: this run has no test split (training.test_fraction was 0): set it before "
                       f"training, so the test samples are never seen")
    warnings = []
    for f in folders:
        before = earlier(f)
        if before:
            when = before[-1].get("when") or "an earlier run"
            warnings.append(f"{f} was evaluated on the test split before ({when}): these test figures are no longer "
                            f"an unbiased estimate")
    result = evaluate_members(members, "test")
    record = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "runs": result.runs, "n": result.n,
              "loss": result.ensemble.loss, "acc": result.ensemble.acc}
    for f in folders:
        try:
            write_json_atomic(f / TEST_FILE, {"format": FORMAT, "evaluations": [*earlier_valid(f), record]})
        except OSError as e:
            raise RunError(f"cannot record the evaluation in {f / TEST_FILE}: {e.strerror or e}") from None
    return TestReport(result, warnings)


def earlier_valid(run: Path) -> list[dict[str, Any]]:
    return [e for e in earlier(run) if e]
