"""The Cost dock's content: a sortable table of every node's cost, the totals, one training step.

* the table (objectName ``cost_table``): one row per node — :data:`graphlab.core.cost_table.COLUMNS`
  — sorted by any column (numbers by value); clicking a row selects its node on the canvas, and the
  canvas selection selects its row;
* the totals (``cost_totals``), per sample;
* the training step at the file's batch size with its optimizer (``cost_step``): memory as four
  stacked parts (:class:`MemoryBar`, ``cost_memory``), its FLOPs and the least time they take at this
  machine's measured matmul peak (:func:`graphlab.run.peak.cached_peak`; measured by the first run);
* the bars on the canvas (``cost_bars``: none, FLOPs, memory or parameters) and the export button
  (``cost_export``: CSV or Markdown, by the file's suffix).

The table is rebuilt from the analysis only while the dock is visible (it follows ``analysed``).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...core.cost import si
from ...core.cost_table import COLUMNS, field_text
from ...core.memory import fmt_bytes

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
BAR_MODES = (("none", "no bars"), ("flops", "FLOPs"), ("memory", "memory"), ("params", "parameters"))
#: the four memory parts' colours (weights, gradients, optimizer state, activations)
PART_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2")

Index = QModelIndex | QPersistentModelIndex


class CostModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        col = COLUMNS[index.column()]
        v = self.rows[index.row()][col.key]
        if role == Qt.ItemDataRole.DisplayRole:
            if col.kind == "count":
                return f"{v:,}" if col.key == "params" else si(v)
            if col.kind == "bytes":
                return fmt_bytes(v)
            if col.kind == "field":
                return field_text(v)
            return str(v)
        if role == SORT_ROLE:
            if col.kind == "field":
                return v.size_h * v.size_w if v is not None else -1
            return v
        if role == Qt.ItemDataRole.ToolTipRole and col.kind == "count":
            return f"{v:,}"
        if role == Qt.ItemDataRole.TextAlignmentRole and col.kind in ("count", "bytes"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt override
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMNS[section].help
        return None

    def row_of(self, node: str) -> int:
        for i, r in enumerate(self.rows):
            if r["node"] == node:
                return i
        return -1


class MemoryBar(QWidget):
    """Four stacked parts of a training step's memory, left to right, with their sizes under them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cost_memory")
        self.parts: list[tuple[str, int]] = []
        self.setMinimumHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_parts(self, parts: list[tuple[str, int]]) -> None:
        self.parts = parts
        self.setToolTip("\n".join(f"{name}: {fmt_bytes(v)}" for name, v in parts))
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(240, 22)

    def paintEvent(self, ev: QPaintEvent) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        total = sum(v for _, v in self.parts)
        r = QRectF(self.rect()).adjusted(1, 3, -1, -3)
        p.setPen(self.palette().mid().color())
        p.drawRect(r)
        x = r.left()
        for (name, v), color in zip(self.parts, PART_COLORS):
            if total <= 0 or v <= 0:
                continue
            w = r.width() * v / total
            p.fillRect(QRectF(x, r.top(), w, r.height()), QColor(color))
            x += w
        p.end()


class CostPanel(QWidget):
    #: a row was clicked: the node to select on the canvas
    node_clicked = Signal(str)
    #: the canvas bars' mode changed: "none" | "flops" | "memory" | "params"
    bars_changed = Signal(str)
    export_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtCore import QSortFilterProxyModel

        self.setObjectName("cost_panel")
        self.model = CostModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setObjectName("cost_table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # forward order until a header is clicked
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.clicked.connect(self._clicked)
        self.bars = QComboBox()
        self.bars.setObjectName("cost_bars")
        for key, title in BAR_MODES:
            self.bars.addItem(title, key)
        self.bars.setToolTip("Bars on the canvas's cards: each node's FLOPs, memory (weights and what it keeps "
                             "for backward) or parameters, relative to the largest node")
        self.bars.currentIndexChanged.connect(lambda _i: self.bars_changed.emit(self.bars.currentData()))
        self.export = QPushButton("Export…")
        self.export.setObjectName("cost_export")
        self.export.setToolTip("Save the table as CSV (raw numbers) or Markdown (.md)")
        self.export.clicked.connect(self.export_requested)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(QLabel("Bars on the canvas:"))
        top.addWidget(self.bars)
        top.addStretch(1)
        top.addWidget(self.export)
        self.totals = QLabel()
        self.totals.setObjectName("cost_totals")
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.memory = MemoryBar()
        self.step = QLabel()
        self.step.setObjectName("cost_step")
        self.step.setWordWrap(True)
        self.step.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.totals)
        lay.addWidget(self.memory)
        lay.addWidget(self.step)

    def set_bar_mode(self, mode: str) -> None:
        i = self.bars.findData(mode)
        if i >= 0:
            self.bars.setCurrentIndex(i)

    def _clicked(self, index: QModelIndex) -> None:
        row = self.proxy.mapToSource(index).row()
        if 0 <= row < len(self.model.rows):
            self.node_clicked.emit(self.model.rows[row]["node"])

    def select_node(self, node: str | None) -> None:
        """Select the node's row (the canvas selection changed), without emitting ``node_clicked``."""
        row = self.model.row_of(node) if node else -1
        if row < 0:
            self.table.clearSelection()
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.scrollTo(index)

    def cell(self, node: str, key: str) -> str:
        """What the table shows for ``node`` in column ``key`` (tests, scripts)."""
        col = next(i for i, c in enumerate(COLUMNS) if c.key == key)
        row = self.model.row_of(node)
        return str(self.model.data(self.model.index(row, col))) if row >= 0 else ""

    @staticmethod
    def parts_html(parts: list[tuple[str, int]]) -> str:
        return " + ".join(f"<span style='color:{c}'>■</span> {name} {fmt_bytes(v)}"
                          for (name, v), c in zip(parts, PART_COLORS))
