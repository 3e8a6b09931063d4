"""The stepper dock's settings: where the inputs come from, which weights, train or eval mode.

They are the graph file's ``step`` section (:class:`graphlab.step.config.StepConfig`, the configuration
``graphlab step`` reads too), shown with the field language's editors (:mod:`graphlab.ui.forms`,
declared in :data:`graphlab.step.config.FIELDS`); the typed values are a specialised editor, a table
per Input node. When a file opens, the panel shows its section. Every user change is stored back
in the document as one undo step: ``edited(key, section)`` carries the new section and the stepper
controller pushes it as a :class:`~.commands.SetStepCommand` (so Save keeps typed values, and undo
restores them); the panel follows the document through :meth:`InputsPanel.set_graph_info`.

* Inputs: "Dataset sample" (the validation split of the dataset the training section names; offered
  only when it names one), "Random (seeded)" with its seed and batch size, or "Typed values": a
  small table per Input node (offered when every Input node has at most 64 values per sample),
  for the course's circuit examples (x = −2, y = 5, z = −4). A cell that is not a number is
  reported inline, one line naming the node and the cell.
* Weights: the compiled initialisation (seeded), or a checkpoint / run folder chosen with
  "Load…" (through ``window.prompts.weights_path``, so tests answer it) or given by
  :meth:`InputsPanel.set_weights_path` (the training workbench's "use this run's weights").
* Train mode: BatchNorm on batch statistics, Dropout masks drawn (fixed for the whole walk).

``changed`` fires on every user change, before ``edited``; the walk restarts at the next step.
``options(base_dir)`` returns a :class:`~.options.StepOptions` (the configuration shown, parsed by
:func:`graphlab.step.config.parse_step`), or None when the typed values are bad.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSizePolicy, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ...step.config import FIELDS, SOURCES, StepConfigError, clean_section, parse_step, with_value
from ..forms import ChoiceEditor, FieldEditor, make_editor
from ..scene.style import make_style
from .options import TYPED_MAX, StepOptions, TypedInput, parse_cells

CELL_W = 58


def _grid(shape: tuple[int, ...]) -> tuple[int, int]:
    n = math.prod(shape)
    cols = shape[-1] if len(shape) >= 2 else min(n, 8)
    return max(1, math.ceil(n / cols)), cols


class TypedTable(QTableWidget):
    """One Input node's values (one sample), in C order across rows of the last axis."""

    def __init__(self, node: str, shape: tuple[int, ...], parent: QWidget | None = None) -> None:
        rows, cols = _grid(shape)
        super().__init__(rows, cols, parent)
        self.node, self.shape = node, shape
        self.setObjectName(f"typed_{node}")
        self.horizontalHeader().hide()
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.horizontalHeader().setDefaultSectionSize(CELL_W)
        rh = self.fontMetrics().height() + 8
        self.verticalHeader().setDefaultSectionSize(rh)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setMaximumHeight(rh * min(rows, 4) + 4 + (16 if cols * CELL_W > 320 else 0))
        self.setMinimumHeight(rh + 4)
        self.setMaximumWidth(CELL_W * cols + 4)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        for i in range(math.prod(shape)):
            self.setItem(i // cols, i % cols, QTableWidgetItem("0"))

    def cells(self) -> list[str]:
        cols = self.columnCount()
        out = []
        for i in range(math.prod(self.shape)):
            it = self.item(i // cols, i % cols)
            out.append(it.text() if it is not None else "")
        return out

    def set_values(self, values: Sequence[Any]) -> None:
        cols = self.columnCount()
        for i, v in enumerate(list(values)[: math.prod(self.shape)]):
            text = v if isinstance(v, str) else (str(int(v)) if float(v) == int(float(v)) and
                                                  math.isfinite(float(v)) else repr(float(v)))
            self.setItem(i // cols, i % cols, QTableWidgetItem(text))


class InputsPanel(QWidget):
    #: the user changed a setting (the walk restarts at the next step)
    changed = Signal()
    #: (key, the new step section): store it in the document as one undo step
    edited = Signal(str, object)
    load_weights_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("step_settings")
        self._filling = False
        self.weights: str | None = None
        self.tables: dict[str, TypedTable] = {}
        self._inputs: tuple[tuple[str, tuple[int, ...]], ...] = ()
        self._has_dataset = True  # until the graph says (so the first set_graph_info updates the offer)
        self._typed_ok = True
        self._section: dict[str, Any] = {}  # the document's step section, as last shown or sent
        self._file_error = ""  # what parse_step says about the document's section

        row = self._build_source_row()
        self._build_typed_box()
        wrow = self._build_weights_row()
        self.train_mode: QCheckBox = self._widget("train_mode", QCheckBox)
        self.train_mode.setText("Train mode (BatchNorm batch statistics, Dropout masks)")

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        lay.addLayout(row)
        lay.addWidget(self.typed_box)
        lay.addWidget(self.error)
        lay.addLayout(wrow)
        lay.addWidget(self.train_mode)

        self.load_button.clicked.connect(self.load_weights_requested)
        self.init_button.clicked.connect(self._use_initial)
        self._show_section({}, "")

    def _build_source_row(self) -> QHBoxLayout:
        """The field editors of the step section; the inputs' source with its seed and batch size."""
        self.editors: dict[str, FieldEditor] = {
            key: make_editor(FIELDS[key], key, self._field_edited, self._show_error, self, object_name=f"step_{key}")
            for key in ("source", "seed", "batch", "train_mode")}
        source_ed = self.editors["source"]
        assert isinstance(source_ed, ChoiceEditor)
        self.source_editor = source_ed
        self.source: QComboBox = self._widget("source", QComboBox)
        self.seed: QSpinBox = self._widget("seed", QSpinBox)
        self.seed.setPrefix("seed ")
        self.batch: QSpinBox = self._widget("batch", QSpinBox)
        self.batch.setPrefix("batch ")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.source, 1)
        row.addWidget(self.seed)
        row.addWidget(self.batch)
        return row

    def _build_typed_box(self) -> None:
        """The typed values' form (a table per Input node, made by :meth:`_make_tables`) and its error line."""
        self.typed_box = QWidget()
        self.typed_form = QFormLayout(self.typed_box)
        self.typed_form.setContentsMargins(0, 0, 0, 0)
        self.typed_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.error = QLabel("")
        self.error.setObjectName("step_input_error")
        self.error.setWordWrap(True)
        self.error.hide()

    def _build_weights_row(self) -> QHBoxLayout:
        """Which weights: the label, "Load…" and "Initial"."""
        self.weights_label = QLabel("")
        self.weights_label.setObjectName("step_weights")
        self.weights_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.load_button = QPushButton("Load…")
        self.load_button.setObjectName("step_load_weights")
        self.load_button.setToolTip("Step with the weights of a checkpoint (a .safetensors file, e.g. a run "
                                    "folder's last.safetensors)")
        self.init_button = QPushButton("Initial")
        self.init_button.setObjectName("step_init_weights")
        self.init_button.setToolTip("Step with the compiled module's seeded initialisation")
        wrow = QHBoxLayout()
        wrow.setContentsMargins(0, 0, 0, 0)
        wrow.addWidget(QLabel("Weights:"))
        wrow.addWidget(self.weights_label, 1)
        wrow.addWidget(self.load_button)
        wrow.addWidget(self.init_button)
        return wrow

    def _widget(self, key: str, kind: type) -> Any:
        w = self.editors[key].widget
        assert isinstance(w, kind)
        return w

    # ---- what the graph offers, and its step section ------------------------------------------------------
    def set_graph_info(self, inputs: Sequence[tuple[str, Sequence[int] | None]], has_dataset: bool,
                       new_document: bool = False, step: dict[str, Any] | None = None) -> None:
        """The graph's Input nodes (id, per-sample shape or None), whether it names a dataset, and its
        ``step`` section (None: keep the one shown)."""
        key = tuple((nid, tuple(int(s) for s in shape)) for nid, shape in inputs if shape is not None)
        rebuilt = key != self._inputs or new_document
        if rebuilt:
            self._make_tables(key)
        typed_ok = bool(key) and all(math.prod(s) <= TYPED_MAX for _, s in key)
        offered = (has_dataset, typed_ok)
        if offered != (self._has_dataset, self._typed_ok):
            self._has_dataset, self._typed_ok = offered
            self.source_editor.offer("dataset", has_dataset, "the training section names no dataset")
            self.source_editor.offer("typed", typed_ok, f"typed values need Input nodes of at most {TYPED_MAX} "
                                                        "values")
            rebuilt = True
        section = self._section if step is None else step
        if rebuilt or section != self._section:  # else the panel shows it already (and any cell being fixed)
            self._show_section(section, self._parse_error(section))

    def _make_tables(self, key: tuple[tuple[str, tuple[int, ...]], ...]) -> None:
        while self.typed_form.rowCount():
            self.typed_form.removeRow(0)
        self.tables = {}
        for nid, shape in key:
            if math.prod(shape) > TYPED_MAX:
                continue
            t = TypedTable(nid, shape)
            t.cellChanged.connect(self._cell_changed)
            self.tables[nid] = t
            label = QLabel(f"{nid}  [{', '.join(map(str, shape))}]")
            label.setToolTip(f"the values of Input node {nid} (one sample)")
            self.typed_form.addRow(label, t)
        self._inputs = key

    def _shapes(self) -> dict[str, tuple[int, ...]]:
        return dict(self._inputs)

    def _parse_error(self, section: Any) -> str:
        try:
            parse_step(section, self._shapes() or None)
        except StepConfigError as e:
            return str(e)
        return ""

    def _show_section(self, section: dict[str, Any], error: str) -> None:
        """Show a step section (signals blocked); the source shown falls back to what the graph allows."""
        self._section = dict(section) if isinstance(section, dict) else {}
        self._file_error = error
        get = self._section.get
        self._filling = True
        try:
            source = get("source", FIELDS["source"].default)
            if (source == "dataset" and not self._has_dataset) or (source == "typed" and not self._typed_ok):
                source = "dataset" if self._has_dataset else "random"
            if source not in SOURCES:
                source = "dataset" if self._has_dataset else "random"
            self.editors["source"].show(source)
            for key in ("seed", "batch", "train_mode"):
                self.editors[key].show(get(key, FIELDS[key].default))
            typed = get("inputs") if isinstance(get("inputs"), dict) else {}
            for nid, t in self.tables.items():
                values = typed.get(nid)
                vals = values if isinstance(values, list) else [values] if isinstance(values, (int, float)) else None
                t.set_values(vals if vals is not None and _flat_numbers(vals) else [0] * math.prod(t.shape))
            weights = get("weights")
            self.weights = weights if isinstance(weights, str) and weights else None
        finally:
            self._filling = False
        self._show_weights()
        self._source_shown()

    # ---- reading and setting ---------------------------------------------------------------------------
    def source_key(self) -> str:
        return str(self.source.currentData())

    def section(self) -> dict[str, Any]:
        """The step section as the panel shows it."""
        return dict(self._section)

    def set_source(self, key: str) -> None:
        i = self.source.findData(key)
        if i < 0:
            raise ValueError(f"input source must be one of dataset, random, typed; got {key!r}")
        self.source.setCurrentIndex(i)

    def set_typed(self, values: dict[str, Sequence[Any]]) -> None:
        """Fill typed values ({input id: numbers or texts}) and switch to typed inputs (one edit)."""
        self._filling = True
        try:
            for nid, vals in values.items():
                if nid not in self.tables:
                    raise KeyError(f"no typed table for Input node {nid!r} (tables: {', '.join(self.tables)})")
                self.tables[nid].set_values(vals)
        finally:
            self._filling = False
        section = self._clean()
        typed, err = self.typed_inputs()
        for t in typed:
            section = with_value(section, f"inputs.{t.node}", t.values)
        self.editors["source"].show("typed")
        self._source_shown()
        self._store("inputs", with_value(section, "source", "typed"), err)

    def set_weights_path(self, path: str | None) -> None:
        self.weights = str(path) if path else None
        self._show_weights()
        self._store("weights", with_value(self._clean(), "weights", self.weights))

    def typed_inputs(self) -> tuple[tuple[TypedInput, ...], str]:
        out = []
        for nid, t in self.tables.items():
            ti, err = parse_cells(nid, t.shape, t.cells())
            if ti is None:
                return (), err
            out.append(ti)
        return tuple(out), ""

    def options(self, base_dir: str | None) -> StepOptions | None:
        """The options for the next walk; None (and the error line shown) when typed values are bad."""
        section = dict(self._section)
        section.update({k: self.editors[k].value() for k in ("source", "seed", "batch", "train_mode")})
        section["weights"] = self.weights
        if self.source_key() == "typed":
            typed, err = self.typed_inputs()
            if err:
                self._show_error(err)
                return None
            section["inputs"] = {t.node: list(t.values) for t in typed}
        try:
            cfg = parse_step(section, self._shapes() or None)
        except StepConfigError as e:
            self._show_error(str(e))
            return None
        self._show_error("")
        return StepOptions(cfg, base_dir)

    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    # ---- internals -------------------------------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        text = text or self._file_error
        self.error.setText(text)
        self.error.setStyleSheet(f"color: {make_style(self.palette()).error.name()}")
        self.error.setVisible(bool(text))

    def _show_weights(self) -> None:
        if self.weights:
            self.weights_label.setText(Path(self.weights).name if Path(self.weights).name != "last.safetensors"
                                       else str(Path(self.weights).parent.name) + "/last.safetensors")
            self.weights_label.setToolTip(self.weights)
        else:
            self.weights_label.setText("initial (seeded)")
            self.weights_label.setToolTip("the compiled module's initialisation with the seed above")
        self.init_button.setEnabled(self.weights is not None)

    def _use_initial(self) -> None:
        self.set_weights_path(None)

    def _source_shown(self) -> None:
        key = self.source_key()
        self.typed_box.setVisible(key == "typed")
        self.batch.setEnabled(key != "typed")
        self._show_error(self.typed_inputs()[1] if key == "typed" else "")

    def _clean(self) -> dict[str, Any]:
        """The shown section without what its file had wrong: an edit in the panel writes valid values."""
        return clean_section(self._section, self._shapes() or None)

    def _field_edited(self, key: str, value: Any) -> None:
        if key == "source":
            self._source_shown()
        self._store(key, with_value(self._clean(), key, value))

    def _cell_changed(self, row: int, col: int) -> None:
        if self._filling:
            return
        table = self.sender()
        err = self.typed_inputs()[1]
        ti = parse_cells(table.node, table.shape, table.cells())[0] if isinstance(table, TypedTable) else None
        if ti is None:
            self._show_error(err)
            self.changed.emit()  # nothing to store: the walk restarts once the value is fixed
            return
        self._store(f"inputs.{ti.node}", with_value(self._clean(), f"inputs.{ti.node}", ti.values), err)

    def _store(self, key: str, section: dict[str, Any], error: str = "") -> None:
        """A user change: shown now, restarts the walk, and goes to the document as one undo step."""
        if self._filling:
            return
        changed = section != self._section
        if changed:
            self._section = section
            self._file_error = self._parse_error(section)
        self._show_error(error)
        self.changed.emit()
        if changed:
            self.edited.emit(key, section)


def _flat_numbers(values: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)

