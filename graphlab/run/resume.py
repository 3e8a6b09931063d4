"""Validating a checkpoint before a run continues from it (``--resume``).

A checkpoint's metadata is data from a file, so nothing in it is trusted: :func:`resume_point`
checks every field against the run about to start and raises :class:`ResumeError` (a
:class:`~graphlab.run.checkpoint.CheckpointError` with the metadata ``field``) with a one-line
reason:

* ``epoch`` / ``step`` — whole numbers >= 0; an epoch beyond ``training.epochs`` leaves nothing to
  train and is refused (an epoch equal to it is a finished run: it is evaluated, not trained);
* ``partial`` (where a stop inside an epoch happened) — a JSON object whose batch position, sample
  count, running sums and time fit this run's batch size and training split, and only together
  with the random generator's state;
* ``rng.cpu`` — a uint8 vector of the size torch's CPU generator state has;
* the optimizer — the name the checkpoint records (or, for older checkpoints, the one its state
  tensors imply: Adam's moments, RMSprop's square averages, Adagrad's sums, a momentum buffer)
  must be the run's optimizer; a parameter that has state has all of it (Adam: ``step``,
  ``exp_avg`` and ``exp_avg_sq``; Adagrad keeps state for every parameter from the start, so its
  checkpoints must hold every parameter's), each state tensor a floating tensor of its parameter's
  shape, each ``step`` one finite count >= 0.

A plain safetensors state_dict (no GraphLab metadata) resumes as weights only, from epoch 0.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import torch

from ..core.text import error_line
from .checkpoint import FORMAT, CheckpointError

#: what each optimizer keeps per parameter (besides a scalar "step")
STATE_KEYS = {"sgd": set(), "momentum": {"momentum_buffer"}, "nesterov": {"momentum_buffer"},
              "adagrad": {"sum"}, "rmsprop": {"square_avg"}, "adam": {"exp_avg", "exp_avg_sq"}}
#: optimizers whose state also counts its steps per parameter (a tensor "step")
COUNTS_STEPS = {"adagrad", "rmsprop", "adam"}
#: optimizers that create every parameter's state up front and never check for it later
EAGER_STATE = {"adagrad"}
_PARTIAL_KEYS = {"batch": int, "seen": int, "loss_sum": float, "loss_n": int, "correct": int, "time": float}


class ResumeError(CheckpointError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ResumePoint:
    epoch: int
    step: int
    partial: dict[str, Any] | None
    rng: torch.Tensor | None


def _whole(meta: dict[str, Any], key: str, path: str, default: int) -> int:
    raw = meta.get(key)
    if raw is None:
        return default
    if not isinstance(raw, str) or not raw.strip().isdigit() or len(raw.strip()) > 18:
        raise ResumeError(f"{path}: metadata '{key}' must be a whole number >= 0, got {str(raw)[:40]!r}", key)
    return int(raw)


def optimizer_of(optim: dict[str, dict[str, torch.Tensor]]) -> str | None:
    """The optimizer a checkpoint's state tensors imply (None: no per-parameter state, e.g. plain SGD)."""
    keys = set().union(*(set(st) for st in optim.values())) if optim else set()
    keys.discard("step")
    for name in ("adam", "rmsprop", "adagrad", "momentum"):
        if STATE_KEYS[name] & keys:
            return name
    return None


def _check_optimizer(path: str, meta: dict[str, Any], optim: dict[str, dict[str, torch.Tensor]],
                     params: list[torch.nn.Parameter], name: str) -> None:
    recorded = meta.get("optimizer")
    implied = optimizer_of(optim)
    if recorded is not None and recorded != name:
        raise ResumeError(f"{path}: the checkpoint was written by a {recorded} run and this run uses {name}: its "
                          f"optimizer state would not fit; set training.optimizer to {recorded} or start without "
                          "--resume", "optimizer")
    if recorded is None and implied is not None and name not in (implied, "nesterov" if implied == "momentum" else ""):
        raise ResumeError(f"{path}: the checkpoint holds {implied} optimizer state "
                          f"({', '.join(sorted(STATE_KEYS[implied]))}) and this run uses {name}; set "
                          f"training.optimizer to {implied} or start without --resume", "optimizer")
    required = STATE_KEYS[name] | ({"step"} if name in COUNTS_STEPS else set())
    allowed = required | {"step"}
    for i, st in optim.items():
        if not i.isdigit() or int(i) >= len(params):
            raise ResumeError(f"{path}: optimizer state for parameter {i[:20]!r}, but the graph has {len(params)} "
                              "parameters", "optimizer")
        p = params[int(i)]
        for k, t in st.items():
            if k not in allowed:
                raise ResumeError(f"{path}: optimizer state {k!r} does not belong to {name}", "optimizer")
            if k == "step":
                if (t.numel() != 1 or t.dtype == torch.bool or t.is_complex()
                        or not bool(torch.isfinite(t.double()).all()) or float(t) < 0):
                    raise ResumeError(f"{path}: optimizer state step of parameter {i} is not a count", "optimizer")
                continue
            if not t.is_floating_point():
                raise ResumeError(f"{path}: optimizer state {k} of parameter {i} is {str(t.dtype).replace('torch.', '')}, "
                                  "not a floating-point tensor", "optimizer")
            if tuple(t.shape) != tuple(p.shape):
                raise ResumeError(f"{path}: optimizer state {k} of parameter {i} is {list(t.shape)} but the "
                                  f"parameter is {list(p.shape)}", "optimizer")
        missing = sorted(required - set(st))
        if missing:
            raise ResumeError(f"{path}: optimizer state of parameter {i} lacks {', '.join(missing)} "
                              f"({name} keeps {', '.join(sorted(required))} per parameter)", "optimizer")
    if optim and name in EAGER_STATE:
        absent = [str(i) for i in range(len(params)) if str(i) not in optim]
        if absent:
            raise ResumeError(f"{path}: the checkpoint holds no {name} state for parameter(s) "
                              f"{', '.join(absent[:5])}{' ...' if len(absent) > 5 else ''}", "optimizer")


