"""The editor of a search range (:class:`graphlab.core.fields.RangeField`): a distribution and its range.

``widget`` holds a distribution box (``kind_box``: the distributions the range's target takes,
:func:`graphlab.core.fields.range_kinds`), the two ends of a numeric range (``lo``, ``hi``:
:class:`~.editors.NumberEdit` s, stepped by ×10 on a log range) and, for ``choice``, one line of
values (``choices``: ``25, 50, 100`` or ``sgd, adam``; numbers, true/false, null and words). Switching
the distribution keeps what it can (the ends become the choices and back, whole numbers are rounded)
and sends the result; Enter or leaving a box sends the range. As with every editor of the form builder,
the field checks the value (the distribution, the ends against the target's own bounds) and a refused
one turns the editor red instead of being sent.
"""
from __future__ import annotations

import json
import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from ...core import fields as fl
from .editors import EDITORS, FieldEditor, NumberEdit, show_number

KIND_TEXT = {"log_uniform": "log-uniform", "uniform": "uniform", "int": "int", "int_log": "int (log)",
             "choice": "choice"}
KIND_HELP = {"log_uniform": "real numbers, uniform on a log scale (learning rates, L2: the course's choice)",
             "uniform": "real numbers, uniform", "int": "whole numbers, both ends included",
             "int_log": "whole numbers on a log scale (layer widths)", "choice": "one of the values listed"}


def choice_text(v: Any) -> str:
    """A choice as the line shows it: 25, 0.001, true, null, sgd ("a, b" quoted: it holds a comma)."""
    if v is None or isinstance(v, bool):
        return json.dumps(v)
    if isinstance(v, float):
        return show_number(v)
    if isinstance(v, str):
        try:
            json.loads(v)
        except ValueError:
            if "," not in v and v == v.strip() and v:
                return v
        return json.dumps(v)
    return str(v)


def parse_choices(text: str) -> list[Any]:
    """The values of a choice line: JSON scalars (25, 1e-3, true, null, "a, b") where they parse, words otherwise."""
    out: list[Any] = []
    for part in _split(text):
        part = part.strip()
        if not part:
            continue
        try:
            v = json.loads(part.replace("−", "-"))
        except ValueError:
            v = part
        out.append(v if v is None or isinstance(v, (bool, int, float, str)) else part)
    return out


def _split(text: str) -> list[str]:
    """Split at commas outside double quotes."""
    parts, cur, quoted = [], "", False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


class RangeEditor(FieldEditor):
    field: fl.RangeField

    def _build(self) -> QWidget:
        w = QWidget()
        lay = QHBoxLayout(w)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.kind_box = QComboBox()
        kinds = self.field.kinds or tuple(fl.RANGE_KINDS)
        for k in kinds:
            self.kind_box.addItem(KIND_TEXT[k], k)
            self.kind_box.setItemData(self.kind_box.count() - 1, KIND_HELP[k], Qt.ItemDataRole.ToolTipRole)
        self.kind_box.setMinimumWidth(90)
        self.lo = NumberEdit(fl.FloatField("lo", log=True), self._edited)
        self.hi = NumberEdit(fl.FloatField("hi", log=True), self._edited)
        for e, tip in ((self.lo, "the smallest value"), (self.hi, "the largest value")):
            e.setMinimumWidth(64)
            e.setPlaceholderText(tip)
            e.editingFinished.connect(self._edited)
        self.to = QLabel("to")
        self.choices = QLineEdit()
        self.choices.setPlaceholderText("values, e.g. 25, 50, 100")
        self.choices.setMinimumWidth(120)
        self.choices.editingFinished.connect(self._edited)
        lay.addWidget(self.kind_box)
        lay.addWidget(self.lo, 1)
        lay.addWidget(self.to)
        lay.addWidget(self.hi, 1)
        lay.addWidget(self.choices, 2)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self._arrange(self.kind())
        return w

    def inputs(self) -> list[QWidget]:
        return [self.kind_box, self.lo, self.hi, self.choices]

    def kind(self) -> str:
        return self.kind_box.currentData() or "choice"

    def _arrange(self, kind: str) -> None:
        numeric, _, log = fl.RANGE_KINDS[kind]
        self._arranged = kind
        for w in (self.lo, self.to, self.hi):
            w.setVisible(numeric)
        self.choices.setVisible(not numeric)
        for e in (self.lo, self.hi):
            e.field = fl.FloatField(e.field.name, log=log)

    # -- showing and reading ---------------------------------------------------------------------------
    def _display(self, value: Any) -> None:
        if not isinstance(value, dict) or len(value) != 1:
            return
        (kind, args), = value.items()
        i = self.kind_box.findData(kind)
        if i >= 0:
            self.kind_box.setCurrentIndex(i)
        self._arrange(self.kind())
        if kind == "choice" and isinstance(args, list):
            self.choices.setText(", ".join(choice_text(v) for v in args))
        elif isinstance(args, list) and len(args) == 2:
            self.lo.setText(show_number(args[0]))
            self.hi.setText(show_number(args[1]))

    def value(self) -> Any:
        kind = self.kind()
        if kind == "choice":
            return {"choice": parse_choices(self.choices.text())}
        whole = fl.RANGE_KINDS[kind][1]
        return {kind: [_number(self.lo.text(), whole), _number(self.hi.text(), whole)]}

    # -- edits -----------------------------------------------------------------------------------------
    def _edited(self) -> None:
        self.send()

    def _kind_changed(self, _i: int) -> None:
        """Another distribution: carry the values over as far as they go, and send."""
        kind = self.kind()
        numeric, whole, _ = fl.RANGE_KINDS[kind]
        was_choice = self._arranged == "choice"
        if numeric and was_choice:
            nums = [v for v in parse_choices(self.choices.text()) if fl.finite_number(v)]
            if nums:
                self.lo.setText(show_number(min(nums)))
                self.hi.setText(show_number(max(nums)))
        elif not numeric and not was_choice:
            ends = [_number(e.text(), False) for e in (self.lo, self.hi)]
            vals = [v for v in ends if isinstance(v, (int, float))]
            self.choices.setText(", ".join(choice_text(_whole_if(v)) for v in dict.fromkeys(vals)))
        if numeric and whole:
            for e in (self.lo, self.hi):
                v = _number(e.text(), False)
                if isinstance(v, float) and math.isfinite(v):
                    e.setText(str(round(v)))
        self._arrange(kind)
        self.send()




def _number(text: str, whole: bool) -> Any:
    t = text.strip().replace("−", "-")
    try:
        v = float(t)
    except ValueError:
        return t  # the field refuses it in its own words
    if whole and v.is_integer() and abs(v) <= fl.RANGE_INT_LIMIT:
        return int(v)
    return v


def _whole_if(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 1e15 else v


EDITORS[fl.RangeField] = RangeEditor
