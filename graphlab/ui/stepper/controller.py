"""The stepper controller: owns the worker thread and the Stepper's life, and draws what comes back.

Threading (the GUI thread never waits for the worker)
----------------------------------------------------
* :class:`~.worker.StepWorker` lives on a QThread started at the first request. Requests go to it
  through queued signals (``_build``, ``_command``, ``_check``); results come back the same way
  (``built``, ``frame``, ``failed``, ``checked``, ``progress``, ``finished``). Each request carries
  the *generation* it was made for and a serial number; ``finished(serial)`` tells the controller
  the request is done (``idle`` is True when none is outstanding).
* A graph edit (nodes, edges, parameters, the training section; not moves or the name), a change
  of the dock's settings or another document starts a new generation: the Stepper in use is
  dropped (``window.stepper`` becomes None), the canvas and the dock are cleared, the dock says
  the walk restarts at the next step, and the worker — which reads ``wanted`` directly — skips or
  abandons anything of the old generation, so a step in flight when the graph changed is never
  shown. The next Step snapshots the graph (a copy: the worker never reads the live document),
  builds a new Stepper on the worker and steps it.
* ``shutdown()`` (called by the window's closeEvent, and on application quit) stops listening to
  the document, tells the worker to stop at the next step, quits the thread and waits for it.

The Stepper object is handed to the GUI thread only as ``window.stepper`` (for scripts and tests,
which may read its records while the controller is idle); the controller itself reads nothing but
the plain-data :class:`~.frames.Frame` s.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QApplication

from ...core.analysis import Analysis, Problem
from ...core.graph import Graph
from ...io import from_dict, to_dict
from ..torch_import import ensure_torch
from .actions import fill_menu, make_actions
from .canvas import StepperCanvas
from .commands import SetStepCommand
from .dock import HINT, StepperDock
from .frames import Frame
from .worker import StepWorker

DOCK_SHORTCUT = "Ctrl+8"


class StepperController(QObject):
    _build = Signal(int, int, object, object)  # serial, generation, graph snapshot, StepOptions
    _command = Signal(int, int, str, object)  # serial, generation, op, argument
    _check = Signal(int, int, object, object)  # serial, generation, graph snapshot, StepOptions

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.panel = StepperDock()
        self.dock = window.add_dock("Step through", self.panel, Qt.DockWidgetArea.RightDockWidgetArea, "stepper",
                                    DOCK_SHORTCUT)
        window.tabifyDockWidget(window.inspector_dock, self.dock)
        window.inspector_dock.raise_()
        self.canvas = StepperCanvas(window.scene)
        self.actions = make_actions(window, {"step": self.step, "step_back": self.step_back, "run_to": self.run_to,
                                             "step_restart": self.restart, "gradcheck": self.gradcheck})
        self.menu = window.add_menu("&Debug")
        fill_menu(self.menu, self.actions)
        self.panel.add_buttons([self.actions[k] for k in ("step_restart", "step_back", "step", "run_to",
                                                          "gradcheck")])
        self.settings = self.panel.settings
        self.settings.changed.connect(self._settings_changed)
        self.settings.edited.connect(self._store_settings)
        self.settings.load_weights_requested.connect(self.choose_weights)

        self.gen = 0
        self.built_gen = -1  # the generation whose Stepper the worker holds
        self.building_gen = -1  # the generation a build was requested for
        self.active = False  # a walk was started in this generation (edits then say so)
        self.position = 0
        self.walk: list[tuple[str, str]] = []
        self.frame: Frame | None = None
        self.check_result: dict[str, Any] | None = None
        self.nonfinite: dict[str, str] | None = None
        self._serial = 0
        self._described = ""
        self._pending: set[int] = set()
        self._thread: QThread | None = None
        self._worker: StepWorker | None = None
        self._closed = False
        self._graph: Graph | None = None
        window.stepper = None
        self._follow(window.document)
        window.live.updated.connect(self._on_analysis)
        window.scene.node_selection_changed.connect(self._selection_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._selection_changed([])
        self.panel.set_position("not started")

    # ---- state -------------------------------------------------------------------------------------------
    @property
    def idle(self) -> bool:
        """No request is outstanding on the worker and the dock has drawn the last step (tests wait for this)."""
        return not self._pending and not (self.panel.has_node_view() and self.panel.node_view.busy)

    @property
    def stepper(self) -> Any:
        return self.window.stepper

    # ---- the document ---------------------------------------------------------------------------------------
    def _follow(self, graph: Graph | None) -> None:
        events = ("node_added", "node_removed", "edge_added", "edge_removed", "param_changed")
        if self._graph is not None:
            for ev in events:
                getattr(self._graph, ev).disconnect(self._edited)
            self._graph.meta_changed.disconnect(self._meta_changed)
        self._graph = graph
        if graph is not None:
            for ev in events:
                getattr(graph, ev).connect(self._edited)
            graph.meta_changed.connect(self._meta_changed)

    def _on_analysis(self, a: Analysis) -> None:
        doc = self.window.document
        new = doc is not self._graph
        if new and not self._closed:
            self._follow(doc)
            self._invalidate("")
        self.settings.set_graph_info([(n, a.nodes[n].shape if n in a.nodes else None) for n in a.inputs],
                                     "dataset" in (doc.training or {}), new_document=new, step=doc.step)

    def _edited(self, *args: Any) -> None:
        self._invalidate("The graph changed: the walk restarts at the next step.")

    def _meta_changed(self, key: str, *args: Any) -> None:
        if key == "step":  # the dock's settings, stored in the file (an edit there, or its undo)
            self._settings_changed()
        elif key != "name":
            self._edited()

    def _settings_changed(self) -> None:
        self._invalidate("Settings changed: the walk restarts at the next step.")

    def _store_settings(self, key: str, section: dict[str, Any]) -> None:
        """A change in the dock's settings: one undo step that stores them in the file's step section."""
        self.window.undo_stack.push(SetStepCommand(self.window.document, section, key))

    def _invalidate(self, reason: str) -> None:
        """A new generation: whatever the worker holds or computes for the old one is dropped."""
        was_active = self.active
        self.gen += 1
        if self._worker is not None:
            self._worker.wanted = self.gen
        self.built_gen = self.building_gen = -1
        self.active = False
        self.position = 0
        self.walk = []
        self.frame = None
        self.nonfinite = None
        self.window.stepper = None
        self.canvas.clear()
        self.canvas.clear_check()
        self.window.problems.set_extra("stepper", [])
        self.window.problems.set_extra("gradcheck", [])
        if self.panel.has_node_view():
            self.panel.node_view.show_node(None)
        if was_active and reason:
            self.panel.set_message(reason)
            self.panel.set_position("stopped: the walk restarts at the next step")
        elif not reason:
            self.panel.set_message(HINT)
            self.panel.set_position("not started")
        self._selection_changed(self.window.scene.selected_node_ids())

    # ---- requests -------------------------------------------------------------------------------------------
    def _base_dir(self) -> str | None:
        path = self.window.path
        return str(Path(path).parent) if path else None

    def _start_thread(self) -> StepWorker:
        if self._worker is None:
            self._thread = QThread(self)
            self._thread.setObjectName("stepper-worker")
            w = self._worker = StepWorker()
            w.wanted = self.gen
            w.moveToThread(self._thread)
            self._thread.finished.connect(w.deleteLater)
            self._build.connect(w.build)
            self._command.connect(w.command)
            self._check.connect(w.gradcheck)
            w.built.connect(self._on_built)
            w.frame.connect(self._on_frame)
            w.failed.connect(self._on_failed)
            w.checked.connect(self._on_checked)
            w.progress.connect(self._on_progress)
            w.finished.connect(self._on_finished)
            self._thread.start()
        return self._worker

    def _send(self, signal: Any, *args: Any) -> None:
        self._serial += 1
        self._pending.add(self._serial)
        signal.emit(self._serial, *args)

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
        snapshot = from_dict(to_dict(self.window.document))
        ensure_torch()  # the first import on the GUI thread, never on the worker's (graphlab.ui.torch_import)
        self._start_thread()
        self.building_gen = self.gen
        self.active = True
        self.panel.set_message("Preparing the stepper: compiling the graph and loading its inputs…")
        self._send(self._build, self.gen, snapshot, opts)
        self._described = opts.describe()
        return True

    def _request(self, op: str, arg: Any = None) -> None:
        if not self._ensure_built():
            return
        if self.check_result is not None:  # the check's badges would hide the values being stepped
            self.canvas.clear_check()
        if self.panel.has_node_view():  # the stepped node's tab shows again
            self.panel.node_view.release_check()
        self._send(self._command, self.gen, op, arg)

    # ---- actions -------------------------------------------------------------------------------------------
    def step(self, checked: bool = False) -> None:
        self._request("step")

    def step_back(self, checked: bool = False) -> None:
        if self.built_gen != self.gen and self.building_gen != self.gen:
            self.window.show_hint("Nothing to step back: the walk has not started")
            return
        self._request("back")

    def run_to(self, checked: bool = False) -> None:
        ids = self.window.scene.selected_node_ids()
        self._request("run_to", ids[0] if ids else None)

    def restart(self, checked: bool = False) -> None:
        if self.panel.has_node_view():
            self.panel.node_view.release_check()
        if self.gen == self.built_gen:
            self.canvas.clear_check()
            self._send(self._command, self.gen, "reset", None)
        else:
            self._invalidate("")
            self._ensure_built()

    def gradcheck(self, checked: bool = False) -> None:
        if self._closed:
            return
        opts = self._options()
        if opts is None:
            return
        snapshot = from_dict(to_dict(self.window.document))
        self._start_thread()
        self.active = True
        self.canvas.clear_check()
        self.window.problems.set_extra("gradcheck", [])
        view = self.panel.node_view
        view.check.set_running("Checking gradients (float64, centred differences)…")
        view.show_check_tab()
        self._raise_dock()
        self._send(self._check, self.gen, snapshot, opts)

    def choose_weights(self) -> None:
        path = self.window.path
        folder = str(Path(path).parent) if path else str(Path.cwd())
        chosen = self.window.prompts.weights_path(folder)
        if chosen:
            self.set_weights(chosen)

    def set_weights(self, path: str | Path | None) -> None:
        """Step with these weights (a checkpoint file or a run folder; None: the initialisation).
        The walk restarts at the next step."""
        self.settings.set_weights_path(str(path) if path else None)

    # ---- results (queued from the worker) --------------------------------------------------------------------
    def _on_finished(self, serial: int) -> None:
        self._pending.discard(serial)

    def _on_built(self, gen: int, info: dict[str, Any]) -> None:
        if gen != self.gen or self._closed:
            return
        self.built_gen = gen
        self.window.stepper = info["stepper"]
        self.walk = info["walk"]
        self.canvas.clear()
        notes = "; ".join(info["notes"]) or self._described
        self.panel.set_message(f"{len(info['order'])} nodes, {len(self.walk)} steps · {notes}",
                               error=bool(info["warnings"]))
        self._raise_dock()
        self._selection_changed(self.window.scene.selected_node_ids())

    def _on_frame(self, gen: int, frame: Frame) -> None:
        if gen != self.gen or self._closed:
            return
        self.frame = frame
        self.position = frame.position
        self.canvas.apply(frame)
        self.panel.show_frame(frame)
        if frame.message:
            self.window.show_hint(frame.message)
        if frame.nonfinite != self.nonfinite:
            self._show_nonfinite(frame.nonfinite)
        elif frame.nonfinite and self.canvas.nan_node is None:
            self._show_nonfinite(frame.nonfinite)
        if frame.cursor is not None and not frame.stopped_at_nonfinite:
            self._keep_in_view(frame.cursor)
        self._selection_changed(self.window.scene.selected_node_ids())

    def _show_nonfinite(self, fn: dict[str, str] | None) -> None:
        self.nonfinite = fn
        if fn is None:
            self.window.problems.set_extra("stepper", [])
            return
        text = self.canvas.mark_nonfinite(fn)
        self.window.problems.set_extra("stepper", [Problem(fn["node"], text)])
        self.window.scene.select_nodes([fn["node"]])
        self._keep_in_view(fn["node"])
        self.panel.set_message(f"NaN tracer: {fn['node']}: {text}", error=True)
        self.window.problems_dock.raise_()

    def _on_failed(self, gen: int, message: str, node: Any) -> None:
        if gen != self.gen or self._closed:
            return
        if self.building_gen == gen and self.built_gen != gen:
            self.building_gen = -1  # the next Step tries again (e.g. after other weights are chosen)
            self.active = False
        self.panel.set_message(message, error=True)
        self.window.show_hint(message)
        if node and node in self.window.scene.node_items:
            self.window.scene.select_nodes([node])

    def _on_progress(self, gen: int, text: str) -> None:
        if gen == self.gen and not self._closed:
            self.panel.node_view.check.set_running(text + " …")

    def _on_checked(self, gen: int, result: dict[str, Any]) -> None:
        if gen != self.gen or self._closed:
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
        self.window.problems.set_extra("gradcheck", bad)
        summary = view.check.summary.text().split(" — ")[0]
        self.panel.set_message(summary, error=bool(bad))
        self.window.show_hint(summary)

    # ---- the canvas and the dock ---------------------------------------------------------------------------
    def _raise_dock(self) -> None:
        if not self.dock.isVisible() or self.window.tabifiedDockWidgets(self.dock):
            self.dock.show()
            self.dock.raise_()

    def _keep_in_view(self, node_id: str) -> None:
        """Centre the canvas on the node when it is not well inside the view (a 10% margin); never zooms."""
        item = self.window.scene.node_items.get(node_id)
        if item is None:
            return
        view = self.window.view
        r = view.viewport().rect()
        inner = r.adjusted(r.width() // 10, r.height() // 10, -r.width() // 10, -r.height() // 10)
        if not view.mapToScene(inner).boundingRect().contains(item.sceneBoundingRect()):
            view.centerOn(item)

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
        """Stop: no more listening to the document; the worker stops at its next step; wait for it."""
        if self._closed:
            return
        self._closed = True
        self._follow(None)
        if self._worker is not None:
            self._worker.closing = True
            self._worker.wanted = -1
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        self.window.stepper = None
