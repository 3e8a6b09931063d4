"""resources/: the application icon and one icon per layer category (issue 7 B8)."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from graphlab.assets import resources_dir
from graphlab.core import REGISTRY
from graphlab.core.registry import CATEGORY_ORDER
from graphlab.ui.icons import app_icon, category_icon, category_icon_path


def _luminance(c: QColor) -> float:
    def lin(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF())


def _render(path, px: int) -> QImage:
    img = QImage(px, px, QImage.Format.Format_ARGB32)
    img.fill(0)
    p = QPainter(img)
    QSvgRenderer(str(path)).render(p)
    p.end()
    return img


def test_every_category_of_the_catalogue_has_an_icon(qapp):
    assert set(REGISTRY.by_category()) <= set(CATEGORY_ORDER)
    for category in CATEGORY_ORDER:
        path = category_icon_path(category)
        assert path is not None, f"no icon for {category}"
        assert QSvgRenderer(str(path)).isValid(), path
        assert not category_icon(category).isNull()
    assert category_icon("NoSuchCategory").isNull() and category_icon(None).isNull()
    assert not app_icon().isNull()
    assert QSvgRenderer(str(resources_dir() / "graphlab.svg")).isValid()


@pytest.mark.parametrize("category", CATEGORY_ORDER)
def test_icons_are_legible_small_on_light_and_dark(category, qapp):
    path = category_icon_path(category)
    text = path.read_text()
    fill = QColor(re.search(r'<rect[^>]*fill="(#[0-9a-fA-F]{6})"', text).group(1))
    contrast = 1.05 / (_luminance(fill) + 0.05)
    assert contrast >= 4.5, f"{category}: white on {fill.name()} is {contrast:.2f}:1"
    for px in (16, 24):
        img = _render(path, px)
        colours = {img.pixel(x, y) for x in range(px) for y in range(px)}
        white = sum(1 for x in range(px) for y in range(px) if QColor(img.pixel(x, y)).lightness() > 200)
        assert len(colours) > 4 and white >= px // 2, f"{category} at {px}px has no visible glyph"
        # the badge covers the middle, so the icon does not depend on the theme's background
        assert QColor.fromRgba(img.pixel(px // 2, 2)).alpha() == 255


def test_category_icons_differ_from_each_other(qapp):
    renders = {c: _render(category_icon_path(c), 24) for c in CATEGORY_ORDER}
    seen: dict[bytes, str] = {}
    for c, img in renders.items():
        key = bytes(img.constBits())
        assert key not in seen, f"{c} looks exactly like {seen.get(key)}"
        seen[key] = c


def test_the_window_and_the_palette_use_them(make_window):
    w = make_window()
    assert not w.windowIcon().isNull()
    tree = w.layer_palette.tree
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        assert not top.icon(0).isNull(), top.text(0)
        size = top.icon(0).actualSize(QSize(16, 16))
        assert size.width() == 16
    w.quick.open_at(w.mapToGlobal(w.rect().center()), w.view.mapToScene(0, 0))
    assert not w.quick.list.item(0).icon().isNull()
    w.quick.hide()
