"""Groups (sub-graphs): named sets of nodes that fold into one card, and how folding moves the layout.

Semantics
---------
* A :class:`Group` has a stable id (a Python identifier, unique among groups), a display ``name``
  (free text: an imported group's is its module path, ``layer1.0``), an optional ``parent`` group
  (groups nest as a tree) and ``collapsed``. A node belongs to at most one group directly
  (``node.group``, its innermost); it is *in* every ancestor of that group too.
* Collapsed is saved in the file like positions are: it is how the author wants the graph to read
  (an imported ResNet-50 opens folded to its stages). It is part of the document, so collapsing
  and expanding are undoable edits that mark the file modified.
* Folding: a collapsed group shows as one card where its top member was. Collapsing moves every
  visible *unit* below the group's extent (a node, or an outermost collapsed group moving as one
  piece) up by the group's height, so the column closes up; expanding moves the units below the
  card down by the same height, so the members reappear in place. :func:`fold_moves` and
  :func:`unfold_moves` compute those moves; :meth:`Graph.set_collapsed` applies them with the flag,
  as one edit. Collapse then expand gives back every position, except that of a unit that sat beside
  the group (in its rows but not in it), which ends up one group height lower.

Pure Python: the canvas, the importer and the file format use these functions.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .graph import Graph

Pos = tuple[float, float]


@dataclass
class Group:
    id: str
    name: str
    parent: str | None = None
    collapsed: bool = False

    def clone(self) -> "Group":
        return Group(self.id, self.name, self.parent, self.collapsed)


def chain(graph: Graph, gid: str | None) -> list[str]:
    """``gid`` and its ancestors, innermost first (a broken parent link or a loop ends the chain)."""
    out: list[str] = []
    while gid is not None and gid in graph.groups and gid not in out:
        out.append(gid)
        gid = graph.groups[gid].parent
    return out


def descendants(graph: Graph, gid: str) -> set[str]:
    """``gid`` and every group nested in it."""
    kids: dict[str, list[str]] = {}
    for g in graph.groups.values():
        if g.parent is not None:
            kids.setdefault(g.parent, []).append(g.id)
    out, todo = {gid}, [gid]
    while todo:
        for k in kids.get(todo.pop(), ()):
            if k not in out:
                out.add(k)
                todo.append(k)
    return out


def members(graph: Graph, gid: str) -> list[str]:
    """Every node in the group or in a group nested in it, in file order."""
    inside = descendants(graph, gid)
    return [nid for nid, n in graph.nodes.items() if n.group in inside]


def direct_members(graph: Graph, gid: str | None) -> list[str]:
    return [nid for nid, n in graph.nodes.items() if n.group == gid]


def subgroups(graph: Graph, gid: str | None) -> list[str]:
    return [g.id for g in graph.groups.values() if g.parent == gid]


def folded_in(graph: Graph, nid: str) -> str | None:
    """The outermost collapsed group the node is in (its card stands for the node), or None."""
    node = graph.nodes.get(nid)
    if node is None:
        return None
    found = None
    for g in chain(graph, node.group):
        if graph.groups[g].collapsed:
            found = g
    return found


def card_pos(graph: Graph, gid: str) -> Pos:
    """Where a collapsed group's card sits: at its top member (the leftmost among ties)."""
    ms = members(graph, gid)
    if not ms:
        return (0.0, 0.0)
    top = min(ms, key=lambda n: (graph.nodes[n].pos[1], graph.nodes[n].pos[0]))
    return graph.nodes[top].pos


def units(graph: Graph, expanded: str | None = None) -> list[tuple[Pos, list[str]]]:
    """The visible units, (anchor, nodes): a node outside collapsed groups, or an outermost collapsed
    group with all its members. ``expanded`` is treated as not collapsed."""
    by_group: dict[str, list[str]] = {}
    out: list[tuple[Pos, list[str]]] = []
    for nid, node in graph.nodes.items():
        top = None
        for g in chain(graph, node.group):
            if graph.groups[g].collapsed and g != expanded:
                top = g
        if top is None:
            out.append((node.pos, [nid]))
        else:
            by_group.setdefault(top, []).append(nid)
    out += [(card_pos(graph, g), ns) for g, ns in by_group.items()]
    return out


def _extent(graph: Graph, gid: str, expanded: str | None) -> tuple[float, float, set[str]]:
    inside = set(members(graph, gid))
    ys = [anchor[1] for anchor, ns in units(graph, expanded) if ns[0] in inside]
    return (min(ys), max(ys), inside) if ys else (0.0, 0.0, inside)


def fold_moves(graph: Graph, gid: str) -> dict[str, Pos]:
    """New positions for the nodes that move up when ``gid`` collapses (everything below it)."""
    top, bottom, inside = _extent(graph, gid, gid)
    height = bottom - top
    if height <= 0:
        return {}
    return _shift([u for u in units(graph, gid) if u[1][0] not in inside and u[0][1] > bottom], -height, graph)


def unfold_moves(graph: Graph, gid: str) -> dict[str, Pos]:
    """New positions for the nodes that move down when ``gid`` expands (everything below its card)."""
    top, bottom, inside = _extent(graph, gid, gid)
    height = bottom - top
    if height <= 0:
        return {}
    card_y = card_pos(graph, gid)[1]
    return _shift([u for u in units(graph) if u[1][0] not in inside and u[0][1] > card_y], height, graph)


def _shift(moving: Iterable[tuple[Pos, list[str]]], dy: float, graph: Graph) -> dict[str, Pos]:
    return {nid: (graph.nodes[nid].pos[0], round(graph.nodes[nid].pos[1] + dy, 2))
            for _, ns in moving for nid in ns}
