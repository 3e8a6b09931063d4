"""One recovery file per editor window (issue 8 item 11), with real processes and kill -9.

Each child process opens a window, edits, autosaves and waits; the test kills some with SIGKILL
(what a crash leaves behind) and opens windows of its own on the same recovery folder."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import snapshot

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def start(folder: Path, name: str, mode: str = "wait") -> tuple[subprocess.Popen, Path]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    p = subprocess.Popen([sys.executable, "-m", "tests.ui.scripts.recovery_owner", str(folder), name, mode],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([p.stdout], [], [], 120)
    line = p.stdout.readline() if ready else ""
    if not line.startswith("saved "):
        p.kill()
        raise AssertionError(f"{name}: {line!r} {p.stderr.read()[-2000:]}")
    return p, Path(line.split(" ", 1)[1].strip())


def kill9(p: subprocess.Popen) -> None:
    os.kill(p.pid, signal.SIGKILL)
    assert p.wait(timeout=60) == -signal.SIGKILL


@pytest.mark.slow
def test_two_windows_two_crashes_nothing_lost(make_window, tmp_path):
    folder = tmp_path / "recovery"
    folder.mkdir()
    a, a_file = start(folder, "net_a")
    b, b_file = start(folder, "net_b")
    try:
        assert a_file != b_file and a_file.exists() and b_file.exists()  # both windows' work is on disk
        assert str(a.pid) in a_file.name and str(b.pid) in b_file.name
        kill9(a)

        # a new window is offered only A's file: B's window is alive
        w = make_window(recovery=folder)
        pending = w.autosave.pending()
        assert [rf.graph_path for rf in pending] == [a_file]
        assert pending[0].read().name == "net_a"
        # declining deletes A's file only
        w.prompts.restore_answer = False
        assert not w.offer_recovery()
        assert not a_file.exists() and b_file.exists()
        # a window that never autosaved closes: B's file stays
        w.close()
        assert b_file.exists()
        # another process's window closes cleanly: it removes its own file, not B's
        c, c_file = start(folder, "net_c", "close")
        assert c.wait(timeout=120) == 0, c.stderr.read()[-2000:]
        assert not c_file.exists() and b_file.exists()

        # B crashes too: its work is offered and restored
        kill9(b)
        w2 = make_window(recovery=folder)
        assert [rf.graph_path for rf in w2.autosave.pending()] == [b_file]
        w2.prompts.restore_answer = True
        assert w2.offer_recovery()
        assert w2.document.graph.name == "net_b" and len(w2.document.graph.nodes) == 2 and len(w2.document.graph.edges) == 1
        assert w2.isWindowModified()
        assert not b_file.exists() and w2.autosave.path.exists()  # adopted by w2 until it saves or closes
        restored = snapshot(w2)
        assert w2.autosave.path.read_text("utf-8") == restored
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()


@pytest.mark.slow
def test_both_crash_both_are_offered(make_window, tmp_path):
    folder = tmp_path / "recovery"
    folder.mkdir()
    procs = [start(folder, name) for name in ("first", "second")]
    try:
        for p, _ in procs:
            kill9(p)
        w = make_window(recovery=folder)
        asked: list[str | None] = []
        w.prompts.restore = lambda origin: asked.append(origin) or False
        assert not w.offer_recovery()
        assert len(asked) == 2  # both offered, one after the other
        assert not any(f.exists() for _, f in procs)  # both declined: both deleted
    finally:
        for p, _ in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()


@pytest.mark.slow
def test_a_file_whose_pid_now_runs_another_process_is_offered(make_window, tmp_path):
    """pid reuse: the recorded start time differs from the running process's."""
    from graphlab.ui.recovery import process_start_time

    if process_start_time(os.getpid()) is None:
        pytest.skip("no /proc start times here")
    folder = tmp_path / "recovery"
    w = make_window(recovery=folder)
    w.controller.add_node("ReLU")
    assert w.autosave.save_now()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        meta = w.autosave.meta_path.read_text()
        fake_graph = folder / f"recovery-{sleeper.pid}-abcd1234.graphlab.json"
        fake_graph.write_bytes(w.autosave.path.read_bytes())
        (folder / f"recovery-{sleeper.pid}-abcd1234.meta.json").write_text(
            meta.replace(f'"pid": {w.autosave.pid}', f'"pid": {sleeper.pid}').replace(
                f'"started": {process_start_time(w.autosave.pid)}', '"started": 1'))
        w2 = make_window(recovery=folder)
        assert [rf.graph_path for rf in w2.autosave.pending()] == [fake_graph]  # not w's: w is alive
        (folder / f"recovery-{sleeper.pid}-abcd1234.meta.json").write_text(
            meta.replace(f'"pid": {w.autosave.pid}', f'"pid": {sleeper.pid}').replace(
                f'"started": {process_start_time(w.autosave.pid)}', f'"started": {process_start_time(sleeper.pid)}'))
        assert w2.autosave.pending() == []  # the same process that wrote it: alive
        live = next(rf for rf in w2.autosave.all_files() if rf.graph_path == fake_graph)
        assert not w2.autosave.discard_file(live) and fake_graph.exists()  # never deletes a live owner's file
    finally:
        sleeper.kill()
        sleeper.wait()
