"""ImageMosaic: up to 64 small images in a grid, each normalised on its own, with captions.

Feature maps of one probe sample, first-layer filters (RGB or grey), Linear weight rows reshaped as
class templates, misclassified samples. Tiles are normalised and coloured once in numpy (one
vectorised pass over all tiles) into a single RGBA image; painting draws each tile's part of it
scaled into its cell, nearest-neighbour, so pixels stay sharp. Tooltips name the tile and its raw
value range; a click emits ``tile_clicked(index)``. Moving the mouse over a tile emits
``pixel_hovered(tile, row, col)`` (``-1, -1, -1`` on leaving); ``set_box(tile, (top, left, bottom,
right))`` outlines a rectangle of a tile's pixels (a receptive field, the hovered unit).

API::

    m = ImageMosaic()
    m.set_tiles(tiles, captions=None, tooltips=None, *, columns=None, cmap="grey", normalize="tile")
        # tiles: [N, H, W] grey | [N, 3, H, W] or [N, H, W, 3] RGB | [N, 1, H, W] grey |
        #        a list of equal-shaped 2-D / RGB arrays | one 2-D array. N > 64 keeps the first 64.
        # cmap (grey tiles): "grey" | "viridis" | "diverging"
        # normalize: "tile" (each tile min..max → 0..1; RGB over its three channels),
        #            "symmetric" (each tile −max|x|..max|x|, zero in the middle), "none" (clip 0..1)
    m.count, m.tile_shape, m.columns, m.rows, m.truncated
    m.normalized            # float32 [N, H, W] or [N, H, W, 3] in 0..1, what is drawn
    m.tile_rect(i) -> QRectF; m.tile_at(QPointF) -> int (-1 outside); m.tooltip_for(i) -> str
    m.pixel_at(QPointF) -> (tile, row, col) or None; m.set_box(i, (top, left, bottom, right) | None)
    m.clear()
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFontMetricsF, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .theme import fmt, make_lut, make_theme

MAX_TILES = 64
GAP = 3.0


def as_tiles(tiles: Any) -> tuple[np.ndarray, bool]:
    """Tiles as float32 [N, H, W] (grey) or [N, H, W, 3] (RGB), and whether they are RGB."""
    if isinstance(tiles, (list, tuple)):
        arrs = [np.asarray(t, dtype=np.float32) for t in tiles]
        if not arrs:
            return np.zeros((0, 1, 1), np.float32), False
        shapes = {a.shape for a in arrs}
        if len(shapes) != 1:
            raise ValueError(f"tiles must share one shape, got {sorted(shapes)}")
        a = np.stack(arrs)
        if a.ndim == 4 and a.shape[1] == 3 and a.shape[-1] != 3:
            a = np.moveaxis(a, 1, -1)
    else:
        a = np.asarray(tiles, dtype=np.float32)
        if a.ndim == 2:
            a = a[None]
        elif a.ndim == 4:
            if a.shape[1] == 1:
                a = a[:, 0]
            elif a.shape[1] == 3:
                a = np.moveaxis(a, 1, -1)
            elif a.shape[-1] != 3:
                raise ValueError(f"tiles of {a.shape[1]} channels: pass one channel per tile [N, H, W] "
                                 "or RGB [N, 3, H, W]")
    if a.ndim == 3:
        return a, False
    if a.ndim == 4 and a.shape[-1] == 3:
        return a, True
    raise ValueError(f"tiles must be [N, H, W], [N, 3, H, W] or [N, H, W, 3], got shape {a.shape}")


def normalize_tiles(a: np.ndarray, mode: str) -> np.ndarray:
    """Each tile to 0..1 on its own (see the module docstring); NaN/inf become 0.5 (mid grey)."""
    n = a.shape[0]
    if n == 0:
        return a.astype(np.float32)
    flat = a.reshape(n, -1)
    finite = np.isfinite(flat)
    if mode == "none":
        out = np.clip(a, 0.0, 1.0)
    elif mode in ("tile", "symmetric"):
        big = np.where(finite, flat, np.nan)
        with np.errstate(all="ignore"):
            if mode == "tile":
                lo = np.nanmin(big, axis=1) if finite.any() else np.zeros(n)
                hi = np.nanmax(big, axis=1) if finite.any() else np.ones(n)
            else:
                m = np.nanmax(np.abs(big), axis=1) if finite.any() else np.ones(n)
                lo, hi = -m, m
        lo = np.nan_to_num(lo, nan=0.0)
        hi = np.nan_to_num(hi, nan=1.0)
        span = hi - lo
        flat_tile = span <= 0
        span[flat_tile] = 1.0
        shape = (n,) + (1,) * (a.ndim - 1)
        with np.errstate(all="ignore"):
            out = (a - lo.reshape(shape)) / span.reshape(shape)
        out[flat_tile] = 0.5
    else:
        raise ValueError(f"normalize must be 'tile', 'symmetric' or 'none', got {mode!r}")
    out = out.astype(np.float32, copy=False)
    out[~np.isfinite(out)] = 0.5
    return out


class ImageMosaic(QWidget):
    tile_clicked = Signal(int)
    #: the mouse is over pixel (row, col) of tile i; (-1, -1, -1) when it leaves the tiles
    pixel_hovered = Signal(int, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = make_theme(self.palette())
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)
        self.normalized = np.zeros((0, 1, 1), np.float32)
        self.captions: list[str] = []
        self.tooltips: list[str] = []
        self._ranges: list[tuple[float, float]] = []
        self.columns = 1
        self.rows = 0
        self.truncated = 0
        self.cmap = "grey"
        self._image: QImage | None = None
        self._buffer: np.ndarray | None = None
        self.boxes: dict[int, tuple[int, int, int, int]] = {}  # tile -> (top, left, bottom, right), inclusive
        self._hovered = (-1, -1, -1)

    # -- data --------------------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return int(self.normalized.shape[0])

    @property
    def tile_shape(self) -> tuple[int, int]:
        return (int(self.normalized.shape[1]), int(self.normalized.shape[2]))

    def set_tiles(self, tiles: Any, captions: Sequence[str] | None = None, tooltips: Sequence[str] | None = None,
                  *, columns: int | None = None, cmap: str = "grey", normalize: str = "tile") -> None:
        a, rgb = as_tiles(tiles)
        self.truncated = max(0, a.shape[0] - MAX_TILES)
        a = a[:MAX_TILES]
        n = a.shape[0]
        flat = a.reshape(n, -1) if n else a.reshape(0, 0)  # reshape(0, -1) is ambiguous: numpy refuses it
        with np.errstate(all="ignore"):
            fin = np.where(np.isfinite(flat), flat, np.nan)
            self._ranges = [(float(np.nanmin(r)), float(np.nanmax(r))) if np.isfinite(r).any() else (np.nan, np.nan)
                            for r in fin]
        self.normalized = normalize_tiles(a, normalize)
        self.captions = [str(c) for c in (captions or [])][:n]
        self.tooltips = [str(t) for t in (tooltips or [])][:n]
        self.cmap = cmap
        self.columns = max(1, min(n, columns or int(np.ceil(np.sqrt(max(n, 1))))))
        self.rows = int(np.ceil(n / self.columns)) if n else 0
        self._compose(rgb)
        self.updateGeometry()
        self.update()

    def clear(self) -> None:
        self.boxes.clear()
        self.set_tiles(np.zeros((0, 1, 1), np.float32))

    def set_box(self, tile: int, box: tuple[int, int, int, int] | None) -> None:
        """Outline pixels ``top..bottom`` × ``left..right`` (inclusive) of ``tile``; None removes its box."""
        if box is None:
            if self.boxes.pop(tile, None) is not None:
                self.update()
        elif self.boxes.get(tile) != box:
            self.boxes[tile] = box
            self.update()

    def clear_boxes(self) -> None:
        if self.boxes:
            self.boxes.clear()
            self.update()

    def pixel_at(self, pos: QPointF) -> tuple[int, int, int] | None:
        """(tile, row, col) of the tile pixel under ``pos``; None outside the tiles."""
        i = self.tile_at(pos)
        if i < 0:
            return None
        r = self.tile_rect(i)
        h, w = self.tile_shape
        row = min(int((pos.y() - r.top()) * h / r.height()), h - 1)
        col = min(int((pos.x() - r.left()) * w / r.width()), w - 1)
        return i, row, col

    def _compose(self, rgb: bool) -> None:
        """All tiles side by side in one RGBA image (tile i at column i × W)."""
        n = self.count
        if n == 0:
            self._image, self._buffer = None, None
            return
        h, w = self.tile_shape
        if rgb:
            rgba = np.empty((n, h, w, 4), np.uint8)
            rgba[..., :3] = np.round(self.normalized * 255.0).astype(np.uint8)
            rgba[..., 3] = 255
        else:
            lut = make_lut(self.cmap, self.theme)
            idx = np.round(self.normalized * 254.0).astype(np.uint8) + 1
            rgba = lut[idx]
        strip = np.ascontiguousarray(rgba.transpose(1, 0, 2, 3).reshape(h, n * w, 4))
        self._buffer = strip  # QImage shares this memory
        self._image = QImage(strip.data, n * w, h, n * w * 4, QImage.Format.Format_RGBA8888)

    # -- geometry ------------------------------------------------------------------------------------------
    def _caption_h(self) -> float:
        return QFontMetricsF(self.theme.font).height() + 2 if self.captions else 0.0

    def _cell(self) -> tuple[float, float, float]:
        """(scale, x0, y0): the pixel scale of tiles and the grid's top-left corner."""
        h, w = self.tile_shape
        cols, rows = self.columns, max(self.rows, 1)
        cap = self._caption_h()
        sx = (self.width() - GAP * (cols + 1)) / (cols * w)
        sy = (self.height() - GAP * (rows + 1) - cap * rows) / (rows * h)
        s = max(min(sx, sy), 0.01)
        if s >= 2.0:
            s = float(np.floor(s))  # whole screen pixels per image pixel: no uneven blocks
        grid_w = cols * w * s + GAP * (cols + 1)
        grid_h = rows * (h * s + cap) + GAP * (rows + 1)
        return s, (self.width() - grid_w) / 2, (self.height() - grid_h) / 2

    def tile_rect(self, i: int) -> QRectF:
        h, w = self.tile_shape
        s, x0, y0 = self._cell()
        r, c = divmod(i, self.columns)
        cap = self._caption_h()
        return QRectF(x0 + GAP + c * (w * s + GAP), y0 + GAP + r * (h * s + cap + GAP), w * s, h * s)

    def tile_at(self, pos: QPointF) -> int:
        for i in range(self.count):
            if self.tile_rect(i).contains(pos):
                return i
        return -1

    def tooltip_for(self, i: int) -> str:
        if not 0 <= i < self.count:
            return ""
        if i < len(self.tooltips) and self.tooltips[i]:
            return self.tooltips[i]
        lo, hi = self._ranges[i]
        head = self.captions[i] if i < len(self.captions) else f"tile {i}"
        return f"{head}\nmin {fmt(lo)} · max {fmt(hi)}"

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(240, 240)

    # -- painting and events ------------------------------------------------------------------------------
    def paintEvent(self, ev: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.fillRect(self.rect(), self.theme.background)
        if self._image is None:
            p.end()
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        h, w = self.tile_shape
        p.setFont(self.theme.font)
        p.setPen(self.theme.foreground)
        fm = QFontMetricsF(self.theme.font)
        cap = self._caption_h()
        for i in range(self.count):
            r = self.tile_rect(i)
            p.drawImage(r, self._image, QRectF(i * w, 0, w, h))
            if i < len(self.captions) and cap:
                text = fm.elidedText(self.captions[i], Qt.TextElideMode.ElideRight, r.width() + GAP)
                p.drawText(QRectF(r.left() - GAP / 2, r.bottom() + 1, r.width() + GAP, cap),
                           Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, text)
        if self.boxes:
            self._paint_boxes(p)
        p.end()

    def _paint_boxes(self, p: QPainter) -> None:
        h, w = self.tile_shape
        p.setBrush(Qt.BrushStyle.NoBrush)
        for i, (top, left, bottom, right) in self.boxes.items():
            if not 0 <= i < self.count:
                continue
            r = self.tile_rect(i)
            sx, sy = r.width() / w, r.height() / h
            box = QRectF(r.left() + left * sx, r.top() + top * sy, (right - left + 1) * sx, (bottom - top + 1) * sy)
            box = box.intersected(r)
            for color, width in ((self.theme.background, 4.0), (self.theme.highlight, 2.0)):
                p.setPen(QPen(color, width))  # a dark halo under the bright outline: visible on any image
                p.drawRect(box)  # on the box's edge: a one-pixel unit stays visible

    def event(self, ev: QEvent) -> bool:
        if ev.type() == QEvent.Type.ToolTip:
            i = self.tile_at(QPointF(ev.pos()))
            if i >= 0:
                QToolTip.showText(ev.globalPos(), self.tooltip_for(i), self)
            else:
                QToolTip.hideText()
            return True
        if ev.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.theme = make_theme(self.palette())
            if self.count:
                self._compose(self.normalized.ndim == 4)
            self.update()
        return super().event(ev)

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802 - Qt override
        got = self.pixel_at(ev.position()) or (-1, -1, -1)
        if got != self._hovered:
            self._hovered = got
            self.pixel_hovered.emit(*got)
        super().mouseMoveEvent(ev)

    def leaveEvent(self, ev: QEvent) -> None:  # noqa: N802 - Qt override
        if self._hovered != (-1, -1, -1):
            self._hovered = (-1, -1, -1)
            self.pixel_hovered.emit(-1, -1, -1)
        super().leaveEvent(ev)

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802 - Qt override
        i = self.tile_at(ev.position())
        if i >= 0 and ev.button() == Qt.MouseButton.LeftButton:
            self.tile_clicked.emit(i)
        super().mousePressEvent(ev)
