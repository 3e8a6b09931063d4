"""A test-only layer whose backward is deliberately wrong (tanh's derivative taken as 1 − y): gradient
checks must catch it. ``wrong_layer`` puts it in the registry for one test; import the fixture where needed."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from graphlab.compiler import modules as gl_modules
from graphlab.core.registry import REGISTRY
from graphlab.core.spec import LayerSpec, TorchModule


class _WrongTanhFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y)  # wrong: the derivative of tanh is 1 − y²


class _WrongTanh(nn.Module):
    def forward(self, x):
        return _WrongTanhFn.apply(x)


@pytest.fixture
def wrong_layer(monkeypatch):
    """A test-only layer with a deliberately wrong backward, in the registry for this test only."""
    spec = LayerSpec(type="WrongTanh", display="WrongTanh", category="Activation", params=(),
                     shape=lambda p, ins: ins[0], torch=TorchModule("WrongTanh", own=True),
                     backward="(deliberately wrong)")
    monkeypatch.setattr(gl_modules, "WrongTanh", _WrongTanh, raising=False)
    monkeypatch.setitem(REGISTRY._specs, "WrongTanh", spec)
    return spec
