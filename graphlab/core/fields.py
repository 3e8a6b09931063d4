"""The field language: one class per kind of value a user or a file sets, with its check and its words.

Layer parameters (:class:`graphlab.core.spec.Param`), the training section
(:mod:`graphlab.run.schema`), the stepper's configuration (:mod:`graphlab.step.config`) and, later,
search ranges declare their values with these classes, and the editor builds one editor per class
(:mod:`graphlab.ui.forms`). Pure Python: no Qt, no torch.

Every field has

* ``name`` (its key in its section), ``default``, ``help``, ``label`` (what a form shows; the name
  when empty) and ``path`` (how messages name it: ``training.optimizer.lr``; the name when empty);
* ``nullable`` and ``null_text``: null is allowed and means ``null_text`` ("off", "same as kernel_size");
* ``required``: the section must give a value (there is no default);
* ``coerce(value)``: the value normalised (ints stay ints, floats become floats, pairs tuples), or a
  :class:`FieldError` whose one-line message names the field;
* ``range_text()``: the allowed values in words, for help texts ("0 ≤ x < 1", "one of a, b").

Numeric kinds (:class:`IntField`, :class:`FloatField`, :class:`PairField`) have bounds ``lo``/``hi``,
each closed unless ``lo_open``/``hi_open``. :class:`FloatField` has ``log``: edited by factors of ten.

Search ranges (the ``search`` section) are :class:`RangeField` values over these fields: one
distribution, ``{"log_uniform": [lo, hi]}`` … or ``{"choice": [v, ...]}`` (:data:`RANGE_KINDS`). A
range on a ``target`` field takes the distributions :func:`range_kinds` allows for it (whole-number
fields ``int``/``int_log``, real ones ``log_uniform``/``uniform`` — log first where the target has
``log`` —, every searchable kind ``choice``) and coerces each end, and each choice, through the
target's own ``coerce`` (a range on the learning rate refuses 0 with the learning rate's own words).
Its editor is one more editor class.

Errors: :class:`FieldError` (a ``ValueError``) carries ``path`` and ``reason`` ("must be > 0, got -1").
A field raises through its ``raises`` hook, ``raises(path, reason) -> FieldError``, so each user of the
language keeps its own error type and wording of the subject: layer parameters raise
:class:`~graphlab.core.spec.ParamError` (``'p' must be ...``), the training section
:class:`~graphlab.run.schema.ConfigError` (``training.epochs: must be ...``), both subclasses of
:class:`FieldError`.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .text import finite_number, show_value

#: a float that is a whole number converts to int only up to this: beyond 2**53 floats are no longer exact
#: integers, and no one typed 1e308 meaning a 309-digit integer
INT_FLOAT_LIMIT = 2 ** 53


class FieldError(ValueError):
    """A value a field refuses. ``path`` names the field, ``reason`` says what is wrong (no subject);
    ``str(e)`` is the whole one-line message (``path: reason`` unless ``message`` is given)."""

    def __init__(self, path: str, reason: str, message: str | None = None) -> None:
        super().__init__(message if message is not None else f"{path}: {reason}")
        self.path = path
        self.reason = reason


ErrorMaker = Callable[[str, str], FieldError]


def _show(value: Any) -> str:
    return show_value(value, 40)


def number_text(v: float | int) -> str:
    """A bound as messages write it: 0, 1e-08, 0.5, 1,000,000,000."""
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if isinstance(v, float) and v.is_integer() and abs(v) >= 10_000 and abs(v) < 1e16:
        return f"{int(v):,}"
    return f"{v:g}"


@dataclass(frozen=True)
class Field:
    """The common part of every field; see the module docstring."""

    kind: ClassVar[str] = ""
    name: str
    default: Any = None
    help: str = ""
    label: str = ""
    nullable: bool = False
    null_text: str = ""
    required: bool = False
    path: str = ""
    raises: ErrorMaker = field(default=FieldError, compare=False, repr=False)

    @property
    def where(self) -> str:
        """How messages name the field: its path, or its name."""
        return self.path or self.name

    @property
    def title(self) -> str:
        """What a form's row says: the label, or the name."""
        return self.label or self.name

    def error(self, reason: str) -> FieldError:
        """The error this field raises for ``reason`` ("must be > 0, got -1")."""
        return self.raises(self.where, reason)

    def coerce(self, value: Any) -> Any:
        """The value, normalised; raises the field's error (a :class:`FieldError`) otherwise."""
        if value is None and self.nullable:
            return None
        return self._coerce(value)

    def _coerce(self, value: Any) -> Any:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def range_text(self) -> str:
        """The allowed values in words, for help texts ("" when any value of the kind will do)."""
        return ""


