"""The stepper's speed: one step, a whole walk against plain autograd, and `graphlab gradcheck`.

Run: python benchmarks/bench_step.py [--quick] [--repeats R] [--threads T]

1. **One step** on the digits CNN and LeNet-5 at batch 8 (inputs from their datasets): every
   ``step()`` of full walks (forward and backward, each walk after ``reset()`` so nothing is cached),
   timed one by one. Prints the median and the slowest step per walk (median over walks). Goal: every
   step ≤ 20 ms (drawing excluded: the records' summaries are computed on demand and not included).
2. **A whole walk of ResNet-18 at batch 1** (``reset(); run()``: forward and backward over all 71
   nodes) against one plain forward + ``loss.backward()`` of the same module on the same batch,
   interleaved ABAB in one run. Prints medians and the ratio walk / plain (goal ≤ 3×). The digits CNN
   and LeNet-5 walks get the same comparison for scale.
3. **`graphlab gradcheck` on LeNet-5** (sampled coordinates, the command as users run it, a fresh
   process each time, interleaved with a bare ``import torch`` process as the start-up baseline).
   Prints medians (goal ≤ 10 s).

torch runs with ``--threads`` threads (default 1, as the editor's worker would use next to the GUI).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import graphlab  # noqa: E402
from graphlab.step import Stepper  # noqa: E402

EXAMPLES = ROOT / "examples"


def per_step(name: str, walks: int) -> tuple[float, float, int]:
    """(median step ms, median over walks of the slowest step ms, steps per walk)."""
    st = Stepper(graphlab.load(EXAMPLES / f"{name}.graphlab.json"), batch=8, base_dir=EXAMPLES)
    st.run()  # warm-up
    times: list[float] = []
    slowest: list[float] = []
    for _ in range(walks):
        st.reset()
        walk = []
        while not st.done:
            t = time.perf_counter()
            st.step()
            walk.append(time.perf_counter() - t)
        times += walk
        slowest.append(max(walk))
    return statistics.median(times) * 1e3, statistics.median(slowest) * 1e3, len(st.walk)


def plain_step(st: Stepper) -> None:
    """One forward + loss.backward() of the stepper's module on its batch (the baseline)."""
    xs = [st.inputs[i].clone().requires_grad_() for i in st.info.input_ids]
    st.module.zero_grad(set_to_none=True)
    out = st.module(*xs)
    loss = st.loss_module(out, st.targets) if st.loss_module is not None else out.sum()
    loss.backward()


def walk_vs_plain(name: str, batch: int, repeats: int) -> tuple[float, float]:
    """(median ms of a whole walk, median ms of a plain forward + backward), interleaved ABAB."""
    st = Stepper(graphlab.load(EXAMPLES / f"{name}.graphlab.json"), batch=batch, base_dir=EXAMPLES)
    st.run()
    plain_step(st)  # warm-up both
    walk, plain = [], []
    for i in range(repeats):
        for which in ((0, 1) if i % 2 == 0 else (1, 0)):
            if which == 0:
                st.reset()
                t = time.perf_counter()
                st.run()
                walk.append(time.perf_counter() - t)
            else:
                t = time.perf_counter()
                plain_step(st)
                plain.append(time.perf_counter() - t)
    return statistics.median(walk) * 1e3, statistics.median(plain) * 1e3


def command_seconds(cmd: list[str]) -> float:
    t = time.perf_counter()
    p = subprocess.run([sys.executable, *cmd], cwd=ROOT, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    elapsed = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.strip()}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    repeats = 4 if args.quick else args.repeats
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s); medians of {repeats} repeats")

    print("\n1. one step at batch 8 (goal: every step ≤ 20 ms)")
    print(f"{'graph':<12} {'steps':>5} {'median ms':>10} {'slowest ms':>11}")
    for name in ("digits_cnn", "lenet5"):
        med, worst, n = per_step(name, repeats)
        print(f"{name:<12} {n:>5} {med:>10.2f} {worst:>11.2f}")

    print("\n2. a whole walk against one plain forward + backward() (goal for ResNet-18 at batch 1: ≤ 3×)")
    print(f"{'graph':<12} {'batch':>5} {'walk ms':>9} {'plain ms':>9} {'ratio':>7}")
    for name, batch in (("digits_cnn", 8), ("lenet5", 8), ("resnet18", 1)):
        walk, plain = walk_vs_plain(name, batch, repeats)
        print(f"{name:<12} {batch:>5} {walk:>9.1f} {plain:>9.1f} {walk / plain:>6.2f}×")

    print("\n3. `graphlab gradcheck` on LeNet-5, a fresh process each time (goal ≤ 10 s)")
    lenet = str(EXAMPLES / "lenet5.graphlab.json")
    grad, start = [], []
    for i in range(max(2, repeats // 2)):
        for which in ((0, 1) if i % 2 == 0 else (1, 0)):
            if which == 0:
                grad.append(command_seconds(["-m", "graphlab", "gradcheck", lenet]))
            else:
                start.append(command_seconds(["-c", "import torch, graphlab.cli"]))
    print(f"graphlab gradcheck: median {statistics.median(grad):.2f} s (max {max(grad):.2f}); "
          f"start-up baseline (python -c 'import torch, graphlab.cli'): {statistics.median(start):.2f} s")


if __name__ == "__main__":
    main()
