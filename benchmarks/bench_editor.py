"""Editor speed on a generated 1,000-node graph (offscreen Qt, medians).

    python benchmarks/bench_editor.py [--nodes 1000] [--repeat 25] [--big 10000] [--big-runs 4]

Measures, in one run and on one window:
  * open: read the file, build the scene, analyse, first paint;
  * param edit: one SetParam command -> re-analysis -> changed items updated -> repaint
    (goal: ≤ 16 ms, one frame at 60 Hz), split into its parts;
  * drag frame: move one node with its edges and repaint;
  * overlay: every node's badge and heat colour set through ``scene.overlay`` (what the training
    view does ~10 times a second), then the repaint; the items it draws with are made once, so the
    updates must create no items and redraw no card (both counted and printed);
each against the baseline of a full repaint in which nothing changed (the edits and drags repaint
only the regions that changed, as the event loop does), measured in the same run, at two
zoom levels: "fit" (all nodes on screen, the worst case) and "100%".

Then, each in a fresh child process (so peak memory is its own), opening a ``--big``-node file
written without positions (allowed in files; the editor lays it out on open) against the same
graph with positions, alternated A B B A: the load (graphlab.io), the editor's part (layout,
scene, analysis, first paint) and the peak resident memory of the process.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphlab.core import Graph, analyze
from graphlab.core.layout import layered_positions
from graphlab.io import dumps, save


def make_graph(n: int) -> Graph:
    """Input -> blocks of (Linear, ReLU, Linear, Add(skip)) -> ... -> Linear -> CrossEntropyLoss.

    Placed in columns of 40 cards running down, side by side (before the canvas ran top to bottom
    it was rows of 40 running right, one under the other: the same density on screen)."""
    g = Graph(f"bench {n}")
    rows = 40  # columns of 40 cards, top to bottom (the canvas's flow), side by side
    pos = lambda i: ((i // rows) * 228.0, (i % rows) * 112.0)
    prev = g.add_node("Input", {"shape": [64]}, pos(0)).id
    i = 1
    while len(g.nodes) < n - 2:
        a = g.add_node("Linear", {"out_features": 64}, pos(i)).id
        r = g.add_node("ReLU", {}, pos(i + 1)).id
        b = g.add_node("Linear", {"out_features": 64}, pos(i + 2)).id
        s = g.add_node("Add", {}, pos(i + 3)).id
        g.connect(prev, a)
        g.connect(a, r)
        g.connect(r, b)
        g.connect(b, s, 0)
        g.connect(prev, s, 1)
        prev, i = s, i + 4
    while len(g.nodes) < n - 2:
        pass
    out = g.add_node("Linear", {"out_features": 10}, pos(i)).id
    loss = g.add_node("CrossEntropyLoss", {}, pos(i + 1)).id
    g.connect(prev, out)
    g.connect(out, loss)
    while len(g.nodes) < n:  # pad with free-standing nodes to hit n exactly
        g.add_node("ReLU", {}, pos(len(g.nodes) + 2))
    return g


def ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=25)
    ap.add_argument("--big", type=int, default=10000, help="nodes of the file opened without positions (0: skip)")
    ap.add_argument("--big-runs", type=int, default=4, help="child processes for it, alternating A B B A")
    ap.add_argument("--child-open", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_open:
        return child_open(Path(args.child_open))

    from PySide6.QtCore import QPointF, QSettings

    from graphlab.ui.app import make_app
    from graphlab.ui.main_window import MainWindow

    app = make_app()
    tmp = Path(tempfile.mkdtemp())
    path = tmp / "bench.graphlab.json"
    g = make_graph(args.nodes)
    save(g, path)
    assert analyze(g).ok, analyze(g).problems[:3]
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp)
    w.resize(1400, 900)
    w.show()
    app.processEvents()
    vp = w.view.viewport()

    def paint() -> None:
        vp.repaint()  # synchronous paint of the whole canvas (worst case)

    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        n = 0

        def eventFilter(self, obj: object, ev: QEvent) -> bool:
            if ev.type() == QEvent.Type.Paint:
                PaintCounter.n += 1
            return False

    counter = PaintCounter()
    vp.installEventFilter(counter)

    def frame() -> None:
        # what the event loop does: the scene collects dirty items (a queued call), the view posts
        # an update for their regions, and the viewport paints only those; three turns cover it
        for _ in range(3):
            app.processEvents()

    opens = []
    for _ in range(max(3, args.repeat // 5)):
        t = time.perf_counter()
        w.open_file(path, ask=False)
        w.live.flush()
        paint()
        opens.append(time.perf_counter() - t)
    rows: list[tuple[str, float, str]] = [(f"open {args.nodes} nodes (load, scene, analysis, paint)", ms(opens), "")]

    edit_nodes = [nid for nid, n in w.document.graph.nodes.items() if n.type == "Linear"][: args.repeat]
    mover = edit_nodes[len(edit_nodes) // 2]
    for zoom_name, setup in (("fit", w.view.fit_all), ("100%", lambda: (w.view.resetTransform(),
                                                                        w.view.center_on_node(mover)))):
        setup()
        paint()
        idle = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            paint()
            idle.append(time.perf_counter() - t)
        t_cmd, t_an, t_apply, t_paint, total = [], [], [], [], []
        for k, nid in enumerate(edit_nodes):
            t0 = time.perf_counter()
            w.controller.set_param(nid, "out_features", 65 + k % 2)
            t1 = time.perf_counter()
            a = analyze(w.document.graph)
            t2 = time.perf_counter()
            w.live._dirty = False  # this turn's analysis is done above; the scene gets it as the app would
            w.live.analysis = a
            w.live.updated.emit(a)
            t3 = time.perf_counter()
            frame()
            t4 = time.perf_counter()
            t_cmd.append(t1 - t0), t_an.append(t2 - t1), t_apply.append(t3 - t2), t_paint.append(t4 - t3)
            total.append(t4 - t0)
        item = w.scene.node_items[mover]
        x0, y0 = item.pos().x(), item.pos().y()
        paints_before = PaintCounter.n
        drag = []
        for k in range(args.repeat * 2):
            t = time.perf_counter()
            item.setPos(QPointF(x0 + 3 * (k + 1), y0 + 2 * (k % 5)))
            frame()
            drag.append(time.perf_counter() - t)
        item.setPos(QPointF(x0, y0))
        drag_paints = (PaintCounter.n - paints_before) / (args.repeat * 2)
        ov = w.scene.overlay
        ids = list(w.document.graph.nodes)
        ov.set_nodes("bench", {n: {"badge": "0.00e+00", "heat": 0.5} for n in ids})  # first use makes the items
        frame()
        n_items = len(w.scene.items())
        card_paints = sum(i.paints for i in w.scene.node_items.values())
        t_set, t_ov = [], []
        for k in range(args.repeat):
            t0 = time.perf_counter()
            ov.set_nodes("bench", {n: {"badge": f"{(k + 1) * (i % 97) * 1e-4:.2e}", "heat": ((i + k) % 50) / 50}
                                   for i, n in enumerate(ids)})
            t1 = time.perf_counter()
            frame()
            t2 = time.perf_counter()
            t_set.append(t1 - t0), t_ov.append(t2 - t0)
        made = len(w.scene.items()) - n_items
        redrawn = sum(i.paints for i in w.scene.node_items.values()) - card_paints
        ov.clear("bench")
        frame()
        base = ms(idle)
        rows += [
            (f"[{zoom_name}] baseline: full repaint, nothing changed", base, "1.00×"),
            (f"[{zoom_name}] param edit total (command+analysis+items+paint)", ms(total), f"{ms(total) / base:.2f}×"),
            (f"[{zoom_name}]   command (model edit + events)", ms(t_cmd), ""),
            (f"[{zoom_name}]   analysis ({args.nodes} nodes)", ms(t_an), ""),
            (f"[{zoom_name}]   update changed items", ms(t_apply), ""),
            (f"[{zoom_name}]   repaint (changed regions)", ms(t_paint), ""),
            (f"[{zoom_name}] drag frame: move node + edges + repaint ({drag_paints:.1f} paints/frame)", ms(drag),
             f"{ms(drag) / base:.2f}×"),
            (f"[{zoom_name}] overlay: {len(ids)} badges + heat, set and repaint", ms(t_ov), f"{ms(t_ov) / base:.2f}×"),
            (f"[{zoom_name}]   set (items made: {made}, cards redrawn: {redrawn})", ms(t_set), ""),
        ]
    w.undo_stack.setClean()
    w.close()
    width = max(len(r[0]) for r in rows)
    print(f"GraphLab editor benchmark: {args.nodes} nodes, {len(w.document.graph.edges)} edges, medians of "
          f"{args.repeat} (Qt offscreen, canvas {vp.width()}×{vp.height()} px)")
    print(f"{'measure':<{width}}  {'ms':>8}  {'vs baseline':>11}")
    for name, value, ratio in rows:
        print(f"{name:<{width}}  {value:8.2f}  {ratio:>11}")
    edits = [r for r in rows if "param edit total" in r[0]]
    print("goal: param edit ≤ 16 ms (one frame at 60 Hz): "
          + ", ".join(f"{r[0].split(']')[0][1:]} {r[1]:.1f} ms {'OK' if r[1] <= 16 else 'OVER'}" for r in edits))
    overlay = [r for r in rows if "overlay:" in r[0]]
    print("goal: overlay update of every badge ≤ 100 ms (the training view's refresh): "
          + ", ".join(f"{r[0].split(']')[0][1:]} {r[1]:.1f} ms {'OK' if r[1] <= 100 else 'OVER'}" for r in overlay))
    if args.big:
        big_open(args.big, args.big_runs, tmp)
    return 0


def child_open(path: Path) -> int:
    """In a fresh process: open ``path`` in a window; print times and peak memory as JSON."""
    from PySide6.QtCore import QSettings

    from graphlab.io import load
    from graphlab.ui.app import make_app
    from graphlab.ui.main_window import MainWindow

    app = make_app()
    tmp = Path(tempfile.mkdtemp())
    w = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp)
    w.resize(1400, 900)
    w.show()
    app.processEvents()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    g = load(path)
    t1 = time.perf_counter()
    w.set_document(g, str(path))  # lays out nodes without positions, builds the scene
    w.live.flush()  # analysis, cards updated
    for _ in range(3):
        app.processEvents()
    w.view.viewport().repaint()  # first paint
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    distinct = len({n.pos for n in w.document.graph.nodes.values()})
    print(json.dumps({"load": t1 - t0, "editor": t2 - t1, "peak_mb": rss / 1024, "before_mb": rss0 / 1024,
                      "distinct_positions": distinct, "nodes": len(w.document.graph.nodes)}))
    w.undo_stack.setClean()
    w.close()
    return 0


def big_open(n: int, runs: int, tmp: Path) -> None:
    g = make_graph(n)
    for nid, p in layered_positions(g).items():
        g.nodes[nid].pos = p
    placed = tmp / f"placed{n}.graphlab.json"
    save(g, placed)
    doc = json.loads(dumps(g))
    for node in doc["nodes"]:
        node.pop("pos", None)
    bare = tmp / f"bare{n}.graphlab.json"
    bare.write_text(json.dumps(doc), "utf-8")
    results: dict[str, list[dict]] = {"with positions": [], "without positions": []}
    order = ["with positions", "without positions", "without positions", "with positions"]
    for k in range(runs):
        which = order[k % 4]
        path = placed if which == "with positions" else bare
        out = subprocess.run([sys.executable, __file__, "--child-open", str(path)], capture_output=True, text=True,
                             timeout=3600)
        line = [x for x in out.stdout.splitlines() if x.startswith("{")]
        if not line:
            print(f"child failed ({which}): {out.stderr.strip()[-400:]}")
            return
        results[which].append(json.loads(line[-1]))
    print(f"\nopen a {n}-node file, fresh process each ({runs} runs, A B B A), medians:")
    print(f"{'file':<20} {'load s':>8} {'editor s':>9} {'peak RSS MB':>12} {'distinct positions':>19}")
    med = {}
    for which, rs in results.items():
        if not rs:
            continue
        med[which] = {k: statistics.median(r[k] for r in rs) for k in ("load", "editor", "peak_mb")}
        print(f"{which:<20} {med[which]['load']:8.2f} {med[which]['editor']:9.2f} {med[which]['peak_mb']:12.0f} "
              f"{min(r['distinct_positions'] for r in rs):>19}")
    if len(med) == 2:
        a, b = med["with positions"], med["without positions"]
        print(f"without / with positions: editor {b['editor'] / a['editor']:.2f}×, "
              f"peak RSS {b['peak_mb'] / a['peak_mb']:.2f}×")


if __name__ == "__main__":
    raise SystemExit(main())
