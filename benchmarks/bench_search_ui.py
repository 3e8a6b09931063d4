"""The Search dock's redraw at hundreds of trials (offscreen Qt, medians; baselines in the same run).

    python benchmarks/bench_search_ui.py [--trials 500] [--epochs 100] [--repeat 15]

What the GUI thread does when a search's trials are read again (at most once a second while it runs):
``SearchPanel.show_rows(rows)`` — the trials table (text made once per update, sorted in Python), the
parallel coordinates (one plot item per colour bin) and the intermediate curves — then one paint of
the dock. Measured with the *Parallel coordinates* view in front and with the *Curves* view in front,
at ``--trials`` trials of 3 searched keys with ``--epochs`` intermediate values each (synthetic rows:
no Optuna, no processes). Baselines, interleaved with them: the same panel repainted with nothing new,
and the same update at a tenth of the trials. *First look*: nothing cached (a study opened); *read again*: the
same study a second later (new row objects, four running trials one epoch further), as while a search
runs. Goal: ≤ 50 ms per update at 500 trials. The dock is sized as in the Train workspace at 1280×800.

Also: one brush of an axis (filter the table, the coordinates and the curves, paint) at that size.
"""
from __future__ import annotations

import argparse
import math
from dataclasses import replace
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

from graphlab.io import loads  # noqa: E402
from graphlab.search.space import parse_search  # noqa: E402
from graphlab.search.study import TrialRow  # noqa: E402
from graphlab.ui.document import Document  # noqa: E402
from graphlab.ui.search.jobs import StudyLook  # noqa: E402
from graphlab.ui.shell import Shell  # noqa: E402

#: the Search dock's size in the Train workspace of a 1280×800 window (the right 58%, full height)
DOCK = (742, 760)
SPIRAL = Path(__file__).resolve().parent.parent / "examples" / "spiral_two_layer.graphlab.json"


