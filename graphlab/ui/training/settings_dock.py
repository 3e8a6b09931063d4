"""The Training dock (objectName ``training``): the settings form and the dataset preview.

*Settings*: :class:`.settings_form.SettingsForm`, generated from the training section's schema.
Each edit is one :class:`.commands.SetTrainingCommand` on the document's undo stack (so it marks the
file modified and is saved in the file's ``training`` section); the form follows the document — an
edit, an undo, another file.

*Dataset*: a :class:`graphlab.ui.views.DatasetPreview` of the configured dataset (2-D points by
class, a grid of images, a few sequences; the sample shape and class counts), built on the editor's
worker (key ``"preview"``) when the tab is shown and after the dataset settings change.
"""
from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from ...run.schema import form_values, with_value, with_variant
from ..document import Document
from ..shell import Shell
from .commands import SetTrainingCommand
from .preflight import preview_job
from .settings_form import SettingsForm

PREVIEW = "preview"


class TrainingSettingsPanel(QWidget):
    def __init__(self, document: Document, shell: Shell) -> None:
        super().__init__()
        from ..views import DatasetPreview

        self.document, self.shell = document, shell
        self.form = SettingsForm()
        self.form.edited.connect(self._edited)
        self.form.refused.connect(shell.show_hint)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.preview = DatasetPreview()
        self.preview_status = QLabel("")
        self.preview_status.setObjectName("dataset_status")
        self.preview_status.setWordWrap(True)
        page = QWidget()
        lay = QVBoxLayout(page)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.preview_status)
        lay.addWidget(self.preview, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(scroll, "Settings")
        self.tabs.addTab(page, "Dataset")
        self.tabs.currentChanged.connect(self._tab_changed)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.tabs)
        self._shown: Any = object()
        self._preview_key: Any = None
        self._preview_gen = -1
        self.preview_data: dict[str, Any] | None = None
        shell.worker.done.connect(self._worker_done)
        document.training_changed.connect(self.document_edited)
        document.replaced.connect(self.document_edited)
        self.document_edited()

    # -- document -> form -------------------------------------------------------------------------------
    def document_edited(self) -> None:
        t = self.document.graph.training
        key = (id(self.document.graph), json.dumps(t, sort_keys=True, default=str))
        if key == self._shown:
            return
        self._shown = key
        values, error = form_values(t)
        self.form.show_values(values, error)
        if self.preview_visible():
            self.request_preview()

    # -- form -> document (one undo step per edit) -------------------------------------------------------
    def _edited(self, key: str, value: Any) -> None:
        g = self.document.graph
        new = with_variant(g.training, key[1:], value) if key.startswith("@") else with_value(g.training, key, value)
        if new == g.training:
            return
        self.document.undo_stack.push(SetTrainingCommand(g, new, key))

    # -- dataset preview ----------------------------------------------------------------------------------
    def preview_visible(self) -> bool:
        return self.tabs.currentIndex() == 1 and self.isVisible()

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self.request_preview()

    def request_preview(self) -> None:
        t = self.document.graph.training
        section = {k: t.get(k) for k in ("dataset",) if isinstance(t, dict)}
        base = str(self.document.base_dir())
        key = (json.dumps(section, sort_keys=True, default=str), base)
        if key == self._preview_key:
            return
        self._preview_key = key
        self.preview_status.setText("building the dataset…")
        self._preview_gen = self.shell.worker.submit(PREVIEW, preview_job, dict(t) if isinstance(t, dict) else {},
                                                     base, needs_torch=True)

    def _worker_done(self, key: str, gen: int, result: Any) -> None:
        if key == PREVIEW and gen == self._preview_gen:
            self._previewed(result)

    def _previewed(self, result: Any) -> None:
        if isinstance(result, str):
            self.preview_data = None
            self.preview.clear()
            self.preview_status.setText(result)
            return
        self.preview_data = result
        self.preview_status.setText(f"{result['name']}: {result['task']}")
        kind = result["kind"]
        names = result.get("class_names") or None
        cls = result["task"] == "classification"
        if kind == "points":
            self.preview.show_points(result["x"], result["y"] if cls else None, names)
        elif kind == "images":
            self.preview.show_images(result["x"], result["y"] if cls else None, names)
        elif kind == "sequences":
            self.preview.show_sequences(result["x"], result["y"])
        else:
            self.preview.clear()
        self.preview.info.setText(result["info"])
