"""Atomic saves keep the original file's permission bits; a new file gets the umask default
(issue 7 A6: saved files used to get mkstemp's 0600)."""
from __future__ import annotations

import os
import stat
import sys

import pytest

from graphlab.core import Graph
from graphlab.io import atomic_write, save

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def mode(p) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("bits", [0o644, 0o640, 0o664, 0o600, 0o755])
def test_saving_over_a_file_keeps_its_mode(tmp_path, bits):
    p = tmp_path / "net.graphlab.json"
    p.write_text("{}")
    p.chmod(bits)
    save(Graph("net"), p)
    assert mode(p) == bits
    assert '"name": "net"' in p.read_text()


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_a_new_file_gets_the_umask_default(tmp_path, mask):
    old = os.umask(mask)
    try:
        p = tmp_path / f"new{mask:o}.graphlab.json"
        save(Graph("new"), p)
        atomic_write(tmp_path / f"raw{mask:o}.bin", b"x")
    finally:
        os.umask(old)
    assert mode(p) == 0o666 & ~mask
    assert mode(tmp_path / f"raw{mask:o}.bin") == 0o666 & ~mask
    assert current_umask() == old


def test_no_temporary_file_is_left(tmp_path):
    p = tmp_path / "a.graphlab.json"
    save(Graph("a"), p)
    save(Graph("b"), p)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.graphlab.json"]
