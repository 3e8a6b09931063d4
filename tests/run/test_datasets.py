"""Datasets against independent recomputations (numpy), file readers, and their error messages."""
from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from graphlab.run.config import parse_training
from graphlab.run.datasets import DataError, adding, build_dataset, sine, spiral


def data(section, base=None):
    return build_dataset(parse_training(section), base)


def test_spiral_follows_the_cs231n_recipe():
    x, y = spiral(classes=3, points=100, noise=0.0)
    assert x.shape == (300, 2) and y.tolist() == [0] * 100 + [1] * 100 + [2] * 100
    xs = x.double().numpy()
    for k in range(3):
        r = np.linspace(0.0, 1.0, 100)
        t = np.linspace(4 * k, 4 * (k + 1), 100)
        np.testing.assert_allclose(xs[100 * k:100 * (k + 1)], np.c_[r * np.sin(t), r * np.cos(t)], atol=1e-6)
    # with noise, the radius is unchanged and the angle moves by N(0, 0.2²)
    xn, _ = spiral(3, 100, 0.2, seed=1)
    np.testing.assert_allclose(np.linalg.norm(xn.numpy(), axis=1), np.tile(np.linspace(0, 1, 100), 3), atol=1e-6)
    ang = np.arctan2(xn[:, 0].numpy(), xn[:, 1].numpy())
    clean = np.arctan2(xs[:, 0], xs[:, 1])
    d = np.angle(np.exp(1j * (ang - clean)))[np.tile(np.linspace(0, 1, 100), 3) > 0.05]
    assert 0.15 < d.std() < 0.25


def test_adding_targets_are_the_sum_of_the_marked_values():
    x, y = adding(samples=500, length=20, seed=3)
    assert x.shape == (500, 20, 2) and y.shape == (500, 1)
    v, m = x[..., 0].numpy(), x[..., 1].numpy()
    assert (m.sum(1) == 2).all() and (m[:, :10].sum(1) == 1).all()
    np.testing.assert_allclose(y[:, 0].numpy(), (v * m).sum(1), rtol=1e-6)
    assert abs(float(y.var()) - 1 / 6) < 0.03  # so predicting the mean gives MSE ≈ 1/6


def test_sine_target_continues_the_wave():
    x, y = sine(samples=50, length=12, noise=0.0, seed=2)
    s = np.concatenate([x[:, :, 0].numpy(), y.numpy()], 1).astype(np.float64)
    # a sinusoid satisfies s[t+1] = 2cos(ω)·s[t] - s[t-1]; fit cos(ω) on the window, predict the target
    for row in s:
        a, b, c = row[:-3], row[1:-2], row[2:-1]
        k = np.dot(a + c, b) / (2 * np.dot(b, b))
        assert abs(2 * k * row[-2] - row[-3] - row[-1]) < 1e-4


def test_digits_split_and_standardize_use_training_statistics_only():
    from sklearn.datasets import load_digits

    d = data({"dataset": "digits", "val_fraction": 0.25, "preprocess": "standardize"})
    assert d.n_train + d.n_val == 1797 and d.n_val == 449 and d.sample_shape == (1, 8, 8) and d.num_classes == 10
    raw = torch.tensor(load_digits().images, dtype=torch.float32).unsqueeze(1) / 16
    perm = torch.randperm(1797, generator=torch.Generator().manual_seed(0))
    tr, va = raw[perm[449:]], raw[perm[:449]]
    m, s = tr.mean(), tr.std()
    torch.testing.assert_close(d.x_train, (tr - m) / s)
    torch.testing.assert_close(d.x_val, (va - m) / s)
    assert abs(float(d.x_val.mean())) > 1e-4  # not re-centred on its own statistics


