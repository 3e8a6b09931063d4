"""Before a run: what Train would refuse, in the problems list, on the canvas and on the Train button.

:func:`graphlab.run.signature.training_problems` — an invalid training section, no loss, not one
Input, a dataset that cannot be read, an Input shape or a loss that does not fit the dataset — is
run by itself when a file opens and after every edit of the graph or its settings, so a mismatch
shows on its node before anyone presses Train. The built-in datasets are checked from their settings
alone, at once (no torch, microseconds); a dataset of the user's own files is read on the editor's
worker (key ``"fit"``), :data:`DEBOUNCE_MS` after the last edit, so nothing waits on the GUI thread.

Problems are listed under the owner ``"training-check"`` (once each: the document's
:class:`~graphlab.ui.problem_sink.ProblemSink` drops a line another owner already lists) and the
node to fix is outlined on the canvas with the reason as a ⚠ mark (overlay owner
``"training-check"``). ``pending`` is True while a check for the current state of the document is
queued or running: Train (F5) then waits for its answer (``when_checked``) instead of starting a
run that would fail seconds later. A graph without a training section is not checked.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ...core.analysis import Problem
from ...io import dumps
from ..document import Document
from ..shell import Shell

DEBOUNCE_MS = 300
OWNER = "training-check"
CHECK_OUTLINE = "#d0302f"
KEY = "fit"


def check_job(ctx: Any, graph_text: str, base_dir: str | None) -> list[Any]:
    """On the worker: the training problems of the graph in ``graph_text`` (plain data)."""
    from ...core import analyze
    from ...io import loads
    from ...run.signature import training_problems

    g = loads(graph_text)
    return training_problems(g, analyze(g), base_dir)


class FitCheck(QObject):
    #: the result changed (a check came back, or the document moved on)
    changed = Signal()

    def __init__(self, document: Document, shell: Shell) -> None:
        super().__init__(shell)
        self.document, self.shell, self.worker = document, shell, shell.worker
        self.problems_found: list[Problem] = []
        self._result_rev: Any = None  # the document state the problems are about
        self._sent_rev: Any = None
        self._gen = -1  # the worker generation of the check in flight
        self._gen_key: Any = None  # the document state it checks
        self._waiting: list[Callable[[], None]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._send)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed)
        document.replaced.connect(self._replaced)
        document.analysed.connect(self._edited)
        document.training_changed.connect(self._edited)
        self._replaced()

    # -- when to check ------------------------------------------------------------------------------
    def state_key(self) -> tuple[Any, ...]:
        d = self.document
        return id(d.graph), d.graph.revision, d.path

    def _replaced(self) -> None:
        self.problems_found = []
        self._result_rev = self._sent_rev = None
        self._publish()
        self._edited()

    def _edited(self, *_: Any) -> None:
        if self.state_key() == self._result_rev:
            return
        if self._quick():  # no file to read: answered at once (microseconds)
            self._timer.stop()
            self._send()
        else:
            self.schedule()

    def schedule(self, delay: int = DEBOUNCE_MS) -> None:
        self._timer.start(delay)
        self.changed.emit()

    def check_now(self) -> None:
        self.schedule(0)

    @property
    def pending(self) -> bool:
        """A check for the current state of the document is queued or running."""
        return self._timer.isActive() or self._result_rev != self.state_key()

    def when_checked(self, then: Callable[[], None]) -> None:
        """Call ``then`` once the check of the current state has answered (at once when it can be: the
        built-in datasets are checked on the spot)."""
        if self.pending and self._quick():
            self._timer.stop()
            self._send()
        if not self.pending:
            then()
            return
        self._waiting.append(then)
        if not self._timer.isActive() and self._sent_rev != self.state_key():
            self.schedule(0)

    def _quick(self) -> bool:
        """The check needs no file: no training section, graph errors, or a built-in dataset."""
        d = self.document
        if not d.graph.training or not d.flush().ok:
            return True
        from ...run.config import ConfigError, parse_training
        from ...run.signature import built_in_signature

        try:
            return built_in_signature(parse_training(d.graph.training)) is not None
        except ConfigError:
            return True

    def _send(self) -> None:
        key = self.state_key()
        d = self.document
        if self._quick():  # answered here and now: microseconds, no file to read
            from ...run.signature import training_problems

            found = training_problems(d.graph, d.analysis, d.base_dir(), read_files=False)
            self._answer(key, [Problem(t.node, t.message, t.field, "error") for t in found])
            return
        if key == self._sent_rev and self.worker.pending(KEY):
            return
        self._sent_rev = key
        self._gen = self.worker.submit(KEY, check_job, dumps(d.graph), str(d.base_dir()))
        self._gen_key = key

    def _on_done(self, key: str, gen: int, result: Any) -> None:
        if key == KEY and gen == self._gen:
            self._answer(self._gen_key, [Problem(t.node, t.message, t.field, "error") for t in result])

    def _on_failed(self, key: str, gen: int, exc: Any) -> None:
        if key == KEY and gen == self._gen:
            from ...core.text import error_line

            self._answer(self._gen_key, [Problem(None, f"the fit check failed: {error_line(exc, with_type=True)}",
                                                 "training", "error")])

    def _answer(self, key: Any, problems: list[Problem]) -> None:
        if key != self.state_key():
            self.schedule()  # the document moved on meanwhile: check its newest state
            return
        self._result_rev, self.problems_found = key, problems
        self._publish()
        self.changed.emit()
        waiting, self._waiting = self._waiting, []
        for then in waiting:
            then()

    # -- what it says -------------------------------------------------------------------------------
    def blocking_reason(self) -> str | None:
        if self._result_rev != self.state_key() or not self.problems_found:
            return None
        return self.problems_found[0].text()

    def problems(self) -> list[Problem]:
        return list(self.problems_found) if self._result_rev == self.state_key() else []

    def _publish(self) -> None:
        problems = self.problems_found
        self.document.problems.set_extra(OWNER, problems)
        ov = self.document.overlay  # the node to fix, outlined on the canvas with the reason
        ov.clear(OWNER)
        for p in problems:
            if p.node:
                ov.set_node(p.node, OWNER, highlight=CHECK_OUTLINE, marks=[p.message])

    def shutdown(self) -> None:
        self._timer.stop()
        self._waiting = []
