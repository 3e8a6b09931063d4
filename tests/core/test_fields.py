"""The field language (graphlab.core.fields): each class's coerce, range words and errors, and the three
users that keep their own error types (layer params, the training section, the step section)."""
from __future__ import annotations

import pytest

from graphlab.core import ParamError
from graphlab.core import fields as fl
from graphlab.core.fields import FieldError
from graphlab.core.spec import Param
from graphlab.run.schema import FIELDS, ConfigError, check_int
from graphlab.step.config import FIELDS as STEP_FIELDS
from graphlab.step.config import StepConfigError


@pytest.mark.parametrize("field, value, out", [
    (fl.IntField("n", lo=1), 3, 3),
    (fl.IntField("n", lo=1), 3.0, 3),
    (fl.IntField("n", special="full"), "full", "full"),
    (fl.IntField("n", nullable=True), None, None),
    (fl.FloatField("x", lo=0.0, lo_open=True), 1, 1.0),
    (fl.BoolField("b"), False, False),
    (fl.ChoiceField("c", choices=("a", "b")), "b", "b"),
    (fl.ChoiceField("c", choices=(1, 2)), 2, 2),
    (fl.PairField("k", lo=1), 3, (3, 3)),
    (fl.PairField("k", lo=1), [2, 5], (2, 5)),
    (fl.PairField("k", nullable=True), None, None),
    (fl.ShapeField("s"), [1, 28, 28], (1, 28, 28)),
    (fl.TextField("t"), "x.npz", "x.npz"),
    (fl.SizeField("z"), [16, 12], [16, 12]),
    (fl.LabelField("l"), -1, -1),
    (fl.LabelField("l"), "class", "class"),
    (fl.NumbersField("v", shape=(2, 2)), [[1, 2], [3, 4]], (1.0, 2.0, 3.0, 4.0)),
    (fl.NumbersField("v", shape=(1,)), -2, (-2.0,)),
])
def test_coerce_normalises(field, value, out):
    got = field.coerce(value)
    assert got == out and type(got) is type(out)


@pytest.mark.parametrize("field, value, words", [
    (fl.IntField("n"), "3", "must be an integer, got '3'"),
    (fl.IntField("n"), True, "must be an integer"),
    (fl.IntField("n"), 2.5, "must be a whole number, got 2.5"),
    (fl.IntField("n"), 1e300, "must be a whole number"),  # an int-valued float too large to be meant as one
    (fl.IntField("n", lo=1, hi=10_000), 0, "must be >= 1 and <= 10,000, got 0"),
    (fl.IntField("n", lo=1, special="full"), "big", 'must be a whole number >= 1 or "full", got \'big\''),
    (fl.FloatField("x", lo=0.0, hi=1.0, hi_open=True), 1.0, "must be >= 0 and < 1, got 1.0"),
    (fl.FloatField("x"), float("nan"), "must be a finite number"),
    (fl.FloatField("x"), 10 ** 400, "must be a finite number"),
    (fl.BoolField("b"), 0, "must be true or false, got 0"),
    (fl.ChoiceField("c", choices=("a", "b")), "z", "must be one of a, b; got 'z'"),
    (fl.ChoiceField("c", choices=(1, 2)), True, "must be one of 1, 2; got True"),
    (fl.PairField("k", lo=1), [2, 0], "must be >= 1 in each entry, got 0"),
    (fl.PairField("k"), [2], "must be an integer or [h, w]"),
    (fl.ShapeField("s"), [], "must be a non-empty list of positive integers"),
    (fl.ShapeField("s"), [1, -2], "must hold positive integers"),
    (fl.TextField("t"), "", "must be a non-empty string"),
    (fl.TextField("t"), "a\x00b", "must not contain a NUL character"),
    (fl.SizeField("z", max_side=64), [65, 3], "must be [height, width] (1 to 64 each), got [65, 3]"),
    (fl.LabelField("l"), 1.5, "must be a column name or index"),
    (fl.NumbersField("v", shape=(2,)), [1], "must be 2 numbers (shape [2]), got [1]"),
    (fl.NumbersField("v"), [1, float("inf")], "must hold finite numbers"),
])
def test_a_refusal_is_one_field_error_naming_the_field(field, value, words):
    with pytest.raises(FieldError) as ei:
        field.coerce(value)
    e = ei.value
    assert isinstance(e, ValueError) and e.path == field.name and str(e) == f"{field.name}: {e.reason}"
    assert words in e.reason and "\n" not in str(e)


def test_null_only_where_the_field_allows_it():
    with pytest.raises(FieldError, match="must be an integer, got None"):
        fl.IntField("n").coerce(None)
    assert fl.IntField("n", nullable=True, null_text="auto").coerce(None) is None


def test_range_words_for_help():
    assert fl.FloatField("x", lo=0.0, hi=1.0, hi_open=True).range_text() == "0 ≤ x < 1"
    assert fl.FloatField("x", lo=0.0, lo_open=True).range_text() == "> 0"
    assert fl.IntField("n", hi=1_000_000_000).range_text() == "≤ 1,000,000,000"
    assert fl.IntField("n").range_text() == ""
    assert fl.ChoiceField("c", choices=("sgd", "adam")).range_text() == "one of sgd, adam"
    assert fl.SizeField("s").range_text() == "[height, width], 1 to 4096 each"