def test_preprocess_variants():
    x = torch.randn(40, 3, 4, 4) * torch.tensor([1.0, 5.0, 0.1]).view(1, 3, 1, 1) + 2
    from graphlab.run.datasets import preprocess

    a, _ = preprocess("mean_image", x, x[:2])
    torch.testing.assert_close(a.mean(0), torch.zeros(3, 4, 4), atol=1e-5, rtol=0)
    b, _ = preprocess("per_channel_mean", x, x[:2])
    torch.testing.assert_close(b.mean((0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    c, _ = preprocess("standardize", x, x[:2])
    torch.testing.assert_close(c.std((0, 2, 3)), torch.ones(3), atol=1e-4, rtol=0)


def test_digits_resized_for_lenet():
    d = data({"dataset": {"name": "digits", "size": 28}})
    assert d.sample_shape == (1, 28, 28)


def test_npz_and_csv(tmp_path):
    x = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    np.savez(tmp_path / "d.npz", X=x, y=np.arange(30) % 3)
    d = data({"dataset": {"name": "npz", "path": "d.npz"}, "val_fraction": 0}, tmp_path)
    assert d.task == "classification" and d.num_classes == 3 and d.sample_shape == (4,)
    np.savez(tmp_path / "r.npz", X=x, y=x[:, :2] * 2)
    r = data({"dataset": {"name": "npz", "path": "r.npz"}}, tmp_path)
    assert r.task == "regression" and r.target_shape == (2,)
    lines = ["a,b,kind"] + [f"{i},{i * 2},{'cat' if i % 2 else 'dog'}" for i in range(10)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    c = data({"dataset": {"name": "csv", "path": "d.csv", "label": "kind"}, "val_fraction": 0}, tmp_path)
    assert c.class_names == ["cat", "dog"] and c.sample_shape == (2,)
    i = int(torch.nonzero(c.x_train[:, 0] == 3)[0])
    assert c.x_train[i].tolist() == [3.0, 6.0] and c.y_train[i] == 0


@pytest.mark.parametrize("section, words", [
    ({"name": "npz", "path": "nope.npz"}, "nope.npz: no such file"),
    ({"name": "csv", "path": "nope.csv"}, "nope.csv: no such file"),
    ({"name": "mnist", "root": "mn"}, "train-images-idx3-ubyte"),
    ({"name": "cifar10", "root": "cf"}, "does not download"),
    ({"name": "image_folder", "path": "imgs"}, "imgs: no such folder"),
])
def test_missing_files_are_named(tmp_path, section, words):
    with pytest.raises(DataError, match=words.replace(".", r"\.")):
        data({"dataset": section}, tmp_path)


def test_bad_files(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((3, 2)), labels=np.zeros(3))
    with pytest.raises(DataError, match=r"has no array 'y' \(training\.dataset\.y\)"):
        data({"dataset": {"name": "npz", "path": "d.npz"}}, tmp_path)
    np.savez(tmp_path / "o.npz", X=np.array([object()] * 3), y=np.zeros(3))
    with pytest.raises(DataError):  # object arrays need pickle: refused
        data({"dataset": {"name": "npz", "path": "o.npz"}}, tmp_path)
    (tmp_path / "b.csv").write_text("1,2,0\n3,x,1\n")
    with pytest.raises(DataError, match="line 2"):
        data({"dataset": {"name": "csv", "path": "b.csv"}}, tmp_path)
    (tmp_path / "cifar-10-batches-py").mkdir()
    with pytest.raises(DataError, match="never unpickles"):
        data({"dataset": {"name": "cifar10", "root": "."}}, tmp_path)


def _idx(path, arr):
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    path.write_bytes(gzip.compress(header + arr.astype(np.uint8).tobytes()))


def test_mnist_idx_files_and_cifar_binary(tmp_path):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (20, 28, 28))
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    _idx(raw / "train-images-idx3-ubyte.gz", imgs)
    _idx(raw / "train-labels-idx1-ubyte.gz", np.arange(20) % 10)
    d = data({"dataset": {"name": "fashion_mnist", "root": "."}, "val_fraction": 0}, tmp_path)
    assert d.sample_shape == (1, 28, 28) and d.num_classes == 10
    i = int(torch.nonzero(d.y_train == 3)[0])  # label 3 only on images 3 and 13
    assert any(torch.equal(d.x_train[i, 0], torch.tensor(imgs[j] / 255.0, dtype=torch.float32)) for j in (3, 13))
    cdir = tmp_path / "cifar-10-batches-bin"
    cdir.mkdir()
    for b in range(1, 6):
        rec = np.concatenate([np.full((4, 1), b), rng.integers(0, 256, (4, 3072))], 1)
        (cdir / f"data_batch_{b}.bin").write_bytes(rec.astype(np.uint8).tobytes())
    c = data({"dataset": {"name": "cifar10", "root": ".", "limit": 12}, "val_fraction": 0}, tmp_path)
    assert c.sample_shape == (3, 32, 32) and c.n_train == 12


def test_image_folder_is_lazy(tmp_path):
    rng = np.random.default_rng(0)
    for k, cls in enumerate(("a", "b")):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(5):
            np.save(tmp_path / "imgs" / cls / f"{i}.npy", rng.random((3, 6, 6)).astype(np.float32) + k)
    pgm = b"P5\n6 6\n255\n" + bytes(range(36))
    (tmp_path / "imgs" / "a" / "p.pgm").write_bytes(pgm)
    with pytest.raises(DataError, match="set training.dataset.size"):
        data({"dataset": {"name": "image_folder", "path": "imgs"}}, tmp_path)
    d = data({"dataset": {"name": "image_folder", "path": "imgs", "grayscale": True}, "val_fraction": 0.2}, tmp_path)
    assert not d.in_memory and d.sample_shape == (1, 6, 6) and d.class_names == ["a", "b"]
    assert d.n_train + d.n_val == 11 and d.n_val == 2
    x, label = d.train_set[0]
    assert x.shape == (1, 6, 6) and label in (0, 1)
    from graphlab.run.imagefolder import read_image

    pix = read_image(tmp_path / "imgs" / "a" / "p.pgm", grayscale=True)
    torch.testing.assert_close(pix, torch.arange(36, dtype=torch.float32).view(1, 6, 6) / 255)
