"""The run on the canvas and in the problems list: badges, warning marks, the failing node.

Through the canvas overlay (owner ``"training"``, :mod:`graphlab.ui.scene.overlay`) — never the
document:

* a badge on every node the run measures: ``∇ 3.1e-04`` = ‖∂L/∂out‖ of its output on the latest
  sampled batch, coloured on a log scale (:func:`grad_color`: blue where gradients vanish, red where
  they explode), plus the share of dead units (spec ``saturation: "zero"``) or of saturated outputs
  (sigmoid/tanh); the Input shows the dataset and the loss node the latest loss. At most
  :data:`BADGE_HZ` updates a second;
* each health warning (dead units, saturation, update/weight ratio far from 1e-3, vanishing or
  exploding gradients, the initial loss) as a mark on its node, the reason in the card's tooltip,
  and as a warning line in the problems list (owner ``"training"``), with its node;
* an error (NaN, runtime error, out of memory, a bad dataset, a child that died) as an error line
  naming the node; the node is outlined in red, selected and brought into view, and the problems
  list is raised.
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from ...core import REGISTRY
from ...core.analysis import Problem
from ...run import events as ev
from ..scene.style import heat_color

from ..document import Document
from ..shell import Shell

if TYPE_CHECKING:
    from .controller import TrainingController

OWNER = "training"
BADGE_HZ = 1  # each update repaints the cards around the changed badges
#: the badge colour scale: log10 ‖∂L/∂out‖ from LOG_LO (dark blue: vanishing) through the middle (pale
#: yellow, 1e-2) to LOG_HI (dark red: exploding), on the canvas's heat scale
LOG_LO, LOG_HI = -6.0, 2.0
ERROR_OUTLINE = "#d0302f"


def grad_color(g: float | None) -> Any:
    if g is None or not math.isfinite(g):
        return heat_color(1.0) if g is not None else None
    lg = math.log10(g) if g > 0 else LOG_LO
    return heat_color((lg - LOG_LO) / (LOG_HI - LOG_LO))


def badge_text(s: ev.NodeStat, saturation: str | None) -> str:
    g = s.grad_norm
    text = "∇ –" if g is None else f"∇ {g:.1e}"
    if saturation == "zero" and s.dead_frac is not None:
        text += f" · {s.dead_frac:.0%} dead"
    elif saturation is not None and s.saturated_frac is not None:
        text += f" · {s.saturated_frac:.0%} sat"
    return text


class CanvasFeedback(QObject):
    def __init__(self, document: Document, shell: Shell, controller: TrainingController) -> None:
        super().__init__(shell)
        self.document, self.shell, self.controller = document, shell, controller
        self.warnings: list[ev.Warning] = []
        self.error: ev.Error | None = None
        self.badges: dict[str, str] = {}
        self._last = 0.0
        self._marks: dict[str, list[str]] = {}
        controller.starting.connect(self.starting)
        controller.run_started.connect(self.run_started)
        controller.refreshed.connect(self.refresh)
        controller.event_batch.connect(self.events)
        controller.finished.connect(self.run_finished)
        controller.reset.connect(self.starting)

    @property
    def overlay(self) -> Any:
        return self.document.overlay

    def starting(self) -> None:
        """Train was pressed (or another graph opened): the last run's badges, marks and problems go."""
        self.overlay.clear(OWNER)
        self.warnings, self.error, self.badges, self._marks = [], None, {}, {}
        self.document.problems.set_extra(OWNER, [])

    def run_started(self, e: ev.RunStarted) -> None:
        self.starting()
        a = self.document.live.analysis
        for nid in (a.inputs if a is not None else []):
            self.badges[nid] = f"{e.dataset} · {e.n_train:,} samples"
        self.overlay.set_nodes(OWNER, {n: {"badge": b} for n, b in self.badges.items()})

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 1.0 / BADGE_HZ:
            return
        self._last = now
        h = self.controller.run_history
        g = self.document.graph
        updates: dict[str, dict[str, Any]] = {}
        for nid in h.order:
            s = h.latest(nid)
            if s is None or nid not in g.nodes:
                continue
            spec = REGISTRY.get(g.nodes[nid].type)
            text = badge_text(s, spec.saturation if spec else None)
            if self.badges.get(nid) != text:
                self.badges[nid] = text
                updates[nid] = {"badge": text, "badge_color": grad_color(s.grad_norm)}
        steps, loss = h.step_loss()
        a = self.document.live.analysis
        if len(loss) and a is not None and a.loss in g.nodes:
            text = f"L {loss[-1]:.4g}"
            if self.badges.get(a.loss) != text:
                self.badges[a.loss] = text
                updates[a.loss] = {"badge": text}
        if updates:
            self.overlay.set_nodes(OWNER, updates)

    def events(self, events: list[Any]) -> None:
        changed = False
        for e in events:
            t = type(e)
            if t is ev.Warning:
                self.warnings.append(e)
                if e.node:
                    self._marks.setdefault(e.node, []).append(e.message)
                    self.overlay.set_node(e.node, OWNER, marks=self._marks[e.node])
                changed = True
            elif t is ev.Error:
                self.error = e
                changed = True
                self.show_error(e)
        if changed:
            self._publish()

    def show_error(self, e: ev.Error) -> None:
        node = e.node if e.node in self.document.graph.nodes else None
        if node is not None:
            self.overlay.set_node(node, OWNER, highlight=ERROR_OUTLINE)
            self.shell.reveal_node(node)
        self.shell.raise_dock("problemsDock")
        self.shell.show_hint(f"training stopped: {e.message}", 15000)

    def _publish(self) -> None:
        out = []
        if self.error is not None:
            out.append(Problem(self.error.node, self.error.message, self.error.field, "error"))
        out += [Problem(w.node, w.message, None, "warning") for w in self.warnings]
        self.document.problems.set_extra(OWNER, out)

    def run_finished(self, _fin: ev.Finished) -> None:
        self.refresh(force=True)
