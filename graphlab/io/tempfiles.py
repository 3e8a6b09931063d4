"""Temporary files of atomic writes, named by their owner so that leftovers can be cleaned safely.

An atomic write (a graph file, a checkpoint, an export) goes to a temporary file beside its target
and is renamed over it. A crash in between leaves the temporary file behind (48 MB and 193 MB seen).
So every temporary file is named

    .<target name>.gl-<pid>-<host>-<random>.tmp

and each later write into the same folder (and the trainer, when it starts) removes the *stale*
ones: those whose owner process is gone, on this host. A live writer's file is never removed: its pid
is alive. A file from another host (a shared folder) is stale only when it has not changed for a day,
and where this platform cannot tell whether a pid is alive (Windows), the same age rule applies.
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import socket
import time
from pathlib import Path

SUFFIX = ".tmp"
#: a temp file from another host, or of a pid this platform cannot check, is stale after this long
FOREIGN_AGE_S = 24 * 3600
_NAME = re.compile(r"^\..*\.gl-(?P<pid>\d{1,10})-(?P<host>[A-Za-z0-9-]{1,32})-[0-9a-f]{8}\.tmp$", re.DOTALL)
_TARGET_BYTES = 120  # keep the whole name under the 255 bytes file systems allow


def _host() -> str:
    name = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname() or "host")[:32].strip("-")
    return name or "host"


def temp_name(target: str) -> str:
    """A fresh temporary file name for ``target`` (a file name, not a path), owned by this process."""
    short = target.encode("utf-8", "surrogateescape")[:_TARGET_BYTES].decode("utf-8", "ignore")
    return f".{short}.gl-{os.getpid()}-{_host()}-{secrets.token_hex(4)}{SUFFIX}"


def create_temp(target: Path, mode: int = 0o666) -> tuple[int, Path]:
    """Create a new temporary file beside ``target`` (exclusively) and return (fd, path). ``mode`` is
    masked by the umask, as for any new file."""
    for _ in range(100):
        path = target.parent / temp_name(target.name)
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(target.parent))


def owner(name: str) -> tuple[int, str] | None:
    """(pid, host) of a temporary file made here, from its name; None for any other file."""
    m = _NAME.match(name)
    return (int(m["pid"]), m["host"]) if m else None


def pid_alive(pid: int) -> bool | None:
    """Whether a process with this pid exists on this host; None where this cannot be told."""
    if os.name == "nt":
        return None  # os.kill(pid, 0) would terminate the process there
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except (OSError, OverflowError):
        return None
    return True


def is_stale(path: Path, now: float | None = None) -> bool:
    """A temporary file made by GraphLab whose writer is gone (see the module docstring)."""
    who = owner(path.name)
    if who is None:
        return False
    pid, host = who
    if host == _host():
        alive = pid_alive(pid)
        if alive is not None:
            return not alive
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except OSError:
        return False
    return age > FOREIGN_AGE_S


def clean_stale(folder: Path) -> list[Path]:
    """Remove the stale temporary files in ``folder``; return those removed. Never raises."""
    removed: list[Path] = []
    try:
        candidates = [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(SUFFIX)]
    except OSError:
        return removed
    for p in candidates:
        try:
            if is_stale(p):
                p.unlink()
                removed.append(p)
        except OSError:
            continue
    return removed


__all__ = ["clean_stale", "create_temp", "is_stale", "owner", "pid_alive", "temp_name"]
