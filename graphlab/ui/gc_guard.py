"""Python's cyclic garbage collector runs on the GUI thread only, while the editor is up.

The collector runs on whichever thread happens to allocate. When a worker thread (the stepper,
the fit check) triggered a collection that found a reference cycle holding Qt objects — a closed
window's menu, a dock's widgets — their C++ destructors ran on that worker. Qt widgets must die on
the GUI thread: the worker then waited for Qt's mutex while the GUI thread, inside Qt, waited for
the GIL — a deadlock (seen in the test suite under load, with native stacks; the earlier "torch
import deadlock" was the same mechanism, a big import on a worker triggering collections there).

:func:`install` turns automatic collection off and collects from a timer on the GUI thread
instead, generation by generation as CPython would (``gc.get_threshold``), so every cycle is
freed on the GUI thread. The oldest generation follows CPython's own extra rule too: a full
collection only once the objects that reached it since the last one are more than a quarter of
those that one kept (:class:`Oldest`). With torch imported the editor's heap holds ~230,000
objects and a full pass takes ~125 ms on the GUI thread; without the rule one ran every ~25 s of a
training run's steady allocation. Reference counting still frees everything else at once, wherever it
drops to zero; the workers never hold references to Qt objects (``graphlab.ui.worker``), so the
last reference to a widget is never dropped on a worker. ``graphlab.core.gc_pause`` (bulk passes
that pause the collector) leaves it off while this guard is installed.
"""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QCoreApplication, QObject, QTimer

#: how often the GUI thread looks at the collector's counts
INTERVAL_MS = 250


class GcGuard(QObject):
    """Collects on the GUI thread; one per application (:func:`install`)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.collections = [0, 0, 0]  # per generation, for tests
        self.collected_off_gui = 0  # collections seen on another thread (must stay 0)
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.tick)
        self._timer.start()
        gc.callbacks.append(self._seen)
        gc.disable()

    def _seen(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start" and threading.current_thread() is not threading.main_thread():
            self.collected_off_gui += 1

    def tick(self) -> None:
        if gc.isenabled():  # a bulk pass (graphlab.core.gc_pause) that started before the guard resumed it
            gc.disable()
        gen = collect_due()
        if gen >= 0:
            self.collections[gen] += 1

    def uninstall(self) -> None:
        self._timer.stop()
        if self._seen in gc.callbacks:
            gc.callbacks.remove(self._seen)
        gc.collect()
        gc.enable()


class Oldest:
    """CPython's rule for a full collection (Modules/gcmodule.c, ``long_lived_pending >
    long_lived_total / 4``): ``kept`` objects were in the oldest generation after the last full
    collection; one is worth doing again once more than ``kept / 4`` have joined them. Counting them
    takes ~15 ms at the editor's size, so a full collection found not worth it is looked at again
    only after another ``threshold[2]`` collections of the middle generation."""

    kept = 0
    look_at = 0  # the count of the oldest generation from which to look again

    @classmethod
    def worth_it(cls, count: int, limit: int) -> bool:
        if count < cls.look_at:
            return False
        if len(gc.get_objects(2)) - cls.kept > cls.kept // 4:
            return True
        cls.look_at = count + max(limit, 1)
        return False

    @classmethod
    def collected(cls) -> None:
        cls.kept, cls.look_at = len(gc.get_objects(2)), 0


def collect_due() -> int:
    """Collect the oldest generation whose count is over its threshold (CPython's own rules), here and
    now; returns it (-1: none was due). Call it on the GUI thread."""
    counts, limits = gc.get_count(), gc.get_threshold()
    gen = -1
    for g in range(3):
        if limits[g] and counts[g] >= limits[g]:
            gen = g
    if gen == 2 and not Oldest.worth_it(counts[2], limits[2]):
        gen = 1
    if gen >= 0:
        gc.collect(gen)
        if gen == 2:
            Oldest.collected()
    return gen


def install(app: QCoreApplication | None = None) -> GcGuard:
    """Install the guard on ``app`` (the running QApplication by default) once; returns it."""
    app = app or QCoreApplication.instance()
    if app is None:
        raise RuntimeError("install the garbage-collector guard after the QApplication exists")
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("the garbage-collector guard belongs to the GUI thread")
    guard = app.findChild(GcGuard, "gc_guard")
    if guard is None:
        guard = GcGuard(app)
        guard.setObjectName("gc_guard")
    gc.disable()  # a bulk pass elsewhere may have resumed it before the guard existed
    return guard
