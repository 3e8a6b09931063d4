"""What the Search dock does with a study's trials: Refine, Apply trial, Open trial, Ensemble top k and
Evaluate on test — the part of :class:`~.controller.SearchController` that acts on the trials it shows
(a mixin: it uses the controller's document, shell, rows, signals and worker jobs).

* *Refine* — the next stage (:func:`graphlab.search.refine.refine`: ranges narrowed to the span of the top
  trials, twice the epochs) written into the search section as ONE undo step, and that stage's study
  selected (Start creates it);
* *Apply trial* — a trial's values, seed, epochs and validation share set in the graph as ONE undo step
  (:func:`graphlab.search.targets.trial_changes`, :func:`.commands.apply_trial_command`);
* *Open trial* — its run folder in the Plots and Runs docks (``shell.open_run``);
* *Ensemble top k* — the top k trials averaged on validation (a worker job: torch);
* *Evaluate on test* — once: a model evaluated before is evaluated again only after a warning that its
  test figures are no longer unbiased (:mod:`graphlab.run.testset` records every evaluation).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...core.fields import FieldError
from ...search.space import DEFAULTS, SearchError
from . import jobs
from .commands import SetSearchCommand, apply_trial_command


class TrialActions:
    """Mixed into :class:`~.controller.SearchController` (which defines what these methods use)."""

    document: Any
    shell: Any
    message: Any
    ensembled: Any
    tested: Any
    reader: jobs.StudyReader
    rows: list[Any]
    ensemble: dict[str, Any] | None
    test_report: Any
    _test_runs: list[str]
    spec: Callable[[], Any]
    best: Callable[[], Any]
    row: Callable[[int], Any]
    study_name: Callable[[], str | None]
    storage_text: Callable[[], str | None]
    select_study: Callable[[str | None], None]
    _submit: Callable[..., int]

    def refine(self) -> bool:
        """The next stage: ranges narrowed around the top trials, twice the epochs, written into the search
        section as one undo step; the next stage's study is selected (Start creates it)."""
        from ...run.config import ConfigError, parse_training
        from ...search.refine import refine, refine_name

        spec, name = self.spec(), self.study_name()
        if spec is None or name is None:
            self.message.emit("cannot refine: the study has no trials yet")
            return False
        try:
            base = parse_training(self.document.graph.training).epochs
            new, top = refine(spec, self.rows, base_epochs=base)
        except (SearchError, ConfigError) as e:
            self.message.emit(f"cannot refine: {e.reason if isinstance(e, FieldError) else e}")
            return False
        section = {k: v for k, v in new.to_dict().items() if k == "space" or v != DEFAULTS.get(k)}
        around = ", ".join(str(r.number) for r in top)
        self.document.undo_stack.push(SetSearchCommand(self.document.graph, section, "@refine",
                                                       f"Refine the search around trials {around}"))
        nxt = refine_name(name)
        self.message.emit(f"refined around trials {around}: {new.epochs} epochs per trial; the next stage is "
                          f"study {nxt!r} (press Start)")
        self.select_study(nxt)
        return True

    def apply_trial(self, number: int | None = None) -> bool:
        """The trial's values (default: the best trial's), its seed, epochs and validation share set in the
        graph as ONE undo step."""
        from ...search.targets import trial_changes, trial_val_fraction

        row = self.best() if number is None else self.row(number)
        spec = self.spec()
        if row is None or spec is None:
            self.message.emit("no trial to apply: the study has no COMPLETE trial yet")
            return False
        g = self.document.graph
        try:
            training, params = trial_changes(g, dict(row.params), seed=row.seed, epochs=row.epochs,
                                             val_fraction=trial_val_fraction(g, spec))
            cmd = apply_trial_command(g, training, params, f"Apply trial {row.number}")
        except KeyError as e:
            self.message.emit(f"cannot apply trial {row.number}: the graph has no node {e.args[0]!r} any more")
            return False
        if cmd is None:
            self.message.emit(f"the graph already has trial {row.number}'s values")
            return False
        self.document.undo_stack.push(cmd)
        self.message.emit(f"applied trial {row.number} to the graph (its values, seed {row.seed}, "
                          f"{row.epochs} epochs): Train (F5) trains it again; Ctrl+Z undoes it")
        return True

    def open_trial(self, number: int | None = None) -> bool:
        """Show the trial's run folder in the Plots and Runs docks."""
        row = self.best() if number is None else self.row(number)
        if row is None or not row.run:
            self.message.emit("no trial to open")
            return False
        if not Path(row.run).is_dir():
            where = f" (it ran on {row.host})" if row.host else ""
            self.message.emit(f"trial {row.number}'s run folder {row.run} is not on this machine{where}")
            return False
        return self.shell.open_run(Path(row.run), f"Trial {row.number} of study {self.study_name()!r}")

    def ensemble_top(self, k: int) -> bool:
        spec, name, storage = self.spec(), self.study_name(), self.storage_text()
        if spec is None or name is None or storage is None:
            self.message.emit("cannot ensemble: the study has no trials yet")
            return False
        self.message.emit(f"averaging the top {k} trials on the validation split…")
        self._submit(jobs.ENSEMBLE, jobs.ensemble_job, self.reader, storage, name, spec, int(k), needs_torch=True)
        return True

    def evaluate_on_test(self, runs: list[str]) -> bool:
        """Evaluate a model (one run) or an ensemble (several) on the test split, once: a model evaluated
        before is evaluated again only after a warning that its test figures are no longer unbiased."""
        if not runs:
            self.message.emit("no model to evaluate: run the search first")
            return False
        self._test_runs = list(runs)
        self._submit(jobs.EARLIER, jobs.earlier_job, list(runs), needs_torch=True)
        return True

    def _earlier(self, before: list[str]) -> None:
        runs = self._test_runs
        if before:
            ask = getattr(self.shell.prompts, "confirm", None)
            text = (f"{', '.join(before)} {'was' if len(before) == 1 else 'were'} evaluated on the test split before. "
                    "Its test figures are no longer an unbiased estimate (they may have steered a choice). "
                    "Evaluate again anyway?")
            if ask is None or not ask("Evaluate on test again", text):
                self.message.emit("not evaluated: " + text.split(". ")[0])
                return
        self.message.emit("evaluating on the test split…")
        self._submit(jobs.TEST, jobs.test_job, runs, needs_torch=True)

    def _ensembled(self, report: dict[str, Any]) -> None:
        self.ensemble = report
        self.ensembled.emit(report)

    def _tested(self, report: Any) -> None:
        self.test_report = report
        self.tested.emit(report)
        for w in report.warnings:
            self.message.emit(w)
