"""The user's own in-memory datasets: .npz, CSV, MNIST/Fashion-MNIST idx files, CIFAR-10 binary.

Every reader returns tensors (X float32 [N, ...], y long [N] or float32 [N, k]) or raises
:class:`graphlab.run.datasets.DataError` naming the file. Nothing is unpickled: ``np.load`` runs with
``allow_pickle=False`` and CIFAR-10's pickled "python version" is refused.
"""
from __future__ import annotations

import ast
import csv
import io
import math
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..core import memory
from ..core.spec import Task
from ..core.text import error_line
from ..io.readfile import open_regular, read_limited, read_stream
from .datasets import DataError


#: class labels must be below this (a label of 10^12 would ask for 10^12 scores)
MAX_CLASSES = 1_000_000
#: a CSV cell may be this long (Python's csv module refuses longer ones: 128 KiB)
CSV_FIELD_LIMIT = csv.field_size_limit()


def _targets(y: np.ndarray, task: str, where: str) -> tuple[torch.Tensor, Task, list[str]]:
    if y.ndim == 0:
        raise DataError(f"{where}: the labels are one scalar; they must hold one label (or target row) per sample")
    if y.dtype.kind in "US":  # string labels: sorted classes
        if y.ndim != 1:
            raise DataError(f"{where}: text labels must be one per sample, got shape {list(y.shape)}")
        names = sorted(set(y.tolist()))
        idx = {n: i for i, n in enumerate(names)}
        return torch.tensor([idx[v] for v in y.tolist()], dtype=torch.long), "classification", names
    if y.dtype.kind not in "biuf":
        raise DataError(f"{where}: labels must be numbers or strings, got dtype {y.dtype}")
    integral = y.ndim == 1 and y.dtype.kind in "biu" or (y.ndim == 1 and y.dtype.kind == "f"
                                                        and np.all(np.isfinite(y)) and np.all(y == np.round(y)))
    if task == "auto":
        task = "classification" if integral and y.dtype.kind != "f" else "regression"
    if task == "classification":
        if not integral:
            raise DataError(f"{where}: classification needs one whole-number label per sample")
        if y.size and y.min() < 0:
            raise DataError(f"{where}: class labels must be 0, 1, 2…; found {int(y.min())}")
        if y.size and y.max() >= MAX_CLASSES:
            raise DataError(f"{where}: class labels must be below {MAX_CLASSES:,}; found {y.max():.6g}")
        return torch.from_numpy(y.astype(np.int64)), "classification", []
    yt = torch.from_numpy(y.astype(np.float32))
    return (yt.unsqueeze(1) if yt.dim() == 1 else yt), "regression", []


#: the longest .npy header read (numpy's own limit is 10,000 characters)
MAX_NPY_HEADER = 65536
_NPY_VERSIONS = {(1, 0): ("<H", "latin1"), (2, 0): ("<I", "latin1"), (3, 0): ("<I", "utf8")}


