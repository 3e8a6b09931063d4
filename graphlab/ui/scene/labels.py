"""Where the overlay's badges and edge captions go, so that they never cover another card or each other.

Badges and captions are drawn at a fixed size on screen, so the room they take in the scene grows
as the view zooms out; the layout leaves ~44 scene units between columns and ~37 between rows.

* **Badges** (:func:`place_badge`): above the card's top-right corner — in the part of the top edge
  right of input port 0, whose edge comes in from straight above — or above its top-left corner when
  more input ports sit on the right (Add, Concat), or inside the card's title band when ports fill
  the whole edge. A badge never reaches past its own card's sides, and slides down into its own card
  rather than up into the card above when the gap between them is too small. A text too wide for the
  room is shortened (:func:`shorten`): a smaller print, numbers rounded to fewer digits, then cut
  with "…" (the card's tooltip has it whole).
* **Captions** (:func:`place_captions`): each edge's plate (value over gradient, or side by side
  when two lines do not fit) goes beside its own wire — right of it, else left — at the first of a
  few points along its path where it meets no card, no badge and no caption placed before it. Edges
  whose source feeds several (fan-out) try points near their own destination first, where the wires
  have parted; the others the middle of the wire first. A caption that finds no free place is hidden
  until the view zooms in far enough; below :data:`CAPTION_MIN_SCALE` all are hidden.

Everything here is plain geometry in scene coordinates for one zoom ``scale``; the overlay calls
it when captions change, the view zooms or cards move, and the badge layer when it paints.
"""
from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QGuiApplication

from . import style as st

BADGE_PX = 11  # badge and caption text size on screen
BADGE_SMALL_PX = 9  # a badge shrinks to this before its text is shortened
CAPTION_MIN_SCALE = 0.45  # further out, no captions (they would not fit between the rows)
PLATE_PAD = 4.0  # horizontal padding inside a badge or caption plate, in pixels each side
BADGE_SPILL_PX = 150  # a badge longer than its half of the card runs on past the card's edge, this far at most
GAP_PX = 4.0  # distance between a caption and its wire, in pixels
CELL = 200.0  # the grid of placed labels, in scene units

_NUMBER = re.compile(r"[-−]?\d+(?:\.\d+)?(?:e[-−+]?\d+)?")


@lru_cache(maxsize=8)
def pixel_font(px: int, bold: bool = False) -> tuple[QFont, QFontMetricsF]:
    f = QFont(QGuiApplication.font())
    f.setPixelSize(px)
    f.setBold(bold)
    return f, QFontMetricsF(f)


def _round(text: str, digits: int) -> str:
    def one(m: re.Match[str]) -> str:
        raw = m.group(0)
        try:
            v = float(raw.replace("−", "-"))
        except ValueError:
            return raw
        s = f"{v:.{digits}g}".replace("-", "−").replace("e−0", "e−").replace("e+0", "e")
        return s if len(s) < len(raw) else raw

    return _NUMBER.sub(one, text)


@lru_cache(maxsize=4096)
def shorten(text: str, room_px: float) -> tuple[str, int]:
    """(text, pixel size) that fits ``room_px`` pixels with its plate's padding: the text as it is at
    :data:`BADGE_PX`, else at :data:`BADGE_SMALL_PX`, else its numbers with 2 then 1 significant
    digits, else whole words off its end, then letters, marked with "…" ("" when not even that fits)."""
    room = room_px - 2 * PLATE_PAD
    for px in (BADGE_PX, BADGE_SMALL_PX):
        if pixel_font(px)[1].horizontalAdvance(text) <= room:
            return text, px
    m = pixel_font(BADGE_SMALL_PX)[1]
    for digits in (2, 1):
        short = _round(text, digits)
        if m.horizontalAdvance(short) <= room:
            return short, BADGE_SMALL_PX
    words = _round(text, 1).split(" ")
    while len(words) > 1:  # whole words off the end ("0.03 ± 0.4" → "0.03…")
        words.pop()
        while len(words) > 1 and not any(ch.isalnum() for ch in words[-1]):
            words.pop()
        short = " ".join(words) + "…"
        if m.horizontalAdvance(short) <= room:
            return short, BADGE_SMALL_PX
    cut = m.elidedText(words[0], Qt.TextElideMode.ElideRight, room)
    return (cut, BADGE_SMALL_PX) if cut and cut != "…" else ("", BADGE_SMALL_PX)


class RectGrid:
    """Rectangles already taken, filed by grid cell: "does this rectangle meet any of them?"."""

    def __init__(self) -> None:
        self._cells: dict[tuple[int, int], list[QRectF]] = defaultdict(list)

    def _keys(self, r: QRectF) -> Iterable[tuple[int, int]]:
        for cx in range(math.floor(r.left() / CELL), math.floor(r.right() / CELL) + 1):
            for cy in range(math.floor(r.top() / CELL), math.floor(r.bottom() / CELL) + 1):
                yield cx, cy

    def add(self, r: QRectF) -> None:
        for k in self._keys(r):
            self._cells[k].append(r)

    def hits(self, r: QRectF) -> bool:
        cells = self._cells
        return any(o.intersects(r) for k in self._keys(r) if k in cells for o in cells[k])


# ---- badges ---------------------------------------------------------------------------------------------

def badge_span(card: QRectF, ports: Sequence[float]) -> tuple[float, float, bool]:
    """(left, right, inside) in scene x: where a badge may go along the card's top edge. ``ports``: the
    input ports' scene x; ``inside``: the ports fill the edge, so the badge goes inside the title band."""
    cx = card.center().x()
    margin = st.PORT_R + 3
    right_free = not any(x > cx + 1 for x in ports)
    if right_free:
        return cx + margin, card.right(), False
    left_free = not any(x < cx - 1 for x in ports)
    if left_free:
        return card.left(), cx - margin, False
    return cx + margin, card.right(), True


