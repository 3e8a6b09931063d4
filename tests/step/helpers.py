"""Shared by the stepper tests: an independent autograd oracle and a small graph builder."""
from __future__ import annotations

from typing import Any

import torch
from torch import fx

from graphlab.io.fileformat import from_dict


def graph(nodes: list[tuple[str, str, dict[str, Any]]], edges: list[tuple[str, str, int]],
          training: dict[str, Any] | None = None):
    """nodes: (id, type, params); edges: (src, dst, port)."""
    return from_dict({"graphlab": 1, "name": "test",
                      "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
                      "edges": [{"from": s, "to": d, "port": port} for s, d, port in edges],
                      "training": training or {}})


class _Recording(fx.Interpreter):
    """Runs the GraphModule as it is, keeping each node's output (a clone, so that a tensor reused
    by an identity module still has its own .grad) and optionally a per-node context."""

    def __init__(self, gm: fx.GraphModule, outs: dict[str, torch.Tensor], context: Any = None) -> None:
        super().__init__(gm)
        self.outs, self.context = outs, context

    def call_module(self, target, args, kwargs):  # noqa: ANN001
        if self.context is not None:
            with self.context(target):
                out = super().call_module(target, args, kwargs)
        else:
            out = super().call_module(target, args, kwargs)
        out = out.clone()
        out.retain_grad()
        self.outs[target] = out
        return out


def reference(stepper, module=None, context=None):
    """One plain forward and one ``L.backward()`` of the stepper's module on the stepper's batch.
    Returns (input tensors with .grad, {module name: output with .grad}, module)."""
    gm = module if module is not None else stepper.module
    ci = stepper.info
    xs = {k: v.clone().requires_grad_() for k, v in stepper.inputs.items()}
    outs: dict[str, torch.Tensor] = {}
    pred = _Recording(gm, outs, context).run(*[xs[i] for i in ci.input_ids])
    if stepper.loss_module is not None:
        loss = stepper.loss_module(pred, stepper.targets)
    else:
        loss = sum((outs[ci.module_names[n]] * u).sum() for n, u in stepper.upstream.items())
    gm.zero_grad()
    loss.backward()
    return xs, outs, gm


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a − b| / max |b| (0 when both are 0)."""
    scale = b.abs().max()
    diff = (a - b).abs().max()
    if float(scale) == 0.0:
        return float(diff)
    return float(diff / scale)


def assert_matches_autograd(stepper, tol: float, module=None, context=None) -> None:
    xs, outs, gm = reference(stepper, module, context)
    names = stepper.info.module_names
    loss = stepper.analysis.loss
    for nid in stepper.order:
        r = stepper.records[nid]
        assert r.backward_done, nid
        if nid in stepper.inputs:
            assert rel(r.grad_output, xs[nid].grad) <= tol, (nid, rel(r.grad_output, xs[nid].grad))
            continue
        if nid == loss:
            continue
        want = outs[names[nid]].grad
        if want is None:  # reaches no objective
            want = torch.zeros_like(r.grad_output)
        assert rel(r.grad_output, want) <= tol, (nid, rel(r.grad_output, want))
        sub = gm.get_submodule(names[nid])
        for pname, g in r.grad_params.items():
            ref = sub.get_parameter(pname).grad
            assert rel(g, ref) <= tol, (nid, pname, rel(g, ref))
        # an edge that is the source's only use carries the source's whole gradient
        for port, src in enumerate(r.sources):
            if len(stepper.consumers(src)) == 1:
                assert rel(r.grad_inputs[port], stepper.records[src].grad_output) == 0.0