def npy_header(f: Any) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) from the header of an .npy array (format version 1.0, 2.0 or 3.0), reading
    nothing past it; ValueError saying what is wrong for anything else. The header is a Python
    literal, read with ``ast.literal_eval`` (no code runs)."""
    magic = f.read(8)
    if len(magic) < 8 or magic[:6] != b"\x93NUMPY":
        raise ValueError("not an .npy array (no NUMPY magic)")
    version = (magic[6], magic[7])
    if version not in _NPY_VERSIONS:
        raise ValueError(f"an .npy format version {version[0]}.{version[1]} header, which this reader does not know")
    length_fmt, encoding = _NPY_VERSIONS[version]
    raw_len = f.read(struct.calcsize(length_fmt))
    if len(raw_len) < struct.calcsize(length_fmt):
        raise ValueError("the .npy header is cut short")
    n = struct.unpack(length_fmt, raw_len)[0]
    if n > MAX_NPY_HEADER:
        raise ValueError(f"an .npy header of {n:,} bytes (at most {MAX_NPY_HEADER:,})")
    text = f.read(n)
    if len(text) < n:
        raise ValueError("the .npy header is cut short")
    try:
        d = ast.literal_eval(text.decode(encoding))
        shape, descr = d["shape"], d["descr"]
        ok = (isinstance(d, dict) and set(d) == {"descr", "fortran_order", "shape"} and isinstance(shape, tuple)
              and all(type(v) is int and v >= 0 for v in shape))
        dtype = np.lib.format.descr_to_dtype(descr) if ok else None
    except Exception as e:  # noqa: BLE001 - a malformed literal raises SyntaxError, ValueError, MemoryError...
        raise ValueError(f"an unreadable .npy header ({error_line(e, 80, with_type=True)})") from None
    if dtype is None:
        raise ValueError("an .npy header without a valid shape and dtype")
    return shape, dtype


def _npz_member_bytes(zf: zipfile.ZipFile, key: str) -> int:
    """The bytes array ``key`` of an .npz will take as float32 beside its own copy, from its header
    alone (nothing else is read); ValueError when the header cannot be read."""
    with zf.open(key + ".npy") as f:
        shape, dtype = npy_header(f)
    return math.prod(shape) * (dtype.itemsize + 4)


def load_npz(path: Path, xkey: str, ykey: str, task: str) -> tuple[torch.Tensor, torch.Tensor, Task, list[str]]:
    """Arrays ``xkey`` (samples) and ``ykey`` (labels or targets) of an .npz file, checked: an .npy or
    a truncated or corrupt archive, a missing key, a scalar, a header that cannot be read, sizes
    beyond memory, not a regular file — each one line naming the file and the field."""
    try:
        fh = open_regular(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file (training.dataset.path)") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e} (training.dataset.path)") from None
    with fh:
        x, y = _read_npz(fh, path, xkey, ykey)
    if x.dtype.kind not in "biuf":
        raise DataError(f"{path}: {xkey!r} must be numeric, got dtype {x.dtype} (training.dataset.x)")
    if x.ndim < 2:
        raise DataError(f"{path}: {xkey!r} must be [N, ...] samples, got shape {list(x.shape)} (training.dataset.x)")
    if y.ndim == 0 or len(x) != len(y):
        raise DataError(f"{path}: {ykey!r} must have one row per sample ({len(x)}), got shape {list(y.shape)} "
                        f"(training.dataset.y)")
    yt, task, names = _targets(np.asarray(y), task, f"{path} ({ykey!r}, training.dataset.y)")
    return torch.from_numpy(x.astype(np.float32)), yt, task, names


def _read_npz(fh: Any, path: Path, xkey: str, ykey: str) -> tuple[np.ndarray, np.ndarray]:
    """The two arrays of an open .npz file, their sizes checked from their headers first."""
    try:
        if not zipfile.is_zipfile(fh):
            fh.seek(0)
            kind = "an .npy array file" if fh.read(6) == b"\x93NUMPY" else "not an .npz archive"
            raise DataError(f"{path}: {kind}; training.dataset.path must name an .npz file (np.savez), "
                            f"whose arrays are named by training.dataset.x and .y")
        fh.seek(0)
        with zipfile.ZipFile(fh) as zf:
            keys = [n[:-4] for n in zf.namelist() if n.endswith(".npy")]
            for k, f in ((xkey, "x"), (ykey, "y")):
                if k not in keys:
                    raise DataError(f"{path}: has no array {k!r} (training.dataset.{f}); it has "
                                    f"{', '.join(map(repr, keys)) or 'no arrays'}")
            need = 0
            for k, f in ((xkey, "x"), (ykey, "y")):
                try:
                    need += _npz_member_bytes(zf, k)
                except ValueError as e:
                    raise DataError(f"{path}: array {k!r} has {e} (training.dataset.{f})") from None
            avail = memory.available_bytes()
            if need > avail:
                raise DataError(f"{path}: arrays {xkey!r} and {ykey!r} need {memory.fmt_bytes(need)} as float32, more "
                                f"than the {memory.fmt_bytes(avail)} of memory available (training.dataset.path)")
        fh.seek(0)
        with np.load(fh, allow_pickle=False) as z:
            return z[xkey], z[ykey]
    except DataError:
        raise
    except MemoryError:
        raise DataError(f"{path}: the arrays do not fit in memory (training.dataset.path)") from None
    except Exception as e:  # noqa: BLE001 - a corrupt archive raises BadZipFile, zlib.error, EOFError, ValueError...
        raise DataError(f"{path}: cannot read as .npz ({error_line(e, with_type=True)}) (training.dataset.path)") from None


#: a CSV file may take this share of the memory available as bytes (its cells as Python objects
#: take many times their text)
CSV_MEMORY_SHARE = 16


def load_csv(path: Path, label: Any, task: str) -> tuple[torch.Tensor, torch.Tensor, Task, list[str]]:
    reader = None
    try:
        with open_regular(path) as raw:
            budget = memory.available_bytes() // CSV_MEMORY_SHARE
            text = read_stream(raw, budget, path, "for a CSV file in the memory available").decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = [r for r in reader if r and any(c.strip() for c in r)]
    except FileNotFoundError:
        raise DataError(f"{path}: no such file (training.dataset.path)") from None
    except csv.Error as e:  # a cell over the csv module's limit, a NUL byte, a broken quote
        line = f"line {reader.line_num}: " if reader is not None else ""
        raise DataError(f"{path}: {line}not a CSV file this reader can use ({error_line(e, with_type=True)}; cells are limited "
                        f"to {CSV_FIELD_LIMIT:,} characters) (training.dataset.path)") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or error_line(e)} (training.dataset.path)") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: cannot read: {error_line(e, with_type=True)} (training.dataset.path)") from None
    if not rows:
        raise DataError(f"{path}: the file is empty (training.dataset.path)")

    def numeric(cell: str) -> bool:
        try:
            float(cell)
            return True
        except ValueError:
            return False

    header = rows[0] if not all(numeric(c) for c in rows[0]) else None
    body = rows[1:] if header else rows
    width = len(rows[0])
    if isinstance(label, str):
        if header is None or label not in header:
            raise DataError(f"{path}: no column named {label!r} (training.dataset.label)")
        col = header.index(label)
    else:
        col = label if label >= 0 else width + label
        if not 0 <= col < width:
            raise DataError(f"{path}: column {label} does not exist; the file has {width} (training.dataset.label)")
    feats, labels = [], []
    for i, r in enumerate(body, start=2 if header else 1):
        if len(r) != width:
            raise DataError(f"{path}: line {i} has {len(r)} columns, expected {width} (training.dataset.path)")
        try:
            feats.append([float(c) for j, c in enumerate(r) if j != col])
        except ValueError:
            raise DataError(f"{path}: line {i}: feature values must be numbers (training.dataset.path)") from None
        labels.append(r[col].strip())
    if not feats:
        raise DataError(f"{path}: no data rows (training.dataset.path)")
    if all(numeric(v) for v in labels):
        y = np.array([float(v) for v in labels])
        if task != "regression" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
    else:
        y = np.array(labels)
    yt, task, names = _targets(y, task, str(path))
    return torch.tensor(feats, dtype=torch.float32), yt, task, names


# ---------------------------------------------------------------------------------------------

_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
_MNIST_DIRS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}


def _gunzip(path: Path, limit: int) -> bytes:
    """The decompressed bytes of a .gz file, at most ``limit`` of them (a small file can inflate to
    anything); DataError naming the file when the body is not gzip or is cut short."""
    d = zlib.decompressobj(wbits=31)  # gzip header and trailer
    try:
        out = d.decompress(read_limited(path, limit, "in the memory available"), limit + 1)
        if len(out) > limit:
            raise DataError(f"{path}: decompresses to more than {memory.fmt_bytes(limit)}, more than memory allows "
                            f"(training.dataset.root)")
        if not d.eof:
            raise DataError(f"{path}: the gzip data is cut short (training.dataset.root)")
    except zlib.error as e:
        raise DataError(f"{path}: not a valid .gz file ({e}) (training.dataset.root)") from None
    return out


def _read_idx(path: Path) -> np.ndarray:
    """An idx file of unsigned bytes (MNIST's format), gzipped or not; DataError naming the file."""
    try:
        limit = memory.available_bytes() // 2
        raw = _gunzip(path, limit) if path.suffix == ".gz" else read_limited(path, limit, "in the memory available")
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or error_line(e)} (training.dataset.root)") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise DataError(f"{path}: not an idx file of unsigned bytes (training.dataset.root)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{path}: truncated: the header names {ndim} dimensions but the file ends inside it "
                        f"(training.dataset.root)")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(dims):
        raise DataError(f"{path}: truncated ({data.size:,} values, the header says {math.prod(dims):,}) "
                        f"(training.dataset.root)")
    return data.reshape(dims)


