"""The Search form: the graph's ``search`` section, built with the one form builder (:mod:`graphlab.ui.forms`).

* **Ranges** — one row per searched key: the key, its range (a :class:`~graphlab.ui.forms.RangeEditor`
  for a :class:`graphlab.core.fields.RangeField` over the key's own field, so the distributions offered
  and the bounds checked are the target's) and a remove button; below, a list of the keys the graph
  could search (:func:`graphlab.search.targets.searchable_keys`) and *Add*, which starts the key on a
  range around its current value (:func:`default_range`).
* **Settings** — the section's settings, the fields of :data:`graphlab.search.space.SETTINGS`
  (trials, sampler, epochs per trial, metric, pruning, validation share, seed).
* **Run** — how this window runs the study (not saved in the file): worker processes on this machine
  and the storage (the journal file beside the graph, or a database URL).

The form edits nothing itself: it emits ``edited(key, value)`` — ``"space:<key>"`` with a range,
``"add:<key>"``, ``"remove:<key>"``, or a setting's name with its value — which the dock turns into one
:class:`~.commands.SetSearchCommand`; ``option(name, value)`` for the run options; ``refused(message)``
for a value a field refused (the editor turns red). ``show_section(graph, error)`` shows the section
and marks the editor the section's first problem names.
"""
from __future__ import annotations

import math
import os
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...core import Graph
from ...core import fields as fl
from ...search.space import SETTINGS, SearchError, parse_dist, space_key
from ..forms import FieldEditor, guard_wheel, make_editor, tooltip
from .trials_table import short_key

WORKERS = fl.IntField("workers", max(1, os.cpu_count() or 1), "worker processes on this machine (each trains one "
                      "trial at a time with one thread; default: the core count)", label="workers", lo=1, hi=256)
STORAGE = fl.TextField("storage", None, "where the study is kept: a journal file (a path) or a database URL "
                       "(postgresql://user:pw@host/db, sqlite:///search.db) shared with workers on other machines",
                       label="storage", nullable=True, null_text="the journal file beside the graph")
OPTIONS = (WORKERS, STORAGE)


