"""The Search dock (objectName ``search``): set up a search, run it, read it, and act on its trials.

* Header: the study (``study_box``: the file's study and its refine stages in the storage; a stage
  that does not exist yet is marked *new*), Start / Resume, Pause, Stop and the search's progress.
* A banner for what stops the search as a whole (an unreachable database, a study of another graph).
* *Setup*: the search section's form (:class:`.form.SearchForm`); every edit is one undo step
  (:class:`.commands.SetSearchCommand`); a bad section is listed in the problems, on its key.
* *Trials*: parallel coordinates (brush an axis to filter), the intermediate curves (pruned trials
  marked) and the parameter importance, over the trials table (sortable, best trial highlighted,
  brushed to the same trials); under it *Apply best trial*, *Open trial*, *Refine*, *Ensemble top k*
  and *Evaluate on test*, with their results on one line.

The panel follows the document (the form) and the :class:`~.controller.SearchController` (everything
else); it edits the graph only through undo commands.
"""
from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...search.space import SearchError, parse_dist, space_key
from ..document import Document
from ..forms import guard_wheel
from ..shell import Shell
from .commands import SetSearchCommand
from .controller import SearchController
from .coords import ParallelCoordinates
from .curves import IntermediateCurves
from .form import SearchForm, default_range
from .importance import ImportanceBars
from .trials_table import TrialsTable

TAB_SETUP, TAB_TRIALS = 0, 1
VIEW_COORDS, VIEW_CURVES, VIEW_IMPORTANCE = 0, 1, 2
ERROR_STYLE = "QLabel { color: #d0302f; }"


