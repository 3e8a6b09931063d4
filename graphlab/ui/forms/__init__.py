"""The one form builder: an editor per field class of the field language (:mod:`graphlab.core.fields`).

* :mod:`.editors` — :func:`make_editor` (field -> its editor), the editor classes, :func:`tooltip`;
* :mod:`.range_editor` — the editor of a search range (:class:`graphlab.core.fields.RangeField`);
* :mod:`.wheel` — a wheel over an unfocused spin box or combo box scrolls the form, changes nothing.

The inspector (layer parameters), the Training form (the training section), the stepper's settings
(the ``step`` section) and the Search dock (the ``search`` section) are four uses of it: each declares
its fields, lays the editors out, and turns an editor's ``on_change(key, value)`` into one undo command.
"""
from .editors import (
    EDITORS,
    ERROR_STYLE,
    BoolEditor,
    ChoiceEditor,
    FieldEditor,
    FloatEditor,
    IntEditor,
    LabelEditor,
    NumberEdit,
    PairEditor,
    ShapeEditor,
    SizeEditor,
    TextEditor,
    make_editor,
    show_number,
    tooltip,
)
from .range_editor import RangeEditor
from .wheel import guard_wheel

__all__ = ["EDITORS", "ERROR_STYLE", "BoolEditor", "ChoiceEditor", "FieldEditor", "FloatEditor", "IntEditor",
           "LabelEditor", "NumberEdit", "PairEditor", "RangeEditor", "ShapeEditor", "SizeEditor", "TextEditor", "guard_wheel",
           "make_editor", "show_number", "tooltip"]
