"""Training from the editor against `graphlab train` on the same file; the GUI's responsiveness meanwhile;
the plots and the event queue of the training workbench.

    python benchmarks/bench_gui_train.py [--runs 4] [--only throughput,plots,queue,child]
                                         [--cases spiral,digits,lstm]

1. **throughput** — for the spiral 2-layer net (full batch, and batch 32), the digits CNN and the LSTM
   adding example: samples/s of a run started from the editor (window 1400×900, the Train workspace:
   the Plots, Node and Runs docks showing, a node selected: the digits CNN's conv1 with the Images
   tab open, so the child makes its feature maps and filters once a second) against ``python -m
   graphlab train FILE --json`` in a subprocess. Both report the trainer's own
   ``Finished.final["samples_per_s"]`` (the same clock, process start-up excluded). Runs alternate
   G H / H G (counterbalanced), ``--runs`` of each; medians and the ratio (goal ≥ 0.95×). The
   editor's own CPU time over the run's wall time (``getrusage``: all its threads; the child is not
   counted) is the GUI's share of a core (goal ≤ 10%), measured in a real event loop that sleeps
   between events, as a user's window does. F5 → first loss point: from Train until the first Step
   event is in the History, with the spare training process ready as it is a second or two after a
   file opens (goal ≤ 1 s). During the editor's runs a 10 ms QTimer probe records how late each tick
   fires (event-loop latency; goal p95 ≤ 30 ms, max ≤ 100 ms), including the first Train after the
   window opened; during the headless runs the same probe runs in an idle window with the same file
   open — what the machine's load alone costs, the baseline for the latency.
2. **plots** — through the workbench's own path (History → PlotsPanel.refresh → LossPlot): a
   10⁶-step history, then one live frame (a Step event of one step, refresh, flush, paint) and a
   repaint (goal ≤ 30 ms); memory growth over 10⁵ updates (a Step event each, refresh + flush every
   time, an event-loop turn every 100th; goal < 20 MB).
3. **queue** — a child producing faster than the GUI drains (spiral, statistics on every step, a Step
   event per step) while each poll of the window takes 250 ms: the batches in flight never exceed
   the child's bound, every step's loss still arrives, and the History keeps only the latest
   statistics per node plus its bounded tables.
4. **child** (only when asked: ``--only child``) — the editor's training child drained by a plain loop,
   no Qt, against ``graphlab train``: whether a throughput gap is the child's or the GUI's.

The training child is spawned, which re-imports this module: everything runs under ``__main__``.
Run it under a display (``DISPLAY=:N``) to include real painting; offscreen otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = {  # name: (example, epochs (None: the file's), node to select, open the Images tab, batch size)
    "spiral": ("spiral_two_layer", 3000, "fc1", False, "full"),
    "spiral32": ("spiral_two_layer", 600, "fc1", False, 32),
    "digits": ("digits_cnn", None, "conv1", True, None),
    "lstm": ("adding_lstm", None, "rnn", False, None),
}


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


def prepare(tmp: Path, case: str) -> Path:
    name, epochs, _, _, batch = CASES[case]
    doc = json.loads((ROOT / "examples" / f"{name}.graphlab.json").read_text())
    if epochs is not None:
        doc["training"]["epochs"] = epochs
    if batch is not None:
        doc["training"]["batch_size"] = batch
    path = tmp / f"{case}.graphlab.json"
    path.write_text(json.dumps(doc))
    return path


def settle(app: Any, seconds: float = 1.0) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def dispose(app: Any, w: Any) -> None:
    """Delete a closed window now: a deferred delete would land in the next run's measurements."""
    from PySide6.QtCore import QCoreApplication, QEvent

    w.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


