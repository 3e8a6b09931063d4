"""The inspector: a form generated from the selected node's parameter schema.

One editor per :class:`~graphlab.core.Param` kind: int -> QSpinBox (range from the spec), float ->
a spin box that prints values compactly, bool -> QCheckBox, choice -> QComboBox, pair -> two spin
boxes (h × w), pair_or_none -> the same plus an "auto" box, shape -> a line edit ("1, 28, 28").
Help text becomes tooltips. Above the form: the node's input and output shapes, its parameter
count and its problems. Every edit goes to the controller as one SetParam command (spin-box drags
merge into one undo step); a value equal to the default is stored as "default" (removed).
Changes that come from the model (undo, redo) update the editors with their signals blocked.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core import REGISTRY, Analysis, Graph, Param, ParamError
from ..core.layers._common import fmt

from ..core.init_schemes import INIT_SCHEMES  # noqa: E402,F401 - the one list of weight init schemes
BIG = 9_999_999  # bounds unbounded spin boxes (their width follows the range's digits)


class _FloatBox(QDoubleSpinBox):
    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)?([eE][-+]?\d*)?", text.strip()):
            return QValidator.State.Acceptable if _is_float(text) else QValidator.State.Intermediate
        return QValidator.State.Invalid


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _show_number(box: Any, value: float) -> None:
    """Show a value in a spin box; one beyond the box's range (e.g. 10^12 outputs) is shown clamped
    and marked, instead of raising OverflowError."""
    shown = min(max(value, box.minimum()), box.maximum())
    box.setValue(shown)
    outside = shown != value
    if box.property("own_tip") is None:
        box.setProperty("own_tip", box.toolTip())
    box.setStyleSheet("color: palette(highlight);" if outside else "")
    box.setToolTip(f"the value is {value:,}, beyond what this box can show" if outside else box.property("own_tip"))


def _int_box(p: Param) -> QSpinBox:
    box = QSpinBox()
    lo = -BIG if p.min is None else int(p.min) + (1 if p.min_exclusive else 0)
    hi = BIG if p.max is None else int(p.max) - (1 if p.max_exclusive else 0)
    box.setRange(lo, hi)
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    box.setMinimumWidth(56)
    return box


class ParamEditor:
    """Builds the widget for one param; ``set_value`` shows a value, ``on_change`` receives edits."""

    def __init__(self, p: Param, on_change: Callable[[str, Any], None], on_error: Callable[[str], None]) -> None:
        self.p, self.on_change, self.on_error = p, on_change, on_error
        self.widget: QWidget
        self._boxes: list[Any] = []
        k = p.kind
        if k == "int":
            box = _int_box(p)
            box.valueChanged.connect(lambda v: self.on_change(p.name, int(v)))
            self.widget, self._boxes = box, [box]
        elif k == "float":
            box = _FloatBox()
            box.setDecimals(10)
            box.setRange(-1e6 if p.min is None else p.min, 1e6 if p.max is None else p.max)
            d = p.default if isinstance(p.default, (int, float)) and p.default else 1.0
            box.setSingleStep(10 ** round(math.log10(abs(d))) / 10 if abs(d) < 1 else 0.1)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda v: self._float_changed(v))
            self.widget, self._boxes = box, [box]
        elif k == "bool":
            box = QCheckBox()
            box.toggled.connect(lambda v: self.on_change(p.name, bool(v)))
            self.widget, self._boxes = box, [box]
        elif k == "choice":
            box = QComboBox()
            for c in p.choices:
                box.addItem(str(c), c)
            box.currentIndexChanged.connect(lambda i: self.on_change(p.name, box.itemData(i)))
            self.widget, self._boxes = box, [box]
        elif k in ("pair", "pair_or_none"):
            w = QWidget()
            lay = QHBoxLayout(w)
            lay.setContentsMargins(0, 0, 0, 0)
            h, v = _int_box(p), _int_box(p)
            h.setToolTip(f"{p.name} (height)")
            v.setToolTip(f"{p.name} (width)")
            lay.addWidget(h)
            lay.addWidget(QLabel("×"))
            lay.addWidget(v)
            self._boxes = [h, v]
            if k == "pair_or_none":
                auto = QCheckBox("auto")
                auto.setToolTip("no value: " + p.help)
                lay.addWidget(auto)
                self._boxes.append(auto)
                auto.toggled.connect(lambda _: self._pair_changed())
            h.valueChanged.connect(lambda _: self._pair_changed())
            v.valueChanged.connect(lambda _: self._pair_changed())
            self.widget = w
        elif k == "shape":
            edit = QLineEdit()
            edit.setPlaceholderText("e.g. 1, 28, 28")
            edit.editingFinished.connect(self._shape_changed)
            self.widget, self._boxes = edit, [edit]
        else:  # pragma: no cover - catalogue bug
            raise AssertionError(k)
        self.widget.setToolTip(f"{p.name}: {p.help}" + (f" ({p.range_text()})" if p.range_text() else ""))
        self.widget.setObjectName(f"param_{p.name}")

    def _float_changed(self, v: float) -> None:
        try:
            self.on_change(self.p.name, self.p.coerce(float(v)))
        except ParamError as e:
            self.on_error(str(e))

    def _pair_changed(self) -> None:
        if len(self._boxes) == 3:
            auto = self._boxes[2].isChecked()
            self._boxes[0].setEnabled(not auto)
            self._boxes[1].setEnabled(not auto)
            if auto:
                self.on_change(self.p.name, None)
                return
        a, b = self._boxes[0].value(), self._boxes[1].value()
        self.on_change(self.p.name, a if a == b else [a, b])

    def _shape_changed(self) -> None:
        text = self._boxes[0].text()
        parts = [t for t in re.split(r"[,\s×x*]+", text.strip()) if t]
        try:
            value = self.p.coerce([int(t) for t in parts])
        except (ValueError, ParamError):
            self._boxes[0].setStyleSheet("QLineEdit { border: 1px solid #d01c1c; }")
            self.on_error(f"'{self.p.name}' must be positive integers separated by commas, e.g. 1, 28, 28")
            return
        self._boxes[0].setStyleSheet("")
        self.on_change(self.p.name, list(value))

    def set_value(self, value: Any) -> None:
        for b in self._boxes:
            b.blockSignals(True)
        try:
            k = self.p.kind
            if k in ("int", "float"):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    _show_number(self._boxes[0], value)
            elif k == "bool":
                self._boxes[0].setChecked(bool(value))
            elif k == "choice":
                i = self._boxes[0].findData(value)
                if i >= 0:
                    self._boxes[0].setCurrentIndex(i)
            elif k in ("pair", "pair_or_none"):
                auto = value is None
                if len(self._boxes) == 3:
                    self._boxes[2].setChecked(auto)
                    self._boxes[0].setEnabled(not auto)
                    self._boxes[1].setEnabled(not auto)
                if not auto:
                    pair = value if isinstance(value, (list, tuple)) and len(value) == 2 else (value, value)
                    for box, v in zip(self._boxes, pair):
                        if isinstance(v, int) and not isinstance(v, bool):
                            _show_number(box, v)
            elif k == "shape":
                self._boxes[0].setStyleSheet("")
                if isinstance(value, (list, tuple)):
                    self._boxes[0].setText(", ".join(str(v) for v in value))
        finally:
            for b in self._boxes:
                b.blockSignals(False)


class InspectorWidget(QScrollArea):
    #: a parameter that was refused (message sent as a hint) now holds a valid value: the message is stale
    error_cleared = Signal(str)

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.controller = controller
        self.graph: Graph | None = None
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.init_box: QComboBox | None = None
        self._analysis: Analysis | None = None
        self._errors: dict[str, str] = {}  # param name -> the refusal last shown for it
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        self._layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.help = QLabel()
        self.help.setWordWrap(True)
        self.shapes = QLabel()
        self.shapes.setWordWrap(True)
        self.shapes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.errors = QLabel()
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet("color: #d01c1c;")
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 6, 0, 0)
        for w in (self.header, self.help, self.shapes, self.errors, self.form_host):
            self._layout.addWidget(w)
        self.setWidget(self._body)
        self.show_node(None)

    def set_graph(self, graph: Graph) -> None:
        if self.graph is not None:
            self.graph.param_changed.disconnect(self._on_param_changed)
            self.graph.node_removed.disconnect(self._on_node_removed)
        self.graph = graph
        graph.param_changed.connect(self._on_param_changed)
        graph.node_removed.connect(self._on_node_removed)
        self.show_node(None)

    def set_analysis(self, analysis: Analysis) -> None:
        self._analysis = analysis
        self._refresh_info()

    def show_selection(self, ids: list[str]) -> None:
        if len(ids) == 1:
            self.show_node(ids[0])
        else:
            self.show_node(None, f"{len(ids)} nodes selected" if ids else None)

    def show_node(self, node_id: str | None, note: str | None = None) -> None:
        if node_id == self.node_id and node_id is not None:
            return
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors.clear()
        self.init_box = None
        self.node_id = node_id if self.graph is not None and node_id in self.graph.nodes else None
        if self.node_id is None:
            self.header.setText(f"<b>{note or 'No node selected'}</b>")
            self.help.setText("Select a node to edit its parameters. Drag layers in from the palette, "
                              "or press Tab on the canvas.")
            self.shapes.setText("")
            self.errors.setText("")
            self.errors.hide()
            return
        node = self.graph.nodes[self.node_id]
        spec = REGISTRY.get(node.type)
        self.header.setText(f"<b>{self.node_id}</b> &nbsp;·&nbsp; {spec.display if spec else node.type}")
        self.help.setText(spec.help if spec else f"unknown layer type '{node.type}'")
        if spec is not None:
            for p in spec.params:
                ed = ParamEditor(p, self._edited, lambda message, name=p.name: self._invalid(message, name))
                self.editors[p.name] = ed
                label = QLabel(p.name)
                label.setToolTip(ed.widget.toolTip())
                self.form.addRow(label, ed.widget)
        # the init schemes apply to its weights; a scheme set where none applies (an old file) can be cleared
        if spec is not None and (spec.initialisable or node.init is not None):
            box = QComboBox()
            box.setObjectName("param_init")
            box.addItem("(graph default)", None)
            for s in INIT_SCHEMES:
                box.addItem(s, s)
            box.setToolTip("weight initialisation for this node; '(graph default)' uses the experiment's scheme")
            box.currentIndexChanged.connect(lambda i: self._edited("init", box.itemData(i)))
            self.init_box = box
            self.form.addRow(QLabel("init"), box)
        self._load_values()
        self._refresh_info()

    def _load_values(self) -> None:
        if self.node_id is None:
            return
        node = self.graph.nodes[self.node_id]
        spec = REGISTRY.get(node.type)
        for name, ed in self.editors.items():
            value = node.params.get(name, spec.defaults.get(name) if spec else None)
            ed.set_value(value)
        if self.init_box is not None:
            self.init_box.blockSignals(True)
            i = self.init_box.findData(node.init)
            self.init_box.setCurrentIndex(max(0, i))
            self.init_box.blockSignals(False)

    def _refresh_info(self) -> None:
        a = self._analysis
        if self.node_id is None or a is None or self.node_id not in a.nodes:
            return
        info = a.nodes[self.node_id]
        ins = ", ".join(fmt(s) for s in info.input_shapes) or "—"
        out = fmt(info.shape) if info.shape is not None else "?"
        self.shapes.setText(f"in: {ins}\nout: {out}\nparameters: {info.params:,}")
        self.errors.setText("\n".join(("⚠ " if p.severity == "error" else "• ") + p.message for p in info.problems))
        self.errors.setVisible(bool(info.problems))

    def _edited(self, name: str, value: Any) -> None:
        if self.node_id is None:
            return
        spec = REGISTRY.get(self.graph.nodes[self.node_id].type)
        if name != "init" and spec is not None and value is not None:
            p = spec.param_index[name]
            try:
                if not p.required and p.coerce(value) == spec.defaults.get(name):
                    value = None
            except ParamError as e:
                self._invalid(str(e), name)
                return
        stale = self._errors.pop(name, None)
        if stale is not None:
            self.error_cleared.emit(stale)
        self.controller.set_param(self.node_id, name, value)

    def _invalid(self, message: str, name: str = "") -> None:
        self._errors[name] = message
        self.controller.hint.emit(message)

    def _on_param_changed(self, node_id: str, name: str) -> None:
        if node_id == self.node_id:
            self._load_values()

    def _on_node_removed(self, node: Any) -> None:
        if node.id == self.node_id:
            self.show_node(None)
