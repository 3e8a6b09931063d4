"""The stepper's jobs on the editor's worker (:class:`graphlab.ui.worker.Worker`), and the session
they share: the :class:`graphlab.step.Stepper` in use lives in a :class:`StepSession`, a plain object
that only jobs on the worker thread touch (the GUI reads ``session.stepper`` only while idle, for
scripts and tests).

Commands (build a Stepper, step, step back, run to a node, restart) go into the session's *inbox*
in the order the user gave them; one :func:`drain_job` on the worker (key ``"step"``) carries them
out in that order and reports each result through ``ctx.progress``: ``("built", gen, info)``,
``("frame", gen, Frame)``, ``("failed", gen, message, node)``. At most one drain is queued or running
(:meth:`StepSession.post` starts one only when none is), so pressing F10 five times makes five steps.

Every command carries the *generation* it was made for; ``session.wanted`` is the one the GUI wants
now (set on the GUI thread; reading an int is atomic). A command of an older generation is skipped,
a long one (run to a node) stops between steps once ``wanted`` moves on, and its result is dropped —
so an edit made while a step is in flight discards that step. The gradient check is its own job
(:func:`gradcheck_job`, key ``"gradcheck"``). torch and graphlab.step are imported inside the jobs,
on the worker thread; torch runs on one intra-op thread there (its spinning pool threads compete with
the GUI thread for this machine's cores; benchmarks/bench_step_ui.py measures the event loop).
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Any

from ...core.text import error_line
from .frames import full_frame, make_frame
from .options import StepOptions, stepper_kwargs

#: torch's intra-op threads on the worker (None: leave torch's default)
TORCH_THREADS: int | None = 1


class StepSession:
    """What the stepper's jobs share: the Stepper, its generation, the inbox of commands."""

    def __init__(self) -> None:
        self.wanted = 0
        self.closing = False
        self.stepper: Any = None
        self.gen = -1  # the generation the stepper was built for
        self.inbox: deque[tuple[Any, ...]] = deque()
        self.lock = threading.Lock()
        self.draining = False

    def stale(self, gen: int) -> bool:
        return self.closing or gen != self.wanted

    def post(self, command: tuple[Any, ...]) -> bool:
        """Queue a command; True when no drain is queued or running (the caller submits one)."""
        with self.lock:
            self.inbox.append(command)
            if self.draining:
                return False
            self.draining = True
            return True

    def take(self) -> tuple[Any, ...] | None:
        """The next command, or None — and then the drain ends (a later post starts another)."""
        with self.lock:
            if self.inbox and not self.closing:
                return self.inbox.popleft()
            self.inbox.clear()
            self.draining = False
            return None

    @property
    def busy(self) -> bool:
        with self.lock:
            return self.draining


def _threads() -> None:
    if TORCH_THREADS is not None:
        import torch

        if torch.get_num_threads() != TORCH_THREADS:
            torch.set_num_threads(TORCH_THREADS)


def drain_job(ctx: Any, session: StepSession) -> None:
    """Carry out the inbox's commands in order (on the worker)."""
    while (cmd := session.take()) is not None:
        kind, gen = cmd[0], cmd[1]
        if session.stale(gen):
            continue
        if kind == "build":
            _build(ctx, session, gen, cmd[2], cmd[3])
        else:
            _command(ctx, session, gen, cmd[2], cmd[3])


def _build(ctx: Any, session: StepSession, gen: int, graph: Any, options: StepOptions) -> None:
    from graphlab.step import StepError, Stepper

    _threads()
    session.stepper, session.gen = None, -1
    try:
        st = Stepper(graph, **stepper_kwargs(options))
    except StepError as e:
        ctx.progress(("failed", gen, error_line(e, None), e.node))
        return
    except Exception as e:  # noqa: BLE001 - one line for the user, never a traceback dialog
        ctx.progress(("failed", gen, f"cannot set up the stepper: {error_line(e, None, with_type=True)}", None))
        return
    if not st.walk:
        ctx.progress(("failed", gen, "nothing to step through: the graph is empty", None))
        return
    if session.stale(gen):
        return
    session.stepper, session.gen = st, gen
    info = {"order": list(st.order), "walk": list(st.walk), "notes": list(st.notes),
            "warnings": list(st.warnings), "batch": st.batch}
    ctx.progress(("built", gen, info))


