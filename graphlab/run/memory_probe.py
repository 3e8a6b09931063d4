"""Measure what a training step really holds in memory, in a training process of its own.

``measure_step_memory(graph, batch)`` builds the graph's module and optimizer as the trainer does, runs
three training steps on a random batch (the trainer's order: forward, loss, clear the gradients,
backward, optimizer step) and returns the peak of the third, in bytes of tensors:

* ``persistent`` — at the start of the step, the bytes of every parameter, gradient and optimizer
  state tensor, counted from the objects themselves;
* ``step_peak`` — the highest the CPU allocator's total rose above its start-of-step level during
  the step, from ``torch.profiler``'s memory events (every tensor allocation and free, in order);
* ``peak`` — their sum: what the step needs at its worst.

Library start-up (oneDNN's caches, thread pools, kernels' first use) is not a tensor and is not
counted: it is the same whatever the network. :func:`measure_in_child` runs it in a spawned process,
as the training process runs, so nothing of the caller's is counted either.
"""
from __future__ import annotations

import multiprocessing as mp
from typing import Any


def measure_step_memory(graph: Any, batch: int, optimizer: str | None = None, steps: int = 3) -> dict[str, int]:
    import dataclasses

    import torch
    from torch.profiler import ProfilerActivity, profile, record_function

    from ..compiler import compile_graph, info
    from ..core import REGISTRY, analyze
    from .config import parse_training
    from .setup import make_optimizer

    torch.set_num_threads(1)
    a = analyze(graph)
    cfg = parse_training(graph.training)
    if optimizer is not None and optimizer != cfg.optimizer.name:
        from .schema import OPTIMIZER_FIELDS

        knobs = {f.key.split(".", 1)[1]: f.default for f in OPTIMIZER_FIELDS[optimizer]}
        cfg = dataclasses.replace(cfg, optimizer=dataclasses.replace(cfg.optimizer, name=optimizer, knobs=knobs))
    if a.loss is None or a.output is None:
        raise ValueError("measuring a training step needs a graph with a loss")
    gm = compile_graph(graph, seed=0, analysis=a)
    ci = info(gm)
    loss_fn = ci.loss
    if loss_fn is None:
        raise ValueError("measuring a training step needs a graph with a loss")
    opt = make_optimizer(cfg, gm.parameters())
    xs = [torch.rand(batch, *(a.nodes[nid].shape or ())) for nid in a.inputs]
    spec = REGISTRY.get(graph.nodes[a.loss].type)
    out_shape = a.nodes[a.output].shape or ()
    y = (torch.randint(0, out_shape[0], (batch,)) if spec is not None and spec.task == "classification"
         else torch.randn(batch, *out_shape))

    def step() -> None:
        loss = loss_fn(gm(*xs), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(steps - 2):
        step()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()  # the gradients the measured step frees are allocated under the profiler: it sees them go
        persistent = _tensor_bytes(gm, opt)
        with record_function("graphlab_step_start"):
            pass
        step()
    level = peak = 0
    started = False
    for e in sorted(prof.events(), key=lambda e: e.time_range.start):
        if e.name == "graphlab_step_start":
            started = True
            continue
        if started:
            level += e.self_cpu_memory_usage
            peak = max(peak, level)
    return {"persistent": persistent, "step_peak": peak, "peak": persistent + peak}


def _tensor_bytes(gm: Any, opt: Any) -> int:
    import torch

    seen: dict[int, int] = {}
    for p in gm.parameters():
        for t in (p, p.grad):
            if t is not None:
                seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
    for state in opt.state.values():
        for t in state.values():
            if isinstance(t, torch.Tensor):
                seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
    return sum(seen.values())


def _child(text: str, batch: int, optimizer: str | None, q: Any) -> None:
    from ..io import loads

    try:
        q.put(measure_step_memory(loads(text), batch, optimizer))
    except BaseException as e:  # noqa: BLE001 - the parent reports it
        q.put(f"{type(e).__name__}: {e}")


def measure_in_child(graph: Any, batch: int, optimizer: str | None = None, timeout: float = 300.0) -> dict[str, int]:
    """:func:`measure_step_memory` in a spawned process (raises RuntimeError with the child's error)."""
    from ..io import dumps

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(dumps(graph), batch, optimizer, q), daemon=True)
    p.start()
    try:
        got = q.get(timeout=timeout)
    finally:
        p.join(5)
        if p.is_alive():
            p.kill()
    if isinstance(got, str):
        raise RuntimeError(got)
    return got


__all__ = ["measure_in_child", "measure_step_memory"]
