"""A gallery of the view widgets (graphlab.ui.views) on synthetic data, saved as PNGs.

    python tools/views_gallery.py [--dark] [--out DIR] [--page train|node|step|all] [--show SECONDS]

Writes DIR/views-<page>-<light|dark>.png (default DIR: /tmp/graphlab-gallery). Offscreen unless
``--show`` is given, which shows the real window (use a display, e.g. Xvfb) for that many seconds
before grabbing it, so it can also be screenshotted from outside.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def _parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dark", action="store_true")
    ap.add_argument("--out", default="/tmp/graphlab-gallery")
    ap.add_argument("--page", default="all", choices=["train", "node", "step", "all"])
    ap.add_argument("--show", type=float, default=0.0)
    return ap.parse_args()


ARGS = _parse()
if ARGS.show <= 0:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QGridLayout, QWidget  # noqa: E402

from graphlab.ui.app import dark_palette, make_app  # noqa: E402
from graphlab.ui.views import (AccuracyPlot, ConfusionMatrixView, DatasetPreview, GradientFlowView,  # noqa: E402
                               HeatmapView, ImageMosaic, LearningRatePlot, LossPlot, SeriesPlot, TensorView)

RNG = np.random.default_rng(7)


# -- synthetic data ----------------------------------------------------------------------------------------
def loss_curve(n: int, lr: float, seed: int) -> np.ndarray:
    r = np.random.default_rng(seed)
    s = np.arange(1, n + 1)
    return 2.3 * np.exp(-s * lr / 800) + 0.25 + 0.5 * np.exp(-s / 1500) * r.normal(0, 0.12, n) ** 2 * 3


def digit_images(n: int, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """Blurry strokes that look a little like digits (enough for a preview)."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    imgs, labels = [], []
    for i in range(n):
        c = i % 10
        img = np.zeros((size, size))
        for k in range(2 + c % 3):
            a = 2 * np.pi * (c / 10 + k / 3) + RNG.normal(0, 0.2)
            cx, cy = 0.5 + 0.25 * np.cos(a), 0.5 + 0.25 * np.sin(a)
            img += np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 0.01)
            img += 0.6 * np.exp(-((xx - 0.5) ** 2 * 30 + (yy - 0.5 - 0.2 * np.sin(a)) ** 2 * 2))
        imgs.append(np.clip(img + RNG.normal(0, 0.05, img.shape), 0, None))
        labels.append(c)
    return np.array(imgs, np.float32), np.array(labels)


def conv2d(img: np.ndarray, k: np.ndarray) -> np.ndarray:
    kh, kw = k.shape
    h, w = img.shape[0] - kh + 1, img.shape[1] - kw + 1
    out = np.zeros((h, w))
    for i in range(kh):
        for j in range(kw):
            out += k[i, j] * img[i:i + h, j:j + w]
    return out


def spiral(n: int = 300, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1, n)
        t = np.linspace(c * 4, (c + 1) * 4, n) + RNG.normal(0, 0.2, n)
        xs.append(np.c_[r * np.sin(t), r * np.cos(t)])
        ys.append(np.full(n, c))
    return np.concatenate(xs), np.concatenate(ys)


