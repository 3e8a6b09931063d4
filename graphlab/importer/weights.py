"""``--weights``: the model's own state_dict mapped onto the imported nodes by name.

The file is read as every ``--weights`` in GraphLab is (:func:`graphlab.export.weights.read_state`:
a ``.safetensors`` file, or a torch state_dict loaded with ``weights_only=True``, unwrapped from
``{"state_dict": ...}`` or ``{"model": ...}``; a ``module.`` prefix from DataParallel is dropped).
Each key the graph uses (``layer1.0.conv1.weight``) becomes the compiled module's key
(``layer1_0_conv1.weight``); a missing key or a shape that differs is refused in one line naming the
node. ``graphlab import`` writes the result as a GraphLab checkpoint
(:func:`graphlab.run.checkpoint.save_weights`) beside the graph, with its stem: ``net.graphlab.json`` →
``net.safetensors``.
"""
from __future__ import annotations

from pathlib import Path

import torch

from ..export.model_source import ExportError
from ..export.weights import read_state as read_checkpoint
from .errors import ImportRefused
from .pipeline import ImportResult


def read_state(path: str | Path) -> dict[str, torch.Tensor]:
    try:
        state = read_checkpoint(path)
    except ExportError as e:
        raise ImportRefused(str(e)) from None
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def map_weights(result: ImportResult, state: dict[str, torch.Tensor], source: str = "--weights") -> dict[str, torch.Tensor]:
    """The compiled module's state_dict made from the model's (see the module docstring)."""
    missing = [k for k in result.keys if k not in state]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise ImportRefused(f"{source}: the weights lack {', '.join(missing[:3])}{more} "
                            f"(node {result.keys[missing[0]].split('.')[0]})")
    out: dict[str, torch.Tensor] = {}
    for original, compiled in result.keys.items():
        t = state[original]
        want = result.shapes.get(original)
        if want is not None and tuple(t.shape) != want:
            raise ImportRefused(f"{source}: {original} is {list(t.shape)} but node {compiled.split('.')[0]} "
                                f"needs {list(want)}")
        out[compiled] = t
    return out
