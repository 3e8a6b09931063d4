"""The editor stays responsive while the stepper works: event-loop latency during a ResNet-18 walk.

Run: python benchmarks/bench_step_ui.py [--repeats R] [--threads T] [--example NAME] [--batch B]

A QTimer ticks every 5 ms on the GUI thread of a real (offscreen) editor window; the gap between
ticks beyond those 5 ms is the event loop's latency, i.e. how long the window could not react.
Measured, interleaved, in one run:

* **idle** — the window doing nothing for as long as a walk takes (the baseline);
* **stepper dock** — Ctrl+F10 with nothing selected: the whole forward + backward walk (142 steps of
  ResNet-18 at batch 1, seeded random inputs) on the stepper's worker thread, drawing every frame;
* **on the GUI thread** — the same walk of a Stepper called directly on the GUI thread, for scale
  (what the window would do without the worker).

Prints per mode the median over repeats of the p50 / p95 / max extra latency and the walk's wall
time. ``--threads`` sets torch's thread count on the worker (the editor uses 1).
"""
from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QElapsedTimer, QSettings, QTimer  # noqa: E402

from graphlab.ui.app import make_app  # noqa: E402
from graphlab.ui.main_window import MainWindow  # noqa: E402
from graphlab.ui.stepper.worker import StepWorker  # noqa: E402

TICK = 5


