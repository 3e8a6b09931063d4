"""Upgrades of older graph-file versions, applied in order before a file is read.

``MIGRATIONS[n]`` turns a version-n document (a plain dict) into a version n+1 document, leaving the
caller's document as it was. Migrations work on plain data and never execute anything from the
file; a value they do not understand is left as it is, for the reader to refuse with its field.

* 1 → 2: ``training.regularization.l2`` now means ½·λ·ΣW², the course's convention, which is
  torch's ``weight_decay = λ`` (version 1 added λ·ΣW²). The number is doubled, so an old file's
  penalty stays what it was; so are the values of a ``search`` range over it.
* 2 → 3: groups and a node's ``trainable`` flag, which version 2 files do not have; ``v2_to_v3``
  changes nothing but the number (a file using neither is still written as version 2).
"""
from __future__ import annotations

from typing import Any, Callable, TypeGuard

Doc = dict[str, Any]
#: the search section's name for the L2 field
L2_KEY = "training.regularization.l2"


def _number(v: Any) -> TypeGuard[int | float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def v1_to_v2(doc: Doc) -> Doc:
    training = doc.get("training")
    reg = training.get("regularization") if isinstance(training, dict) else None
    l2 = reg.get("l2") if isinstance(reg, dict) else None
    if isinstance(training, dict) and isinstance(reg, dict) and _number(l2):
        doc = {**doc, "training": {**training, "regularization": {**reg, "l2": 2 * l2}}}
    # a search over l2 ({"log_uniform": [lo, hi]}, {"choice": [...]}, ...): its values double alike
    search = doc.get("search")
    space = search.get("space") if isinstance(search, dict) else None
    ranged = space.get(L2_KEY) if isinstance(space, dict) else None
    if isinstance(search, dict) and isinstance(space, dict) and isinstance(ranged, dict) and len(ranged) == 1:
        ((kind, values),) = ranged.items()
        if isinstance(values, list) and values and all(_number(v) for v in values):
            doubled = {kind: [2 * v for v in values]}
            doc = {**doc, "search": {**search, "space": {**space, L2_KEY: doubled}}}
    return doc


def v2_to_v3(doc: Doc) -> Doc:
    """Version 3 only added optional keys (``groups``, a node's ``group`` and ``trainable``)."""
    return doc


MIGRATIONS: dict[int, Callable[[Doc], Doc]] = {1: v1_to_v2, 2: v2_to_v3}


def migrate(doc: Doc, version: int, target: int) -> Doc:
    doc = dict(doc)
    while version < target:
        doc = dict(MIGRATIONS[version](doc))
        version += 1
        doc["graphlab"] = version
    return doc
