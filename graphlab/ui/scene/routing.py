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

An edge that runs upwards (only a hand-placed graph has one) leaves its source downwards, climbs
a lane right of both cards and enters its target from above: straight segments, so a long one is
cheap to draw, and each part is drawn only where it is on screen.

Obstacles are card rectangles in scene coordinates. Candidate paths are plain segment lists
(lines and cubics as float tuples); a line is tested against a card exactly, a cubic at sample
points about every :data:`STEP` units but never more than :data:`MAX_SAMPLES` per segment,
whatever its length (a node a million units away costs what a near one does) — cheap, and exact
enough for rectangles the size of a card; only the chosen one becomes a QPainterPath.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainterPath

LANE_GAP = 20.0  # distance between a lane and the cards it passes
CLEARANCE = 4.0  # a path this close to a card counts as touching it
STEP = 10.0  # sample spacing along a path, in scene units
MAX_SAMPLES = 256  # per segment, whatever its length

Pt = tuple[float, float]
Seg = tuple[Pt, ...]  # (p0, p1): a line; (p0, c1, c2, p1): a cubic
Box = tuple[float, float, float, float]  # left, top, right, bottom


def _cubic(a: Pt, b: Pt, k_a: float, k_b: float) -> Seg:
    """A cubic leaving ``a`` downwards (by k_a) and arriving at ``b`` from above (by k_b)."""
    return (a, (a[0], a[1] + k_a), (b[0], b[1] - k_b), b)


def s_curve_segments(a: Pt, b: Pt) -> list[Seg]:
    dy = b[1] - a[1]
    k = max(24.0, abs(dy) * 0.5) if dy >= 0 else max(60.0, -dy * 0.5)
    return [_cubic(a, b, k, k)]


def down_then_bend(a: Pt, b: Pt, bend: float) -> list[Seg]:
    turn = (a[0], b[1] - bend)
    return [(a, turn), _cubic(turn, b, bend * 0.5, bend * 0.5)]


def bend_then_down(a: Pt, b: Pt, bend: float) -> list[Seg]:
    turn = (b[0], a[1] + bend)
    return [_cubic(a, turn, bend * 0.5, bend * 0.5), (turn, b)]


def lane(a: Pt, b: Pt, x: float, bend: float) -> list[Seg]:
    """Out of ``a`` into a vertical lane at ``x``, down the lane, and into ``b`` from above."""
    top, bottom = (x, a[1] + bend), (x, b[1] - bend)
    k = bend * 0.6
    return [_cubic(a, top, k, k), (top, bottom), _cubic(bottom, b, k, k)]


def _length(seg: Seg) -> float:
    """At least the segment's length (for a cubic, its control polygon's, in the L1 norm)."""
    return sum(abs(q[0] - p[0]) + abs(q[1] - p[1]) for p, q in zip(seg, seg[1:]))


def samples(segments: Sequence[Seg]) -> list[Pt]:
    """Points along the path, about every :data:`STEP` units (ends excluded)."""
    out: list[Pt] = []
    for seg in segments:
        n = min(MAX_SAMPLES, max(4, int(_length(seg) / STEP)))
        if len(seg) == 2:
            (x0, y0), (x1, y1) = seg
            out += [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(n + 1)]
        else:
            (x0, y0), (x1, y1), (x2, y2), (x3, y3) = seg
            for i in range(n + 1):
                t = i / n
                u = 1 - t
                a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
                out.append((a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3))
    return out[1:-1]


def hits(segments: Sequence[Seg], obstacles: Sequence[Box]) -> list[Box]:
    """The obstacles the path touches."""
    if not obstacles:
        return []
    pts = samples([seg for seg in segments if len(seg) != 2])
    lines = [seg for seg in segments if len(seg) == 2]
    touched = []
    for box in obstacles:
        x0, y0, x1, y1 = box[0] - CLEARANCE, box[1] - CLEARANCE, box[2] + CLEARANCE, box[3] + CLEARANCE
        if (any(x0 <= x <= x1 and y0 <= y <= y1 for x, y in pts)
                or any(_line_meets(seg, (x0, y0, x1, y1)) for seg in lines)):
            touched.append(box)
    return touched


def _line_meets(seg: Seg, box: Box) -> bool:
    """Whether a line segment meets a box (Liang–Barsky clipping: exact, whatever its length)."""
    (ax, ay), (bx, by) = seg
    t0, t1 = 0.0, 1.0
    for p, q in ((-(bx - ax), ax - box[0]), (bx - ax, box[2] - ax), (-(by - ay), ay - box[1]), (by - ay, box[3] - ay)):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return False
    return True


