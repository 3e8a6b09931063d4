"""The editor's one worker: keyed latest-wins jobs, stale results dropped, one shutdown, and the
garbage-collector guard that keeps Qt objects from dying on it."""
from __future__ import annotations

import gc
import threading
import time

import pytest
from PySide6.QtCore import QObject

from graphlab.ui import gc_guard
from graphlab.ui.worker import Worker


class Recorder:
    def __init__(self, w: Worker) -> None:
        self.done: list[tuple[str, int, object]] = []
        self.failed: list[tuple[str, int, object]] = []
        self.progress: list[tuple[str, int, object]] = []
        w.done.connect(lambda *a: self.done.append(a))
        w.failed.connect(lambda *a: self.failed.append(a))
        w.progress.connect(lambda *a: self.progress.append(a))


@pytest.fixture
def worker(qtbot):
    holder = QObject()
    w = Worker("test-worker", holder)
    yield w
    w.shutdown(5)
    holder.deleteLater()


def test_a_job_runs_off_the_gui_thread_and_its_result_comes_back(worker, qtbot):
    rec = Recorder(worker)
    gen = worker.submit("k", lambda ctx, x: (x * 2, threading.current_thread().name), 21)
    qtbot.waitUntil(lambda: bool(rec.done), timeout=5000)
    assert rec.done == [("k", gen, (42, "test-worker"))]
    assert not worker.pending("k") and not worker.pending()


def test_latest_wins_a_queued_job_of_the_same_key_is_dropped(worker, qtbot):
    rec = Recorder(worker)
    gate = threading.Event()
    ran: list[str] = []
    worker.submit("block", lambda ctx: gate.wait(5))  # holds the thread while the others queue up
    for name in ("first", "second", "third"):
        worker.submit("k", lambda ctx, n: ran.append(n) or n, name)
    worker.submit("other", lambda ctx: "other")
    gate.set()
    qtbot.waitUntil(lambda: len(rec.done) == 3, timeout=5000)
    assert ran == ["third"]
    assert [(k, v) for k, _, v in rec.done] == [("block", True), ("k", "third"), ("other", "other")]


def test_a_result_that_went_stale_while_running_is_dropped(worker, qtbot):
    rec = Recorder(worker)
    started, release = threading.Event(), threading.Event()

    def slow(ctx):
        started.set()
        release.wait(5)
        ctx.progress("late")
        return "stale"
    worker.submit("k", slow)
    assert started.wait(5)
    worker.cancel("k")  # the user moved on while it ran
    release.set()
    gen = worker.submit("k", lambda ctx: "fresh")
    qtbot.waitUntil(lambda: bool(rec.done), timeout=5000)
    qtbot.wait(50)
    assert rec.done == [("k", gen, "fresh")] and rec.progress == []


def test_a_long_job_sees_that_it_is_stale_and_may_stop(worker, qtbot):
    steps: list[int] = []

    def long(ctx):
        for i in range(500):
            if ctx.stale:
                return None
            steps.append(i)
            time.sleep(0.002)
        return "finished"
    worker.submit("k", long)
    qtbot.waitUntil(lambda: len(steps) > 5, timeout=5000)
    worker.cancel("k")
    qtbot.waitUntil(lambda: not worker.pending("k"), timeout=5000)
    assert len(steps) < 500


def test_an_exception_is_reported_as_failed_not_raised(worker, qtbot):
    rec = Recorder(worker)
    gen = worker.submit("k", lambda ctx: 1 / 0)
    qtbot.waitUntil(lambda: bool(rec.failed), timeout=5000)
    (key, g, exc), = rec.failed
    assert (key, g) == ("k", gen) and isinstance(exc, ZeroDivisionError)
    worker.submit("k", lambda ctx: "still alive")
    qtbot.waitUntil(lambda: bool(rec.done), timeout=5000)


