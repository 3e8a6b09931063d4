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
    by an identity module still has its own .grad), each edge's value (``edges[(module name, port)]``:
    the source's output routed through its own identity clone, so that its .grad is what that one
    consumer sends down that edge, also where the source fans out) and optionally a per-node context."""

    def __init__(self, gm: fx.GraphModule, outs: dict[str, torch.Tensor], context: Any = None,
                 edges: dict[tuple[str, int], torch.Tensor] | None = None) -> None:
        super().__init__(gm)
        self.outs, self.context = outs, context
        self.edges = edges if edges is not None else {}

    def call_module(self, target, args, kwargs):  # noqa: ANN001
        args = tuple(_edge(self.edges, target, port, a) for port, a in enumerate(args))
        if self.context is not None:
            with self.context(target):
                out = super().call_module(target, args, kwargs)
        else:
            out = super().call_module(target, args, kwargs)
        out = out.clone()
        out.retain_grad()
        self.outs[target] = out
        return out


def _edge(edges: dict[tuple[str, int], torch.Tensor], target: str, port: int, value: Any) -> Any:
    """``value`` as seen by one edge: an identity clone whose .grad autograd fills with that edge's
    gradient alone; the consumer gets a clone of it (an in-place layer must not write into it)."""
    if not isinstance(value, torch.Tensor) or not value.requires_grad:
        return value
    e = value.clone()
    e.retain_grad()
    edges[(target, port)] = e
    return e.clone()


def reference(stepper, module=None, context=None, edges=None):
    """One plain forward and one ``L.backward()`` of the stepper's module on the stepper's batch.
    Returns (input tensors with .grad, {module name: output with .grad}, module); ``edges`` (a dict)
    receives each edge's value with its .grad, by (module name — the loss node's id for the loss —, port)."""
    gm = module if module is not None else stepper.module
    ci = stepper.info
    edges = {} if edges is None else edges
    xs = {k: v.clone().requires_grad_() for k, v in stepper.inputs.items()}
    outs: dict[str, torch.Tensor] = {}
    pred = _Recording(gm, outs, context, edges).run(*[xs[i] for i in ci.input_ids])
    if stepper.loss_module is not None:
        loss = stepper.loss_module(_edge(edges, stepper.analysis.loss, 0, pred), stepper.targets)
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
    """Every node's grad_output and grad_params, and every edge's gradient (each grad_inputs port,
    also where the source fans out), against one plain backward of the module."""
    edges: dict[tuple[str, int], torch.Tensor] = {}
    xs, outs, gm = reference(stepper, module, context, edges)
    names = stepper.info.module_names
    loss = stepper.analysis.loss
    checked = 0
    for nid in stepper.order:
        r = stepper.records[nid]
        assert r.backward_done, nid
        if nid in stepper.inputs:
            assert rel(r.grad_output, xs[nid].grad) <= tol, (nid, rel(r.grad_output, xs[nid].grad))
            continue
        # every incoming edge: what this node sends down it, against autograd's gradient of that edge
        key = nid if nid == loss else names[nid]
        assert len(r.grad_inputs) == len(r.sources), nid
        for port, src in enumerate(r.sources):
            e = edges.get((key, port))
            want = e.grad if e is not None and e.grad is not None else torch.zeros_like(r.grad_inputs[port])
            assert rel(r.grad_inputs[port], want) <= tol, (nid, port, src, rel(r.grad_inputs[port], want))
            checked += 1
            # an edge that is the source's only use carries the source's whole gradient
            if len(stepper.consumers(src)) == 1:
                assert rel(r.grad_inputs[port], stepper.records[src].grad_output) == 0.0
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
    assert checked == len(stepper.edges), (checked, len(stepper.edges))
