"""Per-node statistics, sampled on a time budget.

Hooks that stay registered slow every step (stack-facts), so :class:`StatsSampler` registers forward
hooks (and a tensor hook on each output for its gradient) only on the steps it samples, and removes
them after the step. It decides to sample when the time it has spent so far, plus the expected cost
of one more sample, stays within ``budget`` × the run's wall time (default 2%). The first step is
always sampled, so a run shows the picture at initialisation.

Reductions are cheap ones (sum, sum of squares, count of zeros), stacked into one tensor per step
and read back once. For each node: activation mean/std, fraction of zeros, fraction of saturated
units (Sigmoid/Tanh nodes), the norm of the gradient of the loss w.r.t. the node's output; for each
parameter: its norm, its gradient's norm and the update/weight ratio ‖Δw‖/‖w‖ of the step.
"""
from __future__ import annotations

import math
import time
from typing import Any

import torch
from torch import nn

from .events import NodeStat, NodeStats, ParamStat


class StatsSampler:
    def __init__(self, modules: dict[str, nn.Module], node_types: dict[str, str], budget: float) -> None:
        self.modules = modules  # node id -> submodule
        self.types = node_types
        self.budget = budget
        self.spent = 0.0  # seconds of overhead charged so far
        self.cost = 0.0  # EMA of the overhead of one sample
        self._t0 = time.perf_counter()
        self._handles: list[Any] = []
        self._outs: dict[str, torch.Tensor] = {}
        self._grads: dict[str, torch.Tensor] = {}
        self._before: dict[str, list[tuple[str, torch.Tensor, torch.Tensor]]] = {}
        self.samples = 0
        self.active = False

    # -- decision -------------------------------------------------------------------------------
    def want(self) -> bool:
        if self.budget <= 0:
            return False
        if self.samples == 0:
            return True
        elapsed = time.perf_counter() - self._t0
        return self.spent + self.cost <= self.budget * elapsed

    def charge(self, seconds: float) -> None:
        """Account the extra time a sampled step took over a plain one."""
        seconds = max(seconds, 0.0)
        self.spent += seconds
        self.cost = seconds if self.samples <= 1 else 0.7 * self.cost + 0.3 * seconds

    # -- one sampled step: begin() before forward, after_backward() before optimizer.step(), finish() after
    def begin(self) -> None:
        self.active = True
        self._outs.clear()
        self._grads.clear()
        for nid, m in self.modules.items():
            self._handles.append(m.register_forward_hook(self._forward_hook(nid)))

    def _forward_hook(self, nid: str):
        def hook(module: nn.Module, args: Any, out: Any) -> None:
            if not isinstance(out, torch.Tensor) or not out.is_floating_point():
                return
            self._outs[nid] = out.detach()
            if out.requires_grad:
                def grad_hook(g: torch.Tensor, nid: str = nid) -> None:
                    self._grads[nid] = g.detach().pow(2).sum()
                out.register_hook(grad_hook)
        return hook

    def after_backward(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._before = {nid: [(n, p.detach().clone(), p.grad.detach().pow(2).sum() if p.grad is not None else None)
                              for n, p in m.named_parameters()]
                        for nid, m in self.modules.items()}

    def finish(self, epoch: int, step: int) -> NodeStats:
        """Reduce what was recorded (after optimizer.step()) into a NodeStats event."""
        vals: list[torch.Tensor] = []
        layout: list[tuple[str, str, int]] = []  # (node, what, numel)
        for nid, o in self._outs.items():
            t = self.types.get(nid, "")
            o = o.float()
            parts = [o.sum(), (o * o).sum(), (o == 0).sum().to(o.dtype)]
            if t == "Sigmoid":
                parts.append(((o < 0.01) | (o > 0.99)).sum().to(o.dtype))
            elif t == "Tanh":
                parts.append((o.abs() > 0.99).sum().to(o.dtype))
            g = self._grads.get(nid)
            if g is not None:
                parts.append(g.float())
            vals += parts
            layout.append((nid, t, o.numel()))
        pl: list[tuple[str, str]] = []
        for nid, plist in self._before.items():
            params = dict(self.modules[nid].named_parameters())
            for name, old, gsq in plist:
                new = params[name].detach()
                vals += [(new.float() ** 2).sum(), ((new - old).float() ** 2).sum(),
                         gsq.float() if gsq is not None else torch.tensor(float("nan"))]
                pl.append((nid, name))
        nums = torch.stack([v.reshape(()).cpu() for v in vals]).tolist() if vals else []
        i = 0
        nodes: dict[str, NodeStat] = {}
        for nid, t, n in layout:
            s, ss, z = nums[i:i + 3]
            i += 3
            sat = None
            if t in ("Sigmoid", "Tanh"):
                sat = nums[i] / n
                i += 1
            gn = None
            if nid in self._grads:
                gn = math.sqrt(max(nums[i], 0.0))
                i += 1
            mean = s / n
            var = (ss - n * mean * mean) / max(n - 1, 1)
            nodes[nid] = NodeStat(mean, math.sqrt(max(var, 0.0)), z / n, sat, gn)
        pstats: dict[str, dict[str, ParamStat]] = {}
        for nid, name in pl:
            w2, d2, g2 = nums[i:i + 3]
            i += 3
            w = math.sqrt(max(w2, 0.0))
            pstats.setdefault(nid, {})[name] = ParamStat(w, math.sqrt(g2) if g2 == g2 else float("nan"),
                                                         math.sqrt(max(d2, 0.0)) / w if w > 0 else None)
        for nid, ps in pstats.items():
            if nid in nodes:
                old = nodes[nid]
                nodes[nid] = NodeStat(old.mean, old.std, old.zero_frac, old.saturated_frac, old.grad_norm, ps)
        self._outs.clear()
        self._grads.clear()
        self._before = {}
        self.active = False
        self.samples += 1
        return NodeStats(epoch, step, nodes)

    def cancel(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._outs.clear()
        self._grads.clear()
        self._before = {}
        self.active = False


#: thresholds of the advice below
DEAD_RELU = 0.95
SATURATED = 0.5
UPDATE_RATIO_HIGH = 0.1


def advice(stats: NodeStats, types: dict[str, str]) -> list[tuple[str, str, str]]:
    """(node, kind, message) for what a sampled step shows to be wrong (CS231n's diagnostics):
    dead ReLUs, saturated sigmoid/tanh units, updates far above ~1e-3 of the weights."""
    out = []
    for nid, s in stats.nodes.items():
        t = types.get(nid, "")
        if t == "ReLU" and s.zero_frac > DEAD_RELU:
            out.append((nid, "dead", f"{s.zero_frac:.0%} of {nid}'s outputs are zero: most of its units are dead "
                        "(a too-large learning rate or init kills ReLUs; try a lower lr, kaiming init or LeakyReLU)"))
        if s.saturated_frac is not None and s.saturated_frac > SATURATED:
            out.append((nid, "saturated", f"{s.saturated_frac:.0%} of {nid}'s units are saturated, so gradients "
                        "through them vanish (try smaller initial weights: xavier init, or ReLU)"))
        for pname, ps in s.params.items():
            if pname == "weight" and ps.update_ratio is not None and ps.update_ratio > UPDATE_RATIO_HIGH:
                out.append((nid, "update", f"one update changed {nid}.weight by {ps.update_ratio:.2g} of its size "
                            "(rule of thumb ~1e-3): the learning rate is probably too high"))
    return out