def test_nothing_is_emitted_after_shutdown(qtbot):
    holder = QObject()
    w = Worker("test-worker", holder)
    rec = Recorder(w)
    started, release = threading.Event(), threading.Event()

    def slow(ctx):
        started.set()
        release.wait(5)
        ctx.progress("after")
        return "after"
    w.submit("k", slow)
    assert started.wait(5)
    release.set()
    assert w.shutdown(5)
    qtbot.wait(100)
    assert rec.done == [] and rec.progress == []
    assert w.submit("k", lambda ctx: 1) == -1  # refused once shut down
    holder.deleteLater()


def test_the_gc_guard_collects_cycles_on_the_gui_thread_only(qtbot):
    guard = gc_guard.install()
    assert not gc.isenabled()
    off_before = guard.collected_off_gui

    class Cycle:
        pass

    def make_garbage(ctx):
        for _ in range(20000):  # far past gen-0's threshold: CPython would collect here, on this thread
            a, b = Cycle(), Cycle()
            a.b, b.a = b, a
        # read on the worker: nothing collected here (the guard's timer is held, so nothing anywhere)
        return gc.isenabled(), gc.get_count()[0] >= gc.get_threshold()[0]
    guard._timer.stop()  # the timer's own ticks would collect meanwhile; the test calls tick itself
    holder = QObject()
    w = Worker("gc-worker", holder)
    rec = Recorder(w)
    before = sum(guard.collections)
    w.submit("k", make_garbage)
    qtbot.waitUntil(lambda: bool(rec.done), timeout=5000)
    assert rec.done[0][2] == (False, True)  # CPython would have collected on the worker by then
    guard.tick()  # what the guard's timer does on the GUI thread, four times a second
    guard._timer.start()
    assert sum(guard.collections) > before
    assert guard.collected_off_gui == off_before
    w.shutdown(5)
    holder.deleteLater()


def test_more_work_of_the_same_generation_keeps_earlier_results_wanted(worker, qtbot):
    """supersede=False (the stepper's command queue): a second job of a key does not make the first
    one's undelivered results stale, and one still waiting does the second's work."""
    rec = Recorder(worker)
    gate = threading.Event()
    worker.submit("block", lambda ctx: gate.wait(5))  # holds the thread: the next two wait in the queue
    g1 = worker.submit("k", lambda ctx: ctx.progress("first") or "one", supersede=False)
    g2 = worker.submit("k", lambda ctx: "two", supersede=False)  # the first is still queued: it does this work
    assert g1 == g2
    gate.set()
    qtbot.waitUntil(lambda: len(rec.done) == 2, timeout=5000)
    qtbot.wait(30)
    assert [v for k, _, v in rec.done if k == "k"] == ["one"] and [v for _, _, v in rec.progress] == ["first"]
    started = threading.Event()
    worker.submit("k", lambda ctx: started.set() or time.sleep(0.1) or ctx.progress("late") or "three",
                  supersede=False)
    assert started.wait(5)
    worker.submit("k", lambda ctx: "four", supersede=False)  # behind the running one: both are delivered
    qtbot.waitUntil(lambda: len(rec.done) == 4, timeout=5000)
    assert [v for k, _, v in rec.done if k == "k"] == ["one", "three", "four"] and rec.progress[-1][2] == "late"


def test_a_full_collection_only_once_a_quarter_more_objects_reached_the_oldest_generation():
    """CPython's own rule, which the guard keeps (a full pass of the editor's heap takes ~125 ms): due
    by the counts but with few new long-lived objects, the middle generation is collected instead;
    once more than a quarter of what the last full pass kept has joined the oldest, a full pass."""
    Oldest = gc_guard.Oldest
    limits, was_on = gc.get_threshold(), gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        Oldest.collected()
        gc.set_threshold(1, 1, 1)
        gc.collect(1)  # one middle collection since the full one: the oldest is due by its count
        assert gc.get_count()[2] >= 1
        assert gc_guard.collect_due() == 1  # ...but few objects reached it: not worth a full pass
        survivors = [[i] for i in range(Oldest.kept // 4 + 1000)]
        gc.collect(1)
        gc.collect(1)  # the survivors reach the oldest generation (young → middle → oldest)
        assert gc_guard.collect_due() == 2
        assert Oldest.kept >= len(survivors)
    finally:
        gc.set_threshold(*limits)
        if was_on:
            gc.enable()