# -- pages -------------------------------------------------------------------------------------------------
def page_train() -> QWidget:
    w = QWidget()
    g = QGridLayout(w)
    loss = LossPlot()
    n = 3000
    steps = np.arange(1, n + 1)
    y = loss_curve(n, 1.0, 1)
    y[2200] = np.nan
    y[2600] = np.inf
    loss.set_initial_loss(2.318, math.log(10), num_classes=10)
    loss.append_steps(steps, y)
    for e in range(1, 11):
        end = e * 300
        loss.append_epoch(e, float(np.nanmean(np.where(np.isfinite(y[end - 300:end]), y[end - 300:end], np.nan))),
                          float(loss_curve(n, 1.0, 1)[end - 1] + 0.08 + 0.01 * e), step=end)
    loss.add_run("run-2", steps, loss_curve(n, 0.4, 2), "run 2 · lr 0.01",
                 epoch_steps=np.arange(300, n + 1, 300), val_losses=loss_curve(n, 0.4, 2)[299::300] + 0.1)
    loss.flush()
    acc = AccuracyPlot()
    for e in range(1, 11):
        acc.append_epoch(e, 1 - 0.9 * math.exp(-e / 3), 1 - 0.9 * math.exp(-e / 3.5) - 0.03)
    acc.add_run("run-2", np.arange(1, 11), [1 - 0.9 * math.exp(-e / 6) - 0.05 for e in range(1, 11)], "run 2")
    acc.flush()
    lr = LearningRatePlot()
    lr.append_steps(steps, 0.1 * 0.5 * (1 + np.cos(np.pi * steps / n)) + 1e-4)
    lr.flush()
    cm = ConfusionMatrixView()
    names = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    m = RNG.integers(0, 12, (10, 10)) * (RNG.random((10, 10)) < 0.4)
    m[np.arange(10), np.arange(10)] = RNG.integers(60, 95, 10)
    m[3, 5], m[5, 3] = 31, 24
    cm.set_matrix(m, names)
    g.addWidget(loss, 0, 0, 1, 2)
    g.addWidget(acc, 0, 2)
    g.addWidget(lr, 1, 2)
    g.addWidget(cm, 1, 0)
    mis = ImageMosaic()
    imgs, labels = digit_images(12)
    mis.set_tiles(imgs, captions=[f"{labels[i]} → {(labels[i] + 3) % 10} ({0.99 - 0.03 * i:.2f})" for i in range(12)],
                  columns=4)
    g.addWidget(mis, 1, 1)
    g.setRowStretch(0, 3)
    g.setRowStretch(1, 3)
    return w