def _check_partial(path: str, raw: Any, batch_size: int, n_train: int, steps_per_epoch: int) -> dict[str, Any]:
    try:
        p = json.loads(raw)
    except (TypeError, ValueError):
        raise ResumeError(f"{path}: metadata 'partial' is not JSON", "partial") from None
    if not isinstance(p, dict) or set(p) != set(_PARTIAL_KEYS):
        raise ResumeError(f"{path}: metadata 'partial' must hold exactly {', '.join(_PARTIAL_KEYS)}", "partial")
    for k, kind in _PARTIAL_KEYS.items():
        v = p[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (kind is int and not isinstance(v, int)):
            raise ResumeError(f"{path}: metadata partial.{k} must be a {'whole ' if kind is int else ''}number, "
                              f"got {str(v)[:40]!r}", "partial")
        if not math.isfinite(v) or (k != "loss_sum" and v < 0):
            raise ResumeError(f"{path}: metadata partial.{k} must be a finite number >= 0, got {v!r}", "partial")
    if p["batch"] >= steps_per_epoch:
        raise ResumeError(f"{path}: metadata partial.batch is {p['batch']}, but an epoch of this run has "
                          f"{steps_per_epoch} batches", "partial")
    if p["seen"] != min(p["batch"] * batch_size, n_train) or p["loss_n"] != p["batch"] or p["correct"] > p["seen"]:
        raise ResumeError(f"{path}: metadata 'partial' does not fit this run (batch {p['batch']}, seen {p['seen']} "
                          f"with batch size {batch_size}): was the batch size or the dataset changed?", "partial")
    return p


def resume_point(path: str, meta: dict[str, Any], optim: dict[str, dict[str, torch.Tensor]],
                 params: list[torch.nn.Parameter], *, optimizer: str, epochs: int, batch_size: int, n_train: int,
                 steps_per_epoch: int) -> ResumePoint:
    """Check a checkpoint's metadata and optimizer state against the run; raises :class:`ResumeError`."""
    fmt = meta.get("format")
    if fmt is not None and fmt != FORMAT:
        raise ResumeError(f"{path}: checkpoint format {str(fmt)[:40]!r} is not {FORMAT}", "format")
    epoch = _whole(meta, "epoch", path, 0)
    step = _whole(meta, "step", path, epoch * steps_per_epoch)
    if epoch > epochs:
        raise ResumeError(f"{path}: the checkpoint is at epoch {epoch} but this run has training.epochs {epochs}: "
                          f"nothing is left to train (raise --epochs above {epoch})", "epoch")
    _check_optimizer(path, meta, optim, params, optimizer)
    rng = meta.get("rng")
    if rng is not None:
        want = torch.get_rng_state()
        if not isinstance(rng, torch.Tensor) or rng.dtype != torch.uint8 or tuple(rng.shape) != tuple(want.shape):
            got = f"{rng.dtype} {list(rng.shape)}" if isinstance(rng, torch.Tensor) else type(rng).__name__
            raise ResumeError(f"{path}: the random generator state rng.cpu must be uint8 {list(want.shape)}, got {got}",
                              "rng.cpu")
        try:  # torch checks the state's contents only when it is set: try it, then put ours back
            torch.set_rng_state(rng)
        except RuntimeError as e:
            raise ResumeError(f"{path}: the random generator state rng.cpu is not valid ({error_line(e)})",
                              "rng.cpu") from None
        finally:
            torch.set_rng_state(want)
    partial = None
    if meta.get("partial") not in (None, "null"):
        partial = _check_partial(path, meta["partial"], batch_size, n_train, steps_per_epoch)
        if rng is None:
            raise ResumeError(f"{path}: metadata 'partial' needs the random generator state rng.cpu", "partial")
        if epoch >= epochs:
            raise ResumeError(f"{path}: the checkpoint stopped inside epoch {epoch + 1}, beyond training.epochs "
                              f"{epochs}", "partial")
        # older GraphLab recorded the step of the last Step event here, which may lag the batch position
        step = max(step, epoch * steps_per_epoch + partial["batch"])
    return ResumePoint(epoch, step, partial, rng)
