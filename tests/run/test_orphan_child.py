"""The training child never outlives the editor (issue 16, item 7).

A parent process (tests/run/scripts/orphan_parent.py) starts a training child and is killed with
SIGKILL while the child trains; the child must be gone soon after, on Linux through the kernel's
parent-death signal and, without it (GL_TEST_NO_PRCTL), through its command thread's check of the
parent's pid. A child started from a thread that ends while its process lives on keeps training.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphlab.run.process import ORPHAN_EXIT, parent_gone

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and getppid")


def _start(out: Path, *args: str, **env: str) -> tuple[subprocess.Popen, int]:
    environ = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    p = subprocess.Popen([sys.executable, "-m", "tests.run.scripts.orphan_parent", str(out), *args], cwd=ROOT,
                         env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([p.stdout], [], [], 180)
    line = p.stdout.readline() if ready else ""
    if not line.strip().isdigit():
        p.kill()
        raise AssertionError(f"{line!r} {p.stderr.read()[-3000:]}")
    return p, int(line)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's reaper may be slow to wait for it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def _gone_within(pid: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _running(pid):
            return True
        time.sleep(0.05)
    return False


def _kill9(p: subprocess.Popen) -> None:
    os.kill(p.pid, signal.SIGKILL)
    assert p.wait(timeout=60) == -signal.SIGKILL


@pytest.mark.parametrize("env", [{}, {"GL_TEST_NO_PRCTL": "1"}], ids=["pdeathsig", "pid-check"])
def test_the_child_exits_when_its_parent_is_killed(tmp_path: Path, env: dict) -> None:
    p, child = _start(tmp_path / "run", **env)
    try:
        assert _running(child)
        _kill9(p)
        assert _gone_within(child, 30), "the training child outlived its parent"
        metrics = tmp_path / "run" / "metrics.jsonl"
        size = metrics.stat().st_size if metrics.exists() else 0
        time.sleep(0.5)
        assert (metrics.stat().st_size if metrics.exists() else 0) == size  # nothing writes any more
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)


def test_a_child_started_from_a_thread_that_ended_keeps_training(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG fires when the starting *thread* ends; the child checks its parent first."""
    p, child = _start(tmp_path / "run", "thread")
    try:
        time.sleep(1.0)
        assert _running(child) and p.poll() is None
        _kill9(p)
        assert _gone_within(child, 30)
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)


def test_parent_gone() -> None:
    assert not parent_gone(os.getppid()) and parent_gone(-1) and ORPHAN_EXIT not in (0, 1, 2)


def test_stop_continues_a_child_suspended_by_sigstop(tmp_path: Path) -> None:
    """Stop after SIGSTOP gave no feedback: the child could never answer. It is continued, says so,
    and ends with Finished('stopped')."""
    from graphlab.run import events as ev
    from graphlab.run.process import TrainingProcess
    from tests.run.test_process import collect_until, spiral_net

    proc = TrainingProcess(spiral_net(10_000_000), out_dir=tmp_path)
    proc.start()
    try:
        collect_until(proc, lambda e: isinstance(e, ev.Step))
        os.kill(proc._proc.pid, signal.SIGSTOP)
        end = time.monotonic() + 30
        while not proc.suspended and time.monotonic() < end:
            time.sleep(0.02)
        assert proc.suspended and not proc.continued
        proc.stop()
        assert proc.continued
        got = collect_until(proc, lambda e: isinstance(e, ev.Finished))
        assert [e for e in got if isinstance(e, ev.Finished)][0].reason == "stopped"
    finally:
        proc.kill()
        proc.close()
