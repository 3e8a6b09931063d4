"""The fuzz suite, data files: npz archives (any dtype, shape and key, truncated or corrupted), CSV text
(hostile cells, ragged rows, huge cells), idx files (random headers and bodies, gzipped or not) and
image folders with broken images, each trained for one epoch. Every run exits 0, 1 or 2 with no
traceback and a message naming the file."""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from graphlab.core import memory

from .harness import assert_clean, run_cli
from .strategies import fuzz_settings, hostile_text

DTYPES = ["float32", "float64", "int64", "uint8", "bool", "float16", "complex64", "<U3", "int8", "uint64"]


def _graph(folder: Path, dataset: dict, shape: list[int]) -> Path:
    nodes = [{"id": "x", "type": "Input", "params": {"shape": shape}}, {"id": "flat", "type": "Flatten"},
             {"id": "fc", "type": "Linear", "params": {"out_features": 2}}, {"id": "loss", "type": "CrossEntropyLoss"}]
    if len(shape) == 1:
        nodes.pop(1)
    ids = [n["id"] for n in nodes]
    doc = {"graphlab": 1, "name": "d", "nodes": nodes, "edges": [{"from": a, "to": b} for a, b in zip(ids, ids[1:])],
           "training": {"dataset": dataset, "epochs": 1, "batch_size": 4}}
    path = folder / "g.graphlab.json"
    path.write_text(json.dumps(doc))
    return path


def _train(path: Path, folder: Path, what: str) -> None:
    assert_clean(run_cli("train", path, "--epochs", 1, "--out", folder / "run"), what=what)


@st.composite
def arrays(draw) -> np.ndarray:
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
    dtype = draw(st.sampled_from(DTYPES))
    values = np.arange(int(np.prod(shape))) % draw(st.integers(1, 12))
    if dtype == "<U3":
        return values.astype(str).astype(dtype).reshape(shape)
    a = values.astype(dtype).reshape(shape)
    if dtype.startswith("float") and a.size and draw(st.booleans()):
        a.flat[0] = draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e38, -0.0]))
    return a


@given(x=arrays(), y=arrays(), keys=st.lists(st.sampled_from(["X", "y", "x", "labels", "@@CLASSIFICATION@@"]),
       min_size=2, max_size=2, unique=True), cut=st.one_of(st.none(), st.integers(0, 400)),
       task=st.sampled_from(["auto", "classification", "regression"]))
@fuzz_settings(20)
def test_npz_archives(x, y, keys, cut, task, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("npz")
    buf = io.BytesIO()
    np.savez(buf, **{keys[0]: x, keys[1]: y})
    raw = buf.getvalue()
    (folder / "d.npz").write_bytes(raw if cut is None else raw[:cut])
    shape = [max(d, 1) for d in x.shape[1:]] or [1]
    path = _graph(folder, {"name": "npz", "path": "d.npz", "x": keys[0], "y": keys[1], "task": task}, shape)
    _train(path, folder, f"x {x.dtype} {x.shape}, y {y.dtype} {y.shape}, keys {keys}, cut {cut}")


CSV_CELLS = st.one_of(st.sampled_from(["1", "0", "-1.5", "nan", "inf", "", " ", "a", "1e400", '"', '""', "1,2",
                                       "x" * 200_000]), hostile_text(0, 4))


@given(rows=st.lists(st.lists(CSV_CELLS, min_size=1, max_size=4), min_size=0, max_size=5),
       label=st.one_of(st.sampled_from([-1, 0, 3, -10, "label", "a"]), hostile_text(1, 3)),
       encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]))
@fuzz_settings(20)
def test_csv_files(rows, label, encoding, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("csv")
    text = "\n".join(",".join(r) for r in rows)
    (folder / "d.csv").write_bytes(text.encode(encoding, "surrogatepass") if encoding == "utf-8"
                                   else text.encode(encoding, "replace"))
    path = _graph(folder, {"name": "csv", "path": "d.csv", "label": label}, [max(len(rows[0]) - 1, 1) if rows else 1])
    _train(path, folder, repr(rows)[:500])


@given(header=st.binary(max_size=16), body=st.binary(max_size=64), gz=st.booleans(), good_labels=st.booleans())
@fuzz_settings(20)
def test_idx_files(header, body, gz, good_labels, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("idx")
    images = header + body
    labels = bytes([0, 0, 8, 1, 0, 0, 0, 2, 0, 1]) if good_labels else body[:10]
    suffix = ".gz" if gz else ""
    (folder / f"train-images-idx3-ubyte{suffix}").write_bytes(gzip.compress(images) if gz and good_labels else images)
    (folder / f"train-labels-idx1-ubyte{suffix}").write_bytes(gzip.compress(labels) if gz else labels)
    path = _graph(folder, {"name": "mnist", "root": "."}, [1, 28, 28])
    _train(path, folder, repr((header, body, gz)))


@given(files=st.lists(st.tuples(st.sampled_from([".npy", ".pgm", ".ppm", ".png"]), st.binary(max_size=80)),
                      min_size=1, max_size=4), size=st.one_of(st.none(), st.just([4, 4])))
@fuzz_settings(15)
def test_image_folders(files, size, tmp_path_factory, monkeypatch) -> None:
    folder = tmp_path_factory.mktemp("img")
    for cls in ("a", "b"):
        (folder / "imgs" / cls).mkdir(parents=True)
        np.save(folder / "imgs" / cls / "0.npy", np.zeros((1, 4, 4), dtype=np.float32))
    for i, (suffix, raw) in enumerate(files):
        prefix = {".npy": b"\x93NUMPY", ".pgm": b"P5\n4 4\n255\n", ".ppm": b"P6\n", ".png": b"\x89PNG"}[suffix]
        (folder / "imgs" / "ab"[i % 2] / f"{i + 1}{suffix}").write_bytes(prefix + raw)
    monkeypatch.setattr(memory, "available_bytes", lambda: 300 * 10 ** 6)
    path = _graph(folder, {"name": "image_folder", "path": "imgs", "size": size}, [1, 4, 4])
    _train(path, folder, repr(files))
