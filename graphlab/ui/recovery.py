"""Crash recovery: one autosave file per editor window, offered again only when its owner is gone.

Every ``interval_ms`` (a minute by default) a window whose document has unsaved changes writes it
to its own recovery file, ``recovery-<pid>-<token>.graphlab.json`` in the recovery folder, beside
``recovery-<pid>-<token>.meta.json`` (owner pid, token, host, the owner's process start time, the
file the document came from). The token is random per window, so two windows — in one process or
in two — never share a file. Writes are atomic (:func:`graphlab.io.atomic_write`).

* A save, a clean close or a document with nothing unsaved removes the window's own file; a window
  never deletes another window's file while that window's process lives.
* On start, :meth:`Autosave.pending` lists the files whose owner process is gone: the pid does not
  run any more, or runs a different process (its start time differs from the recorded one). A file
  written on another host, or whose owner cannot be checked, counts as alive: never offered, never
  deleted.
* Declining deletes only that dead owner's file (:meth:`Autosave.discard_file`); restoring
  :meth:`Autosave.adopt`\\ s it (renames it to this window's own name), so the work stays on disk
  until this window saves or closes cleanly.
* A file from GraphLab versions with a single shared recovery file (``recovery.graphlab.json``)
  has no owner on record and is offered like a dead owner's.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

from ..core import Graph
from ..io import atomic_write, dumps, loads

AUTOSAVE_MS = 60_000
_NAME = re.compile(r"^recovery-(\d+)-([0-9a-f]{4,64})\.graphlab\.json$")
LEGACY = "recovery.graphlab.json"


def default_recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".graphlab") / "recovery"


# ---- is the owner alive? -------------------------------------------------------------------------
def process_start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), or None where it cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        return int(raw[raw.rindex(")") + 2:].split()[19])  # field 22; the name in () may hold spaces
    except (OSError, ValueError, IndexError):
        return None


def _pid_runs(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel.GetLastError() == 5  # access denied: it exists
        code = ctypes.c_ulong()
        try:
            return bool(kernel.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259
        finally:
            kernel.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:
        return True  # cannot tell: count it alive
    return True


def owner_alive(pid: int | None, started: int | None, host: str | None) -> bool:
    """Whether the window that wrote a recovery file may still be running (when in doubt: yes)."""
    if pid is None:
        return False  # a legacy file: no owner on record
    if host and host != socket.gethostname():
        return True  # another machine's process: cannot check it
    if pid == os.getpid():
        return True
    if not _pid_runs(pid):
        return False
    now = process_start_time(pid)
    return started is None or now is None or now == started


# ---- one recovery file ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RecoveryFile:
    graph_path: Path
    meta_path: Path
    pid: int | None
    origin: str | None
    started: int | None
    host: str | None

    def owner_alive(self) -> bool:
        return owner_alive(self.pid, self.started, self.host)

    def read(self) -> Graph:
        return loads(self.graph_path.read_bytes())


def _meta_of(graph_path: Path) -> Path:
    return graph_path.with_name(graph_path.name.removesuffix(".graphlab.json") + ".meta.json")


def read_recovery_file(graph_path: Path) -> RecoveryFile | None:
    m = _NAME.match(graph_path.name)
    if m is None and graph_path.name != LEGACY:
        return None
    meta_path = _meta_of(graph_path)
    meta: dict = {}
    try:
        loaded = json.loads(meta_path.read_text("utf-8"))
        meta = loaded if isinstance(loaded, dict) else {}
    except (OSError, ValueError):
        pass

    def opt(key: str, kind: type) -> object:
        v = meta.get(key)
        return v if isinstance(v, kind) and not isinstance(v, bool) else None

    return RecoveryFile(graph_path, meta_path, int(m.group(1)) if m else None, opt("origin", str),  # type: ignore[arg-type]
                        opt("started", int), opt("host", str))  # type: ignore[arg-type]


def _unlink(*paths: Path) -> None:
    for p in paths:
        try:
            p.unlink()
        except OSError:
            pass


class Autosave(QObject):
    """The recovery file of one window. ``snapshot()`` returns (graph, its file or None, unsaved?)."""

    def __init__(self, folder: Path, snapshot: Callable[[], tuple[Graph, str | None, bool]],
                 interval_ms: int = AUTOSAVE_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(folder)
        self.snapshot = snapshot
        self.pid = os.getpid()
        self.token = secrets.token_hex(8)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()
        self._saved: tuple[int, int] | None = None  # (id of the graph, its revision) last written

    @property
    def path(self) -> Path:
        return self.folder / f"recovery-{self.pid}-{self.token}.graphlab.json"

    @property
    def meta_path(self) -> Path:
        return _meta_of(self.path)

    def save_now(self) -> bool:
        """Write the document if it has changes not yet autosaved. True when a file was written."""
        graph, origin, dirty = self.snapshot()
        if not dirty:
            if self._saved is not None or self.path.exists():
                self.discard()  # nothing unsaved any more: an old copy would offer stale work
            return False
        if self._saved == (id(graph), graph.revision):
            return False  # nothing new since the last autosave
        meta = {"pid": self.pid, "token": self.token, "host": socket.gethostname(),
                "started": process_start_time(self.pid), "origin": origin}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.meta_path, json.dumps(meta).encode("utf-8"))
            atomic_write(self.path, dumps(graph).encode("utf-8"))
        except (OSError, ValueError, RecursionError, UnicodeError):
            return False  # autosave is best effort; a real save reports the reason
        self._saved = (id(graph), graph.revision)
        return True

    def discard(self) -> None:
        """Remove this window's own recovery file (after a save or a clean close)."""
        self._saved = None
        _unlink(self.path, self.meta_path)

    def stop(self) -> None:
        self.timer.stop()

    # ---- other windows' files ----------------------------------------------------------------
    def all_files(self) -> list[RecoveryFile]:
        """Every recovery file in the folder but this window's own, newest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for p in self.folder.glob("recovery*.graphlab.json"):
            if p == self.path:
                continue
            rf = read_recovery_file(p)
            if rf is not None:
                found.append(rf)

        def mtime(rf: RecoveryFile) -> float:
            try:
                return rf.graph_path.stat().st_mtime
            except OSError:
                return 0.0

        return sorted(found, key=mtime, reverse=True)

    def pending(self) -> list[RecoveryFile]:
        """The recovery files whose owner process is gone (newest first): the ones to offer."""
        self._drop_orphan_meta()
        return [rf for rf in self.all_files() if not rf.owner_alive()]

    def discard_file(self, rf: RecoveryFile) -> bool:
        """Delete a dead owner's recovery file (the user declined it). Refused for a live owner's."""
        if rf.graph_path == self.path or rf.owner_alive():
            return False
        _unlink(rf.graph_path, rf.meta_path)
        return True

    def adopt(self, rf: RecoveryFile) -> None:
        """Make a restored file this window's own, so it stays until this window saves or closes."""
        if rf.owner_alive():
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            os.replace(rf.graph_path, self.path)
        except OSError:
            return
        _unlink(rf.meta_path)
        meta = {"pid": self.pid, "token": self.token, "host": socket.gethostname(),
                "started": process_start_time(self.pid), "origin": rf.origin}
        try:
            atomic_write(self.meta_path, json.dumps(meta).encode("utf-8"))
        except OSError:
            pass

    def _drop_orphan_meta(self) -> None:
        """A meta file without its graph (a crash between the two writes) of a dead owner."""
        if not self.folder.is_dir():
            return
        for meta in self.folder.glob("recovery-*.meta.json"):
            graph = meta.with_name(meta.name.removesuffix(".meta.json") + ".graphlab.json")
            if graph.exists() or graph == self.path:
                continue
            rf = read_recovery_file(graph)
            if rf is not None and not rf.owner_alive():
                _unlink(meta)
