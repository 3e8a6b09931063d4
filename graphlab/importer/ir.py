"""The importer's middle: a traced model as a list of plain operations, whichever tracer made it.

Both front ends (:mod:`.front_fx` for ``torch.fx``, :mod:`.front_export` for ``torch.export``) turn
their graphs into :class:`Op` s, so one mapper (:mod:`.build`) decides what becomes a layer:

* ``input``: a forward() argument (``target`` its name);
* ``module``: a call of a leaf module (``target`` its path, ``module`` the object);
* ``call``: a function or method, ``target`` its canonical name (``relu``, ``add``, ``cat``, ``view``,
  ``getitem``, …; see :mod:`.functions`) or ``""`` when it has none, ``what`` as the user wrote it;
  ``kwargs`` are the arguments by name (``input``, ``dim``, …), positional ones in ``args``;
* ``attr``: a tensor the forward reads from the model itself (``target`` its path);
* ``output``: what forward() returns.

An argument that is another op's value is a :class:`Ref`; ``shape`` is the op's output shape with the
batch (None when it is not a tensor); ``scope`` the path of the module whose forward ran it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Ref:
    """The value of the op named ``name``."""

    name: str


@dataclass
class Op:
    name: str
    kind: str
    target: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    shape: tuple[int, ...] | None = None
    scope: str = ""
    module: Any = None
    what: str = ""

    def refs(self) -> list[str]:
        """Names of the ops whose values this one reads, in argument order."""
        out: list[str] = []
        _collect((self.args, tuple(self.kwargs.values())), out)
        return out


def _collect(value: Any, out: list[str]) -> None:
    if isinstance(value, Ref):
        out.append(value.name)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _collect(v, out)


@dataclass
class Trace:
    """A traced model: its ops in execution order, and how to find an op's source line.

    ``tracer`` says which tracer made it ("torch.fx" or "torch.export"); ``locate(op name)`` gives
    ``file.py:line`` of the code that ran it (computed only when a refusal needs it)."""

    ops: list[Op]
    tracer: str
    locate: Callable[[str], str | None] = lambda name: None
