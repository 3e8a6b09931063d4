"""Opening files people hand to GraphLab: regular files only, and never more bytes than a budget.

Every reader of a user's file (graph files, datasets, images, checkpoints' neighbours) opens it
with :func:`open_regular` or reads it with :func:`read_limited`:

* The file is opened with ``O_NONBLOCK``, so opening a FIFO (named pipe) returns at once instead of
  waiting for a writer, and then ``fstat`` of the opened descriptor must say *regular file*: a
  FIFO, a character device (``/dev/zero``, also through a symlink), a socket or a folder is
  refused with :class:`NotRegularFile` naming what it is.
* :func:`read_limited` reads at most ``limit + 1`` bytes and refuses the file with
  :class:`TooLarge` when there are more. ``st_size`` is never trusted (it is 0 for ``/dev/zero``
  and for files that grow while they are read).

Both errors are :class:`OSError`\\ s with a readable ``strerror``, so a reader's existing
``except OSError`` turns them into its one-line message naming the file.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


class NotRegularFile(OSError):
    """The path names a FIFO, a device, a socket or a folder, not a regular file."""


class TooLarge(OSError):
    """The file holds more bytes than the reader's budget."""


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """The file opened for reading in binary, refusing anything but a regular file without ever
    blocking on it. Raises FileNotFoundError, PermissionError, NotRegularFile (all OSErrors)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _kind(mode)
            raise NotRegularFile(errno.EINVAL, f"is {kind}, not a regular file", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a regular file reads the same either way; callers expect blocking
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def ensure_regular(path: str | os.PathLike[str]) -> None:
    """Refuse (NotRegularFile, FileNotFoundError…) what :func:`open_regular` refuses, before a
    library that opens the path itself (safetensors, torch.load) can block on a FIFO or read a device."""
    open_regular(path).close()


def read_limited(path: str | os.PathLike[str], limit: int, what: str = "") -> bytes:
    """All the bytes of a regular file, refusing it (TooLarge) when it holds more than ``limit``."""
    with open_regular(path) as f:
        return read_stream(f, limit, path, what)


def read_stream(f: BinaryIO, limit: int, path: str | os.PathLike[str], what: str = "") -> bytes:
    """What is left in an open file, at most ``limit`` bytes (TooLarge when there are more)."""
    data = f.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(errno.EFBIG, f"holds more than {_fmt(limit)}{' ' + what if what else ''}", str(Path(path)))
    return data


def _fmt(n: int) -> str:
    for unit, size in (("GB", 1000 ** 3), ("MB", 1000 ** 2), ("KB", 1000)):
        if n >= size:
            return f"{n / size:g} {unit}"
    return f"{n} bytes"
