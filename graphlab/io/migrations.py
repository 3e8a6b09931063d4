"""Upgrades of older graph-file versions, applied in order before a file is read.

``MIGRATIONS[n]`` turns a version-n document (a plain dict) into a version n+1 document. Version 1
is the first format; version 2 added groups and per-node ``trainable``, which version 1 files do not
have, so ``v1_to_v2`` changes nothing but the number. Migrations work on plain data and never execute
anything from the file.
"""
from __future__ import annotations

from typing import Any, Callable

Doc = dict[str, Any]


def v1_to_v2(doc: Doc) -> Doc:
    """Version 2 only added optional keys (``groups``, a node's ``group`` and ``trainable``)."""
    return doc


MIGRATIONS: dict[int, Callable[[Doc], Doc]] = {1: v1_to_v2}


def migrate(doc: Doc, version: int, target: int) -> Doc:
    while version < target:
        doc = MIGRATIONS[version](doc)
        version += 1
        doc["graphlab"] = version
    return doc
