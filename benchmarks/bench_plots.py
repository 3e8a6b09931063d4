"""Live-view drawing costs (offscreen Qt, medians; baselines measured in the same run, interleaved).

    python benchmarks/bench_plots.py [--steps 1000000] [--updates 100000] [--repeat 15]
                                     [--only redraw,memory,update,images]

1. Redraw of a 10⁶-step loss history in :class:`LossPlot` (raw + smoothed curve, 800×400): one
   live frame = append one step, ``flush()`` (setData), paint; and a repaint with nothing new;
   whole history in view and zoomed to the last 1% (clip-to-view). Baseline: the same LossPlot with
   downsampling and clip-to-view switched off. Goal ≤ 30 ms.
2. Memory growth over 10⁵ plot updates (append one step + flush; the event loop paints every
   100th, as a 10 Hz redraw would): RSS and tracemalloc, against the bytes the data itself needs.
   Goal < 20 MB.
3. The cost of one ``append_steps`` call (one step) and of one ``flush`` at a 10⁶-step history.
4. ImageMosaic: 64 tiles of 28×28 (a 224×224 mosaic) — set_tiles (normalise + compose) and paint;
   and HeatmapView / GradientFlowView flush + paint at 2,000 sampled steps.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from graphlab.ui.views import GradientFlowView, HeatmapView, ImageMosaic, LossPlot  # noqa: E402


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1e3


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def spin(app: QApplication, n: int = 3) -> None:
    for _ in range(n):
        app.processEvents()


def loss_history(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    s = np.arange(1, n + 1, dtype=np.float64)
    return s, 2.3 * np.exp(-s / (n / 5)) + 0.2 + 0.1 * rng.random(n)


def make_loss_plot(app: QApplication, n: int, downsample: bool) -> LossPlot:
    p = LossPlot()
    p.resize(800, 400)
    p.show()
    if not downsample:
        for s in p.series.values():
            s.item.setDownsampling(ds=1, auto=False)
            s.item.setClipToView(False)
    x, y = loss_history(n)
    p.append_steps(x, y)
    p.flush()
    spin(app)
    return p


def bench_redraw(app: QApplication, n: int, repeat: int) -> None:
    print(f"\n1. Redraw of a {n:,}-step loss history (LossPlot 800×400; medians of {repeat}, interleaved)")
    ours = make_loss_plot(app, n, True)
    base = make_loss_plot(app, n, False)
    step = [n]

    def frame(p: LossPlot) -> Callable[[], None]:
        def run() -> None:
            step[0] += 1
            p.append_steps(step[0], 0.3)
            p.flush()
            p.plot_widget.grab()
        return run

    def repaint(p: LossPlot) -> Callable[[], None]:
        return lambda: p.plot_widget.grab()

    def measure(fa: Callable[[], None], fb: Callable[[], None]) -> tuple[list[float], list[float]]:
        a, b = [], []
        fa(), fb()  # warm
        for i in range(repeat):
            for f, out in ((fa, a), (fb, b)) if i % 2 == 0 else ((fb, b), (fa, a)):
                t = time.perf_counter()
                f()
                out.append(time.perf_counter() - t)
        return a, b

    print(f"   {'case':38s} {'peak+clip ms':>12s} {'no downsampling ms':>19s} {'ratio':>7s}")
    for view in ("whole history", "last 1% (zoomed)"):
        if view.startswith("last"):
            for p in (ours, base):
                p.plot_item.setXRange(n * 0.99, n * 1.0, padding=0)
            spin(app)
        for name, make in (("live frame (append+flush+paint)", frame), ("repaint, nothing new", repaint)):
            a, b = measure(make(ours), make(base))
            print(f"   {view + ': ' + name:38s} {ms(a):12.2f} {ms(b):19.2f} {ms(b) / ms(a):6.1f}×")
    for p in (ours, base):
        p.close()
        p.deleteLater()
    spin(app)


def bench_update_cost(app: QApplication, n: int, repeat: int) -> None:
    print(f"\n3. One update call at a {n:,}-step history (medians)")
    p = make_loss_plot(app, n, True)
    t_append, t_flush, t_epoch = [], [], []
    s = n
    for _ in range(max(repeat, 200)):
        s += 1
        t = time.perf_counter()
        p.append_steps(s, 0.25)
        t_append.append(time.perf_counter() - t)
    for _ in range(repeat):
        s += 1
        p.append_steps(s, 0.25)
        t = time.perf_counter()
        p.flush()
        t_flush.append(time.perf_counter() - t)
    for e in range(repeat):
        t = time.perf_counter()
        p.append_epoch(e, 0.3, 0.35)
        t_epoch.append(time.perf_counter() - t)
    p._timer.stop()
    print(f"   append_steps(one step)        {ms(t_append) * 1e3:8.1f} µs")
    print(f"   append_epoch(...)             {ms(t_epoch) * 1e3:8.1f} µs")
    print(f"   flush() (setData of 2 curves) {ms(t_flush):8.2f} ms   (≤ 10 per second)")
    p.close()
    p.deleteLater()
    spin(app)


def bench_memory(app: QApplication, updates: int) -> None:
    print(f"\n2. Memory over {updates:,} plot updates (append one step + flush; paint every 100th)")
    p = LossPlot()
    p.resize(800, 400)
    p.show()
    for i in range(1, 1001):  # warm-up: caches, fonts, first allocations
        p.append_steps(i, 1.0 / i)
        p.flush()
        if i % 100 == 0:
            spin(app, 1)
    gc.collect()
    tracemalloc.start()
    t0 = tracemalloc.get_traced_memory()[0]
    r0 = rss_mb()
    start = time.perf_counter()
    rng = np.random.default_rng(1)
    for i in range(1001, 1001 + updates):
        p.append_steps(i, 0.5 + 0.1 * rng.random())
        p.flush()
        if i % 100 == 0:
            spin(app, 1)
    gc.collect()
    wall = time.perf_counter() - start
    t1, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    r1 = rss_mb()
    data = sum(b.nbytes for s in p.series.values() for b in (s.x, s.y)) / 2**20
    print(f"   RSS growth            {r1 - r0:7.1f} MB")
    print(f"   tracemalloc growth    {(t1 - t0) / 2**20:7.1f} MB   (peak {(peak - t0) / 2**20:.1f} MB)")
    print(f"   of which data buffers {data:7.1f} MB   (4 arrays of float64 with doubling capacity)")
    print(f"   {updates:,} updates in {wall:.1f} s ({wall / updates * 1e3:.2f} ms each)")
    p.close()
    p.deleteLater()
    spin(app)


def bench_images(app: QApplication, repeat: int) -> None:
    print(f"\n4. Images and heatmaps (medians of {repeat})")
    rng = np.random.default_rng(2)
    m = ImageMosaic()
    m.resize(448, 448)
    m.show()
    spin(app)
    tiles = rng.random((64, 28, 28)).astype(np.float32)
    t_set, t_paint, t_both = [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        m.set_tiles(tiles)
        t_set.append(time.perf_counter() - t)
        t = time.perf_counter()
        m.grab()
        t_paint.append(time.perf_counter() - t)
        t = time.perf_counter()
        m.set_tiles(tiles * 2.0)
        m.grab()
        t_both.append(time.perf_counter() - t)
    print(f"   ImageMosaic 64×28×28 (224×224): set_tiles {ms(t_set):.2f} ms · paint {ms(t_paint):.2f} ms · "
          f"both {ms(t_both):.2f} ms")
    rgb = rng.normal(size=(64, 3, 5, 5)).astype(np.float32)
    t_rgb = []
    for _ in range(repeat):
        t = time.perf_counter()
        m.set_tiles(rgb)
        m.grab()
        t_rgb.append(time.perf_counter() - t)
    print(f"   ImageMosaic 64 RGB filters 5×5: set_tiles + paint {ms(t_rgb):.2f} ms")
    m.close()

    h = HeatmapView()
    h.resize(500, 500)
    h.show()
    edges = np.linspace(-3, 3, 65)
    h.set_edges(edges)
    h.set_data(np.arange(2000) * 10, rng.integers(0, 100, (2000, 66)))
    h.flush()
    spin(app)
    t_h = []
    for i in range(repeat):
        h.append(20000 + i, rng.integers(0, 100, 66))
        t = time.perf_counter()
        h.flush()
        h.grab()
        t_h.append(time.perf_counter() - t)
    print(f"   HeatmapView 2,000 steps × 66 bins: append + flush + paint {ms(t_h):.2f} ms")
    h.close()

    g = GradientFlowView()
    g.resize(600, 400)
    g.show()
    nodes = [f"n{i}" for i in range(40)]
    g.set_nodes(nodes)
    g.set_data(np.arange(2000), 10 ** rng.normal(-2, 1, (40, 2000)), 10 ** rng.normal(-3, 0.5, (40, 2000)))
    g.flush()
    spin(app)
    t_g = []
    for i in range(repeat):
        g.append(2000 + i, 10 ** rng.normal(-2, 1, 40), 10 ** rng.normal(-3, 0.5, 40))
        t = time.perf_counter()
        g.flush()
        g.grab()
        t_g.append(time.perf_counter() - t)
    print(f"   GradientFlowView 40 nodes × 2,000 steps: append + flush + paint {ms(t_g):.2f} ms")
    g.close()
    spin(app)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--updates", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--only", default="redraw,memory,update,images",
                    help="comma-separated sections (the memory one takes ~10 minutes at 10⁵ updates)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    app = QApplication.instance() or QApplication([])
    print(f"bench_plots: Qt platform {app.platformName()}, numpy {np.__version__}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if "redraw" in only:
        bench_redraw(app, args.steps, args.repeat)
    if "memory" in only:
        bench_memory(app, args.updates)
    if "update" in only:
        bench_update_cost(app, args.steps, args.repeat)
    if "images" in only:
        bench_images(app, args.repeat)


if __name__ == "__main__":
    main()
