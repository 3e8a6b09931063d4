"""Leftovers of crashed writes (issue 8, item 12): temporary files carry their owner's pid; the next
save, checkpoint or run removes those whose owner is gone, and never a live writer's."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import graphlab
from graphlab.core import Graph
from graphlab.io import tempfiles
from graphlab.io.tempfiles import clean_stale, create_temp, is_stale, owner

ROOT = Path(__file__).resolve().parents[2]

#: a writer that creates its temporary file, writes half of it and dies (kill -9 mid-save)
CRASH = """
import os, sys
from pathlib import Path
from graphlab.io.tempfiles import create_temp
fd, tmp = create_temp(Path(sys.argv[1]))
os.write(fd, b"half a file")
print(tmp, flush=True)
if sys.argv[2] == "crash":
    os._exit(9)
sys.stdin.readline()  # a live writer: holds its temporary file until told
"""


def _writer(target: Path, how: str) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", CRASH, str(target), how], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True, env=env)
    tmp = Path(proc.stdout.readline().strip())
    assert tmp.is_file()
    return proc, tmp


def _graph() -> Graph:
    g = Graph("g")
    g.add_node("Input", {"shape": [3]}, node_id="x")
    return g


def test_a_crashed_saves_leftover_is_removed_by_the_next_save(tmp_path: Path) -> None:
    target = tmp_path / "g.graphlab.json"
    proc, tmp = _writer(target, "crash")
    assert proc.wait() == 9
    assert owner(tmp.name) == (proc.pid, tempfiles._host()) and is_stale(tmp)
    graphlab.save(_graph(), target)
    assert not tmp.exists() and graphlab.load(target).name == "g"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.graphlab.json"]


def test_a_live_writers_file_is_never_removed(tmp_path: Path) -> None:
    target = tmp_path / "g.graphlab.json"
    proc, tmp = _writer(target, "live")
    try:
        assert not is_stale(tmp)
        graphlab.save(_graph(), target)
        graphlab.save(_graph(), tmp_path / "other.graphlab.json")
        assert tmp.is_file(), "a live writer's temporary file was removed"
    finally:
        proc.stdin.close()
        proc.wait()
    graphlab.save(_graph(), target)  # its owner is gone now
    assert not tmp.exists()


def test_a_crashed_checkpoints_leftover_is_removed_by_the_next_save_and_run(tmp_path: Path) -> None:
    import torch

    from graphlab.run import events as ev
    from graphlab.run.checkpoint import save_checkpoint
    from graphlab.run.trainer import Trainer

    out = tmp_path / "run"
    out.mkdir()
    proc, tmp = _writer(out / "last.safetensors", "crash")
    proc.wait()
    save_checkpoint(out / "last.safetensors", torch.nn.Linear(2, 2), None, epoch=1, step=1)
    assert not tmp.exists()
    proc, tmp = _writer(out / "last.safetensors", "crash")
    proc.wait()
    g = graphlab.load(ROOT / "examples" / "spiral_linear.graphlab.json")
    events = Trainer(g, out_dir=out, checkpoint_interval=1e9).events()
    first = next(events)
    assert isinstance(first, ev.RunStarted) and not tmp.exists(), "a run cleans its folder when it starts"
    assert list(events)[-1].reason == "completed"


def test_other_hosts_files_are_stale_only_after_a_day(tmp_path: Path) -> None:
    name = f".g.graphlab.json.gl-{os.getpid()}-otherhost-0123abcd.tmp"
    p = tmp_path / name
    p.write_bytes(b"x")
    assert owner(name) == (os.getpid(), "otherhost")
    assert not is_stale(p) and clean_stale(tmp_path) == []
    old = time.time() - 2 * tempfiles.FOREIGN_AGE_S
    os.utime(p, (old, old))
    assert clean_stale(tmp_path) == [p] and not p.exists()


def test_only_graphlabs_temporary_files_are_touched(tmp_path: Path) -> None:
    keep = [".notes.tmp", "data.tmp", ".g.json.gl-x-host-0123abcd.tmp", ".g.json.12345.tmp", "a.gl-1-h-0123abcd.tmp"]
    for k in keep:
        (tmp_path / k).write_bytes(b"mine")
    old = time.time() - 10 * tempfiles.FOREIGN_AGE_S
    for k in keep:
        os.utime(tmp_path / k, (old, old))
    assert clean_stale(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)


def test_names_fit_any_target(tmp_path: Path) -> None:
    target = tmp_path / ("é" * 120 + ".graphlab.json")  # 255 bytes: the longest name a file system allows
    target.write_text("{}")
    fd, tmp = create_temp(target)
    os.close(fd)
    assert len(tmp.name.encode()) < 255 and owner(tmp.name) == (os.getpid(), tempfiles._host())
    tmp.unlink()


def test_a_save_keeps_the_files_mode(tmp_path: Path) -> None:
    target = tmp_path / "g.graphlab.json"
    graphlab.save(_graph(), target)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # a new file: the umask's default
    os.chmod(target, 0o640)
    graphlab.save(_graph(), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640

