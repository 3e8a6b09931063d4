"""GraphLab's own nn.Modules for layers PyTorch has no single module for.

A layer spec names one of these with ``own_module("Maxout", kwargs)`` (see
:mod:`graphlab.core.spec`); :func:`graphlab.compiler.layers.build_module` finds it here by name and
calls it with the spec's keyword arguments, so each class takes its arguments by keyword.

Kept small and dependency-free (torch and nn only, no other names from this file except
``_final_state``): the Python and torchrun exporters copy these very definitions into their
standalone scripts with ``inspect.getsource``, so what a script runs is what GraphLab trains.

RNN, GRU and LSTM override torch's ``forward``, which returns ``(output, h)``, with one that returns
one tensor (a graph node has one output): mypy reports that as an incompatible override, and each
``forward`` carries a ``# type: ignore[override]`` saying so.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn


class Add(nn.Module):
    """Element-wise sum of any number of inputs."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Multiply(nn.Module):
    """Element-wise product of any number of inputs."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Concat(nn.Module):
    """torch.cat of the inputs along `dim`, a dim of the batched tensor (as nn.Softmax's dim is)."""

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Maxout(nn.Module):
    """max over `pieces` affine maps of the last dimension."""

    def __init__(self, in_features: int, out_features: int, pieces: int = 2) -> None:
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear(x)
        return y.view(*y.shape[:-1], self.out_features, self.pieces).amax(dim=-1)


def _final_state(h: torch.Tensor, bidirectional: bool) -> torch.Tensor:
    # h: (layers·dirs, B, H) -> last layer's state(s), (B, H·dirs)
    if bidirectional:
        return torch.cat((h[-2], h[-1]), dim=-1)
    return h[-1]


class RNN(nn.RNN):
    """nn.RNN, batch first, returning the last hidden state or the whole sequence."""

    def __init__(self, *args: Any, output: str = "last", **kwargs: Any) -> None:
        super().__init__(*args, batch_first=True, **kwargs)
        self.output = output

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]  # one tensor, not (output, h)
        seq, h = super().forward(x)
        return seq if self.output == "sequence" else _final_state(h, self.bidirectional)


class GRU(nn.GRU):
    """nn.GRU, batch first, returning the last hidden state or the whole sequence."""

    def __init__(self, *args: Any, output: str = "last", **kwargs: Any) -> None:
        super().__init__(*args, batch_first=True, **kwargs)
        self.output = output

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]  # one tensor, not (output, h)
        seq, h = super().forward(x)
        return seq if self.output == "sequence" else _final_state(h, self.bidirectional)


class LSTM(nn.LSTM):
    """nn.LSTM, batch first, returning the last hidden state or the whole sequence."""

    def __init__(self, *args: Any, output: str = "last", **kwargs: Any) -> None:
        super().__init__(*args, batch_first=True, **kwargs)
        self.output = output

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]  # one tensor, not (output, h)
        seq, (h, _c) = super().forward(x)
        return seq if self.output == "sequence" else _final_state(h, self.bidirectional)
