"""Automatic layout: left to right by topological layer (networkx), stacked top to bottom."""
from __future__ import annotations

import networkx as nx

from .graph import Graph


def layered_positions(graph: Graph, dx: float = 200.0, dy: float = 110.0) -> dict[str, tuple[float, float]]:
    """Positions for every node; a cyclic graph falls back to file order on one row per 8 nodes."""
    order = list(graph.nodes)
    try:
        layers = [sorted(layer, key=order.index) for layer in nx.topological_generations(graph.nx)]
    except nx.NetworkXUnfeasible:
        layers = [order[i:i + 8] for i in range(0, len(order), 8)]
    pos: dict[str, tuple[float, float]] = {}
    for x, layer in enumerate(layers):
        top = -(len(layer) - 1) * dy / 2
        for y, nid in enumerate(layer):
            pos[nid] = (x * dx, top + y * dy)
    return pos
