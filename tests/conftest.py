"""Shared test set-up. Qt runs offscreen; torch uses one thread so tests are repeatable and polite.

* torch's thread count is set to 1 once, as soon as torch has been imported (this file never imports
  it: a run of the pure-core tests stays torch-free, as the import contracts expect of the code).
* ``cli``: runs ``graphlab ARGV`` in-process (``graphlab.cli.main``) and returns what a shell would
  see, as a ``subprocess.CompletedProcess``: Python warnings are printed to stderr as a shell shows
  them. It checks that the command left the process as it found it (working folder, torch threads,
  logging handlers, the SIGINT handler).
* ``gl_subprocess``: the same in a fresh interpreter, for the one smoke test per command that
  checks what only a real process shows.

``pytest -m "not slow"`` is the development loop; the full run (the README's test command) runs
the slow tests too.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the matmul peak the training process measures is cached per machine (graphlab.run.peak): the tests keep
# theirs in one folder of their own (child processes inherit it), never in the user's cache
if "GRAPHLAB_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["GRAPHLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="graphlab-test-cache-")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

_threads_set = False


@pytest.fixture(autouse=True)
def _one_torch_thread() -> None:
    """torch on one thread, set once, the first time a test starts with torch imported."""
    global _threads_set
    if not _threads_set and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
        _threads_set = True


@pytest.fixture
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture(autouse=True)
def _collect_on_the_main_thread():
    """Once an editor window exists the cyclic collector runs only from the GUI thread's timer
    (graphlab.ui.gc_guard); between tests no event loop runs, so collect what is due here."""
    yield
    import gc

    if not gc.isenabled() and "graphlab.ui.gc_guard" in sys.modules:
        from graphlab.ui.gc_guard import collect_due

        collect_due()


def process_state() -> dict[str, Any]:
    """What a command run in-process must leave as it found it."""
    torch = sys.modules.get("torch")
    loggers = [logging.getLogger(), logging.getLogger("graphlab")]
    return {"cwd": os.getcwd(), "torch threads": torch.get_num_threads() if torch is not None else None,
            "log handlers": [list(lg.handlers) for lg in loggers], "logging disabled": logging.root.manager.disable,
            "SIGINT": signal.getsignal(signal.SIGINT)}


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli(*argv, cwd=None)``: ``graphlab ARGV`` run in-process, as CompletedProcess(args,
    returncode, stdout, stderr). An exception escaping main() is a traceback a user would see: it
    fails the test."""
    from graphlab.cli import main

    def run(*argv: object, cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
        args = [str(a) for a in argv]
        capsys.readouterr()  # drop what the test printed before
        home = os.getcwd()
        if cwd is not None:
            os.chdir(cwd)
        try:
            before = process_state()
            with warnings_as_a_shell_shows_them():
                code = main(args)
            after = process_state()
        finally:
            os.chdir(home)
        out, err = capsys.readouterr()
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k] and before[k] is not None}
        assert not changed, f"graphlab {' '.join(args)} changed the process: {changed}"
        return subprocess.CompletedProcess(["graphlab", *args], code, out, err)

    return run


@contextlib.contextmanager
def warnings_as_a_shell_shows_them() -> Any:
    """Python warnings printed to stderr, as a user's shell shows them (pytest would record them
    instead), every time, for the categories Python shows by default."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        for hidden in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.filterwarnings("ignore", category=hidden)

        def show(message: Any, category: Any, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
            sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

        warnings.showwarning = show
        yield


def gl_subprocess(*argv: object, cwd: str | Path | None = None, timeout: float = 300,
                  **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``python -m graphlab ARGV`` in a fresh interpreter (for the per-command smoke tests)."""
    return subprocess.run([sys.executable, "-m", "graphlab", *map(str, argv)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, **kwargs)