def default_range(target: fl.Field, current: Any) -> dict[str, Any]:
    """A first range for a key that is added: around its current value (log ranges a decade each way,
    whole numbers half to double, every choice of a choice field, false and true), within its bounds."""
    kinds = fl.range_kinds(target)
    candidates: list[dict[str, Any]] = []
    num = isinstance(current, (int, float)) and not isinstance(current, bool) and math.isfinite(current)
    if isinstance(target, fl.FloatField):
        lo, hi = getattr(target, "lo", None), getattr(target, "hi", None)
        if num and current > 0:
            k = "log_uniform" if kinds[0] == "log_uniform" else "uniform"
            a, b = (current / 10, current * 10) if k == "log_uniform" else (current / 2, current * 2)
            candidates.append({k: [float(f"{a:.3g}"), float(f"{b:.3g}")]})
        if lo is not None and hi is not None:
            top = hi * 0.9 if target.hi_open else hi
            candidates.append({"uniform": [float(lo) if not target.lo_open else float(lo) + (top - lo) / 10, top]})
        candidates.append({"log_uniform": [1e-4, 1e-1]})
    elif isinstance(target, fl.IntField):
        if num and current >= 1:
            candidates.append({"int": [max(1, int(current) // 2), int(current) * 2]})
        candidates.append({"int": [1, 10]})
    elif isinstance(target, fl.BoolField):
        candidates.append({"choice": [False, True]})
    elif isinstance(target, fl.ChoiceField):
        candidates.append({"choice": list(target.choices)})
    if current is not None or target.nullable:
        candidates.append({"choice": [current]})
    field = fl.RangeField("range", target=target)
    for c in candidates:
        try:
            return field.coerce(c)
        except fl.FieldError:
            continue
    return {"choice": [current]}


class SearchForm(QWidget):
    edited = Signal(str, object)
    option = Signal(str, object)
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("search_form")
        self.ranges: dict[str, FieldEditor] = {}
        self.range_labels: dict[str, QLabel] = {}
        self.settings: dict[str, FieldEditor] = {}
        self.options: dict[str, FieldEditor] = {}
        self._keys: list[str] = []
        self._graph_id: int | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.note = QLabel("")
        self.note.setObjectName("search_form_note")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.error = QLabel()
        self.error.setObjectName("search_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d0302f;")
        self.error.hide()
        lay.addWidget(self.error)
        lay.addWidget(self._build_ranges())
        lay.addWidget(self._build_settings())
        lay.addWidget(self._build_run())
        lay.addStretch(1)

    def _build_ranges(self) -> QGroupBox:
        box = QGroupBox("Ranges")
        outer = QVBoxLayout(box)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(1, 1)
        outer.addWidget(self.grid_host)
        self.empty = QLabel("No search section yet: pick a key below and press Add.")
        self.empty.setWordWrap(True)
        outer.addWidget(self.empty)
        add = QHBoxLayout()
        self.add_box = QComboBox()
        self.add_box.setObjectName("search_add_key")
        self.add_box.setToolTip("a training field or a layer parameter to search")
        guard_wheel(self.add_box)
        self.add_button = QPushButton("Add")
        self.add_button.setObjectName("search_add")
        self.add_button.clicked.connect(self._add)
        add.addWidget(self.add_box, 1)
        add.addWidget(self.add_button)
        outer.addLayout(add)
        return box

    def _build_settings(self) -> QGroupBox:
        self.settings_box = QGroupBox("Settings")
        form = QFormLayout(self.settings_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for f in SETTINGS:
            ed = make_editor(f, f.name, self._setting, self._refuse, self, where=f"file: {f.path}",
                             object_name=f"search_{f.name}")
            label = QLabel(f.name.replace("_", " "))
            label.setToolTip(tooltip(f, f"file: {f.path}"))
            form.addRow(label, ed.widget)
            self.settings[f.name] = ed
        return self.settings_box

    def _build_run(self) -> QGroupBox:
        run = QGroupBox("Run (this window; not saved in the file)")
        form = QFormLayout(run)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for f in OPTIONS:
            ed = make_editor(f, f.name, self._option, self._refuse, self, object_name=f"search_{f.name}")
            form.addRow(QLabel(f.title), ed.widget)
            ed.show(f.default)
            self.options[f.name] = ed
        return run

    # -- showing ------------------------------------------------------------------------------------
    def show_section(self, graph: Graph, error: SearchError | None = None) -> None:
        section = graph.search if isinstance(graph.search, dict) else {}
        raw = section.get("space") if isinstance(section.get("space"), dict) else {}
        keys = [k for k in raw if isinstance(k, str)]
        dists = {}
        for k in keys:
            try:
                dists[k] = parse_dist(raw[k], space_key(k))
            except SearchError:
                pass
        if keys != self._keys or id(graph) != self._graph_id:
            self._rebuild(graph, keys, dists)
        for k in keys:
            self.ranges[k].show(raw[k])
            self.ranges[k].set_error(None)
        for name, ed in self.settings.items():
            ed.show(section.get(name, ed.field.default))
            ed.set_error(None)
        self.settings_box.setEnabled(bool(section))
        self.empty.setVisible(not keys)
        self._fill_add(graph, keys, dists)
        self.error.setVisible(error is not None)
        self.error.setText(str(error) if error is not None else "")
        if error is not None:
            ed = self.editor_for(error.key)
            if ed is not None:
                ed.set_error(str(error))

    def _rebuild(self, graph: Graph, keys: list[str], dists: dict[str, Any]) -> None:
        from ...search.targets import target_of

        for ed in self.ranges.values():
            ed.widget.deleteLater()
            ed.deleteLater()
        while self.grid.count():
            item = self.grid.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()
        self.ranges, self.range_labels = {}, {}
        for row, key in enumerate(keys):
            try:
                target, path, _ = target_of(graph, key, dists)
            except SearchError:
                target, path = None, key
            field = fl.RangeField(key, help=target.help if target is not None else "", target=target,
                                  target_path=path, path=space_key(key), raises=SearchError)
            where = "" if target is None else f"{path}: {target.range_text() or target.kind}"
            ed = make_editor(field, key, self._range, self._refuse, self, where=where,
                             object_name="search_range_" + key.replace(".", "_"))
            label = QLabel(short_key(key, 24))
            label.setToolTip(f"{key}\n{tooltip(field, where)}")
            remove = QToolButton()
            remove.setText("✕")
            remove.setObjectName("search_remove_" + key.replace(".", "_"))
            remove.setToolTip(f"stop searching {key}")
            remove.clicked.connect(self._remover(key))
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(ed.widget, row, 1)
            self.grid.addWidget(remove, row, 2)
            self.ranges[key] = ed
            self.range_labels[key] = label
        self._keys = list(keys)
        self._graph_id = id(graph)

    def _fill_add(self, graph: Graph, keys: list[str], dists: dict[str, Any]) -> None:
        from ...search.targets import searchable_keys

        want = [k for k in searchable_keys(graph, dists) if k not in keys]
        have = [self.add_box.itemData(i) for i in range(self.add_box.count())]
        if want == have:
            return
        current = self.add_box.currentData()
        self.add_box.blockSignals(True)
        self.add_box.clear()
        for k in want:
            self.add_box.addItem(short_key(k, 40), k)
        i = self.add_box.findData(current)
        self.add_box.setCurrentIndex(i if i >= 0 else 0)
        self.add_box.blockSignals(False)
        self.add_button.setEnabled(bool(want))

    def editor_for(self, key: str) -> FieldEditor | None:
        """The editor a problem's key names: ``search.space."fc1.out_features"`` or ``search.trials``."""
        for k, ed in self.ranges.items():
            if key == space_key(k):
                return ed
        return self.settings.get(key.removeprefix("search."))

    def set_options(self, workers: int, storage: str | None) -> None:
        self.options["workers"].show(workers)
        self.options["storage"].show(storage)

    # -- edits ----------------------------------------------------------------------------------------
    def _range(self, key: str, value: Any) -> None:
        self.edited.emit("space:" + key, value)

    def _setting(self, key: str, value: Any) -> None:
        self.edited.emit(key, value)

    def _option(self, key: str, value: Any) -> None:
        self.option.emit(key, value)

    def _refuse(self, message: str) -> None:
        self.refused.emit(message)

    def _remover(self, key: str) -> Any:
        def remove() -> None:
            self.edited.emit("remove:" + key, None)
        return remove

    def _add(self) -> None:
        key = self.add_box.currentData()
        if isinstance(key, str):
            self.edited.emit("add:" + key, None)
