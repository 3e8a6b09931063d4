"""The application icon and one icon per layer category, from ``resources/`` (see graphlab.assets).

``resources/graphlab.svg`` is the application icon; ``resources/categories/<category>.svg`` (lower
case, one per entry of ``graphlab.core.registry.CATEGORY_ORDER``) badges a layer category: a white
glyph on a rounded square in the category's hue, dark enough for white to read at 4.5:1, so the
same file reads on light and dark themes at 16–24 px. SVGs are drawn by Qt's svg icon engine.

``category_icon`` of an unknown category (or a missing file) is a null QIcon: callers need no checks.
Icons are cached per process.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

from ..assets import resources_dir

APP_ICON = "graphlab.svg"
CATEGORY_FOLDER = "categories"


def resource_path(*parts: str) -> Path | None:
    root = resources_dir()
    if root is None:
        return None
    path = root.joinpath(*parts)
    return path if path.is_file() else None


def category_icon_path(category: str | None) -> Path | None:
    if not category:
        return None
    return resource_path(CATEGORY_FOLDER, f"{category.lower()}.svg")


@cache
def app_icon() -> QIcon:
    path = resource_path(APP_ICON)
    return QIcon(str(path)) if path is not None else QIcon()


@cache
def _category_icon(category: str) -> QIcon:
    path = category_icon_path(category)
    return QIcon(str(path)) if path is not None else QIcon()


def category_icon(category: str | None) -> QIcon:
    """The icon of a layer category ("Convolution", "Loss", …); a null QIcon when there is none."""
    return _category_icon(category) if category else QIcon()
