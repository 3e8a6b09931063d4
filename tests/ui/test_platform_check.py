"""The editor says why its window cannot open instead of letting Qt abort."""
import ctypes.util
import subprocess
import sys

import pytest

from graphlab.ui.platform_check import window_problem
from tests.conftest import ROOT


def test_no_display_is_explained(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    assert "no display" in window_problem({})
    assert window_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert window_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None


def test_missing_xcb_libraries_are_named(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None if name == "xcb-cursor" else "lib.so")
    msg = window_problem({"DISPLAY": ":0"})
    assert "libxcb-cursor0" in msg and "apt install libxcb-cursor0" in msg and "icccm" not in msg
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "lib.so")
    assert window_problem({"DISPLAY": ":0"}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux/X11")
def test_graphlab_without_a_display_exits_2_with_one_line():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    r = subprocess.run([sys.executable, "-m", "graphlab", "examples/lenet5.graphlab.json"], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=60)
    assert r.returncode == 2 and "no display" in r.stderr and "Traceback" not in r.stderr
