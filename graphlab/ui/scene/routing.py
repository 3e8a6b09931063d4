"""Edge paths: a vertical S-curve from an output port down to an input port, routed around cards.

Data flows top to bottom, so an edge leaves its source straight down and enters its target
straight from above: between a card and the one under it, the edge is a straight vertical line.
An edge that skips rows (a ResNet shortcut, a short Inception branch into its Concat) would pass
over the cards in between; :func:`route` tries, in order, until one clears every obstacle:

1. the plain S-curve;
2. straight down in the source's column, then a bend into the target (a branch that ends early);
3. a bend into the target's column first, then straight down;
4. a lane beside the cards in the way (right of them, or left when that is nearer): out, down the
   lane, and back in (the ResNet identity shortcut beside its main path).

Obstacles are card rectangles in scene coordinates; a path is tested at sample points, which is
cheap and exact enough for rectangles the size of a card. Everything here is plain geometry.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath

LANE_GAP = 20.0  # distance between a lane and the cards it passes
CLEARANCE = 4.0  # a path this close to a card counts as touching it
_SAMPLES = 24


def s_curve(a: QPointF, b: QPointF) -> QPainterPath:
    """The basic edge: leaves ``a`` downwards and enters ``b`` from above (a loop when b is above a)."""
    path = QPainterPath(a)
    dy = b.y() - a.y()
    k = max(24.0, abs(dy) * 0.5) if dy >= 0 else max(60.0, -dy * 0.5)
    path.cubicTo(QPointF(a.x(), a.y() + k), QPointF(b.x(), b.y() - k), b)
    return path


def _down_then_bend(a: QPointF, b: QPointF, bend: float) -> QPainterPath:
    path = QPainterPath(a)
    turn = QPointF(a.x(), b.y() - bend)
    path.lineTo(turn)
    k = bend * 0.5
    path.cubicTo(QPointF(a.x(), turn.y() + k), QPointF(b.x(), b.y() - k), b)
    return path


def _bend_then_down(a: QPointF, b: QPointF, bend: float) -> QPainterPath:
    path = QPainterPath(a)
    turn = QPointF(b.x(), a.y() + bend)
    k = bend * 0.5
    path.cubicTo(QPointF(a.x(), a.y() + k), QPointF(b.x(), turn.y() - k), turn)
    path.lineTo(b)
    return path


def lane_path(a: QPointF, b: QPointF, x: float, bend: float = 40.0) -> QPainterPath:
    """Out of ``a`` into a vertical lane at ``x``, down the lane, and into ``b`` from above."""
    bend = min(bend, max(8.0, (b.y() - a.y()) / 3))
    path = QPainterPath(a)
    top, bottom = QPointF(x, a.y() + bend), QPointF(x, b.y() - bend)
    k = bend * 0.6
    path.cubicTo(QPointF(a.x(), a.y() + k), QPointF(x, top.y() - k), top)
    path.lineTo(bottom)
    path.cubicTo(QPointF(x, bottom.y() + k), QPointF(b.x(), b.y() - k), b)
    return path


def hits(path: QPainterPath, obstacles: Sequence[QRectF]) -> list[QRectF]:
    """The obstacles the path touches (sampled along its length)."""
    if not obstacles:
        return []
    grown = [r.adjusted(-CLEARANCE, -CLEARANCE, CLEARANCE, CLEARANCE) for r in obstacles]
    n = max(_SAMPLES, int(path.length() / 12))
    touched: list[QRectF] = []
    for r, g in zip(obstacles, grown):
        for i in range(1, n):
            if g.contains(path.pointAtPercent(i / n)):
                touched.append(r)
                break
    return touched


def route(a: QPointF, b: QPointF, obstacles: Sequence[QRectF], row: float = 112.0) -> QPainterPath:
    """The first candidate path (see the module docstring) that touches no obstacle."""
    plain = s_curve(a, b)
    if b.y() <= a.y() or not obstacles:
        return plain
    if not hits(plain, obstacles):
        return plain
    dy = b.y() - a.y()
    for bend in (row * 0.75, row * 0.45):
        if bend >= dy:
            continue
        for make in (_down_then_bend, _bend_then_down):
            p = make(a, b, bend)
            if not hits(p, obstacles):
                return p
    # a lane beside what the straight run would cross
    band = QRectF(min(a.x(), b.x()) - 1, a.y(), abs(b.x() - a.x()) + 2, dy)
    blocking = [r for r in obstacles if r.intersects(band)] or list(obstacles)
    right = max(r.right() for r in blocking) + LANE_GAP
    left = min(r.left() for r in blocking) - LANE_GAP
    mid = (a.x() + b.x()) / 2
    candidates = sorted((right, left), key=lambda x: (abs(x - mid), x < mid))
    for x in candidates:
        p = lane_path(a, b, x)
        if not hits(p, obstacles):
            return p
    return lane_path(a, b, candidates[0])
