"""What the cost figures add to the analysis (issue 17: ≤ 1 µs a node; 1,000 nodes still ≤ 5 ms).

Run: python benchmarks/bench_cost.py [--quick]

1. ``analyze(graph)`` against ``analyze(graph, costs=False)`` (the same pass without the cost rules,
   the receptive fields and the gradient flags), interleaved in one run on the chain-and-residual CNN
   graphs of bench_core (conv → bn → relu → add(skip)) at 100, 1,000 and 10,000 nodes: medians and
   minima, the difference per node, and the absolute time at 1,000 nodes.
2. The same on every example file (their mix of layers).
3. What the editor does with the figures once per analysis: the Cost dock's rows and totals
   (graphlab.core.cost_table) and a training step's cost (graphlab.core.training_cost) at 1,000 nodes.

The machine's load average is printed with the figures: on a shared 2-core machine absolute times
move with the load; the differences are measured side by side, and the minimum is the least disturbed.
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_core import make_graph  # noqa: E402

from graphlab.core import analyze  # noqa: E402
from graphlab.core import cost_table  # noqa: E402
from graphlab.core.training_cost import training_cost  # noqa: E402
from graphlab.io import load  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def paired(graph, repeats: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """(seconds without costs, seconds with), interleaved so that load hits both alike."""
    without, with_ = [], []
    gc.collect()
    for _ in range(repeats):
        t = time.perf_counter()
        analyze(graph, costs=False)
        without.append(time.perf_counter() - t)
        t = time.perf_counter()
        analyze(graph)
        with_.append(time.perf_counter() - t)
    return without, with_


def bench_sizes(sizes: list[int], repeats: int) -> None:
    print(f"analyze with and without the cost figures, interleaved, {repeats} runs each (load {os.getloadavg()[0]:.1f})")
    print(f"{'nodes':>7} {'without ms':>11} {'with ms':>9} {'min w/o':>8} {'min with':>9} "
          f"{'+µs/node med':>13} {'+µs/node min':>13}")
    for n in sizes:
        g = make_graph(n)
        reps = max(5, repeats * 1000 // max(n, 1000))
        a, b = paired(g, reps)
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{n:>7,} {ma * 1e3:>11.2f} {mb * 1e3:>9.2f} {min(a) * 1e3:>8.2f} {min(b) * 1e3:>9.2f} "
              f"{(mb - ma) / n * 1e6:>13.2f} {(min(b) - min(a)) / n * 1e6:>13.2f}")


def bench_examples(repeats: int) -> None:
    print(f"\nevery example: the cost figures' extra µs per node (median of {repeats} interleaved pairs)")
    extra = []
    for path in sorted((ROOT / "examples").glob("*.graphlab.json")):
        g = load(path)
        a, b = paired(g, repeats)
        per = (statistics.median(b) - statistics.median(a)) / len(g.nodes) * 1e6
        extra.append(per)
        print(f"  {path.name.split('.')[0]:<32} {len(g.nodes):>4} nodes {per:>6.2f} µs/node")
    print(f"  median over the examples: {statistics.median(extra):.2f} µs/node")


def bench_views(repeats: int) -> None:
    g = make_graph(1000)
    a = analyze(g)
    rows, step = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        cost_table.rows(g, a)
        cost_table.totals(a)
        rows.append(time.perf_counter() - t)
        t = time.perf_counter()
        training_cost(a, 64, "adam")
        step.append(time.perf_counter() - t)
    print(f"\n1,000 nodes, per analysis in the editor: the Cost dock's rows and totals "
          f"{statistics.median(rows) * 1e3:.2f} ms; a training step's cost {statistics.median(step) * 1e3:.2f} ms")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    sizes = [100, 1000] if args.quick else [100, 1000, 10000]
    repeats = 20 if args.quick else 60
    bench_sizes(sizes, repeats)
    bench_examples(5 if args.quick else 15)
    bench_views(10 if args.quick else 30)


if __name__ == "__main__":
    main()
