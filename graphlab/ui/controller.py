"""The controller: turns the views' intents (which carry node ids) into undo commands.

It owns the QUndoStack and knows the current graph. Views never edit the model themselves and the
model never pushes commands; handling a model event never creates a command either. ``check_connect``
is the one place that decides whether a new edge is allowed, so the canvas can show the reason
while the user is still dragging.
"""
from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from ..core import REGISTRY, Edge, Graph, Node
from ..core.graph import MAX_PORT, fresh_id
from ..core.layout import layered_positions
from ..core.text import one_line, quote, show_value
from ..io.values import NODE_DEPTH, PARAM_DEPTH, clamp_coord, position, value_problem
from .commands import (
    AddNodeCommand,
    ConnectCommand,
    DisconnectCommand,
    MoveNodeCommand,
    RemoveNodeCommand,
    RenameGraphCommand,
    SetParamCommand,
    macro,
)

CLIP_MIME = "application/x-graphlab-nodes"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")  # NaN / Infinity: no position or parameter can hold it
PASTE_OFFSET = (40.0, 40.0)


class Controller(QObject):
    #: a one-line message for the status bar (refusals, hints)
    hint = Signal(str)

    def __init__(self, graph: Graph, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph = graph
        self.stack = QUndoStack(self)

    def set_graph(self, graph: Graph) -> None:
        self.graph = graph
        self.stack.clear()

    # ---- nodes -------------------------------------------------------------------------------------
    def add_node(self, type_name: str, pos: tuple[float, float] = (0.0, 0.0),
                 params: dict[str, Any] | None = None) -> str | None:
        if type_name not in REGISTRY:
            self.hint.emit(f"unknown layer type '{type_name}'")
            return None
        node = Node(fresh_id(type_name, self.graph.taken_ids()), REGISTRY.get(type_name).type, dict(params or {}),
                    (float(pos[0]), float(pos[1])))
        self.stack.push(AddNodeCommand(self.graph, node))
        return node.id

    def delete(self, node_ids: Iterable[str], edges: Iterable[Edge] = ()) -> None:
        ids = [n for n in node_ids if n in self.graph.nodes]
        loose = [e for e in edges if e in self.graph.edges and e.src not in ids and e.dst not in ids]
        if not ids and not loose:
            return
        parts = [f"{len(ids)} node{'s' * (len(ids) != 1)}"] if ids else []
        if loose:
            parts.append(f"{len(loose)} edge{'s' * (len(loose) != 1)}")
        parent = macro("Delete " + " and ".join(parts))
        for e in loose:
            parent.add(DisconnectCommand(self.graph, e))
        for nid in ids:
            parent.add(RemoveNodeCommand(self.graph, nid))
        self.stack.push(parent)

    def set_param(self, node_id: str, name: str, value: Any) -> bool:
        """Set one parameter (``init`` for the node's init scheme; None: back to the default) as one
        undo step. A value no graph file can hold (a 400-digit number, text that is not Unicode,
        nesting past 64 levels) is refused with a hint naming the node and field: the model, and so
        every later save, never holds what ``load`` refuses. False when nothing changed."""
        node = self.graph.nodes.get(node_id)
        if node is None:
            return False
        if not isinstance(name, str) or value_problem(name):
            self.hint.emit(f"refused: {node_id}: the parameter name {quote(name)} is not valid Unicode text")
            return False
        problem = value_problem(value, PARAM_DEPTH, name)
        if name == "init" and value is not None and not isinstance(value, str):
            problem = f"init: must be the name of an init scheme, got {show_value(value)}"  # as load says
        if problem:
            self.hint.emit(one_line(f"refused: {node_id}.{problem}"))
            return False
        current = node.init if name == "init" else node.params.get(name)
        if current == value and (value is not None or name == "init" or name not in node.params):
            return False
        self.stack.push(SetParamCommand(self.graph, node_id, name, value))
        return True

    def move_nodes(self, moves: dict[str, tuple[tuple[float, float], tuple[float, float]]]) -> None:
        moves = {n: (o, p) for n, (o, p) in moves.items() if n in self.graph.nodes and o != p}
        if not moves:
            return
        if len(moves) == 1:
            (nid, (old, new)), = moves.items()
            self.stack.push(MoveNodeCommand(self.graph, nid, old, new))
            return
        parent = macro(f"Move {len(moves)} nodes")
        for nid, (old, new) in moves.items():
            parent.add(MoveNodeCommand(self.graph, nid, old, new))
        self.stack.push(parent)

    def auto_layout(self) -> None:
        pos = layered_positions(self.graph)
        moves = {nid: (self.graph.nodes[nid].pos, (float(x), float(y))) for nid, (x, y) in pos.items()}
        moves = {n: m for n, m in moves.items() if m[0] != m[1]}
        if not moves:
            return
        parent = macro("Auto-layout")
        for nid, (old, new) in moves.items():
            parent.add(MoveNodeCommand(self.graph, nid, old, new))
        self.stack.push(parent)

    def rename_graph(self, name: str) -> bool:
        """Give the graph a new name (one undo step). Refuses an empty name with a hint."""
        name = " ".join(str(name).split())
        if not name:
            self.hint.emit("the graph needs a name")
            return False
        if value_problem(name):
            self.hint.emit(one_line(f"refused: the name {quote(name)}: {value_problem(name)}"))
            return False
        if name == self.graph.name:
            return False
        self.stack.push(RenameGraphCommand(self.graph, name))
        return True

    # ---- edges -------------------------------------------------------------------------------------
    def check_connect(self, src: str, dst: str, port: int) -> str | None:
        """Why an edge src -> dst:port is refused, or None when it is allowed."""
        g = self.graph
        if src not in g.nodes or dst not in g.nodes:
            return "both ends must be nodes"
        if src == dst:
            return f"refused: '{src}' cannot feed itself"
        spec = REGISTRY.get(g.nodes[dst].type)
        if spec is not None and spec.inputs == 0:
            return f"refused: '{dst}' is an {spec.type} node and takes no inputs"
        if g.port_taken(dst, port):
            return (f"refused: input {port} of '{dst}' is already connected; delete that edge first, "
                    f"or join branches with Add or Concat")
        if g.would_cycle(src, dst):
            return f"refused: '{src}' → '{dst}' would close a cycle ('{dst}' already feeds '{src}')"
        return None

    def connect(self, src: str, dst: str, port: int = 0) -> bool:
        reason = self.check_connect(src, dst, port)
        if reason is not None:
            self.hint.emit(reason)
            return False
        self.stack.push(ConnectCommand(self.graph, src, dst, port))
        return True

    def disconnect(self, edge: Edge) -> None:
        if edge in self.graph.edges:
            self.stack.push(DisconnectCommand(self.graph, edge))

    # ---- clipboard ---------------------------------------------------------------------------------
    def copy_data(self, node_ids: Iterable[str]) -> dict[str, Any]:
        ids = [n for n in self.graph.nodes if n in set(node_ids)]
        chosen = set(ids)
        nodes = [{"id": n, "type": self.graph.nodes[n].type, "params": copy.deepcopy(self.graph.nodes[n].params),
                  "pos": list(self.graph.nodes[n].pos), "init": self.graph.nodes[n].init} for n in ids]
        edges = [{"from": e.src, "to": e.dst, "port": e.port} for e in self.graph.edges
                 if e.src in chosen and e.dst in chosen]
        return {"graphlab-clip": 1, "nodes": nodes, "edges": edges}

    @staticmethod
    def encode(data: dict[str, Any]) -> bytes:
        return json.dumps(data).encode("utf-8")

    @staticmethod
    def decode(raw: bytes) -> dict[str, Any] | None:
        try:
            data = json.loads(bytes(raw).decode("utf-8"), parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
            return None
        return data

    def paste(self, data: dict[str, Any], offset: tuple[float, float] = PASTE_OFFSET, text: str = "Paste") -> list[str]:
        """Add copies of the clipboard's nodes (fresh ids, same params) and their internal edges.

        A clipboard node that a graph file could not hold (:func:`clip_node_problem`: a value
        ``load`` refuses, a position that is not two finite numbers) refuses the whole paste with a
        hint naming it: nothing changes. Positions are clamped to the canvas's bounds."""
        entries = [raw for raw in data.get("nodes", []) if isinstance(raw, dict) and "id" in raw
                   and isinstance(raw.get("type"), str)]  # anything else on the clipboard is not a node
        for raw in entries:
            problem = clip_node_problem(raw)
            if problem:
                self.hint.emit(one_line(f"nothing pasted: {problem}"))
                return []
        ox, oy = (float(v) if math.isfinite(v) else 0.0 for v in offset)
        taken = self.graph.taken_ids()
        mapping: dict[str, str] = {}
        nodes: list[Node] = []
        for raw in entries:
            new = fresh_id(raw["type"], taken)
            taken.add(new)
            mapping[str(raw["id"])] = new
            x, y = position(raw.get("pos", (0, 0))) or (0.0, 0.0)
            nodes.append(Node(new, raw["type"], copy.deepcopy(raw.get("params", {})),
                              (clamp_coord(x + ox), clamp_coord(y + oy)), raw.get("init")))
        if not nodes:
            return []
        edges: list[Edge] = []
        for raw in data.get("edges", []):
            try:
                e = Edge(mapping[str(raw["from"])], mapping[str(raw["to"])], int(raw.get("port", 0)))
            except (KeyError, TypeError, ValueError):
                continue
            if not 0 <= e.port <= MAX_PORT:
                continue
            edges.append(e)
        parent = macro(f"{text} {len(nodes)} node{'s' * (len(nodes) != 1)}")
        placed: set[str] = set()
        for node in nodes:
            placed.add(node.id)
            mine = tuple(e for e in edges if node.id in (e.src, e.dst) and e.src in placed and e.dst in placed)
            parent.add(AddNodeCommand(self.graph, node, mine))
        self.stack.push(parent)
        return [n.id for n in nodes]

    def duplicate(self, node_ids: Iterable[str]) -> list[str]:
        return self.paste(self.copy_data(node_ids), text="Duplicate")


def clip_node_problem(raw: dict[str, Any]) -> str | None:
    """Why a clipboard node cannot be pasted — what ``graphlab.io.load`` would refuse in a file's
    node — naming it (``clipboard node 'fc1'.params.out_features: the number is out of range …``),
    or None."""
    problem = value_problem(raw, NODE_DEPTH)
    nid = raw.get("id")
    who = f"clipboard node {quote(nid) if isinstance(nid, str) and not value_problem(nid) else '?'}"
    if problem:
        return f"{who}.{problem}"
    if "pos" in raw and position(raw["pos"]) is None:
        return f"{who}.pos: must be [x, y], two finite numbers"
    if not isinstance(raw.get("params", {}), dict):
        return f"{who}.params: must be an object of parameter values"
    if raw.get("init") is not None and not isinstance(raw.get("init"), str):
        return f"{who}.init: must be the name of an init scheme"
    return None
