"""Data readers let no foreign exception through (issue 8, item 7): each bad file is one line naming
the file and the field, from the reader, from `graphlab train` and mid-epoch from the trainer."""
from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from graphlab.cli import main
from graphlab.run.config import parse_training
from graphlab.run.datasets import DataError, build_dataset


def data(training: dict, base: Path):
    return build_dataset(parse_training(training), base)


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _idx(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape) + \
        arr.astype(np.uint8).tobytes()


def _mnist(root: Path, images: bytes, labels: bytes | None = None, gz: bool = False) -> None:
    root.mkdir(parents=True, exist_ok=True)
    labels = labels if labels is not None else _idx(np.arange(4) % 10)
    suffix = ".gz" if gz else ""
    (root / f"train-images-idx3-ubyte{suffix}").write_bytes(images)
    (root / f"train-labels-idx1-ubyte{suffix}").write_bytes(gzip.compress(labels) if gz else labels)


def _case(name: str, tmp: Path) -> tuple[dict, str, str]:
    """(dataset section, the file the message must name, the field it must name)."""
    rng = np.random.default_rng(0)
    if name == "npy given as npz":
        np.save(tmp / "d.npy", rng.random((4, 3)))
        (tmp / "d.npz").write_bytes((tmp / "d.npy").read_bytes())
        return {"name": "npz", "path": "d.npz"}, "d.npz", "training.dataset.path"
    if name == "truncated npz":
        (tmp / "t.npz").write_bytes(_npz_bytes(X=rng.random((50, 3)), y=np.zeros(50))[:300])
        return {"name": "npz", "path": "t.npz"}, "t.npz", "training.dataset.path"
    if name == "corrupt member":
        raw = bytearray(_npz_bytes(X=rng.random((50, 3)), y=np.zeros(50)))
        with zipfile.ZipFile(io.BytesIO(bytes(raw))) as z:
            offset = z.getinfo("X.npy").header_offset + 30 + len("X.npy") + 20
        raw[offset:offset + 40] = b"\xff" * 40
        (tmp / "c.npz").write_bytes(bytes(raw))
        return {"name": "npz", "path": "c.npz"}, "c.npz", "training.dataset.path"
    if name == "scalar y":
        (tmp / "s.npz").write_bytes(_npz_bytes(X=rng.random((4, 3)), y=np.array(3)))
        return {"name": "npz", "path": "s.npz"}, "s.npz", "training.dataset.y"
    if name == "scalar x":
        (tmp / "s.npz").write_bytes(_npz_bytes(X=np.array(1.0), y=np.zeros(4)))
        return {"name": "npz", "path": "s.npz"}, "s.npz", "training.dataset.x"
    if name == "2-D text labels":
        (tmp / "s.npz").write_bytes(_npz_bytes(X=rng.random((2, 3)), y=np.array([["a", "b"], ["c", "d"]])))
        return {"name": "npz", "path": "s.npz"}, "s.npz", "training.dataset.y"
    if name == "huge class label":
        (tmp / "s.npz").write_bytes(_npz_bytes(X=rng.random((2, 3)), y=np.array([0, 10 ** 12])))
        return {"name": "npz", "path": "s.npz"}, "s.npz", "training.dataset.y"
    if name == "csv cell over 128 KiB":
        (tmp / "big.csv").write_text("a,b,label\n1,2,0\n" + "1," + "9" * 200_000 + ",1\n")
        return {"name": "csv", "path": "big.csv"}, "big.csv", "training.dataset.path"
    if name == "csv with NUL":
        (tmp / "n.csv").write_bytes(b"1,2,0\n3,\x004,1\n")
        return {"name": "csv", "path": "n.csv"}, "n.csv", "training.dataset.path"
    if name == "gz with a garbage body":
        _mnist(tmp / "m", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"garbage" * 20, gz=True)
        return {"name": "mnist", "root": "m"}, "train-images-idx3-ubyte.gz", "training.dataset.root"
    if name == "gz cut short":
        _mnist(tmp / "m", gzip.compress(_idx(rng.integers(0, 255, (4, 28, 28))))[:-30], gz=True)
        return {"name": "mnist", "root": "m"}, "train-images-idx3-ubyte.gz", "training.dataset.root"
    if name == "idx of only a header":
        _mnist(tmp / "m", bytes([0, 0, 8, 3]))
        return {"name": "mnist", "root": "m"}, "train-images-idx3-ubyte", "training.dataset.root"
    if name == "idx header cut short":
        _mnist(tmp / "m", bytes([0, 0, 8, 3, 0, 0, 0, 4, 0, 0]))
        return {"name": "mnist", "root": "m"}, "train-images-idx3-ubyte", "training.dataset.root"
    if name == "idx of the wrong rank":
        _mnist(tmp / "m", _idx(np.zeros((4, 28), dtype=np.uint8)))
        return {"name": "mnist", "root": "m"}, "train-images-idx3-ubyte", "training.dataset.root"
    if name == "cifar batch cut short":
        d = tmp / "cifar-10-batches-bin"
        d.mkdir()
        for b in range(1, 6):
            (d / f"data_batch_{b}.bin").write_bytes(bytes(3073 * 2 - (7 if b == 3 else 0)))
        return {"name": "cifar10", "root": "."}, "data_batch_3.bin", "training.dataset.root"
    if name == "corrupt image":
        for cls in ("a", "b"):
            (tmp / "imgs" / cls).mkdir(parents=True)
            np.save(tmp / "imgs" / cls / "0.npy", rng.random((1, 4, 4)).astype(np.float32))
        (tmp / "imgs" / "b" / "1.pgm").write_bytes(b"P5\n4 4\n255\n" + bytes(3))  # 3 of 16 pixels
        return {"name": "image_folder", "path": "imgs"}, "1.pgm", "training.dataset.path"
    if name == "pickled npy image":
        for cls in ("a", "b"):
            (tmp / "imgs" / cls).mkdir(parents=True)
            np.save(tmp / "imgs" / cls / "0.npy", rng.random((1, 4, 4)).astype(np.float32))
        np.save(tmp / "imgs" / "b" / "1.npy", np.array([object()]), allow_pickle=True)
        return {"name": "image_folder", "path": "imgs"}, "1.npy", "training.dataset.path"
    raise AssertionError(name)