@dataclass(frozen=True)
class Bounded(Field):
    """A numeric field with optional bounds (closed unless ``lo_open``/``hi_open``)."""

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def range_text(self) -> str:
        """"0 ≤ x < 1", "> 0", "≤ 4,096" or ""."""
        lo = None if self.lo is None else f"{number_text(self.lo)} {'<' if self.lo_open else '≤'} "
        hi = None if self.hi is None else f" {'<' if self.hi_open else '≤'} {number_text(self.hi)}"
        if lo and hi:
            return f"{lo}x{hi}"
        if self.lo is not None:
            return f"{'>' if self.lo_open else '≥'} {number_text(self.lo)}"
        if self.hi is not None:
            return f"{'<' if self.hi_open else '≤'} {number_text(self.hi)}"
        return ""

    def bounds_text(self) -> str:
        """The bounds as an error message says them, as typed on a keyboard: ">= 0 and < 1"."""
        lo = "" if self.lo is None else f"{'>' if self.lo_open else '>='} {number_text(self.lo)}"
        hi = "" if self.hi is None else f"{'<' if self.hi_open else '<='} {number_text(self.hi)}"
        return " and ".join(p for p in (lo, hi) if p)

    def inside(self, v: float) -> bool:
        lo, hi = self.lo, self.hi
        return not ((lo is not None and (v <= lo if self.lo_open else v < lo))
                    or (hi is not None and (v >= hi if self.hi_open else v > hi)))

    def _check_range(self, v: float, shown: Any, each: bool = False) -> None:
        if not self.inside(v):
            raise self.error(f"must be {self.bounds_text()}{' in each entry' if each else ''}, got {_show(shown)}")


