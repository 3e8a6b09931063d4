"""Why the editor's window cannot open here, said before Qt aborts the process with its own message.

Qt's xcb plugin (X11, Linux) needs system libraries that pip cannot install; without them
QApplication aborts. With no display at all it aborts too. :func:`window_problem` checks both
without importing Qt, so ``graphlab`` can print one clear line instead.
"""
from __future__ import annotations

import ctypes.util
import os
import sys

XCB_LIBS = {"xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
            "xkbcommon-x11": "libxkbcommon-x11-0"}


def window_problem(env: dict[str, str] | None = None) -> str | None:
    env = dict(os.environ if env is None else env)
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, wayland, vnc…: Qt's own business
    if not platform and env.get("WAYLAND_DISPLAY"):
        return None
    if not env.get("DISPLAY"):
        return ("no display: the editor needs a desktop session (DISPLAY is not set); "
                "graphlab check/train/export work without one")
    missing = [pkg for lib, pkg in XCB_LIBS.items() if ctypes.util.find_library(lib) is None]
    if missing:
        return ("the editor's window needs system libraries that are not installed: " + ", ".join(missing)
                + f" (Debian/Ubuntu: sudo apt install {' '.join(missing)})")
    return None
