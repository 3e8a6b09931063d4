"""Automatic layout: top to bottom by layer, like Netron and MATLAB's Deep Network Designer.

Why top to bottom: a deep network is a long chain with short side branches. Cards are wider than
tall, so a chain stacked vertically costs about half the space of the same chain in a row, a
window's canvas (between the docks) is roughly square, and branches (Inception) spread sideways,
where the room is. A single row (the old layout) put ResNet-18's 71 nodes 14,000 px wide.

Positions are card top-left corners; every card has the same width, so nodes in one column line up
by their centres and a chain's edges run straight down.

1. **Rows**: a node's row is the length of the longest path to it from a source (its topological
   generation), so every edge points down. A source (an Input, or a constant like the gates
   example's ``z``) sits just above its first consumer instead of at the very top.
2. **Columns**: nodes are placed row by row. A node with one input goes under that input; a fork
   places its children: when one child starts a strictly longer path than its siblings (ResNet's
   main path beside its shortcut) it stays in the parent's column and the others go to the right
   of it; when several tie (Inception's branches) they spread symmetrically under the parent in
   file order. A merge (Add, Concat) goes under the input that arrives last (the main path, not
   the shortcut); when several arrive in the same row, it centres under them.
3. **Overlaps**: within a row the node on the longest path keeps its place and the others are
   pushed apart to at least one column pitch, away from it.

Edges that skip rows are routed around the cards in between by the canvas (not by the layout).
Pure Python, O((nodes + edges) log nodes): 10,000 nodes lay out in a fraction of a second.
"""
from __future__ import annotations

import heapq
from collections import defaultdict

from .graph import Graph

#: column pitch: the card width (184) plus a gap wide enough for an edge routed between columns
COLUMN = 228.0
#: row pitch: the tallest common card (four lines, 83) plus a gap for the edges' bends
ROW = 112.0


def _topological(graph: Graph) -> tuple[list[str], dict[str, list[str]], dict[str, list[str]]] | None:
    """File-order-stable topological order, with predecessor and successor lists (or None: a cycle)."""
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for e in graph.edges:
        if e.src in order and e.dst in order and (e.src, e.dst) not in seen:
            seen.add((e.src, e.dst))
            preds[e.dst].append(e.src)
            succs[e.src].append(e.dst)
    indeg = {nid: len(preds[nid]) for nid in order}
    heap = [(order[n], n) for n, d in indeg.items() if d == 0]
    heapq.heapify(heap)
    topo: list[str] = []
    while heap:
        _, n = heapq.heappop(heap)
        topo.append(n)
        for c in succs[n]:
            indeg[c] -= 1
            if indeg[c] == 0:
                heapq.heappush(heap, (order[c], c))
    if len(topo) != len(order):
        return None
    for lst in succs.values():
        lst.sort(key=order.__getitem__)
    return topo, preds, succs


def _rows(topo: list[str], preds: dict[str, list[str]], succs: dict[str, list[str]]) -> dict[str, int]:
    row: dict[str, int] = {}
    for n in topo:
        row[n] = max((row[p] + 1 for p in preds[n]), default=0)
    for n in topo:  # sources sit just above their first consumer
        if not preds[n] and succs[n]:
            row[n] = max(0, min(row[c] for c in succs[n]) - 1)
    return row


def _child_offsets(topo: list[str], succs: dict[str, list[str]]) -> tuple[dict[tuple[str, str], float],
                                                                           dict[str, int]]:
    """Each (parent, child): the child's column offset from the parent, in columns; and path heights."""
    height: dict[str, int] = {}
    for n in reversed(topo):
        height[n] = max((height[c] + 1 for c in succs[n]), default=0)
    offset: dict[tuple[str, str], float] = {}
    for p in topo:
        kids = succs[p]
        if len(kids) == 1:
            offset[(p, kids[0])] = 0.0
            continue
        best = max((height[c] for c in kids), default=0)
        tall = [c for c in kids if height[c] == best]
        if len(tall) == 1:  # a main path and side branches: the main path goes straight on
            offset[(p, tall[0])] = 0.0
            k = 0
            for c in kids:
                if c != tall[0]:
                    k += 1
                    offset[(p, c)] = float(k)
        else:  # parallel branches of equal depth: spread evenly under the parent
            for i, c in enumerate(kids):
                offset[(p, c)] = i - (len(kids) - 1) / 2
    return offset, height


