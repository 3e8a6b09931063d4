"""A throw-away PostgreSQL server for the search tests: initdb and pg_ctl on a Unix socket in a temporary
folder, trust authentication, no TCP port; stopped and removed afterwards.

Debian's ``postgresql`` package puts the binaries in /usr/lib/postgresql/<version>/bin (``.ci/run``
installs it). initdb refuses to run as root, so as root they run as the ``postgres`` user (``runuser``)
on folders chowned to it. The tests that need the server skip, saying why, only when the binaries
are not installed.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return versions[-1] if versions else None


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser: initdb cannot run as the postgres user")
    return [runuser, "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def postgres_url():
    """``postgresql://postgres@/postgres?host=<socket folder>`` of a fresh server."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed; on Debian/Ubuntu: "
                    "apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="graphlab-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        for p in (root, sock):
            os.chown(p, pw.pw_uid, pw.pw_gid)
    log = root / "server.log"
    run = lambda cmd: subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=120)  # noqa: E731
    r = run([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
    assert r.returncode == 0, f"initdb failed: {r.stderr}"
    r = run([pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "start", "-o",
             f"-k {sock} -c listen_addresses='' -c fsync=off -c max_connections=100"])
    assert r.returncode == 0, f"pg_ctl start failed: {r.stderr} {log.read_text() if log.exists() else ''}"
    try:
        yield f"postgresql://postgres@/postgres?host={sock}"
    finally:
        run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)
