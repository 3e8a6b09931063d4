"""Recurrent layers unrolled step by step with their own weights, for ‖∂L/∂h_t‖ over time.

The stepper treats an RNN/LSTM/GRU node as one node of the walk (its VJP comes from the module
itself); for the course's vanishing-gradient picture it also unrolls the layer here, time step by
time step, with the module's weights, and takes ∂L/∂h_t of the last layer's hidden state at every t
(both directions together when bidirectional), given the node's ∂L/∂output.

Cells (PyTorch's definitions; gates packed in ``weight_ih``/``weight_hh`` in this order):

* RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu
* LSTM (i, f, g, o): c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g); h' = σ(o) ⊙ tanh(c')
* GRU (r, z, n): n = tanh(W_in x + b_in + σ(r) ⊙ (W_hn h + b_hn)); h' = (1 − σ(z)) ⊙ n + σ(z) ⊙ h

Works for any ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (batch first or not, stacked, bidirectional,
with or without biases; LSTM projections are not supported) wrapped as graphlab.compiler.modules
wraps them: the module returns the whole sequence or the last layer's final state(s).
"""
from __future__ import annotations

from typing import Any, TypeGuard

import torch
from torch import nn


def supports(module: nn.Module) -> TypeGuard[nn.RNNBase]:
    return isinstance(module, nn.RNNBase) and getattr(module, "proj_size", 0) == 0 and module.mode in (
        "RNN_TANH", "RNN_RELU", "LSTM", "GRU")


def _cell(mode: str, x: torch.Tensor, state: Any, w_ih: torch.Tensor, w_hh: torch.Tensor,
          b_ih: torch.Tensor | None, b_hh: torch.Tensor | None) -> Any:
    gi = x @ w_ih.T
    if b_ih is not None:
        gi = gi + b_ih
    h = state[0] if mode == "LSTM" else state
    gh = h @ w_hh.T
    if b_hh is not None:
        gh = gh + b_hh
    if mode == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, dim=-1)
        c = torch.sigmoid(f) * state[1] + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    if mode == "GRU":
        ir, iz, in_ = gi.chunk(3, dim=-1)
        hr, hz, hn = gh.chunk(3, dim=-1)
        r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
        n = torch.tanh(in_ + r * hn)
        return (1 - z) * n + z * h
    pre = gi + gh
    return torch.tanh(pre) if mode == "RNN_TANH" else torch.relu(pre)


def unroll(module: nn.RNNBase, x: torch.Tensor) -> tuple[torch.Tensor, list[list[torch.Tensor]]]:
    """Run ``module`` step by step on a batched ``x``; returns (what the module returns, the last layer's hidden
    states: one list of T tensors [B, H] per direction, in time order)."""
    mode = module.mode
    if not module.batch_first:
        x = x.transpose(0, 1)
    batch, steps = x.shape[0], x.shape[1]
    dirs = 2 if module.bidirectional else 1
    hidden = module.hidden_size
    layer_in = [x[:, t] for t in range(steps)]
    finals: list[torch.Tensor] = []
    last: list[list[torch.Tensor]] = []
    for layer in range(module.num_layers):
        per_dir: list[list[torch.Tensor]] = []
        for d in range(dirs):
            sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
            w_ih, w_hh = getattr(module, "weight_ih" + sfx), getattr(module, "weight_hh" + sfx)
            b_ih = getattr(module, "bias_ih" + sfx) if module.bias else None
            b_hh = getattr(module, "bias_hh" + sfx) if module.bias else None
            h0 = x.new_zeros(batch, hidden)
            state: Any = (h0, h0) if mode == "LSTM" else h0
            hs: list[torch.Tensor] = [h0] * steps
            times = range(steps - 1, -1, -1) if d == 1 else range(steps)
            for t in times:
                state = _cell(mode, layer_in[t], state, w_ih, w_hh, b_ih, b_hh)
                hs[t] = state[0] if mode == "LSTM" else state
            finals.append(state[0] if mode == "LSTM" else state)
            per_dir.append(hs)
        layer_in = [torch.cat([p[t] for p in per_dir], dim=-1) if dirs == 2 else per_dir[0][t] for t in range(steps)]
        if layer + 1 < module.num_layers and module.dropout and module.training:
            layer_in = [nn.functional.dropout(v, module.dropout, True) for v in layer_in]
        last = per_dir
    if getattr(module, "output", "sequence") == "sequence":
        out = torch.stack(layer_in, dim=1)
        if not module.batch_first:
            out = out.transpose(0, 1)
    else:
        out = torch.cat(finals[-2:], dim=-1) if dirs == 2 else finals[-1]
    return out, last


def time_grad_norms(module: nn.RNNBase, x: torch.Tensor, grad_output: torch.Tensor) -> list[float]:
    """‖∂L/∂h_t‖ for t = 1..T given ∂L/∂(module output); the norm is over the batch and both
    directions (the gradient w.r.t. the concatenated hidden state)."""
    with torch.enable_grad():
        out, last = unroll(module, x.detach())
        flat = [h for hs in last for h in hs]
        need = [h for h in flat if h.requires_grad]
        if not need:
            return [0.0] * (len(last[0]) if last else 0)
        grads = torch.autograd.grad(out, need, grad_output.to(out.dtype), allow_unused=True)
    by_id = {id(h): g for h, g in zip(need, grads)}
    steps = len(last[0])
    norms = []
    for t in range(steps):
        sq = 0.0
        for hs in last:
            g = by_id.get(id(hs[t]))
            if g is not None:
                sq += float(g.double().pow(2).sum())
        norms.append(sq ** 0.5)
    return norms
