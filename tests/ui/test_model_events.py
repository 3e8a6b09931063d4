"""A model listener that raises (a broken view) leaves the editor's undo stack, scene and model in step."""
from __future__ import annotations

import logging

from .helpers import scene_matches_model, snapshot


def test_a_raising_listener_keeps_undo_and_scene_in_step(make_window, examples_dir, caplog):
    w = make_window(examples_dir / "lenet5.graphlab.json")
    g = w.document.graph
    failures = []

    def broken(*args):
        raise RuntimeError("broken view")

    for ev in (g.node_added, g.node_removed, g.edge_added, g.edge_removed, g.param_changed):
        ev.connect(broken)
    g.listener_failed.connect(lambda event, fn, exc: failures.append(event))
    before = snapshot(w)
    with caplog.at_level(logging.ERROR, logger="graphlab.core"):
        new = w.controller.add_node("Dropout", (50, 300))
        w.controller.delete([list(g.nodes)[2]])
        w.controller.set_param(new, "p", 0.3)
        assert w.undo_stack.count() == 3 and w.undo_stack.index() == 3
        scene_matches_model(w)
        for _ in range(3):
            w.undo_stack.undo()
            scene_matches_model(w)
    assert snapshot(w) == before
    assert {"node_added", "node_removed", "edge_added", "edge_removed", "param_changed"} <= set(failures)
    w.live.flush()
    assert w.live.analysis is not None and w.live.analysis.ok