def page_node() -> QWidget:
    w = QWidget()
    g = QGridLayout(w)
    heat = HeatmapView("Activations · relu1", "activation")
    edges = np.linspace(-3, 3, 65)
    heat.set_edges(edges)
    for s in range(0, 3000, 20):
        v = np.maximum(RNG.normal(0.2 - s / 6000, 0.4 + s / 3000, 2048), 0)
        c = np.histogram(v, bins=edges)[0]
        heat.append(s, np.concatenate([[np.sum(v < edges[0])], c, [np.sum(v >= edges[-1])]]))
    heat.flush()
    flow = GradientFlowView()
    nodes = ["x", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3", "fc2", "loss"]
    weights = {"conv1", "conv2", "fc1", "fc2"}
    flow.set_nodes(nodes)
    for s in range(0, 3000, 25):
        gn = {nd: 10 ** (-1.2 - (len(nodes) - i) * 0.25 - s / 4000 + RNG.normal(0, 0.08)) for i, nd in enumerate(nodes)}
        ur = {nd: 10 ** (-3 + (0.8 if nd == "fc2" else -0.9 if nd == "conv1" else 0) - s / 6000 + RNG.normal(0, 0.15))
              for nd in weights}
        flow.append(s, gn, ur)
    flow.flush()
    flow.select_node("conv2")
    act = SeriesPlot.activation()
    st = np.arange(0, 3000, 20)
    act.set_band("act", st, 0.3 + 0.1 * np.sin(st / 400), 0.5 * np.exp(-st / 2500) + 0.2)
    act.flush()
    frac = SeriesPlot.fractions()
    frac.set_series("dead", st, np.clip(0.02 + st / 6000 + RNG.normal(0, 0.01, st.size), 0, 1), label="dead")
    frac.set_series("saturated", st, np.clip(0.1 * np.exp(-st / 800), 0, 1), label="saturated")
    frac.flush()
    norms = SeriesPlot.param_norms()
    norms.set_series("weight", st, 3 + st / 2000, label="‖weight‖")
    norms.set_series("weight ∇", st, 0.2 * np.exp(-st / 1000) + 0.01, label="‖∇weight‖", color="cycle:0", dash=True)
    norms.set_series("bias", st, 0.1 + st / 20000, label="‖bias‖")
    norms.flush()
    ratio = SeriesPlot.update_ratio()
    ratio.set_series("weight", st, 10 ** (-2.6 - st / 3000 + RNG.normal(0, 0.05, st.size)), label="weight")
    ratio.set_series("bias", st, 10 ** (-3.5 - st / 3000 + RNG.normal(0, 0.05, st.size)), label="bias")
    ratio.flush()
    fmap = ImageMosaic()
    img = digit_images(1)[0][0]
    ks = RNG.normal(0, 1, (16, 5, 5))
    fmap.set_tiles(np.array([np.maximum(conv2d(img, k), 0) for k in ks]), captions=[f"ch {i}" for i in range(16)])
    filt = ImageMosaic()
    yy, xx = np.mgrid[-2:3, -2:3]
    f = np.array([[np.cos(a * xx + b * yy + c) * np.exp(-(xx ** 2 + yy ** 2) / 4) for c in (0, 1, 2)]
                  for a, b in RNG.normal(0, 1, (32, 2))])
    filt.set_tiles(f, captions=None)
    tmpl = ImageMosaic()
    t_imgs, _ = digit_images(10, 12)
    tmpl.set_tiles(t_imgs - t_imgs.mean(0), captions=[str(i) for i in range(10)], cmap="diverging",
                   normalize="symmetric", columns=5)
    g.addWidget(heat, 0, 0, 2, 1)
    g.addWidget(flow, 0, 1)
    g.addWidget(act, 0, 2)
    g.addWidget(frac, 0, 3)
    g.addWidget(norms, 1, 2)
    g.addWidget(ratio, 1, 3)
    g.addWidget(fmap, 1, 1)
    g.addWidget(filt, 2, 0)
    g.addWidget(tmpl, 2, 1)
    g.setRowStretch(0, 3)
    g.setRowStretch(1, 3)
    g.setRowStretch(2, 2)
    return w


def page_step() -> QWidget:
    w = QWidget()
    g = QGridLayout(w)
    t1 = TensorView()
    t1.set_array(np.array([[-2.0, 5.0, -4.0], [3.0, -12.0, 1.0]]) * 1.0, name="grad_output")
    t2 = TensorView()
    img = digit_images(1)[0][0]
    fm = np.array([np.maximum(conv2d(img, k), 0) for k in RNG.normal(0, 1, (8, 5, 5))])
    t2.set_array(fm[None].astype(np.float32), name="conv1 output")
    t3 = TensorView()
    vals = RNG.normal(0, 1, 4000).astype(np.float32)
    vals[:3] = np.nan
    t3.set_array(vals.reshape(8, 500), name="fc1 output")
    t4 = TensorView()
    t4.set_array(RNG.normal(0, 1, 40), name="bias")
    d1 = DatasetPreview()
    x, y = spiral()
    d1.show_points(x, y, ["class 0", "class 1", "class 2"])
    d2 = DatasetPreview()
    imgs, labels = digit_images(200)
    d2.show_images(imgs[:64], labels[:64])
    d3 = DatasetPreview()
    T = 50
    vals = RNG.random((20, T))
    mask = np.zeros((20, T))
    for i in range(20):
        mask[i, RNG.choice(T, 2, replace=False)] = 1
    d3.show_sequences(np.stack([vals, mask], -1), targets=(vals * mask).sum(1))
    g.addWidget(t1, 0, 0)
    g.addWidget(t4, 1, 0)
    g.addWidget(t2, 0, 1, 2, 1)
    g.addWidget(t3, 0, 2, 2, 1)
    g.addWidget(d1, 2, 0)
    g.addWidget(d2, 2, 1)
    g.addWidget(d3, 2, 2)
    return w


PAGES = {"train": page_train, "node": page_node, "step": page_step}


def main() -> None:
    app = make_app()
    if ARGS.dark:
        app.setPalette(dark_palette())
    else:
        app.setPalette(app.style().standardPalette())
    out = Path(ARGS.out)
    out.mkdir(parents=True, exist_ok=True)
    names = list(PAGES) if ARGS.page == "all" else [ARGS.page]
    for name in names:
        w = PAGES[name]()
        w.setWindowTitle(f"GraphLab views · {name}")
        w.resize(1500, 900)
        w.show()
        loop = QEventLoop()
        QTimer.singleShot(int(max(ARGS.show, 0.3) * 1000), loop.quit)
        loop.exec()
        path = out / f"views-{name}-{'dark' if ARGS.dark else 'light'}.png"
        w.grab().save(str(path))
        print(f"wrote {path}")
        w.close()


if __name__ == "__main__":
    main()