def test_each_user_keeps_its_error_type_and_wording():
    with pytest.raises(ParamError) as pe:
        Param("out_channels", "int", 8, "filters", min=1).coerce(0)
    assert isinstance(pe.value, FieldError) and pe.value.name == "out_channels"
    assert str(pe.value) == "'out_channels' must be >= 1, got 0"
    with pytest.raises(ConfigError) as ce:
        FIELDS["epochs"].check(0)
    assert isinstance(ce.value, FieldError) and ce.value.field == ce.value.path == "training.epochs"
    assert str(ce.value).startswith("training.epochs: must be >= 1")
    with pytest.raises(ConfigError, match=r"^--epochs: must be >= 1"):
        check_int(0, "--epochs", lo=1)
    with pytest.raises(StepConfigError) as se:
        STEP_FIELDS["batch"].coerce(0)
    assert isinstance(se.value, FieldError) and str(se.value).startswith("step.batch: must be >= 1")


def test_declarations_make_fields_of_the_language():
    p = Param("stride", "pair_or_none", None, "step", min=1)
    assert isinstance(p.field, fl.PairField) and p.field.nullable and p.kind == "pair_or_none"
    assert isinstance(Param("eps", "float", 1e-5, "", min=0.0, min_exclusive=True, log=True).field, fl.FloatField)
    lr = FIELDS["optimizer.lr"].field
    assert isinstance(lr, fl.FloatField) and lr.log and lr.lo == 0.0 and lr.lo_open and lr.label == "learning rate"
    assert {k: type(f) for k, f in fl.KINDS.items()}.keys() >= {"int", "float", "bool", "choice", "pair", "shape",
                                                                 "text", "size", "label", "numbers"}


# -- search ranges ------------------------------------------------------------------------------------

LR = fl.FloatField("lr", lo=0.0, lo_open=True, log=True, path="training.optimizer.lr")
WIDTH = fl.IntField("out_features", lo=1, path="fc1.out_features")


@pytest.mark.parametrize("target, kinds", [
    (LR, ("log_uniform", "uniform", "choice")),
    (fl.FloatField("p", lo=0.0, hi=1.0), ("uniform", "log_uniform", "choice")),
    (WIDTH, ("int", "int_log", "choice")),
    (fl.BoolField("bias"), ("choice",)),
    (fl.ChoiceField("c", choices=("a", "b")), ("choice",)),
    (fl.PairField("k", lo=1), ("choice",)),
    (fl.ShapeField("s"), ()),
    (fl.TextField("t"), ()),
])
def test_a_range_offers_the_distributions_its_target_takes(target, kinds):
    assert fl.range_kinds(target) == kinds
    assert fl.RangeField("r", target=target).kinds == kinds


@pytest.mark.parametrize("target, value, out", [
    (None, {"log_uniform": [1e-4, 0.1]}, {"log_uniform": [1e-4, 0.1]}),
    (None, {"uniform": [0, 1]}, {"uniform": [0, 1]}),  # ends as written: an int stays an int
    (None, {"int": [8.0, 64]}, {"int": [8, 64]}),
    (None, {"choice": ["a", 1, True, None]}, {"choice": ["a", 1, True, None]}),
    (LR, {"log_uniform": [1e-4, 1]}, {"log_uniform": [1e-4, 1]}),
    (WIDTH, {"choice": [25, 50]}, {"choice": [25, 50]}),
])
def test_a_range_coerces(target, value, out):
    got = fl.RangeField("r", target=target).coerce(value)
    assert got == out and [type(v) for v in next(iter(got.values()))] == [type(v) for v in next(iter(out.values()))]


@pytest.mark.parametrize("target, value, words", [
    (None, [1, 2], "must be one distribution such as"),
    (None, {"uniform": [0, 1], "int": [0, 1]}, "an object with 2 keys"),
    (None, {"normal": [0, 1]}, "unknown distribution 'normal'"),
    (None, {"uniform": [0.5]}, "uniform takes [lo, hi]"),
    (None, {"uniform": [0.5, "x"]}, "must be a finite number, got 'x'"),
    (None, {"int": [1.5, 3]}, "must be a whole number"),
    (None, {"uniform": [2, 1]}, "uniform [2, 1] is an empty range (lo > hi)"),
    (None, {"log_uniform": [0, 1]}, "is a log range through 0 or below"),
    (None, {"choice": []}, "choice takes a non-empty list"),
    (None, {"choice": [1, 1]}, "choice lists 1 twice"),
    (None, {"choice": [[1]]}, "a choice must be a number, a string, true/false or null"),
    (LR, {"uniform": [-1, 0.1]}, "-1 is not a value of training.optimizer.lr (must be > 0, got -1)"),
    (LR, {"int": [1, 3]}, "training.optimizer.lr is a real number: use uniform or log_uniform, not int"),
    (WIDTH, {"uniform": [1, 3]}, "fc1.out_features is a whole number: use int or int_log, not uniform"),
    (WIDTH, {"int": [0, 3]}, "0 is not a value of fc1.out_features"),
    (fl.BoolField("bias", path="fc1.bias"), {"uniform": [0, 1]}, "fc1.bias is not a number: list its values with choice"),
    (fl.ShapeField("shape", path="x.shape"), {"choice": [[2]]}, "a choice must be"),
    (fl.ShapeField("shape", path="x.shape"), {"choice": [2]}, "x.shape (shape) cannot be searched"),
])
def test_a_bad_range_is_one_line_naming_the_field(target, value, words):
    f = fl.RangeField("r", path='search.space."k"', target=target)
    with pytest.raises(FieldError) as e:
        f.coerce(value)
    assert words in str(e.value) and "\n" not in str(e.value)
    assert str(e.value).startswith('search.space."k": ')
