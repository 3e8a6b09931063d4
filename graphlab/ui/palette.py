"""The layer palette (a tree by category with a search field) and the quick-add popup.

Dragging an entry carries the type name as MIME ``application/x-graphlab-layer``; Enter or a
double-click on an entry asks for the layer at the canvas centre. The quick-add popup (Tab or a
double-click on the canvas) filters the catalogue as you type; Enter adds the highlighted layer.
Category headers and quick-add entries show the category's icon (:mod:`graphlab.ui.icons`).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core import REGISTRY, LayerSpec
from .icons import category_icon
from .scene.view import LAYER_MIME

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


def _matches(spec: LayerSpec, text: str) -> bool:
    t = text.strip().lower()
    return not t or t in spec.type.lower() or t in spec.display.lower() or t in spec.category.lower()


def _tip(spec: LayerSpec) -> str:
    return f"{spec.display} ({spec.type})\n{spec.help}".strip()


class _LayerTree(QTreeWidget):
    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:
        md = QMimeData()
        types = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if types:
            md.setData(LAYER_MIME, types[0].encode("utf-8"))
            md.setText(types[0])
        return md

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]


class PaletteWidget(QWidget):
    layer_activated = Signal(str)  # add this type at the canvas centre

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("palette")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.tree = _LayerTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.search)
        lay.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        for category, specs in REGISTRY.by_category().items():
            top = QTreeWidgetItem(self.tree, [category])
            top.setIcon(0, category_icon(category))
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for spec in specs:
                it = QTreeWidgetItem(top, [spec.display])
                it.setData(0, TYPE_ROLE, spec.type)
                it.setToolTip(0, _tip(spec))
                it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                self.items[spec.type] = it
        self.tree.expandAll()
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._activate_first)
        self.tree.itemActivated.connect(self._activated)

    def filter(self, text: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            visible = 0
            for j in range(top.childCount()):
                child = top.child(j)
                ok = _matches(REGISTRY.get(child.data(0, TYPE_ROLE)), text)
                child.setHidden(not ok)
                visible += ok
            top.setHidden(visible == 0)

    def visible_types(self) -> list[str]:
        return [t for t, it in self.items.items() if not it.isHidden() and not it.parent().isHidden()]

    def _activate_first(self) -> None:
        types = self.visible_types()
        if types:
            self.layer_activated.emit(types[0])

    def _activated(self, item: QTreeWidgetItem, column: int) -> None:
        t = item.data(0, TYPE_ROLE)
        if t:
            self.layer_activated.emit(t)


class QuickAddPopup(QFrame):
    """A small popup: a filter field over a list of layer types. Enter adds, Escape closes."""

    chosen = Signal(str, QPointF)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Add layer: type to filter, Enter to add")
        self.list = QListWidget(self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.edit)
        lay.addWidget(self.list)
        self.resize(280, 300)
        self.scene_pos = QPointF()
        self.edit.textChanged.connect(self._refill)
        self.edit.installEventFilter(self)
        self.list.itemActivated.connect(lambda it: self._choose(it.data(TYPE_ROLE)))

    def open_at(self, global_pos: Any, scene_pos: QPointF) -> None:
        self.scene_pos = scene_pos
        self.edit.clear()
        self._refill("")
        self.move(global_pos)
        self.show()
        self.edit.setFocus()

    def _refill(self, text: str) -> None:
        self.list.clear()
        specs = [s for group in REGISTRY.by_category().values() for s in group if _matches(s, text)]
        t = text.strip().lower()
        specs.sort(key=lambda s: (not s.type.lower().startswith(t), not s.display.lower().startswith(t)))
        for s in specs:
            it = QListWidgetItem(f"{s.display}   · {s.category}" if s.display == s.type
                                 else f"{s.display} ({s.type})   · {s.category}")
            it.setData(TYPE_ROLE, s.type)
            it.setToolTip(_tip(s))
            it.setIcon(category_icon(s.category))
            self.list.addItem(it)
        if self.list.count():
            self.list.setCurrentRow(0)

    def eventFilter(self, obj: Any, event: Any) -> bool:
        if obj is self.edit and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.list.setCurrentRow(max(0, min(self.list.count() - 1, row)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                it = self.list.currentItem()
                if it is not None:
                    self._choose(it.data(TYPE_ROLE))
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(obj, event)

    def _choose(self, type_name: str) -> None:
        self.hide()
        self.chosen.emit(type_name, self.scene_pos)
