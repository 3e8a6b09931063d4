"""The Training form: generated from the schema, every field round-trips through the form, the file
(save and load) and undo; every change is one undo step that marks the file modified."""
from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit, QSpinBox

from graphlab.run.config import parse_training
from graphlab.run.schema import (
    FIELDS,
    GROUPS,
    VARIANT_NAMES,
    VARIANTS,
    Field,
    form_keys,
    variant_of,
)

from ...conftest import EXAMPLES
from .helpers import edit_field

SPIRAL = EXAMPLES / "spiral_two_layer.graphlab.json"


def other_value(f: Field) -> Any:
    """A valid value for the field that differs from its default."""
    if f.kind == "int":
        if f.special is not None:
            return 32
        base = f.default if isinstance(f.default, int) else int(f.lo or 0)
        return base + 3
    if f.kind == "float":
        if f.key == "test_fraction":  # with val_fraction's halfway value it must leave samples for training
            return 0.1
        if f.default is None:
            return 2.5
        if f.hi is not None and f.hi - f.default <= 10:  # a bounded knob (a share, a decay): halfway up
            return round((f.default + f.hi) / 2, 4) if f.default != f.hi else (f.lo or 0.0)
        return f.default * 10 if f.default else 0.5
    if f.kind == "bool":
        return not f.default
    if f.kind == "choice":
        return next(c for c in f.choices if c != f.default)
    if f.kind == "text":
        return "data/set.npz" if f.name == "path" else "folder" if f.name == "root" else f"{f.name}_arr"
    if f.kind == "label":
        return "class"
    if f.kind == "size":
        return [16, 12]
    raise AssertionError(f.kind)


def section_value(training: dict, key: str) -> Any:
    head, _, tail = key.partition(".")
    return training[head][tail] if tail else training[head]


def test_the_form_is_the_schema(make_window):
    """Every field the form should show has an editor whose range and choices are the parser's."""
    w = make_window(SPIRAL)
    form = w.training.ui.settings.form
    assert form_keys() and set(form.editors) == set(form_keys()) | {f"@{s}" for s in VARIANTS}
    for key, ed in form.editors.items():
        f = VARIANT_NAMES[key[1:]] if key.startswith("@") else FIELDS[key]
        assert ed.f is f
        if isinstance(ed.widget, QSpinBox):
            low = int(f.lo) - (1 if f.nullable or f.special else 0)
            assert ed.widget.minimum() == low, key
            if f.hi is not None:  # the box offers nothing the parser refuses (int32 caps the widest)
                assert ed.widget.maximum() == min(int(f.hi), 999_999_999), key
        if isinstance(ed.widget, QComboBox):
            offered = [ed.widget.itemData(i) for i in range(ed.widget.count())]
            assert offered == ([None] if f.nullable else []) + list(f.choices), key
    for section, variants in VARIANTS.items():
        for name, fields in variants.items():
            for f in fields:
                assert (section, name, f.key) in form.variant_editors
    assert not FIELDS["device"].form and "device" not in form.editors  # the Run toolbar's picker sets it
    assert [g for g, _ in GROUPS] == ["Data", "Optimizer", "Regularization", "Run"]


def test_every_plain_field_round_trips_through_save_load_and_undo(make_window, tmp_path):
    w = make_window(SPIRAL)
    original = json.loads(json.dumps(w.document.graph.training))
    keys = form_keys()
    done: list[tuple[str, Any]] = []
    for key in keys:
        f = FIELDS[key]
        v = other_value(f)
        n = w.undo_stack.count()
        edit_field(w, key, v)
        assert w.undo_stack.count() == n + 1, key  # one undo step
        assert section_value(w.document.graph.training, key) == v, key
        assert w.isWindowModified()
        done.append((key, v))
    cfg = parse_training(w.document.graph.training)  # everything the form wrote parses
    assert cfg.epochs == other_value(FIELDS["epochs"])
    path = tmp_path / "edited.graphlab.json"
    assert w.save_file(path) and not w.isWindowModified()
    saved = json.loads(path.read_text())["training"]
    w2 = make_window(path)
    form2 = w2.training.ui.settings.form
    for key, v in done:
        assert section_value(saved, key) == v, key
        assert form2.shown_value(key) == v, key  # the reopened file shows every value
    # undo, one step at a time, restores each previous value in the model and the form
    for key, v in reversed(done):
        w.undo_stack.undo()
        w.live.flush()
        f = FIELDS[key]
        head, _, tail = key.partition(".")
        before = original.get(head, {}).get(tail) if tail and isinstance(original.get(head), dict) else \
            original.get(head) if not tail else None
        shown = w.training.ui.settings.form.shown_value(key)
        expected = before if before is not None else (f.default if not f.required else None)
        assert shown == expected, (key, shown, expected)
    assert w.document.graph.training == original
    for _ in done:
        w.undo_stack.redo()
    w.live.flush()
    assert w.document.graph.training == saved


