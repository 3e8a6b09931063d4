"""The one undo command of the training settings: replace the graph's ``training`` section.

Every change in the Training form is one :class:`SetTrainingCommand` calling
:meth:`graphlab.core.Graph.set_training` (the model method), so it marks the file modified and is
saved in the file's ``training`` section. Consecutive changes of the same field within
:data:`graphlab.ui.commands.MERGE_WINDOW_S` seconds of each other (a spin box held down, arrow keys
on a number) merge into one undo step, like the inspector's parameter edits.
"""
from __future__ import annotations

import copy
import time
from typing import Any

from PySide6.QtGui import QUndoCommand

from ...core import Graph
from ..commands import MERGE_WINDOW_S


class SetTrainingCommand(QUndoCommand):
    ID = 1901

    def __init__(self, graph: Graph, new: dict[str, Any], key: str) -> None:
        super().__init__(f"Set training.{key.lstrip('@')}")
        self.graph, self.key = graph, key
        self.old = copy.deepcopy(graph.training)
        self.new = copy.deepcopy(new)
        self.stamp = time.monotonic()

    def redo(self) -> None:
        self.graph.set_training(self.new)

    def undo(self) -> None:
        self.graph.set_training(self.old)

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if not isinstance(other, SetTrainingCommand) or other.key != self.key or other.graph is not self.graph:
            return False
        if other.stamp - self.stamp > MERGE_WINDOW_S:
            return False
        self.new, self.stamp = other.new, other.stamp
        return True
