"""Weights files: read one, check that it fits a module, load it. The one place GraphLab does it.

:func:`load_weights` (``module``, ``path``) reads a file, checks it against the module with
:func:`check_fits` and loads it strictly. Every consumer goes through these two functions:

* ``graphlab train --resume``, via :func:`graphlab.run.checkpoint.restore`, which also loads the
  optimizer's state;
* the stepper's *Load weights* and ``graphlab step --weights`` (:func:`graphlab.step.batch.load_weights`);
* ``graphlab export --weights`` (:func:`graphlab.export.weights.compile_with_weights`);
* the exported scripts' own ``load_weights``.

The scripts cannot import GraphLab, so the exporters copy this module's definitions into them with
:func:`inspect.getsource` (:data:`SCRIPT_OBJECTS`). Everything here
therefore needs only ``os`` and torch. safetensors is imported only when a ``.safetensors`` file is
read.

Files:

* ``.safetensors``: a ``graphlab train`` checkpoint, or a plain state_dict. A checkpoint holds the
  module's tensors as ``model.<key>``, beside ``optim.*`` and ``rng.*`` ones
  (:mod:`graphlab.run.checkpoint`); those are dropped here.
* Any other file: a torch state_dict, read with ``weights_only=True`` (tensors only; nothing is
  unpickled). A dict that holds it under ``"state_dict"`` or ``"model"`` is unwrapped.

Every problem raises :class:`CheckpointError`: one line that names the file. A mismatch also names
the node, which is the first part of the key, in the message and in ``error.node``.
"""
from __future__ import annotations

import os

import torch

#: the "format" metadata of a ``graphlab train`` checkpoint (graphlab.run.checkpoint writes it)
CHECKPOINT_FORMAT = "graphlab-checkpoint-1"


class CheckpointError(Exception):
    """A weights file that cannot be read or does not fit the module. The message names the file;
    ``node`` is the graph node whose weights do not fit, when one does not."""

    def __init__(self, message: str, node: str | None = None) -> None:
        super().__init__(message)
        self.node = node


def _reason(e: BaseException) -> str:
    """An exception's first line (at most 200 characters), or its type's name."""
    text = next((line.strip() for line in str(e).splitlines() if line.strip()), "")
    return text[:200] if text else type(e).__name__


def read_tensors(path: str | os.PathLike[str]) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """(every tensor in the file by name, its string metadata). Only a .safetensors file has
    metadata; a torch file gives {}."""
    import stat
    import warnings

    path = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such weights file") from None
    except OSError as e:
        raise CheckpointError(f"{path}: cannot read: {e.strerror or e}") from None
    if not stat.S_ISREG(mode):  # a FIFO would block the reader, a device never end: never opened
        raise CheckpointError(f"{path}: not a regular file (a folder, FIFO or device is never read)")
    if path.endswith(".safetensors"):
        try:
            from safetensors import safe_open
        except ImportError:
            raise CheckpointError(f"{path}: reading a .safetensors file needs the safetensors package "
                                  "(pip install safetensors)") from None
        try:
            with safe_open(path, framework="pt", device="cpu") as f:
                meta = dict(f.metadata() or {})
                return {k: f.get_tensor(k) for k in f.keys()}, meta
        except Exception as e:  # noqa: BLE001 - a truncated or hostile file: one line, never a traceback
            raise CheckpointError(f"{path}: not a readable safetensors file ({_reason(e)})") from None
    try:
        with warnings.catch_warnings():  # torch's notes on the pickle protocol: the refusal below says it all
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - unreadable, truncated, or holding objects weights_only refuses
        raise CheckpointError(f"{path}: not a torch state_dict that loads with weights_only=True (tensors "
                              "only; GraphLab never unpickles objects)") from None
    if isinstance(state, dict):
        for key in ("state_dict", "model"):
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    if not isinstance(state, dict) or not all(
            isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise CheckpointError(f"{path}: expected a state_dict (parameter name -> tensor)")
    return state, {}


def model_state(flat: dict[str, torch.Tensor], meta: dict[str, str]) -> dict[str, torch.Tensor]:
    """The module's state_dict among a file's tensors. For a ``graphlab train`` checkpoint, these
    are its ``model.*`` tensors, without the prefix. Any other file gives its tensors as they are,
    less optimizer (``optim.*``) and random-generator (``rng.*``) state."""
    is_checkpoint = meta.get("format") == CHECKPOINT_FORMAT or (
        any(k.startswith("model.") for k in flat) and all(k.startswith(("model.", "optim.", "rng.")) for k in flat))
    if is_checkpoint:
        return {k[len("model."):]: v for k, v in flat.items() if k.startswith("model.")}
    return {k: v for k, v in flat.items() if not k.startswith(("optim.", "rng."))}


def _kind(t: torch.Tensor) -> str:
    return "complex" if t.is_complex() else "floating" if t.is_floating_point() else "integer"


def check_fits(module: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Raise CheckpointError unless ``state`` fits ``module`` exactly: the same keys, and each tensor
    of the same shape and kind (floating, integer). The one line names ``source`` and the node
    of the first key that does not fit."""
    own = module.state_dict()
    wrong = [k for k in own if k in state and (tuple(state[k].shape) != tuple(own[k].shape)
                                               or _kind(state[k]) != _kind(own[k]))]
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if not (wrong or missing or unexpected):
        return

    def more(keys: list[str], shown: int) -> str:
        return f" (and {len(keys) - shown} more)" if len(keys) > shown else ""

    parts = []
    if wrong:
        k = wrong[0]
        got, want = state[k], own[k]
        what = (f"{list(got.shape)} in the checkpoint but {list(want.shape)}" if got.shape != want.shape
                else f"{_kind(got)} in the checkpoint but {_kind(want)}")
        parts.append(f"node '{k.split('.', 1)[0]}': {k} is {what} in the graph" + more(wrong, 1))
    if missing:
        parts.append(f"missing {', '.join(missing[:3])}" + more(missing, 3))
    if unexpected:
        parts.append(f"not in the graph: {', '.join(k[:80] for k in unexpected[:3])}" + more(unexpected, 3))
    first = (wrong or missing or unexpected)[0]
    raise CheckpointError(f"{source}: does not fit this graph: " + "; ".join(parts), first.split(".", 1)[0][:80])


def load_weights(module: torch.nn.Module, path: str | os.PathLike[str]) -> dict[str, str]:
    """Load a weights file into ``module``: a .safetensors file (a ``graphlab train`` checkpoint or
    a state_dict; needs the safetensors package) or a torch state_dict, read with weights_only=True
    (tensors only, nothing is unpickled). The file is checked to fit first. Returns the file's
    metadata. Raises CheckpointError, whose one line names the file (and the node)."""
    flat, meta = read_tensors(path)
    state = model_state(flat, meta)
    check_fits(module, state, os.fspath(path))
    module.load_state_dict(state, strict=True)
    return meta


#: what an exported script gets, in this order (each one's source, copied by graphlab.export.model_source,
#: after ``CHECKPOINT_FORMAT``)
SCRIPT_OBJECTS = (CheckpointError, _reason, read_tensors, model_state, _kind, check_fits, load_weights)
