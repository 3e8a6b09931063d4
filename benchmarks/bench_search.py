"""Search speed: a trial's start-up on a warm worker, and a search on 2 workers against `graphlab train` runs.

Run: python benchmarks/bench_search.py [--trials 20] [--epochs 200] [--repeats 1]

1. **Trial start-up with warm workers** (target ≤ 0.5 s): a study of 1-epoch spiral trials on one warm
   worker. Per trial: the wall time from the worker's ask to its tell (values, run folder, graph file,
   dataset, compile, one epoch, checkpoint, tell), and the part of it outside the Trainer (Optuna's ask
   and tell, the run folder). The first trial of the worker is left out (the worker's own start-up is
   reported beside it); the baseline is the same 1-epoch run as a fresh `graphlab train` process.
2. **20 trials on 2 workers vs 20 sequential `graphlab train` runs** (target ≤ 0.6×): the spiral
   two-layer net with the example's search space, pruning off (both sides do the same work). The
   baseline trains each trial's very graph (`--best`-style: its values, seed and epochs applied) with
   `graphlab train`, one after another. Ratio = search wall time / sequential wall time, worker start-up
   included.

The machine's load average is printed before and after each measurement: these machines are shared,
and the figures swing with it. Medians; ratios are measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import graphlab  # noqa: E402


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load {a:.2f} {b:.2f} {c:.2f}"


def spiral_file(folder: Path, *, epochs: int, trials: int, pruning: bool = False) -> Path:
    g = graphlab.load(ROOT / "examples" / "spiral_two_layer.graphlab.json")
    g.search = {**g.search, "trials": trials, "epochs": epochs, "pruning": pruning}
    g.training = {**g.training, "stats": {"budget": 0.0}}
    path = folder / "spiral.graphlab.json"
    graphlab.save(g, path)
    return path


def run_search(path: Path, workers: int) -> tuple[float, list, list]:
    from graphlab.search import events as sev
    from graphlab.search.process import SearchProcess

    t0 = time.perf_counter()
    sp = SearchProcess(path, workers=workers)
    sp.start()
    seen: list = []
    while sp.finished is None:
        seen += sp.poll(timeout=0.05)
    wall = time.perf_counter() - t0
    assert sp.finished.reason == "completed", sp.finished
    finished = [e for e in seen if isinstance(e, sev.TrialFinished)]
    ready = [e for e in seen if isinstance(e, sev.WorkerReady)]
    return wall, finished, ready


def startup(folder: Path, trials: int) -> None:
    path = spiral_file(folder, epochs=1, trials=trials)
    print(f"\n1. trial start-up on a warm worker: {trials} one-epoch spiral trials, 1 worker   [{load()}]")
    wall, finished, ready = run_search(path, 1)
    study_runs = folder / "runs" / "search-spiral"
    times, outside = [], []
    for e in sorted(finished, key=lambda e: e.number)[1:]:
        info = json.loads((study_runs / f"trial-{e.number:05d}" / "run.json").read_text())
        times.append(e.seconds)
        outside.append(e.seconds - info["final"]["seconds"])
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "graphlab", "train", str(path), "--epochs", "1", "--out",
                        str(folder / "cold")], capture_output=True, text=True)
    cold = time.perf_counter() - t0
    assert r.returncode == 0, r.stderr
    print(f"   worker start-up (spawn, torch + Optuna imports, storage): {ready[0].seconds:.2f} s")
    print(f"   a trial on the warm worker, ask to tell: median {statistics.median(times):.3f} s "
          f"(max {max(times):.3f}); outside the Trainer (Optuna, run folder): median {statistics.median(outside):.3f} s")
    print(f"   the same run as a fresh `graphlab train`: {cold:.2f} s   -> {statistics.median(times) / cold:.2f}x   "
          f"[{load()}]")


def versus_train(folder: Path, trials: int, epochs: int) -> float:
    path = spiral_file(folder, epochs=epochs, trials=trials)
    print(f"\n2. {trials} spiral trials ({epochs} epochs) on 2 workers vs {trials} sequential `graphlab train` "
          f"runs   [{load()}]")
    search_wall, finished, _ = run_search(path, 2)
    print(f"   search on 2 workers: {search_wall:.1f} s   [{load()}]")
    import optuna

    from graphlab.search.study import open_storage
    from graphlab.search.targets import apply_values

    study = optuna.load_study(study_name="spiral", storage=open_storage(str(folder / "runs" /
                                                                            "spiral.optuna-journal")))
    g = graphlab.load(path)
    t0 = time.perf_counter()
    for t in study.get_trials():
        u = t.user_attrs
        out = folder / f"seq-{t.number}.graphlab.json"
        graphlab.save(apply_values(g, dict(t.params), seed=u["seed"], epochs=u["epochs"],
                                   val_fraction=u["val_fraction"], threads=1), out)
        r = subprocess.run([sys.executable, "-m", "graphlab", "train", str(out), "--out", str(folder / f"seq{t.number}")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    seq_wall = time.perf_counter() - t0
    ratio = search_wall / seq_wall
    print(f"   {trials} sequential `graphlab train`: {seq_wall:.1f} s   -> search / sequential = {ratio:.2f}x "
          f"(target <= 0.6)   [{load()}]")
    return ratio


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    print(f"bench_search: {os.cpu_count()} cores, python {sys.version.split()[0]}   [{load()}]")
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory() as d:
            startup(Path(d), 12)
        with tempfile.TemporaryDirectory() as d:
            versus_train(Path(d), args.trials, args.epochs)
    shutil.rmtree(ROOT / "benchmarks" / "__pycache__", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