@pytest.mark.parametrize("section", list(VARIANTS))
def test_every_variant_and_its_fields_round_trip(make_window, tmp_path, section):
    w = make_window(SPIRAL)
    form = w.training.ui.settings.form
    for name, fields in VARIANTS[section].items():
        if form.shown_value(f"@{section}") != name:  # choosing what is shown changes nothing
            edit_field(w, f"@{section}", name)
        assert variant_of(w.document.graph.training, section) == name
        for f in fields:
            edit_field(w, f.key, other_value(f))
            assert w.document.graph.training[section][f.name] == other_value(f), f.key
        path = tmp_path / f"{section}-{name}.graphlab.json"
        assert w.save_file(path)
        w2 = make_window(path)
        f2 = w2.training.ui.settings.form
        assert f2.shown_value(f"@{section}") == name
        for f in fields:
            assert f2.shown_value(f.key) == other_value(f), f.key
            assert f2.editor_for(f.key).widget.isVisibleTo(f2)
        hidden = [ed for (s, v, _k), ed in f2.variant_editors.items() if s == section and v != name]
        assert all(not ed.widget.isVisibleTo(f2) for ed in hidden)  # only the chosen variant's rows show
        w2.close()
    n = w.undo_stack.count()
    w.undo_stack.undo()  # the last field edit
    w.live.flush()
    assert w.undo_stack.count() == n and w.undo_stack.index() == n - 1
    assert form.shown_value(f"@{section}") == list(VARIANTS[section])[-1]


def test_switching_optimizer_keeps_the_learning_rate(make_window):
    w = make_window(SPIRAL)
    edit_field(w, "@optimizer", "adam")
    assert w.document.graph.training["optimizer"] == {"name": "adam", "lr": 1.0}
    form = w.training.ui.settings.form
    assert form.shown_value("optimizer.beta2") == 0.999


def test_spin_box_changes_merge_into_one_undo_step(make_window):
    w = make_window(SPIRAL)
    n = w.undo_stack.count()
    box = w.training.ui.settings.form.editors["epochs"].widget
    for v in (11, 12, 13):
        box.setValue(v)  # as holding the arrow key does
    w.live.flush()
    assert w.undo_stack.count() == n + 1 and w.document.graph.training["epochs"] == 13
    w.undo_stack.undo()
    w.live.flush()
    assert w.document.graph.training["epochs"] == 10_000 and box.value() == 10_000


def test_a_refused_value_changes_nothing_and_says_why(make_window):
    w = make_window(SPIRAL)
    n = w.undo_stack.count()
    ed = w.training.ui.settings.form.editors["optimizer.lr"]
    assert isinstance(ed.widget, QLineEdit)
    ed.widget.setText("-1")
    ed.widget.editingFinished.emit()
    assert w.undo_stack.count() == n and w.document.graph.training["optimizer"]["lr"] == 1.0
    assert "training.optimizer.lr: must be > 0" in w.statusBar().currentMessage()
    assert "must be > 0" in ed.widget.toolTip()
    edit_field(w, "optimizer.lr", 0.5)  # a good value clears the mark
    assert w.document.graph.training["optimizer"]["lr"] == 0.5 and "must be" not in ed.widget.toolTip()


def test_a_bad_section_in_the_file_is_shown_on_its_field(make_window, tmp_path):
    doc = json.loads(SPIRAL.read_text())
    doc["training"]["optimizer"] = {"name": "sgd", "lr": -3}
    path = tmp_path / "bad.graphlab.json"
    path.write_text(json.dumps(doc))
    w = make_window(path)
    form = w.training.ui.settings.form
    assert form.error.isVisibleTo(form) and "training.optimizer.lr: must be > 0" in form.error.text()
    assert "must be > 0" in form.editors["optimizer.lr"].widget.toolTip()
    assert not w.findChild(type(w.training.ui.controls.actions["train"]), "action_train").isEnabled()
    lines = [w.problems.item(i).text() for i in range(w.problems.count())]
    assert any("training.optimizer.lr" in t and "must be > 0" in t for t in lines)
