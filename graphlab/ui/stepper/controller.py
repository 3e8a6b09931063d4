"""The stepper controller: the Stepper's life on the editor's worker, and drawing what comes back.

Built from the :class:`~graphlab.ui.document.Document` and the :class:`~graphlab.ui.shell.Shell`.

Threading (the GUI thread never waits for the worker)
----------------------------------------------------
* The Stepper lives in a :class:`~.worker.StepSession` and is touched only by jobs on the shell's
  :class:`~graphlab.ui.worker.Worker`: commands go into the session's inbox in order and one drain
  job carries them out (:mod:`.worker`); results come back as the worker's queued ``progress``
  signal (``built``, ``frame``, ``failed``), the gradient check as its ``done`` signal.
* A graph edit (``structure_changed``, a section of the file; not moves or the name), a change of the
  dock's settings, new weights or another document (``replaced``) starts a new *generation*: the
  Stepper in use is dropped (``stepper`` becomes None), the canvas and the dock are cleared, the dock
  says the walk restarts at the next step, and the worker — which reads ``session.wanted`` — skips
  or abandons anything of the old generation, so a step in flight when the graph changed is never
  shown. The next Step snapshots the graph (a copy: the worker never reads the live document),
  builds a new Stepper on the worker and steps it.
* Before the first job of a walk, unsaved work is written to the recovery file (``shell.protect``):
  stepping runs torch in the editor's process, and a native crash inside torch must not lose what
  the user made.
* ``shutdown()`` stops listening and tells the session to stop at the next step; the window shuts
  the worker down.

F10 and the gradient check switch to the Step workspace. ``stepper`` (the Stepper of the current
walk, for scripts and tests) may be read while ``idle``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication

from ...core.analysis import Analysis, Problem
from ...core.text import error_line
from ...io import from_dict, to_dict
from ..document import Document
from ..shell import Shell
from .actions import fill_menu, make_actions
from .canvas import StepperCanvas
from .commands import SetStepCommand
from .dock import HINT, StepperDock
from .frames import Frame
from .worker import StepSession, drain_job, gradcheck_job

DOCK_SHORTCUT = "Ctrl+8"
STEP, CHECK = "step", "gradcheck"


class StepperController(QObject):
    def __init__(self, document: Document, shell: Shell) -> None:
        super().__init__(shell)
        self.document, self.shell, self.worker = document, shell, shell.worker
        self.panel = StepperDock()
        self.dock = shell.add_dock("Step through", self.panel, Qt.DockWidgetArea.RightDockWidgetArea, "stepper",
                                   DOCK_SHORTCUT, ("step",))
        self.dock.hide()  # until the Step workspace shows it
        self.canvas = StepperCanvas(document.scene)
        self.actions = make_actions(shell.host, {"step": self.step, "step_back": self.step_back,
                                                 "run_to": self.run_to, "step_restart": self.restart,
                                                 "gradcheck": self.gradcheck})
        self.menu = shell.add_menu("&Debug")
        fill_menu(self.menu, self.actions)
        self.panel.add_buttons([self.actions[k] for k in ("step_restart", "step_back", "step", "run_to",
                                                          "gradcheck")])
        self.settings = self.panel.settings
        self.settings.changed.connect(self._settings_changed)
        self.settings.edited.connect(self._store_settings)
        self.settings.load_weights_requested.connect(self.choose_weights)

        self.session = StepSession()
        self.gen = 0
        self.built_gen = -1  # the generation whose Stepper the worker holds
        self.building_gen = -1  # the generation a build was requested for
        self.active = False  # a walk was started in this generation (edits then say so)
        self.position = 0
        self.walk: list[tuple[str, str]] = []
        self.frame: Frame | None = None
        self.check_result: dict[str, Any] | None = None
        self.nonfinite: dict[str, str] | None = None
        self._check_gen = -1
        self._jobs: set[tuple[str, int]] = set()  # (key, generation) of the checks given to the worker, not ended
        self._drains = 0  # drains of the command queue given to the worker whose end has not arrived
        self._described = ""
        self._closed = False
        self.worker.progress.connect(self._on_progress)
        self.worker.done.connect(self._on_done)
        self.worker.failed.connect(self._on_failed_job)
        document.structure_changed.connect(self._edited)
        document.section_changed.connect(self._section_changed)
        document.replaced.connect(self._replaced)
        document.analysed.connect(self._on_analysis)
        document.weights_changed.connect(self._weights_changed)
        shell.selection_changed.connect(self._selection_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._selection_changed([])
        self.panel.set_position("not started")
        self._on_analysis(document.analysis, new_document=True)

    # ---- state -------------------------------------------------------------------------------------------
    @property
    def idle(self) -> bool:
        """Every job the stepper gave the worker has ended and its results have been drawn here (its end
        arrives after its results: one sender, one queue), and the dock has drawn the last step (tests
        wait for this)."""
        drawing = self.panel.has_node_view() and self.panel.node_view.busy
        return not self._jobs and not self._drains and not drawing

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def stepper(self) -> Any:
        """The Stepper of the current walk (None before the first step and after an edit)."""
        return self.session.stepper if self.built_gen == self.gen else None

    # ---- the document ---------------------------------------------------------------------------------------
    def _on_analysis(self, a: Analysis, new_document: bool = False) -> None:
        doc = self.document.graph
        self.settings.set_graph_info([(n, a.nodes[n].shape if n in a.nodes else None) for n in a.inputs],
                                     "dataset" in (doc.training or {}), new_document=new_document, step=doc.step)

    def _replaced(self) -> None:
        if not self._closed:
            self._invalidate("")
            self._on_analysis(self.document.analysis, new_document=True)

    def _edited(self, *args: Any) -> None:
        self._invalidate("The graph changed: the walk restarts at the next step.")

    def _section_changed(self, key: str) -> None:
        if key == "step":  # the dock's settings, stored in the file (an edit there, or its undo)
            self._settings_changed()
        else:
            self._edited()

    def _settings_changed(self) -> None:
        self._invalidate("Settings changed: the walk restarts at the next step.")

    def _store_settings(self, key: str, section: dict[str, Any]) -> None:
        """A change in the dock's settings: one undo step that stores them in the file's step section."""
        self.document.undo_stack.push(SetStepCommand(self.document.graph, section, key))

    def _invalidate(self, reason: str) -> None:
        """A new generation: whatever the worker holds or computes for the old one is dropped."""
        was_active = self.active
        self.gen += 1
        self.session.wanted = self.gen
        self.worker.cancel(CHECK)
        self._jobs = {j for j in self._jobs if j[0] != CHECK}  # its result will not come
        self.built_gen = self.building_gen = -1
        self.active = False
        self.position = 0
        self.walk = []
        self.frame = None
        self.nonfinite = None
        self.canvas.clear()
        self.canvas.clear_check()
        self.document.problems.set_extra("stepper", [])
        self.document.problems.set_extra("gradcheck", [])
        if self.panel.has_node_view():
            self.panel.node_view.show_node(None)
        if was_active and reason:
            self.panel.set_message(reason)
            self.panel.set_position("stopped: the walk restarts at the next step")
        elif not reason:
            self.panel.set_message(HINT)
            self.panel.set_position("not started")
        self._selection_changed(self.shell.selected_nodes())

    # ---- requests -------------------------------------------------------------------------------------------
    def _base_dir(self) -> str | None:
        path = self.document.path
        return str(Path(path).parent) if path else None

    def _post(self, command: tuple[Any, ...]) -> None:
        if self.session.post(command):  # no drain is queued or running: start one
            gen = self.worker.submit(STEP, drain_job, self.session, needs_torch=True, supersede=False)
            if gen >= 0:
                self._drains += 1

    def _submit(self, key: str, fn: Any, *args: Any) -> int:
        gen = self.worker.submit(key, fn, *args, needs_torch=True)
        if gen >= 0:
            self._jobs = {j for j in self._jobs if j[0] != key}  # an older job of the key is dropped
            self._jobs.add((key, gen))
        return gen

    def _options(self) -> Any:
        opts = self.settings.options(self._base_dir())
        if opts is None:
            self.panel.set_message(self.settings.error_text() or "fix the typed inputs first", error=True)
        return opts

    def _ensure_built(self) -> bool:
        if self._closed:
            return False
        if self.gen in (self.built_gen, self.building_gen):
            return True
        opts = self._options()
        if opts is None:
            return False
        snapshot = from_dict(to_dict(self.document.graph))
        self.shell.protect()
        self.building_gen = self.gen
        self.active = True
        self.panel.set_message("Preparing the stepper: compiling the graph and loading its inputs…")
        self._post(("build", self.gen, snapshot, opts))
        self._described = opts.describe()
        return True

    def _request(self, op: str, arg: Any = None) -> None:
        self.shell.switch_workspace("step")
        if not self._ensure_built():
            return
        if self.check_result is not None:  # the check's badges would hide the values being stepped
            self.canvas.clear_check()
        if self.panel.has_node_view():  # the stepped node's tab shows again
            self.panel.node_view.release_check()
        self._post(("command", self.gen, op, arg))

    # ---- actions -------------------------------------------------------------------------------------------
    def step(self, checked: bool = False) -> None:
        self._request("step")

    def step_back(self, checked: bool = False) -> None:
        if self.built_gen != self.gen and self.building_gen != self.gen:
            self.shell.show_hint("Nothing to step back: the walk has not started")
            return
        self._request("back")

    def run_to(self, checked: bool = False) -> None:
        ids = self.shell.selected_nodes()
        self._request("run_to", ids[0] if ids else None)

    def restart(self, checked: bool = False) -> None:
        if self.panel.has_node_view():
            self.panel.node_view.release_check()
        if self.gen == self.built_gen:
            self.canvas.clear_check()
            self._post(("command", self.gen, "reset", None))
        else:
            self._invalidate("")
            self._ensure_built()

    def gradcheck(self, checked: bool = False) -> None:
        if self._closed:
            return
        opts = self._options()
        if opts is None:
            return
        self.shell.switch_workspace("step")
        snapshot = from_dict(to_dict(self.document.graph))
        self.shell.protect()
        self.active = True
        self.canvas.clear_check()
        self.document.problems.set_extra("gradcheck", [])
        view = self.panel.node_view
        view.check.set_running("Checking gradients (float64, centred differences)…")
        view.show_check_tab()
        self._raise_dock()
        self._check_gen = self._submit(CHECK, gradcheck_job, snapshot, opts)

    def choose_weights(self) -> None:
        path = self.document.path
        folder = str(Path(path).parent) if path else str(Path.cwd())
        chosen = self.shell.prompts.weights_path(folder)
        if chosen:
            self.set_weights(chosen)

    def _weights_changed(self, path: Path | None) -> None:
        """The document's weights (a run's checkpoint, from the Runs dock): the stepper steps with them,
        stored in the file's step section. None comes with another document, whose own section says."""
        if path is not None:
            self.set_weights(path)

    def set_weights(self, path: str | Path | None) -> None:
        """Step with these weights (a checkpoint file or a run folder; None: the initialisation).
        The walk restarts at the next step."""
        self.settings.set_weights_path(str(path) if path else None)

    # ---- results (queued from the worker) --------------------------------------------------------------------
    def _on_progress(self, key: str, _job_gen: int, value: Any) -> None:
        if self._closed:
            return
        if key == CHECK:
            if _job_gen == self._check_gen:
                self.panel.node_view.check.set_running(value + " …")
            return
        if key != STEP:
            return
        kind, gen = value[0], value[1]
        if gen != self.gen:
            return
        if kind == "built":
            self._on_built(value[2])
        elif kind == "frame":
            self._on_frame(value[2])
        elif kind == "failed":
            self._on_failed(value[2], value[3])

    def _on_built(self, info: dict[str, Any]) -> None:
        self.built_gen = self.gen
        self.walk = info["walk"]
        self.canvas.clear()
        notes = "; ".join(info["notes"]) or self._described
        self.panel.set_message(f"{len(info['order'])} nodes, {len(self.walk)} steps · {notes}",
                               error=bool(info["warnings"]))
        self._raise_dock()
        self._selection_changed(self.shell.selected_nodes())

    def _on_frame(self, frame: Frame) -> None:
        self.frame = frame
        self.position = frame.position
        self.canvas.apply(frame)
        self.panel.show_frame(frame)
        if frame.message:
            self.shell.show_hint(frame.message)
        if frame.nonfinite != self.nonfinite:
            self._show_nonfinite(frame.nonfinite)
        elif frame.nonfinite and self.canvas.nan_node is None:
            self._show_nonfinite(frame.nonfinite)
        if frame.cursor is not None and not frame.stopped_at_nonfinite:
            self.shell.keep_in_view(frame.cursor)
        self._selection_changed(self.shell.selected_nodes())

    def _show_nonfinite(self, fn: dict[str, str] | None) -> None:
        self.nonfinite = fn
        if fn is None:
            self.document.problems.set_extra("stepper", [])
            return
        text = self.canvas.mark_nonfinite(fn)
        self.document.problems.set_extra("stepper", [Problem(fn["node"], text)])
        self.shell.select_nodes([fn["node"]])
        self.shell.keep_in_view(fn["node"])
        self.panel.set_message(f"NaN tracer: {fn['node']}: {text}", error=True)
        self.shell.raise_dock("problemsDock")

    def _on_failed(self, message: str, node: Any) -> None:
        if self.building_gen == self.gen and self.built_gen != self.gen:
            self.building_gen = -1  # the next Step tries again (e.g. after other weights are chosen)
            self.active = False
        self.panel.set_message(message, error=True)
        self.shell.show_hint(message)
        if node:
            self.shell.select_nodes([node])

    def _on_failed_job(self, key: str, gen: int, exc: Any) -> None:
        self._jobs.discard((key, gen))
        if key == STEP:
            self._drains = max(0, self._drains - 1)
        if key != CHECK or gen != self._check_gen or self._closed:
            return
        from graphlab.step import StepError

        text = error_line(exc, None) if isinstance(exc, StepError) else error_line(exc, None, with_type=True)
        self.panel.node_view.check.set_running("")
        self._on_failed("gradient check: " + text, getattr(exc, "node", None))

    def _on_done(self, key: str, gen: int, result: Any) -> None:
        self._jobs.discard((key, gen))
        if key == STEP:
            self._drains = max(0, self._drains - 1)
        if key != CHECK or gen != self._check_gen or self._closed or result is None:
            return
        self.check_result = result
        self.canvas.show_check(result["nodes"])
        view = self.panel.node_view
        view.check.set_result(result)
        view.show_check_tab()
        bad = []
        for nid, r in result["nodes"].items():
            if r is None:
                continue
            if r.get("failed") or r.get("max_rel_error") is None:
                err = r.get("max_rel_error")
                bad.append(Problem(nid, f"gradient check fails: relative error "
                                        f"{'not finite' if err is None else f'{err:.2g}'} ({r.get('reading', '')})"))
        self.document.problems.set_extra("gradcheck", bad)
        summary = view.check.summary.text().split(" — ")[0]
        self.panel.set_message(summary, error=bool(bad))
        self.shell.show_hint(summary)

    # ---- the canvas and the dock ---------------------------------------------------------------------------
    def _raise_dock(self) -> None:
        if not self.dock.isVisible() or self.shell.host.tabifiedDockWidgets(self.dock):
            self.dock.show()
            self.dock.raise_()

    def _selection_changed(self, ids: list[str]) -> None:
        a = self.actions["run_to"]
        if not ids:
            a.setToolTip("Run to the end of the walk, or to the first NaN/inf (select a node to run to it) "
                         "(Ctrl+F10)")
            return
        nid = ids[0]
        phase = "forward"
        if self.walk and (nid, "forward") in self.walk and self.position - 1 >= self.walk.index((nid, "forward")):
            phase = "backward"
        a.setToolTip(f"Run to {nid}: its {phase} step (Ctrl+F10)")

    def shutdown(self) -> None:
        """Stop: no more listening to the document; the session stops at its next step."""
        if self._closed:
            return
        self._closed = True
        d = self.document
        for sig, slot in ((d.structure_changed, self._edited), (d.section_changed, self._section_changed),
                          (d.replaced, self._replaced), (d.analysed, self._on_analysis),
                          (d.weights_changed, self._weights_changed)):
            sig.disconnect(slot)
        self.session.closing = True
        self.session.wanted = -1
        self.worker.cancel(CHECK)
        self._jobs.clear()
        self._drains = 0
