"""Files that are not what they seem (issue 16, items 8, 9, 10, 12 and 13).

* A FIFO or a device (also through a symlink) is refused at once, never read: a graph file, an
  .npz, a CSV, an image in a folder, a checkpoint, step's --inputs and export's --weights.
* A graph file is read with a byte budget (``st_size`` is 0 for /dev/zero).
* .npz members of every .npy header version are counted before anything is read (version 3.0 was
  counted as 0 bytes); a header that cannot be read is refused.
* An image's size is read before its pixels: a decompression bomb is one line naming the file, and
  Pillow's DecompressionBombWarning never prints.
* Checkpoints get the mode a new file gets (not mkstemp's 0600); metrics.jsonl is never written
  through a symlink.
"""
from __future__ import annotations

import io
import json
import os
import signal
import stat
import struct
import sys
import threading
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from graphlab.io import FileFormatError, load
from graphlab.io.readfile import NotRegularFile, TooLarge, open_regular, read_limited
from graphlab.run.config import parse_training
from graphlab.run.datasets import DataError, build_dataset
from graphlab.run.filedata import npy_header
from tests.fuzz.harness import assert_clean, run_cli

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and /dev/zero")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _never_blocks(fn, *args) -> BaseException | object:
    """fn(*args) on a thread; the test fails (rather than hangs) when it blocks."""
    got: list[object] = []

    def run() -> None:
        try:
            got.append(fn(*args))
        except BaseException as e:  # noqa: BLE001 - the test looks at it
            got.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(30)
    assert got, f"{fn.__name__} blocked on a FIFO"
    return got[0]


def test_open_regular_refuses_fifos_devices_and_folders_at_once(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path / "pipe")
    link = tmp_path / "zero.graphlab.json"
    link.symlink_to("/dev/zero")
    for path, kind in ((fifo, "a FIFO"), (Path("/dev/zero"), "a character device"), (link, "a character device"),
                       (tmp_path, "a folder")):
        e = _never_blocks(open_regular, path)
        assert isinstance(e, NotRegularFile) and e.strerror.startswith(f"is {kind}"), (path, e)
    (tmp_path / "f").write_bytes(b"x" * 11)
    assert read_limited(tmp_path / "f", 11) == b"x" * 11
    with pytest.raises(TooLarge):
        read_limited(tmp_path / "f", 10)


@pytest.mark.parametrize("target", ["fifo", "zero"])
def test_a_graph_file_that_is_a_fifo_or_dev_zero_is_one_line(tmp_path: Path, target: str) -> None:
    path = tmp_path / "g.graphlab.json"
    if target == "fifo":
        _fifo(path)
    else:
        path.symlink_to("/dev/zero")
    e = _never_blocks(load, path)
    assert isinstance(e, FileFormatError) and "not a regular file" in str(e) and str(path) in str(e), e
    code, out, err = _never_blocks(run_cli, "check", path)
    assert code == 2 and "not a regular file" in err and err.count("\n") == 1


def test_a_graph_file_is_read_with_a_byte_budget_not_its_size(tmp_path: Path, monkeypatch) -> None:
    import graphlab.io.fileformat as ff

    monkeypatch.setattr(ff, "MAX_BYTES", 1000)
    big = tmp_path / "big.graphlab.json"
    big.write_bytes(b" " * 1001)
    with pytest.raises(FileFormatError, match="too large for a graph file"):
        load(big)


def _graph(folder: Path, dataset: dict, shape: list[int], classes: int = 2) -> Path:
    doc = {"graphlab": 1, "name": "d",
           "nodes": [{"id": "x", "type": "Input", "params": {"shape": shape}}, {"id": "flat", "type": "Flatten"},
                     {"id": "fc", "type": "Linear", "params": {"out_features": classes}},
                     {"id": "loss", "type": "CrossEntropyLoss"}],
           "edges": [{"from": "x", "to": "flat"}, {"from": "flat", "to": "fc"}, {"from": "fc", "to": "loss"}],
           "training": {"dataset": dataset, "epochs": 1, "batch_size": 2, "val_fraction": 0}}
    path = folder / "g.graphlab.json"
    path.write_text(json.dumps(doc))
    return path


class _Blocked(Exception):
    pass


def _on_main_thread_within(seconds: int, fn, *args):
    """fn(*args) on this (the main) thread, interrupted by SIGALRM if it blocks (train installs signal
    handlers, which only the main thread may)."""
    def alarm(signum, frame):  # noqa: ANN001
        raise _Blocked(f"{fn.__name__} blocked")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        return fn(*args)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _train(path: Path, tmp: Path) -> tuple[int, str, str]:
    result = _on_main_thread_within(60, run_cli, "train", path, "--epochs", 1, "--out", tmp / "run")
    assert_clean(result, codes=(1, 2))
    return result


@pytest.mark.parametrize("name, dataset", [("d.npz", {"name": "npz", "path": "d.npz"}),
                                           ("d.csv", {"name": "csv", "path": "d.csv"})])
def test_a_dataset_file_that_is_a_fifo_is_refused(tmp_path: Path, name: str, dataset: dict) -> None:
    _fifo(tmp_path / name)
    _, _, err = _train(_graph(tmp_path, dataset, [3]), tmp_path)
    assert name in err and "FIFO" in err and "training.dataset.path" in err


