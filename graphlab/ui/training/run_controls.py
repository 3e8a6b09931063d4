"""The Run menu, the Run toolbar and the run's progress in the status bar.

Actions (objectNames for tests and scripts): ``action_train`` (F5), ``action_pause`` (F6: Pause, or
Resume while paused), ``action_stop`` (Shift+F5), ``action_overfit`` (the overfit-a-small-batch
check) and ``action_check_fit`` (run the fit check now). Train is disabled while the graph has
errors, its training section does not parse, or the fit check found a problem — the reason is its
tooltip (and the status tip). The device picker (``device_picker``) lists the devices torch sees —
cpu, and cuda or mps when present — found on the editor's worker when the Run menu or the picker is
first opened, so opening the editor imports no torch; its choice overrides the file's
``training.device`` for the runs started from this window (it is not saved in the file). While a
run goes the picker shows the device the run uses (disabled).

Status bar while a run goes: ``epoch 3/15 · step 1,200/5,000 · 14,500 samples/s · ETA 0:12`` and a
progress bar; after the run, its outcome.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QStyle

from ...run import events as ev

from ..document import Document
from ..shell import Shell
from .preflight import devices_job

if TYPE_CHECKING:
    from .controller import TrainingController
    from .fit_check import FitCheck

PROGRESS_HZ = 1
TRAIN_TIP = "Train the graph as it is now, in a separate process (F5); you can keep editing meanwhile"


def clock(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class _DeviceBox(QComboBox):
    """The device picker: asks for the devices torch sees the first time it is opened."""

    def __init__(self, controls: RunControls) -> None:
        super().__init__()
        self._controls = controls

    def showPopup(self) -> None:
        self._controls.find_devices()
        super().showPopup()


class RunControls(QObject):
    def __init__(self, document: Document, shell: Shell, controller: TrainingController, fit: FitCheck) -> None:
        super().__init__(shell)
        self.document, self.shell, self.controller, self.fit = document, shell, controller, fit
        self.actions: dict[str, QAction] = {}
        self._build_menu(controller)
        self._build_device_picker()
        shell.worker.done.connect(self._worker_done)
        self._build_toolbar(shell)
        self._build_progress(shell)
        self._last_step: ev.Step | None = None
        self._shown_at = 0.0
        self._rate: tuple[float, int] | None = None
        self._connect(document, shell, controller, fit)

    def _build_menu(self, controller: TrainingController) -> None:
        """The Run menu: Train, Pause, Stop, the checks, and the Device submenu."""
        self.menu = self.shell.add_menu("&Run")
        self.menu.aboutToShow.connect(self.find_devices)
        m = self.menu
        m.addAction(self._act("train", "&Train", self.train, ["F5"], TRAIN_TIP))
        m.addAction(self._act("pause", "&Pause", controller.toggle_pause, ["F6"], "Pause or resume the run (F6)"))
        m.addAction(self._act("stop", "&Stop", controller.stop, ["Shift+F5"],
                              "Stop the run after the current step; a checkpoint is saved (Shift+F5)"))
        m.addSeparator()
        m.addAction(self._act("overfit", "&Overfit a Small Batch", self.overfit, [],
                              "The course's first sanity check: can the net memorise 20 training samples with "
                              "regularization off?"))
        m.addAction(self._act("check_fit", "&Check the Fit Now", self.check_fit, [],
                              "Check that the dataset fits the graph (input shape, loss, task) before training"))
        m.addSeparator()
        self.device_menu = m.addMenu("&Device")

    def _build_device_picker(self) -> None:
        """The device picker (cpu until the worker has found what torch sees)."""
        self.device = _DeviceBox(self)
        self.device.setObjectName("device_picker")
        self.device.setToolTip("where the runs started here train (cpu; cuda or mps when torch sees them)")
        self.device.currentIndexChanged.connect(self._device_changed)
        self._devices: list[str] = ["cpu"]
        self.devices: list[str] | None = None  # found by the worker (None: not asked yet)
        self._devices_gen = -1
        self._fill_devices()

    def _build_toolbar(self, shell: Shell) -> None:
        """The toolbar sits in the menu bar's right corner: a row of its own would take ~30 px from the canvas."""
        tb = shell.run_toolbar
        style = shell.host.style()
        for key, icon in (("train", QStyle.StandardPixmap.SP_MediaPlay), ("pause", QStyle.StandardPixmap.SP_MediaPause),
                          ("stop", QStyle.StandardPixmap.SP_MediaStop)):
            self.actions[key].setIcon(style.standardIcon(icon))
            tb.addAction(self.actions[key])
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.setIconSize(QSize(14, 14))
        tb.addWidget(QLabel(" device "))
        tb.addWidget(self.device)
        tb.setStyleSheet("QToolBar { border: 0px; padding: 0px; spacing: 2px; }")

    def _build_progress(self, shell: Shell) -> None:
        """The run's progress in the status bar: a line of text and a bar."""
        self.progress_text = QLabel("")
        self.progress_text.setObjectName("run_progress_text")
        self.progress = QProgressBar()
        self.progress.setObjectName("run_progress")
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(160)
        self.progress.setMaximumHeight(14)  # the status bar keeps its height
        self.progress.setTextVisible(False)
        self.progress.hide()
        sb = shell.status_bar()
        sb.addPermanentWidget(self.progress_text)
        sb.addPermanentWidget(self.progress)

    def _connect(self, document: Document, shell: Shell, controller: TrainingController, fit: FitCheck) -> None:
        controller.state_changed.connect(self.update_actions)
        controller.launched.connect(self._starting)
        controller.event_batch.connect(self._events)
        controller.refreshed.connect(self.update_progress)
        controller.finished.connect(self._finished)
        controller.message.connect(shell.show_hint)
        controller.reset.connect(self._reset)
        fit.changed.connect(self.update_actions)
        document.replaced.connect(self.document_opened)

    def _act(self, key: str, text: str, slot: Any, keys: list[str], tip: str) -> QAction:
        a = self.actions[key] = self.shell.new_action(f"action_{key}", text, slot, keys, tip)
        return a

    # -- actions --------------------------------------------------------------------------------------------
    def train(self) -> None:
        self.find_devices()
        self.controller.start()

    def overfit(self) -> None:
        self.controller.overfit_check()

    def check_fit(self) -> None:
        self.fit.check_now()
        self.shell.show_hint("checking that the dataset fits the graph…")

    def update_actions(self, *_: Any) -> None:
        c = self.controller
        reason = c.blocker() if not c.active else None
        can = not c.active and reason is None
        for key in ("train", "overfit"):
            a = self.actions[key]
            a.setEnabled(can)
        tip = TRAIN_TIP if reason is None else f"Cannot train: {reason}"
        self.actions["train"].setToolTip(tip)
        self.actions["train"].setStatusTip(tip)
        self.actions["pause"].setEnabled(c.active)
        self.actions["pause"].setText("&Resume" if c.state == "paused" else "&Pause")
        self.actions["stop"].setEnabled(c.active)
        self.device.setEnabled(not c.active)
        if c.active and c.config is not None:  # the device this run uses, never a blank box
            i = self.device.findData(c.device or c.config.device)
            if i >= 0 and i != self.device.currentIndex():
                self.device.blockSignals(True)
                self.device.setCurrentIndex(i)
                self.device.blockSignals(False)

    # -- devices -------------------------------------------------------------------------------------------
    def find_devices(self) -> None:
        """Ask the worker which devices torch sees (once)."""
        if self.devices is None and self._devices_gen < 0:
            self._devices_gen = self.shell.worker.submit("devices", devices_job, needs_torch=True)

    def _worker_done(self, key: str, gen: int, result: Any) -> None:
        if key == "devices" and gen == self._devices_gen:
            self.devices_found(result)

    def devices_found(self, found: list[str]) -> None:
        self.devices = list(found)
        self._devices = list(found)
        self._fill_devices()

    def _fill_devices(self) -> None:
        want = self.controller.device or self._file_device()
        self.device.blockSignals(True)
        self.device.clear()
        self.device_menu.clear()
        for d in ["auto", *self._devices]:
            self.device.addItem(d, d)
            a = self.device_menu.addAction(d)
            a.setCheckable(True)
            a.setObjectName(f"action_device_{d}")
            a.triggered.connect(self._device_action)
        i = self.device.findData(want)
        self.device.setCurrentIndex(i if i >= 0 else 0)
        self.device.blockSignals(False)
        self._device_changed(self.device.currentIndex())

    def _file_device(self) -> str:
        t = self.document.graph.training
        d = t.get("device") if isinstance(t, dict) else None
        return d if isinstance(d, str) else "auto"

    def document_opened(self) -> None:
        self.controller.device = None
        self._fill_devices()

    def _reset(self) -> None:
        self.progress.hide()
        self.progress_text.setText("")
        self.progress_text.setToolTip("")
        self._last_step, self._rate = None, None
        self.update_actions()

    def _device_action(self) -> None:
        a = self.sender()
        if isinstance(a, QAction):
            i = self.device.findData(a.text())
            if i >= 0:
                self.device.setCurrentIndex(i)

    def _device_changed(self, index: int) -> None:
        d = self.device.itemData(index)
        self.controller.set_device(d if isinstance(d, str) else None)
        for a in self.device_menu.actions():
            a.setChecked(a.text() == d)

    # -- progress -------------------------------------------------------------------------------------------
    def _starting(self) -> None:
        proc = self.controller.proc
        warm = proc is not None and proc.warm
        self.progress_text.setText("the warm training process takes the run…" if warm else
                                   "starting the training process…")
        self.progress_text.setToolTip("")

    def _events(self, events: list[Any]) -> None:
        for e in events:
            if type(e) is ev.Preparing:
                self.progress_text.setText(f"{e.what}…")
            elif type(e) is ev.Step:
                self._last_step = e
            elif type(e) is ev.RunStarted:
                self._last_step, self._rate = None, None
                self.progress.setValue(0)
                self.progress.show()
                self.progress_text.setText(f"starting {e.dataset} · {e.n_train:,} samples…")
                self.progress_text.setToolTip(ev.predicted_text(e))  # FLOPs a step, the least time they take

    def update_progress(self) -> None:
        c = self.controller
        s = c.run_history.started
        e = self._last_step
        if s is None or e is None or not c.active:
            return
        now = time.monotonic()
        if now - self._shown_at < 1.0 / PROGRESS_HZ:
            return  # a status line re-lays out the status bar: twice a second is enough to read it
        self._shown_at = now
        spe = max(s.steps_per_epoch, 1)
        total = max(s.epochs * spe, 1)
        done = e.step
        if self._rate is None:
            self._rate = (now, done)
        t0, s0 = self._rate
        per_s = (done - s0) / (now - t0) if now - t0 > 0.5 and done > s0 else None
        batch = s.n_train / spe if s.overfit is None else s.overfit
        parts = [f"epoch {e.epoch}/{s.epochs}", f"step {done:,}/{total:,}"]
        if per_s:
            parts.append(f"{per_s * batch:,.0f} samples/s")
            parts.append(f"ETA {clock((total - done) / per_s)}")
        if c.state == "paused":
            parts.append("paused")
        self.progress_text.setText(" · ".join(parts))
        value = int(1000 * min(1.0, done / total))
        if value != self.progress.value():
            self.progress.setValue(value)

    def _finished(self, fin: ev.Finished) -> None:
        self.progress.hide()
        figures = ev.final_figures(fin.final or {})
        compute = ev.compute_figures(fin.final or {})
        self.progress_text.setText(f"run {fin.reason}" + (f": {figures}" if figures else "")
                                   + (f" · {compute}" if compute else ""))
        self.progress_text.setToolTip(f"The final figures are {ev.FINAL_NOTE}." if figures else "")
        self.update_actions()
