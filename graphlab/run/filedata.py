"""The user's own in-memory datasets: .npz, CSV, MNIST/Fashion-MNIST idx files, CIFAR-10 binary.

Every reader returns tensors (X float32 [N, ...], y long [N] or float32 [N, k]) or raises
:class:`graphlab.run.datasets.DataError` naming the file. Nothing is unpickled: ``np.load`` runs with
``allow_pickle=False`` and CIFAR-10's pickled "python version" is refused.
"""
from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .datasets import DataError


def _targets(y: np.ndarray, task: str, where: str) -> tuple[torch.Tensor, str, list[str]]:
    if y.dtype.kind in "US":  # string labels: sorted classes
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
        return torch.from_numpy(y.astype(np.int64)), task, []
    yt = torch.from_numpy(y.astype(np.float32))
    return (yt.unsqueeze(1) if yt.dim() == 1 else yt), task, []


def load_npz(path: Path, xkey: str, ykey: str, task: str) -> tuple[torch.Tensor, torch.Tensor, str, list[str]]:
    if not path.is_file():
        raise DataError(f"{path}: no such file (training.dataset.path)")
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = list(z.keys())
            for k, f in ((xkey, "x"), (ykey, "y")):
                if k not in keys:
                    raise DataError(f"{path}: has no array {k!r} (training.dataset.{f}); it has {', '.join(keys)}")
            x, y = z[xkey], z[ykey]
    except DataError:
        raise
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read as .npz: {e}") from None
    if x.dtype.kind not in "biuf":
        raise DataError(f"{path}: {xkey} must be numeric, got dtype {x.dtype}")
    if x.ndim < 2 or len(x) != len(y):
        raise DataError(f"{path}: {xkey} must be [N, ...] and {ykey} have N rows; got {x.shape} and {y.shape}")
    yt, task, names = _targets(np.asarray(y), task, str(path))
    return torch.from_numpy(x.astype(np.float32)), yt, task, names


def load_csv(path: Path, label: Any, task: str) -> tuple[torch.Tensor, torch.Tensor, str, list[str]]:
    if not path.is_file():
        raise DataError(f"{path}: no such file (training.dataset.path)")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read: {e}") from None
    if not rows:
        raise DataError(f"{path}: the file is empty")

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
            raise DataError(f"{path}: line {i} has {len(r)} columns, expected {width}")
        try:
            feats.append([float(c) for j, c in enumerate(r) if j != col])
        except ValueError:
            raise DataError(f"{path}: line {i}: feature values must be numbers") from None
        labels.append(r[col].strip())
    if not feats:
        raise DataError(f"{path}: no data rows")
    if all(numeric(v) for v in labels):
        y = np.array([float(v) for v in labels])
        if task != "regression" and np.all(y == np.round(y)):
            y = y.astype(np.int64)
    else:
        y = np.array(labels)
    yt, task, names = _targets(y, task, str(path))
    return torch.tensor(feats, dtype=torch.float32), yt, task, names


# ---------------------------------------------------------------------------------------------

_MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
_MNIST_DIRS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}


def _read_idx(path: Path) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 8 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise DataError(f"{path}: not an idx file of unsigned bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataError(f"{path}: truncated ({data.size} values, header says {int(np.prod(dims))})")
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
        raise DataError(f"{found[0]}: expected [N, 28, 28] images and N labels")
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
        raw = np.frombuffer(f.read_bytes(), dtype=np.uint8)
        if raw.size % 3073:
            raise DataError(f"{f}: not a CIFAR-10 binary batch ({raw.size} bytes)")
        recs.append(raw.reshape(-1, 3073))
    r = np.concatenate(recs)
    x = torch.from_numpy(r[:, 1:].astype(np.float32) / 255.0).reshape(-1, 3, 32, 32)
    return x, torch.from_numpy(r[:, 0].astype(np.int64))