def fake_rows(n: int, epochs: int, seed: int = 0) -> list[TrialRow]:
    """Trials as a study of the spiral example's section would hold them: ~20% pruned, a few failed."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        lr = float(10 ** rng.uniform(-2, 1))
        l2 = float(10 ** rng.uniform(-5, -1))
        width = int(rng.choice([25, 50, 100, 200]))
        final = float(np.clip(0.95 - 0.3 * abs(math.log10(lr) - 0.0) / 2 - rng.random() * 0.1, 0.3, 1.0))
        state = "PRUNED" if rng.random() < 0.2 else ("FAIL" if rng.random() < 0.03 else "COMPLETE")
        last = epochs if state == "COMPLETE" else int(rng.integers(5, max(6, epochs // 2)))
        curve = {e: float(final * (1 - math.exp(-5 * e / epochs)) + 0.33 * math.exp(-5 * e / epochs))
                 for e in range(1, last + 1)} if state != "FAIL" else {}
        rows.append(TrialRow(i, state, final if state == "COMPLETE" else None,
                             {"training.optimizer.lr": lr, "training.regularization.l2": l2, "fc1.out_features": width},
                             f"/tmp/runs/search-s/trial-{i:05d}", i, max(curve) if curve else None,
                             float(rng.uniform(1, 60)), False, "host", curve))
    return rows


class Bench:
    def __init__(self, app: QApplication) -> None:
        from graphlab.ui.search import install

        self.app = app
        self.host = QMainWindow()
        graph = loads(SPIRAL.read_text())
        self.doc = Document(graph, str(SPIRAL), parent=self.host)
        self.shell = Shell(self.host, self.doc, None)
        self.search = install(self.doc, self.shell)
        self.panel = self.search.ui.panel
        self.search.ui.dock.show()
        self.host.resize(DOCK[0], DOCK[1])  # the dock alone, its size in the Train workspace at 1280×800
        self.host.show()
        self.panel.tabs.setCurrentIndex(1)
        self.spec = parse_search(graph.search, graph)
        self.spin()

    def spin(self) -> None:
        for _ in range(3):
            self.app.processEvents()

    def set_look(self, rows: list[TrialRow]) -> None:
        self.search.look = StudyLook("s", "journal", True, ["s"], self.spec, len(rows), rows)
        self.search.rows = rows

    def update(self, rows: list[TrialRow], cold: bool = True) -> float:
        self.search.rows = rows
        if cold:  # nothing cached: the first look at a study
            self.panel.table.trials.forget()
            self.panel.curves.cache.clear()
        t0 = time.perf_counter()
        self.panel.show_rows(rows)
        self.panel.repaint()
        return time.perf_counter() - t0

    def repaint(self) -> float:
        t0 = time.perf_counter()
        self.panel.repaint()
        return time.perf_counter() - t0

    def brush(self, lo: float) -> float:
        t0 = time.perf_counter()
        self.panel.coords.set_brush(0, lo, lo + 0.5)
        self.panel.repaint()
        return time.perf_counter() - t0


def reread(rows: list[TrialRow], step: int) -> list[TrialRow]:
    """The same study read again a second later: new row objects, the last 4 trials one epoch further."""
    out = [replace(r) for r in rows]
    for i in range(len(out) - 4, len(out)):
        r = out[i]
        e = (r.epochs or 0) + step
        out[i] = replace(r, state="RUNNING", value=None, epochs=e, intermediate={**r.intermediate, e: 0.5})
    return out


def med_ms(xs: list[float]) -> float:
    return statistics.median(xs) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    b = Bench(app)
    big = [fake_rows(args.trials, args.epochs, seed=s) for s in range(2)]  # alternate: every update is new data
    small = [fake_rows(max(args.trials // 10, 2), args.epochs, seed=s) for s in range(2)]
    b.set_look(big[0])
    print(f"load average {os.getloadavg()[0]:.2f}; {args.trials} trials × {args.epochs} intermediate values, "
          f"dock {b.panel.width()}×{b.panel.height()}")
    for view, name in ((0, "parallel coordinates"), (1, "curves")):
        b.panel.views.setCurrentIndex(view)
        b.update(big[1])  # warm up
        b.spin()
        full, tenth, again, paint = [], [], [], []
        for i in range(args.repeat):  # interleaved: first look, a tenth of it, a re-read, a bare repaint
            full.append(b.update(big[i % 2]))
            tenth.append(b.update(small[i % 2]))
            b.update(big[0])
            again.append(b.update(reread(big[0], i + 1), cold=False))
            paint.append(b.repaint())
            b.spin()
        print(f"{name:>22} in front: first look {med_ms(full):5.1f} ms at {args.trials} trials "
              f"({med_ms(tenth):4.1f} ms at {len(small[0])}), read again {med_ms(again):5.1f} ms; bare repaint "
              f"{med_ms(paint):4.1f} ms")
    b.panel.views.setCurrentIndex(0)
    b.update(big[0])
    brush = [b.brush(0.1 + 0.3 * (i % 2)) for i in range(args.repeat)]
    print(f"{'brush an axis':>22}: {med_ms(brush):6.1f} ms (filter table, coordinates, curves; paint)")
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        b.panel.table.trials.set_rows(big[0], list(b.spec.space), "val_acc", 3)
    t_table = (time.perf_counter() - t0) / args.repeat
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        b.panel.coords.set_trials(big[0], list(b.spec.space), dict(b.spec.space), "val_acc", 3)
    t_coords = (time.perf_counter() - t0) / args.repeat
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        b.panel.curves.set_trials(big[0], "val_acc", 3)
    t_curves = (time.perf_counter() - t0) / args.repeat
    print(f"{'parts (no paint)':>22}: table {t_table * 1e3:.1f} ms, coordinates {t_coords * 1e3:.1f} ms, "
          f"curves {t_curves * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