def _whole(value: Any) -> int | None:
    """``value`` as an int when it is one (an int, or a float that is a whole number of sane size)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) <= INT_FLOAT_LIMIT:
        return int(value)
    return None


@dataclass(frozen=True)
class IntField(Bounded):
    """A whole number. ``special``: one string also allowed (``batch_size: "full"``)."""

    kind: ClassVar[str] = "int"
    special: str | None = None

    def _coerce(self, value: Any) -> Any:
        if self.special is not None and isinstance(value, str):
            if value == self.special:
                return value
            lo = "" if self.lo is None else f" >= {number_text(self.lo)}"
            raise self.error(f'must be a whole number{lo} or "{self.special}", got {_show(value)}')
        v = _whole(value)
        if v is None:
            if isinstance(value, float):
                raise self.error(f"must be a whole number, got {_show(value)}")
            raise self.error(f"must be an integer, got {_show(value)}")
        self._check_range(v, value)
        return v


@dataclass(frozen=True)
class FloatField(Bounded):
    """A finite number. ``log``: its scale is logarithmic (learning rates): edited by factors of ten."""

    kind: ClassVar[str] = "float"
    log: bool = False

    def _coerce(self, value: Any) -> Any:
        if not finite_number(value):  # also an int too large for a float: never an OverflowError
            raise self.error(f"must be a finite number, got {_show(value)}")
        self._check_range(value, value)
        return float(value)


@dataclass(frozen=True)
class BoolField(Field):
    kind: ClassVar[str] = "bool"

    def _coerce(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise self.error(f"must be true or false, got {_show(value)}")
        return value


@dataclass(frozen=True)
class ChoiceField(Field):
    """One of ``choices``; ``choice_text`` is what a form shows for each (the choice itself when not
    given), ``choice_help`` a line of help for each."""

    kind: ClassVar[str] = "choice"
    choices: tuple[Any, ...] = ()
    choice_text: tuple[str, ...] = ()
    choice_help: tuple[str, ...] = ()

    def text_of(self, i: int) -> str:
        return self.choice_text[i] if i < len(self.choice_text) else str(self.choices[i])

    def range_text(self) -> str:
        return "one of " + ", ".join(str(c) for c in self.choices)

    def _coerce(self, value: Any) -> Any:
        ok = any(value == c and isinstance(value, bool) == isinstance(c, bool)
                 and isinstance(value, str) == isinstance(c, str) for c in self.choices)
        if not ok:
            raise self.error(f"must be one of {', '.join(str(c) for c in self.choices)}; got {_show(value)}")
        return value


@dataclass(frozen=True)
class PairField(Bounded):
    """An int for both, or ``[h, w]``; the bounds hold for each entry. Coerces to a tuple. Nullable
    pairs mean something else when null ("same as kernel_size")."""

    kind: ClassVar[str] = "pair"

    def _coerce(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)) and len(value) == 2:
            items = tuple(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            items = (value, value)
        else:
            raise self.error(f"must be an integer or [h, w], got {_show(value)}")
        for v in items:
            if isinstance(v, bool) or not isinstance(v, int):
                raise self.error(f"must hold integers, got {_show(value)}")
            self._check_range(v, v, each=True)
        return items


@dataclass(frozen=True)
class ShapeField(Field):
    """A non-empty list of positive ints (a tensor's shape per sample). Coerces to a tuple."""

    kind: ClassVar[str] = "shape"

    def range_text(self) -> str:
        return "positive integers, e.g. 1, 28, 28"

    def _coerce(self, value: Any) -> Any:
        if not isinstance(value, (list, tuple)) or not value:
            raise self.error(f"must be a non-empty list of positive integers, got {_show(value)}")
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise self.error(f"must hold positive integers, got {_show(value)}")
        return tuple(value)


@dataclass(frozen=True)
class TextField(Field):
    """A non-empty string without NUL characters (a path, an array's name)."""

    kind: ClassVar[str] = "text"

    def _coerce(self, value: Any) -> Any:
        if not isinstance(value, str) or not value:
            raise self.error(f"must be a non-empty string, got {_show(value)}")
        if "\x00" in value:
            raise self.error("must not contain a NUL character")
        return value


@dataclass(frozen=True)
class SizeField(Field):
    """An image size ``[height, width]``, each from 1 to ``max_side``. Coerces to a list."""

    kind: ClassVar[str] = "size"
    max_side: int = 4096

    def range_text(self) -> str:
        return f"[height, width], 1 to {number_text(self.max_side)} each"

    def _coerce(self, value: Any) -> Any:
        if not (isinstance(value, (list, tuple)) and len(value) == 2
                and all(isinstance(i, int) and not isinstance(i, bool) and 0 < i <= self.max_side for i in value)):
            null = " or null" if self.nullable else ""
            raise self.error(f"must be [height, width] (1 to {self.max_side} each){null}, got {_show(value)}")
        return list(value)


@dataclass(frozen=True)
class LabelField(Field):
    """A CSV column: its name, or its index (negative from the end)."""

    kind: ClassVar[str] = "label"

    def range_text(self) -> str:
        return "a column name, or its index (-1 = the last)"

    def _coerce(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.error(f"must be a column name or index, got {_show(value)}")
        return value


@dataclass(frozen=True)
class NumbersField(Field):
    """Finite numbers: one tensor's values in C order (the stepper's typed inputs). With ``shape``,
    exactly that many, given flat or nested as the shape; a lone number stands for a list of one.
    Coerces to a flat tuple of floats."""

    kind: ClassVar[str] = "numbers"
    shape: tuple[int, ...] | None = None

    @property
    def count(self) -> int | None:
        return None if self.shape is None else math.prod(self.shape)

    def range_text(self) -> str:
        n = self.count
        return "finite numbers" if n is None else f"{n} finite number{'s' if n != 1 else ''}"

    def _coerce(self, value: Any) -> Any:
        flat = _flatten(value, self.shape)
        if flat is None:
            want = "a list of numbers" if self.shape is None else \
                f"{self.count} number{'s' if self.count != 1 else ''} (shape [{', '.join(map(str, self.shape))}])"
            raise self.error(f"must be {want}, got {_show(value)}")
        for v in flat:
            if not finite_number(v):
                raise self.error(f"must hold finite numbers, got {_show(v)}")
        return tuple(float(v) for v in flat)


def _flatten(value: Any, shape: tuple[int, ...] | None) -> list[Any] | None:
    """The values of a flat list, a nested list of ``shape`` or a lone number; None when it is none."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value] if shape is None or math.prod(shape) == 1 else None
    if not isinstance(value, (list, tuple)) or not value:
        return None
    if all(not isinstance(v, (list, tuple)) for v in value):
        if shape is not None and len(value) != math.prod(shape):
            return None
        return list(value)
    if shape is None or len(shape) < 2 or len(value) != shape[0]:
        return None
    out: list[Any] = []
    for part in value:
        sub = _flatten(part, shape[1:])
        if sub is None:
            return None
        out.extend(sub)
    return out


# -- search ranges -------------------------------------------------------------------------------------

#: the distributions of a search range: name -> (numeric, whole numbers, log scale)
RANGE_KINDS: dict[str, tuple[bool, bool, bool]] = {
    "log_uniform": (True, False, True), "uniform": (True, False, False),
    "int": (True, True, False), "int_log": (True, True, True), "choice": (False, False, False)}
#: the most values a choice range lists
MAX_CHOICES = 1000
#: the ends of a whole-number range stay within ±2**53 (exact as floats, as Optuna stores them)
RANGE_INT_LIMIT = 2 ** 53
_EXAMPLE = '{"log_uniform": [1e-4, 0.1]}'


def range_kinds(target: Field) -> tuple[str, ...]:
    """The distributions a range on ``target`` takes, the one a form offers first in front: whole numbers
    ``int``/``int_log``, real numbers ``log_uniform``/``uniform`` (log first when the field is edited by
    factors of ten), anything else searchable ``choice``; shapes, texts, sizes, labels and tensors none."""
    if isinstance(target, (ShapeField, TextField, SizeField, LabelField, NumbersField)):
        return ()
    if isinstance(target, IntField):
        return ("int", "int_log", "choice")
    if isinstance(target, FloatField):
        return ("log_uniform", "uniform", "choice") if target.log else ("uniform", "log_uniform", "choice")
    return ("choice",)


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


@dataclass(frozen=True)
class RangeField(Field):
    """One search range: ``{"log_uniform": [lo, hi]}``, ``{"uniform": [lo, hi]}`` (finite numbers),
    ``{"int": [lo, hi]}``, ``{"int_log": [lo, hi]}`` (whole numbers, both ends included) or
    ``{"choice": [v, ...]}`` (numbers, strings, true/false, null; each once). ``lo > hi`` is an empty
    range; a log range must stay above 0. With a ``target`` (named ``target_path`` in messages) the
    range must be one :func:`range_kinds` allows and every end and choice a value of the target.
    Coerces to ``{kind: [lo, hi]}`` / ``{"choice": [...]}`` (ends as written: an int stays an int)."""

    kind: ClassVar[str] = "range"
    target: Field | None = None
    target_path: str = ""

    @property
    def kinds(self) -> tuple[str, ...]:
        """The distributions this range may use."""
        return tuple(RANGE_KINDS) if self.target is None else range_kinds(self.target)

    def range_text(self) -> str:
        names = ", ".join(self.kinds)
        return f"one of {names}" if names else "cannot be searched"

    def _coerce(self, value: Any) -> Any:
        names = ", ".join(RANGE_KINDS)
        if not isinstance(value, dict) or len(value) != 1:
            got = show_value(value) if not isinstance(value, dict) else f"an object with {len(value)} keys"
            raise self.error(f"must be one distribution such as {_EXAMPLE} (one of {names}), got {got}")
        (kind, args), = value.items()
        if kind not in RANGE_KINDS:
            raise self.error(f"unknown distribution {show_value(kind)}; use one of {names}")
        out = {"choice": self._choices(args)} if kind == "choice" else {kind: self._ends(kind, args)}
        if self.target is not None:
            self._fits(kind, out[kind])
        return out

    def _ends(self, kind: str, args: Any) -> list[Any]:
        if not isinstance(args, list) or len(args) != 2:
            raise self.error(f"{kind} takes [lo, hi], got {show_value(args)}")
        _, whole, log = RANGE_KINDS[kind]
        if whole:
            ends: list[Any] = []
            for a in args:
                v = _whole(a) if not (isinstance(a, float) and abs(a) >= RANGE_INT_LIMIT) else None
                if v is None:
                    raise self.error(f"must be a whole number from {-RANGE_INT_LIMIT} to {RANGE_INT_LIMIT:,}, "
                                     f"got {show_value(a)}")
                if not -RANGE_INT_LIMIT <= v <= RANGE_INT_LIMIT:
                    raise self.error(f"must be from {-RANGE_INT_LIMIT} to {RANGE_INT_LIMIT:,}, got {show_value(a)}")
                ends.append(v)
        else:
            for a in args:
                if not finite_number(a):
                    raise self.error(f"must be a finite number, got {show_value(a)}")
            ends = list(args)
        lo, hi = ends
        if lo > hi:
            raise self.error(f"{kind} [{lo:g}, {hi:g}] is an empty range (lo > hi)")
        if log and lo <= 0:
            raise self.error(f"{kind} [{lo:g}, {hi:g}] is a log range through 0 or below: both ends must be > 0")
        return ends

    def _choices(self, args: Any) -> list[Any]:
        if not isinstance(args, list) or not args:
            raise self.error(f"choice takes a non-empty list of values, got {show_value(args)}")
        if len(args) > MAX_CHOICES:
            raise self.error(f"choice takes at most {MAX_CHOICES} values, got {len(args)}")
        out: list[Any] = []
        for v in args:
            if not (v is None or isinstance(v, (bool, str)) or finite_number(v)):
                raise self.error(f"a choice must be a number, a string, true/false or null, got {show_value(v)}")
            if any(_same(v, c) for c in out):
                raise self.error(f"choice lists {show_value(v)} twice")
            out.append(v)
        return out

    def _fits(self, kind: str, values: list[Any]) -> None:
        """The range suits the target: a distribution its kind takes, every value one of its values."""
        target, path = self.target, self.target_path or (self.target.where if self.target else "")
        assert target is not None
        if not range_kinds(target):
            raise self.error(f"{path} ({target.kind}) cannot be searched")
        if kind != "choice":
            whole = RANGE_KINDS[kind][1]
            if isinstance(target, FloatField) and whole:
                raise self.error(f"{path} is a real number: use uniform or log_uniform, not {kind}")
            if isinstance(target, IntField) and not whole:
                raise self.error(f"{path} is a whole number: use int or int_log, not {kind}")
            if not isinstance(target, (FloatField, IntField)):
                raise self.error(f"{path} is not a number: list its values with choice")
        for v in values:
            try:
                target.coerce(v)
            except FieldError as e:
                raise self.error(f"{show_value(v)} is not a value of {path} ({e.reason})") from None


#: every field class by its kind, for tables that name kinds as strings
KINDS: dict[str, type[Field]] = {c.kind: c for c in (IntField, FloatField, BoolField, ChoiceField, PairField,
                                                     ShapeField, TextField, SizeField, LabelField, NumbersField,
                                                     RangeField)}
