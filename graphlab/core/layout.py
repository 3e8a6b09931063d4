"""Automatic layout: left to right by topological layer (networkx), each node at the height of its inputs.

Columns are networkx's topological generations. Within a column, each node wants the mean height
of the nodes feeding it (one barycentre pass of the Sugiyama method), so a chain stays on one row and
parallel branches keep their own rows instead of being re-stacked around the centre; nodes are then
pushed apart to at least ``dy`` and the column is shifted back so it stays where its inputs are.
"""
from __future__ import annotations

import networkx as nx

from .graph import Graph


def layered_positions(graph: Graph, dx: float = 200.0, dy: float = 110.0) -> dict[str, tuple[float, float]]:
    """Positions for every node; a cyclic graph falls back to file order on one row per 8 nodes."""
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    try:
        layers = [sorted(layer, key=order.__getitem__) for layer in nx.topological_generations(graph.nx)]
    except nx.NetworkXUnfeasible:
        ids = list(graph.nodes)
        return {nid: ((i % 8) * dx, (i // 8) * dy) for i, nid in enumerate(ids)}
    y: dict[str, float] = {}
    pos: dict[str, tuple[float, float]] = {}
    for x, layer in enumerate(layers):
        centred = {nid: (i - (len(layer) - 1) / 2) * dy for i, nid in enumerate(layer)}
        want = {}
        for nid in layer:
            preds = [y[p] for p in graph.nx.predecessors(nid) if p in y]
            want[nid] = sum(preds) / len(preds) if preds else centred[nid]
        placed = sorted(layer, key=lambda n: (want[n], order[n]))
        got: list[float] = []
        for nid in placed:
            got.append(want[nid] if not got else max(want[nid], got[-1] + dy))
        shift = sum(want[n] - g for n, g in zip(placed, got)) / len(placed)
        for nid, g in zip(placed, got):
            y[nid] = g + shift
            pos[nid] = (x * dx, y[nid])
    top = min((p[1] for p in pos.values()), default=0.0)
    return {nid: (px, round(py - top, 1)) for nid, (px, py) in pos.items()}
