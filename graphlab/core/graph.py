"""The graph model: nodes, edges and change notifications.

Semantics
---------
* A :class:`Node` has a stable string id (a Python identifier, unique in the graph), a layer
  ``type`` from the catalogue, the ``params`` the user set (defaults are *not* stored), a canvas
  ``pos`` and an optional per-node weight ``init`` scheme.
* Every node has exactly one output. An :class:`Edge` runs from a node's output into input
  ``port`` (0, 1, …) of another node. Multi-input nodes (Add, Multiply, Concat) read their
  inputs in port order.
* The model may hold an *invalid* graph (a cycle, a missing input, an edge to a node that does not
  exist): files can contain them and the editor shows them. :func:`graphlab.core.analysis.analyze`
  reports them; the model only refuses operations that make no sense at all (duplicate ids, an
  edge that already exists, a node that is not there).
* ``graph.nx`` is a networkx MultiDiGraph mirror (edge key = port) kept in sync on every edit, for
  ordering and cycle checks; edges whose ends do not both exist live only in ``graph.edges``.
* Each edit emits one event (``node_added``, ``node_removed``, ``edge_added``, ``edge_removed``,
  ``param_changed``, ``node_moved``, ``meta_changed``) and then ``changed``. The model knows
  nothing about undo: the editor wraps each user action in a command that calls one method here.
"""
from __future__ import annotations

import copy
import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import networkx as nx

from .events import Event

_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: ids that would clash with the compiled module's forward(self, ...) signature
_NOT_IDS = frozenset({"self"})
#: input ports run 0..MAX_PORT; more inputs than that on one node is not a network anyone draws
MAX_PORT = 255


class GraphError(Exception):
    """An edit that cannot be applied to the model at all."""


def valid_id(node_id: object) -> bool:
    return (isinstance(node_id, str) and bool(_ID_RE.match(node_id)) and not keyword.iskeyword(node_id)
            and node_id not in _NOT_IDS)


def fresh_id(type_name: str, taken: set[str] | dict[str, object]) -> str:
    """``<type><n>`` (e.g. conv2d3) with the smallest n not in ``taken``."""
    base = re.sub(r"[^A-Za-z0-9_]", "", type_name.lower()) or "node"
    if not base[0].isalpha():
        base = "n" + base
    i = 1
    while f"{base}{i}" in taken or not valid_id(f"{base}{i}"):
        i += 1
    return f"{base}{i}"


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] = (0.0, 0.0)
    init: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # unknown per-node keys from the file, kept

    def clone(self, new_id: str | None = None) -> "Node":
        return Node(new_id or self.id, self.type, copy.deepcopy(self.params), tuple(self.pos), self.init,
                    copy.deepcopy(self.extra))


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    port: int = 0


@dataclass(frozen=True)
class LoadProblem:
    """A problem found while reading a file that the model cannot represent (e.g. a duplicate id)."""

    node: str | None
    message: str
    field: str | None = None