CASES = ["npy given as npz", "truncated npz", "corrupt member", "scalar y", "scalar x", "2-D text labels",
         "huge class label", "csv cell over 128 KiB", "csv with NUL", "gz with a garbage body", "gz cut short",
         "idx of only a header", "idx header cut short", "idx of the wrong rank", "cifar batch cut short",
         "corrupt image", "pickled npy image"]


@pytest.mark.parametrize("name", CASES)
def test_a_bad_file_is_one_line_naming_it_and_the_field(name: str, tmp_path: Path, capsys) -> None:
    section, file_name, field = _case(name, tmp_path)
    with pytest.raises(DataError) as ei:
        data({"dataset": section, "val_fraction": 0}, tmp_path)
    message = str(ei.value)
    assert file_name in message and field in message and "\n" not in message, message
    graph = {"graphlab": 1, "name": "g", "nodes": [{"id": "x", "type": "Input", "params": {"shape": [3]}},
                                                   {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
                                                   {"id": "loss", "type": "CrossEntropyLoss"}],
             "edges": [{"from": "x", "to": "fc"}, {"from": "fc", "to": "loss"}],
             "training": {"dataset": section}}
    (tmp_path / "g.graphlab.json").write_text(json.dumps(graph))
    code = main(["train", str(tmp_path / "g.graphlab.json"), "--epochs", "1", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and err.count("\n") == 1 and file_name in err, err


def test_an_image_that_breaks_mid_epoch_ends_the_run_with_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    """With ``size`` set the folder is read lazily: a file that is bad is found inside the epoch, outside
    the step's error handling. The run ends with an error naming it, not a traceback."""
    rng = np.random.default_rng(0)
    for cls in ("a", "b"):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(6):
            np.save(tmp_path / "imgs" / cls / f"{i}.npy", rng.random((1, 4, 4)).astype(np.float32))
    training = {"dataset": {"name": "image_folder", "path": "imgs", "size": [4, 4]}, "val_fraction": 0,
                "batch_size": 2}
    d = data(training, tmp_path)
    first = d.train_set.files[0][0]
    bad = next(f for f, _ in d.train_set.files if f != first)
    bad.write_bytes(b"\x93NUMPY garbage")
    import graphlab.run.trainer as trainer

    monkeypatch.setattr(trainer, "EVAL_BATCH", 1)  # the initial-loss batch reads only the first image
    graph = {"graphlab": 1, "name": "g", "nodes": [{"id": "x", "type": "Input", "params": {"shape": [1, 4, 4]}},
                                                   {"id": "flat", "type": "Flatten"},
                                                   {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
                                                   {"id": "loss", "type": "CrossEntropyLoss"}],
             "edges": [{"from": "x", "to": "flat"}, {"from": "flat", "to": "fc"}, {"from": "fc", "to": "loss"}],
             "training": training}
    (tmp_path / "g.graphlab.json").write_text(json.dumps(graph))
    code = main(["train", str(tmp_path / "g.graphlab.json"), "--epochs", "1", "--out", str(tmp_path / "run"),
                 "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err and err.count("\n") == 1
    assert bad.name in err and "training.dataset.path" in err
    assert json.loads(out.splitlines()[-1])["error"]["kind"] == "data"


def test_a_non_finite_csv_label_is_not_cast_to_a_class(tmp_path: Path) -> None:
    """Found by the long fuzz profile: a label 'inf' was cast to int64 (-9.2e18) and reported as a negative class."""
    (tmp_path / "d.csv").write_text("1,2,0\n3,4,inf\n")
    with pytest.raises(DataError, match="whole-number label"):
        data({"dataset": {"name": "csv", "path": "d.csv", "task": "classification"}, "val_fraction": 0}, tmp_path)
    d = data({"dataset": {"name": "csv", "path": "d.csv"}, "val_fraction": 0}, tmp_path)
    assert d.task == "regression"