def place_badge(card: QRectF, ports: Sequence[float], text: str, marks: bool, scale: float,
                near: Iterable[QRectF]) -> tuple[QRectF, str, int]:
    """(rectangle in scene units, text as drawn, pixel size) of a node's badge (and its mark) at zoom
    ``scale``; ``near``: the other cards around this one's top (the badge stays clear of them).

    The badge hugs the card's free top corner. One longer than that half of the card runs on past
    the card's edge into the free space beside it (up to :data:`BADGE_SPILL_PX`, never over another
    card), so "∇ 1.9e-03 · 0% dead" stays whole on a top-to-bottom graph; only then is it shortened."""
    near = list(near)
    left, right, inside = badge_span(card, ports)
    inner_left, inner_right = left, right
    h_px = pixel_font(BADGE_PX)[1].height() + 4
    h = h_px / scale
    if not inside:  # the free side may spill past the card's edge
        band_top, band_bottom = card.top() - h - 2 / scale, card.top() + st.PORT_R + 2 + h
        beside = [o for o in near if o.top() < band_bottom and o.bottom() > band_top]
        gap = 4 / scale
        if right >= card.right():
            right = min([card.right() + BADGE_SPILL_PX / scale]
                        + [o.left() - gap for o in beside if o.left() >= card.right() - 1e-6])
            right = max(right, inner_right)
        else:
            left = max([card.left() - BADGE_SPILL_PX / scale]
                       + [o.right() + gap for o in beside if o.right() <= card.left() + 1e-6])
            left = min(left, inner_left)
    mark_px = h_px + 4 if marks else 0.0
    room_px = (right - left) * scale - mark_px
    shown, px = shorten(text, room_px) if text else ("", BADGE_PX)
    w_px = (pixel_font(px)[1].horizontalAdvance(shown) + 2 * PLATE_PAD if shown else 0.0) + mark_px
    if w_px <= 0:
        return QRectF(), "", px
    w = w_px / scale
    if inside:
        return QRectF(inner_right - w, card.top() + st.PORT_R + 2, w, h), shown, px
    if inner_left < card.center().x():  # the left half: hug the left corner, else run on to the left
        x = card.left() if w <= inner_right - card.left() else inner_right - w
    else:  # the right half: hug the right corner, else run on to the right
        x = card.right() - w if w <= card.right() - inner_left else inner_left
    top = card.top() - h - 1 / scale
    for other in near:  # never up into the card above: slide down into this one instead
        if other.left() < x + w and other.right() > x and other.bottom() > top and other.top() < card.top():
            top = max(top, other.bottom() + 1 / scale)
    return QRectF(x, min(top, card.top() + st.PORT_R + 2), w, h), shown, px


# ---- captions -----------------------------------------------------------------------------------------

def caption_sizes(value: str, grad: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """((w, h) stacked, (w, h) side by side) of a caption plate, in pixels."""
    m = pixel_font(BADGE_PX, True)[1]
    lh = m.height() + 2
    wv = m.horizontalAdvance(value) + 2 * PLATE_PAD if value else 0.0
    wg = m.horizontalAdvance(grad) + 2 * PLATE_PAD if grad else 0.0
    n = (1 if value else 0) + (1 if grad else 0)
    stacked = (max(wv, wg), n * lh + (1 if n == 2 else 0))
    row = (wv + wg + (3 if n == 2 else 0), lh)
    return stacked, row


def candidates(points: Sequence[tuple[QPointF, QPointF]], sizes: Sequence[tuple[float, float]],
               scale: float) -> Iterable[tuple[QRectF, int]]:
    """Rectangles (scene units) beside each point of a wire, right of it then left, for each size in
    turn (index of the size with it). ``points``: (point, direction) along the wire."""
    gap = GAP_PX / scale
    for which, (w_px, h_px) in enumerate(sizes):
        w, h = w_px / scale, h_px / scale
        for p, d in points:
            horizontal = abs(d.x()) > abs(d.y())
            if horizontal:  # a wire running sideways (a lane's bend): above it, then below
                yield QRectF(p.x() - w / 2, p.y() - gap - h, w, h), which
                yield QRectF(p.x() - w / 2, p.y() + gap, w, h), which
            else:
                yield QRectF(p.x() + gap, p.y() - h / 2, w, h), which
                yield QRectF(p.x() - gap - w, p.y() - h / 2, w, h), which


FAN_OUT_FRACTIONS = (0.8, 0.65, 0.9, 0.5, 0.35)  # near the wire's own destination first
PLAIN_FRACTIONS = (0.5, 0.35, 0.65, 0.2, 0.8)


def place_captions(entries: Sequence[tuple[object, Sequence[tuple[QPointF, QPointF]], Sequence[tuple[float, float]]]],
                   scale: float, on_card: object, taken: Iterable[QRectF] = ()) -> dict[object, tuple[QRectF, int]]:
    """Place captions in the order given: ``entries`` are (key, points along the wire, plate sizes in
    pixels, preferred first); ``on_card(rect)`` says whether a rectangle meets a card; ``taken``: rectangles
    already used (badges). Returns key -> (rectangle in scene units, size index) for the captions that
    found a free place; the others are left out."""
    grid = RectGrid()
    for r in taken:
        grid.add(r)
    out: dict[object, tuple[QRectF, int]] = {}
    if scale < CAPTION_MIN_SCALE:
        return out
    for key, points, sizes in entries:
        for rect, which in candidates(points, sizes, scale):
            if grid.hits(rect) or on_card(rect):  # type: ignore[operator]
                continue
            grid.add(rect)
            out[key] = (rect, which)
            break
    return out
