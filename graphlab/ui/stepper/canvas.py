"""The stepper on the canvas, drawn only through ``scene.overlay`` (owners "stepper" and "gradcheck").

* The current node has the highlight outline; every node computed so far carries its value summary
  as a badge; edges carry the value above the wire and, once the backward pass has crossed them,
  the gradient below it in the second colour (the course's circuit diagrams).
* The node where the NaN tracer found the first non-finite value is outlined in the error colour
  with a mark whose tooltip explains it.
* Gradient-check results are badges of their own owner ("gradcheck", drawn over the stepper's):
  the relative error, coloured by the course's reading; failing nodes get a mark.

Nothing here touches the document: no undo entries, no modified flag.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .frames import Frame, fmt

if TYPE_CHECKING:
    from ..scene.graph_scene import GraphScene

OWNER = "stepper"
CHECK_OWNER = "gradcheck"

#: the course's reading of a relative error -> badge colour
READING_COLORS = {"fine": "#2e9d4a", "uncomfortable": "#c9a100", "acceptable only at kinks": "#e07b00",
                  "wrong": "#d01c1c"}


def reading_color(reading: str) -> str:
    return READING_COLORS.get(reading, READING_COLORS["wrong"])


def explain_nonfinite(fn: dict[str, str]) -> str:
    """One line for the problems list (after the node id) and the node's mark."""
    phase, what = fn["phase"], fn["what"]
    if phase == "forward":
        if what == "output":
            why = "its inputs are finite but its output holds NaN/inf (an overflow, a log or division of 0?)"
        elif what.startswith("weight"):
            why = f"the {what} already holds NaN/inf"
        elif what == "input data":
            why = "the input data hold NaN/inf"
        else:
            why = what
        return f"first NaN/inf of the forward pass: {why}"
    return f"first NaN/inf of the backward pass: the {what} turned non-finite from a finite ∂L/∂out"


class StepperCanvas:
    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self.current: str | None = None
        self.nan_node: str | None = None
        self.overlay.set_priority(OWNER, 1)
        self.overlay.set_priority(CHECK_OWNER, 2)

    @property
    def overlay(self) -> Any:
        return self.scene.overlay

    def clear(self) -> None:
        self.overlay.clear(OWNER)
        self.current = None
        self.nan_node = None

    def apply(self, frame: Frame) -> None:
        ov = self.overlay
        if frame.reset:
            self.clear()
        updates: dict[str, dict[str, Any]] = {nid: {"badge": text} for nid, text in frame.badges.items()}
        if self.current is not None and self.current != frame.cursor and self.current != self.nan_node:
            updates.setdefault(self.current, {})["highlight"] = None
        if frame.cursor is not None and frame.cursor != self.nan_node:
            updates.setdefault(frame.cursor, {})["highlight"] = True
        self.current = frame.cursor
        ov.set_nodes(OWNER, updates)
        for e, text in frame.values.items():
            ov.set_edge(e, OWNER, value=text)
        for e, text in frame.grads.items():
            ov.set_edge(e, OWNER, grad=text)

    def mark_nonfinite(self, fn: dict[str, str]) -> str:
        """Outline the tracer's node in the error colour; returns the explanation."""
        text = explain_nonfinite(fn)
        self.nan_node = fn["node"]
        self.overlay.set_node(fn["node"], OWNER, highlight=self.scene.style.error, marks=[text])
        return text

    # ---- gradient check ----------------------------------------------------------------------------------
    def show_check(self, nodes: dict[str, dict[str, Any]]) -> None:
        updates = {}
        for nid, r in nodes.items():
            if r is None:
                continue
            err = r.get("max_rel_error")
            reading = r.get("reading", "")
            # short (✓ or ✗ and the relative error; the colour is the course's reading), so that the edge
            # captions beside the card keep their room; the dock's table and the mark say the rest
            failed = bool(r.get("failed")) or err is None
            badge = f"{'✗' if failed else '✓'} {fmt(err, 2)}" if err is not None else "not checked"
            fields: dict[str, Any] = {"badge": badge, "badge_color": reading_color(reading)}
            if failed:
                fields["marks"] = [f"gradient check: relative error {fmt(err, 2) if err is not None else '?'} "
                                   f"({reading})"]
            updates[nid] = fields
        self.overlay.set_nodes(CHECK_OWNER, updates)

    def clear_check(self) -> None:
        self.overlay.clear(CHECK_OWNER)
