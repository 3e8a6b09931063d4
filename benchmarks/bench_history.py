"""History: how fast it takes events, and how much memory 10^5 updates make it hold.

Run: python benchmarks/bench_history.py [--updates N] [--nodes K] [--repeats R]

The event stream imitates a long run seen by the editor: Step events (each with the per-step losses
of 1 to 8 steps, as the trainer's 50 ms Step interval and the child's coalescing deliver them), a
NodeStats for K nodes (every statistic, both 66-bin histograms, 2 parameters) every 10th update, an
Epoch every 1,000th. It prints

* the append rate (updates/s, median of R runs) of ``History.add``, beside a baseline measured in
  the same run — appending the same events to a plain list (the cheapest possible "history");
* memory growth over N updates, from tracemalloc (Python + numpy allocations), and the bytes held
  by the numpy buffers (``History.nbytes``); the goal is < 20 MB for 10^5 updates;
* how the cost of one append moves with the history's length (first vs last 10% of the updates),
  which should stay flat (O(1) amortised).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphlab.run import events as ev  # noqa: E402
from graphlab.run.history import History  # noqa: E402


def node_stat(rng: random.Random) -> ev.NodeStat:
    hist = [rng.randrange(100) for _ in range(ev.HIST_BINS + 2)]
    params = {"weight": ev.ParamStat(rng.random(), rng.random(), rng.random() * 1e-3),
              "bias": ev.ParamStat(rng.random(), rng.random(), rng.random() * 1e-3)}
    return ev.NodeStat(rng.random(), rng.random(), rng.random(), None, rng.random(), params, dead_frac=rng.random(),
                       units=64, act_hist=hist, act_range=(-2.0, 2.0), grad_hist=list(reversed(hist)))


def stream(n: int, nodes: int, seed: int = 0) -> list[ev.Event]:
    rng = random.Random(seed)
    out: list[ev.Event] = [ev.RunStarted("bench", "digits", "classification", 1000, 200, 10, 1000, "cpu", 100, 10,
                                         2.3, 2.3, order=[f"n{i}" for i in range(nodes)])]
    step = 0
    for k in range(1, n):
        if k % 1000 == 0:
            out.append(ev.Epoch(k // 1000, 0.5, 0.8, 0.6, 0.7, 0.01, float(k), 1e4))
        elif k % 10 == 0:
            out.append(ev.NodeStats(1, step, {f"n{i}": node_stat(rng) for i in range(nodes)}))
        else:
            m = rng.randint(1, 8)
            losses = [rng.random() for _ in range(m)]
            step += m
            out.append(ev.Step(1, step, sum(losses) / m, m, 0.01, 0.5, losses if m > 1 else None))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--updates", type=int, default=100_000)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    events = stream(args.updates, args.nodes)
    rates, base, first, last = [], [], [], []
    tenth = len(events) // 10
    for i in range(args.repeats):  # interleaved: baseline and History alternate, order flipped each run
        for which in (("list", "history") if i % 2 == 0 else ("history", "list")):
            if which == "list":
                kept: list[ev.Event] = []
                t = time.perf_counter()
                for e in events:
                    kept.append(e)
                base.append(len(events) / (time.perf_counter() - t))
            else:
                h = History()
                t = time.perf_counter()
                for e in events[:tenth]:
                    h.add(e)
                t1 = time.perf_counter()
                for e in events[tenth:-tenth]:
                    h.add(e)
                t2 = time.perf_counter()
                for e in events[-tenth:]:
                    h.add(e)
                t3 = time.perf_counter()
                rates.append(len(events) / (t3 - t))
                first.append((t1 - t) / tenth * 1e6)
                last.append((t3 - t2) / tenth * 1e6)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    h = History()
    h.extend(events)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    steps, _ = h.step_loss()
    print(f"{len(events):,} updates ({len(steps):,} steps' losses, {args.nodes} nodes with statistics every 10th); "
          f"medians of {args.repeats} interleaved runs")
    print(f"History.add        {statistics.median(rates):>12,.0f} updates/s   "
          f"(list.append baseline {statistics.median(base):,.0f}/s)")
    print(f"cost of one add    first 10%: {statistics.median(first):.2f} µs   last 10%: {statistics.median(last):.2f} µs   "
          f"ratio {statistics.median(last) / statistics.median(first):.2f} (goal ~1: O(1) amortised)")
    print(f"memory growth      {grown / 1e6:.1f} MB (tracemalloc), numpy buffers {h.nbytes / 1e6:.1f} MB "
          f"(goal < 20 MB for 10^5 updates)")


if __name__ == "__main__":
    main()
