"""Finding the node where a failure arose, by re-running the failing batch with temporary hooks.

* :func:`first_nonfinite` — forward hooks record, in execution (topological) order, the first node
  whose output has a NaN/inf; it also says whether that node's own parameters are already non-finite
  (an earlier update blew up) or its inputs were finite (the layer itself overflowed).
* :func:`node_in_traceback` — the deepest frame of the exception's traceback that runs one of the
  graph's submodules (``Module._call_impl``'s ``self``) names the node; no re-run needed, so it also
  works for failures that do not repeat (out of memory).
* :func:`node_that_raises` — forward pre-hooks track the node being run; the one entered last when
  the exception arises is the culprit.
* :func:`nan_error` / :func:`runtime_error` — the trainer's Error events for a non-finite loss and
  for an exception in a step or an evaluation, built with the functions above;
  :func:`internal_error` — the last resort, for an exception nothing else expected.

Hooks are removed before these functions return.
"""
from __future__ import annotations

import os
import traceback
from typing import Any, Callable

import torch
from torch import nn

from ..core.text import error_line
from .events import Error


def _modules(gm: nn.Module, ci: Any) -> list[tuple[str, nn.Module]]:
    order = [nid for nid in ci.analysis.order if nid in ci.module_names]
    return [(nid, gm.get_submodule(ci.module_names[nid])) for nid in order]


def first_nonfinite(gm: nn.Module, ci: Any, x: torch.Tensor) -> tuple[str | None, str]:
    found: list[tuple[str, str]] = []
    handles = []
    for nid, m in _modules(gm, ci):
        def hook(mod: nn.Module, args: Any, out: Any, nid: str = nid) -> None:
            if found or not isinstance(out, torch.Tensor) or not out.is_floating_point():
                return
            if not bool(torch.isfinite(out).all()):
                bad_params = [n for n, p in mod.named_parameters() if not bool(torch.isfinite(p).all())]
                ins_ok = all(bool(torch.isfinite(a).all()) for a in args if isinstance(a, torch.Tensor))
                if bad_params:
                    found.append((nid, f"its {', '.join(bad_params)} already hold non-finite values: an "
                                       "earlier update blew up"))
                elif ins_ok:
                    found.append((nid, "its inputs are finite but its output is not: the values overflowed"))
                else:
                    found.append((nid, "its input is not finite"))
        handles.append(m.register_forward_hook(hook))
    try:
        with torch.no_grad():
            if not bool(torch.isfinite(x).all()):
                return (ci.input_ids[0] if ci.input_ids else None), "the data batch itself holds NaN/inf values"
            gm(x)
    except Exception:  # noqa: BLE001 - diagnosis must not raise
        pass
    finally:
        for h in handles:
            h.remove()
    return found[0] if found else (None, "")


def node_that_raises(gm: nn.Module, ci: Any, x: torch.Tensor) -> str | None:
    current: list[str] = []
    handles = []

    def enter(nid: str) -> Callable[[nn.Module, Any], None]:
        def hook(mod: nn.Module, args: Any) -> None:
            current.append(nid)
        return hook

    def leave(mod: nn.Module, args: Any, out: Any) -> None:  # must return None: a value would replace `out`
        current.pop()

    for nid, m in _modules(gm, ci):
        handles.append(m.register_forward_pre_hook(enter(nid)))
        handles.append(m.register_forward_hook(leave))
    try:
        with torch.no_grad():
            gm(x)
        return None
    except Exception:  # noqa: BLE001 - the error we are locating
        return current[-1] if current else None
    finally:
        for h in handles:
            h.remove()


def node_in_traceback(gm: nn.Module, ci: Any, exc: BaseException) -> str | None:
    by_module = {id(m): nid for nid, m in _modules(gm, ci)}
    node = None
    tb = exc.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if owner is not None and id(owner) in by_module:
            node = by_module[id(owner)]
        tb = tb.tb_next
    return node


def nan_error(gm: nn.Module, ci: Any, xb: torch.Tensor, epoch: int, step: int, value: float) -> Error:
    """The Error of a loss that became NaN/inf on batch ``xb`` at ``step`` (1-based)."""
    what = "NaN" if value != value else "infinite"
    node, detail = first_nonfinite(gm, ci, xb)
    if node is None:
        node = ci.loss_id
        detail = "every node's output is finite, so the loss itself overflowed"
    return Error("nan", f"the loss became {what} at epoch {epoch}, step {step}: first non-finite value at node "
                 f"{node} ({detail}); try a lower training.optimizer.lr or set training.clip_grad_norm", node)


#: what allocators say when they fail (torch's CPU allocator: "can't allocate memory"; CUDA: "out of memory")
_OOM_WORDS = ("out of memory", "can't allocate memory", "cannot allocate memory", "failed to allocate")


def runtime_error(gm: nn.Module, ci: Any, xb: torch.Tensor, e: BaseException, epoch: int,
                  during: str | None = None) -> Error:
    """The Error of an exception raised by a training step — or, with ``during`` (e.g. "while
    evaluating the val split"), by another forward pass of the run. Out of memory gets its own kind.
    The node is found in the traceback, else by re-running ``xb`` in the module's current mode."""
    text = error_line(e, None)
    oom = isinstance(e, MemoryError) or any(w in text.lower() for w in _OOM_WORDS) or isinstance(
        e, getattr(torch, "OutOfMemoryError", ()))
    node = node_in_traceback(gm, ci, e) or node_that_raises(gm, ci, xb)
    where = f" at node {node}" if node else ""
    when = f" {during}" if during else ""
    if oom:
        return Error("oom", f"out of memory{where} at epoch {epoch}{when}: lower training.batch_size "
                     f"(now {len(xb)}) or make the layer smaller ({text})", node)
    return Error("runtime", f"{text}{where} at epoch {epoch}{when}", node)


def internal_error(e: BaseException) -> Error:
    """The Error of an exception nothing else expected (a bug, or input no check foresaw): its type,
    its message and where it was raised, on one line."""
    tb = traceback.extract_tb(e.__traceback__) if e.__traceback__ is not None else None
    at = f" ({os.path.basename(tb[-1].filename)}:{tb[-1].lineno})" if tb else ""
    return Error("internal", f"the run failed unexpectedly: {error_line(e, with_type=True)}{at}")
