"""How a running trainer answers requests (the command channel, :mod:`graphlab.run.commands`).

:class:`RequestHandling` is a mixin of :class:`~graphlab.run.trainer.Trainer`: ``_serve`` drains
the request queue between steps (and while paused) and yields a :class:`~graphlab.run.events.Reply`
per request — after the :class:`~graphlab.run.events.Images` an ``images`` request makes.
"""
from __future__ import annotations

import math
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Generator, Iterator

import torch
from safetensors import SafetensorError

from ..core.graph import Graph
from . import events as ev
from .checkpoint import save_checkpoint
from .commands import Request, check
from .runstate import RunState


class RequestHandling:
    graph: Graph
    out_dir: Path | None
    _go: threading.Event
    _requests: deque[Request]

    def pause(self) -> None: ...  # noqa: E704 - provided by the Trainer
    def resume(self) -> None: ...  # noqa: E704
    def stop(self) -> None: ...  # noqa: E704

    def _serve(self, r: RunState, epoch: int) -> Iterator[ev.Event]:
        while self._requests:
            req = self._requests.popleft()
            bad = check(req)
            rid = getattr(req, "id", 0) if isinstance(getattr(req, "id", 0), int) else 0
            kind = str(getattr(req, "kind", "?"))
            if bad is not None:
                yield ev.Reply(rid, kind, False, bad, epoch, r.step)
                continue
            yield from self._handle(r, req, epoch)

    def _handle(self, r: RunState, req: Request, epoch: int) -> Iterator[ev.Event]:
        def reply(ok: bool, message: str = "", **data: Any) -> ev.Reply:
            return ev.Reply(req.id, req.kind, ok, message, epoch, r.step, data)
        k = req.kind
        if k in ("images", "select") and req.node is not None and req.node not in r.images.modules:
            yield reply(False, f"{req.node}: no such node with a layer in this run")
        elif k == "images":
            made = yield from self._images(r, req.node, epoch, req.id)
            yield reply(made > 0, "" if made else f"{req.node}: no pictures for this node (feature maps need an "
                        "image-shaped output; filters the first convolution; templates a Linear after Flatten)",
                        kinds=r.images.available(req.node) if req.node is not None else [])
        elif k == "select":
            r.sampler.selected = req.node
            r.selected_images = req.node is not None and bool((req.value or {}).get("images", True)) \
                and bool(r.images.available(req.node))
            r.last_images = -math.inf
            yield reply(True, kinds=r.images.available(req.node) if req.node else [])
        elif k == "snapshot":
            yield self._snapshot(r, reply)
        elif k == "stats_budget":
            r.sampler.budget = float(req.value)
            yield reply(True, budget=r.sampler.budget)
        elif k == "status":
            yield reply(True, paused=not self._go.is_set(), samples=r.sampler.samples, budget=r.sampler.budget,
                        selected=r.sampler.selected)
        else:
            getattr(self, k)()
            yield reply(True)

    def _images(self, r: RunState, node: str | None, epoch: int, rid: int | None) -> Generator[ev.Event, None, int]:
        if node is None:
            return 0
        if node == r.sampler.selected:  # the selected node's next unasked pictures are due a second later
            r.last_images = time.perf_counter()
        made = r.images.make(node, epoch, r.step, rid)
        yield from made
        return len(made)

    def _snapshot(self, r: RunState, reply: Callable[..., ev.Reply]) -> ev.Reply:
        if self.out_dir is None:
            return reply(False, "this run has no output folder to write weights in")
        if not all(bool(torch.isfinite(p).all()) for p in r.params):
            return reply(False, "the weights hold NaN/inf values; nothing written")
        path = self.out_dir / f"snapshot-step{r.step}.safetensors"
        try:
            save_checkpoint(path, r.gm, None, epoch=r.epoch, step=r.step, graph=self.graph.name,
                            extra={"optimizer": r.cfg.optimizer.name})
        except (OSError, SafetensorError) as e:
            return reply(False, f"cannot write {path}: {getattr(e, 'strerror', None) or e}")
        return reply(True, str(path), path=str(path))
