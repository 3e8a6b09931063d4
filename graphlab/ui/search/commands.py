"""The undo commands of the Search dock.

* :class:`SetSearchCommand` — replace the graph's ``search`` section (:meth:`graphlab.core.Graph.set_search`,
  the model method): every edit of the Search form, adding or removing a key, and *Refine* (the next
  stage's narrowed ranges). Consecutive edits of the same key within
  :data:`graphlab.ui.commands.MERGE_WINDOW_S` seconds merge into one undo step, like the Training form's.
* :func:`apply_trial_command` — *Apply trial to graph* as ONE undo step: a macro of one
  :class:`~graphlab.ui.training.commands.SetTrainingCommand` (the trial's training values, its seed,
  epochs and validation share) and one :class:`~graphlab.ui.commands.SetParamCommand` per node
  parameter the trial set (:func:`graphlab.search.targets.trial_changes` computes both).
"""
from __future__ import annotations

import copy
import time
from typing import Any

from PySide6.QtGui import QUndoCommand

from ...core import Graph
from ..commands import MERGE_WINDOW_S, MacroCommand, SetParamCommand
from ..training.commands import SetTrainingCommand


class SetSearchCommand(QUndoCommand):
    ID = 1801

    def __init__(self, graph: Graph, new: dict[str, Any], key: str, text: str | None = None) -> None:
        super().__init__(text or f"Set search.{key}")
        self.graph, self.key = graph, key
        self.old = copy.deepcopy(graph.search)
        self.new = copy.deepcopy(new)
        self.stamp = time.monotonic()

    def redo(self) -> None:
        self.graph.set_search(self.new)

    def undo(self) -> None:
        self.graph.set_search(self.old)

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if not isinstance(other, SetSearchCommand) or other.key != self.key or other.graph is not self.graph:
            return False
        if other.stamp - self.stamp > MERGE_WINDOW_S or self.key.startswith("@"):
            return False  # "@..." keys (add, remove, refine) are steps of their own
        self.new, self.stamp = other.new, other.stamp
        return True


def apply_trial_command(graph: Graph, training: dict[str, Any], params: dict[str, dict[str, Any]],
                        text: str) -> MacroCommand | None:
    """One undo step setting the training section and the node parameters; None when nothing changes.
    Raises KeyError naming a node the graph no longer has."""
    macro = MacroCommand(text)
    if training != graph.training:
        macro.add(SetTrainingCommand(graph, training, "@trial"))
    for nid, changes in params.items():
        node = graph.nodes.get(nid)
        if node is None:
            raise KeyError(nid)
        for name, value in changes.items():
            if node.params.get(name) != value or name not in node.params:
                macro.add(SetParamCommand(graph, nid, name, value))
    return macro if macro.children_ else None
