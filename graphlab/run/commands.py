"""Requests to a running trainer: the command channel (plain data, picklable, no torch).

A listener asks the trainer for something with :meth:`graphlab.run.trainer.Trainer.request` (in the
same process) or :meth:`graphlab.run.process.TrainingProcess.request` (across the process
boundary). The trainer handles requests between steps — also while paused — and answers each with
a :class:`~graphlab.run.events.Reply` carrying the request's ``id`` (and, for ``images``, the
:class:`~graphlab.run.events.Images` events with the same ``request``)::

    Request("images", node="conv1")           # Images for the node now, then a Reply
    Request("select", node="conv1")           # detailed statistics (per-unit figures in NodeStat.detail)
                                              #   for this node, and its Images at most once a second;
    Request("select", node=None)              #   node None clears the selection
    Request("select", node="conv1", value={"images": False})   # detail without images
    Request("snapshot")                       # write the current weights now -> Reply.data["path"]
    Request("stats_budget", value=0.05)       # share of wall time for statistics (0 = off, <= 1)
    Request("status")                         # Reply with the current epoch and step (a cheap ping)
    Request("pause") / Request("resume") / Request("stop")

Ids are chosen by the caller (``TrainingProcess.request`` numbers them for you); 0 is fine when
nobody matches replies.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("images", "select", "snapshot", "stats_budget", "status", "pause", "resume", "stop")


@dataclass(frozen=True)
class Request:
    kind: str
    node: str | None = None
    value: Any = None
    id: int = 0


def check(req: Any) -> str | None:
    """Why a request cannot be handled (a one-line message), or None when it is well formed."""
    if not isinstance(req, Request):
        return f"not a request: {type(req).__name__}"
    if req.kind not in KINDS:
        return f"unknown request {req.kind!r}; known: {', '.join(KINDS)}"
    if req.kind == "images" and not isinstance(req.node, str):
        return "images: name the node"
    if req.kind == "select" and req.node is not None and not isinstance(req.node, str):
        return "select: node must be a node id or None"
    if req.kind == "select" and req.value is not None and not isinstance(req.value, dict):
        return "select: value must be a dict such as {'images': False}"
    if req.kind == "stats_budget":
        v = req.value
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
            return f"stats_budget: must be a number from 0 to 1, got {v!r}"
    return None
