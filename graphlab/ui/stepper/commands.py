"""The one undo command of the stepper's settings: replace the graph's ``step`` section.

Every change in the stepper dock's settings (source, seed, batch, a typed value, weights, mode) is one
:class:`SetStepCommand` calling :meth:`graphlab.core.Graph.set_step` (the model method), so it marks
the file modified and is saved in the file's ``step`` section. Consecutive changes of the same key
within :data:`graphlab.ui.commands.MERGE_WINDOW_S` seconds (a spin box held down) merge into one step.
"""
from __future__ import annotations

import copy
import time
from typing import Any

from PySide6.QtGui import QUndoCommand

from ...core import Graph
from ..commands import MERGE_WINDOW_S


class SetStepCommand(QUndoCommand):
    ID = 1902

    def __init__(self, graph: Graph, new: dict[str, Any], key: str) -> None:
        super().__init__(f"Set step.{key}")
        self.graph, self.key = graph, key
        self.old = copy.deepcopy(graph.step)
        self.new = copy.deepcopy(new)
        self.stamp = time.monotonic()

    def redo(self) -> None:
        self.graph.set_step(self.new)

    def undo(self) -> None:
        self.graph.set_step(self.old)

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if not isinstance(other, SetStepCommand) or other.key != self.key or other.graph is not self.graph:
            return False
        if other.stamp - self.stamp > MERGE_WINDOW_S:
            return False
        self.new, self.stamp = other.new, other.stamp
        return True
