"""The course's health checks on sampled statistics, as warnings that name a node.

Each kind of warning is given once per node per run (the UI keeps it as a mark on the node).
Thresholds (CS231n's rules of thumb, stated in each message):

* ``dead`` — at least :data:`DEAD_UNITS` of a ReLU-like node's units (spec ``saturation`` "zero")
  are zero for every sample of the sampled batch.
* ``saturated`` — more than :data:`SATURATED` of a Sigmoid/Tanh node's outputs are in the flat
  region, so the gradient through them nearly vanishes.
* ``update_high`` / ``update_low`` — the update/weight ratio ‖Δw‖/‖w‖ of a node's ``weight`` should
  be about 1e-3. Too high: the median of its last 3 sampled updates above :data:`UPDATE_HIGH` (100×
  the rule; one large first step from tiny initial weights does not count). Too low: the median of
  its first :data:`UPDATE_WINDOW` sampled updates below :data:`UPDATE_LOW` (100× under the rule) —
  judged early and not when the weight's gradient norm has already fallen below :data:`CONVERGED`
  of its first sampled value, because a net that has converged rightly makes small updates.
* ``vanishing`` / ``exploding`` — ‖∂L/∂out‖ per value (the norm divided by √(number of values), so
  wide and narrow layers compare) along the forward order, relative to the prediction node's: when
  it is below :data:`VANISHING` (1e-3) at some node, the gradient has shrunk a thousandfold on its
  way back; above :data:`EXPLODING` (1e3), it has grown as much. The warning goes on the node
  nearest the output where the ratio first crosses the threshold.
* ``initial_loss`` — the untrained net's loss is far from the loss of all-zero scores (ln C for
  softmax cross-entropy, (C−1)/C for the hinge loss): more than :data:`INITIAL_LOSS_TOLERANCE` of
  it away (and at least 0.5). Small random weights give scores near zero, so a much larger loss
  means the initial weights are too large.
"""
from __future__ import annotations

import math
from collections import deque

from .events import NodeStats, Warning

DEAD_UNITS = 0.5
SATURATED = 0.5
UPDATE_HIGH = 1e-1
UPDATE_LOW = 1e-5
UPDATE_WINDOW = 3
#: a weight whose gradient norm fell below this share of its first sampled one has converged
CONVERGED = 1e-2
VANISHING = 1e-3
EXPLODING = 1e3
INITIAL_LOSS_TOLERANCE = 0.25


def initial_loss_warning(init_loss: float, expected: float | None, num_classes: int | None) -> Warning | None:
    if expected is None or not math.isfinite(init_loss):
        return None
    if abs(init_loss - expected) <= max(0.5, INITIAL_LOSS_TOLERANCE * expected):
        return None
    what = f"ln {num_classes} = {expected:.3g}" if num_classes else f"{expected:.3g}"
    return Warning(f"the loss at initialisation is {init_loss:.3g}, far from {what}, the loss of all-zero "
                   "scores: the initial weights may be too large (try init small_gaussian, xavier or kaiming)",
                   None, "initial_loss", init_loss, 0)


class Health:
    def __init__(self, order: list[str], elems: dict[str, int], output: str | None) -> None:
        """``order``: nodes in forward order; ``elems``: values per sample of each node's output;
        ``output``: the prediction node (the reference for gradient ratios)."""
        self.order = order
        self.elems = elems
        self.output = output
        self.warned: set[tuple[str, str]] = set()
        self._ratios: dict[str, deque[float]] = {}
        self._count: dict[str, int] = {}
        self._grads: dict[str, list[float]] = {}

    def _once(self, node: str, kind: str, message: str, value: float, step: int, out: list[Warning]) -> None:
        if (node, kind) not in self.warned:
            self.warned.add((node, kind))
            out.append(Warning(message, node, kind, value, step))

    def check(self, ns: NodeStats) -> list[Warning]:
        out: list[Warning] = []
        for nid, s in ns.nodes.items():
            if s.dead_frac is not None and s.dead_frac >= DEAD_UNITS:
                self._once(nid, "dead", f"{s.dead_frac:.0%} of {nid}'s {s.units} units are dead (zero for every "
                           "sample of the batch), so no gradient flows through them: a too-large learning rate or "
                           "a bad init kills ReLUs; try a lower lr, kaiming init or LeakyReLU",
                           s.dead_frac, ns.step, out)
            if s.saturated_frac is not None and s.saturated_frac > SATURATED:
                self._once(nid, "saturated", f"{s.saturated_frac:.0%} of {nid}'s outputs are saturated, so gradients "
                           "through them vanish: try smaller initial weights (xavier init), normalised inputs, "
                           "or ReLU", s.saturated_frac, ns.step, out)
            for pname, ps in s.params.items():
                if ps.update_ratio is None or not math.isfinite(ps.update_ratio) or pname != "weight":
                    continue
                q = self._ratios.setdefault(nid, deque(maxlen=UPDATE_WINDOW))
                q.append(ps.update_ratio)
                seen = self._count[nid] = self._count.get(nid, 0) + 1
                recent = sorted(list(q)[-3:])
                if len(recent) == 3 and recent[1] > UPDATE_HIGH:
                    self._once(nid, "update_high", f"updates change {nid}.weight by {recent[1]:.2g} of its size "
                               "(rule of thumb ~1e-3): the learning rate is probably too high",
                               recent[1], ns.step, out)
                g = self._grads.setdefault(nid, [])
                g.append(ps.grad_norm)
                if seen == UPDATE_WINDOW:  # judged once, early: a converged net's updates are small for good reason
                    med = sorted(q)[UPDATE_WINDOW // 2]
                    converged = sorted(g)[UPDATE_WINDOW // 2] < CONVERGED * g[0]
                    if med < UPDATE_LOW and not converged:
                        self._once(nid, "update_low", f"updates change {nid}.weight by only {med:.2g} of its size "
                                   "(rule of thumb ~1e-3): the learning rate is probably too low", med, ns.step, out)
        self._gradient_flow(ns, out)
        return out

    def per_value(self, ns: NodeStats) -> dict[str, float]:
        """‖∂L/∂out‖ / √(values per sample) for each node that has it (the batch size cancels in ratios)."""
        return {nid: s.grad_norm / math.sqrt(max(self.elems.get(nid, 1), 1)) for nid, s in ns.nodes.items()
                if s.grad_norm is not None and math.isfinite(s.grad_norm)}

    def _gradient_flow(self, ns: NodeStats, out: list[Warning]) -> None:
        g = self.per_value(ns)
        ref_id = self.output if self.output in g else next((n for n in reversed(self.order) if n in g), None)
        if ref_id is None or g[ref_id] <= 0:
            return
        ref = g[ref_id]
        back = [n for n in reversed(self.order) if n in g and n != ref_id]  # from the output towards the input
        for kind, bad in (("vanishing", lambda r: r < VANISHING), ("exploding", lambda r: r > EXPLODING)):
            node = next((n for n in back if bad(g[n] / ref)), None)
            if node is None:
                continue
            r = g[node] / ref
            if kind == "vanishing":
                msg = (f"the gradient reaching {node} is {r:.1e} of that at the output {ref_id} (per value): "
                       "gradients vanish on the way back, so the layers before it barely learn; try xavier/kaiming "
                       "init, BatchNorm, ReLU instead of saturating units, or residual connections")
            else:
                msg = (f"the gradient reaching {node} is {r:.1e} times that at the output {ref_id} (per value): "
                       "gradients explode on the way back; try a smaller init, BatchNorm or training.clip_grad_norm")
            self._once(node, kind, msg, r, ns.step, out)
