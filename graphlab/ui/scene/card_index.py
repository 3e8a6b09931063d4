"""Where the cards are: a grid hash of card positions for "which cards lie in this rectangle?".

Edge routing asks it for the cards an edge might cross, and the overlay for the decorated cards in
a repaint's rectangle. Qt's own BSP index answers too, but it splits the scene into cells
alternately across and down whatever the scene's shape, so in a tall, narrow graph (a deep network
laid out top to bottom) each cell holds hundreds of items and each query calls back into Python for
every one of them. Here a card is filed under the cell of its top-left corner (cards are at most
:data:`MAX_W` × :data:`MAX_H`, so a query widens its rectangle by that much up and left): moving a
card is O(1), a query touches only the cells it covers.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF

if TYPE_CHECKING:
    from .node_item import NodeItem

CELL = 256.0
MAX_W, MAX_H = 200.0, 160.0  # larger than any card


class CardIndex:
    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], set[NodeItem]] = defaultdict(set)
        self._where: dict[NodeItem, tuple[int, int]] = {}

    def clear(self) -> None:
        self._cells.clear()
        self._where.clear()

    def put(self, item: NodeItem) -> None:
        p = item.pos()
        key = (math.floor(p.x() / CELL), math.floor(p.y() / CELL))
        old = self._where.get(item)
        if old == key:
            return
        if old is not None:
            self._cells[old].discard(item)
        self._cells[key].add(item)
        self._where[item] = key

    def remove(self, item: NodeItem) -> None:
        old = self._where.pop(item, None)
        if old is not None:
            self._cells[old].discard(item)

    def near(self, rect: QRectF) -> list[NodeItem]:
        """Cards whose rectangles meet ``rect``."""
        left, t, r, b = rect.left(), rect.top(), rect.right(), rect.bottom()
        x0, x1 = math.floor((left - MAX_W) / CELL), math.floor(r / CELL)
        y0, y1 = math.floor((t - MAX_H) / CELL), math.floor(b / CELL)
        found: list[NodeItem] = []
        cells = self._cells
        if (x1 - x0 + 1) * (y1 - y0 + 1) > 4 * len(self._where) + 16:  # a huge rectangle: scan the cards
            candidates = [self._where.keys()]
        else:
            candidates = [cells[(cx, cy)] for cx in range(x0, x1 + 1) for cy in range(y0, y1 + 1)
                          if (cx, cy) in cells]
        for group in candidates:
            for item in group:
                p = item.pos()
                x, y = p.x(), p.y()
                if x <= r and y <= b and x + item.width >= left and y + item.height >= t:
                    found.append(item)
        return found