def _command(ctx: Any, session: StepSession, gen: int, op: str, arg: Any) -> None:
    if session.gen != gen or session.stepper is None:
        return
    from graphlab.step import StepError

    try:
        result = _run(session, gen, op, arg)
    except Exception as e:  # noqa: BLE001 - one line for the user, never a traceback dialog
        node = e.node if isinstance(e, StepError) else None
        text = (error_line(e, None) if isinstance(e, StepError)
                else f"{op} failed: {error_line(e, None, with_type=True)}")
        ctx.progress(("failed", gen, text, node))
        if not session.stale(gen):  # a run may have moved before it failed: show where it stands
            ctx.progress(("frame", gen, full_frame(session.stepper)))
        return
    if result is None or session.stale(gen):
        return  # cancelled, or the graph changed meanwhile: this result is not shown
    ctx.progress(("frame", gen, result))


def _run(session: StepSession, gen: int, op: str, arg: Any) -> Any:
    st = session.stepper
    changes: list[Any] = []
    message = ""
    stopped = False
    if op == "step":
        before = st.position
        st.step()
        if st.position == before:
            message = "the walk is complete: Restart to step again"
        elif st.last_change is not None:
            changes.append(st.last_change)
            stopped = _at_nonfinite(st)
    elif op == "back":
        c = st.back()
        if c is None:
            message = "at the start of the walk"
        else:
            changes.append(c)
    elif op == "reset":
        st.reset()
        return make_frame(st, [], reset=True, message="restarted")
    elif op == "run_to":
        target, phase = _target(st, arg)
        while st.position - 1 != target:
            if session.stale(gen):
                return None
            if st.position - 1 > target:
                changes.append(st.back())
            else:
                st.step()
                changes.append(st.last_change)
                if _at_nonfinite(st):
                    stopped = True
                    break
        if stopped:
            fn = st.first_nonfinite
            message = f"stopped at the first NaN/inf: {fn['node']} ({fn['phase']})"
        elif arg is None:
            message = "ran to the end of the walk"
        else:
            message = f"ran to {arg} ({phase} pass)"
    else:
        raise ValueError(f"unknown stepper command {op!r}")
    return make_frame(st, changes, message=message, stopped=stopped)


def _target(st: Any, node: str | None) -> tuple[int, str]:
    """Where "run to" goes: the end (no node); the node's forward step, or its backward step when
    the walk is already at or past its forward step."""
    if node is None:
        return len(st.walk) - 1, "end"
    if node not in st.order:
        from graphlab.step import StepError

        raise StepError(f"{node} is not part of the walk (it does not feed the output)", node)
    fwd = st.walk.index((node, "forward"))
    if st.position - 1 < fwd:
        return fwd, "forward"
    return st.walk.index((node, "backward")), "backward"


def _at_nonfinite(st: Any) -> bool:
    fn = st.first_nonfinite
    return bool(fn) and st.walk.index((fn["node"], fn["phase"])) == st.position - 1



def gradcheck_job(ctx: Any, graph: Any, options: StepOptions) -> dict[str, Any] | None:
    """Check every node's gradients against centred differences (float64); ``ctx.progress`` says which
    node it is at; None when the check was abandoned (a newer one, an edit, the window closing).
    StepError when the stepper cannot be set up."""
    import torch

    from graphlab.step import Stepper
    from graphlab.step.gradcheck import check_stepper, reading

    _threads()
    st = Stepper(graph, dtype=torch.float64, **stepper_kwargs(options, gradcheck=True))
    nodes = [n for n in st.order if n not in st.inputs]
    result: dict[str, Any] = {"nodes": {}, "threshold": None, "notes": list(st.notes)}
    for i, nid in enumerate(nodes):
        if ctx.stale:
            return None
        ctx.progress(f"checking gradients: {nid} ({i + 1} of {len(nodes)})")
        try:
            rep = check_stepper(st, nodes=[nid])
        except Exception as e:  # noqa: BLE001 - a node that cannot be checked is reported, not fatal
            result["nodes"][nid] = {"max_rel_error": None, "reading": f"not checked: {error_line(e, None)}",
                                    "params": {}, "inputs": [], "coords": 0, "kinks": 0}
            continue
        result["threshold"] = rep.threshold
        result["nodes"][nid] = rep.nodes[nid].to_json() if nid in rep.nodes else None
        if result["nodes"][nid] is not None:
            err = rep.nodes[nid].max_rel_error
            result["nodes"][nid]["max_rel_error"] = err
            result["nodes"][nid]["reading"] = reading(err)
            result["nodes"][nid]["failed"] = not err <= rep.threshold
    return result