def _png_header(w: int, h: int) -> bytes:
    """A PNG whose header promises w × h RGB pixels; its (tiny) data decodes to nothing useful."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _folder(tmp: Path) -> Path:
    root = tmp / "imgs"
    for c in ("a", "b"):
        (root / c).mkdir(parents=True)
        np.save(root / c / "ok.npy", np.zeros((1, 4, 4), np.float32))
    return root


@pytest.mark.parametrize("w, h", [(30000, 30000), (10000, 10000), (6000, 6000)])
def test_a_decompression_bomb_is_refused_by_its_header_without_a_warning(tmp_path: Path, w: int, h: int) -> None:
    pytest.importorskip("PIL")
    root = _folder(tmp_path)
    (root / "a" / "zbomb.png").write_bytes(_png_header(w, h))  # sorted after ok.npy: read in the size check
    path = _graph(tmp_path, {"name": "image_folder", "path": "imgs"}, [1, 4, 4])
    code, out, err = _train(path, tmp_path)
    assert "zbomb.png" in err and "larger than GraphLab reads" in err and "Warning" not in err, err


def test_an_image_that_is_a_fifo_is_refused_naming_it(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    _fifo(root / "b" / "pipe.pgm")
    _, _, err = _train(_graph(tmp_path, {"name": "image_folder", "path": "imgs"}, [1, 4, 4]), tmp_path)
    assert "pipe.pgm" in err and "FIFO" in err


def test_an_npy_image_is_refused_by_its_header_before_its_pixels(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    header = _npy_v(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 100000, 100000), }")
    (root / "b" / "huge.npy").write_bytes(header)  # 40 GB promised, 100 bytes given
    _, _, err = _train(_graph(tmp_path, {"name": "image_folder", "path": "imgs"}, [1, 4, 4]), tmp_path)
    assert "huge.npy" in err and "larger than GraphLab reads" in err


def _npy_v(major: int, header: str) -> bytes:
    text = (header + " " * 64)[: ((len(header) + 16) // 64 + 1) * 64 - 12] + "\n"
    raw = text.encode("utf8" if major == 3 else "latin1")
    length = struct.pack("<H" if major == 1 else "<I", len(raw))
    return b"\x93NUMPY" + bytes([major, 0]) + length + raw


def _npz(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for name, raw in members.items():
            z.writestr(name + ".npy", raw)


@pytest.mark.parametrize("major", [1, 2, 3])
def test_npy_headers_of_every_version_give_shape_and_dtype(major: int) -> None:
    raw = _npy_v(major, "{'descr': '<f8', 'fortran_order': False, 'shape': (3000000, 1000), }")
    assert npy_header(io.BytesIO(raw)) == ((3_000_000, 1000), np.dtype("<f8"))
    real = io.BytesIO()
    np.lib.format.write_array(real, np.zeros((2, 3), np.int16), version=(major, 0) if major < 3 else None)
    real.seek(0)
    if major < 3:
        assert npy_header(real) == ((2, 3), np.dtype("<i2"))


def test_a_version_3_member_is_counted_before_a_12_gb_allocation(tmp_path: Path, monkeypatch) -> None:
    from graphlab.core import memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 10 ** 9)
    x = _npy_v(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (3000000, 1000), }")
    y = io.BytesIO()
    np.save(y, np.zeros(3, np.int64))
    _npz(tmp_path / "d.npz", {"x": x, "y": y.getvalue()})
    _, _, err = _train(_graph(tmp_path, {"name": "npz", "path": "d.npz", "x": "x", "y": "y"}, [1000]), tmp_path)
    assert "d.npz" in err and "more than the 1.0 GB of memory available" in err, err


@pytest.mark.parametrize("raw, says", [
    (b"\x93NUMPY\x04\x00\x10\x00" + b" " * 16, "format version 4.0"),
    (_npy_v(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }"), "without a valid shape"),
    (_npy_v(1, "__import__('os').system('echo pwned')"), "unreadable .npy header"),
    (b"\x93NUMPY\x01\x00\xff\xff", "cut short"),
])
def test_a_member_whose_header_cannot_be_read_is_refused(tmp_path: Path, raw: bytes, says: str) -> None:
    y = io.BytesIO()
    np.save(y, np.zeros(3, np.int64))
    _npz(tmp_path / "d.npz", {"x": raw, "y": y.getvalue()})
    with pytest.raises(DataError) as e:
        build_dataset(parse_training({"dataset": {"name": "npz", "path": "d.npz", "x": "x", "y": "y"}}), tmp_path)
    msg = str(e.value)
    assert "d.npz" in msg and "'x'" in msg and says in msg and "training.dataset.x" in msg and "\n" not in msg


def test_checkpoints_get_the_mode_of_a_new_file_not_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        result = run_cli("train", EXAMPLES / "spiral_linear.graphlab.json", "--epochs", 1, "--out", tmp_path / "run")
    finally:
        os.umask(old)
    assert_clean(result, codes=(0,))
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "run").iterdir()}
    assert modes["last.safetensors"] == 0o644 and modes["metrics.jsonl"] == 0o644, modes
    (tmp_path / "run" / "last.safetensors").chmod(0o640)  # a later checkpoint keeps the file's own bits
    from graphlab.run.checkpoint import save_checkpoint
    import torch

    save_checkpoint(tmp_path / "run" / "last.safetensors", torch.nn.Linear(2, 2), None, epoch=1, step=1)
    assert stat.S_IMODE((tmp_path / "run" / "last.safetensors").stat().st_mode) == 0o640


def test_metrics_are_never_written_through_a_symlink(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.jsonl").symlink_to(victim)
    code, _, err = run_cli("train", EXAMPLES / "spiral_linear.graphlab.json", "--epochs", 1, "--out", out)
    assert code == 2 and "metrics.jsonl is a symbolic link" in err and err.count("\n") == 1, err
    assert victim.read_text() == "keep me"
