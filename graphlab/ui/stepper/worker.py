"""The stepper's worker: a QObject living on its own QThread that owns the :class:`graphlab.step.Stepper`.

The GUI thread talks to it only through queued signals (see :class:`~.controller.StepperController`)
and never waits for it. Every request carries the *generation* it was made for and a serial number:

* ``wanted`` (an int the GUI thread sets directly; reading it is atomic under the GIL) is the
  generation the GUI currently wants. A request for an older generation is skipped, a long command
  (run to a node, the gradient check) stops between steps once ``wanted`` moves on, and a result
  computed for a generation that went stale meanwhile is dropped instead of emitted — so an edit
  made while a step is in flight discards that step.
* Every request ends with ``finished(serial)``, skipped or not, so the GUI knows when it is idle.
* ``closing`` stops long commands at the next step when the window closes (the controller then
  quits the thread and waits for it).

torch and graphlab.step are imported inside the slots, on this thread.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from ...core.text import error_line
from .frames import full_frame, make_frame
from .options import StepOptions, stepper_kwargs


class StepWorker(QObject):
    built = Signal(int, object)  # generation, BuildInfo dict (the Stepper included)
    frame = Signal(int, object)  # generation, Frame
    failed = Signal(int, str, object)  # generation, one-line message, node id or None
    checked = Signal(int, object)  # generation, {node: NodeCheck as json} + "ok", "failed", "threshold"
    progress = Signal(int, str)  # generation, what it is doing (gradient check: "node 3 of 11")
    finished = Signal(int)  # serial of the request just handled

    #: torch's intra-op threads once the worker imports it (None: leave torch's default). One, because
    #: torch's spinning worker threads compete with the GUI thread for this machine's cores
    #: (/work/shared/stack-facts.md; benchmarks/bench_step_ui.py measures the event loop's latency).
    torch_threads: int | None = 1

    def __init__(self) -> None:
        super().__init__()
        self.wanted = 0
        self.closing = False
        self.stepper: Any = None
        self.gen = -1

    def _threads(self) -> None:
        if self.torch_threads is not None:
            import torch

            if torch.get_num_threads() != self.torch_threads:
                torch.set_num_threads(self.torch_threads)

    def _stale(self, gen: int) -> bool:
        return self.closing or gen != self.wanted

    # ---- requests ------------------------------------------------------------------------------------------
    @Slot(int, int, object, object)
    def build(self, serial: int, gen: int, graph: Any, options: StepOptions) -> None:
        try:
            if self._stale(gen):
                return
            from graphlab.step import StepError, Stepper

            self._threads()
            self.stepper, self.gen = None, -1
            try:
                st = Stepper(graph, **stepper_kwargs(options))
            except StepError as e:
                self.failed.emit(gen, error_line(e, None), e.node)
                return
            except Exception as e:  # noqa: BLE001 - one line for the user, never a traceback dialog
                self.failed.emit(gen, f"cannot set up the stepper: {error_line(e, None, with_type=True)}", None)
                return
            if not st.walk:
                self.failed.emit(gen, "nothing to step through: the graph is empty", None)
                return
            if self._stale(gen):
                return
            self.stepper, self.gen = st, gen
            info = {"stepper": st, "order": list(st.order), "walk": list(st.walk), "notes": list(st.notes),
                    "warnings": list(st.warnings), "batch": st.batch}
            self.built.emit(gen, info)
        finally:
            self.finished.emit(serial)

    @Slot(int, int, str, object)
    def command(self, serial: int, gen: int, op: str, arg: Any) -> None:
        try:
            if self._stale(gen) or self.gen != gen or self.stepper is None:
                return
            from graphlab.step import StepError

            try:
                result = self._run(gen, op, arg)
            except Exception as e:  # noqa: BLE001 - one line for the user, never a traceback dialog
                node = e.node if isinstance(e, StepError) else None
                text = (error_line(e, None) if isinstance(e, StepError)
                        else f"{op} failed: {error_line(e, None, with_type=True)}")
                self.failed.emit(gen, text, node)
                if not self._stale(gen):  # a run may have moved before it failed: show where it stands
                    self.frame.emit(gen, full_frame(self.stepper))
                return
            if result is None or self._stale(gen):
                return  # cancelled, or the graph changed meanwhile: this result is not shown
            self.frame.emit(gen, result)
        finally:
            self.finished.emit(serial)

    def _run(self, gen: int, op: str, arg: Any) -> Any:
        st = self.stepper
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
                stopped = self._at_nonfinite(st)
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
            target, phase = self._target(st, arg)
            while st.position - 1 != target:
                if self._stale(gen):
                    return None
                if st.position - 1 > target:
                    changes.append(st.back())
                else:
                    st.step()
                    changes.append(st.last_change)
                    if self._at_nonfinite(st):
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

    @staticmethod
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

    @staticmethod
    def _at_nonfinite(st: Any) -> bool:
        fn = st.first_nonfinite
        return bool(fn) and st.walk.index((fn["node"], fn["phase"])) == st.position - 1

    @Slot(int, int, object, object)
    def gradcheck(self, serial: int, gen: int, graph: Any, options: StepOptions) -> None:
        try:
            if self._stale(gen):
                return
            import torch

            from graphlab.step import StepError, Stepper
            from graphlab.step.gradcheck import check_stepper, reading

            self._threads()

            try:
                st = Stepper(graph, dtype=torch.float64, **stepper_kwargs(options, gradcheck=True))
            except StepError as e:
                self.failed.emit(gen, "gradient check: " + error_line(e, None), e.node)
                return
            nodes = [n for n in st.order if n not in st.inputs]
            result: dict[str, Any] = {"nodes": {}, "threshold": None, "notes": list(st.notes)}
            for i, nid in enumerate(nodes):
                if self._stale(gen):
                    return
                self.progress.emit(gen, f"checking gradients: {nid} ({i + 1} of {len(nodes)})")
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
            if not self._stale(gen):
                self.checked.emit(gen, result)
        finally:
            self.finished.emit(serial)