def back_edge(a: Pt, b: Pt, x: float, bend: float = 30.0) -> list[Seg]:
    """Up from ``a`` to ``b`` (which is above it) by a lane at ``x``: out of a's bottom, up the lane,
    over and into b's top."""
    low, high = (x, a[1] + bend), (x, b[1] - bend)
    k = bend * 0.8
    return [_cubic(a, low, k, -k),  # down out of a, turning to climb the lane
            (low, high),
            (high, (x, high[1] - k), (b[0], b[1] - k), b)]  # over the top, down into b


def route_segments(a: Pt, b: Pt, obstacles: Sequence[Box], row: float = 112.0,
                   back_lane: float | None = None) -> list[Seg]:
    """The first candidate path (see the module docstring) that touches no obstacle."""
    if b[1] < a[1] and back_lane is not None:
        return back_edge(a, b, back_lane)
    plain = s_curve_segments(a, b)
    if b[1] <= a[1] or not obstacles or not hits(plain, obstacles):
        return plain
    dy = b[1] - a[1]
    lo, hi = min(a[0], b[0]), max(a[0], b[0])
    walled = any(o[0] < lo and o[2] > hi and o[1] > a[1] and o[3] < b[1] for o in obstacles)
    for bend in () if walled else (row * 0.75, row * 0.45):  # a card across the whole run: only a lane
        if bend >= dy:
            continue
        for make in (down_then_bend, bend_then_down):
            p = make(a, b, bend)
            if not hits(p, obstacles):
                return p
    blocking = [o for o in obstacles if o[0] <= hi + 1 and o[2] >= lo - 1] or list(obstacles)
    right = max(o[2] for o in blocking) + LANE_GAP
    left = min(o[0] for o in blocking) - LANE_GAP
    mid = (a[0] + b[0]) / 2
    sides = sorted((right, left), key=lambda x: (abs(x - mid), x < mid))
    for x in sides:
        for bend in (40.0, 24.0, 14.0):
            bend = min(bend, dy / 3)
            p = lane(a, b, x, bend)
            if not hits(p, obstacles):
                return p
    return lane(a, b, sides[0], min(24.0, dy / 3))


def _at(seg: Seg, t: float) -> tuple[Pt, Pt]:
    """Point and direction of a segment at parameter t."""
    if len(seg) == 2:
        (x0, y0), (x1, y1) = seg
        return (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t), (x1 - x0, y1 - y0)
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = seg
    u = 1 - t
    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    pt = (a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3)
    da, db, dc = 3 * u * u, 6 * u * t, 3 * t * t
    return pt, (da * (x1 - x0) + db * (x2 - x1) + dc * (x3 - x2), da * (y1 - y0) + db * (y2 - y1) + dc * (y3 - y2))


def middle(segments: Sequence[Seg]) -> tuple[Pt, float, float]:
    """The path's middle (by approximate length), the direction there in degrees (Qt's convention:
    0 = right, 90 = up) and the approximate length."""
    import math

    lengths = [_length(seg) for seg in segments]
    total = sum(lengths)
    half = total / 2
    for seg, n in zip(segments, lengths):
        if half <= n or seg is segments[-1]:
            pt, (dx, dy) = _at(seg, half / n if n else 0.5)
            return pt, math.degrees(math.atan2(-dy, dx)) % 360, total
        half -= n
    raise AssertionError("unreachable")


def point_at(segments: Sequence[Seg], fraction: float) -> tuple[Pt, Pt]:
    """The point at ``fraction`` of the path's (approximate) length, and the direction there."""
    lengths = [_length(seg) for seg in segments]
    left = sum(lengths) * min(1.0, max(0.0, fraction))
    for seg, n in zip(segments, lengths):
        if left <= n or seg is segments[-1]:
            return _at(seg, left / n if n else 0.5)
        left -= n
    raise AssertionError("unreachable")


def to_path(segments: Sequence[Seg]) -> QPainterPath:
    path = QPainterPath(QPointF(*segments[0][0]))
    for seg in segments:
        if len(seg) == 2:
            path.lineTo(QPointF(*seg[1]))
        else:
            path.cubicTo(QPointF(*seg[1]), QPointF(*seg[2]), QPointF(*seg[3]))
    return path


def s_curve(a: QPointF, b: QPointF) -> QPainterPath:
    """The basic edge: leaves ``a`` downwards and enters ``b`` from above (a loop when b is above a)."""
    return to_path(s_curve_segments((a.x(), a.y()), (b.x(), b.y())))


def route(a: QPointF, b: QPointF, obstacles: Sequence[QRectF], row: float = 112.0,
          back_lane: float | None = None) -> QPainterPath:
    boxes = [(r.left(), r.top(), r.right(), r.bottom()) for r in obstacles]
    return to_path(route_segments((a.x(), a.y()), (b.x(), b.y()), boxes, row, back_lane))
