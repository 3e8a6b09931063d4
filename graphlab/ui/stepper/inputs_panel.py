"""The stepper dock's settings: where the inputs come from, which weights, train or eval mode.

* Inputs: "Dataset sample" (the validation split of the dataset the training section names; offered
  only when it names one), "Random (seeded)" with its seed and batch size, or "Typed values": a
  small table per Input node (offered when every Input node has at most 64 values per sample),
  for the course's circuit examples (x = −2, y = 5, z = −4). A cell that is not a number is
  reported inline, one line naming the node and the cell.
* Weights: the compiled initialisation (seeded), or a checkpoint / run folder chosen with
  "Load…" (through ``window.prompts.weights_path``, so tests answer it) or given by
  :meth:`InputsPanel.set_weights_path` (the training workbench's "use this run's weights").
* Train mode: BatchNorm on batch statistics, Dropout masks drawn (fixed for the whole walk).

``changed`` fires on every user change; the controller then restarts the walk at the next step.
``options(base_dir)`` returns a :class:`~.options.StepOptions`, or None when the typed values are bad.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QSizePolicy, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..scene.style import make_style
from .options import TYPED_MAX, StepOptions, TypedInput, parse_cells

SOURCE_TEXT = {"dataset": "Dataset sample", "random": "Random (seeded)", "typed": "Typed values"}
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
    changed = Signal()
    load_weights_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("step_settings")
        self._filling = False
        self.weights: str | None = None
        self.tables: dict[str, TypedTable] = {}
        self._inputs: tuple[tuple[str, tuple[int, ...]], ...] = ()
        self._has_dataset = False

        self.source = QComboBox()
        self.source.setObjectName("step_source")
        for key in ("dataset", "random", "typed"):
            self.source.addItem(SOURCE_TEXT[key], key)
        self.seed = QSpinBox()
        self.seed.setObjectName("step_seed")
        self.seed.setRange(0, 2 ** 31 - 1)
        self.seed.setPrefix("seed ")
        self.batch = QSpinBox()
        self.batch.setObjectName("step_batch")
        self.batch.setRange(1, 256)
        self.batch.setValue(8)
        self.batch.setPrefix("batch ")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.source, 1)
        row.addWidget(self.seed)
        row.addWidget(self.batch)

        self.typed_box = QWidget()
        self.typed_form = QFormLayout(self.typed_box)
        self.typed_form.setContentsMargins(0, 0, 0, 0)
        self.typed_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.error = QLabel("")
        self.error.setObjectName("step_input_error")
        self.error.setWordWrap(True)
        self.error.hide()

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
        self.train_mode = QCheckBox("Train mode (BatchNorm batch statistics, Dropout masks)")
        self.train_mode.setObjectName("step_train_mode")

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        lay.addLayout(row)
        lay.addWidget(self.typed_box)
        lay.addWidget(self.error)
        lay.addLayout(wrow)
        lay.addWidget(self.train_mode)

        self.source.currentIndexChanged.connect(self._source_changed)
        self.seed.valueChanged.connect(self._user_changed)
        self.batch.valueChanged.connect(self._user_changed)
        self.train_mode.toggled.connect(self._user_changed)
        self.load_button.clicked.connect(self.load_weights_requested)
        self.init_button.clicked.connect(self._use_initial)
        self._show_weights()
        self._source_changed()

    # ---- what the graph offers -------------------------------------------------------------------------
    def set_graph_info(self, inputs: Sequence[tuple[str, Sequence[int] | None]], has_dataset: bool,
                       new_document: bool = False) -> None:
        """The graph's Input nodes (id, per-sample shape or None) and whether it names a dataset."""
        key = tuple((nid, tuple(int(s) for s in shape)) for nid, shape in inputs if shape is not None)
        if new_document:
            self.weights = None
            self._show_weights()
        if key != self._inputs:
            old = {nid: t.cells() for nid, t in self.tables.items()}
            old_shapes = {nid: t.shape for nid, t in self.tables.items()}
            while self.typed_form.rowCount():
                self.typed_form.removeRow(0)
            self.tables = {}
            for nid, shape in key:
                if math.prod(shape) > TYPED_MAX:
                    continue
                t = TypedTable(nid, shape)
                if old_shapes.get(nid) == shape:
                    t.set_values(old[nid])
                t.cellChanged.connect(self._cell_changed)
                self.tables[nid] = t
                label = QLabel(f"{nid}  [{', '.join(map(str, shape))}]")
                label.setToolTip(f"the values of Input node {nid} (one sample)")
                self.typed_form.addRow(label, t)
            self._inputs = key
        typed_ok = bool(key) and all(math.prod(s) <= TYPED_MAX for _, s in key)
        model = self.source.model()
        assert isinstance(model, QStandardItemModel)
        model.item(0).setEnabled(has_dataset)
        model.item(0).setToolTip("" if has_dataset else "the training section names no dataset")
        model.item(2).setEnabled(typed_ok)
        model.item(2).setToolTip("" if typed_ok else f"typed values need Input nodes of at most {TYPED_MAX} values")
        want = self.source_key()
        if new_document or (want == "dataset" and not has_dataset) or (want == "typed" and not typed_ok):
            want = "dataset" if has_dataset else "random"
        self._has_dataset = has_dataset
        self._filling = True
        try:
            self.source.setCurrentIndex(self.source.findData(want))
        finally:
            self._filling = False
        self._source_changed(emit=False)

    # ---- reading and setting ---------------------------------------------------------------------------
    def source_key(self) -> str:
        return str(self.source.currentData())

    def set_source(self, key: str) -> None:
        i = self.source.findData(key)
        if i < 0:
            raise ValueError(f"input source must be one of dataset, random, typed; got {key!r}")
        self.source.setCurrentIndex(i)

    def set_typed(self, values: dict[str, Sequence[Any]]) -> None:
        """Fill typed values ({input id: numbers or texts}) and switch to typed inputs."""
        self._filling = True
        try:
            for nid, vals in values.items():
                if nid not in self.tables:
                    raise KeyError(f"no typed table for Input node {nid!r} (tables: {', '.join(self.tables)})")
                self.tables[nid].set_values(vals)
        finally:
            self._filling = False
        if self.source_key() != "typed":
            self.set_source("typed")
        else:
            self._user_changed()

    def set_weights_path(self, path: str | None) -> None:
        self.weights = str(path) if path else None
        self._show_weights()
        self._user_changed()

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
        typed: tuple[TypedInput, ...] = ()
        if self.source_key() == "typed":
            typed, err = self.typed_inputs()
            self._show_error(err)
            if err:
                return None
        return StepOptions(self.source_key(), self.seed.value(), self.batch.value(), typed, self.weights,
                           self.train_mode.isChecked(), base_dir)

    def error_text(self) -> str:
        return self.error.text() if not self.error.isHidden() else ""

    # ---- internals -------------------------------------------------------------------------------------
    def _show_error(self, text: str) -> None:
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

    def _source_changed(self, *args: Any, emit: bool = True) -> None:
        key = self.source_key()
        self.typed_box.setVisible(key == "typed")
        self.batch.setEnabled(key != "typed")
        if key == "typed":
            _, err = self.typed_inputs()
            self._show_error(err)
        else:
            self._show_error("")
        if emit:
            self._user_changed()

    def _cell_changed(self, *args: Any) -> None:
        if self._filling:
            return
        _, err = self.typed_inputs()
        self._show_error(err)
        self._user_changed()

    def _user_changed(self, *args: Any) -> None:
        if not self._filling:
            self.changed.emit()
