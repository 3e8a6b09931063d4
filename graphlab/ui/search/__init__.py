"""Hyperparameter search in the editor: the Search dock, its menu, and the search section's problems.

``install(document, shell)`` is the one entry point (the main window calls it; it only assembles); it
returns the :class:`~.controller.SearchController` the window keeps as ``window.search``::

    controller.py    the study: look, start, poll, pause, resume, stop; refine, apply, open, ensemble, test
    jobs.py          the worker's jobs (every touch of a storage or a SearchProcess; no Qt)
    commands.py      SetSearchCommand (the section: one undo step per edit); apply_trial_command (one macro)
    form.py          the section's form (ranges, settings, run options), built with graphlab.ui.forms
    dock.py          the Search dock: header, banner, Setup and Trials tabs, actions
    trials_table.py  the sortable, brushable trials table
    coords.py        parallel coordinates with brushable axes (pyqtgraph)
    curves.py        the trials' intermediate validation curves, pruned trials marked
    importance.py    fANOVA parameter importance as bars

The dock (objectName ``search``) sits in the Design workspace with the inspector and in the Train
workspace with the plots. The Search menu: Start / Resume (F7), Pause / Resume (F8), Stop (Shift+F7),
Refine, Apply Best Trial, Ensemble, Evaluate on Test, and the dock itself. A bad search section is one
line in the problems list (owner ``"search"``) on the node its key names; the form marks the key.
Nothing here imports torch or Optuna: the worker and the search's processes do.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction

from ...core.analysis import Problem
from ..document import Document
from ..shell import Shell
from .controller import SearchController

__all__ = ["SearchController", "SearchUI", "install"]

PROBLEMS = "search"


class SearchUI(QObject):
    """The Search dock, the Search menu and the section's problems (``window.search.ui``)."""

    def __init__(self, document: Document, shell: Shell, controller: SearchController) -> None:
        super().__init__(shell)
        from .dock import SearchPanel

        self.document, self.shell, self.controller = document, shell, controller
        self.panel = SearchPanel(document, shell, controller)
        self.panel.setMinimumSize(240, 160)
        self.dock = shell.add_dock("Search", self.panel, Qt.DockWidgetArea.RightDockWidgetArea, "search",
                                   "Ctrl+Shift+F7",
                                   ("design", "train"))
        self.dock.hide()  # until a workspace shows it
        self.actions: dict[str, QAction] = {}
        menu = self.menu = shell.add_menu("&Search")
        menu.addAction(self._act("start", "&Start / Resume Search", self.start, ["F7"],
                                 "Run the study's trials in worker processes (F7); a stopped study resumes"))
        menu.addAction(self._act("pause", "&Pause / Resume Search", controller.toggle_pause, ["F8"],
                                 "Pause every running trial, or let them go on (F8)"))
        menu.addAction(self._act("stop", "S&top Search", controller.stop, ["Shift+F7"],
                                 "Stop the trials now; they run again when the study resumes (Shift+F7)"))
        menu.addSeparator()
        menu.addAction(self._act("refine", "&Refine (Next Stage)", controller.refine, [],
                                 "Narrow the ranges around the best trials, twice the epochs: the next study"))
        menu.addAction(self._act("apply", "&Apply Best Trial to Graph", self.apply_best, [],
                                 "Set the best trial's values, seed and epochs in the graph (one undo step)"))
        menu.addAction(self._act("ensemble", "&Ensemble Top k", self.ensemble, [],
                                 "Average the top k trials on the validation split"))
        menu.addAction(self._act("test", "Evaluate on &Test…", self.evaluate, [],
                                 "Score the best trial on the held-out test split, once"))
        menu.addSeparator()
        show = shell.dock_actions["search"]
        show.setText("Search &Panel")
        menu.addAction(show)
        self.dock.visibilityChanged.connect(controller.set_watching)
        controller.state_changed.connect(self.update_actions)
        controller.rows_changed.connect(self.update_actions)
        document.analysed.connect(self.check_section)
        document.section_changed.connect(self._section_changed)
        document.replaced.connect(self.check_section)
        self.check_section()
        self.update_actions()

    def _act(self, key: str, text: str, slot: Any, keys: list[str], tip: str) -> QAction:
        a = self.actions[key] = self.shell.new_action(f"action_search_{key}", text, slot, keys, tip)
        return a

    # -- actions -------------------------------------------------------------------------------------------
    def show_dock(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def start(self) -> None:
        """F7: the Train workspace, the Search dock in front, and the study starts (or resumes)."""
        if self.controller.start():
            self.shell.switch_workspace("train")
            self.show_dock()
            self.panel.tabs.setCurrentIndex(1)

    def apply_best(self) -> None:
        self.controller.apply_trial(None)

    def ensemble(self) -> None:
        self.controller.ensemble_top(self.panel.k_box.value())

    def evaluate(self) -> None:
        best = self.controller.best()
        if best is not None and best.run:
            self.controller.evaluate_on_test([best.run])
        else:
            self.shell.show_hint("no trial to evaluate: the study has no COMPLETE trial yet")

    def update_actions(self, *_: Any) -> None:
        c = self.controller
        done = sum(r.state == "COMPLETE" for r in c.rows)
        self.actions["start"].setEnabled(not c.active)
        self.actions["pause"].setEnabled(c.state in ("running", "paused"))
        self.actions["stop"].setEnabled(c.state in ("running", "paused"))
        self.actions["refine"].setEnabled(done >= 2 and not c.active)
        self.actions["apply"].setEnabled(done >= 1)
        self.actions["ensemble"].setEnabled(done >= 2)
        self.actions["test"].setEnabled(done >= 1)

    # -- the section's problems ------------------------------------------------------------------------------
    def _section_changed(self, key: str) -> None:
        if key == "search":
            self.check_section()

    def check_section(self, *_: Any) -> None:
        """The search section's first problem in the problems list, on the node its key names."""
        from ...search.space import search_problems

        bad = search_problems(self.document.graph)
        self.document.problems.set_extra(PROBLEMS, [Problem(e.node, str(e), None, "error") for e in bad])


def install(document: Document, shell: Shell) -> SearchController:
    """Build the search feature; the controller becomes ``window.search``."""
    controller = SearchController(document, shell)
    controller.ui = SearchUI(document, shell, controller)
    controller.refresh()
    return controller
