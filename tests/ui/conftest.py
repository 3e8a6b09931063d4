"""Fixtures for the editor tests: windows with throw-away settings, recovery folders and prompts.

Every dialog goes through ``window.prompts``; the fixture replaces them with recorders so a test
never blocks on a modal box, and a prompt a test did not expect fails the test.

A leak check runs after every test here (autouse): once the test's windows are closed and deleted,
no ``MainWindow`` may be left alive and no ``QThread`` it started may still run (a few seconds'
grace for a worker finishing its step). It lists the live Qt wrappers (``Shiboken.getAllValidWrappers``,
well under a millisecond).
"""
from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings, QStandardPaths

QStandardPaths.setTestModeEnabled(True)


class FakePrompts:
    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.unsaved_answer: str | None = None
        self.unsaved_asked: list[str] = []
        self.restore_answer: bool | None = None
        self.save_path_answer: str | None = None
        self.weights_path_answer: str | None = None
        self.group_name_answer: str | None = None
        self.import_answer: tuple[str, str] | None = None
        self.load_weights_answer: str | None = None
        self.reports: list[tuple[str, str]] = []
        self.confirm_answer: bool | None = None
        self.confirm_asked: list[tuple[str, str]] = []
        self.export_path_answer: str | None = None
        self.export_asked: list[str] = []

    def unsaved(self, name: str) -> str:
        self.unsaved_asked.append(name)
        if self.unsaved_answer is None:
            raise AssertionError(f"unexpected unsaved-changes prompt for {name}")
        return self.unsaved_answer

    def confirm(self, title: str, text: str) -> bool:
        self.confirm_asked.append((title, text))
        if self.confirm_answer is None:
            raise AssertionError(f"unexpected question: {title}: {text}")
        return self.confirm_answer

    def error(self, title: str, text: str) -> None:
        self.errors.append((title, text))

    def restore(self, origin: str | None) -> bool:
        if self.restore_answer is None:
            raise AssertionError("unexpected restore prompt")
        return self.restore_answer

    def open_path(self, folder: str) -> str | None:
        raise AssertionError("unexpected open dialog")

    def save_path(self, suggested: str) -> str | None:
        return self.save_path_answer

    def group_name(self, suggested: str) -> str | None:
        return self.group_name_answer

    def import_model(self, last: str, shape: str) -> tuple[str, str] | None:
        if self.import_answer is None:
            raise AssertionError("unexpected import dialog")
        return self.import_answer

    def load_weights(self, folder: str) -> str | None:
        if self.load_weights_answer is None:
            raise AssertionError("unexpected load-weights dialog")
        return self.load_weights_answer

    def report(self, title: str, text: str) -> None:
        self.reports.append((title, text))

    def export_path(self, suggested: str) -> str | None:
        self.export_asked.append(suggested)
        return self.export_path_answer

    def weights_path(self, folder: str) -> str | None:
        if self.weights_path_answer is None:
            raise AssertionError("unexpected weights dialog")
        return self.weights_path_answer


@pytest.fixture
def make_window(qtbot: Any, tmp_path: Path) -> Callable[..., Any]:
    from graphlab.ui import MainWindow

    made: list[Any] = []

    def factory(path: str | Path | None = None, recovery: Path | None = None, warm: bool = False) -> Any:
        settings = QSettings(str(tmp_path / f"settings{len(made)}.ini"), QSettings.Format.IniFormat)
        settings.setValue("training/warm_process", warm)  # a spare process per window would load the machine
        w = MainWindow(settings=settings, recovery_dir=recovery or tmp_path / "recovery")
        w.prompts = FakePrompts()
        w.resize(1100, 700)
        w.show()
        qtbot.waitExposed(w)
        w.activateWindow()
        qtbot.waitUntil(lambda: w.isActiveWindow(), timeout=2000)
        if path is not None:
            copy = tmp_path / Path(path).name  # tests save files: never over the repository's examples
            if not copy.exists():
                shutil.copyfile(path, copy)
            assert w.open_file(copy, ask=False), w.prompts.errors
        w.live.flush()
        made.append(w)
        return w

    yield factory
    for w in made:
        w.undo_stack.setClean()  # nothing to ask about on teardown
        w.close()
        w.deleteLater()
    if made:
        # A QMimeData left on the clipboard outlives QApplication and crashes the process at exit.
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().clear()
    qtbot.wait(1)


def _live(kind: type) -> list[Any]:
    from shiboken6 import Shiboken

    return [o for o in Shiboken.getAllValidWrappers() if isinstance(o, kind)]


def _running_threads(main: Any) -> list[Any]:
    from PySide6.QtCore import QThread

    return [t for t in _live(QThread) if t is not main and t.isRunning()]


@pytest.fixture(autouse=True)
def no_window_or_thread_left(qapp: Any) -> Any:
    """After each test (and its fixtures' teardown): no MainWindow alive, no QThread running that was
    not running before the test."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from graphlab.ui import MainWindow

    main = qapp.thread()
    before = {id(t) for t in _running_threads(main)}
    yield
    end = time.monotonic() + 5.0
    while True:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        qapp.processEvents()
        windows = _live(MainWindow)
        threads = [t for t in _running_threads(main) if id(t) not in before]
        if not (windows or threads) or time.monotonic() > end:
            break
        time.sleep(0.02)
    for w in windows:  # close them, so one leak does not fail every later test
        w.undo_stack.setClean()
        w.close()
        w.deleteLater()
    assert not windows, f"{len(windows)} MainWindow(s) left alive: close and deleteLater them"
    assert not threads, f"{len(threads)} QThread(s) still running after the test: {[t.objectName() for t in threads]}"
