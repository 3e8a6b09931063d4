"""The title block every view starts with: a bold title (with optional buttons at its right) over a
one-line readout in the palette's dimmed text colour.

    lay, title, readout = title_block("Loss", theme, right=[log_button])
    style_readout(readout, theme)   # again after a palette change
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from .theme import ViewTheme


def style_readout(label: QLabel, theme: ViewTheme) -> None:
    pal = label.palette()
    pal.setColor(label.foregroundRole(), theme.dim)
    label.setPalette(pal)
    label.setFont(theme.font)


def title_block(text: str, theme: ViewTheme, right: Sequence[QWidget] = ()) -> tuple[QVBoxLayout, QLabel, QLabel]:
    title = QLabel(text)
    f = QFont(title.font())
    f.setBold(True)
    title.setFont(f)
    readout = QLabel("")
    readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    readout.setContentsMargins(4, 0, 4, 0)
    style_readout(readout, theme)
    row = QHBoxLayout()
    row.setContentsMargins(4, 0, 4, 0)
    row.addWidget(title, 1)
    for w in right:
        row.addWidget(w)
    lay = QVBoxLayout()
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(0)
    lay.addLayout(row)
    lay.addWidget(readout)
    return lay, title, readout