def headless(app: Any, path: Path, out: Path, tmp: Path) -> tuple[float, list[float]]:
    """`graphlab train` in a subprocess, while an idle editor window (the same file open, nothing
    training in it) runs the same 10 ms probe: the latency the machine itself causes."""
    from PySide6.QtCore import QSettings, QTimer

    from graphlab.ui import MainWindow

    w = MainWindow(settings=QSettings(str(tmp / "bench.ini"), QSettings.Format.IniFormat), recovery_dir=tmp / "rec")
    w.resize(1400, 900)
    w.show()
    assert w.open_file(path, ask=False)
    w.live.flush()
    settle(app)
    late: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        if last[0]:
            late.append(max(0.0, now - last[0] - 0.010))
        last[0] = now

    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(tick)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = out.with_suffix(".jsonl")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fo, open(log.with_suffix(".err"), "w") as fe:  # files: a full pipe would block it
        p = subprocess.Popen([sys.executable, "-m", "graphlab", "train", str(path), "--json", "--out", str(out)],
                             stdout=fo, stderr=fe, text=True, env=env)
        probe.start()
        while p.poll() is None:
            app.processEvents()
            time.sleep(0.002)
        probe.stop()
    stdout, stderr = log.read_text(), log.with_suffix(".err").read_text()
    w.undo_stack.setClean()
    w.close()
    dispose(app, w)
    if p.returncode != 0:
        raise SystemExit(f"graphlab train failed: {stderr[-500:]}")
    final = json.loads(stdout.strip().splitlines()[-1])["final"]
    return float(final["samples_per_s"]), late


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def gui(app: Any, path: Path, tmp: Path, select: str, images: bool) -> tuple[float, list[float], dict[str, Any]]:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer

    from graphlab.run import events as ev
    from graphlab.ui import MainWindow

    settings = QSettings(str(tmp / "bench.ini"), QSettings.Format.IniFormat)
    settings.setValue("training/warm_process", True)
    w = MainWindow(settings=settings, recovery_dir=tmp / "rec")
    w.resize(1400, 900)
    w.show()
    assert w.open_file(path, ask=False)
    w.live.flush()
    w.scene.select_nodes([select])
    ui = w.training.ui
    ui.node.tabs.setCurrentIndex(3 if images else 0)
    end = time.perf_counter() + 120
    while not (w.training.spare is not None and w.training.spare.ready) and time.perf_counter() < end:
        settle(app, 0.1)  # a second or two after a file opens the spare has imported torch
    settle(app)  # the window is up and painted before Train is pressed, as it is for a user
    late: list[float] = []
    last = [0.0]
    first_point: list[float] = []
    flow_seen = [False]

    def tick() -> None:
        now = time.perf_counter()
        if last[0] and w.training.state in ("running", "paused"):
            late.append(max(0.0, now - last[0] - 0.010))
            flow_seen[0] = flow_seen[0] or ui.plots.flow.isVisible()
        last[0] = now

    def batch(events: list[Any]) -> None:
        if not first_point and any(type(e) is ev.Step for e in events):
            first_point.append(time.perf_counter())

    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(tick)
    loop = QEventLoop()
    w.training.finished.connect(loop.quit)
    w.training.event_batch.connect(batch)
    probe.start()
    t0, c0 = time.perf_counter(), cpu_seconds()
    assert w.training.start(), w.training.blocker()
    warm = w.training.proc is not None and w.training.proc.warm
    loop.exec()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    probe.stop()
    fin = w.training.run_history.finished
    seen = {"plots": ui.plots_dock.isVisible(), "flow": flow_seen[0], "node": ui.node_dock.isVisible(),
            "images": w.training.images_wanted,
            "image_events": sum(1 for _ in w.training.run_history.images.get(select, {})),
            "sampled": w.training.run_history.stats.n, "warm": warm, "workspace": w.workspace.current,
            "gui_cpu": cpu / wall, "first_point_s": (first_point[0] - t0) if first_point else None}
    if fin is None or fin.reason != "completed":
        raise SystemExit(f"the editor's run did not complete: {w.training.run_history.error}")
    w.undo_stack.setClean()
    w.close()
    dispose(app, w)
    return float(fin.final["samples_per_s"]), late, seen


def throughput(app: Any, runs: int, cases: list[str]) -> None:
    print(f"\n## throughput: editor vs graphlab train (counterbalanced, {runs} runs each; load {load()})")
    print(f"{'case':<8} {'editor samples/s':>17} {'headless':>12} {'ratio':>7}   latency p50/p95/max ms "
          f"(idle window)   runs (G, H)")
    all_late: list[float] = []
    all_idle: list[float] = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for case in cases:
            path = prepare(tmp, case)
            _, _, select, images, _ = CASES[case]
            g, h, late, idle, shares, firsts = [], [], [], [], [], []
            for i in range(runs):
                order = ("g", "h") if i % 2 == 0 else ("h", "g")
                for which in order:
                    if which == "g":
                        sps, lt, seen = gui(app, path, tmp, select, images)
                        g.append(sps)
                        late += lt
                        shares.append(seen["gui_cpu"])
                        if seen["first_point_s"] is not None:
                            firsts.append(seen["first_point_s"])
                    else:
                        sps, lt = headless(app, path, tmp / f"out-{case}-{i}", tmp)
                        h.append(sps)
                        idle += lt
                shutil.rmtree(tmp / "runs", ignore_errors=True)
            all_late += late
            all_idle += idle
            mg, mh = statistics.median(g), statistics.median(h)

            def lat(xs: list[float]) -> str:
                return "/".join(f"{1e3 * pct(xs, q):.0f}" for q in (0.5, 0.95)) + f"/{1e3 * max(xs):.0f}"
            print(f"{case:<8} {mg:>17,.0f} {mh:>12,.0f} {mg / mh:>6.3f}×   {lat(late):>9} ({lat(idle)})   "
                  f"{[round(x) for x in g]}, {[round(x) for x in h]}")
            print(f"         GUI CPU {100 * statistics.median(shares):.1f}% of a core (runs: "
                  f"{', '.join(f'{100 * x:.1f}%' for x in shares)}; goal <= 10%); F5 -> first loss point "
                  f"{statistics.median(firsts):.2f} s (runs: {', '.join(f'{x:.2f}' for x in firsts)}; goal <= 1 s)")
            print(f"         (views: {seen}; {len(late)} probe ticks; load {load()})")
    print(f"event-loop latency over all editor runs: p95 {1e3 * pct(all_late, 0.95):.1f} ms, "
          f"max {1e3 * max(all_late):.1f} ms (goals 30 / 100); an idle window beside the headless runs: "
          f"p95 {1e3 * pct(all_idle, 0.95):.1f} ms, max {1e3 * max(all_idle):.1f} ms; load {load()}")


