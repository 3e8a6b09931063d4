"""Weight initialisation schemes, graph-wide or per node (names: graphlab.core.init_schemes).

``default`` keeps PyTorch's own init; ``small_gaussian`` is N(0, 0.01²) (CS231n's first try, which
makes deep nets' activations collapse); ``gaussian`` is N(0, 1) (which saturates them); ``xavier``
and ``kaiming`` scale by fan-in/fan-out. Only weight matrices and filters (dim ≥ 2) are changed;
biases are zeroed under every scheme except ``default``. Callers apply it only to layers whose spec
says ``initialisable`` (the compiler, and the exported ``__init__``): BatchNorm keeps γ=1, β=0 and
PReLU its slope, whatever the scheme.
"""
from __future__ import annotations

import torch
from torch import nn

from ..core.init_schemes import INIT_SCHEMES as SCHEMES  # the one list of names (and their help)
from ..core.spec import Gain


def apply_init(module: nn.Module, scheme: str, generator: torch.Generator, nonlinearity: Gain = "relu") -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown init scheme '{scheme}'; use one of {', '.join(SCHEMES)}")
    if scheme == "default":
        return
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() < 2:
                p.zero_()
                continue
            if scheme == "small_gaussian":
                p.normal_(0.0, 0.01, generator=generator)
            elif scheme == "gaussian":
                p.normal_(0.0, 1.0, generator=generator)
            elif scheme == "xavier":
                nn.init.xavier_normal_(p, generator=generator)
            else:
                nn.init.kaiming_normal_(p, nonlinearity=nonlinearity, generator=generator)