def layered_positions(graph: Graph, dx: float = COLUMN, dy: float = ROW) -> dict[str, tuple[float, float]]:
    """Top-left positions for every node; a cyclic graph falls back to file order, 8 per row."""
    ids = list(graph.nodes)
    topo_info = _topological(graph)
    if topo_info is None:
        return {nid: ((i % 8) * dx, (i // 8) * dy) for i, nid in enumerate(ids)}
    topo, preds, succs = topo_info
    order = {nid: i for i, nid in enumerate(ids)}
    row = _rows(topo, preds, succs)
    offset, height = _child_offsets(topo, succs)
    by_row: dict[int, list[str]] = defaultdict(list)
    for n in topo:
        by_row[row[n]].append(n)
    x: dict[str, float] = {}
    for r in sorted(by_row):
        nodes = by_row[r]
        want: dict[str, float] = {}
        loose: list[str] = []
        for n in nodes:
            ps = [p for p in preds[n] if p in x]
            if not ps:
                loose.append(n)
                continue
            last = max(row[p] for p in ps)
            slots = [x[p] + offset[(p, n)] * dx for p in ps if row[p] == last]
            want[n] = sum(slots) / len(slots)
        if loose:  # sources: to the right of everything else in the row, in file order
            right = max(want.values(), default=-dx)
            for n in sorted(loose, key=order.__getitem__):
                right += dx
                want[n] = right
        ranked = sorted(nodes, key=lambda n: (want[n], order[n]))
        anchor = max(range(len(ranked)), key=lambda i: (height[ranked[i]], -order[ranked[i]]))
        xs = [want[n] for n in ranked]
        for i in range(anchor + 1, len(ranked)):
            xs[i] = max(xs[i], xs[i - 1] + dx)
        for i in range(anchor - 1, -1, -1):
            xs[i] = min(xs[i], xs[i + 1] - dx)
        for n, v in zip(ranked, xs):
            x[n] = v
    left = min(x.values(), default=0.0)
    return {n: (round(x[n] - left, 1), round(row[n] * dy, 1)) for n in ids}


def stacked_nodes(graph: Graph) -> list[str]:
    """Nodes that share their exact position with another node (e.g. a file written without ``pos``).
    Members of a collapsed group are left out: folding moved the nodes below onto their rows on purpose
    (:mod:`graphlab.core.groups`), and they are not shown."""
    from .groups import folded_in

    where: dict[tuple[float, float], list[str]] = defaultdict(list)
    for nid, node in graph.nodes.items():
        if graph.groups and folded_in(graph, nid) is not None:
            continue
        where[node.pos].append(nid)
    return [n for group in where.values() if len(group) > 1 for n in group]


def spread_stacked(graph: Graph, dx: float = COLUMN, dy: float = ROW) -> list[str]:
    """Give stacked nodes (see :func:`stacked_nodes`) laid-out positions; returns the ids moved.

    Meant for a graph nobody observes yet (right after loading): it assigns ``node.pos`` directly,
    without events or a revision bump. When every node is stacked (a file without positions), the
    whole graph gets :func:`layered_positions`; otherwise the stacked ones take their laid-out
    positions shifted to the right of the nodes that had positions, so no one's placement changes.
    """
    stacked = stacked_nodes(graph)
    if not stacked:
        return []
    pos = layered_positions(graph, dx, dy)
    moved = set(stacked)
    shift_x, shift_y = 0.0, 0.0
    if len(moved) < len(graph.nodes):
        kept = [graph.nodes[n].pos for n in graph.nodes if n not in moved]
        shift_x = max(p[0] for p in kept) + 2 * dx - min(pos[n][0] for n in moved)
        shift_y = min(p[1] for p in kept) - min(pos[n][1] for n in moved)
    for n in stacked:
        px, py = pos[n]
        graph.nodes[n].pos = (px + shift_x, py + shift_y)
    return stacked