def bare_child(path: Path, out: Path) -> float:
    """The same run in the editor's training child (``TrainingProcess``, as the controller starts it),
    drained 30 times a second by a plain loop: no Qt, no views."""
    from graphlab.io import load as load_graph
    from graphlab.run import events as ev
    from graphlab.run.config import parse_training
    from graphlab.run.process import TrainingProcess

    g = load_graph(path)
    proc = TrainingProcess(g, parse_training(g.training), base_dir=str(path.parent), out_dir=str(out),
                           step_interval=0.05)
    proc.start()
    fin = None
    while fin is None:
        for e in proc.poll(timeout=1 / 30):
            if isinstance(e, ev.Finished):
                fin = e
        time.sleep(1 / 30)
    return float(fin.final["samples_per_s"])


def child(app: Any, runs: int, cases: list[str]) -> None:
    """Where a gap in throughput comes from: the child alone (no GUI) against `graphlab train`."""
    print(f"\n## the training child without a GUI vs graphlab train (alternating, {runs} runs each; load {load()})")
    print(f"{'case':<8} {'child samples/s':>16} {'headless':>12} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for case in cases:
            path = prepare(tmp, case)
            c, h = [], []
            for i in range(runs):
                for which in (("c", "h") if i % 2 == 0 else ("h", "c")):
                    if which == "c":
                        c.append(bare_child(path, tmp / f"child-{case}-{i}"))
                    else:
                        h.append(headless(app, path, tmp / f"out-{case}-{i}", tmp)[0])
            mc, mh = statistics.median(c), statistics.median(h)
            print(f"{case:<8} {mc:>16,.0f} {mh:>12,.0f} {mc / mh:>6.3f}×")


def plots(app: Any) -> None:
    import numpy as np

    from graphlab.run import events as ev
    from graphlab.run.history import History
    from graphlab.ui.training.plots_dock import PlotsPanel

    print(f"\n## plots through the workbench (History -> PlotsPanel -> LossPlot; load {load()})")

    class Ctl:  # what PlotsPanel reads from the controller
        def __init__(self) -> None:
            from PySide6.QtCore import QObject, Signal

            class S(QObject):
                starting = Signal()
                run_started = Signal(object)
                refreshed = Signal()
                finished = Signal(object)
                snapshot_changed = Signal()
                event_batch = Signal(list)
                reset = Signal()
            self.s = S()
            for k in ("starting", "run_started", "refreshed", "finished", "snapshot_changed", "event_batch",
                      "reset"):
                setattr(self, k, getattr(self.s, k))
            self.run_history = History()
            self.active, self.state, self.started_at, self.overfit, self.run_dir = True, "running", None, None, None
            self.edited_since_start = False

    from PySide6.QtWidgets import QMainWindow

    from graphlab.ui.document import Document
    from graphlab.ui.shell import Shell

    host = QMainWindow()
    doc = Document(parent=host)
    shell = Shell(host, doc, None)
    ctl = Ctl()
    panel = PlotsPanel(doc, shell, ctl)  # type: ignore[arg-type]
    panel.resize(1000, 380)
    panel.show()
    start = ev.RunStarted("g", "spiral", "classification", 300, 0, 3, 603, "cpu", 10**6, 1, 1.1, 1.0986,
                          order=["fc1", "relu", "scores"])
    ctl.run_history.add(start)
    panel.run_started(start)
    n = 10**6
    rng = np.random.default_rng(0)
    losses = (2.3 * np.exp(-np.arange(n) / 2e5) + 0.1 * rng.random(n)).tolist()
    for k in range(0, n, 10_000):
        ctl.run_history.add(ev.Step(1, k + 10_000, 0.5, 10_000, 0.1, None, losses[k:k + 10_000], 1.0))
    panel.flush()
    app.processEvents()
    frames, repaints = [], []
    for i in range(15):
        t = time.perf_counter()
        ctl.run_history.add(ev.Step(1, n + i + 1, 0.3, 1, 0.1, None, None, 1.0))
        panel.refresh()
        panel.loss.flush()
        panel.loss.plot_widget.grab()  # paint
        frames.append(time.perf_counter() - t)
        t = time.perf_counter()
        panel.loss.plot_widget.grab()
        repaints.append(time.perf_counter() - t)
    print(f"10^6-step history: live frame (Step event, refresh, flush, paint) {1e3 * statistics.median(frames):.1f} ms, "
          f"repaint {1e3 * statistics.median(repaints):.1f} ms (goal <= 30 ms)")

    ctl2 = Ctl()
    panel2 = PlotsPanel(doc, shell, ctl2)  # type: ignore[arg-type]
    panel2.resize(1000, 380)
    panel2.show()
    ctl2.run_history.add(start)
    panel2.run_started(start)
    app.processEvents()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for i in range(100_000):
        ctl2.run_history.add(ev.Step(1 + i // 1000, i + 1, 1.0 / (1 + i), 1, 0.1, 0.5, None, 1.0))
        if i % 1000 == 999:
            ctl2.run_history.add(ev.Epoch(1 + i // 1000, 0.5, 0.5, 0.6, 0.5, 0.1, 1.0, 100.0, i + 1))
        panel2.refresh()
        panel2.loss.flush()
        if i % 100 == 99:
            app.processEvents()
    grown, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    data = ctl2.run_history.nbytes
    print(f"10^5 updates: tracemalloc growth {(grown - base) / 2**20:.1f} MB (peak {(peak - base) / 2**20:.1f} MB), "
          f"History buffers {data / 2**20:.1f} MB (goal < 20 MB)")


def queue(app: Any) -> None:
    from graphlab import load as load_graph
    from graphlab.run.process import MAX_IN_FLIGHT, TrainingProcess

    print(f"\n## event queue under a slow GUI (load {load()})")
    g = load_graph(ROOT / "examples" / "spiral_two_layer.graphlab.json")
    g.training = {**g.training, "epochs": 3000, "stats": {"budget": 1.0}}
    proc = TrainingProcess(g, step_interval=0)  # a Step event and a NodeStats event every step
    from graphlab.run.history import History

    h = History()
    proc.start()
    per_poll, events_per_poll, polls = [], [], 0
    t0 = time.perf_counter()
    while proc.finished is None:
        time.sleep(0.25)  # a GUI that is busy 250 ms per poll
        before = proc.batches
        got = proc.poll(limit=64)
        per_poll.append(proc.batches - before)
        events_per_poll.append(len(got))
        h.extend(got)
        polls += 1
    proc.join(10)
    steps, loss = h.step_loss()
    print(f"{proc.produced:,} events produced, {proc.batches} batches ({sum(events_per_poll):,} events after "
          f"coalescing) received in {polls} polls ({time.perf_counter() - t0:.1f} s)")
    print(f"batches waiting at a poll: max {max(per_poll)} (the child's bound: {MAX_IN_FLIGHT} + the final one); "
          f"events per poll: median {statistics.median(events_per_poll):.0f}, max {max(events_per_poll)}")
    print(f"every step's loss arrived: {len(steps):,} of 3,000 (steps 1..{int(steps[-1])}); "
          f"History: {len(h.node_stats)} nodes' latest statistics, tables {h.stats.n} rows "
          f"(stride {h.stats.stride}), {h.nbytes / 2**20:.2f} MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--only", default="throughput,plots,queue")
    ap.add_argument("--cases", default="spiral,spiral32,digits,lstm")
    args = ap.parse_args()
    if "DISPLAY" not in os.environ:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    print(f"GraphLab training workbench benchmark · {os.cpu_count()} cores · "
          f"Qt platform {app.platformName()} · load {load()}")
    only = args.only.split(",")
    if "throughput" in only:
        throughput(app, args.runs, args.cases.split(","))
    if "plots" in only:
        plots(app)
    if "queue" in only:
        queue(app)
    if "child" in only:
        child(app, args.runs, args.cases.split(","))


if __name__ == "__main__":
    main()
