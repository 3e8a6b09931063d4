"""Undo commands: every user action is one QUndoCommand, and each change calls one model method.

Commands talk to the :class:`~graphlab.core.Graph` only; the scene follows the model's events, so
undo and redo repaint exactly like the original edit did. Composite actions (delete a selection,
paste) are :class:`MacroCommand`s whose children are the single-change commands below, run in
order on redo and in reverse on undo.

Removal keeps what the model returns (the node, its edges, its index in file order) and undo puts
it back with ``insert_node(node, edges, index)``, so a save after undo is byte-identical.
"""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..core import Edge, Graph, Node
from ..core.groups import Group


class AddNodeCommand(QUndoCommand):
    """Add one node (and, for paste, the edges from nodes that already exist)."""

    def __init__(self, graph: Graph, node: Node, edges: tuple[Edge, ...] = (), text: str | None = None) -> None:
        super().__init__(text or f"Add {node.type}")
        self.graph, self.node, self.edges = graph, node, tuple(edges)

    def redo(self) -> None:
        self.graph.insert_node(self.node, self.edges)

    def undo(self) -> None:
        self.graph.remove_node(self.node.id)


class RemoveNodeCommand(QUndoCommand):
    """Remove one node with its edges; undo restores node, edges and file position."""

    def __init__(self, graph: Graph, node_id: str) -> None:
        super().__init__(f"Delete {node_id}")
        self.graph, self.node_id = graph, node_id
        self._saved: tuple[Node, list[Edge], int] | None = None

    def redo(self) -> None:
        self._where = self.graph.edge_positions(self.node_id)
        self._saved = self.graph.remove_node(self.node_id)

    def undo(self) -> None:
        assert self._saved is not None
        node, edges, index = self._saved
        self.graph.insert_node(node, edges, index, edge_at=[self._where[e] for e in edges])


class ConnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, src: str, dst: str, port: int) -> None:
        super().__init__(f"Connect {src} → {dst}")
        self.graph, self.edge = graph, Edge(src, dst, port)

    def redo(self) -> None:
        self.graph.connect(self.edge.src, self.edge.dst, self.edge.port)

    def undo(self) -> None:
        self.graph.disconnect(self.edge)


class DisconnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, edge: Edge) -> None:
        super().__init__(f"Disconnect {edge.src} → {edge.dst}")
        self.graph, self.edge = graph, edge
        self._index = 0

    def redo(self) -> None:
        self._index = self.graph.disconnect(self.edge)

    def undo(self) -> None:
        self.graph.connect(self.edge.src, self.edge.dst, self.edge.port, at=self._index)


MERGE_WINDOW_S = 1.5


class SetParamCommand(QUndoCommand):
    """Set one parameter (``None`` = back to default; name ``"init"`` sets the weight init).

    Consecutive changes of the same node and parameter within MERGE_WINDOW_S seconds of each other
    merge into one undo step, so dragging or spinning a spin box is one step.
    """

    ID = 1001

    def __init__(self, graph: Graph, node_id: str, name: str, value: Any) -> None:
        super().__init__(f"Set {node_id}.{name}")
        self.graph, self.node_id, self.name, self.new = graph, node_id, name, value
        node = graph.node(node_id)
        self.old = node.init if name == "init" else node.trainable if name == "trainable" else node.params.get(name)
        self.stamp = time.monotonic()

    def _set(self, value: Any) -> None:
        if self.name == "init":
            self.graph.set_init(self.node_id, value)
        elif self.name == "trainable":
            self.graph.set_trainable(self.node_id, value is not False)
        else:
            self.graph.set_param(self.node_id, self.name, value)

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParamCommand) or (other.node_id, other.name) != (self.node_id, self.name):
            return False
        if other.stamp - self.stamp > MERGE_WINDOW_S:
            return False
        self.new, self.stamp = other.new, other.stamp
        return True


class MoveNodeCommand(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, old: tuple[float, float], new: tuple[float, float]) -> None:
        super().__init__(f"Move {node_id}")
        self.graph, self.node_id, self.old, self.new = graph, node_id, old, new

    def redo(self) -> None:
        self.graph.move_node(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.move_node(self.node_id, self.old)


class AddGroupCommand(QUndoCommand):
    """Make a group of nodes and groups (Ctrl+G, paste); undo dissolves it again."""

    def __init__(self, graph: Graph, group: Group, nodes: list[str], groups: list[str], text: str | None = None) -> None:
        super().__init__(text or f"Group {group.name}")
        self.graph, self.group, self.nodes, self.groups = graph, group, list(nodes), list(groups)
        self._index: int | None = None

    def redo(self) -> None:
        self.graph.add_group(self.group.clone(), self.nodes, self.groups, self._index)

    def undo(self) -> None:
        self._index = self.graph.remove_group(self.group.id)[3]


class RemoveGroupCommand(QUndoCommand):
    """Dissolve a group (its members move to its parent); undo makes it again, in its place."""

    def __init__(self, graph: Graph, group_id: str) -> None:
        super().__init__(f"Ungroup {graph.groups[group_id].name}")
        self.graph, self.group_id = graph, group_id
        self._saved: tuple[Group, list[str], list[str], int] | None = None

    def redo(self) -> None:
        self._saved = self.graph.remove_group(self.group_id)

    def undo(self) -> None:
        assert self._saved is not None
        group, nodes, groups, index = self._saved
        self.graph.add_group(group, nodes, groups, index)


class CollapseGroupCommand(QUndoCommand):
    """Fold or unfold a group, with the layout moves that close or open its room (core.groups)."""

    def __init__(self, graph: Graph, group_id: str, collapsed: bool, moves: dict[str, tuple[float, float]]) -> None:
        super().__init__(f"{'Collapse' if collapsed else 'Expand'} {graph.groups[group_id].name}")
        self.graph, self.group_id, self.collapsed, self.moves = graph, group_id, collapsed, dict(moves)
        self.old = {nid: graph.nodes[nid].pos for nid in moves}

    def redo(self) -> None:
        self.graph.set_collapsed(self.group_id, self.collapsed, self.moves)

    def undo(self) -> None:
        self.graph.set_collapsed(self.group_id, not self.collapsed, self.old)


class RenameGraphCommand(QUndoCommand):
    def __init__(self, graph: Graph, name: str) -> None:
        super().__init__(f"Rename to {name}")
        self.graph, self.old, self.new = graph, graph.name, name

    def redo(self) -> None:
        self.graph.set_name(self.new)

    def undo(self) -> None:
        self.graph.set_name(self.old)


class MacroCommand(QUndoCommand):
    """A composite action: runs its child commands in order on redo and in reverse on undo.

    The children are plain Python references (not Qt parent/child), so their Python overrides
    stay alive as long as the macro does.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.children_: list[QUndoCommand] = []

    def add(self, command: QUndoCommand) -> QUndoCommand:
        self.children_.append(command)
        return command

    def redo(self) -> None:
        for c in self.children_:
            c.redo()

    def undo(self) -> None:
        for c in reversed(self.children_):
            c.undo()


def macro(text: str) -> MacroCommand:
    return MacroCommand(text)