class Ticker:
    def __init__(self, parent) -> None:
        self.clock = QElapsedTimer()
        self.gaps: list[float] = []
        self.timer = QTimer(parent)
        self.timer.setInterval(TICK)
        self.timer.timeout.connect(self._tick)
        self.last = 0

    def start(self) -> None:
        self.gaps = []
        self.clock.start()
        self.last = self.clock.elapsed()
        self.timer.start()

    def stop(self) -> list[float]:
        self.timer.stop()
        self._tick()
        return [max(0.0, g - TICK) for g in self.gaps]

    def _tick(self) -> None:
        now = self.clock.elapsed()
        self.gaps.append(float(now - self.last))
        self.last = now


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--example", default="resnet18")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--steps", type=int, default=12, help="F10 this many times from the start (0: skip)")
    ap.add_argument("--steps-only", action="store_true")
    args = ap.parse_args()
    StepWorker.torch_threads = args.threads
    app = make_app()
    tmp = Path(tempfile.mkdtemp())
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp / "r")
    w.resize(1400, 900)
    w.show()
    assert w.open_file(ROOT / "examples" / f"{args.example}.graphlab.json", ask=False)
    w.live.flush()
    ui = w.stepper_ui
    ui.settings.set_source("random")
    ui.settings.batch.setValue(args.batch)
    ticker = Ticker(w)

    def spin_until(cond, limit=600.0) -> None:
        t = time.perf_counter()
        while not cond() and time.perf_counter() - t < limit:
            app.processEvents()
            time.sleep(0.0005)

    def dock_walk() -> tuple[list[float], float]:
        ui.restart()
        spin_until(lambda: ui.idle)
        w.scene.select_nodes([])
        ticker.start()
        t = time.perf_counter()
        ui.run_to()
        spin_until(lambda: ui.idle)
        return ticker.stop(), time.perf_counter() - t

    def gui_walk() -> tuple[list[float], float]:
        from graphlab.step import Stepper

        st = Stepper(w.document.graph, batch=args.batch, dataset=False)
        ticker.start()
        t = time.perf_counter()
        QTimer.singleShot(0, w, st.run)
        spin_until(lambda: st.done)
        spin_until(lambda: False, 0.05)
        return ticker.stop(), time.perf_counter() - t

    def idle(seconds: float) -> tuple[list[float], float]:
        ticker.start()
        t = time.perf_counter()
        spin_until(lambda: False, seconds)
        return ticker.stop(), time.perf_counter() - t

    def single_steps(k: int) -> list[tuple[float, float, float]]:
        """F10 k times from the start; per step: the window's longest stall (ticker), the longest single
        event-loop turn spent drawing the step (the canvas and the dock, including work deferred to
        later turns), and the GUI thread's total time drawing it."""
        ui.restart()
        spin_until(lambda: ui.idle)
        out = []
        for _ in range(k):
            ticker.start()
            busy0 = gui_busy[0]
            turns.clear()
            ui.step()
            spin_until(lambda: ui.idle)
            spin_until(lambda: False, 0.02)  # the repaint
            gaps = ticker.stop()
            out.append((max(gaps, default=0.0), 1000 * max(turns, default=0.0), 1000 * (gui_busy[0] - busy0)))
        return out

    gui_busy = [0.0]
    turns: list[float] = []

    def timed(fn):
        @functools.wraps(fn)  # PySide6 finds the receiver of a bound method by its name
        def run(*a):
            t = time.perf_counter()
            try:
                return fn(*a)
            finally:
                dt = time.perf_counter() - t
                gui_busy[0] += dt
                turns.append(dt)
        return run

    # on the class, so the queued connection still delivers on the GUI thread
    type(ui)._on_frame = timed(type(ui)._on_frame)
    from graphlab.ui.stepper import node_view

    if hasattr(node_view.NodeView, "_fill_next"):  # the dock's views, filled on later event-loop turns
        node_view.NodeView._fill_next = timed(node_view.NodeView._fill_next)

    def report(label: str, rows: list[tuple[float, float, float]]) -> None:
        cols = list(zip(*rows))
        print(f"{label:<44}{statistics.median(cols[0]):>8.0f}{max(cols[0]):>8.0f}"
              f"{statistics.median(cols[1]):>9.0f}{max(cols[1]):>8.0f}{statistics.median(cols[2]):>9.0f}"
              f"{max(cols[2]):>8.0f}")

    if args.steps:
        print(f"F10 {args.steps} times from the start of {args.example} batch {args.batch} "
              f"(medians / maxima over steps; ms)")
        print(f"{'':<44}{'stall':>8}{'':>8}{'longest':>9}{'turn':>8}{'drawing':>9}{'total':>8}")
        print(f"{'':<44}{'median':>8}{'max':>8}{'median':>9}{'max':>8}{'median':>9}{'max':>8}")
        report("first step (first frame)", single_steps(args.steps)[:1])
        from graphlab.ui.stepper import frames

        budget = frames.MOSAIC_PIXELS
        modes = {"one turn, full-size maps": (False, None), "a view per turn, maps reduced": (True, budget)}
        rows_m: dict[str, list] = {m: [] for m in modes}
        for i in range(args.repeats):
            order = list(modes) if i % 2 == 0 else list(modes)[::-1]
            for m in order:
                node_view.NodeView.deferred, frames.MOSAIC_PIXELS = modes[m]
                rows_m[m] += single_steps(args.steps)[1:]
        node_view.NodeView.deferred, frames.MOSAIC_PIXELS = True, budget
        for m in modes:
            report(f"{m}, steps 2..{args.steps}", rows_m[m])
        if args.steps_only:
            w.undo_stack.setClean()
            w.close()
            return

    dock_walk()  # warm-up: torch imports, the first build, pyqtgraph
    results: dict[str, list[tuple[float, float, float, float]]] = {"idle": [], "stepper dock": [],
                                                                     "on the GUI thread": []}
    last = 2.0
    for i in range(args.repeats):
        order = ["idle", "stepper dock", "on the GUI thread"]
        if i % 2:
            order.reverse()
        for mode in order:
            gaps, secs = {"idle": lambda: idle(last), "stepper dock": dock_walk,
                          "on the GUI thread": gui_walk}[mode]()
            if mode == "stepper dock":
                last = secs
            results[mode].append((pct(gaps, 0.5), pct(gaps, 0.95), max(gaps, default=0.0), secs))
    print(f"GraphLab stepper: event-loop latency beyond a {TICK} ms tick, {args.example} batch {args.batch}, "
          f"{len(ui.walk)} steps, torch threads {args.threads}, medians of {args.repeats} (offscreen)")
    print(f"{'mode':<22}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>10}{'walk s':>9}")
    for mode, rows in results.items():
        med = [statistics.median(r[k] for r in rows) for k in range(4)]
        print(f"{mode:<22}{med[0]:>9.1f}{med[1]:>9.1f}{med[2]:>10.1f}{med[3]:>9.2f}")
    w.undo_stack.setClean()
    w.close()


if __name__ == "__main__":
    main()
