"""Importing a PyTorch model: ResNet-50 (its exact layout and widths, 25.6 M parameters) from a user
file to a checked, grouped, laid-out and folded graph — `graphlab import` without writing the file.

Run: python benchmarks/bench_import.py [--repeats R]

Each repeat runs ``import_model`` on ResNet-50 (build on the meta device, fx trace, shapes on meta
tensors, mapping, analysis, groups, layered layout, folding); torch is imported once before the
first. Baselines measured in the same run, interleaved: a bare ``torch.fx.symbolic_trace`` of the
same model (the tracing alone) and building the model on the meta device. Prints medians, the ratio
import / trace and the machine's load. Goal: ≤ 2 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from torch import fx  # noqa: E402

from graphlab.importer import import_model  # noqa: E402
from tests.importer import zoo  # noqa: E402

TARGET = f"{zoo.__file__}:resnet50"


def once(fn) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(1)
    import_model(TARGET, (3, 224, 224))  # warm: first-use imports inside torch.fx and the importer
    imports, traces, builds = [], [], []
    for _ in range(args.repeats):
        imports.append(once(lambda: import_model(TARGET, (3, 224, 224))))

        def trace() -> None:
            with torch.device("meta"):
                fx.symbolic_trace(zoo.resnet50())

        def build() -> None:
            with torch.device("meta"):
                zoo.resnet50()

        traces.append(once(trace))
        builds.append(once(build))
    r = import_model(TARGET, (3, 224, 224))
    load = os.getloadavg()[0]
    med = statistics.median
    print(f"ResNet-50: {len(r.graph.nodes)} nodes, {r.analysis.total_params:,} parameters, {len(r.graph.groups)} groups "
          f"({sum(g.collapsed for g in r.graph.groups.values())} folded); load {load:.1f}, {args.repeats} repeats")
    print(f"import (goal ≤ 2 s)       median {med(imports) * 1000:7.0f} ms  (min {min(imports) * 1000:.0f})")
    print(f"  fx trace alone          median {med(traces) * 1000:7.0f} ms")
    print(f"  meta build alone        median {med(builds) * 1000:7.0f} ms")
    print(f"  ratio import / trace    {med(imports) / med(traces):.1f}×")


if __name__ == "__main__":
    main()
