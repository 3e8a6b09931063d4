"""The inspector: a form generated from the selected node's parameter schema.

Each :class:`~graphlab.core.Param` declares a field of the field language (``param.field``) and gets
that field's editor from the one form builder (:mod:`graphlab.ui.forms`): int -> spin box (range
from the spec), float -> number line edit, bool -> check box, choice -> combo box, pair -> two spin
boxes (h × w, plus an "auto" box when null means "same as another param"), shape -> a line edit
("1, 28, 28"). The node's weight init is one more field (a choice, null = the graph's default), and a
node with weights has ``trainable`` (a bool field: off freezes it, for transfer learning).
Help and the allowed range are tooltips; a wheel over an unfocused editor scrolls the inspector.
Above the form: the node's input and output shapes, its parameter count, what it costs (MACs, FLOPs,
backward FLOPs, element-wise ops, bytes, receptive field: graphlab.core.cost) and its problems.

Every edit goes to the controller as one SetParam command (spin-box drags merge into one undo step);
a value equal to the default is stored as "default" (removed). A value the param refuses is not
sent: the editor turns red with the reason, and the reason goes to the status bar. Changes that
come from the model (undo, redo) update the editors with their signals blocked.
"""
from __future__ import annotations

import html

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from ..core import REGISTRY, Analysis, Graph, ParamError
from ..core.cost_table import node_lines
from ..core.fields import BoolField, ChoiceField
from ..core.init_schemes import INIT_HELP, INIT_SCHEMES  # noqa: F401 - the one list of weight init schemes
from ..core.layers._common import fmt
from .forms import FieldEditor, make_editor
from .scene.node_item import clip_text

#: a node's weight init, as a field: null = the graph's scheme (training.init)
INIT_FIELD = ChoiceField("init", None, help="weight initialisation for this node; '(graph default)' uses the "
                         "experiment's scheme", nullable=True, null_text="(graph default)", choices=INIT_SCHEMES,
                         choice_help=tuple(INIT_HELP.values()))


#: a node with weights: trained (true) or frozen (false), saved as ``"trainable": false``
TRAINABLE_FIELD = BoolField("trainable", True, help="train this node's weights; off freezes them (they stay as "
                            "loaded, and a frozen BatchNorm keeps its running statistics)")


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
        self.editors: dict[str, FieldEditor] = {}
        self.init_editor: FieldEditor | None = None
        self.trainable_editor: FieldEditor | None = None
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
        self.cost = QLabel()
        self.cost.setObjectName("inspector_cost")
        self.cost.setWordWrap(True)
        self.cost.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cost.setToolTip("Per sample. FLOPs = 2 × MACs (as torch's FlopCounterMode counts); other ops are "
                             "element-wise work; 'kept for backward' is what autograd saves for this node")
        self.errors = QLabel()
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet("color: #d01c1c;")
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 6, 0, 0)
        for w in (self.header, self.help, self.shapes, self.cost, self.errors, self.form_host):
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
        for ed in [*self.editors.values(), self.init_editor, self.trainable_editor]:
            if ed is not None:
                ed.deleteLater()
        self.editors.clear()
        self.init_editor = None
        self.trainable_editor = None
        self.init_box = None
        self.node_id = node_id if self.graph is not None and node_id in self.graph.nodes else None
        if self.node_id is None:
            self.header.setText(f"<b>{note or 'No node selected'}</b>")
            self.help.setText("Select a node to edit its parameters. Drag layers in from the palette, "
                              "or press Tab on the canvas.")
            self.shapes.setText("")
            self.cost.setText("")
            self.errors.setText("")
            self.errors.hide()
            return
        node = self.graph.nodes[self.node_id]
        spec = REGISTRY.get(node.type)
        # ids and types come from files: escaped, and cut so that a 10 MB string costs nothing to lay out
        nid, kind = html.escape(clip_text(self.node_id)), html.escape(clip_text(spec.display if spec else node.type))
        self.header.setText(f"<b>{nid}</b> &nbsp;·&nbsp; {kind}")
        self.help.setText(spec.help if spec else f"unknown layer type '{clip_text(node.type)}'")
        if spec is not None:
            for p in spec.params:
                ed = make_editor(p.field, p.name, self._edited, self._refuser(p.name), self, f=p,
                                 object_name=f"param_{p.name}")
                self.editors[p.name] = ed
                label = QLabel(p.name)
                label.setToolTip(ed.widget.toolTip())
                self.form.addRow(label, ed.widget)
        # the init schemes apply to its weights; a scheme set where none applies (an old file) can be cleared
        if spec is not None and (spec.initialisable or node.init is not None):
            ed = make_editor(INIT_FIELD, "init", self._edited, None, self, object_name="param_init")
            self.init_editor = ed
            assert isinstance(ed.widget, QComboBox)
            self.init_box = ed.widget
            self.form.addRow(QLabel("init"), ed.widget)
        if spec is not None and (spec.has_weights or not node.trainable):
            ed = make_editor(TRAINABLE_FIELD, "trainable", self._edited, None, self, object_name="param_trainable")
            self.trainable_editor = ed
            self.form.addRow(QLabel("trainable"), ed.widget)
        self._load_values()
        self._refresh_info()

    def _load_values(self) -> None:
        if self.node_id is None:
            return
        node = self.graph.nodes[self.node_id]
        spec = REGISTRY.get(node.type)
        for name, ed in self.editors.items():
            value = node.params.get(name, spec.defaults.get(name) if spec else None)
            ed.show(value)
        if self.init_editor is not None:
            self.init_editor.show(node.init)
        if self.trainable_editor is not None:
            self.trainable_editor.show(node.trainable)

    def _refresh_info(self) -> None:
        a = self._analysis
        if self.node_id is None or a is None or self.node_id not in a.nodes:
            return
        info = a.nodes[self.node_id]
        ins = ", ".join(fmt(s) for s in info.input_shapes) or "—"
        out = fmt(info.shape) if info.shape is not None else "?"
        self.shapes.setText(f"in: {ins}\nout: {out}\nparameters: {info.params:,}")
        self.cost.setText("\n".join(node_lines(info)) if info.cost is not None else "")
        self.errors.setText("\n".join(("⚠ " if p.severity == "error" else "• ") + p.message for p in info.problems))
        self.errors.setVisible(bool(info.problems))

    def _edited(self, name: str, value: Any) -> None:
        """An editor's value, accepted by its field: one SetParam command (the default stored as unset)."""
        if self.node_id is None:
            return
        spec = REGISTRY.get(self.graph.nodes[self.node_id].type)
        if name not in ("init", "trainable") and spec is not None and value is not None:
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

    def _refuser(self, name: str) -> Any:
        return lambda message: self._invalid(message, name)

    def _invalid(self, message: str, name: str = "") -> None:
        self._errors[name] = message
        self.controller.hint.emit(message)

    def _on_param_changed(self, node_id: str, name: str) -> None:
        if node_id == self.node_id:
            self._load_values()

    def _on_node_removed(self, node: Any) -> None:
        if node.id == self.node_id:
            self.show_node(None)