class SearchPanel(QWidget):
    def __init__(self, document: Document, shell: Shell, controller: SearchController) -> None:
        super().__init__()
        self.document, self.shell, self.controller = document, shell, controller
        self.setObjectName("search_panel")
        self.allowed: set[int] | None = None
        self.selected: int | None = None
        self._pending: dict[int, tuple[Any, ...]] = {}  # views behind a tab: what they show next
        self._shown_section: Any = object()
        head = self._build_header()
        self.form = SearchForm()
        self.form.set_options(controller.workers, controller.storage)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.split = _Split((5, 5))
        self.split.addWidget(self._build_views())
        self.split.addWidget(self._build_trials())
        self.split.setChildrenCollapsible(False)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("search_tabs")
        self.tabs.addTab(scroll, "Setup")
        self.tabs.addTab(self.split, "Trials")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addLayout(head)
        lay.addWidget(self.status)
        lay.addWidget(self.banner)
        lay.addWidget(self.tabs, 1)
        self._wire()
        self.document_replaced()

    # -- building ---------------------------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        """The study box, Start / Pause / Stop, the status line and the banner."""
        c = self.controller
        self.study_box = QComboBox()
        self.study_box.setObjectName("search_study")
        self.study_box.setToolTip("the study shown and run: the file's own and its refine stages")
        self.study_box.setMinimumWidth(140)
        guard_wheel(self.study_box)
        self.start_button = _button("Start", "search_start", c.start)
        self.pause_button = _button("Pause", "search_pause", c.toggle_pause)
        self.stop_button = _button("Stop", "search_stop", c.stop)
        self.status = QLabel("")
        self.status.setObjectName("search_status")
        self.banner = QLabel("")
        self.banner.setObjectName("search_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(ERROR_STYLE)
        self.banner.hide()
        head = QHBoxLayout()
        head.addWidget(QLabel("Study"))
        head.addWidget(self.study_box, 1)
        for b in (self.start_button, self.pause_button, self.stop_button):
            head.addWidget(b)
        return head

    def _build_views(self) -> QTabWidget:
        self.coords = ParallelCoordinates()
        self.curves = IntermediateCurves()
        self.importance = ImportanceBars()
        self.views = QTabWidget()
        self.views.setObjectName("search_views")
        self.views.addTab(self.coords, "Parallel coordinates")
        self.views.addTab(self.curves, "Curves")
        self.views.addTab(self.importance, "Importance")
        return self.views

    def _build_trials(self) -> QWidget:
        """The brushing note, the table, the actions and their result line."""
        c = self.controller
        self.table = TrialsTable()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.filter_note = QLabel("")
        self.filter_note.setObjectName("search_filter_note")
        self.clear_filter = QToolButton()
        self.clear_filter.setText("Show all")
        self.clear_filter.hide()
        filt = QHBoxLayout()
        filt.addWidget(self.filter_note, 1)
        filt.addWidget(self.clear_filter)
        self.apply_button = _button("Apply best trial", "search_apply", self._apply, "set the best trial's values, "
                                    "seed and epochs in the graph (one undo step)")
        self.open_button = _button("Open trial", "search_open", self._open, "show the selected trial's run (the best "
                                   "one when none is selected) in the Plots and Runs docks")
        self.refine_button = _button("Refine", "search_refine", c.refine, "the next stage: ranges narrowed to the best "
                                     "trials' span, twice the epochs (written into the search section; Start runs it "
                                     "as a new study)")
        self.k_box = QSpinBox()
        self.k_box.setObjectName("search_k")
        self.k_box.setRange(2, 20)
        self.k_box.setValue(3)
        self.k_box.setPrefix("top ")
        guard_wheel(self.k_box)
        self.ensemble_button = _button("Ensemble", "search_ensemble", self._ensemble, "average the top k trials' "
                                       "softmax outputs; validation accuracy beside the best single model")
        self.test_button = _button("Evaluate on test…", "search_test", None, "score the chosen model (or the "
                                   "ensemble) on the held-out test split — once: a second time its figures are no "
                                   "longer unbiased")
        self.test_menu = QMenu(self)
        self.test_button.setMenu(self.test_menu)
        acts = QHBoxLayout()
        for w in (self.apply_button, self.open_button, self.refine_button, self.k_box, self.ensemble_button,
                  self.test_button):
            acts.addWidget(w)
        acts.addStretch(1)
        self.result = QLabel("")
        self.result.setObjectName("search_result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addLayout(filt)
        bl.addWidget(self.table, 1)
        bl.addLayout(acts)
        bl.addWidget(self.result)
        return bottom

    def _wire(self) -> None:
        c, doc = self.controller, self.document
        self.study_box.activated.connect(self._study_picked)
        self.form.edited.connect(self._edited)
        self.form.option.connect(self._option)
        self.form.refused.connect(self.shell.show_hint)
        self.views.currentChanged.connect(self._draw_view)
        self.table.trial_selected.connect(self._trial_selected)
        self.table.trial_activated.connect(c.open_trial)
        self.table.customContextMenuRequested.connect(self._table_menu)
        self.coords.brushed.connect(self._brushed)
        self.clear_filter.clicked.connect(self.coords.clear_brushes)
        self.test_menu.aboutToShow.connect(self._fill_test_menu)
        c.looked.connect(self._looked)
        c.rows_changed.connect(self.show_rows)
        c.importances_changed.connect(self.importance.set_importances)
        c.state_changed.connect(self.update_actions)
        c.problem.connect(self._problem)
        c.ensembled.connect(self._ensembled)
        c.tested.connect(self._tested)
        c.message.connect(self.shell.show_hint)
        c.finished.connect(self._finished)
        doc.section_changed.connect(self._section_changed)
        doc.replaced.connect(self.document_replaced)
        doc.undo_stack.cleanChanged.connect(self._clean_changed)

    # -- the section (form) ---------------------------------------------------------------------------
    def document_replaced(self) -> None:
        self._shown_section = object()
        self.coords.clear_brushes()
        self.result.setText("")
        self.form.set_options(self.controller.workers, self.controller.storage)
        self.show_section()
        self.update_actions()

    def _section_changed(self, key: str) -> None:
        if key in ("search", "training"):
            self.show_section()

    def show_section(self) -> None:
        g = self.document.graph
        key = (id(g), repr(g.search), repr(g.training))
        if key == self._shown_section:
            return
        self._shown_section = key
        from ...search.space import search_problems

        bad = search_problems(g)
        self.form.show_section(g, bad[0] if bad else None)
        self.update_actions()

    def _edited(self, key: str, value: Any) -> None:
        g = self.document.graph
        section = copy.deepcopy(g.search) if isinstance(g.search, dict) else {}
        space = section.get("space") if isinstance(section.get("space"), dict) else {}
        text = None
        if key.startswith("space:"):
            space[key[6:]] = value
        elif key.startswith("add:"):
            k = key[4:]
            space[k] = self._first_range(k, space)
            key, text = "@add", f"Search {k}"
        elif key.startswith("remove:"):
            k = key[7:]
            space.pop(k, None)
            key, text = "@remove", f"Stop searching {k}"
        else:
            section[key] = value
        section["space"] = space
        if not space:
            section = {}  # no key left: no section (undo brings it back with its settings)
        if section == g.search:
            return
        self.document.undo_stack.push(SetSearchCommand(g, section, key, text))

    def _first_range(self, key: str, space: dict[str, Any]) -> dict[str, Any]:
        from ...search.targets import current_value, target_of

        dists = {}
        for k, v in space.items():
            try:
                dists[k] = parse_dist(v, space_key(k))
            except SearchError:
                pass
        target, _, _ = target_of(self.document.graph, key, dists)
        return default_range(target, current_value(self.document.graph, key))

    def _option(self, name: str, value: Any) -> None:
        if name == "workers":
            self.controller.set_workers(int(value))
        elif name == "storage":
            self.controller.set_storage(value)

    # -- the study ----------------------------------------------------------------------------------------
    def _looked(self, look: Any) -> None:
        name = self.controller.study_name()
        stages = list(look.stages) if look is not None else []
        if name is not None and name not in stages:
            stages.append(name)
        self.study_box.blockSignals(True)
        self.study_box.clear()
        for s in stages:
            exists = look is not None and (s in look.stages)
            self.study_box.addItem(s if exists else f"{s} (new)", s)
        i = self.study_box.findData(name)
        self.study_box.setCurrentIndex(i if i >= 0 else 0)
        self.study_box.blockSignals(False)
        if look is not None and look.exists and look.spec is not None:
            self.form.note.setText(f"Study <b>{look.name}</b> exists: Start resumes it with the section it was "
                                   "created with. Edits here apply to a new study (Refine starts the next stage).")
        elif name is not None:
            self.form.note.setText(f"Study <b>{name}</b> does not exist yet: Start creates it with this section.")
        else:
            self.form.note.setText("Save the graph to search it: the study and its trials are kept beside the file.")
        self.update_actions()

    def _study_picked(self, index: int) -> None:
        self.coords.clear_brushes()
        self.controller.select_study(self.study_box.itemData(index))

    def _problem(self, line: str) -> None:
        self.banner.setText(line)
        self.banner.setVisible(bool(line))

    # -- the trials ---------------------------------------------------------------------------------------
    def keys_and_dists(self) -> tuple[list[str], dict[str, Any], str]:
        spec = self.controller.spec()
        if spec is not None:
            return list(spec.space), dict(spec.space), spec.metric
        keys: list[str] = []
        for r in self.controller.rows:
            keys += [k for k in r.params if k not in keys]
        return keys, {}, "value"

    def show_rows(self, rows: list[Any]) -> None:
        """Redraw the table and the view in front for these trials (≤ 50 ms at 500 trials:
        benchmarks/bench_search_ui.py); a view behind a tab is redrawn when it comes to the front."""
        if not rows:
            self.table.trials.forget()
        keys, dists, metric = self.keys_and_dists()
        best = self.controller.best()
        b = best.number if best is not None else None
        self.table.show_rows(rows, keys, metric, b)
        self._pending = {VIEW_COORDS: (rows, keys, dists, metric, b), VIEW_CURVES: (rows, metric, b)}
        self._draw_view(self.views.currentIndex())
        self._update_status()
        self.update_actions()

    def _draw_view(self, index: int) -> None:
        args = self._pending.pop(index, None)
        if args is None:
            return
        if index == VIEW_COORDS:
            self.coords.set_trials(*args)
        elif index == VIEW_CURVES:
            self.curves.set_trials(*args)
            self.curves.set_filter(self.allowed)

    def _brushed(self, allowed: set[int] | None) -> None:
        self.allowed = allowed
        self.table.set_filter(allowed)
        if VIEW_CURVES not in self._pending:
            self.curves.set_filter(allowed)
        n = len(self.controller.rows)
        self.filter_note.setText("" if allowed is None else f"{len(allowed)} of {n} trials inside the marked ranges")
        self.clear_filter.setVisible(allowed is not None)

    def _trial_selected(self, number: int) -> None:
        self.selected = number
        self.coords.select(number)
        self.curves.select(number)
        self.update_actions()

    def _update_status(self) -> None:
        from ...search.study import counted

        c = self.controller
        rows = c.rows
        look = c.look
        parts = []
        if rows or (look is not None and look.exists):
            target = look.target if look is not None and look.target else (c.session.target if c.session else None)
            states: dict[str, int] = {}
            for r in rows:
                s = "STOPPED" if r.stopped else r.state
                states[s] = states.get(s, 0) + 1
            parts.append(f"{counted(rows)}/{target or '?'} trials")
            parts += [f"{n} {s.lower()}" for s, n in sorted(states.items()) if s != "COMPLETE"]
            best = c.best()
            if best is not None:
                parts.append(f"best: trial {best.number}, {c.spec().metric if c.spec() else 'value'} {best.value:.4g}")
        if c.state != "idle":
            parts.insert(0, {"starting": "starting…", "running": "running", "paused": "paused",
                             "stopping": "stopping…"}[c.state])
        self.status.setText(" · ".join(parts))

    # -- actions --------------------------------------------------------------------------------------------
    def update_actions(self, *_: Any) -> None:
        c = self.controller
        active = c.active
        exists = c.look is not None and c.look.exists
        reason = c.blocker() if not active else None
        complete = not active and c.complete()
        self.start_button.setText("Resume" if exists and not complete else "Start")
        self.start_button.setEnabled(not active and reason is None and not complete and c.study_name() is not None)
        tip = ("Start the search (F7)" if reason is None else f"Cannot search: {reason}") if not complete else \
            "the study is complete: Refine it for the next stage"
        self.start_button.setToolTip(tip)
        self.pause_button.setEnabled(c.state in ("running", "paused"))
        self.pause_button.setText("Resume" if c.state == "paused" else "Pause")
        self.stop_button.setEnabled(c.state in ("running", "paused"))
        self.study_box.setEnabled(not active)
        has_best = c.best() is not None
        self.apply_button.setEnabled(has_best)
        self.open_button.setEnabled(has_best or self.selected is not None)
        done = sum(r.state == "COMPLETE" for r in c.rows)
        self.refine_button.setEnabled(done >= 2 and not active)
        self.ensemble_button.setEnabled(done >= 2)
        self.test_button.setEnabled(has_best)
        self.form.options["storage"].widget.setEnabled(not active)
        self._update_status()

    def _clean_changed(self, _clean: bool) -> None:
        self.update_actions()

    def _apply(self) -> None:
        self.controller.apply_trial(None)

    def _open(self) -> None:
        self.controller.open_trial(self.selected)

    def _ensemble(self) -> None:
        self.controller.ensemble_top(self.k_box.value())

    def _table_menu(self, pos: Any) -> None:
        n = self.table.trials.number_at(self.table.indexAt(pos).row())
        if n is None:
            return
        menu = QMenu(self)
        menu.addAction(f"Apply trial {n} to graph", lambda: self.controller.apply_trial(n))
        menu.addAction(f"Open trial {n}", lambda: self.controller.open_trial(n))
        menu.addAction(f"Evaluate trial {n} on test…", lambda: self._evaluate_trial(n))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def test_choices(self) -> list[tuple[str, list[str]]]:
        """What *Evaluate on test* offers: (label, run folders) — the best trial, the selected one, the last
        ensemble."""
        c = self.controller
        out: list[tuple[str, list[str]]] = []
        best = c.best()
        if best is not None and best.run:
            out.append((f"Best trial ({best.number})", [best.run]))
        sel = c.row(self.selected) if self.selected is not None else None
        if sel is not None and sel.run and (best is None or sel.number != best.number) and sel.state == "COMPLETE":
            out.append((f"Selected trial ({sel.number})", [sel.run]))
        if c.ensemble:
            members = c.ensemble["members"]
            out.append((f"Ensemble of the top {len(members)} (trials {', '.join(str(m['number']) for m in members)})",
                        [m["run"] for m in members]))
        return out

    def _fill_test_menu(self) -> None:
        self.test_menu.clear()
        for label, runs in self.test_choices():
            self.test_menu.addAction(label, lambda r=runs: self.controller.evaluate_on_test(r))

    def _evaluate_trial(self, number: int) -> None:
        row = self.controller.row(number)
        if row is not None and row.run:
            self.controller.evaluate_on_test([row.run])

    def _ensembled(self, report: dict[str, Any]) -> None:
        e, b = report["ensemble"], report["best_single"]
        nums = ", ".join(str(m["number"]) for m in report["members"])
        self.result.setText(f"Ensemble of the top {len(report['members'])} (trials {nums}): validation accuracy "
                            f"<b>{_pct(e['val_acc'])}</b> (NLL {_num(e['val_loss'])}) — best single model "
                            f"(trial {b['number']}): {_pct(b['val_acc'])}. On {report.get('n', '?')} validation "
                            "samples; judge it on test.")

    def _tested(self, report: Any) -> None:
        r = report.result
        what = f"the ensemble of {len(r.runs)}" if len(r.runs) > 1 else "the model"
        warn = " <b>Not unbiased:</b> evaluated on test before." if report.warnings else ""
        self.result.setText(f"Test ({r.n} samples), {what}: accuracy <b>{_pct(r.ensemble.acc)}</b>, loss "
                            f"{_num(r.ensemble.loss)} — recorded in test.json; report this figure once.{warn}")

    def _finished(self, _fin: Any) -> None:
        self.update_actions()


class _Split(QSplitter):
    """A vertical splitter that shares its first real height between its parts in ``shares`` (a splitter
    otherwise starts from its parts' size hints, and a plot's is large), then leaves it to the user."""

    def __init__(self, shares: tuple[int, ...]) -> None:
        super().__init__(Qt.Orientation.Vertical)
        self.shares = shares
        self._shared = False
        for i, share in enumerate(shares):
            self.setStretchFactor(i, share)

    def resizeEvent(self, e: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(e)
        if not self._shared and self.height() > 100 and self.count() == len(self.shares):
            self._shared = True
            total = sum(self.shares)
            self.setSizes([self.height() * s // total for s in self.shares])


def _button(text: str, name: str, slot: Any, tip: str = "") -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    if tip:
        b.setToolTip(tip)
    if slot is not None:
        b.clicked.connect(slot)
    return b


def _pct(v: Any) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"


def _num(v: Any) -> str:
    return "—" if v is None else f"{v:.4g}"
