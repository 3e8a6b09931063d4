"""Core engine benchmarks: building and checking big graphs, shape inference, training speed.

Run: python benchmarks/bench_core.py [--quick] [--profile]

1. Building a graph through the model API (``add_node`` + ``connect``, the editor's path) at 1,000
   and 10,000 nodes, beside one analyze() pass of the result: medians; the µs/node ratio
   10,000 : 1,000 shows whether building is linear (1.0) or quadratic (10). Goal ≤ 1 s at 10,000.
2. ``graphlab check FILE`` end to end (a fresh interpreter: start-up, read, validate, analyze,
   print) on a 10⁵-node file, interleaved with a baseline that only parses the same file with
   ``json.load``: medians of wall and CPU time, and their ratio. Goal ≤ 3 s. ``--profile`` also
   prints where ``load`` and ``analyze`` spend their time at 10⁵ nodes (cProfile, top functions).
3. Full validation + shape-inference pass (graphlab.core.analyze) on chain-and-residual CNN graphs
   of 100, 1,000, 10,000 and 100,000 nodes: median of repeated runs (goal ≤ 5 ms at 1,000 nodes).
4. One training step (forward, loss, backward, SGD update) of a small CNN compiled from a graph
   file, against the same network written by hand as an nn.Module, interleaved in one run; prints
   the median step time of each and their ratio (goal ≤ 1.03).
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphlab.core import Graph, analyze  # noqa: E402
from graphlab.io import load, save  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def make_graph(n: int) -> Graph:
    """n nodes: an Input, then repeating residual units conv -> bn -> relu -> add(skip) -> …"""
    g = Graph(f"bench{n}")
    prev = g.add_node("Input", {"shape": [16, 32, 32]}, node_id="x").id
    skip = prev
    i = 0
    while len(g.nodes) < n:
        i += 1
        kind = i % 4
        if kind == 1:
            node = g.add_node("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1})
        elif kind == 2:
            node = g.add_node("BatchNorm2d")
        elif kind == 3:
            node = g.add_node("ReLU")
        else:
            node = g.add_node("Add")
            g.connect(prev, node.id, 0)
            g.connect(skip, node.id, 1)
            prev = skip = node.id
            continue
        g.connect(prev, node.id)
        prev = node.id
    return g


def bench_build(sizes: list[int], repeats: int) -> None:
    print(f"building through the model API (add_node + connect), median of {repeats}")
    print(f"{'nodes':>8} {'build s':>9} {'µs/node':>8} {'analyze s':>10}")
    per_node = {}
    for n in sizes:
        builds, analyses = [], []
        for _ in range(repeats):
            gc.collect()
            t = time.perf_counter()
            g = make_graph(n)
            builds.append(time.perf_counter() - t)
            t = time.perf_counter()
            analyze(g)
            analyses.append(time.perf_counter() - t)
        b, a = statistics.median(builds), statistics.median(analyses)
        per_node[n] = b / n
        print(f"{n:>8} {b:>9.3f} {b * 1e6 / n:>8.2f} {a:>10.3f}")
    lo, hi = min(sizes), max(sizes)
    print(f"µs/node ratio {hi:,} : {lo:,} nodes = {per_node[hi] / per_node[lo]:.2f} (1 = linear)")


def _run_timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + sys of the child) seconds of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_check(n: int, repeats: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"big{n}.graphlab.json"
        save(make_graph(n), path)
        size = path.stat().st_size
        check = [sys.executable, "-m", "graphlab", "check", str(path)]
        baseline = [sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"]
        tc, tb = [], []
        for r in range(repeats):  # ABBA order, so drift in machine load hits both alike
            pair = (check, baseline) if r % 2 == 0 else (baseline, check)
            for cmd in pair:
                (tc if cmd is check else tb).append(_run_timed(cmd))
        wc, cc = statistics.median(w for w, _ in tc), statistics.median(c for _, c in tc)
        wb, cb = statistics.median(w for w, _ in tb), statistics.median(c for _, c in tb)
        print(f"\n`graphlab check` on a {n:,}-node file ({size / 1e6:.1f} MB), median of {repeats}, ABBA-interleaved")
        print(f"{'command':<34} {'wall s':>7} {'cpu s':>7}")
        print(f"{'graphlab check FILE':<34} {wc:>7.2f} {cc:>7.2f}")
        print(f"{'baseline: python -c json.load':<34} {wb:>7.2f} {cb:>7.2f}")
        print(f"ratio check/baseline: wall {wc / wb:.2f}, cpu {cc / cb:.2f}")
        if profile:
            for what, stmt in (("load", "g = load(path)"), ("analyze", "analyze(g)")):
                env = {"load": load, "analyze": analyze, "path": path}
                if what == "analyze":
                    env["g"] = load(path)
                prof = cProfile.Profile()
                prof.runctx(stmt, env, env)
                print(f"\nprofile of {what} at {n:,} nodes (top 8 by own time)")
                pstats.Stats(prof).sort_stats("tottime").print_stats(8)


def bench_analyze(sizes: list[int], repeats: int) -> None:
    print("\nshape inference: full analyze() pass (median of %d; fewer at 10,000+)" % repeats)
    print(f"{'nodes':>8} {'median ms':>10} {'µs/node':>8}")
    for n in sizes:
        g = make_graph(n)
        assert analyze(g).ok
        times = []
        for _ in range(repeats if n < 10000 else max(3, repeats // (4 if n < 100000 else 20))):
            t = time.perf_counter()
            analyze(g)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        print(f"{n:>8} {med * 1e3:>10.2f} {med * 1e6 / n:>8.2f}")


def bench_train_step(repeats: int, steps: int) -> None:
    import torch
    from torch import nn

    import graphlab

    torch.set_num_threads(1)
    g = graphlab.load(ROOT / "examples" / "lenet5.graphlab.json")
    compiled = graphlab.compile(g, seed=0)

    class LeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.relu1 = nn.ReLU()
            self.pool1 = nn.MaxPool2d(2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.relu2 = nn.ReLU()
            self.pool2 = nn.MaxPool2d(2)
            self.flatten = nn.Flatten()
            self.fc1 = nn.Linear(400, 120)
            self.relu3 = nn.ReLU()
            self.fc2 = nn.Linear(120, 84)
            self.relu4 = nn.ReLU()
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool1(self.relu1(self.conv1(x)))
            x = self.pool2(self.relu2(self.conv2(x)))
            x = self.relu3(self.fc1(self.flatten(x)))
            return self.fc3(self.relu4(self.fc2(x)))

    hand = LeNet()
    hand.load_state_dict(compiled.state_dict())
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(64, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (64,), generator=gen)
    loss_fn = nn.CrossEntropyLoss()

    def run(model: nn.Module) -> float:
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        t = time.perf_counter()
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
            opt.step()
        return (time.perf_counter() - t) / steps

    run(compiled), run(hand)  # warm-up
    tc, th = [], []
    for r in range(repeats):  # ABBA order, so drift in machine load hits both sides alike
        if r % 2:
            th.append(run(hand))
            tc.append(run(compiled))
        else:
            tc.append(run(compiled))
            th.append(run(hand))
    mc, mh = statistics.median(tc), statistics.median(th)
    ratios = [a / b for a, b in zip(tc, th)]
    print(f"\ntrain step, LeNet-5, batch 64, 1 thread (median of {repeats} rounds × {steps} steps, ABBA-interleaved)")
    print(f"{'model':<22} {'ms/step':>8}")
    print(f"{'compiled (torch.fx)':<22} {mc * 1e3:>8.3f}")
    print(f"{'hand-written':<22} {mh * 1e3:>8.3f}")
    print(f"ratio compiled/hand: median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--profile", action="store_true", help="profile load and analyze at 10^5 nodes")
    a = ap.parse_args()
    bench_build([1000, 10000], 3 if a.quick else 7)
    bench_check(100000, 2 if a.quick else 5, a.profile)
    bench_analyze([100, 1000, 10000, 100000], 10 if a.quick else 50)
    bench_train_step(4 if a.quick else 21, 10 if a.quick else 30)


if __name__ == "__main__":
    main()
