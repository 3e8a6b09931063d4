"""The stalled-worker hang, under stress: run the subset of tests that hung (issue 15) again and again
while other processes load the CPU, and count passes, failures and hangs.

    python benchmarks/stress_worker_hang.py [--loops 20] [--burners 2] [--timeout 900]

The subset (run in this order, with pytest-randomly off) is the one that hung 1 run in 6 under load
before the garbage-collector guard (graphlab.ui.gc_guard): Python's cyclic collector ran on the
stepper's worker thread and freed a closed window's QMenu there, while the GUI thread waited on Qt's
mutex. Each loop is a fresh pytest process with a faulthandler timeout, so a hang prints every
thread's stack and is counted; ``--burners`` busy processes compete for the cores meanwhile.
Prints one line per loop and a summary with the machine's load.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBSET = ["tests/fuzz/test_fuzz_files.py", "tests/ui/test_readability.py", "tests/ui/stepper",
          "tests/ui/training/test_run.py", "tests/core/test_architecture.py"]


def burn(stop: mp.Event) -> None:  # type: ignore[valid-type]
    x = 0
    while not stop.is_set():
        for i in range(100_000):
            x = (x * 31 + i) % 1_000_003


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loops", type=int, default=20)
    ap.add_argument("--burners", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=900, help="seconds before a loop counts as a hang")
    args = ap.parse_args()
    stop = mp.Event()
    burners = [mp.Process(target=burn, args=(stop,), daemon=True) for _ in range(args.burners)]
    for b in burners:
        b.start()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider",
           "-o", f"faulthandler_timeout={args.timeout - 60}", *SUBSET]
    counts = {"passed": 0, "failed": 0, "hung": 0}
    print(f"stress: {args.loops} loops of {' '.join(SUBSET)}; {args.burners} burners; load {load()}", flush=True)
    try:
        for i in range(1, args.loops + 1):
            t0 = time.monotonic()
            try:
                r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=args.timeout)
                outcome = "passed" if r.returncode == 0 else "failed"
                tail = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-200:]
                if "Timeout" in r.stderr or "most recent call first" in r.stderr:
                    outcome = "hung"
            except subprocess.TimeoutExpired:
                outcome, tail = "hung", f"no end after {args.timeout} s"
            counts[outcome] += 1
            print(f"loop {i:>2}: {outcome:<6} {time.monotonic() - t0:6.0f} s  load {load()}  {tail}", flush=True)
    finally:
        stop.set()
        for b in burners:
            b.join(2)
    print(f"summary: {counts['passed']} passed, {counts['failed']} failed, {counts['hung']} hung "
          f"of {args.loops}; load {load()}")
    return 0 if counts["hung"] == 0 and counts["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