class Graph:
    def __init__(self, name: str = "untitled") -> None:
        self.name = name
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.training: dict[str, Any] = {}
        self.extra: dict[str, Any] = {}  # unknown top-level keys, written back on save
        self.load_problems: list[LoadProblem] = []
        self.nx = nx.MultiDiGraph()
        self.revision = 0  # bumped on every edit; cheap cache key for views and analysis
        self.node_added = Event()
        self.node_removed = Event()
        self.edge_added = Event()
        self.edge_removed = Event()
        self.param_changed = Event()  # (node_id, name)
        self.node_moved = Event()  # (node_id, pos)
        self.meta_changed = Event()  # (key,) name / training / init
        self.changed = Event()  # () after any of the above

    # ---- queries -------------------------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"no node with id '{node_id}'") from None

    def inputs_of(self, node_id: str) -> list[Edge]:
        return sorted((e for e in self.edges if e.dst == node_id), key=lambda e: e.port)

    def outputs_of(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.src == node_id]

    def port_taken(self, node_id: str, port: int) -> bool:
        return any(e.dst == node_id and e.port == port for e in self.edges)

    def would_cycle(self, src: str, dst: str) -> bool:
        """True when an edge src -> dst would close a cycle."""
        if src == dst:
            return True
        if src not in self.nx or dst not in self.nx:
            return False
        return nx.has_path(self.nx, dst, src)

    def taken_ids(self) -> set[str]:
        """Ids a new node must not get: every node's, and every name an edge refers to (a dangling
        edge from a file must not silently attach to a new node)."""
        return set(self.nodes) | {e.src for e in self.edges} | {e.dst for e in self.edges}

    def new_id(self, type_name: str) -> str:
        return fresh_id(type_name, self.taken_ids())

    def index_of(self, node_id: str) -> int:
        return list(self.nodes).index(node_id)

    # ---- edits ---------------------------------------------------------------------------
    def _touch(self) -> None:
        self.revision += 1
        self.changed.emit()

    def add_node(self, type_name: str, params: dict[str, Any] | None = None, pos: Iterable[float] = (0.0, 0.0),
                 node_id: str | None = None, init: str | None = None) -> Node:
        node = Node(node_id or self.new_id(type_name), type_name, dict(params or {}),
                    (float(tuple(pos)[0]), float(tuple(pos)[1])), init)
        self.insert_node(node)
        return node

    def insert_node(self, node: Node, edges: Iterable[Edge] = (), index: int | None = None,
                    edge_at: Iterable[int] | None = None) -> None:
        """Add an existing Node object (and optionally its edges): used by undo and paste.

        ``index`` is the node's place in file order; ``edge_at`` gives each edge's place in
        ``self.edges`` (as :meth:`edge_positions` reported it before removal), so an undone delete
        saves byte-identically. Both default to the end."""
        if node.id in self.nodes:
            raise GraphError(f"a node with id '{node.id}' already exists")
        if not valid_id(node.id):
            raise GraphError(f"node id '{node.id}' must be a Python identifier (letters, digits, _)")
        if index is None or index >= len(self.nodes):
            self.nodes[node.id] = node
        else:
            items = list(self.nodes.items())
            items.insert(index, (node.id, node))
            self.nodes = dict(items)
        self.nx.add_node(node.id)
        for e in self.edges:  # dangling edges that now have both ends
            if node.id in (e.src, e.dst) and e.src in self.nodes and e.dst in self.nodes:
                self.nx.add_edge(e.src, e.dst, key=e.port)
        self.node_added.emit(node)
        edges = list(edges)
        places = list(edge_at) if edge_at is not None else [None] * len(edges)
        if len(places) != len(edges):
            raise GraphError("insert_node: edge_at must give one position per edge")
        for at, e in sorted(zip(places, edges), key=lambda pe: (pe[0] is None, pe[0] or 0)):
            self._add_edge(e, at)
        self._touch()

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge], int]:
        """Remove a node and every edge touching it. Returns what undo needs to put it back."""
        node = self.node(node_id)
        index = self.index_of(node_id)
        touching = [e for e in self.edges if node_id in (e.src, e.dst)]
        for e in touching:
            self._remove_edge(e)
        del self.nodes[node_id]
        self.nx.remove_node(node_id)
        self.node_removed.emit(node)
        self._touch()
        return node, touching, index

    def edge_positions(self, node_id: str) -> dict[Edge, int]:
        """Where each edge touching a node sits in ``self.edges`` (for an exact undo of a delete)."""
        return {e: i for i, e in enumerate(self.edges) if node_id in (e.src, e.dst)}

    def connect(self, src: str, dst: str, port: int = 0, at: int | None = None) -> Edge:
        """Connect src's output to input ``port`` of dst; ``at`` places the edge in file order (undo)."""
        edge = Edge(src, dst, port)
        self.node(src)
        self.node(dst)
        if edge in self.edges:
            raise GraphError(f"'{src}' is already connected to port {port} of '{dst}'")
        self._add_edge(edge, at)
        self._touch()
        return edge

    def add_edge(self, edge: Edge) -> None:
        """Add an edge as read from a file: its ends need not exist (validation reports it)."""
        if edge in self.edges:
            raise GraphError(f"duplicate edge {edge.src} -> {edge.dst} port {edge.port}")
        self._add_edge(edge)
        self._touch()

    def disconnect(self, edge: Edge) -> int:
        """Remove an edge; returns its former place in file order (pass it to ``connect(at=)`` to undo)."""
        if edge not in self.edges:
            raise GraphError(f"no edge {edge.src} -> {edge.dst} port {edge.port}")
        at = self.edges.index(edge)
        self._remove_edge(edge)
        self._touch()
        return at

    def _add_edge(self, edge: Edge, at: int | None = None) -> None:
        if isinstance(edge.port, bool) or not isinstance(edge.port, int) or not 0 <= edge.port <= MAX_PORT:
            raise GraphError(f"port {edge.port!r} of '{edge.dst}': ports are whole numbers 0..{MAX_PORT}")
        if at is None or at >= len(self.edges):
            self.edges.append(edge)
        else:
            self.edges.insert(max(at, 0), edge)
        if edge.src in self.nodes and edge.dst in self.nodes:
            self.nx.add_edge(edge.src, edge.dst, key=edge.port)
        self.edge_added.emit(edge)

    def _remove_edge(self, edge: Edge) -> None:
        self.edges.remove(edge)
        if self.nx.has_edge(edge.src, edge.dst, key=edge.port):
            self.nx.remove_edge(edge.src, edge.dst, key=edge.port)
        self.edge_removed.emit(edge)

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one parameter; ``value=None`` removes it (back to the catalogue default)."""
        node = self.node(node_id)
        if value is None:
            node.params.pop(name, None)
        else:
            node.params[name] = value
        self.param_changed.emit(node_id, name)
        self._touch()

    def set_init(self, node_id: str, scheme: str | None) -> None:
        self.node(node_id).init = scheme
        self.param_changed.emit(node_id, "init")
        self._touch()

    def move_node(self, node_id: str, pos: Iterable[float]) -> None:
        p = tuple(pos)
        self.node(node_id).pos = (float(p[0]), float(p[1]))
        self.node_moved.emit(node_id, self.nodes[node_id].pos)
        self._touch()

    def set_name(self, name: str) -> None:
        self.name = name
        self.meta_changed.emit("name")
        self._touch()

    def set_training(self, training: dict[str, Any]) -> None:
        self.training = copy.deepcopy(training)
        self.meta_changed.emit("training")
        self._touch()
