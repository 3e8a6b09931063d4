"""The document's file: new, open, save, save as, the unsaved-changes question and crash recovery.

:class:`DocumentFiles` knows which file the window's graph came from (``path``; None for a new
graph, an example or a recovered untitled one) and talks to the user through ``window.prompts``.
It hands every graph it reads to ``window.set_document`` (the document then tells every panel);
it never edits a graph itself except through the controller (Save As of an "untitled" graph names it
after the file, as one undo step). Revert reads the file again, dropping unsaved changes.

A file that cannot be read shows the reason and leaves the current document as it was; a save
that fails shows the reason and leaves the file on disk as it was (saves are atomic).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from ..core import Graph
from ..io import FileFormatError, load, save
from .recent import RecentFiles
from .recovery import Autosave

if TYPE_CHECKING:
    from .main_window import MainWindow

UNTITLED = "untitled"
SUFFIXES = (".graphlab.json", ".json")


def name_from_path(path: str | Path) -> str:
    """The graph name a file suggests: its name without ``.graphlab.json`` (or ``.json``)."""
    name = Path(path).name
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return Path(name).stem or name


class DocumentFiles(QObject):
    def __init__(self, window: MainWindow, recent: RecentFiles, autosave: Autosave) -> None:
        super().__init__(window)
        self.w, self.recent, self.autosave = window, recent, autosave

    @property
    def path(self) -> str | None:
        """The file the document came from (None: new, an example, recovered untitled)."""
        return self.w.document.path

    @property
    def title(self) -> str | None:
        return self.w.document.title

    def display_name(self) -> str:
        if self.path:
            return Path(self.path).name
        if self.title:
            return self.title
        name = self.w.graph.name
        return name if name and name != UNTITLED else "Untitled"

    # ---- the unsaved-changes question ---------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current document (saved, discarded, or nothing to lose)."""
        if self.w.undo_stack.isClean():
            return True
        answer = self.w.prompts.unsaved(self.display_name())
        if answer == "save":
            return self.save()
        return answer == "discard"

    # ---- new and open -------------------------------------------------------------------------
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.w.set_document(Graph(UNTITLED), None)
        return True

    def open_interactive(self) -> bool:
        folder = str(Path(self.path).parent) if self.path else str(Path.cwd())
        path = self.w.prompts.open_path(folder)
        return self.open(path) if path else False

    def open(self, path: str | Path, ask: bool = True, as_example: bool = False) -> bool:
        """Open a graph file. A file that cannot be read shows the reason; the document stays as it was."""
        if ask and not self.maybe_save():
            return False
        try:
            graph = load(path)
        except FileFormatError as e:
            self.w.prompts.error("Cannot open file", str(e))
            return False
        except Exception as e:  # never let a bad file take the app down
            self.w.prompts.error("Cannot open file", f"{path}: {e}")
            return False
        if as_example:  # its runs are kept under the example's name: reopening it shows them again
            self.w.set_document(graph, None, title=f"{graph.name} (example)", key=f"example-{name_from_path(path)}")
        else:
            self.w.set_document(graph, str(Path(path).resolve()))
            self.recent.add(str(path))
            self.w.recent_changed()
        return True

    def revert(self) -> bool:
        """Read the document's file again, dropping unsaved changes (asked first)."""
        if not self.path:
            self.w.show_hint("nothing to revert to: the graph has not been saved to a file")
            return False
        if not self.w.undo_stack.isClean() and not self.w.prompts.confirm_revert(self.display_name()):
            return False
        return self.open(self.path, ask=False)

    # ---- save ---------------------------------------------------------------------------------
    def save(self, path: str | Path | None = None) -> bool:
        if path is None:
            if self.path is None:
                return self.save_as()
            path = self.path
        target = str(Path(path).resolve())
        renamed = (target != self.path and self.w.graph.name in ("", UNTITLED)
                   and self.w.controller.rename_graph(name_from_path(target)))  # one undo step, saved with it
        problem = None
        try:
            save(self.w.graph, target)
        except OSError as e:
            problem = f"{path}: {e.strerror or e}"
        except FileFormatError as e:  # a value load would refuse (graphlab.io.values); the file is untouched
            problem = str(e)
        except (ValueError, RecursionError, UnicodeError) as e:  # a value JSON cannot hold; the file is untouched
            problem = f"{path}: the graph holds a value that cannot be saved ({e})"
        if problem is not None:
            if renamed:
                self.w.undo_stack.undo()  # the name came with the save that did not happen
            self.w.prompts.error("Cannot save file", problem)
            return False
        self.w.document.set_path(target)
        self.w.undo_stack.setClean()
        self.autosave.discard()
        self.recent.add(target)
        self.w.recent_changed()
        self.w.update_title()
        self.w.show_hint(f"saved {target}")
        return True

    def save_as(self) -> bool:
        name = self.w.graph.name if self.w.graph.name not in ("", UNTITLED) else UNTITLED
        suggested = self.path or str(Path.cwd() / f"{name}.graphlab.json")
        path = self.w.prompts.save_path(suggested)
        return self.save(path) if path else False

    # ---- recovery -----------------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """Offer each recovery file a crashed window left (newest first). Yes restores it here and
        stops (the others wait for the next start); No deletes that file and asks about the next."""
        for rf in self.autosave.pending():
            try:
                graph = rf.read()
            except Exception:  # an unreadable recovery file is not worth a dialog
                self.autosave.discard_file(rf)
                continue
            if not self.w.prompts.restore(rf.origin):
                self.autosave.discard_file(rf)
                continue
            self.w.set_document(graph, rf.origin, title=None if rf.origin else "Recovered")
            self.autosave.adopt(rf)
            self.w.undo_stack.resetClean()
            self.w.update_title()
            return True
        return False
