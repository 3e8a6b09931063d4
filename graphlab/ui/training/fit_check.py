"""Before a run: the training section's errors and the fit check, in the problems list and on Train.

Two sources, both listed under the problems list's owner ``"training-check"`` (and on the canvas:
the node to fix outlined, the reason as a ⚠ mark; overlay owner ``"training-check"``):

* the section itself, parsed on every analysis update (torch-free, immediate): ``graph.training.
  optimizer.lr: must be > 0, got -1``;
* the fit check (:func:`graphlab.run.trainer.preflight`: the Input's shape against the dataset's
  samples, the loss against the task, a dataset file that is not there, a device that is not
  there), run off the GUI thread by :class:`.preflight.Preflight`, debounced (:data:`DEBOUNCE_MS`
  after the last edit). Its error sits on the node it names (``x.shape: Input shape 2 does not fit
  dataset digits …``). It runs only once the user works on training (``arm()``: an edit of the
  settings, the dataset preview, the Run menu, a run), so opening a file never imports torch.

Graph errors are the analysis' own (listed already); while there are any, the fit check waits.
``blocking_reason()`` is what disables Train (its tooltip); ``error`` the latest fit-check Error for
the current state of the document (None: fits, or not checked yet — ``pending`` tells which).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from ...core.analysis import Problem
from ...io import dumps
from ...run import events as ev
from ...run.config import ConfigError, parse_training
from .preflight import Preflight

if TYPE_CHECKING:
    from ..main_window import MainWindow
    from .controller import TrainingController

DEBOUNCE_MS = 400
OWNER = "training-check"
CHECK_OUTLINE = "#d0302f"


class FitCheck(QObject):
    #: the result changed (a check came back, or the document moved on)
    changed = Signal()

    def __init__(self, window: MainWindow, controller: TrainingController) -> None:
        super().__init__(window)
        self.window, self.controller = window, controller
        self.preflight = Preflight(self)
        self.preflight.checked.connect(self._on_checked)
        self.armed = False
        self.error: ev.Error | None = None
        self.config_error: ConfigError | None = None
        self._result_key: Any = None
        self._sent_key: Any = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._send)

    # -- when to check ------------------------------------------------------------------------------
    def arm(self) -> None:
        """The user works on training: check now and after every edit from here on."""
        if not self.armed:
            self.armed = True
            self.preflight.detect_devices()
            self.schedule(0)

    def schedule(self, delay: int = DEBOUNCE_MS) -> None:
        if self.armed:
            self._timer.start(delay)

    def document_edited(self) -> None:
        """The analysis ran again: re-parse the section now, re-check the fit after the debounce."""
        try:
            parse_training(self.window.document.training)
            self.config_error = None
        except ConfigError as e:
            self.config_error = e
        self._publish()
        self.schedule()
        self.changed.emit()

    def key(self) -> tuple[Any, ...]:
        d = self.window.document
        return id(d), d.revision, self.controller.device, self.window.files.path

    @property
    def pending(self) -> bool:
        """A check for the current document is queued or running."""
        return self.armed and (self._timer.isActive() or self._result_key != self.key())

    def _send(self) -> None:
        a = self.window.live.analysis
        if (a is not None and a.errors) or self.config_error is not None:
            self._result_key, self.error = self.key(), None  # the analysis / the parser say it already
            self._publish()
            self.changed.emit()
            return
        key = self.key()
        if key == self._sent_key:
            return
        self._sent_key = key
        self.preflight.check(key, dumps(self.window.document), str(self.controller.base_dir()), self.controller.device)

    def _on_checked(self, key: Any, error: ev.Error | None) -> None:
        if key != self.key():
            return  # the document moved on; a newer check is on its way
        self._result_key, self.error = key, error
        self._publish()
        self.changed.emit()

    # -- what it says -------------------------------------------------------------------------------
    def current_error(self) -> ev.Error | None:
        return self.error if self._result_key == self.key() and self.error is not None else None

    def blocking_reason(self) -> str | None:
        if self.config_error is not None:
            return str(self.config_error)
        e = self.current_error()
        if e is None:
            return None
        return f"{e.node}: {e.message}" if e.node else e.message

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        if self.config_error is not None:
            msg = str(self.config_error).split(": ", 1)[-1]
            out.append(Problem(None, msg, self.config_error.field, "error"))
        e = self.current_error()
        a = self.window.live.analysis
        if e is not None and not (e.kind == "graph" and a is not None and a.errors):
            # a graph that is fine but cannot be trained (no loss, several Input nodes) is still a graph to
            # design and step through: a warning here; Train itself refuses it (blocking_reason)
            out.append(Problem(e.node, e.message, e.field, "warning" if e.kind == "graph" else "error"))
        return out

    def _publish(self) -> None:
        problems = self.problems()
        self.window.problems.set_extra(OWNER, problems)
        ov = self.window.scene.overlay  # the node to fix, outlined on the canvas with the reason
        ov.clear(OWNER)
        for p in problems:
            if p.node:
                ov.set_node(p.node, OWNER, highlight=CHECK_OUTLINE, marks=[p.message])

    def shutdown(self) -> None:
        self._timer.stop()
        self.preflight.shutdown()
