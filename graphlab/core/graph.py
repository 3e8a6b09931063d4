"""The graph model: nodes, edges and change notifications.

Semantics
---------
* A :class:`Node` has a stable string id (a Python identifier, unique in the graph), a layer
  ``type`` from the catalogue, the ``params`` the user set (defaults are *not* stored), a canvas
  ``pos``, an optional per-node weight ``init`` scheme, the ``group`` it sits in (its innermost;
  :mod:`graphlab.core.groups`) and ``trainable`` (False: frozen, its weights are not trained).
* ``graph.groups`` holds the groups (sub-graphs) by id, in file order; see :mod:`.groups`.
* Every node has exactly one output. An :class:`Edge` runs from a node's output into input
  ``port`` (0, 1, …) of another node. Multi-input nodes (Add, Multiply, Concat) read their
  inputs in port order.
* The model may hold an *invalid* graph (a cycle, a missing input, an edge to a node that does not
  exist): files can contain them and the editor shows them. :func:`graphlab.core.analysis.analyze`
  reports them; the model only refuses operations that make no sense at all (duplicate ids, an
  edge that already exists, a node that is not there). A refused edit changes nothing.
* ``graph.nodes`` (a dict) and ``graph.edges`` (a read-only sequence) are in *file order*, which
  saves reproduce byte for byte; undo puts a removed node and its edges back at their old places
  (``remove_node`` returns the node's index, :meth:`Graph.edge_positions` the edges').
* ``graph.nx`` is a networkx MultiDiGraph mirror (edge key = port) for algorithms such as layout:
  built on first use (loading and checking a file never pay for it), then kept in sync on every
  edit; edges whose ends do not both exist live only in ``graph.edges``.

Events
------
Each edit emits its events (``node_added``, ``node_removed``, ``edge_added``, ``edge_removed``,
``param_changed``, ``node_moved``, ``meta_changed``, ``group_changed``) and then ``changed`` — all *after* the edit is
complete: when ``node_added`` fires, the node's edges exist and ``revision`` has moved. A listener
that raises is reported on ``listener_failed`` (with the event's name, the listener and the
exception, and logged with its traceback on the ``graphlab.core`` logger); the other listeners
still run and the model stays as the edit left it. The model knows nothing about undo: the editor
wraps each user action in a command that calls one method here.

Costs
-----
Adding a node, connecting, disconnecting and removing are O(1) amortised (O(log n) for the file
position a removal reports): edges are indexed by their ends, file positions live in
:class:`~graphlab.core.ordered.OrderedIndex`, and fresh ids remember the next free number per
prefix. Putting a node or an edge back at an earlier position (undo) is O(n).
"""
from __future__ import annotations

import copy
import keyword
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .events import Event
from .groups import Group, chain
from .ordered import OrderedIndex

if TYPE_CHECKING:
    import networkx as nx

#: ids that would clash with the compiled module's forward(self, ...) signature
_NOT_IDS = frozenset({"self"})
#: input ports run 0..MAX_PORT; more inputs than that on one node is not a network anyone draws
MAX_PORT = 255


class GraphError(Exception):
    """An edit that cannot be applied to the model at all."""


def valid_id(node_id: object) -> bool:
    """An ASCII Python identifier (letters, digits and _, not starting with a digit), not a keyword."""
    return (isinstance(node_id, str) and node_id.isascii() and node_id.isidentifier()
            and not keyword.iskeyword(node_id) and node_id not in _NOT_IDS)


def id_base(type_name: str) -> str:
    """The prefix of fresh ids for a layer type: its name lower-cased, letters, digits and _ only."""
    base = re.sub(r"[^A-Za-z0-9_]", "", type_name.lower()) or "node"
    return base if base[0].isalpha() else "n" + base


