"""The weight-init schemes a graph may name: the one list every part of GraphLab uses.

A scheme is chosen graph-wide (``training.init``) or per node (``node.init``, on layers whose spec
says ``initialisable``: Linear, Conv2d, Maxout, the recurrent layers). This module holds only the names and a one-line help for each — no torch —
so the file reader, ``analyze`` (which reports an unknown per-node scheme), the training config
parser and the inspector's drop-down all agree; :mod:`graphlab.compiler.init` implements them.
Adding a scheme: add it here, then its branch in ``graphlab.compiler.init.apply_init``.
"""
from __future__ import annotations

from .text import show_value

#: scheme name -> one-line help, in the order menus show them
INIT_HELP: dict[str, str] = {
    "default": "PyTorch's own initialisation for each layer",
    "small_gaussian": "weights from N(0, 0.01²): deep nets' activations shrink towards zero",
    "gaussian": "weights from N(0, 1): activations blow up and saturate",
    "xavier": "Glorot: variance 2 / (fan_in + fan_out), for tanh and sigmoid nets",
    "kaiming": "He: variance 2 / fan_in, scaled for the nonlinearity that follows (ReLU nets)",
}
#: the scheme names, in menu order
INIT_SCHEMES: tuple[str, ...] = tuple(INIT_HELP)


def init_problem(value: object) -> str | None:
    """Why ``value`` is not a scheme name, or None when it is one."""
    if isinstance(value, str) and value in INIT_HELP:
        return None
    return f"unknown init scheme {show_value(value)}; use one of {', '.join(INIT_SCHEMES)}"
