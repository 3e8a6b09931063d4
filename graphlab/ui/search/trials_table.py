"""The trials table: one row per trial — number, state, value, the searched values, epochs, duration.

:class:`TrialsModel` holds the trials, sorts them itself (a header click sorts a Python list: no proxy
calling ``data()`` thousands of times) and shows only the trials the parallel coordinates' brushes let
through (``set_filter``). A row's text is made when the row is first shown and kept while its trial is
unchanged. The best trial is bold on the highlight colour; pruned, failed and stopped trials are dimmed. ``TrialsTable`` is the view: a
sortable QTableView whose selection is a trial number (``trial_selected``), double-click opens the trial.
"""
from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPalette
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView, QWidget

from ..numbers import fmt

#: sort role: a number (or text) that orders the column
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
NUMBER_ROLE = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex


def short_key(key: str, width: int = 18) -> str:
    """A column title: the key without ``training.``, its end when it is long."""
    name = key[len("training."):] if key.startswith("training.") else key
    return name if len(name) <= width else "…" + name[-(width - 1):]


def value_text(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return fmt(v)
    return str(v)


def duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}:{s:02d}"


def state_text(r: Any) -> str:
    return "STOPPED" if r.stopped else r.state


def _sort_value(v: Any) -> tuple[int, Any]:
    """Numbers before text, missing values last (in either order they sort after the rest)."""
    if v is None:
        return (2, 0)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, float(v)) if math.isfinite(v) else (2, 0)
    return (1, str(v))


_ROLES = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.FontRole, Qt.ItemDataRole.BackgroundRole,
                    Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole,
                    SORT_ROLE, NUMBER_ROLE})
_ALIGN_LEFT = int(Qt.AlignmentFlag.AlignLeft) | int(Qt.AlignmentFlag.AlignVCenter)
_ALIGN_RIGHT = int(Qt.AlignmentFlag.AlignRight) | int(Qt.AlignmentFlag.AlignVCenter)


class TrialsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.keys: list[str] = []
        self.metric = "value"
        self.headers: list[str] = []
        self.rows: list[Any] = []  # every trial
        self.shown: list[int] = []  # indexes into rows: filtered and sorted
        self.best: int | None = None
        self.allowed: set[int] | None = None
        self.sort_column, self.sort_order = 0, Qt.SortOrder.AscendingOrder
        #: trial number -> (what its line depends on, its texts): a trial read again unchanged costs nothing
        self._made: dict[int, tuple[Any, list[str]]] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    # -- filling -----------------------------------------------------------------------------------
    def set_rows(self, rows: list[Any], keys: list[str], metric: str, best: int | None) -> None:
        self.beginResetModel()
        if list(keys) != self.keys or metric != self.metric:
            self._made.clear()
        self.keys, self.metric, self.best = list(keys), metric, best
        self.headers = ["#", "state", metric, *(short_key(k) for k in self.keys), "epochs", "duration"]
        self.rows = list(rows)
        self._arrange()
        self.endResetModel()

    def cell(self, r: Any, c: int) -> Any:
        """The value a column holds for a trial (what it sorts by)."""
        k = len(self.keys)
        if c == 0:
            return r.number
        if c == 1:
            return state_text(r)
        if c == 2:
            return r.value
        if c < 3 + k:
            return r.params.get(self.keys[c - 3])
        return r.epochs if c == 3 + k else r.seconds

    def texts(self, i: int) -> list[str]:
        """The row's texts, made when the row is first shown (and kept while the trial is unchanged)."""
        r = self.rows[i]
        key = (r.state, r.stopped, r.value, r.epochs, r.seconds)
        made = self._made.get(r.number)
        if made is not None and made[0] == key:
            return made[1]
        texts = [str(r.number), state_text(r), value_text(r.value), *(value_text(r.params.get(k)) for k in self.keys),
                 value_text(r.epochs), duration(r.seconds)]
        self._made[r.number] = (key, texts)
        return texts

    def forget(self) -> None:
        """Another study: no line is reused."""
        self._made.clear()

    def set_filter(self, allowed: set[int] | None) -> None:
        """Show only these trial numbers (None: every trial)."""
        self.beginResetModel()
        self.allowed = None if allowed is None else set(allowed)
        self._arrange()
        self.endResetModel()

    def _arrange(self) -> None:
        idx = [i for i, r in enumerate(self.rows) if self.allowed is None or r.number in self.allowed]
        col = self.sort_column if 0 <= self.sort_column < len(self.headers) else 0
        rev = self.sort_order == Qt.SortOrder.DescendingOrder
        keyed = sorted(((_sort_value(self.cell(self.rows[i], col)), self.rows[i].number, i) for i in idx),
                       key=lambda t: t[1])
        present = sorted((t for t in keyed if t[0][0] != 2), key=lambda t: t[0], reverse=rev)  # stable: ties by number
        missing = [t for t in keyed if t[0][0] == 2]
        self.shown = [t[2] for t in present] + [t[2] for t in missing]  # missing values last whichever way

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        old = [self.rows[i].number for i in self.shown]
        self.sort_column, self.sort_order = column, order
        self._arrange()
        new = {self.rows[i].number: pos for pos, i in enumerate(self.shown)}
        for idx in self.persistentIndexList():
            if idx.row() < len(old) and old[idx.row()] in new:
                self.changePersistentIndex(idx, self.index(new[old[idx.row()]], idx.column()))
        self.layoutChanged.emit()

    # -- reading -----------------------------------------------------------------------------------
    def number_at(self, row: int) -> int | None:
        return self.rows[self.shown[row]].number if 0 <= row < len(self.shown) else None

    def row_of(self, number: int) -> int | None:
        for pos, i in enumerate(self.shown):
            if self.rows[i].number == number:
                return pos
        return None

    def shown_numbers(self) -> list[int]:
        return [self.rows[i].number for i in self.shown]

    # -- QAbstractTableModel -------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802,B008 - Qt override
        return 0 if parent.isValid() else len(self.shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802,B008 - Qt override
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole and 3 <= section < 3 + len(self.keys):
            return self.keys[section - 3]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid() or index.row() >= len(self.shown):
            return None  # a paint asks ~10 roles per cell: those not used here cost nothing
        i = self.shown[index.row()]
        c = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.texts(i)[c]
        r = self.rows[i]
        if role == NUMBER_ROLE:
            return r.number
        if role == SORT_ROLE:
            return _sort_value(self.cell(r, c))[1]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_LEFT if c == 1 else _ALIGN_RIGHT
        if r.number == self.best:
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.BackgroundRole:
                c2 = QColor(QApplication.palette().color(QPalette.ColorRole.Highlight))
                c2.setAlpha(60)
                return QBrush(c2)
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"trial {r.number}: the best trial"
        if role == Qt.ItemDataRole.ForegroundRole and (r.state in ("PRUNED", "FAIL") or r.stopped):
            return QBrush(QApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        if role == Qt.ItemDataRole.ToolTipRole and c == 0 and r.run:
            return f"run folder: {r.run}"
        return None


class TrialsTable(QTableView):
    """The view: sortable by any column; selecting a row selects its trial (``trial_selected(number)``),
    double-clicking one opens it (``trial_activated(number)``)."""

    trial_selected = Signal(int)
    trial_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search_trials")
        self.trials = TrialsModel(self)
        self.setModel(self.trials)
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        self.selectionModel().currentRowChanged.connect(self._current)
        self.doubleClicked.connect(self._double)
        self.selected: int | None = None
        self._columns: Any = None

    def show_rows(self, rows: list[Any], keys: list[str], metric: str, best: int | None) -> None:
        keep = self.selected
        self.trials.set_rows(rows, keys, metric, best)
        fit = (list(self.trials.headers), bool(rows))
        if fit != self._columns:  # new columns, or the first trials: fit them once (not on every update)
            self._columns = fit
            self.resizeColumnsToContents()
            state = self.fontMetrics().horizontalAdvance("COMPLETE") + 16  # every state fits, not just the first's
            self.setColumnWidth(1, max(self.columnWidth(1), state))
        self._reselect(keep)

    def set_filter(self, allowed: set[int] | None) -> None:
        keep = self.selected
        self.trials.set_filter(allowed)
        self._reselect(keep)

    def select_trial(self, number: int | None) -> None:
        self._reselect(number)

    def _reselect(self, number: int | None) -> None:
        row = self.trials.row_of(number) if number is not None else None
        sm = self.selectionModel()
        sm.blockSignals(True)
        if row is None:
            sm.clearSelection()
            sm.setCurrentIndex(QModelIndex(), sm.SelectionFlag.Clear)
        else:
            idx = self.trials.index(row, 0)
            sm.setCurrentIndex(idx, sm.SelectionFlag.ClearAndSelect | sm.SelectionFlag.Rows)
            if number is not None and number != self.selected:
                self.scrollTo(idx)
        sm.blockSignals(False)
        self.selected = number  # kept while brushed out of view: it comes back with the trial
        self.viewport().update()

    def _current(self, current: QModelIndex, _prev: QModelIndex) -> None:
        n = self.trials.number_at(current.row()) if current.isValid() else None
        self.selected = n
        if n is not None:
            self.trial_selected.emit(n)

    def _double(self, index: QModelIndex) -> None:
        n = self.trials.number_at(index.row())
        if n is not None:
            self.trial_activated.emit(n)