def load_mnist(root: Path, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The training split of MNIST/Fashion-MNIST from idx files under root (torchvision's layout too)."""
    found = []
    for fname in _MNIST_FILES:
        cands = [d / (fname + s) for d in (root, root / _MNIST_DIRS[name] / "raw", root / "raw") for s in ("", ".gz")]
        hit = next((c for c in cands if c.is_file()), None)
        if hit is None:
            raise DataError(f"{name}: {fname}[.gz] not found under {root} (training.dataset.root); GraphLab "
                            f"does not download: put the idx files there (torchvision's {_MNIST_DIRS[name]}/raw "
                            "layout works)")
        found.append(hit)
    images, labels = _read_idx(found[0]), _read_idx(found[1])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(f"{found[0]}: expected [N, 28, 28] images and N labels, got {list(images.shape)} and "
                        f"{list(labels.shape)} (training.dataset.root)")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def load_cifar10(root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10's five training batches, binary version (1 label byte + 3072 pixel bytes per record)."""
    d = next((c for c in (root / "cifar-10-batches-bin", root) if (c / "data_batch_1.bin").is_file()), None)
    if d is None:
        if (root / "cifar-10-batches-py").is_dir() or (root / "data_batch_1").is_file():
            raise DataError(f"cifar10: {root} holds the pickled python version; GraphLab never unpickles "
                            "files: use the binary version (cifar-10-binary.tar.gz, cifar-10-batches-bin)")
        raise DataError(f"cifar10: cifar-10-batches-bin/data_batch_1.bin not found under {root} "
                        "(training.dataset.root); GraphLab does not download: extract cifar-10-binary.tar.gz there")
    recs = []
    for i in range(1, 6):
        f = d / f"data_batch_{i}.bin"
        if not f.is_file():
            raise DataError(f"cifar10: {f} is missing")
        try:
            raw = np.frombuffer(read_limited(f, memory.available_bytes() // 4, "in the memory available"),
                                dtype=np.uint8)
        except OSError as e:
            raise DataError(f"{f}: cannot read: {e.strerror or error_line(e)} (training.dataset.root)") from None
        if raw.size % 3073 or not raw.size:
            raise DataError(f"{f}: not a CIFAR-10 binary batch ({raw.size:,} bytes, not a multiple of 3,073) "
                            f"(training.dataset.root)")
        recs.append(raw.reshape(-1, 3073))
    r = np.concatenate(recs)
    x = torch.from_numpy(r[:, 1:].astype(np.float32) / 255.0).reshape(-1, 3, 32, 32)
    return x, torch.from_numpy(r[:, 0].astype(np.int64))

