"""A parent that starts a training child, says the child's pid, and waits to be killed (issue 16 item 7).

``python orphan_parent.py OUT_DIR [thread]``: with ``thread`` the child is started from a thread
that ends at once (the parent process lives on). With GL_TEST_NO_PRCTL=1 the child skips
PR_SET_PDEATHSIG, as on a system without it: only its command thread's check of the parent's pid
is left. The patch sits at module level because ``spawn`` runs this file again in the child.
"""
from __future__ import annotations

import os
import sys
import threading
import time
import types

import graphlab.run.process as process

if os.environ.get("GL_TEST_NO_PRCTL"):
    process.sys = types.SimpleNamespace(platform="elsewhere", modules=sys.modules)  # type: ignore[assignment]


def main() -> None:
    from graphlab.core import Graph
    from graphlab.run import events as ev

    g = Graph("spiral")
    g.add_node("Input", {"shape": [2]}, node_id="x")
    g.add_node("Linear", {"out_features": 3}, node_id="scores")
    g.add_node("CrossEntropyLoss", {}, node_id="loss")
    g.connect("x", "scores")
    g.connect("scores", "loss")
    g.training = {"dataset": "spiral", "val_fraction": 0, "batch_size": 16, "epochs": 10_000_000}
    holder: list[process.TrainingProcess] = []

    def start() -> None:
        proc = process.TrainingProcess(g, out_dir=sys.argv[1], step_interval=0.0)
        proc.start()
        holder.append(proc)

    if sys.argv[2:] == ["thread"]:
        t = threading.Thread(target=start)
        t.start()
        t.join()  # the thread that started the child is gone; this process is not
    else:
        start()
    proc = holder[0]
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if any(isinstance(e, ev.Step) for e in proc.poll(timeout=0.1)):
            break
    print(proc._proc.pid, flush=True)
    while True:  # keep reading, as the editor does, until killed
        proc.poll(timeout=0.1)


if __name__ == "__main__":
    main()