def fresh_id(type_name: str, taken: Container[str]) -> str:
    """``<type><n>`` (e.g. conv2d3) with the smallest n not in ``taken``."""
    base = id_base(type_name)
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
    group: str | None = None  # the innermost group it sits in (graph.groups)
    trainable: bool = True  # False: frozen (its weights are left out of training)

    def clone(self, new_id: str | None = None) -> "Node":
        x, y = self.pos
        return Node(new_id or self.id, self.type, copy.deepcopy(self.params), (x, y), self.init,
                    copy.deepcopy(self.extra), self.group, self.trainable)


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


class EdgeList(Sequence):
    """The graph's edges in file order, read-only (edit through the :class:`Graph`'s methods).

    Indexing, ``len``, iteration and ``==`` against a list behave as on a list; ``edge in edges``
    and ``edges.index(edge)`` do not scan."""

    __slots__ = ("_index",)

    def __init__(self, index: OrderedIndex[Edge]) -> None:
        self._index = index

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self) -> Iterator[Edge]:
        return iter(self._index)

    def __getitem__(self, i: Any) -> Any:
        return self._index[i]

    def __contains__(self, edge: object) -> bool:
        return edge in self._index

    def index(self, edge: Any, start: int = 0, stop: int | None = None) -> int:
        return self._index.index(edge, start, stop)

    def count(self, edge: Any) -> int:
        return 1 if edge in self._index else 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (EdgeList, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # unhashable (mutable): typeshed allows only a method

    def __repr__(self) -> str:
        return f"EdgeList({list(self)!r})"


_Pending = list[tuple[Event, tuple[Any, ...]]]


class Graph:
    def __init__(self, name: str = "untitled") -> None:
        self.name = name
        self.nodes: dict[str, Node] = {}
        self._order: OrderedIndex[str] = OrderedIndex()  # node ids, file order (mirrors self.nodes)
        self._edges: OrderedIndex[Edge] = OrderedIndex()
        self._edge_list = EdgeList(self._edges)
        self._in: dict[str, dict[Edge, None]] = {}  # node name -> edges into it (its ends need not exist)
        self._out: dict[str, dict[Edge, None]] = {}  # node name -> edges out of it
        self._id_hint: dict[str, int] = {}  # id prefix -> every suffix below it is taken
        self.training: dict[str, Any] = {}
        self.step: dict[str, Any] = {}  # the stepper's configuration (graphlab.step.config), plain data
        self.search: dict[str, Any] = {}  # the hyperparameter search section, plain data (graphlab.search)
        self.extra: dict[str, Any] = {}  # unknown top-level keys, written back on save
        self.groups: dict[str, Group] = {}  # sub-graphs by id, in file order (graphlab.core.groups)
        self.load_problems: list[LoadProblem] = []
        self._nx: nx.MultiDiGraph | None = None  # built on first use of .nx
        self.revision = 0  # bumped on every edit; cheap cache key for views and analysis
        #: (event_name, listener, exception): a listener of another event raised
        self.listener_failed = Event("listener_failed")
        report = self._listener_failed
        self.node_added = Event("node_added", report)  # (node,)
        self.node_removed = Event("node_removed", report)  # (node,)
        self.edge_added = Event("edge_added", report)  # (edge,)
        self.edge_removed = Event("edge_removed", report)  # (edge,)
        self.param_changed = Event("param_changed", report)  # (node_id, name)
        self.node_moved = Event("node_moved", report)  # (node_id, pos)
        self.meta_changed = Event("meta_changed", report)  # (key,) name / training / step / search / init
        self.group_changed = Event("group_changed", report)  # (group_id,) made, removed, renamed, (un)folded
        self.changed = Event("changed", report)  # () after any of the above

    def _listener_failed(self, event: str, listener: Callable[..., Any], exc: Exception) -> None:
        self.listener_failed.emit(event, listener, exc)

    # ---- queries -------------------------------------------------------------------------
    @property
    def nx(self) -> nx.MultiDiGraph:
        """A networkx mirror of the nodes and the edges whose ends both exist (key = port)."""
        if self._nx is None:
            import networkx  # imported on first use: reading and checking files do not need it

            mirror: nx.MultiDiGraph = networkx.MultiDiGraph()
            mirror.add_nodes_from(self.nodes)
            for e in self._edges:
                if e.src in self.nodes and e.dst in self.nodes:
                    mirror.add_edge(e.src, e.dst, key=e.port)
            self._nx = mirror
        return self._nx

    @property
    def edges(self) -> EdgeList:
        """Every edge in file order (read-only; edit with connect/disconnect/add_edge)."""
        return self._edge_list

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except (KeyError, TypeError):
            raise GraphError(f"no node with id {node_id!r}") from None

    def inputs_of(self, node_id: str) -> list[Edge]:
        """Edges into a node, by port (edges sharing a port in file order)."""
        es = self._in.get(node_id)
        if not es:
            return []
        if len(es) == 1:
            return list(es)
        pos = self._edges.index
        return sorted(es, key=lambda e: (e.port, pos(e)))

    def outputs_of(self, node_id: str) -> list[Edge]:
        """Edges out of a node, in file order."""
        es = self._out.get(node_id)
        if not es:
            return []
        if len(es) == 1:
            return list(es)
        return sorted(es, key=self._edges.index)

    def port_taken(self, node_id: str, port: int) -> bool:
        return any(e.port == port for e in self._in.get(node_id, ()))

    def would_cycle(self, src: str, dst: str) -> bool:
        """True when an edge src -> dst would close a cycle."""
        if src == dst:
            return True
        if src not in self.nodes or dst not in self.nodes:
            return False
        seen, todo = {dst}, [dst]  # everything downstream of dst, through edges between existing nodes
        while todo:
            for e in self._out.get(todo.pop(), ()):
                if e.dst == src:
                    return True
                if e.dst not in seen and e.dst in self.nodes:
                    seen.add(e.dst)
                    todo.append(e.dst)
        return False

    def is_taken(self, name: str) -> bool:
        """True when a new node must not get this id: a node has it, or an edge refers to it."""
        return name in self.nodes or name in self._in or name in self._out

    def taken_ids(self) -> set[str]:
        """Ids a new node must not get: every node's, and every name an edge refers to (a dangling
        edge from a file must not silently attach to a new node)."""
        return set(self.nodes) | set(self._in) | set(self._out)

    def new_id(self, type_name: str) -> str:
        """``<type><n>`` with the smallest free n (as :func:`fresh_id`), without scanning the graph."""
        base = id_base(type_name)
        i = self._id_hint.get(base, 1)
        while self.is_taken(f"{base}{i}") or not valid_id(f"{base}{i}"):
            i += 1
        self._id_hint[base] = i
        return f"{base}{i}"

    def index_of(self, node_id: str) -> int:
        return self._order.index(node_id)

    def edge_positions(self, node_id: str) -> dict[Edge, int]:
        """Where each edge touching a node sits in ``self.edges`` (for an exact undo of a delete)."""
        pos = self._edges.index
        return {e: pos(e) for e in self._touching(node_id)}

    def _touching(self, name: str) -> list[Edge]:
        """Edges with ``name`` at either end, in file order."""
        es = dict(self._in.get(name, {}))
        es.update(self._out.get(name, {}))
        return sorted(es, key=self._edges.index) if len(es) > 1 else list(es)

    # ---- edits ---------------------------------------------------------------------------
    def _finish(self, pending: _Pending) -> None:
        """The edit is complete: move the revision, then tell the listeners."""
        self.revision += 1
        for event, args in pending:
            event.emit(*args)
        self.changed.emit()

    def add_node(self, type_name: str, params: dict[str, Any] | None = None, pos: Iterable[float] = (0.0, 0.0),
                 node_id: str | None = None, init: str | None = None) -> Node:
        p = tuple(pos)
        node = Node(node_id or self.new_id(type_name), type_name, dict(params or {}), (float(p[0]), float(p[1])), init)
        self.insert_node(node)
        return node

    def insert_node(self, node: Node, edges: Iterable[Edge] = (), index: int | None = None,
                    edge_at: Iterable[int] | None = None) -> None:
        """Add an existing Node object (and optionally its edges): used by undo and paste.

        ``index`` is the node's place in file order; ``edge_at`` gives each edge's place in
        ``self.edges`` (as :meth:`edge_positions` reported it before removal), so an undone delete
        saves byte-identically. Both default to the end."""
        if node.id in self.nodes:
            raise GraphError(f"a node with id {node.id!r} already exists")
        if not valid_id(node.id):
            raise GraphError(f"node id {node.id!r} must be a Python identifier (letters, digits, _)")
        edges = list(edges)
        places = list(edge_at) if edge_at is not None else [None] * len(edges)
        if len(places) != len(edges):
            raise GraphError("insert_node: edge_at must give one position per edge")
        if len(set(edges)) != len(edges):
            raise GraphError("insert_node: an edge is listed twice")
        for e in edges:
            self._check_new_edge(e)
        if index is None or index >= len(self.nodes):
            self.nodes[node.id] = node
            self._order.append(node.id)
        else:
            items = list(self.nodes.items())
            items.insert(index, (node.id, node))
            self.nodes.clear()
            self.nodes.update(items)
            self._order.insert(index, node.id)
        if self._nx is not None:
            self._nx.add_node(node.id)
            for e in self._touching(node.id):  # dangling edges that now have both ends
                if e.src in self.nodes and e.dst in self.nodes:
                    self._nx.add_edge(e.src, e.dst, key=e.port)
        pending: _Pending = [(self.node_added, (node,))]
        for at, e in sorted(zip(places, edges), key=lambda pe: (pe[0] is None, pe[0] or 0)):
            self._add_edge(e, at)
            pending.append((self.edge_added, (e,)))
        self._finish(pending)

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge], int]:
        """Remove a node and every edge touching it. Returns what undo needs to put it back."""
        node = self.node(node_id)
        index = self._order.index(node_id)
        touching = self._touching(node_id)
        for e in touching:
            self._remove_edge(e)
        del self.nodes[node_id]
        self._order.remove(node_id)
        if self._nx is not None:
            self._nx.remove_node(node_id)
        self._maybe_freed(node_id)
        self._finish([(self.edge_removed, (e,)) for e in touching] + [(self.node_removed, (node,))])
        return node, touching, index

    def connect(self, src: str, dst: str, port: int = 0, at: int | None = None) -> Edge:
        """Connect src's output to input ``port`` of dst; ``at`` places the edge in file order (undo)."""
        edge = Edge(src, dst, port)
        self.node(src)
        self.node(dst)
        if edge in self._edges:
            raise GraphError(f"{src!r} is already connected to port {port} of {dst!r}")
        self._check_new_edge(edge)
        self._add_edge(edge, at)
        self._finish([(self.edge_added, (edge,))])
        return edge

    def add_edge(self, edge: Edge) -> None:
        """Add an edge as read from a file: its ends need not exist (validation reports it)."""
        self._check_new_edge(edge)
        self._add_edge(edge)
        self._finish([(self.edge_added, (edge,))])

    def disconnect(self, edge: Edge) -> int:
        """Remove an edge; returns its former place in file order (pass it to ``connect(at=)`` to undo)."""
        if edge not in self._edges:
            raise GraphError(f"no edge {edge.src} -> {edge.dst} port {edge.port}")
        at = self._remove_edge(edge)
        self._finish([(self.edge_removed, (edge,))])
        return at

    def _check_new_edge(self, edge: Edge) -> None:
        self._check_ends(edge)
        if edge in self._edges:
            raise GraphError(f"duplicate edge {edge.src} -> {edge.dst} port {edge.port}")

    def _add_edge(self, edge: Edge, at: int | None = None) -> None:
        if at is None or at >= len(self._edges):
            self._edges.append(edge)
        else:
            self._edges.insert(max(at, 0), edge)
        self._in.setdefault(edge.dst, {})[edge] = None
        self._out.setdefault(edge.src, {})[edge] = None
        if self._nx is not None and edge.src in self.nodes and edge.dst in self.nodes:
            self._nx.add_edge(edge.src, edge.dst, key=edge.port)

    def _remove_edge(self, edge: Edge) -> int:
        at = self._edges.remove(edge)
        for table, end in ((self._in, edge.dst), (self._out, edge.src)):
            es = table[end]
            del es[edge]
            if not es:
                del table[end]
        if self._nx is not None and self._nx.has_edge(edge.src, edge.dst, key=edge.port):
            self._nx.remove_edge(edge.src, edge.dst, key=edge.port)
        self._maybe_freed(edge.src)
        self._maybe_freed(edge.dst)
        return at

    def _maybe_freed(self, name: str) -> None:
        """``name`` may have become free: let :meth:`new_id` hand it out again."""
        if not self._id_hint or self.is_taken(name):
            return
        k = len(name)
        while k > 0 and name[k - 1].isdigit():
            k -= 1
        for cut in range(k, len(name)):  # every <prefix><number> reading of the name
            if name[cut] != "0":
                base, n = name[:cut], int(name[cut:])
                if n < self._id_hint.get(base, 0):
                    self._id_hint[base] = n

    def load_items(self, nodes: Iterable[Node], edges: Iterable[Edge]) -> None:
        """Fill an empty graph in one pass, as a file reader does (no events; O(n)).

        Node ids must be distinct and edges distinct, with valid ports (the reader has checked);
        an edge's ends need not exist."""
        if self.nodes or self._edges:
            raise GraphError("load_items fills an empty graph")
        for n in nodes:
            if n.id in self.nodes:
                raise GraphError(f"a node with id {n.id!r} already exists")
            self.nodes[n.id] = n
        edge_list = list(edges)
        for e in edge_list:
            self._check_ends(e)
        self._order = OrderedIndex(self.nodes)
        try:
            self._edges = OrderedIndex(edge_list)
        except ValueError:
            raise GraphError("load_items: an edge is listed twice") from None
        self._edge_list = EdgeList(self._edges)
        ins, outs = self._in, self._out
        for e in edge_list:
            d = ins.get(e.dst)
            if d is None:
                ins[e.dst] = {e: None}
            else:
                d[e] = None
            d = outs.get(e.src)
            if d is None:
                outs[e.src] = {e: None}
            else:
                d[e] = None
        self._nx = None
        self.revision += 1

    @staticmethod
    def _check_ends(edge: Edge) -> None:
        if isinstance(edge.port, bool) or not isinstance(edge.port, int) or not 0 <= edge.port <= MAX_PORT:
            raise GraphError(f"port {edge.port!r} of {edge.dst!r}: ports are whole numbers 0..{MAX_PORT}")
        if not isinstance(edge.src, str) or not isinstance(edge.dst, str):
            raise GraphError(f"edge {edge!r}: its ends are node ids (strings)")

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one parameter; ``value=None`` removes it (back to the catalogue default)."""
        node = self.node(node_id)
        if value is None:
            node.params.pop(name, None)
        else:
            node.params[name] = value
        self._finish([(self.param_changed, (node_id, name))])

    def set_init(self, node_id: str, scheme: str | None) -> None:
        self.node(node_id).init = scheme
        self._finish([(self.param_changed, (node_id, "init"))])

    def move_node(self, node_id: str, pos: Iterable[float]) -> None:
        node = self.node(node_id)
        p = tuple(pos)
        node.pos = (float(p[0]), float(p[1]))
        self._finish([(self.node_moved, (node_id, node.pos))])

    def set_name(self, name: str) -> None:
        self.name = name
        self._finish([(self.meta_changed, ("name",))])

    def set_training(self, training: dict[str, Any]) -> None:
        self.training = copy.deepcopy(training)
        self._finish([(self.meta_changed, ("training",))])

    def set_step(self, step: dict[str, Any]) -> None:
        """Replace the stepper's configuration section (``graphlab.step.config`` reads it)."""
        self.step = copy.deepcopy(step)
        self._finish([(self.meta_changed, ("step",))])

    def set_search(self, search: dict[str, Any]) -> None:
        """Replace the ``search`` section (plain data; {} removes it)."""
        self.search = copy.deepcopy(search)
        self._finish([(self.meta_changed, ("search",))])

    # ---- groups and freezing -------------------------------------------------------------------
    def set_trainable(self, node_id: str, trainable: bool) -> None:
        """Freeze (False) or unfreeze a node: training leaves a frozen node's weights as they are."""
        self.node(node_id).trainable = bool(trainable)
        self._finish([(self.param_changed, (node_id, "trainable"))])

    def add_group(self, group: Group, nodes: Iterable[str] = (), groups: Iterable[str] = (),
                  index: int | None = None) -> None:
        """Make ``group`` holding ``nodes`` and the groups ``groups`` (each now directly in
        ``group.parent``): they move into it. ``index`` is its place in file order (undo)."""
        nodes, groups = list(nodes), list(groups)
        if group.id in self.groups or not valid_id(group.id):
            raise GraphError(f"group id {group.id!r} is taken or not an identifier")
        if group.parent is not None and group.parent not in self.groups:
            raise GraphError(f"no group {group.parent!r}")
        for nid in nodes:
            if self.node(nid).group != group.parent:
                raise GraphError(f"node {nid!r} is not directly in {group.parent!r}")
        for gid in groups:
            if gid not in self.groups or self.groups[gid].parent != group.parent:
                raise GraphError(f"group {gid!r} is not directly in {group.parent!r}")
        items = list(self.groups.items())
        items.insert(len(items) if index is None else index, (group.id, group))
        self.groups = dict(items)
        for nid in nodes:
            self.nodes[nid].group = group.id
        for gid in groups:
            self.groups[gid].parent = group.id
        self._finish([(self.group_changed, (group.id,))])

    def remove_group(self, group_id: str) -> tuple[Group, list[str], list[str], int]:
        """Dissolve a group: its nodes and groups move to its parent. Returns what add_group needs to undo."""
        if group_id not in self.groups:
            raise GraphError(f"no group {group_id!r}")
        index = list(self.groups).index(group_id)
        group = self.groups.pop(group_id)
        nodes = [nid for nid, n in self.nodes.items() if n.group == group_id]
        kids = [g.id for g in self.groups.values() if g.parent == group_id]
        for nid in nodes:
            self.nodes[nid].group = group.parent
        for gid in kids:
            self.groups[gid].parent = group.parent
        self._finish([(self.group_changed, (group_id,))])
        return group, nodes, kids, index

    def rename_group(self, group_id: str, name: str) -> None:
        self.groups[group_id].name = name
        self._finish([(self.group_changed, (group_id,))])

    def set_collapsed(self, group_id: str, collapsed: bool, moves: dict[str, tuple[float, float]]) -> None:
        """Fold or unfold a group, moving the nodes ``moves`` names (see :mod:`.groups`), as one edit."""
        group = self.groups[group_id]
        pending: _Pending = []
        for nid, pos in moves.items():
            self.node(nid).pos = (float(pos[0]), float(pos[1]))
            pending.append((self.node_moved, (nid, self.nodes[nid].pos)))
        group.collapsed = bool(collapsed)
        self._finish(pending + [(self.group_changed, (group_id,))])

    def groups_of(self, node_id: str) -> list[str]:
        """The groups a node is in, innermost first."""
        return chain(self, self.node(node_id).group)
