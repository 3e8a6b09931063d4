"""*File ▸ Import PyTorch Model…* and *File ▸ Load Weights…*: a model the user wrote, and weights from
elsewhere, into the editor.

``install(document, shell)`` adds both to the File menu (Ctrl+I, Ctrl+Shift+W) (the shell's ``file_menu``) and returns the
:class:`ModelImport` that runs them. Built from the :class:`~graphlab.ui.document.Document` and the
:class:`~graphlab.ui.shell.Shell`, never from the main window (contract ``features-without-window``).

* Import asks for ``FILE.py:NAME`` and an input shape through ``shell.prompts.import_model``; the
  import (:func:`graphlab.importer.import_model`: it runs the user's file, by their choice) runs on
  the shell's worker, off the GUI thread, and comes back as the graph file's text; the window opens it
  as a new untitled document (``shell.open_graph``). A refusal is its one line, in a dialog and the
  status bar.
* Load weights asks for a checkpoint, a run folder or a state_dict (``shell.prompts.load_weights``);
  the worker matches it to the graph's nodes by id and shape (:mod:`graphlab.run.weights_match`) and
  writes the merged weights to a temporary checkpoint. Back on the GUI thread the report (what
  matched, what did not and why) is shown, the stepper and export use the merged weights
  (``document.set_weights``), and ``training.weights`` is set to the file, as one undo step, so the
  next run starts from them.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from ...core.text import parse_shape
from ...io import dumps, loads
from ..document import Document
from ..shell import Shell
from ..training.commands import SetTrainingCommand

__all__ = ["ModelImport", "install"]

IMPORT_KEY, WEIGHTS_KEY = "import-model", "load-weights"


def _import_job(ctx: Any, target: str, shape: tuple[int, ...] | None) -> tuple[str, str, list[str]]:
    """On the worker: ("ok", graph text, notes) or ("refused", the one line, [])."""
    from ...importer import ImportRefused, import_model

    try:
        result = import_model(target, shape)
    except ImportRefused as e:
        return "refused", str(e), []
    return "ok", dumps(result.graph), list(result.notes)


def _weights_job(ctx: Any, graph_text: str, source: str, out: str) -> tuple[str, str, int]:
    """On the worker: ("ok", report, matched nodes) with the merged checkpoint at ``out``, or ("refused", why, 0)."""
    from ...compiler import BuildError, CompileError, compile_graph, info
    from ...run.checkpoint import save_weights
    from ...run.weights_match import match_weights, read_source

    graph = loads(graph_text)
    seed = graph.training.get("seed", 0)
    try:
        gm = compile_graph(graph, seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else 0)
        state = read_source(source)
    except (CompileError, BuildError, ValueError) as e:
        return "refused", str(e).splitlines()[0], 0
    load, report = match_weights(gm.state_dict(), state, info(gm).module_names)
    if report.matched:
        merged = {k: (load[k] if k in load else v) for k, v in gm.state_dict().items()}
        save_weights(out, merged, graph=graph.name)
    return "ok", report.text(), len(report.matched)


class ModelImport(QObject):
    def __init__(self, document: Document, shell: Shell) -> None:
        super().__init__(shell)
        self.document, self.shell = document, shell
        self.last_target, self.last_shape = "", ""
        self.last_report = ""
        self._source = ""
        self._folder = Path(tempfile.mkdtemp(prefix="graphlab-weights-"))
        shell.worker.done.connect(self._done)
        shell.worker.failed.connect(self._failed)
        self.import_action = QAction("&Import PyTorch Model…", self)
        self.import_action.setObjectName("action_import_model")
        self.import_action.setShortcut("Ctrl+I")
        self.import_action.triggered.connect(self.ask_import)
        self.weights_action = QAction("Load &Weights…", self)
        self.weights_action.setObjectName("action_load_weights")
        self.weights_action.setShortcut("Ctrl+Shift+W")
        self.weights_action.triggered.connect(self.ask_weights)
        menu = getattr(shell, "file_menu", None)
        if menu is not None:
            anchor = next((a for a in menu.actions() if a.isSeparator()), None)
            for a in (self.import_action, self.weights_action):
                menu.insertAction(anchor, a) if anchor is not None else menu.addAction(a)
        for a in (self.import_action, self.weights_action):
            shell.add_action(a)

    # -- import ------------------------------------------------------------------------------------------
    def ask_import(self) -> None:
        answer = self.shell.prompts.import_model(self.last_target, self.last_shape)
        if answer is None:
            return
        target, shape_text = (str(x).strip() for x in answer)
        self.start_import(target, shape_text)

    def start_import(self, target: str, shape_text: str = "") -> int:
        self.last_target, self.last_shape = target, shape_text
        shape = parse_shape(shape_text) if shape_text else None
        if shape_text and shape is None:
            self._refused(f"input shape {shape_text!r}: give positive whole numbers, e.g. 3,32,32")
            return -1
        self.shell.show_hint(f"importing {target} …", 60_000)
        return self.shell.worker.submit(IMPORT_KEY, _import_job, target, shape, needs_torch=True)

    # -- weights -----------------------------------------------------------------------------------------
    def ask_weights(self) -> None:
        folder = str(self.document.base_dir())
        path = self.shell.prompts.load_weights(folder)
        if path:
            self.start_weights(path)

    def start_weights(self, source: str) -> int:
        self._source = source
        out = self._folder / f"loaded-{self.shell.worker.current(WEIGHTS_KEY) + 1}.safetensors"
        self.shell.show_hint(f"matching the weights of {source} …", 60_000)
        return self.shell.worker.submit(WEIGHTS_KEY, _weights_job, dumps(self.document.graph), source, str(out),
                                        needs_torch=True)

    # -- results -----------------------------------------------------------------------------------------
    def _done(self, key: str, generation: int, value: Any) -> None:
        if key == IMPORT_KEY:
            status, text, notes = value
            if status != "ok":
                self._refused(text)
                return
            graph = loads(text)
            if self.shell.open_graph(graph, f"{graph.name} (imported)"):
                self.shell.show_hint("; ".join([f"imported {len(graph.nodes)} nodes", *notes]))
        elif key == WEIGHTS_KEY:
            status, text, matched = value
            if status != "ok":
                self._refused(text, "Load weights")
                return
            self.last_report = text
            self.shell.prompts.report("Load weights", text)
            if matched:
                self.document.set_weights(self._folder / f"loaded-{generation}.safetensors")
                self._set_start_weights(self._source)
            self.shell.show_hint(text.splitlines()[0])

    def _set_start_weights(self, source: str) -> None:
        """training.weights = the file (relative to the graph's folder when inside it), one undo step."""
        p = Path(source)
        try:
            p = p.resolve().relative_to(self.document.base_dir().resolve())
        except ValueError:
            pass
        graph = self.document.graph
        if graph.training.get("weights") == str(p):
            return
        self.document.undo_stack.push(SetTrainingCommand(graph, {**graph.training, "weights": str(p)}, "weights"))

    def _failed(self, key: str, generation: int, error: Any) -> None:
        if key in (IMPORT_KEY, WEIGHTS_KEY):
            self._refused(f"{type(error).__name__}: {error}".splitlines()[0],
                          "Import PyTorch model" if key == IMPORT_KEY else "Load weights")

    def _refused(self, line: str, title: str = "Import PyTorch model") -> None:
        self.shell.show_hint(line)
        self.shell.prompts.error(title, line)


def install(document: Document, shell: Shell) -> ModelImport:
    return ModelImport(document, shell)
