"""The stepper dock (objectName "stepper" on its QDockWidget): controls, settings, the current node.

From the top: buttons mirroring the Debug menu's actions (Restart, Step back, Step, Run to, Check
gradients); where the walk stands ("forward 3/11: conv1"); a message line (where the inputs came
from, "the graph changed: the walk restarts at the next step", errors in the error colour); the
settings (:class:`~.inputs_panel.InputsPanel`, collapsible); then the current node
(:class:`~.node_view.NodeView`, built when the first step arrives so that opening the editor loads
neither numpy nor pyqtgraph).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from ..scene.style import make_style
from .inputs_panel import InputsPanel

if TYPE_CHECKING:
    from .frames import Frame
    from .node_view import NodeView

HINT = ("Step through the forward and backward pass one node at a time: F10 steps, Shift+F10 steps back, "
        "Ctrl+F10 runs to the selected node (or to the end).")


class StepperDock(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepper_panel")
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.setSpacing(2)
        self.position = QLabel("")
        self.position.setObjectName("step_position")
        f = QFont(self.position.font())
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.1)
        self.position.setFont(f)
        self.message = QLabel(HINT)
        self.message.setObjectName("step_message")
        self.message.setWordWrap(True)
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.settings_toggle = QToolButton()
        self.settings_toggle.setObjectName("step_settings_toggle")
        self.settings_toggle.setText("Inputs, weights and mode")
        self.settings_toggle.setCheckable(True)
        self.settings_toggle.setChecked(True)
        self.settings_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.settings_toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.settings_toggle.setAutoRaise(True)
        self.settings = InputsPanel()
        self.settings_toggle.toggled.connect(self._toggle_settings)
        self.placeholder = QLabel("")
        self._node_view: NodeView | None = None

        self.lay = QVBoxLayout(self)
        self.lay.setContentsMargins(4, 4, 4, 4)
        self.lay.setSpacing(4)
        self.lay.addLayout(self.buttons)
        self.lay.addWidget(self.position)
        self.lay.addWidget(self.message)
        self.lay.addWidget(self.settings_toggle)
        self.lay.addWidget(self.settings)
        self.lay.addWidget(self.placeholder, 1)

    def add_buttons(self, actions: list[QAction]) -> None:
        for a in actions:
            b = QToolButton()
            b.setDefaultAction(a)
            b.setObjectName(f"button_{a.objectName().removeprefix('action_')}")
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.buttons.addWidget(b)
        self.buttons.addStretch(1)

    @property
    def node_view(self) -> NodeView:
        """The current node's views (created on first use)."""
        if self._node_view is None:
            from .node_view import NodeView

            self._node_view = NodeView()
            self.lay.replaceWidget(self.placeholder, self._node_view)
            self.placeholder.deleteLater()
            self.lay.setStretchFactor(self._node_view, 1)
        return self._node_view

    def has_node_view(self) -> bool:
        return self._node_view is not None

    def show_frame(self, frame: Frame) -> None:
        self.position.setText(frame.label())
        if frame.node is not None or self._node_view is not None:
            self.node_view.show_node(frame.node)

    def set_position(self, text: str) -> None:
        self.position.setText(text)

    def set_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {make_style(self.palette()).error.name()}" if error else "")

    def _toggle_settings(self, on: bool) -> None:
        self.settings.setVisible(on)
        self.settings_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

