"""Groups for an imported graph, from the module paths the nodes came from.

Each module that holds two or more of the imported nodes becomes a group named by its path
(``layer1``, ``layer1.0``), nested as the modules are; its id is the path with dots as ``_`` (a
group's id lives among groups, so ``layer1_0`` can be both a group and, elsewhere, nothing else).
A node sits in the deepest such group on its path: ``layer1.0.conv1`` in ``layer1.0``, the ``+``
that ``layer1.0``'s forward computes in ``layer1.0`` too.
"""
from __future__ import annotations

from ..core.graph import Graph
from ..core.groups import Group, fold_moves
from .build import Builder, path_id


def _ancestors(path: str) -> list[str]:
    """``a.b.c`` → [a, a.b, a.b.c]; "" → []."""
    parts = path.split(".") if path else []
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def add_groups(graph: Graph, b: Builder) -> None:
    scopes = {d.id: (d.path.rpartition(".")[0] if d.path is not None else d.scope) for d in b.drafts.values()}
    count: dict[str, int] = {}
    order: list[str] = []
    for scope in scopes.values():
        for p in _ancestors(scope):
            if p not in count:
                order.append(p)
            count[p] = count.get(p, 0) + 1
    kept = [p for p in order if count[p] >= 2]
    ids: dict[str, str] = {}
    for p in kept:
        base, gid, i = path_id(p), path_id(p), 0
        while gid in ids.values():
            i += 1
            gid = f"{base}_{i}"
        ids[p] = gid
    for p in kept:
        parent = next((q for q in reversed(_ancestors(p)[:-1]) if q in ids), None)
        graph.groups[ids[p]] = Group(ids[p], p, ids[parent] if parent else None)
    for nid, scope in scopes.items():
        inner = next((q for q in reversed(_ancestors(scope)) if q in ids), None)
        graph.nodes[nid].group = ids[inner] if inner else None


def fold_top_groups(graph: Graph) -> None:
    """Collapse every top-level group, top to bottom, moving the rest up as the canvas would."""
    tops = [g for g in graph.groups.values() if g.parent is None]
    for g in tops:
        for nid, pos in fold_moves(graph, g.id).items():
            graph.nodes[nid].pos = pos
        g.collapsed = True
